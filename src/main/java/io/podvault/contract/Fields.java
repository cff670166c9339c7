package io.podvault.contract;

/** Field names of job messages and of the job event (DESIGN.md's WebSocket contract). */
public final class Fields {

  public static final String TYPE = "type";
  public static final String JOB_ID = "job_id";
  public static final String KIND = "kind";
  public static final String STATE = "state";
  public static final String PHASE = "phase";
  /** The words the page shows for the phase, and what its steps count: see {@link Phase}. */
  public static final String PHASE_TEXT = "phase_text";
  public static final String PHASE_STEPS = "phase_steps";
  public static final String TABLE = "table";
  public static final String TABLE_ROWS_DONE = "table_rows_done";
  public static final String TABLE_ROWS_TOTAL = "table_rows_total";
  public static final String ROWS_DONE = "rows_done";
  public static final String ROWS_TOTAL = "rows_total";
  public static final String TABLES_DONE = "tables_done";
  public static final String TABLES_TOTAL = "tables_total";
  /** A file without row counts (a PinePods backup) is checked by bytes. */
  public static final String BYTES_DONE = "bytes_done";
  public static final String BYTES_TOTAL = "bytes_total";
  public static final String STARTED_BY = "started_by";
  public static final String STARTED_AT = "started_at";
  public static final String FINISHED_AT = "finished_at";
  public static final String ERROR = "error";
  public static final String REASON = "reason";

  /** Job requests. */
  public static final String DATABASE_PASS = "database_pass";
  /** The kind of backup file a backup writes or a restore read: {@code podvault} or {@code pinepods}. */
  public static final String FORMAT = "format";
  public static final String STREAM_ADDRESS = "stream_address";
  public static final String FILE = "file";
  public static final String BYTES = "bytes";
  public static final String CODE = "code";
  /** Where a restore's verdict on its upload goes: the job id and format, or the failure's code and error. */
  public static final String VERDICT_ADDRESS = "verdict_address";
  /** How far an upload has come: still storing, complete, or cancelled. */
  public static final String UPLOAD_STATE = "upload_state";
  public static final String UPLOAD_STORING = "storing";
  public static final String UPLOAD_COMPLETE = "complete";
  public static final String UPLOAD_CANCELLED = "cancelled";

  /** Header of a download-stream message: what it carries. */
  public static final String STREAM_PART = "part";
  public static final String PART_DATA = "data";
  public static final String PART_END = "end";
  public static final String PART_FAIL = "fail";

  public static final String KIND_BACKUP = "backup";
  public static final String KIND_RESTORE = "restore";
  public static final String STATE_RUNNING = "running";
  public static final String STATE_SUCCEEDED = "succeeded";
  public static final String STATE_FAILED = "failed";

  private Fields() {
  }
}
