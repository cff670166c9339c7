package io.podvault.support;

import io.podvault.config.DbCoordinates;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** podvault in a process of its own, so a test can kill it as the power cut or the OOM killer would. */
public final class ChildServer {

  /**
   * Cluster nodes of tests notice a silent member within seconds rather than Hazelcast's minute: a heartbeat each
   * second, and a member silent for 10 s is removed (short, yet far above a pause of a loaded test machine). Their
   * logs show Hazelcast's membership decisions too.
   */
  public static final List<String> CLUSTER_NODE = List.of("-Dhazelcast.heartbeat.interval.seconds=1",
    "-Dhazelcast.max.no.heartbeat.seconds=10", "-Dpodvault.log.cluster=INFO");

  public final int port;
  public final WebClient client;
  private final Process process;
  private final Path dataDir;
  private final Map<String, String> env;
  private final List<String> jvmOptions;

  private ChildServer(Process process, int port, WebClient client, Path dataDir, Map<String, String> env, List<String> jvmOptions) {
    this.process = process;
    this.port = port;
    this.client = client;
    this.dataDir = dataDir;
    this.env = env;
    this.jvmOptions = jvmOptions;
  }

  /** Starts {@code io.podvault.Main} with the test's class path and the given environment; waits for /health. */
  public static ChildServer start(Vertx vertx, Path dataDir, Map<String, String> env) throws Exception {
    return start(vertx, dataDir, env, List.of());
  }

  /** {@link #start(Vertx, Path, Map)} with options for the JVM. */
  public static ChildServer start(Vertx vertx, Path dataDir, Map<String, String> env, List<String> jvmOptions) throws Exception {
    int port = freePort();
    List<String> line = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
    line.addAll(jvmOptions);
    line.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.podvault.Main"));
    ProcessBuilder builder = new ProcessBuilder(line)
      .redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolveSibling(dataDir.getFileName() + ".log").toFile()));
    Map<String, String> environment = new HashMap<>(env);
    environment.put("PODVAULT_HTTP_PORT", Integer.toString(port));
    environment.put("PODVAULT_DATA_DIR", dataDir.toString());
    environment.put("PODVAULT_ADMIN_USERNAME", TestServer.ADMIN);
    environment.put("PODVAULT_ADMIN_PASSWORD", TestServer.ADMIN_PASSWORD);
    environment.put("PODVAULT_CONFIG", writeEmptyConfig(dataDir).toString());
    builder.environment().putAll(environment);
    Process process = builder.start();
    WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("localhost").setDefaultPort(port));
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("podvault exited with " + process.exitValue() + "; see " + dataDir + ".log");
      }
      try {
        if (Await.result(client.get("/health").send()).statusCode() == 200) {
          return new ChildServer(process, port, client, dataDir, env, jvmOptions);
        }
      } catch (RuntimeException notYet) {
        // not listening yet
      }
      if (System.currentTimeMillis() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("podvault did not come up; see " + dataDir + ".log");
      }
      Thread.sleep(200);
    }
  }

  /**
   * {@code count} nodes of one cluster on {@code db}, started side by side, each listing every member port, sharing the
   * backup folder {@code dir/shared-backups}; node N keeps its data in {@code dir/node-N}.
   */
  public static List<ChildServer> startCluster(Vertx vertx, DbCoordinates db, Path dir, int count) throws Exception {
    List<Integer> ports = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      ports.add(freePort());
    }
    String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
    List<java.util.concurrent.CompletableFuture<ChildServer>> starting = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      Map<String, String> env = clusterEnv(db, ports.get(i), members, dir.resolve("shared-backups"));
      Path data = dir.resolve("node-" + (i + 1));
      starting.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return start(vertx, data, env, CLUSTER_NODE);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    List<ChildServer> nodes = new java.util.ArrayList<>();
    for (var node : starting) {
      nodes.add(node.join());
    }
    return nodes;
  }

  /** The environment of a cluster node on {@code db}: its member port, the members, the backup folder. */
  public static Map<String, String> clusterEnv(DbCoordinates db, int port, String members, Path backups) {
    return Map.of("PODVAULT_DB_URL", TestPostgres.url(db), "PODVAULT_CLUSTER_HOST", "127.0.0.1",
      "PODVAULT_CLUSTER_PORT", Integer.toString(port), "PODVAULT_CLUSTER_MEMBERS", members,
      "PODVAULT_BACKUP_DIR", backups.toString());
  }

  /** What a command of the command line printed, and its exit code. */
  public record CommandResult(int exitCode, String out, String err) {
  }

  /**
   * Runs {@code java -jar podvault.jar ARGS} as a process of its own (with the test's class path), with the same
   * environment and configuration as a server {@link #start}ed on {@code dataDir}; waits for it to end.
   */
  public static CommandResult command(Path dataDir, Map<String, String> env, String... args) throws Exception {
    List<String> line = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.podvault.Main"));
    line.addAll(List.of(args));
    Path out = Files.createTempFile("podvault-command", ".out");
    Path err = Files.createTempFile("podvault-command", ".err");
    ProcessBuilder builder = new ProcessBuilder(line).redirectOutput(out.toFile()).redirectError(err.toFile())
      .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().putAll(env);
    builder.environment().put("PODVAULT_DATA_DIR", dataDir.toString());
    builder.environment().put("PODVAULT_CONFIG", writeEmptyConfig(dataDir).toString());
    Process process = builder.start();
    if (!process.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("podvault " + String.join(" ", args) + " did not end within 5 minutes");
    }
    try {
      return new CommandResult(process.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static Path writeEmptyConfig(Path dataDir) throws IOException {
    Path config = dataDir.resolveSibling(dataDir.getFileName() + "-config.json");
    Files.writeString(config, new JsonObject().encode());
    return config;
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  public long pid() {
    return process.pid();
  }

  /** Signs the administrator in; while a restore swaps the data in, the server says 503 "try again". */
  public String adminToken() throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      var response = Await.result(client.post("/api/auth/login")
        .sendJsonObject(new JsonObject().put("username", TestServer.ADMIN).put("password", TestServer.ADMIN_PASSWORD)));
      if (response.statusCode() == 200) {
        return response.bodyAsJsonObject().getString("token");
      }
      if (response.statusCode() != 503 || attempt == 200) {
        throw new IllegalStateException("sign-in gave " + response.statusCode() + " " + response.bodyAsString());
      }
      Thread.sleep(50);
    }
  }

  /** The same server started again, on its data folder, after it has ended; on an HTTP port of its own. */
  public ChildServer restart(Vertx vertx) throws Exception {
    return start(vertx, dataDir, env, jvmOptions);
  }

  /** SIGSTOP: the process stays, silent, its connections open, as a node cut off from the others would. */
  public void suspend() throws Exception {
    signal("STOP");
  }

  /** SIGCONT: a suspended process runs on. */
  public void resume() throws Exception {
    signal("CONT");
  }

  private void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  /** SIGKILL: no shutdown hook runs, nothing is cleaned. Harmless on a process that has already ended. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
    client.close();
  }

  /** SIGTERM: the clean stop. */
  public int stop() throws InterruptedException {
    process.destroy();
    int code = process.waitFor();
    client.close();
    return code;
  }
}
