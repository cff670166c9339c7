package io.podvault.restore;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a restore's database steps side by side, one connection per thread, in the order given; a step may
 * release follow-up steps when it is done (a table's keys and indexes once its rows are in), so no
 * connection waits for the slowest table of a phase. The first failure stops the others: their connections
 * are closed under them.
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

  private final Deque<Step> ready = new ArrayDeque<>();
  /** Steps queued or running; the work is done when none is left. */
  private int unfinished;
  private Exception failure;

  private ParallelSteps(List<Step> steps) {
    ready.addAll(steps);
    unfinished = steps.size();
  }

  static void run(int threads, Connections connections, List<Step> steps) throws SQLException, IOException {
    ParallelSteps work = new ParallelSteps(steps);
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> new Thread(r, "podvault-restore-worker"));
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        workers.add(pool.submit(() -> work.drain(connections)));
      }
      for (Future<?> worker : workers) {
        worker.get();
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      connections.abort();
      throw new IOException("the restore was interrupted");
    } finally {
      pool.shutdownNow();
    }
    work.throwFailure();
  }

  private void drain(Connections connections) {
    try (Connection c = connections.open()) {
      Step step;
      while ((step = next()) != null) {
        done(step.run(c));
      }
    } catch (SQLException | IOException | RuntimeException e) {
      if (fail(e)) {
        // The others stop at once: their statements fail as their connections close.
        connections.abort();
      }
    }
  }

  /** The next step, waiting while others run that may release more; null when all is done or failed. */
  private synchronized Step next() {
    while (ready.isEmpty() && unfinished > 0 && failure == null) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return failure != null ? null : ready.poll();
  }

  private synchronized void done(List<Step> released) {
    ready.addAll(released);
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
