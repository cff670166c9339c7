package io.podvault;

import io.podvault.auth.AdminBootstrap;
import io.podvault.auth.Passwords;
import io.podvault.auth.UserStore;
import io.podvault.cluster.Majority;
import io.podvault.config.Config;
import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.DataFolder;
import io.podvault.db.EmbeddedDatabase;
import io.podvault.db.Migrations;
import io.podvault.dump.SchemaCheck;
import io.podvault.job.JobVerticle;
import io.podvault.web.WebVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running podvault: the database (embedded unless an external one is configured), its migrated
 * schema, the first administrator, then the job verticle and the web verticle, started in that order.
 */
public final class Podvault {

  private static final Logger LOG = LoggerFactory.getLogger(Podvault.class);

  private final Vertx vertx;
  private final DataFolder dataFolder;
  private final EmbeddedDatabase embedded;
  private final DbCoordinates db;
  private final WebVerticle web;
  /** This podvault's verticles, web first: the order they are stopped in. */
  private final List<String> deployments;
  private final Config config;

  private Podvault(Vertx vertx, Config config, DataFolder dataFolder, EmbeddedDatabase embedded, DbCoordinates db,
                   WebVerticle web, List<String> deployments) {
    this.vertx = vertx;
    this.config = config;
    this.dataFolder = dataFolder;
    this.deployments = deployments;
    this.embedded = embedded;
    this.db = db;
    this.web = web;
  }

  /** A single process's podvault. */
  public static Future<Podvault> start(Vertx vertx, Config config) {
    return start(vertx, config, Majority.ALWAYS);
  }

  /**
   * Takes the data folder first: a folder another podvault holds is refused before anything in it changes. Jobs start
   * only while {@code majority} allows (a cluster's node).
   */
  public static Future<Podvault> start(Vertx vertx, Config config, Majority majority) {
    return vertx.executeBlocking(() -> DataFolder.lock(config.dataDir()))
      .compose(folder -> vertx.executeBlocking(() -> config.dbUrl() == null
          ? EmbeddedDatabase.start(config.dataDir(), config.dbPassword(), config.embeddedDbPort())
          : null)
        .compose(embedded -> {
          DbCoordinates db = embedded != null ? embedded.coordinates() : config.externalDatabase();
          return vertx.executeBlocking(() -> Migrations.migrate(db, SchemaCheck.adoption(db)))
            .compose(version -> bootstrapAdministrator(vertx, db, config))
            .compose(v -> deploy(vertx, config, folder, embedded, db, majority))
            .onFailure(e -> stopQuietly(embedded));
        })
        .onFailure(e -> closeQuietly(folder)));
  }

  private static Future<Void> bootstrapAdministrator(Vertx vertx, DbCoordinates db, Config config) {
    Pool pool = PgBuilder.pool().with(Connections.transport()).connectingTo(Connections.reactive(db)).using(vertx).build();
    Passwords passwords = new Passwords(vertx);
    return AdminBootstrap.ensureAdministrator(new UserStore(pool), passwords, config.adminUsername(), config.adminPassword())
      .eventually(() -> passwords.close().eventually(pool::close));
  }

  private static Future<Podvault> deploy(Vertx vertx, Config config, DataFolder folder, EmbeddedDatabase embedded,
                                        DbCoordinates db, Majority majority) {
    JsonObject verticleConfig = new JsonObject().put("config", config.toJson()).put("db", db.toJson());
    WebVerticle web = new WebVerticle();
    JobVerticle jobs = new JobVerticle(majority);
    return vertx.deployVerticle(jobs,
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setConfig(verticleConfig))
      .compose(job -> vertx.deployVerticle(web, new DeploymentOptions().setConfig(verticleConfig))
        .map(webId -> new Podvault(vertx, config, folder, embedded, db, web, List.of(webId, job))))
      .onSuccess(started -> jobs.prepareForJobs());
  }

  public int httpPort() {
    return web.actualPort();
  }

  public java.nio.file.Path dataDir() {
    return config.dataDir();
  }

  public DbCoordinates database() {
    return db;
  }

  /**
   * Undeploys this podvault's verticles (the web one first, so no request starts a job meanwhile), then stops
   * the embedded database and lets the data folder go.
   */
  public Future<Void> stop() {
    Future<Void> undeployed = vertx.undeploy(deployments.get(0)).eventually(() -> vertx.undeploy(deployments.get(1)));
    return undeployed.eventually(() -> vertx.executeBlocking(() -> {
      stopQuietly(embedded);
      closeQuietly(dataFolder);
      return null;
    }));
  }

  private static void closeQuietly(DataFolder folder) {
    try {
      folder.close();
    } catch (Exception e) {
      LOG.warn("The data folder's lock was not released cleanly (the process's end releases it): {}", e.toString());
    }
  }

  private static void stopQuietly(EmbeddedDatabase embedded) {
    if (embedded == null) {
      return;
    }
    try {
      embedded.close();
    } catch (Exception e) {
      LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.toString());
    }
  }
}
