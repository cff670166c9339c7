package io.podvault.restore;

import io.podvault.dump.DumpFormat;
import java.util.List;
import java.util.Map;

/**
 * What a checked backup file gives the loader, whichever format it has: where each table's rows lie in the
 * stored file and which columns they fill, and the values of the sequences. A table the file has no rows for
 * stays empty; a sequence it does not set keeps its start.
 *
 * @param schemaVersion the application schema version the rows fit, which the shadow schema is built at
 * @param origin what the file says of where or when it was made (for the log)
 */
public record LoadPlan(DumpFormat format, String schemaVersion, String origin, Map<String, TableRows> tables,
                       Map<String, SequenceValue> sequences) {

  /** A table's rows: from byte {@code start} of the file up to, not including, {@code end}. */
  public record TableRows(List<String> columns, long start, long end, long rows) {

    public long bytes() {
      return end - start;
    }
  }

  public record SequenceValue(long value, boolean isCalled) {
  }

  public long totalRows() {
    return tables.values().stream().mapToLong(TableRows::rows).sum();
  }

  /** The rows the file holds for {@code table}: none when it holds no block for it. */
  public long rowsOf(String table) {
    TableRows rows = tables.get(table);
    return rows == null ? 0 : rows.rows();
  }
}
