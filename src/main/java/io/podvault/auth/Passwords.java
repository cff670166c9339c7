package io.podvault.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

/**
 * Runs argon2id off the event loop on two threads of its own: each hash takes 64 MiB, so the pool size
 * bounds both memory and the rate at which anyone can guess.
 */
public final class Passwords {

  /** Verified against when the user does not exist, so an unknown name costs the same time as a known one. */
  private static final String UNKNOWN_USER_HASH =
    "$argon2id$v=19$m=65536,t=3,p=4$cGluZXBvZHMtc2FsdC0xNg$UzuEDvR4GpqGhSP7j6LlkHT+Bt5g2P04L/DLlQWXL5s";

  private final WorkerExecutor executor;

  public Passwords(Vertx vertx) {
    this.executor = vertx.createSharedWorkerExecutor("podvault-passwords", 2);
  }

  public Future<String> hash(String password) {
    return executor.executeBlocking(() -> PasswordHasher.hash(password), false);
  }

  /** Checks the password against the stored hash, or against a decoy when there is no account. */
  public Future<Boolean> verify(String storedHash, String password) {
    String hash = storedHash != null ? storedHash : UNKNOWN_USER_HASH;
    return executor.executeBlocking(() -> PasswordHasher.verify(hash, password) && storedHash != null, false);
  }

  public Future<Void> close() {
    return executor.close();
  }
}
