package io.podvault.web;

import static io.podvault.contract.Fields.*;

import io.podvault.auth.Principal;
import io.podvault.auth.TokenService;
import io.podvault.db.DatabaseUnavailableException;
import io.podvault.contract.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /ws}: pushes job progress to every signed-in administrator and the sign-out to everyone.
 * A socket must authenticate with its first frame. Progress is coalesced per job (about ten events a
 * second, but every table, phase and end shown, and the latest state again each second while a job
 * runs); a socket that cannot keep up keeps only the newest event per job, so a slow or dead client never
 * holds up the job or the others. Every few seconds one query re-checks the signed-in sockets' sessions, and a
 * socket whose session ended (expired, ended by another process, its user deleted) or whose user's role changed
 * is closed; the page then asks the server where it stands. Runs on the web verticle's event loop only.
 */
final class WebSocketHub {

  private static final Logger LOG = LoggerFactory.getLogger(WebSocketHub.class);
  static final long AUTH_TIMEOUT_MILLIS = 5_000;
  static final long MIN_INTERVAL_MILLIS = 100;
  static final long HEARTBEAT_MILLIS = 1_000;
  private static final long SESSION_CHECK_MILLIS = 3_000;
  private static final long PING_MILLIS = 20_000;
  private static final long DEAD_AFTER_MILLIS = 60_000;
  private static final short POLICY_VIOLATION = 1008;
  /** RFC 6455's registry: a server that cannot answer now; the page retries instead of signing out. */
  private static final short TRY_AGAIN_LATER = 1013;
  /** When the hub sent an event (epoch milliseconds), so clients can tell pacing from network delay. */
  static final String SENT_AT = "sent_at";
  private static final String LATEST_RUNNING_JOB =
    "SELECT progress FROM podvault.jobs WHERE state = 'running' ORDER BY started_at DESC LIMIT 1";

