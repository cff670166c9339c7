package io.podvault.folder;

import io.podvault.db.DataFolder;
import io.podvault.dump.BackupFormat;
import io.podvault.restore.Gzip;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The server's backup folder: podvault's own server-side backups ({@code podvault-20261128T020000Z.sql.gz}, sealed
 * like a download), and whatever PinePods' backup files an administrator puts there.
 *
 * <p>A backup is written under a hidden temporary name ({@link Writing}) and takes its own name only once it is
 * whole and on the disk: a file under a backup's name is never a part of one. What the list shows of it (rows, schema
 * version) is kept in a small hidden manifest beside it, written before the file takes its name, since a gzip file
 * cannot be read from its end; the list never reads whole files. Names given by clients are file names of this
 * folder only ({@link #resolve}).
 */
public final class BackupFolder {

  /** What podvault's own backups are called: the prefix, then the time they were made. */
  static final String PREFIX = "podvault-";
  static final String SQL = ".sql";
  static final String GZ = ".sql.gz";
  /** Hidden files: backups being written, and manifests. */
  private static final String HIDDEN = ".";
  private static final String PARTIAL = ".partial";
  private static final String MANIFEST = ".json";
  private static final int MAX_NAME_LENGTH = 200;
  private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  /** How far the start of a file is read to tell what it is. */
  private static final int SNIFF_BYTES = 4096;
  private static final String PG_DUMP_START = "-- PostgreSQL database dump";
  private static final String PG_DUMP_END = "-- PostgreSQL database dump complete";
  private static final int GZIP_BUFFER_BYTES = 64 * 1024;

  /** A name a client gave that is not the name of a file in the folder. */
  public static final class BadName extends IllegalArgumentException {
    BadName(String message) {
      super(message);
    }
  }

  /** One file of the folder, as the list shows it; unknown figures are null. */
  public record Entry(String filename, long size, Instant modified, String format, String createdAt, String schemaVersion,
                      Long rows, Boolean complete) {

    public JsonObject toJson() {
      return new JsonObject().put("filename", filename).put("size", size).put("modified", modified.toString())
        .put("format", format).put("created_at", createdAt).put("schema_version", schemaVersion).put("rows", rows)
        .put("complete", complete);
    }
  }

  private final Path dir;

  public BackupFolder(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path dir() {
    return dir;
  }

  /** Creates the folder, private to podvault's user. */
  public void prepare() throws IOException {
    DataFolder.createPrivateDirectories(dir);
  }

  /**
   * Removes the backups a stopped process left half-written; call only under the job lock, since a running backup's
   * file looks the same.
   */
  public void deleteLeftovers() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, HIDDEN + PREFIX + "*" + PARTIAL)) {
      for (Path file : files) {
        Files.deleteIfExists(file);
      }
    }
  }

  /** Starts a new backup file, named by {@code at}; it is compressed when {@code gzip}. */
  public Writing begin(Instant at, boolean gzip) throws IOException {
    String base = PREFIX + NAME_TIME.format(at.truncatedTo(ChronoUnit.SECONDS));
    String extension = gzip ? GZ : SQL;
    String name = base + extension;
    for (int i = 2; Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS); i++) {
      name = base + "-" + i + extension;
    }
    return new Writing(dir, name, gzip, true);
  }

  /**
   * Starts a backup into {@code file}, anywhere (the command line's {@code backup --out}): written like a file of the
   * folder, under a hidden temporary name beside it until it is whole, but with no manifest. A file already there is
   * replaced only once the new one is whole.
   */
  public static Writing beginFile(Path file, boolean gzip) throws IOException {
    Path absolute = file.toAbsolutePath();
    return new Writing(absolute.getParent(), absolute.getFileName().toString(), gzip, false);
  }

  /** Every backup in the folder, newest first. */
  public List<Entry> list() throws IOException {
    List<Entry> entries = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return entries; // not made yet: the job verticle makes it as it starts
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.startsWith(HIDDEN) || !(name.endsWith(SQL) || name.endsWith(GZ))) {
          continue;
        }
        BasicFileAttributes attributes;
        try {
          attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException deleted) {
          continue;
        }
        if (attributes.isRegularFile()) {
          Entry entry = describe(file, name, attributes);
          if (entry != null) {
            entries.add(entry);
          }
        }
      }
    }
    entries.sort(Comparator.comparing(Entry::modified).reversed().thenComparing(Entry::filename));
    return entries;
  }

  /**
   * The file of the folder that {@code name} names. A name with a path in it, a hidden one, or one that is not a
   * backup's ({@code .sql}, {@code .sql.gz}) is refused with {@link BadName}; a file that is not there, or is not a
   * plain file (a link), with {@link NoSuchFileException}.
   */
  public Path resolve(String name) throws NoSuchFileException {
    if (name == null || name.isBlank()) {
      throw new BadName("no backup file was named");
    }
    if (name.length() > MAX_NAME_LENGTH || name.contains("/") || name.contains("\\") || name.contains("..")
      || name.indexOf('\0') >= 0 || name.startsWith(HIDDEN)) {
      throw new BadName("'" + shortened(name) + "' is not the name of a file in the backup folder: give the file's name"
        + " alone, as the list of backup files shows it");
    }
    if (!name.endsWith(SQL) && !name.endsWith(GZ)) {
      throw new BadName("'" + shortened(name) + "' is not a backup file: their names end in " + SQL + " or " + GZ);
    }
    Path file = dir.resolve(name).normalize();
    if (!dir.equals(file.getParent()) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException("there is no backup file named '" + name + "' in the backup folder");
    }
    return file;
  }

  /** Deletes a backup and its manifest. */
  public void delete(String name) throws IOException {
    Path file = resolve(name);
    Files.delete(file);
    Files.deleteIfExists(manifestOf(file));
    DataFolder.flushDirectory(dir);
  }

  /**
   * Keeps the newest {@code keep} of podvault's own backups (by the time their manifests say they were made) and
   * deletes the older ones; PinePods' files, and files without a manifest, are never deleted. Returns the names
   * deleted.
   */
  public List<String> prune(int keep) throws IOException {
    List<Entry> own = new ArrayList<>();
    for (Entry entry : list()) {
      if (entry.filename().startsWith(PREFIX) && Boolean.TRUE.equals(entry.complete()) && entry.createdAt() != null) {
        own.add(entry);
      }
    }
    own.sort(Comparator.comparing((Entry e) -> Instant.parse(e.createdAt())).reversed());
    List<String> deleted = new ArrayList<>();
    for (Entry old : own.subList(Math.min(keep, own.size()), own.size())) {
      delete(old.filename());
      deleted.add(old.filename());
    }
    return deleted;
  }

  /** What the list says of one file; null when it is not a backup at all. */
  private Entry describe(Path file, String name, BasicFileAttributes attributes) throws IOException {
    long size = attributes.size();
    Instant modified = attributes.lastModifiedTime().toInstant();
    JsonObject manifest = readManifest(manifestOf(file));
    if (manifest != null) {
      return new Entry(name, size, modified, "podvault", manifest.getString("created_at"),
        manifest.getString("schema_version"), manifest.getLong("rows"), Boolean.TRUE);
    }
    String start = firstBytes(file);
    if (start.startsWith(BackupFormat.FIRST_LINE)) {
      // A podvault backup copied here by hand: whether it is whole, verify says.
      return new Entry(name, size, modified, "podvault", null, null, null, null);
    }
    if (start.contains(PG_DUMP_START)) {
      // The end of a compressed file cannot be read without reading all of it.
      Boolean complete = isGzip(file) ? null : endsWith(file, size, PG_DUMP_END);
      return new Entry(name, size, modified, "pinepods", null, null, null, complete);
    }
    return null;
  }

  private static JsonObject readManifest(Path manifest) throws IOException {
    try {
      return new JsonObject(Files.readString(manifest));
    } catch (NoSuchFileException e) {
      return null;
    } catch (DecodeException e) {
      return null; // not one podvault wrote whole: the file is then described by its content
    }
  }

  /** A file's content, decompressed when it is gzip ({@link Gzip}). */
  public static Gzip.Content open(Path file) throws IOException {
    return Gzip.open(Files.newInputStream(file), Long.MAX_VALUE);
  }

  /** Whether a file is gzip-compressed, by its first bytes. */
  private static boolean isGzip(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    }
  }

  /** The start of a file, decompressed when it is a gzip file; what cannot be read is empty. */
  private static String firstBytes(Path file) {
    try (InputStream in = open(file)) {
      return new String(in.readNBytes(SNIFF_BYTES), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static boolean endsWith(Path file, long size, String text) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      int length = (int) Math.min(size, 256);
      byte[] tail = new byte[length];
      f.seek(size - length);
      f.readFully(tail);
      return new String(tail, StandardCharsets.UTF_8).contains(text);
    }
  }

  private static Path manifestOf(Path file) {
    return file.resolveSibling(HIDDEN + file.getFileName() + MANIFEST);
  }

  private static String shortened(String name) {
    return name.length() > 60 ? name.substring(0, 60) + "..." : name;
  }

  /**
   * A backup being written: under a hidden temporary name (0600) until {@link #finish}, which brings it to the disk
   * and gives it its name; {@link #abandon} deletes it.
   */
  public static final class Writing {

    private final Path dir;
    private final String name;
    private final boolean manifest;
    private final Path temporary;
    private final FileChannel channel;
    private final OutputStream out;

    private Writing(Path dir, String name, boolean gzip, boolean manifest) throws IOException {
      this.dir = dir;
      this.name = name;
      this.manifest = manifest;
      this.temporary = dir.resolve(HIDDEN + name + PARTIAL);
      DataFolder.createPrivateFile(temporary);
      this.channel = FileChannel.open(temporary, StandardOpenOption.WRITE);
      OutputStream file = Channels.newOutputStream(channel);
      this.out = gzip ? fastGzip(file) : file;
    }

    /**
     * gzip at its fastest level, since a scheduled backup runs beside the server's other work: the gzip command (the
     * same zlib) made 13.5 MB of a 57 MB backup (500 000 rows of the history shape) with 0.5-0.6 s of CPU, against
     * 11.9 MB with 1.3 s at its default level.
     */
    private static OutputStream fastGzip(OutputStream file) throws IOException {
      return new GZIPOutputStream(file, GZIP_BUFFER_BYTES) {
        {
          def.setLevel(Deflater.BEST_SPEED);
        }
      };
    }

    /** The name the file will have. */
    public String name() {
      return name;
    }

    /** Where the file will be, once whole. */
    public Path path() {
      return dir.resolve(name);
    }

    /** Where the backup is written. */
    public OutputStream out() {
      return out;
    }

    /**
     * Ends the file: the compressed stream is finished and the file flushed to the disk, its manifest written, and
     * only then does it take its name; the rename is flushed too.
     */
    public Path finish(String createdAt, String schemaVersion, long rows) throws IOException {
      try {
        out.close(); // finishes the gzip stream and closes the channel after writing all of it
      } catch (IOException e) {
        abandon();
        throw e;
      }
      Path file = dir.resolve(name);
      try (FileChannel written = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
        written.force(true);
      }
      if (manifest) {
        DataFolder.writeDurably(manifestOf(file), new JsonObject().put("format", "podvault").put("created_at", createdAt)
          .put("schema_version", schemaVersion).put("rows", rows).encode());
      }
      try {
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        abandon();
        throw e;
      }
      DataFolder.flushDirectory(dir);
      return file;
    }

    /** Deletes what was written; nothing under the backup's name is ever left by a backup that did not end. */
    public void abandon() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing a file being deleted
      }
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException ignored) {
        // left hidden; the next start deletes it
      }
    }
  }
}
