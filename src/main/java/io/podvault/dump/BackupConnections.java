package io.podvault.dump;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.CopyOutConnection;
import io.podvault.db.MadeAhead;
import io.podvault.db.Migrations;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

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
  private final MadeAhead<Ready> next;

  public BackupConnections(DbCoordinates db, int readers) {
    this.db = db;
    this.readers = readers;
    this.next = new MadeAhead<>("backup connections", this::open, Ready::close);
  }

  /** Starts opening the next backup's connections unless they are open or being opened; returns at once. */
  public void prepare() {
    next.prepare();
  }

  /**
   * The connections opened beforehand (waiting for them if they are being opened), or null when there are none or
   * they no longer answer; the caller then opens its own.
   */
  public Ready take() {
    Ready ready = next.take();
    if (ready != null && !answers(ready)) {
      ready.close();
      return null;
    }
    return ready;
  }

  /** Closes the connections kept for the next backup; none are opened after this. */
  public void close() {
    next.close();
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
