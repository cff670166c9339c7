package io.podvault.support;

import io.podvault.Podvault;
import io.podvault.config.Config;
import io.podvault.config.ConfigKeys;
import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;

/** A real podvault on a fresh database of the shared test cluster, and a client that talks to it. */
public final class TestServer {

  public static final String ADMIN = "admin";
  public static final String ADMIN_PASSWORD = "admin-password-1";

  public final Vertx vertx;
  public final Podvault podvault;
  public final WebClient client;
  public final DbCoordinates db;

  private TestServer(Vertx vertx, Podvault podvault, DbCoordinates db) {
    this.vertx = vertx;
    this.podvault = podvault;
    this.db = db;
    this.client = WebClient.create(vertx, new WebClientOptions()
      .setDefaultHost("localhost").setDefaultPort(podvault.httpPort())
      // Shorter than any server idle timeout a test sets, so a pooled connection is never reused as it closes.
      .setKeepAliveTimeout(1));
  }

  public static Config config(DbCoordinates db, Map<String, Object> overrides) {
    JsonObject json = new JsonObject()
      .put(ConfigKeys.HTTP_PORT, 0)
      .put(ConfigKeys.DATA_DIR, TempDirs.create("podvault-test-data").toString())
      .put(ConfigKeys.DB_URL, TestPostgres.url(db))
      .put(ConfigKeys.ADMIN_USERNAME, ADMIN)
      .put(ConfigKeys.ADMIN_PASSWORD, ADMIN_PASSWORD);
    overrides.forEach(json::put);
    return Config.from(json, Map.of());
  }

  public static Future<TestServer> start(Vertx vertx) {
    return start(vertx, TestPostgres.freshDatabase(), Map.of());
  }

  /** A server on a fresh database holding {@link PinePodsData#fill}'s rows of {@code seed}. */
  public static Future<TestServer> startWithPinePodsData(Vertx vertx, long seed) {
    return startWithPinePodsData(vertx, seed, Map.of());
  }

  /** The same, with these settings. */
  public static Future<TestServer> startWithPinePodsData(Vertx vertx, long seed, Map<String, Object> overrides) {
    return start(vertx, TestPostgres.freshDatabase(), overrides).compose(server -> vertx.executeBlocking(() -> {
      try (Connection c = Connections.open(server.db)) {
        PinePodsData.fill(c, seed);
      }
      return server;
    }));
  }

  public static Future<TestServer> start(Vertx vertx, DbCoordinates db, Map<String, Object> overrides) {
    return Podvault.start(vertx, config(db, overrides)).map(p -> new TestServer(vertx, p, db));
  }

  public Future<Void> stop() {
    client.close();
    return podvault.stop();
  }

  /** Signs in and returns the token. */
  public Future<String> login(String username, String password) {
    return client.post("/api/auth/login")
      .sendJsonObject(new JsonObject().put("username", username).put("password", password))
      .map(response -> {
        if (response.statusCode() != 200) {
          throw new IllegalStateException("login of " + username + " gave " + response.statusCode() + " " + response.bodyAsString());
        }
        return response.bodyAsJsonObject().getString("token");
      });
  }

  public Future<String> adminToken() {
    return login(ADMIN, ADMIN_PASSWORD);
  }

  /** Creates a user through the admin API and returns that user's token. */
  public Future<String> userToken(String adminToken, String username, String password, boolean admin) {
    return client.post("/api/admin/users").bearerTokenAuthentication(adminToken)
      .sendJsonObject(new JsonObject().put("username", username).put("password", password).put("is_admin", admin))
      .compose(created -> {
        if (created.statusCode() != 201) {
          return Future.failedFuture("user creation gave " + created.statusCode() + " " + created.bodyAsString());
        }
        return login(username, password);
      });
  }

  /** Posts a backup request and writes the response body, whatever it is, to {@code target}. */
  public Future<HttpResponse<Void>> downloadBackup(String token, String databasePassword, Path target) {
    return downloadBackup(token, new JsonObject().put("database_pass", databasePassword), target);
  }

