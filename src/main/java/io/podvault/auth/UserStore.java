package io.podvault.auth;

import io.podvault.db.DatabaseUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;

/** Accounts, kept in PinePods' {@code "Users"} table so that restored users are podvault's users. */
public final class UserStore {

  /** A user as login needs them. */
  public record Account(int userId, String username, boolean admin, String passwordHash) {
  }

  private static final String FIND_BY_NAME =
    "SELECT userid, username, COALESCE(isadmin, false) AS isadmin, hashed_pw FROM \"Users\" WHERE username = $1";
  private static final String ANY_ADMIN = "SELECT EXISTS (SELECT 1 FROM \"Users\" WHERE isadmin) AS present";
  private static final String INSERT =
    "INSERT INTO \"Users\" (fullname, username, email, hashed_pw, isadmin) VALUES ($1, $2, $3, $4, $5) RETURNING userid";
  private static final String MAKE_ADMIN = "UPDATE \"Users\" SET isadmin = true, hashed_pw = $2 WHERE username = $1";
  private static final String LIST =
    "SELECT userid, username, fullname, email, COALESCE(isadmin, false) AS isadmin FROM \"Users\" ORDER BY userid";

  private final Pool pool;

  public UserStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Optional<Account>> findByName(String username) {
    return pool.preparedQuery(FIND_BY_NAME).execute(Tuple.of(username))
      .recover(DatabaseUnavailableException::classify)
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row row = rows.iterator().next();
        return Optional.of(new Account(row.getInteger("userid"), row.getString("username"),
          row.getBoolean("isadmin"), row.getString("hashed_pw")));
      });
  }

  public Future<Boolean> anyAdministrator() {
    return pool.query(ANY_ADMIN).execute().map(rows -> rows.iterator().next().getBoolean("present"));
  }

  public Future<Integer> create(String username, String fullName, String email, String passwordHash, boolean admin) {
    return pool.preparedQuery(INSERT).execute(Tuple.of(fullName, username, email, passwordHash, admin))
      .map(rows -> rows.iterator().next().getInteger("userid"));
  }

  public Future<Void> makeAdministrator(String username, String passwordHash) {
    return pool.preparedQuery(MAKE_ADMIN).execute(Tuple.of(username, passwordHash)).mapEmpty();
  }

  public Future<JsonArray> list() {
    return pool.query(LIST).execute().map(rows -> {
      JsonArray users = new JsonArray();
      for (Row row : rows) {
        users.add(new JsonObject()
          .put("id", row.getInteger("userid"))
          .put("username", row.getString("username"))
          .put("fullname", row.getString("fullname"))
          .put("email", row.getString("email"))
          .put("is_admin", row.getBoolean("isadmin")));
      }
      return users;
    });
  }
}
