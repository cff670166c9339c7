package io.podvault.dump;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * The key that seals this process's backups, with the {@link Seal} (salt and parameters) it was derived with:
 * derived once per password, on a thread of its own, and shared by every backup until the process ends.
 * argon2id's 64 MiB and three passes took 0.5 s of a core per backup here (by perf, 16% of this process's CPU
 * over three backups of 414 MiB), and on a small machine that time is taken from the database's COPY. Sharing one salt
 * costs nothing: the files of one process are sealed with the same password, so whoever finds it for one file
 * has it for all of them, salts or not; the salt still keeps precomputed tables useless.
 */
public final class SealingKey {

  private static Derived current;

  /** A seal with its key, which may still be being derived. */
  record Derived(byte[] passwordDigest, Seal seal, Future<byte[]> key) {
  }

  private SealingKey() {
  }

  /** Starts deriving the key for {@code password} unless it is derived or under way; returns at once. */
  public static void prepare(String password) {
    forPassword(password);
  }

  /** The seal and key for {@code password}: this process's, or, for a password it has not sealed with, a new one. */
  static synchronized Derived forPassword(String password) {
    byte[] digest = Seal.sha256().digest(password.getBytes(StandardCharsets.UTF_8));
    if (current == null || !MessageDigest.isEqual(current.passwordDigest(), digest) || failed(current.key())) {
      Seal seal = Seal.fresh();
      FutureTask<byte[]> key = new FutureTask<>(() -> seal.key(password));
      Thread thread = new Thread(key, "podvault-seal-key");
      thread.setDaemon(true);
      thread.start();
      current = new Derived(digest, seal, key);
    }
    return current;
  }

  private static boolean failed(Future<byte[]> key) {
    if (!key.isDone()) {
      return false;
    }
    try {
      key.get();
      return false;
    } catch (ExecutionException | CancellationException e) {
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }
}
