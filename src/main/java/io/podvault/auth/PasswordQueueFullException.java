package io.podvault.auth;

/** Every password-hashing slot is taken; the request may be tried again in a moment. */
public final class PasswordQueueFullException extends RuntimeException {

  public PasswordQueueFullException() {
    super("the password hashing queue is full", null, false, false);
  }
}
