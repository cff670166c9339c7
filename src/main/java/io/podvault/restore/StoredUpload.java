package io.podvault.restore;

import io.podvault.db.DataFolder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restore's upload, stored in the data folder while it arrives. The job creates it as it begins and closes
 * it as it ends, whatever the outcome, which deletes the file; the web verticle only writes into it and says
 * how far it has come. The validator reads it as it arrives, the loader behind the validator. This is the one
 * class that creates and deletes these files, including those a stopped server left.
 */
public final class StoredUpload implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StoredUpload.class);

  private final Path path;
  private final long stallMillis;
  private final Watermark stored = new Watermark();

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

  /** The upload from its first byte, read as it arrives: a read waits until there is something to read. */
  public InputStream arriving() throws IOException {
    return new ArrivingFile(path, stored, stallMillis);
  }

  /** Deletes the file; one that cannot be deleted now is deleted at the next start. */
  @Override
  public void close() {
    stored.stop("the restore has ended");
    try {
      Files.deleteIfExists(path);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not delete {} (the next start will): {}", path, e.toString());
    }
  }
}
