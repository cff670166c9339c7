package io.podvault.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Tells {@code bench/run.sh} when a restore has ended, the way the Settings page learns it: over the WebSocket,
 * from the job's last event or from the sign-out that follows the swap. Asking for the job's state instead
 * would start a process many times a second on the cores the timed restore runs on (about a second of a
 * 4-second restore on two cores, measured against a wait that costs nothing).
 *
 * <p>One process serves the whole benchmark, so no timed run waits for a JVM to start. It reads commands on
 * standard input and answers on standard output, a line each:
 * <ul>
 *   <li>{@code watch TOKEN}: opens a socket to the server given as the argument and sends the token; answers
 *   {@code ready}, or {@code error REASON};</li>
 *   <li>then, when a restore ends: {@code done STATE SECONDS}, STATE being {@code succeeded}, {@code failed} or
 *   {@code signout}, and SECONDS the wall-clock time it was seen, as bash's {@code $EPOCHREALTIME} gives it;
 *   or {@code error REASON} if the socket closes first.</li>
 * </ul>
 */
public final class JobWatch {

  private JobWatch() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: JobWatch http://HOST:PORT");
      System.exit(2);
    }
    URI base = URI.create(args[0]);
    Vertx vertx = Vertx.vertx();
    WebSocketClient client = vertx.createWebSocketClient();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (!line.startsWith("watch ")) {
        answer("error unknown command: " + line);
        continue;
      }
      try {
        WebSocket socket = client.connect(new WebSocketConnectOptions()
            .setHost(base.getHost()).setPort(base.getPort()).setURI("/ws"))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        watch(socket);
        socket.writeTextMessage(new JsonObject().put("type", "auth").put("token", line.substring(6)).encode())
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        answer("ready");
      } catch (Exception e) {
        answer("error the socket did not open: " + e);
      }
    }
    vertx.close();
  }

  /** Answers once, at the first event that ends a restore, or when the socket closes before one. */
  private static void watch(WebSocket socket) {
    boolean[] answered = {false};
    socket.textMessageHandler(text -> {
      JsonObject event = new JsonObject(text);
      String type = event.getString("type");
      String state = event.getString("state");
      String ended = "signout".equals(type) ? "signout"
        : "job".equals(type) && "restore".equals(event.getString("kind")) && !"running".equals(state) ? state
        : null;
      if (ended != null && !answered[0]) {
        answered[0] = true;
        answer("done " + ended + " " + seconds(Instant.now()));
        socket.close();
      }
    });
    socket.closeHandler(v -> {
      if (!answered[0]) {
        answered[0] = true;
        answer("error the socket closed: " + socket.closeStatusCode() + " " + socket.closeReason());
      }
    });
  }

  private static String seconds(Instant at) {
    return at.getEpochSecond() + "." + String.format("%06d", at.getNano() / 1000);
  }

  private static synchronized void answer(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
