package io.podvault;

import io.podvault.cli.Cli;
import io.podvault.cluster.ClusteredVertx;
import io.podvault.cluster.Fence;
import io.podvault.cluster.Majority;
import io.podvault.config.ClusterSettings;
import io.podvault.config.Config;
import io.podvault.config.ConfigException;
import io.podvault.db.Connections;
import io.podvault.db.SchemaRefusedException;
import io.podvault.metrics.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts podvault; SIGTERM or Ctrl-C stops it cleanly, embedded database included. With a command ({@code backup},
 * {@code restore}, {@code verify}, {@code list}, {@code --help}) it runs that instead ({@link Cli}).
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) {
    if (args.length > 0) {
      System.exit(Cli.run(args));
      return;
    }
    Config config;
    try {
      config = Config.load(System.getenv());
    } catch (ConfigException e) {
      System.err.println("podvault: cannot start: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Vert.x's HTTP and event-bus figures go to the registry that GET /metrics serves, beside podvault's own.
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true));
    VertxBuilder builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(Metrics.registry()));
    ClusterSettings cluster = config.cluster();
    Vertx vertx;
    Fence fence = null;
    if (cluster == null) {
      vertx = builder.with(options).build();
    } else {
      try {
        ClusteredVertx.Node node = ClusteredVertx.start(builder, options, cluster, config.externalDatabase())
          .toCompletionStage().toCompletableFuture().get();
        vertx = node.vertx();
        fence = node.fence();
      } catch (Exception e) {
        LOG.error("podvault could not join the cluster {}: {}", cluster.members(), e.getMessage(), e);
        System.exit(1);
        return;
      }
      LOG.info("Joined the cluster as {}:{} (members {}); this node's database sessions are named '{}'", cluster.host(),
        cluster.port(), cluster.members(), Connections.applicationName());
    }
    CompletableFuture<Podvault> started = new CompletableFuture<>();
    Fence leaving = fence;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(vertx, leaving, started), "podvault-shutdown"));
    Podvault.start(vertx, config, fence == null ? Majority.ALWAYS : fence)
      .onSuccess(started::complete)
      .onFailure(e -> {
        if (e instanceof SchemaRefusedException) {
          LOG.error("podvault could not start: {}", e.getMessage());
        } else {
          LOG.error("podvault could not start: {}", e.getMessage(), e);
        }
        started.completeExceptionally(e);
        vertx.close().onComplete(v -> System.exit(1));
      });
  }

  private static void shutdown(Vertx vertx, Fence fence, CompletableFuture<Podvault> started) {
    try {
      if (fence != null) {
        // Before anything stops: the other nodes then see this one leave on purpose, and do not fence it.
        fence.leave();
      }
      // A start that failed has stopped what it started already.
      Podvault podvault = started.isCompletedExceptionally() ? null : started.getNow(null);
      if (podvault != null) {
        LOG.info("Stopping podvault");
        podvault.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("podvault did not stop cleanly: {}", e.toString());
    }
  }
}
