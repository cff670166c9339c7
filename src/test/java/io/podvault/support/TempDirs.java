package io.podvault.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * Temporary folders removed when the test JVM exits. A test run's PostgreSQL cluster alone grows to about
 * 2 GB; left behind, a few dozen runs fill a disk.
 */
public final class TempDirs {

  private static final List<Path> CREATED = new CopyOnWriteArrayList<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> CREATED.forEach(TempDirs::deleteQuietly)));
  }

  private TempDirs() {
  }

  /** A new folder, removed at exit with everything in it. */
  public static Path create(String prefix) {
    Path dir = createKept(prefix);
    CREATED.add(dir);
    return dir;
  }

  /** A new folder that the caller removes itself, with {@link #deleteQuietly}. */
  public static Path createKept(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes a folder and everything in it, as far as it can. */
  public static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> {
        try {
          Files.deleteIfExists(path);
        } catch (IOException ignored) {
          // a file still held open; the rest goes anyway
        }
      });
    } catch (IOException ignored) {
      // already gone
    }
  }
}
