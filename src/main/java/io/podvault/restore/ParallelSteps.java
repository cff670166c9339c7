package io.podvault.restore;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs a restore's database steps side by side, one connection per thread. Steps
 * come from outside while the pool runs (a table's load as the validator reaches its rows) and from steps
 * themselves (a table's keys and indexes once its rows are in), so no connection waits for the slowest
 * table of a phase. The first failure stops the others: their connections are closed under them.
 */
final class ParallelSteps {

  /** One step on a connection of its own thread; returns the steps it makes ready. */
  interface Step {
    List<Step> run(Connection c) throws SQLException, IOException;
  }

  /** Opens a connection that {@link #abort} can close. */
  interface Connections {
    Connection open() throws SQLException;

    void abort();
  }

  private final Connections connections;
  private final Runnable failed;
  private final ExecutorService pool;
  private final Deque<Step> ready = new ArrayDeque<>();
  /** Steps queued or running. */
  private int unfinished;
  /** Set once no more steps come from outside: the work is then done when none is unfinished. */
  private boolean closed;
  private Exception failure;

  /**
   * Starts {@code threads} threads, each with its connection, waiting for steps; {@code failed} hears of the
   * first step that fails.
   */
  ParallelSteps(int threads, Connections connections, Runnable failed) {
    this.connections = connections;
    this.failed = failed;
    this.pool = Executors.newFixedThreadPool(threads, r -> new Thread(r, "podvault-restore-worker"));
    for (int i = 0; i < threads; i++) {
      pool.execute(this::drain);
    }
  }

  /** Queues a step behind those already queued. */
  synchronized void submit(Step step) {
    ready.add(step);
    unfinished++;
    notifyAll();
  }

  /** The first failure of a step so far, or null. */
  synchronized Exception failure() {
    return failure;
  }

  /**
   * Waits until every step, including those the steps release, is done; no more come from outside. Throws the
   * first failure.
   */
  void finish() throws SQLException, IOException {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    pool.shutdown();
    awaitStopped();
    throwFailure();
  }

  /** Stops every step: running ones fail as their connections close, queued ones never start. */
  void abort(Exception why) {
    synchronized (this) {
      closed = true;
      if (failure == null) {
        failure = why;
      }
      notifyAll();
    }
    connections.abort();
    pool.shutdown();
  }

  /** Waits until no step runs any more, after {@link #abort}. */
  void awaitStopped() {
    try {
      while (!pool.awaitTermination(1, TimeUnit.MINUTES)) {
        // a statement on a closed connection ends soon
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void drain() {
    try (Connection c = connections.open()) {
      Step step;
      while ((step = next()) != null) {
        done(step.run(c));
      }
    } catch (SQLException | IOException | RuntimeException e) {
      if (fail(e)) {
        // The others stop at once: their statements fail as their connections close.
        connections.abort();
        failed.run();
      }
    }
  }

  /** The next step, waiting while more may come; null when all is done or failed. */
  private synchronized Step next() {
    while (ready.isEmpty() && !(closed && unfinished == 0) && failure == null) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return failure != null ? null : ready.poll();
  }

  /**
   * Steps a step releases go first: a table's indexes are built while the next table's load, which would only
   * wait for the validator, can catch up later from the file.
   */
  private synchronized void done(List<Step> released) {
    for (int i = released.size() - 1; i >= 0; i--) {
      ready.addFirst(released.get(i));
    }
    unfinished += released.size() - 1;
    notifyAll();
  }

  /** Records a failure; true for the first one, which is the one reported. */
  private synchronized boolean fail(Exception e) {
    notifyAll();
    if (failure != null) {
      return false;
    }
    failure = e;
    return true;
  }

  private synchronized void throwFailure() throws SQLException, IOException {
    if (failure instanceof SQLException sql) {
      throw sql;
    }
    if (failure instanceof IOException io) {
      throw io;
    }
    if (failure != null) {
      throw (RuntimeException) failure;
    }
  }
}
