package io.podvault.web;

import static io.podvault.contract.Fields.*;

import io.podvault.config.DbCoordinates;
import io.podvault.contract.Addresses;
import io.podvault.db.Connections;
import io.podvault.restore.SchemaSwap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.pubsub.PgSubscriber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears of restores made by other processes on this database (another server, the command line): their swap
 * transaction sends {@value SchemaSwap#RESTORED_CHANNEL}, and this server then signs its sockets out and reloads
 * the signing key, as after a restore of its own. The notice is handed on to this process only; a restore of this
 * process is heard twice, and the sign-out counts each restore once ({@link WebSocketHub}).
 */
final class RestoreNotices {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreNotices.class);
  private static final long RECONNECT_MILLIS = 1_000;

  private final PgSubscriber subscriber;

  private RestoreNotices(PgSubscriber subscriber) {
    this.subscriber = subscriber;
  }

  /** Listens from when the returned future succeeds; a lost connection is opened again, once a second. */
  static Future<RestoreNotices> listen(Vertx vertx, DbCoordinates db) {
    PgSubscriber subscriber = PgSubscriber.subscriber(vertx, Connections.reactive(db))
      .reconnectPolicy(attempts -> RECONNECT_MILLIS);
    subscriber.closeHandler(v -> LOG.debug("The restore notices' connection closed"));
    subscriber.channel(SchemaSwap.RESTORED_CHANNEL).handler(job -> {
      LOG.info("The data was restored by job {}: signing everyone out", job);
      vertx.eventBus().publish(Addresses.SIGNOUT,
        new JsonObject().put(TYPE, "signout").put(REASON, "restore").put(JOB_ID, job), Addresses.here());
    });
    return subscriber.connect().map(v -> new RestoreNotices(subscriber));
  }

  Future<Void> close() {
    return subscriber.close();
  }
}
