package io.podvault.restore;

import io.podvault.dump.BackupFormat;
import io.podvault.dump.Seal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The header of a backup file: what made it and which tables with how many rows it holds. */
public final class BackupHeader {

  public record TableEntry(String name, long rows) {
  }

  private static final int MAX_TABLES = 10_000;

  private Integer formatVersion;
  private String schemaVersion;
  private String postgresqlVersion;
  private String createdAt;
  private Seal seal;
  private final List<TableEntry> tables = new ArrayList<>();
  private final Set<String> names = new HashSet<>();

  /** Takes one {@code -- key: value} line; {@code lineNumber} is for the message when it is wrong. */
  void accept(String line, long lineNumber) throws InvalidBackupException {
    if (!line.startsWith(BackupFormat.HEADER_PREFIX) || line.indexOf(": ") < 0) {
      throw invalid(lineNumber, "it is not a header line");
    }
    String key = line.substring(BackupFormat.HEADER_PREFIX.length(), line.indexOf(": "));
    String value = line.substring(line.indexOf(": ") + 2);
    try {
      switch (key) {
        case BackupFormat.KEY_FORMAT_VERSION -> formatVersion = (Integer) Json.decodeValue(value);
        case BackupFormat.KEY_SCHEMA_VERSION -> schemaVersion = (String) Json.decodeValue(value);
        case BackupFormat.KEY_POSTGRESQL_VERSION -> postgresqlVersion = (String) Json.decodeValue(value);
        case BackupFormat.KEY_CREATED_AT -> createdAt = (String) Json.decodeValue(value);
        case BackupFormat.KEY_KDF -> seal = Seal.fromJson(new JsonObject(value));
        case BackupFormat.KEY_TABLE -> addTable(new JsonObject(value), lineNumber);
        default -> throw invalid(lineNumber, "'" + key + "' is not a header field of this format");
      }
    } catch (DecodeException | ClassCastException | NullPointerException | IllegalArgumentException e) {
      throw invalid(lineNumber, "the value of '" + key + "' is malformed");
    }
  }

  private void addTable(JsonObject entry, long lineNumber) throws InvalidBackupException {
    String name = entry.getString("name");
    long rows = entry.getLong("rows");
    if (name == null || name.isEmpty() || rows < 0 || !names.add(name) || tables.size() >= MAX_TABLES) {
      throw invalid(lineNumber, "the table entry is malformed or repeated");
    }
    tables.add(new TableEntry(name, rows));
  }

  /** Checks that every required field was present, once the header has ended. */
  void complete() throws InvalidBackupException {
    if (formatVersion == null || schemaVersion == null || postgresqlVersion == null || createdAt == null || seal == null) {
      throw new InvalidBackupException("the file's header is incomplete: it lacks one of format_version, schema_version, "
        + "postgresql_version, created_at or kdf");
    }
    if (formatVersion != BackupFormat.FORMAT_VERSION) {
      throw new InvalidBackupException("this backup has format version " + formatVersion
        + ", which this podvault does not know (it reads format version " + BackupFormat.FORMAT_VERSION + ")");
    }
  }

  private static InvalidBackupException invalid(long lineNumber, String why) {
    return new InvalidBackupException("the file's header is damaged at line " + lineNumber + ": " + why);
  }

  public String schemaVersion() {
    return schemaVersion;
  }

  public String postgresqlVersion() {
    return postgresqlVersion;
  }

  public String createdAt() {
    return createdAt;
  }

  public Seal seal() {
    return seal;
  }

  public List<TableEntry> tables() {
    return tables;
  }

  public long totalRows() {
    return tables.stream().mapToLong(TableEntry::rows).sum();
  }
}
