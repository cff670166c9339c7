package io.podvault.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * The database could not be reached (refused, dropped, shutting down or starting up, out of connections): the
 * request was not answered wrongly, it could not be answered now, and may be tried again shortly. Recognised by
 * the failure's type and SQLSTATE, never by its message.
 */
public final class DatabaseUnavailableException extends RuntimeException {

  /** admin_shutdown, crash_shutdown, cannot_connect_now (starting up), too_many_connections. */
  private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "53300");
  /** Class 08: connection exceptions. */
  private static final String CONNECTION_CLASS = "08";

  public DatabaseUnavailableException(Throwable cause) {
    super("the database cannot be reached: " + cause, cause, false, false);
  }

  /** For {@code Future.recover}: an unreachable database becomes this exception; other failures pass unchanged. */
  public static <T> Future<T> classify(Throwable failure) {
    return Future.failedFuture(isUnreachable(failure) ? new DatabaseUnavailableException(failure) : failure);
  }

  /** True when the failure, or one of its causes, says the database could not be reached. */
  public static boolean isUnreachable(Throwable failure) {
    for (Throwable e = failure; e != null; e = e.getCause() == e ? null : e.getCause()) {
      if (e instanceof DatabaseUnavailableException || e instanceof ClosedConnectionException
        || e instanceof IOException || e instanceof TimeoutException) {
        return true;
      }
      if (e instanceof DatabaseException db && db.getSqlState() != null
        && (db.getSqlState().startsWith(CONNECTION_CLASS) || UNAVAILABLE_STATES.contains(db.getSqlState()))) {
        return true;
      }
    }
    return false;
  }
}
