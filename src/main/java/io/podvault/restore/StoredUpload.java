package io.podvault.restore;

import io.podvault.db.DataFolder;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restore's upload, stored in the data folder while it arrives. The job creates it as it begins and closes
 * it as it ends, whatever the outcome, which deletes the file; the web verticle only writes into it and says
 * how far it has come. The validator reads it as it arrives, the loader behind the validator (from a decompressed
 * copy, for a gzip upload). This is the one
 * class that creates and deletes these files, including those a stopped server left.
 */
public final class StoredUpload implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StoredUpload.class);

  private final Path path;
  private final long stallMillis;
  private final Watermark stored = new Watermark();
  /** The decompressed copy of a gzip upload, written as it is read; null for a plain one. */
  private volatile Path decompressed;

  private StoredUpload(Path path, long stallMillis) {
    this.path = path;
    this.stallMillis = stallMillis;
  }

  /**
   * Creates the empty, private file of job {@code job}'s upload in {@code folder}.
   *
   * @param stallMillis how long a read waits for more bytes before it gives up on the upload: a safety net, as
   *   the web verticle itself cancels the upload of a client that stalls
   */
  public static StoredUpload create(Path folder, UUID job, long stallMillis) throws IOException {
    Path path = folder.resolve("restore-" + job + ".sql");
    DataFolder.createPrivateFile(path);
    return new StoredUpload(path, stallMillis);
  }

  /** Deletes the uploads a stopped server left in {@code folder}; call only under the job lock. */
  public static void deleteLeftovers(Path folder) throws IOException {
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(folder)) {
      for (Path leftover : leftovers) {
        Files.deleteIfExists(leftover);
      }
    }
  }

  public Path path() {
    return path;
  }

  /** At least {@code bytes} bytes of the upload are now in the file. */
  public void stored(long bytes) {
    stored.advance(bytes);
  }

  /** The upload is complete at {@code bytes} bytes. */
  public void complete(long bytes) {
    stored.end(bytes);
  }

  /** The upload stopped; a read waiting now, or any later one, fails with {@code why}. */
  public void cancel(String why) {
    stored.stop(why);
  }

  /**
   * The backup in the upload, read as it arrives (a read waits until there is something to read): decompressed when
   * the upload is gzip, and then also written as it is read to a copy beside the upload, which the rows are loaded
   * from. Read it once.
   */
  public Gzip.Content content(long maxBytes) throws IOException {
    Gzip.Content content = Gzip.open(new ArrivingFile(path, stored, stallMillis), maxBytes);
    if (content.compressed()) {
      Path copy = path.resolveSibling(path.getFileName() + ".decompressed");
      try {
        DataFolder.createPrivateFile(copy);
        decompressed = copy; // deleted with the upload from now on
        content.copyTo(FileChannel.open(copy, StandardOpenOption.WRITE));
      } catch (IOException | RuntimeException e) {
        content.close();
        throw e;
      }
    }
    return content;
  }

  /** The file holding the backup's text, where its rows are: the upload, or its decompressed copy. */
  public Path contentFile() {
    Path copy = decompressed;
    return copy != null ? copy : path;
  }

  /** Deletes the file; one that cannot be deleted now is deleted at the next start. */
  @Override
  public void close() {
    stored.stop("the restore has ended");
    for (Path file : decompressed == null ? List.of(path) : List.of(path, decompressed)) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException | RuntimeException e) {
        LOG.warn("Could not delete {} (the next start will): {}", file, e.toString());
      }
    }
  }
}
