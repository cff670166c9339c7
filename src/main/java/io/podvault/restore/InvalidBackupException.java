package io.podvault.restore;

import io.podvault.job.JobFailure;
import io.podvault.job.JobException;

/** An uploaded file that cannot be restored; the message tells the administrator what is wrong with it. */
public class InvalidBackupException extends JobException {

  public InvalidBackupException(String message) {
    super(JobFailure.INVALID_BACKUP, message);
  }

  public InvalidBackupException(JobFailure failure, String message) {
    super(failure, message);
  }
}
