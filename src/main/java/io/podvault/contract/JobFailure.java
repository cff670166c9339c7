package io.podvault.contract;

/**
 * Why a job request was refused or a job failed; travels as the event-bus failure code
 * ({@code message.fail(failure.wireCode(), text)}) and maps to the HTTP status and error code the web layer
 * answers with. Wire codes are fixed values: reordering the constants changes nothing on the bus.
 */
public enum JobFailure {
  WRONG_DATABASE_PASSWORD(1, 403, "wrong_database_password"),
  BACKUP_PASSWORD_MISMATCH(2, 403, "backup_password_mismatch"),
  JOB_RUNNING(3, 409, "job_running"),
  INVALID_BACKUP(4, 400, "invalid_backup"),
  DATABASE_UNAVAILABLE(5, 503, "database_unavailable"),
  CLIENT_GONE(6, 499, "client_gone"),
  INTERNAL(7, 500, "internal_error"),
  /** The live schema differs from podvault's migrations (changed by hand): no job may run on it. */
  SCHEMA_MISMATCH(8, 409, "schema_mismatch"),
  /** The backup's password opened its seal but is not this server's: this server's password must be given too. */
  SERVER_PASSWORD_REQUIRED(9, 403, "server_database_pass_required"),
  /** A newer podvault has migrated the schema past what this node knows (a rolling upgrade): upgrade this node. */
  NODE_OUTDATED(10, 409, "node_outdated"),
  /** This node sees too few of the cluster's members to know that it is not cut off from them: it starts no job. */
  CLUSTER_MINORITY(11, 503, "cluster_minority");

  private final int wireCode;
  private final int httpStatus;
  private final String code;

  JobFailure(int wireCode, int httpStatus, String code) {
    this.wireCode = wireCode;
    this.httpStatus = httpStatus;
    this.code = code;
  }

  public int wireCode() {
    return wireCode;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String code() {
    return code;
  }

  /** The failure a wire code names; an unknown one is an internal failure. */
  public static JobFailure fromWireCode(int wireCode) {
    for (JobFailure failure : values()) {
      if (failure.wireCode == wireCode) {
        return failure;
      }
    }
    return INTERNAL;
  }
}
