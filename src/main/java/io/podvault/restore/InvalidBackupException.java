package io.podvault.restore;

import io.podvault.contract.JobFailure;
import io.podvault.contract.JobException;

/** An uploaded file that cannot be restored; the message tells the administrator what is wrong with it. */
public class InvalidBackupException extends JobException {

  public InvalidBackupException(String message) {
    super(JobFailure.INVALID_BACKUP, message);
  }

  public InvalidBackupException(JobFailure failure, String message) {
    super(failure, message);
  }
}
