package io.podvault.restore;

import io.podvault.db.Sql;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * One table's rows in a restore: where they begin in the stored file, how far the validator has checked them
 * ({@link #checked}), and, once they end, where and how many. The loader's fields are guarded by the loader.
 */
final class TableLoad {

  private static final int COPY_CHUNK_BYTES = 256 * 1024;

  final String table;
  final List<String> columns;
  final long start;
  final Watermark checked = new Watermark();
  long end = -1;
  long rows = -1;
  long bytesLoaded;
  long rowsReported;
  boolean done;

  TableLoad(String table, List<String> columns, long start) {
    this.table = table;
    this.columns = columns;
    this.start = start;
  }

  /** The rows loaded so far, estimated from the bytes; known only once the rows have ended. */
  long rowsLoaded() {
    return rows * bytesLoaded / Math.max(1, end - start);
  }

  /**
   * Copies the rows from the stored file into {@code schema}'s table, in a transaction of its own with FREEZE,
   * reading only up to where the validator has checked and waiting for more until the rows end. Columns the
   * file does not fill take their defaults.
   *
   * @param copied told how many of the table's bytes are loaded, as they are
   */
  void copy(Connection c, String schema, Path file, long stallMillis, LongConsumer copied) throws SQLException, IOException {
    String name = Sql.qualified(schema, table);
    String columnList = String.join(", ", columns.stream().map(Sql::ident).toList());
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      // Emptied in this transaction, so COPY may write the rows already frozen.
      s.execute("TRUNCATE " + name);
    }
    CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + name + " (" + columnList + ") FROM STDIN WITH (FREEZE)");
    ByteBuffer buffer = ByteBuffer.allocate(COPY_CHUNK_BYTES);
    long at = start;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      while (true) {
        long upTo = checked.await(at, stallMillis, "the check of the file stalled in table " + table);
        if (upTo == at) {
          break;
        }
        while (at < upTo) {
          buffer.clear().limit((int) Math.min(COPY_CHUNK_BYTES, upTo - at));
          int n = channel.read(buffer, at);
          if (n < 0) {
            throw new IOException("the stored upload ended early; was it changed on disk?");
          }
          copy.writeToCopy(buffer.array(), 0, n);
          at += n;
          copied.accept(at - start);
        }
      }
      long loaded = copy.endCopy();
      if (loaded != rows) {
        throw new SQLException("loaded " + loaded + " rows where the file holds " + rows);
      }
    } finally {
      if (copy.isActive()) {
        // A failed load fails the restore, and its connection serves nothing more: closing it ends the COPY and its
        // transaction on the server. pgjdbc's cancelCopy (42.7.8, and 42.7.10 alike) reads replies until the copy is
        // released; once another thread has closed the connection (an aborted restore closes its connections under
        // their statements), each read fails at once with "PGStream is closed", which it chains to the others and
        // reads again, for ever. A restore whose upload was cut at that moment filled the heap with 1.28 million
        // such exceptions in half a minute.
        try {
          c.close();
        } catch (SQLException alreadyBroken) {
          // the session is over either way
        }
      }
    }
    c.commit();
    c.setAutoCommit(true);
  }
}
