package io.podvault.job;

import io.podvault.config.DbCoordinates;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker verticle that runs dump and restore jobs. It is deployed with the worker threading model,
 * so its blocking JDBC work never touches an event loop.
 */
public class JobVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(JobVerticle.class);

  private DbCoordinates db;

  @Override
  public Future<?> start() {
    db = DbCoordinates.fromJson(config().getJsonObject("db"));
    LOG.info("Job verticle ready on {}", db);
    return Future.succeededFuture();
  }
}
