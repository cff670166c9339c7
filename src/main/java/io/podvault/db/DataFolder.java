package io.podvault.db;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The data folder (embedded database, its password, stored uploads): private to podvault's user (0700, files
 * 0600) and held by one process at a time through an exclusive lock on {@code podvault.lock}, which the kernel
 * releases when the process dies, however it dies. Files that are trusted later are written durably: to a
 * temporary name, flushed, renamed, and the rename flushed.
 */
public final class DataFolder implements AutoCloseable {

  /** The folder is held by another process (or another podvault in this one); the message names it. */
  public static final class InUseException extends IOException {

    InUseException(String message) {
      super(message);
    }
  }

  static final String LOCK_FILE = "podvault.lock";
  private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

  /**
   * Folders this process holds. Checked before the lock file is opened: closing any channel of this process on
   * that file would drop the process's lock on it (POSIX record locks are per process).
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path path;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private DataFolder(Path path, FileChannel lockChannel, FileLock lock) {
    this.path = path;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Creates the folder if needed and takes its lock for the life of this process. A folder held by a running
   * podvault is refused before anything in it is changed.
   */
  public static DataFolder lock(Path path) throws IOException {
    Path folder = path.toAbsolutePath();
    if (!Files.isDirectory(folder)) {
      createPrivateDirectories(folder);
    }
    if (!HELD.add(folder)) {
      throw inUse(folder, Long.toString(ProcessHandle.current().pid()));
    }
    try {
      return lockHeld(folder);
    } catch (IOException | RuntimeException e) {
      HELD.remove(folder);
      throw e;
    }
  }

  private static DataFolder lockHeld(Path folder) throws IOException {
    Path lockFile = folder.resolve(LOCK_FILE);
    FileChannel channel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
      StandardOpenOption.WRITE), privateFile(lockFile));
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String holder = readHolder(channel);
      channel.close();
      throw inUse(folder, holder);
    }
    byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(pid), 0);
    channel.force(true);
    makePrivate(folder, PRIVATE_DIR);
    return new DataFolder(folder, channel, lock);
  }

  private static InUseException inUse(Path folder, String holder) {
    return new InUseException("data folder in use by process " + holder + " (" + folder
      + "); stop that podvault first, or give this one another data folder (PODVAULT_DATA_DIR)");
  }

  public Path path() {
    return path;
  }

  /** Releases the lock; the process's end does the same. */
  @Override
  public void close() throws IOException {
    try {
      if (lock.isValid()) {
        lock.release();
      }
      lockChannel.close();
    } finally {
      HELD.remove(path);
    }
  }

  /** Creates a directory (and its parents) that only podvault's user can enter. */
  public static Path createPrivateDirectories(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      try {
        Files.createDirectories(dir, posix(dir)
          ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PRIVATE_DIR)}
          : new FileAttribute<?>[0]);
      } catch (FileAlreadyExistsException raced) {
        // created meanwhile; made private below
      }
    }
    makePrivate(dir, PRIVATE_DIR);
    return dir;
  }

  /** Creates an empty file that only podvault's user can read; refuses one that exists. */
  public static Path createPrivateFile(Path file) throws IOException {
    return Files.createFile(file, privateFile(file));
  }

  /**
   * Replaces {@code file} with {@code content} so that a crash leaves either the old file or the new one, never
   * a part: written to a temporary name (0600 from its creation), flushed, renamed over the file, and the folder
   * flushed so the rename itself survives. A write that fails (a full disk) deletes the temporary file.
   */
  public static void writeDurably(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      try (FileChannel channel = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        privateFile(tmp))) {
        ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException notDeleted) {
        e.addSuppressed(notDeleted);
      }
      throw e;
    }
    flushDirectory(file.toAbsolutePath().getParent());
  }

  /** Makes a directory entry (a file created or renamed in it) durable; Linux fsyncs a directory opened for reading. */
  public static void flushDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static FileAttribute<?>[] privateFile(Path file) {
    return posix(file.toAbsolutePath().getParent())
      ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PRIVATE_FILE)}
      : new FileAttribute<?>[0];
  }

  private static void makePrivate(Path path, Set<PosixFilePermission> permissions) throws IOException {
    if (posix(path)) {
      Files.setPosixFilePermissions(path, permissions);
    }
  }

  private static boolean posix(Path path) {
    Path existing = path;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing != null && existing.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  private static String readHolder(FileChannel channel) {
    try {
      ByteBuffer buffer = ByteBuffer.allocate(32);
      channel.read(buffer, 0);
      String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
      return pid.isEmpty() ? "(unknown)" : pid;
    } catch (IOException e) {
      return "(unknown)";
    }
  }
}
