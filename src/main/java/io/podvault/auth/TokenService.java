package io.podvault.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.UUID;

/**
 * Signs and checks the JWTs that browsers carry. The HS256 key lives in the database (schema podvault), so
 * every process on that database shares it and a backup never contains it. A token is good only while its
 * session row exists: logout deletes the row, a restore rotates the key and clears every session.
 */
public final class TokenService {

  private static final String ENSURE_KEY =
    "INSERT INTO podvault.signing_key (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING";
  private static final String READ_KEY = "SELECT secret FROM podvault.signing_key WHERE id = 1";
  private static final String ROTATE_KEY = "UPDATE podvault.signing_key SET secret = $1, rotated_at = now() WHERE id = 1";
  private static final String CLEAR_SESSIONS = "DELETE FROM podvault.sessions";
  private static final String OPEN_SESSION =
    "INSERT INTO podvault.sessions (id, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))";
  private static final String CLOSE_SESSION = "DELETE FROM podvault.sessions WHERE id = $1";
  private static final String FIND_SESSION =
    "SELECT u.userid, u.username, COALESCE(u.isadmin, false) AS isadmin FROM podvault.sessions s "
      + "JOIN \"Users\" u ON u.userid = s.user_id WHERE s.id = $1 AND s.expires_at > now()";

  private final Vertx vertx;
  private final Pool pool;
  private final long ttlSeconds;
  private volatile JWTAuth jwt;

  public TokenService(Vertx vertx, Pool pool, long ttlSeconds) {
    this.vertx = vertx;
    this.pool = pool;
    this.ttlSeconds = ttlSeconds;
  }

  /** Creates the signing key on first use and loads it. */
  public Future<Void> load() {
    return pool.preparedQuery(ENSURE_KEY).execute(Tuple.of(newSecret())).compose(v -> reload());
  }

  /** Re-reads the key, after another process (a restore) rotated it. */
  public Future<Void> reload() {
    return pool.query(READ_KEY).execute().map(rows -> {
      String secret = rows.iterator().next().getString("secret");
      jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
      return null;
    });
  }

  /** Opens a session for the user and returns its token. */
  public Future<String> issue(int userId) {
    String sessionId = UUID.randomUUID().toString();
    return pool.preparedQuery(OPEN_SESSION).execute(Tuple.of(UUID.fromString(sessionId), userId, ttlSeconds))
      .map(v -> jwt.generateToken(
        new JsonObject().put("sub", Integer.toString(userId)).put("sid", sessionId),
        new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds((int) ttlSeconds)));
  }

  /** The caller behind a token, or a failed future when the token is forged, expired or revoked. */
  public Future<Principal> authenticate(String token) {
    return jwt.authenticate(new TokenCredentials(token))
      .recover(e -> reload().compose(v -> jwt.authenticate(new TokenCredentials(token))))
      .compose(user -> {
        String sessionId = user.principal().getString("sid");
        UUID sid;
        try {
          sid = UUID.fromString(sessionId);
        } catch (RuntimeException e) {
          return Future.failedFuture("token carries no session");
        }
        return pool.preparedQuery(FIND_SESSION).execute(Tuple.of(sid)).compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture("session ended");
          }
          Row row = rows.iterator().next();
          return Future.succeededFuture(
            new Principal(row.getInteger("userid"), row.getString("username"), row.getBoolean("isadmin"), sessionId));
        });
      });
  }

  public Future<Void> revoke(String sessionId) {
    return pool.preparedQuery(CLOSE_SESSION).execute(Tuple.of(UUID.fromString(sessionId))).mapEmpty();
  }

  /** Makes every token issued so far worthless: a new key and no sessions, in one transaction. */
  public Future<Void> rotate() {
    return pool.withTransaction(conn -> conn.preparedQuery(ROTATE_KEY).execute(Tuple.of(newSecret()))
        .compose(v -> conn.query(CLEAR_SESSIONS).execute()))
      .compose(v -> reload());
  }

  /** A new random signing key. */
  public static String newSecret() {
    byte[] bytes = new byte[48];
    new SecureRandom().nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }
}