  private final Vertx vertx;
  private final TokenService tokens;
  private final Pool pool;
  private final Map<ServerWebSocket, Client> clients = new HashMap<>();
  private final Map<String, JobStream> jobs = new LinkedHashMap<>();
  /** The restores whose sign-out was sent, the latest few. */
  private final Set<String> restoresSignedOut = Collections.newSetFromMap(new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > 16;
    }
  });
  /** The key's generation at the last session check; -1 before the first. */
  private long checkedGeneration = -1;

  WebSocketHub(Vertx vertx, TokenService tokens, Pool pool) {
    this.vertx = vertx;
    this.tokens = tokens;
    this.pool = pool;
    vertx.eventBus().<JsonObject>consumer(Addresses.PROGRESS, message -> onProgress(message.body()));
    vertx.eventBus().<JsonObject>consumer(Addresses.SIGNOUT, message -> signOutEveryone(message.body()));
    vertx.eventBus().<JsonObject>consumer(Addresses.SESSION_ENDED, message -> signOutSession(message.body()));
    vertx.setPeriodic(HEARTBEAT_MILLIS, id -> heartbeat());
    vertx.setPeriodic(PING_MILLIS, id -> pingAll());
    vertx.setPeriodic(SESSION_CHECK_MILLIS, id -> checkSessions());
  }

  /** One socket, from its upgrade on. */
  void accept(ServerWebSocket socket) {
    Client client = new Client(socket);
    clients.put(socket, client);
    long authTimer = vertx.setTimer(AUTH_TIMEOUT_MILLIS, id -> {
      if (client.principal == null) {
        socket.close(POLICY_VIOLATION, "authenticate with your first frame");
      }
    });
    socket.closeHandler(v -> {
      vertx.cancelTimer(authTimer);
      clients.remove(socket);
    });
    socket.exceptionHandler(e -> LOG.debug("WebSocket error: {}", e.toString()));
    socket.pongHandler(pong -> client.lastPong = System.currentTimeMillis());
    socket.textMessageHandler(text -> {
      if (client.principal != null || client.authenticating) {
        return;
      }
      client.authenticating = true;
      String token;
      try {
        JsonObject frame = new JsonObject(text);
        token = "auth".equals(frame.getString(TYPE)) ? frame.getString("token") : null;
      } catch (DecodeException | ClassCastException e) {
        token = null;
      }
      if (token == null) {
        socket.close(POLICY_VIOLATION, "the first frame must be {\"type\":\"auth\",\"token\":...}");
        return;
      }
      tokens.authenticate(token)
        .onSuccess(principal -> {
          vertx.cancelTimer(authTimer);
          client.principal = principal;
          if (principal.admin()) {
            sendLatestState(client);
          }
        })
        .onFailure(e -> {
          if (e instanceof DatabaseUnavailableException) {
            socket.close(TRY_AGAIN_LATER, "the database cannot be reached; try again shortly");
          } else {
            socket.close(POLICY_VIOLATION, "the token is not valid; sign in again");
          }
        });
    });
  }

  /** A late joiner first sees where a running job stands. */
  private void sendLatestState(Client client) {
    JobStream running = jobs.values().stream()
      .filter(j -> STATE_RUNNING.equals(j.latest.getString(STATE))).reduce((a, b) -> b).orElse(null);
    if (running != null) {
      client.send(running.latest);
      return;
    }
    pool.query(LATEST_RUNNING_JOB).execute().onSuccess(rows -> {
      if (rows.size() > 0) {
        client.send((JsonObject) rows.iterator().next().getValue("progress"));
      }
    });
  }

  private void onProgress(JsonObject event) {
    String jobId = event.getString(JOB_ID);
    JobStream job = jobs.computeIfAbsent(jobId, id -> new JobStream());
    job.offer(event);
    if (!STATE_RUNNING.equals(event.getString(STATE))) {
      jobs.remove(jobId);
    }
  }

  private void heartbeat() {
    long now = System.currentTimeMillis();
    for (JobStream job : jobs.values()) {
      if (job.pending == null && now - job.lastSent >= HEARTBEAT_MILLIS) {
        job.sendNow(job.latest);
      }
    }
  }

  private void pingAll() {
    long now = System.currentTimeMillis();
    for (Client client : clients.values().toArray(new Client[0])) {
      if (now - client.lastPong > DEAD_AFTER_MILLIS) {
        client.socket.close((short) 1001, "no answer to pings");
      } else {
        client.socket.writePing(Buffer.buffer("podvault"));
      }
    }
  }

  private void checkSessions() {
    List<Client> signedIn = clients.values().stream().filter(c -> c.principal != null && !c.signedOut).toList();
    if (signedIn.isEmpty()) {
      return;
    }
    tokens.liveSessions(signedIn.stream().map(c -> c.principal.sessionId()).collect(Collectors.toSet()))
      .onSuccess(live -> {
        boolean rotated = checkedGeneration >= 0 && live.generation() != checkedGeneration;
        checkedGeneration = live.generation();
        if (rotated) {
          // A restore has just swapped the data in: its own sign-out, with the restore's notice, is on its way.
          return;
        }
        for (Client client : signedIn) {
          if (client.signedOut) {
            continue;
          }
          Boolean admin = live.adminBySession().get(client.principal.sessionId());
          if (admin == null) {
            client.socket.close(POLICY_VIOLATION, "your session has ended");
          } else if (admin != client.principal.admin()) {
            client.socket.close(POLICY_VIOLATION, "your role changed; reload the page");
          }
        }
      })
      // Nothing is closed for a database that cannot answer: the sessions may well be fine.
      .onFailure(e -> LOG.debug("Sessions not checked: {}", e.toString()));
  }

  /** Signs out once per restore: a restore of this process is heard on the event bus and from the database. */
  private void signOutEveryone(JsonObject event) {
    String job = event.getString(JOB_ID);
    if (job != null && !restoresSignedOut.add(job)) {
      return;
    }
    for (Client client : clients.values().toArray(new Client[0])) {
      client.signOut(event);
    }
  }

  /** Logout of one session: that session's other pages are signed out too. */
  private void signOutSession(JsonObject event) {
    String sessionId = event.getString("session_id");
    JsonObject signout = new JsonObject().put(TYPE, "signout").put(REASON, "logout");
    for (Client client : clients.values().toArray(new Client[0])) {
      if (client.principal != null && Objects.equals(sessionId, client.principal.sessionId())) {
        client.signOut(signout);
      }
    }
  }

  private void broadcastToAdmins(JsonObject event) {
    for (Client client : clients.values()) {
      if (client.principal != null && client.principal.admin()) {
        client.send(event);
      }
    }
  }

  /** Coalescing of one job's events on their way to the sockets. */
  private final class JobStream {

    private JsonObject latest = new JsonObject();
    private JsonObject pending;
    private long lastSent;
    private long timer = -1;

    void offer(JsonObject event) {
      boolean milestone = !Objects.equals(event.getString(TABLE), latest.getString(TABLE))
        || !Objects.equals(event.getString(PHASE), latest.getString(PHASE))
        || !STATE_RUNNING.equals(event.getString(STATE));
      latest = event;
      long now = System.currentTimeMillis();
      if (milestone || now - lastSent >= MIN_INTERVAL_MILLIS) {
        sendNow(event);
      } else {
        pending = event;
        if (timer < 0) {
          timer = vertx.setTimer(MIN_INTERVAL_MILLIS - (now - lastSent), id -> {
            timer = -1;
            if (pending != null) {
              sendNow(pending);
            }
          });
        }
      }
    }

    void sendNow(JsonObject event) {
      // A flush planned for an older pending event would otherwise fire early for the next one.
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      pending = null;
      lastSent = System.currentTimeMillis();
      broadcastToAdmins(event.copy().put(SENT_AT, lastSent));
    }
  }

  /** One socket: who it is, and the newest event per job it could not take yet. */
  private final class Client {

    private final ServerWebSocket socket;
    private final Map<String, JsonObject> backlog = new LinkedHashMap<>();
    private Principal principal;
    private boolean authenticating;
    private boolean signedOut;
    private long lastPong = System.currentTimeMillis();

    Client(ServerWebSocket socket) {
      this.socket = socket;
      socket.drainHandler(v -> flush());
    }

    void send(JsonObject event) {
      if (signedOut) {
        return;
      }
      if (socket.writeQueueFull() || !backlog.isEmpty()) {
        backlog.put(event.getString(JOB_ID, ""), event);
        return;
      }
      socket.writeTextMessage(event.encode());
    }

    private void flush() {
      while (!backlog.isEmpty() && !socket.writeQueueFull()) {
        String key = backlog.keySet().iterator().next();
        socket.writeTextMessage(backlog.remove(key).encode());
      }
    }

    void signOut(JsonObject event) {
      if (signedOut) {
        return;
      }
      signedOut = true;
      backlog.clear();
      socket.writeTextMessage(event.encode()).onComplete(v -> socket.close((short) 1000, "signed out"));
    }
  }
}
