package io.podvault.config;

import java.lang.management.ManagementFactory;

/**
 * Defaults read from the machine podvault runs on: how many connections a restore works on and how much sort
 * memory each gets. With the embedded database that is the database's machine too; an external server's
 * hardware cannot be read over SQL, so there these describe podvault's machine and the administrator sets them.
 */
final class MachineDefaults {

  /**
   * Beyond eight connections a restore gains little: one table loads on one connection, so the largest table
   * bounds the loading phase, and the rest waits on the disk's write-ahead log; every connection also counts
   * against the server's {@code max_connections} (100 by default), shared with the request pool.
   */
  static final int MAX_WORKERS = 8;
  /**
   * The restore's connections together may sort in a quarter of the memory: while a restore runs it is the
   * database's main work, but shared buffers, the page cache its reads go through and podvault itself need
   * the rest.
   */
  private static final int MEMORY_SHARE_DIVISOR = 4;
  /** What a loader connection had before its sort memory followed the machine, for a JVM that cannot tell. */
  static final int FALLBACK_SORT_MEMORY_MB = 256;
  /**
   * Below 64 MB an index build of a large table spills to disk in many runs; above 1 GB PostgreSQL's builds
   * gain little, and several run side by side.
   */
  static final int MIN_SORT_MEMORY_MB = 64;
  static final int MAX_SORT_MEMORY_MB = 1024;

  private MachineDefaults() {
  }

  /** The available processors (a container's limit where one is set), at most {@link #MAX_WORKERS}. */
  static int restoreWorkers() {
    return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), MAX_WORKERS));
  }

  /** A quarter of the physical memory (a container's limit where one is set) shared by {@code workers}. */
  static int restoreSortMemoryMb(int workers) {
    if (!(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
      || os.getTotalMemorySize() <= 0) {
      return FALLBACK_SORT_MEMORY_MB;
    }
    long share = os.getTotalMemorySize() / MEMORY_SHARE_DIVISOR / workers / (1024 * 1024);
    return (int) Math.max(MIN_SORT_MEMORY_MB, Math.min(share, MAX_SORT_MEMORY_MB));
  }
}
