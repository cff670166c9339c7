package io.podvault.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs argon2id off the event loop on two threads of its own: each hash takes 64 MiB, so the pool size
 * bounds both memory and the rate at which anyone can guess. The hashes waiting for a thread are bounded too:
 * beyond {@value #MAX_PENDING} a hash is refused at once ({@link PasswordQueueFullException}) rather than
 * queued behind minutes of work.
 */
public final class Passwords {

  /** Hashes running or waiting: about 0.2 s each on two threads, so a full queue is about three seconds of work. */
  private static final int MAX_PENDING = 32;

  /** Verified against when the user does not exist, so an unknown name costs the same time as a known one. */
  private static final String UNKNOWN_USER_HASH =
    "$argon2id$v=19$m=65536,t=3,p=4$cGluZXBvZHMtc2FsdC0xNg$UzuEDvR4GpqGhSP7j6LlkHT+Bt5g2P04L/DLlQWXL5s";

  private final WorkerExecutor executor;
  private final AtomicInteger pending = new AtomicInteger();

  public Passwords(Vertx vertx) {
    this.executor = vertx.createSharedWorkerExecutor("podvault-passwords", 2);
  }

  public Future<String> hash(String password) {
    return run(() -> PasswordHasher.hash(password));
  }

  /** Checks the password against the stored hash, or against a decoy when there is no account. */
  public Future<Boolean> verify(String storedHash, String password) {
    String hash = storedHash != null ? storedHash : UNKNOWN_USER_HASH;
    return run(() -> PasswordHasher.verify(hash, password) && storedHash != null);
  }

  public Future<Void> close() {
    return executor.close();
  }

  private <T> Future<T> run(Callable<T> hashing) {
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      return Future.failedFuture(new PasswordQueueFullException());
    }
    return executor.executeBlocking(hashing, false).andThen(done -> pending.decrementAndGet());
  }
}
