package io.podvault.web;

import static io.podvault.contract.Fields.DATABASE_PASS;

import io.podvault.contract.JobFailure;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;

/**
 * The password fields of one restore upload. Every restore proves knowledge of this server's database
 * password, a second factor against a stolen administrator token: {@code database_pass} (which must open the
 * backup's seal) when it is this server's, else {@code server_database_pass}. Password fields sent before the
 * file are checked before the file is read; otherwise at the end of the body. Runs on the request's event loop.
 */
final class RestorePasswords {

  static final String SERVER_PASSWORD_FIELD = "server_database_pass";
  private static final int MAX_PASSWORD_CHARS = 1024;

  private final RoutingContext ctx;
  private final DatabasePasswords databasePasswords;
  private Buffer passwordBytes;
  private String password;
  private Buffer serverPasswordBytes;
  private String serverPassword;
  /** Set once this server's database password has been proved. */
  private boolean proved;

  RestorePasswords(RoutingContext ctx, DatabasePasswords databasePasswords) {
    this.ctx = ctx;
    this.databasePasswords = databasePasswords;
  }

  /** The password fields of a JSON request (a restore of a file of the backup folder), as if uploaded before a file. */
  static RestorePasswords given(RoutingContext ctx, DatabasePasswords databasePasswords, String password, String serverPassword) {
    RestorePasswords passwords = new RestorePasswords(ctx, databasePasswords);
    passwords.password = password;
    passwords.serverPassword = serverPassword;
    return passwords;
  }

  boolean hasPassword() {
    return password != null && !password.isEmpty();
  }

  /** The {@code database_pass} field, once it has ended. */
  String password() {
    return password;
  }

  void beginPassword() {
    if (passwordBytes != null) {
      throw ApiException.badRequest("send the field 'database_pass' once");
    }
    passwordBytes = Buffer.buffer();
  }

  void appendPassword(Buffer bytes) {
    append(passwordBytes, bytes, DATABASE_PASS);
  }

  void endPassword() {
    password = text(passwordBytes, DATABASE_PASS);
  }

  void beginServerPassword() {
    if (serverPasswordBytes != null) {
      throw ApiException.badRequest("send the field '" + SERVER_PASSWORD_FIELD + "' once");
    }
    serverPasswordBytes = Buffer.buffer();
  }

  void appendServerPassword(Buffer bytes) {
    append(serverPasswordBytes, bytes, SERVER_PASSWORD_FIELD);
  }

  void endServerPassword() {
    serverPassword = text(serverPasswordBytes, SERVER_PASSWORD_FIELD);
  }

  /**
   * Refuses the restore unless the request proves this server's database password: {@code database_pass} when
   * it is this server's (it must also open the seal, which the job checks), else {@code server_database_pass}.
   * A failed proof counts against the caller like a wrong password for a backup.
   */
  void proveServerPassword() {
    if (proved || databasePasswords.isThisServers(password)) {
      proved = true;
      return;
    }
    if (serverPassword == null || serverPassword.isEmpty()) {
      databasePasswords.record(ctx);
      throw new ApiException(JobFailure.SERVER_PASSWORD_REQUIRED.httpStatus(), JobFailure.SERVER_PASSWORD_REQUIRED.code(),
        "the password entered is not this server's database password; if the backup comes from another server, also "
          + "enter this server's database password (field '" + SERVER_PASSWORD_FIELD + "'), otherwise check the password");
    }
    if (!databasePasswords.matches(ctx, serverPassword)) {
      throw new ApiException(JobFailure.WRONG_DATABASE_PASSWORD.httpStatus(), JobFailure.WRONG_DATABASE_PASSWORD.code(),
        "the field '" + SERVER_PASSWORD_FIELD + "' is not this server's database password");
    }
    proved = true;
  }

  private static void append(Buffer field, Buffer bytes, String name) {
    if (field.length() + bytes.length() > MAX_PASSWORD_CHARS * 4) {
      throw tooLong(name);
    }
    field.appendBuffer(bytes);
  }

  private static String text(Buffer field, String name) {
    String text = field.toString(StandardCharsets.UTF_8);
    if (text.length() > MAX_PASSWORD_CHARS) {
      throw tooLong(name);
    }
    return text;
  }

  private static ApiException tooLong(String name) {
    return ApiException.badRequest("the field '" + name + "' is longer than " + MAX_PASSWORD_CHARS + " characters");
  }
}
