package io.podvault.auth;

import io.podvault.db.DatabaseUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * API keys in PinePods' {@code "APIKeys"} table, sent in PinePods' {@code Api-Key} header. PinePods keeps
 * the key itself in the row, so keys restored from a backup keep working; podvault does the same.
 */
public final class ApiKeyStore {

  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final int KEY_LENGTH = 64;
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final String INSERT =
    "INSERT INTO \"APIKeys\" (userid, apikey) VALUES ($1, $2) RETURNING apikeyid, created";
  private static final String LIST =
    "SELECT apikeyid, created, right(apikey, 4) AS tail FROM \"APIKeys\" WHERE userid = $1 ORDER BY apikeyid";
  private static final String DELETE = "DELETE FROM \"APIKeys\" WHERE apikeyid = $1 AND userid = $2";
  /**
   * PinePods' schema has no index on the key, and podvault keeps that schema as it is (it may run on PinePods' own
   * database), so every key is looked at; the table holds a few keys per user. Their SHA-256 digests are compared,
   * not the keys: how long a comparison takes then tells nothing about how much of a guessed key was right.
   */
  private static final String FIND_OWNER =
    "SELECT u.userid, u.username, COALESCE(u.isadmin, false) AS isadmin FROM \"APIKeys\" k "
      + "JOIN \"Users\" u ON u.userid = k.userid WHERE sha256(convert_to(k.apikey, 'UTF8')) = sha256(convert_to($1, 'UTF8'))";

  private final Pool pool;

  public ApiKeyStore(Pool pool) {
    this.pool = pool;
  }

  /** Creates a key for the user; the result holds the key itself, shown this once. */
  public Future<JsonObject> create(int userId) {
    String key = newKey();
    return pool.preparedQuery(INSERT).execute(Tuple.of(userId, key)).map(rows -> {
      Row row = rows.iterator().next();
      return new JsonObject().put("id", row.getInteger("apikeyid")).put("key", key)
        .put("created", String.valueOf(row.getLocalDateTime("created")));
    });
  }

  public Future<JsonArray> list(int userId) {
    return pool.preparedQuery(LIST).execute(Tuple.of(userId)).map(rows -> {
      JsonArray keys = new JsonArray();
      for (Row row : rows) {
        keys.add(new JsonObject().put("id", row.getInteger("apikeyid"))
          .put("created", String.valueOf(row.getLocalDateTime("created")))
          .put("ends_with", row.getString("tail")));
      }
      return keys;
    });
  }

  /** Deletes one of the user's own keys; false when the user has no such key. */
  public Future<Boolean> delete(int userId, int keyId) {
    return pool.preparedQuery(DELETE).execute(Tuple.of(keyId, userId)).map(rows -> rows.rowCount() == 1);
  }

  public Future<Optional<Principal>> authenticate(String key) {
    return pool.preparedQuery(FIND_OWNER).execute(Tuple.of(key))
      .recover(DatabaseUnavailableException::classify)
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row row = rows.iterator().next();
        return Optional.of(new Principal(row.getInteger("userid"), row.getString("username"), row.getBoolean("isadmin"), null));
      });
  }

  private static String newKey() {
    StringBuilder key = new StringBuilder(KEY_LENGTH);
    for (int i = 0; i < KEY_LENGTH; i++) {
      key.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return key.toString();
  }
}
