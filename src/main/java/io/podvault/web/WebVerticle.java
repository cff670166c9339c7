package io.podvault.web;

import io.podvault.auth.ApiKeyStore;
import io.podvault.auth.Passwords;
import io.podvault.auth.SignInLimits;
import io.podvault.auth.SigningKeySeal;
import io.podvault.auth.TokenService;
import io.podvault.auth.UserStore;
import io.podvault.config.Config;
import io.podvault.config.DbCoordinates;
import io.podvault.contract.Addresses;
import io.podvault.contract.Fields;
import io.podvault.contract.Phase;
import io.podvault.db.Connections;
import io.podvault.folder.BackupFolder;
import io.podvault.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.ZoneId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Serves the HTTP API and the static UI; never blocks, hands bulk work to the job verticle. */
public class WebVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(WebVerticle.class);

  private static final String RESTORE_PATH = "/api/data/restore_server";

  private Pool pool;
  /** True while a restore swaps the data in; writes then get 503 instead of waiting on its locks. */
  private boolean swapping;
  private Passwords passwords;
  private TokenService tokens;
  private HttpServer server;
  private RestoreNotices restoreNotices;

  @Override
  public Future<?> start() {
    Config config = Config.fromJson(config().getJsonObject("config"));
    DbCoordinates db = DbCoordinates.fromJson(config().getJsonObject("db"));
    pool = PgBuilder.pool()
      .with(new PoolOptions().setMaxSize(8))
      .with(Connections.transport())
      .connectingTo(Connections.reactive(db))
      .using(vertx)
      .build();
    passwords = new Passwords(vertx);
    return vertx.executeBlocking(() -> SigningKeySeal.prepare(db))
      .compose(seal -> {
        tokens = new TokenService(vertx, pool, seal, config.tokenTtlSeconds());
        vertx.eventBus().consumer(Addresses.SIGNOUT, message -> tokens.reload());
        vertx.eventBus().<JsonObject>consumer(Addresses.PROGRESS, message -> swapping =
          Fields.STATE_RUNNING.equals(message.body().getString(Fields.STATE))
            && Phase.SWAPPING.wireName().equals(message.body().getString(Fields.PHASE)));
        return tokens.reload();
      })
      .compose(v -> RestoreNotices.listen(vertx, db))
      .onSuccess(notices -> restoreNotices = notices)
      .compose(v -> vertx.createHttpServer(new HttpServerOptions()
          .setIdleTimeout(config.httpIdleTimeoutSeconds())
          .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS))
        .requestHandler(routes(config, db)).listen(config.httpPort()))
      .onSuccess(s -> {
        server = s;
        LOG.info("podvault is listening on http://localhost:{}/", s.actualPort());
      });
  }

  @Override
  public Future<?> stop() {
    Future<Void> closing = server == null ? Future.succeededFuture() : server.close();
    Future<Void> listening = restoreNotices == null ? Future.succeededFuture() : restoreNotices.close();
    return closing.eventually(() -> listening).compose(v -> passwords.close()).compose(v -> pool.close());
  }

  /** The port actually bound (useful when configured as 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private Router routes(Config config, DbCoordinates db) {
    UserStore users = new UserStore(pool);
    ApiKeyStore apiKeys = new ApiKeyStore(pool);
    AuthHandlers auth = new AuthHandlers(users, passwords, tokens, new SignInLimits(pool), config.trustedProxies());
    UserHandlers admin = new UserHandlers(users, passwords);
    KeyHandlers keys = new KeyHandlers(apiKeys);
    DatabasePasswords databasePasswords = new DatabasePasswords(db);
    BackupFolder backupFolder = new BackupFolder(config.backupDir());
    DataHandlers data = new DataHandlers(vertx, pool, databasePasswords, backupFolder);
    FolderRestore folderRestore = new FolderRestore(vertx, backupFolder, databasePasswords, config.maxUploadBytes());
    ScheduleHandlers schedule = new ScheduleHandlers(vertx, pool, ZoneId.systemDefault());
    BodyHandler jsonBodies = BodyHandler.create(false).setBodyLimit(config.maxBodyBytes());
    RestoreUpload restore = new RestoreUpload(vertx, config.maxUploadBytes(), databasePasswords);

    WebSocketHub hub = new WebSocketHub(vertx, tokens, pool);

    Router router = Router.router(vertx);
    router.route().handler(WebVerticle::securityHeaders);
    router.get("/health").handler(this::health);
    router.get("/metrics").handler(ctx -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
      .end(Metrics.registry().scrape()));
    router.get("/ws").handler(ctx -> ctx.request().toWebSocket().onSuccess(hub::accept).onFailure(ctx::fail));

    router.route("/api/*").handler(ctx -> {
      if (RESTORE_PATH.equals(ctx.normalizedPath())) {
        ctx.next();
      } else {
        jsonBodies.handle(ctx);
      }
    });
    router.get("/api/data/restore_status").handler(data::restoreStatus);
    router.route("/api/*").handler(this::refuseWritesDuringSwap);
    router.post("/api/auth/login").handler(auth::login);
    router.route("/api/*").handler(new Authenticator(tokens, apiKeys));
    router.post("/api/auth/logout").handler(auth::logout);
    router.get("/api/auth/me").handler(auth::me);
    router.post("/api/keys").handler(keys::create);
    router.get("/api/keys").handler(keys::list);
    router.delete("/api/keys/:id").handler(keys::delete);
    router.route("/api/admin/*").handler(Authenticator::requireAdmin);
    router.route("/api/data/*").handler(Authenticator::requireAdmin);
    router.get("/api/admin/users").handler(admin::list);
    router.post("/api/admin/users").handler(admin::create);
    router.post("/api/data/backup_server").handler(data::backup);
    router.post("/api/data/manual_backup_to_directory").handler(data::backupToFolder);
    router.post("/api/data/list_backup_files").handler(data::listBackupFiles);
    router.post("/api/data/delete_backup_file").handler(data::deleteBackupFile);
    router.post("/api/data/restore_backup_file").handler(folderRestore::handle);
    router.post("/api/data/download_backup_file").handler(data::downloadBackupFile);
    router.post("/api/data/schedule_backup").handler(schedule::save);
    router.post("/api/data/get_scheduled_backup").handler(schedule::get);
    router.get("/api/data/jobs/:id").handler(data::job);
    // The upload is read only after the caller and the content type have been checked.
    router.post(RESTORE_PATH).handler(restore::handle);
    router.route("/api/*").handler(ctx -> ctx.fail(ApiException.notFound("no such API endpoint: " + ctx.request().path())));

    router.route().handler(StaticHandler.create("webroot").setIndexPage("index.html"));
    router.route().failureHandler(new FailureHandler());
    return router;
  }

  private void health(RoutingContext ctx) {
    pool.query("SELECT 1").execute()
      .onSuccess(rows -> Responses.json(ctx, 200, new JsonObject().put("status", "ok")))
      .onFailure(e -> Responses.error(ctx, 503, "database_unavailable", "the database is not reachable: " + e.getMessage()));
  }

  private void refuseWritesDuringSwap(RoutingContext ctx) {
    if (swapping && ctx.request().method() != HttpMethod.GET) {
      ctx.response().putHeader("Retry-After", "2");
      throw new ApiException(503, "restore_swapping",
        "a restore is replacing the server's data right now; try again in a few seconds");
    }
    ctx.next();
  }

  private static void securityHeaders(RoutingContext ctx) {
    ctx.response()
      .putHeader("X-Content-Type-Options", "nosniff")
      .putHeader("X-Frame-Options", "SAMEORIGIN")
      .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }
}
