-- The schedule of backups into the server's backup folder: one row, in podvault's own schema, so a restore never
-- changes it (PinePods' "ScheduledBackups" rows stay data, and PinePods' own scheduler is never triggered).
-- last_run is when the last scheduled run was started; the process that sets it, in the same transaction that
-- found the run due, is the one that runs it, so several processes on one database run it once.
CREATE TABLE backup_schedule (
  id integer PRIMARY KEY CHECK (id = 1),
  cron_schedule text NOT NULL,
  enabled boolean NOT NULL,
  retention_count integer CHECK (retention_count IS NULL OR retention_count >= 1),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_run timestamptz,
  last_job uuid,
  -- why the last scheduled run could not start (another job was running, the folder could not be written)
  last_error text
);
