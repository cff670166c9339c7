package io.podvault.dump;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.CopyOutConnection;
import io.podvault.db.Migrations;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of the next backup, opened before it is asked for: its snapshot connection and its row readers.
 * Signing in three connections took a backup 30-60 ms, and a new server process reads the catalog's rows slower
 * than one that has read them before (its caches are empty), so the snapshot connection reads the catalog once, in
 * a transaction it then rolls back. Each set serves one backup, which closes it; the next is opened once a backup
 * ends and when the server is up ({@link #prepare}), on a thread of its own. A set that no longer answers (the
 * database restarted, or ended idle sessions) is closed and the backup opens its own, as it does when there is
 * none.
 */
public final class BackupConnections {

  private static final Logger LOG = LoggerFactory.getLogger(BackupConnections.class);

  /** One backup's connections; whoever takes them closes them. */
  public record Ready(Connection snapshot, List<CopyOutConnection> readers) {

    void close() {
      readers.forEach(CopyOutConnection::close);
      if (snapshot != null) {
        try {
          snapshot.close();
        } catch (SQLException ignored) {
          // a broken connection: the server has ended its session
        }
      }
    }
  }

  private final DbCoordinates db;
  private final int readers;
  private final ExecutorService opener = Executors.newSingleThreadExecutor(r -> {
    Thread thread = new Thread(r, "podvault-backup-connections");
    thread.setDaemon(true);
    return thread;
  });
  private Future<Ready> next;
  private boolean closed;

  public BackupConnections(DbCoordinates db, int readers) {
    this.db = db;
    this.readers = readers;
  }

  /** Starts opening the next backup's connections unless they are open or being opened; returns at once. */
  public synchronized void prepare() {
    if (!closed && next == null) {
      next = opener.submit(this::open);
    }
  }

  /**
   * The connections opened beforehand (waiting for them if they are being opened), or null when there are none or
   * they no longer answer; the caller then opens its own.
   */
  public Ready take() {
    Future<Ready> opening;
    synchronized (this) {
      opening = next;
      next = null;
    }
    if (opening == null) {
      return null;
    }
    Ready ready;
    try {
      ready = opening.get();
    } catch (ExecutionException e) {
      LOG.debug("The backup's connections could not be opened beforehand: {}", e.getCause().toString());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    if (!answers(ready)) {
      ready.close();
      return null;
    }
    return ready;
  }

  /** Closes the connections kept for the next backup; none are opened after this. */
  public void close() {
    Future<Ready> opening;
    synchronized (this) {
      closed = true;
      opening = next;
      next = null;
    }
    opener.shutdown();
    if (opening != null) {
      try {
        opening.get().close();
      } catch (ExecutionException e) {
        // nothing was opened
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Ready open() throws SQLException {
    List<CopyOutConnection> copies = new ArrayList<>();
    Connection snapshot = null;
    try {
      snapshot = Connections.open(db, Connections.Kind.SNAPSHOT);
      for (int i = 0; i < readers; i++) {
        copies.add(Connections.copyOut(db));
      }
      readCatalog(snapshot);
      return new Ready(snapshot, copies);
    } catch (SQLException | RuntimeException e) {
      new Ready(snapshot, copies).close();
      throw e;
    }
  }

  /** Reads the catalog as a backup does, in a transaction that ends at once, so that the server's caches hold it. */
  private static void readCatalog(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      try {
        new CatalogReader(c, Migrations.APP_SCHEMA).read();
      } finally {
        s.execute("ROLLBACK");
      }
    }
  }

  /** One round trip on each connection. */
  private static boolean answers(Ready ready) {
    try {
      if (!ready.snapshot().isValid(5)) {
        return false;
      }
      for (CopyOutConnection c : ready.readers()) {
        c.execute("");
      }
      return true;
    } catch (SQLException | IOException e) {
      return false;
    }
  }
}
