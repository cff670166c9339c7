package io.podvault.restore;

import java.io.IOException;
import java.util.List;

/**
 * What a validator tells the loader while it reads a file, so that rows go into the shadow schema while the
 * rest of the file still arrives: the schema version the rows fit, where each table's rows begin, how far
 * they have been checked, and where they end. Rows are loaded only up to where they have been checked. Called
 * on the validator's thread, in file order.
 */
public interface CheckedRows {

  /** The file's rows fit podvault's schema at {@code version}. Comes before any table. */
  void schemaKnown(String version);

  /** The rows of {@code table}, filling {@code columns}, begin at byte {@code start} of the file. */
  void tableBegins(String table, List<String> columns, long start);

  /**
   * The current table's rows are checked up to byte {@code end}, where a row ends. Throws when loading has
   * failed, so the check stops too.
   */
  void checkedUpTo(long end) throws IOException, InvalidBackupException;

  /** The current table's {@code rows} rows end at byte {@code end}. */
  void tableEnds(long end, long rows);

  /** Loads nothing: the file is only checked. */
  CheckedRows NONE = new CheckedRows() {
    public void schemaKnown(String version) {
    }

    public void tableBegins(String table, List<String> columns, long start) {
    }

    public void checkedUpTo(long end) {
    }

    public void tableEnds(long end, long rows) {
    }
  };
}