  /** Posts a backup request of these fields and writes the response body, whatever it is, to {@code target}. */
  public Future<HttpResponse<Void>> downloadBackup(String token, JsonObject request, Path target) {
    return vertx.fileSystem().open(target.toString(), new io.vertx.core.file.OpenOptions().setTruncateExisting(true))
      .compose(file -> client.post("/api/data/backup_server").bearerTokenAuthentication(token)
        .as(io.vertx.ext.web.codec.BodyCodec.pipe(file))
        .sendJsonObject(request));
  }

  /** Uploads a backup file for restore, as the Settings page does. */
  public Future<HttpResponse<Buffer>> uploadRestore(String token, Path file, String databasePassword) {
    return client.post("/api/data/restore_server").bearerTokenAuthentication(token)
      .sendMultipartForm(io.vertx.ext.web.multipart.MultipartForm.create()
        .attribute("database_pass", databasePassword)
        .binaryFileUpload("backup_file", "server_backup.sql", file.toString(), "application/sql"));
  }

  /** Starts a backup into the server's backup folder ({@code manual_backup_to_directory}) and returns its job's id. */
  public Future<String> startFolderBackup(String token) {
    return client.post("/api/data/manual_backup_to_directory").bearerTokenAuthentication(token)
      .sendJsonObject(new JsonObject())
      .map(response -> {
        if (response.statusCode() != 202) {
          throw new IllegalStateException("manual_backup_to_directory gave " + response.statusCode() + " " + response.bodyAsString());
        }
        return response.bodyAsJsonObject().getString("job_id");
      });
  }

  /** The backup folder's files, as {@code list_backup_files} lists them, newest first. */
  public Future<JsonArray> backupFiles(String token) {
    return client.post("/api/data/list_backup_files").bearerTokenAuthentication(token)
      .sendJsonObject(new JsonObject())
      .map(response -> {
        if (response.statusCode() != 200) {
          throw new IllegalStateException("list_backup_files gave " + response.statusCode() + " " + response.bodyAsString());
        }
        return response.bodyAsJsonObject().getJsonArray("backup_files");
      });
  }

  /** Asks for the restore of a file of the backup folder ({@code restore_backup_file}), whatever the answer. */
  public Future<HttpResponse<Buffer>> restoreBackupFile(String token, String filename, String databasePassword) {
    return client.post("/api/data/restore_backup_file").bearerTokenAuthentication(token)
      .sendJsonObject(new JsonObject().put("backup_filename", filename).put("database_pass", databasePassword));
  }

  /**
   * Waits until the job has ended and returns its final record. A restore ends every session, so on 401 this
   * signs the administrator in again (the restored data must still know them).
   */
  public JsonObject awaitJob(String token, String jobId) {
    long deadline = System.currentTimeMillis() + 300_000;
    while (true) {
      HttpResponse<Buffer> response = Await.result(get("/api/data/jobs/" + jobId, token).send());
      if (response.statusCode() == 401) {
        token = signInAfterRestore();
        continue;
      }
      JsonObject job = response.bodyAsJsonObject();
      if (!"running".equals(job.getString("state"))) {
        return job;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("job " + jobId + " still running: " + job.encode());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Signs the administrator in again; right at the swap the server answers 503 "try again" for a moment. */
  private String signInAfterRestore() {
    for (int attempt = 0; ; attempt++) {
      HttpResponse<Buffer> response = Await.result(client.post("/api/auth/login")
        .sendJsonObject(new JsonObject().put("username", ADMIN).put("password", ADMIN_PASSWORD)));
      if (response.statusCode() == 200) {
        return response.bodyAsJsonObject().getString("token");
      }
      if (response.statusCode() != 503 || attempt == 100) {
        throw new IllegalStateException("sign-in after a restore gave " + response.statusCode() + " " + response.bodyAsString());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  public HttpRequest<Buffer> get(String path, String token) {
    return client.get(path).bearerTokenAuthentication(token);
  }

  public static String error(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getString("error");
  }

  public static Path tempDir(String prefix) {
    return TempDirs.create(prefix);
  }
}
