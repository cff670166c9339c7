package io.podvault.dump;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key that seals a database's backups and the {@link Seal} (salt and parameters) it is derived with. argon2id's
 * 64 MiB and three passes took 0.5 s of a core per backup here (by perf, 16% of this process's CPU over three
 * backups of 414 MiB), and on a small machine that time is taken from the database's COPY; so the key is derived
 * on a thread of its own, once per process ({@link Seal#key} keeps it), while the rows are read.
 * <p>
 * The salt is the database's ({@code podvault.backup_seal}, made by its migration), so every process derives the
 * same key: the key a server derives at its start ({@link #prepare}) also checks the files that earlier processes
 * made, and the first restore after a start does not derive it again. One salt costs nothing: the files of one
 * database are sealed with the same password, so whoever finds it for one file has it for all of them, salts or
 * not; the salt still keeps precomputed tables useless. A database without the table yet gets backups sealed with
 * a salt of this process's own.
 */
public final class SealingKey {

  private static final Logger LOG = LoggerFactory.getLogger(SealingKey.class);
  /** Whether the table is there first: a statement that fails would end the snapshot's transaction. */
  private static final String HAS_SALT = "SELECT pg_catalog.to_regclass('podvault.backup_seal') IS NOT NULL";
  private static final String READ_SALT = "SELECT salt FROM podvault.backup_seal WHERE id = 1";
  private static final byte[] PROCESS_SALT = Seal.newSalt();

  /** A seal with its key, which may still be being derived. */
  record Sealing(Seal seal, CompletableFuture<byte[]> key) {
  }

  private SealingKey() {
  }

  /**
   * Starts deriving the key for the database's salt and password; returns at once. A database that cannot be
   * reached now leaves the first backup to derive the key.
   */
  public static void prepare(DbCoordinates db) {
    CompletableFuture.runAsync(() -> {
      byte[] salt;
      try (Connection c = Connections.open(db)) {
        salt = read(c);
      } catch (SQLException e) {
        LOG.debug("The backup key was left to the first backup: {}", e.getMessage());
        return;
      }
      if (salt != null) {
        Seal.withSalt(salt).key(db.password());
      }
    }, SealingKey::startThread);
  }

  /**
   * The seal of a backup whose snapshot {@code c} holds, with its key for {@code password}, derived on a thread of
   * its own unless this process has it already.
   */
  static Sealing forBackup(Connection c, String password) throws SQLException {
    byte[] salt = read(c);
    Seal seal = Seal.withSalt(salt != null ? salt : PROCESS_SALT);
    return new Sealing(seal, CompletableFuture.supplyAsync(() -> seal.key(password), SealingKey::startThread));
  }

  /** The database's salt; null when it has none (a database that a version before it left). */
  private static byte[] read(Connection c) throws SQLException {
    try (PreparedStatement has = c.prepareStatement(HAS_SALT); ResultSet rs = has.executeQuery()) {
      if (!rs.next() || !rs.getBoolean(1)) {
        return null;
      }
    }
    try (PreparedStatement read = c.prepareStatement(READ_SALT); ResultSet rs = read.executeQuery()) {
      return rs.next() ? rs.getBytes(1) : null;
    }
  }

  private static void startThread(Runnable work) {
    Thread thread = new Thread(work, "podvault-seal-key");
    thread.setDaemon(true);
    thread.start();
  }
}
