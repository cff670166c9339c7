package io.podvault.auth;

import io.podvault.auth.CredentialsRefusedException.Reason;
import io.podvault.db.DatabaseUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Signs and checks the JWTs that browsers carry. The HS256 key lives in the database (schema podvault), sealed
 * with a key derived from the database password ({@link SigningKeySeal}), so every process on that database shares
 * it, a backup never contains it, and a dump of the whole database carries it sealed only. A token is good only while its
 * session row exists: logout deletes the row, a restore rotates the key and clears every session.
 *
 * <p>Each rotation bumps the key's generation and keeps the replaced secret, so a token from before a restore
 * is recognised as one the restore ended (never accepted), and a sign-in opens its session only under the
 * generation it began with (see {@link #issue}).
 */
public final class TokenService {

  /** What a rotation sets besides the new secret (the right-hand sides read the row as it was). */
  private static final String ROTATION = "previous_secret = secret, generation = generation + 1, rotated_at = now()";
  /**
   * The rotation in a JDBC transaction (one parameter: the new secret, sealed). The restore's swap runs it before it
   * deletes the sessions, so the key row stays locked until the swap commits: see {@link #issue}.
   */
  public static final String ROTATE_KEY_JDBC = "UPDATE podvault.signing_key SET secret = ?, " + ROTATION + " WHERE id = 1";
  private static final String ROTATE_KEY = "UPDATE podvault.signing_key SET secret = $1, " + ROTATION + " WHERE id = 1";
  private static final String READ_KEY =
    "SELECT generation, secret, previous_secret FROM podvault.signing_key WHERE id = 1";
  private static final String CLEAR_SESSIONS = "DELETE FROM podvault.sessions";
  /**
   * Opens the session only while the key is still of the sign-in's generation. FOR SHARE makes the check wait
   * for a swap that has updated the key row but not committed; once it commits the row is re-read and the
   * generation no longer matches, so nothing is inserted. A session inserted before the swap locked the row is
   * deleted by the swap.
   */
  private static final String OPEN_SESSION =
    "INSERT INTO podvault.sessions (id, user_id, expires_at) "
      + "SELECT $1, $2, now() + make_interval(secs => $3) FROM podvault.signing_key "
      + "WHERE id = 1 AND generation = $4 FOR SHARE";
  private static final String CLOSE_SESSION = "DELETE FROM podvault.sessions WHERE id = $1";
  /** The key's generation, and which of the given sessions are still open, unexpired and of an existing user. */
  private static final String LIVE_SESSIONS =
    "SELECT k.generation, live.id, live.isadmin FROM podvault.signing_key k LEFT JOIN ("
      + "SELECT s.id, COALESCE(u.isadmin, false) AS isadmin FROM podvault.sessions s JOIN \"Users\" u ON u.userid = s.user_id "
      + "WHERE s.id = ANY($1) AND s.expires_at > now()) live ON true WHERE k.id = 1";
  private static final String FIND_SESSION =
    "SELECT u.userid, u.username, COALESCE(u.isadmin, false) AS isadmin FROM podvault.sessions s "
      + "JOIN \"Users\" u ON u.userid = s.user_id WHERE s.id = $1 AND s.expires_at > now()";

  /**
   * Of some sessions, those still live (open, unexpired, their user existing), each with its user's administrator
   * flag as it is now; and the key's generation at the same moment.
   */
  public record LiveSessions(long generation, Map<String, Boolean> adminBySession) {
  }

  /** The signing key of one generation, with the one it replaced (null before the first rotation). */
  public record SigningKey(long generation, JWTAuth current, JWTAuth previous) {
  }

  private final Vertx vertx;
  private final Pool pool;
  private final SigningKeySeal seal;
  private final long ttlSeconds;
  private volatile SigningKey key;

  /** {@code seal} is {@link SigningKeySeal#prepare}'s, which has also made sure that the key exists. */
  public TokenService(Vertx vertx, Pool pool, SigningKeySeal seal, long ttlSeconds) {
    this.vertx = vertx;
    this.pool = pool;
    this.seal = seal;
    this.ttlSeconds = ttlSeconds;
  }

  /**
   * Reads the key as it is now in the database (another process may have rotated it). A sign-in reads it before
   * checking the password and hands it to {@link #issue}.
   */
  public Future<SigningKey> reload() {
    return pool.query(READ_KEY).execute().recover(DatabaseUnavailableException::classify).map(rows -> {
      Row row = rows.iterator().next();
      SigningKey known = key;
      if (known == null || known.generation() != row.getLong("generation")) {
        String previous = row.getString("previous_secret");
        key = new SigningKey(row.getLong("generation"), jwt(seal.open(row.getString("secret"))),
          previous == null ? null : jwt(seal.open(previous)));
      }
      return key;
    });
  }

  /**
   * Opens a session for the user and returns its token, if the key is still of {@code signedInUnder}'s
   * generation; fails with {@link Reason#ENDED_BY_RESTORE} when a restore rotated it meanwhile (the user id
   * then belongs to other data).
   */
  public Future<String> issue(SigningKey signedInUnder, int userId) {
    String sessionId = UUID.randomUUID().toString();
    return pool.preparedQuery(OPEN_SESSION)
      .execute(Tuple.of(UUID.fromString(sessionId), userId, ttlSeconds, signedInUnder.generation()))
      .recover(DatabaseUnavailableException::classify)
      .map(rows -> {
        if (rows.rowCount() == 0) {
          throw new CredentialsRefusedException(Reason.ENDED_BY_RESTORE);
        }
        return signedInUnder.current().generateToken(
          new JsonObject().put("sub", Integer.toString(userId)).put("sid", sessionId),
          new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds((int) ttlSeconds));
      });
  }

  /**
   * The caller behind a token. Fails with {@link CredentialsRefusedException} when the token is forged, expired
   * or revoked ({@link Reason#INVALID}) or was issued before a restore ({@link Reason#ENDED_BY_RESTORE}), and
   * with {@link DatabaseUnavailableException} when that cannot be told now.
   */
  public Future<Principal> authenticate(String token) {
    return check(key, token).recover(e -> e instanceof CredentialsRefusedException
      // Another process may have rotated the key since this one read it.
      ? reload().compose(fresh -> check(fresh, token))
      : Future.failedFuture(e));
  }

  private Future<Principal> check(SigningKey signingKey, String token) {
    TokenCredentials credentials = new TokenCredentials(token);
    return signingKey.current().authenticate(credentials)
      .recover(invalid -> signingKey.previous() == null
        ? refused(Reason.INVALID)
        : signingKey.previous().authenticate(credentials).transform(old -> refused(
          old.succeeded() ? Reason.ENDED_BY_RESTORE : Reason.INVALID)))
      .compose(this::findSession);
  }

  private Future<Principal> findSession(User user) {
    String sessionId = user.principal().getString("sid");
    UUID sid;
    try {
      sid = UUID.fromString(sessionId);
    } catch (RuntimeException e) {
      return refused(Reason.INVALID);
    }
    return pool.preparedQuery(FIND_SESSION).execute(Tuple.of(sid))
      .recover(DatabaseUnavailableException::classify)
      .compose(rows -> {
        if (rows.size() == 0) {
          return refused(Reason.INVALID);
        }
        Row row = rows.iterator().next();
        return Future.succeededFuture(
          new Principal(row.getInteger("userid"), row.getString("username"), row.getBoolean("isadmin"), sessionId));
      });
  }

  /** Which of these sessions are still live, in one query. */
  public Future<LiveSessions> liveSessions(Collection<String> sessionIds) {
    UUID[] ids = sessionIds.stream().map(UUID::fromString).toArray(UUID[]::new);
    return pool.preparedQuery(LIVE_SESSIONS).execute(Tuple.tuple().addArrayOfUUID(ids))
      .recover(DatabaseUnavailableException::classify)
      .map(rows -> {
        long generation = 0;
        Map<String, Boolean> admin = new HashMap<>();
        for (Row row : rows) {
          generation = row.getLong("generation");
          if (row.getUUID("id") != null) {
            admin.put(row.getUUID("id").toString(), row.getBoolean("isadmin"));
          }
        }
        return new LiveSessions(generation, admin);
      });
  }

  public Future<Void> revoke(String sessionId) {
    return pool.preparedQuery(CLOSE_SESSION).execute(Tuple.of(UUID.fromString(sessionId)))
      .recover(DatabaseUnavailableException::classify).mapEmpty();
  }

  /** Makes every token issued so far worthless: a new key and no sessions, in one transaction. */
  public Future<Void> rotate() {
    return pool.withTransaction(conn -> conn.preparedQuery(ROTATE_KEY).execute(Tuple.of(seal.seal(newSecret())))
        .compose(v -> conn.query(CLEAR_SESSIONS).execute()))
      .compose(v -> reload())
      .mapEmpty();
  }

  /** A new random signing key. */
  public static String newSecret() {
    byte[] bytes = new byte[48];
    new SecureRandom().nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }

  private JWTAuth jwt(String secret) {
    return JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
  }

  private static <T> Future<T> refused(Reason reason) {
    return Future.failedFuture(new CredentialsRefusedException(reason));
  }
}
