package io.podvault.restore;

import io.podvault.dump.DumpFormat;
import java.util.List;
import java.util.Map;

/**
 * What a whole checked backup file holds, whichever format it has: where each table's rows lie in the stored
 * file and which columns they fill (the loader heard of them as they were checked, through {@link CheckedRows}),
 * and what only the end of the check gives, the values of the sequences. A table the file has no rows for stays
 * empty; a sequence it does not set keeps its start.
 *
 * @param schemaVersion the application schema version the rows fit, which the shadow schema is built at
 * @param origin what the file says of where or when it was made (for the log)
 */
public record LoadPlan(DumpFormat format, String schemaVersion, String origin, Map<String, TableRows> tables,
                       Map<String, SequenceValue> sequences) {

  /** A table's rows: from byte {@code start} of the file up to, not including, {@code end}. */
  public record TableRows(List<String> columns, long start, long end, long rows) {
  }

  public record SequenceValue(long value, boolean isCalled) {
  }
}
