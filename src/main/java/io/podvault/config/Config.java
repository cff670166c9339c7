package io.podvault.config;

import static io.podvault.config.ConfigKeys.*;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * podvault's settings: defaults, then {@code conf/config.json}, then {@code PODVAULT_*} environment
 * variables. Every value is checked once here, so a bad one stops the start with a message naming its key.
 */
public final class Config {

  private static final String GZIP = "gzip";
  private static final Set<String> COMPRESSIONS = Set.of(GZIP, "none");
  private static final JsonObject DEFAULTS = new JsonObject()
    .put(HTTP_PORT, 8040)
    .put(DATA_DIR, "data")
    .putNull(DB_URL)
    .putNull(DB_PASSWORD)
    .put(EMBEDDED_DB_PORT, 0)
    .put(ADMIN_USERNAME, "admin")
    .putNull(ADMIN_PASSWORD)
    .put(TOKEN_TTL_SECONDS, 43_200)
    .put(MAX_BODY_BYTES, 65_536)
    .put(MAX_UPLOAD_BYTES, 10L * 1024 * 1024 * 1024)
    .put(HTTP_IDLE_TIMEOUT_SECONDS, 300)
    .put(DOWNLOAD_STALL_SECONDS, 120)
    // null: read from this machine when the config is built (MachineDefaults)
    .putNull(RESTORE_WORKERS)
    .putNull(RESTORE_SORT_MEMORY_MB)
    // null: the folder "backups" in the data folder
    .putNull(BACKUP_DIR)
    .put(BACKUP_COMPRESSION, GZIP)
    // null: no proxy's X-Forwarded-For is believed
    .putNull(TRUSTED_PROXIES)
    // null: a single process, with no cluster manager
    .putNull(CLUSTER_HOST)
    .putNull(CLUSTER_PORT)
    .putNull(CLUSTER_MEMBERS);

  private static final Set<String> NUMBERS =
    Set.of(HTTP_PORT, EMBEDDED_DB_PORT, TOKEN_TTL_SECONDS, MAX_BODY_BYTES, MAX_UPLOAD_BYTES, HTTP_IDLE_TIMEOUT_SECONDS,
      DOWNLOAD_STALL_SECONDS, RESTORE_WORKERS, RESTORE_SORT_MEMORY_MB, CLUSTER_PORT);
  /** Numbers that may be left unset. */
  private static final Set<String> OPTIONAL_NUMBERS = Set.of(CLUSTER_PORT);
  /** Far past what a restore gains from, and well inside PostgreSQL's default 100 connections. */
  private static final int MAX_RESTORE_WORKERS = 64;
  /** 16 GB for each connection's sorts is a unit slip (kB for MB) rather than a plan. */
  private static final int MAX_RESTORE_SORT_MEMORY_MB = 16_384;

  private final JsonObject values;

  private Config(JsonObject values) {
    this.values = values;
  }

  /** Reads the config file named by {@code PODVAULT_CONFIG} (or the default path) and the environment. */
  public static Config load(Map<String, String> env) {
    String explicit = env.get(ENV_CONFIG);
    Path file = Path.of(explicit != null ? explicit : DEFAULT_CONFIG_PATH);
    JsonObject fromFile = new JsonObject();
    if (Files.exists(file)) {
      fromFile = readFile(file);
    } else if (explicit != null) {
      throw new ConfigException(ENV_CONFIG + ": config file " + file + " does not exist");
    }
    return from(fromFile, env);
  }

  /** Builds a config from file contents and environment, as {@link #load} does; tests use it directly. */
  public static Config from(JsonObject fromFile, Map<String, String> env) {
    JsonObject merged = DEFAULTS.copy();
    for (String key : fromFile.fieldNames()) {
      if (!DEFAULTS.containsKey(key)) {
        throw new ConfigException(key + ": unknown configuration key (known keys: " + DEFAULTS.fieldNames() + ")");
      }
      merged.put(key, fromFile.getValue(key));
    }
    for (String key : DEFAULTS.fieldNames()) {
      String fromEnv = env.get(envName(key));
      if (fromEnv != null && !fromEnv.isEmpty()) {
        merged.put(key, NUMBERS.contains(key) ? parseNumber(key, envName(key), fromEnv) : fromEnv);
      }
    }
    putMachineDefaults(merged);
    Config config = new Config(merged);
    config.validate();
    return config;
  }

  /** Fills the restore's settings left unset from this machine; the sort memory is shared by the connections set. */
  private static void putMachineDefaults(JsonObject merged) {
    if (merged.getValue(RESTORE_WORKERS) == null) {
      merged.put(RESTORE_WORKERS, MachineDefaults.restoreWorkers());
    }
    if (merged.getValue(RESTORE_SORT_MEMORY_MB) == null) {
      // A bad count is refused by validate(), naming its own key; until then the machine's count stands in.
      int workers = merged.getValue(RESTORE_WORKERS) instanceof Number n && n.longValue() >= 1
        && n.longValue() <= MAX_RESTORE_WORKERS ? n.intValue() : MachineDefaults.restoreWorkers();
      merged.put(RESTORE_SORT_MEMORY_MB, MachineDefaults.restoreSortMemoryMb(workers));
    }
  }

  private static JsonObject readFile(Path file) {
    try {
      return new JsonObject(Files.readString(file));
    } catch (IOException e) {
      throw new ConfigException(ENV_CONFIG + ": cannot read config file " + file + ": " + e.getMessage());
    } catch (DecodeException e) {
      throw new ConfigException(ENV_CONFIG + ": config file " + file + " is not valid JSON: " + e.getMessage());
    }
  }

  private static long parseNumber(String key, String source, String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key + ": " + source + " must be a whole number, got '" + text + "'");
    }
  }

  private void validate() {
    for (String key : NUMBERS) {
      Object value = values.getValue(key);
      if (value == null && OPTIONAL_NUMBERS.contains(key)) {
        continue;
      }
      if (!(value instanceof Number) || ((Number) value).doubleValue() != ((Number) value).longValue()) {
        throw new ConfigException(key + ": must be a whole number, got " + value);
      }
    }
    requireRange(HTTP_PORT, 0, 65_535);
    requireRange(EMBEDDED_DB_PORT, 0, 65_535);
    requireRange(TOKEN_TTL_SECONDS, 60, 365L * 24 * 3600);
    requireRange(MAX_BODY_BYTES, 1024, 64L * 1024 * 1024);
    requireRange(MAX_UPLOAD_BYTES, 1024, Long.MAX_VALUE);
    requireRange(HTTP_IDLE_TIMEOUT_SECONDS, 1, 3600);
    requireRange(DOWNLOAD_STALL_SECONDS, 1, 3600);
    requireRange(RESTORE_WORKERS, 1, MAX_RESTORE_WORKERS);
    requireRange(RESTORE_SORT_MEMORY_MB, 1, MAX_RESTORE_SORT_MEMORY_MB);
    for (String key : new String[] {DATA_DIR, ADMIN_USERNAME}) {
      Object value = values.getValue(key);
      if (!(value instanceof String) || ((String) value).isBlank()) {
        throw new ConfigException(key + ": must be a non-empty string, got " + value);
      }
    }
    if (!COMPRESSIONS.contains(values.getValue(BACKUP_COMPRESSION))) {
      throw new ConfigException(BACKUP_COMPRESSION + ": must be one of " + COMPRESSIONS + ", got " + values.getValue(BACKUP_COMPRESSION));
    }
    for (String key : new String[] {DB_URL, DB_PASSWORD, ADMIN_PASSWORD, BACKUP_DIR, TRUSTED_PROXIES, CLUSTER_HOST,
      CLUSTER_MEMBERS}) {
      Object value = values.getValue(key);
      if (value != null && !(value instanceof String)) {
        throw new ConfigException(key + ": must be a string or null, got " + value);
      }
    }
    if (dbUrl() != null) {
      externalDatabase();
    }
    trustedProxies();
    cluster();
  }

  private void requireRange(String key, long min, long max) {
    long value = values.getLong(key);
    if (value < min || value > max) {
      throw new ConfigException(key + ": must be between " + min + " and " + max + ", got " + value);
    }
  }

  public int httpPort() {
    return values.getInteger(HTTP_PORT);
  }

  public Path dataDir() {
    return Path.of(values.getString(DATA_DIR));
  }

  /** The external database URL, or null for the embedded database. */
  public String dbUrl() {
    return values.getString(DB_URL);
  }

  /** The external database's coordinates; call only when {@link #dbUrl()} is set. */
  public DbCoordinates externalDatabase() {
    return DbUrl.parse(dbUrl(), dbPassword());
  }

  public String dbPassword() {
    return values.getString(DB_PASSWORD);
  }

  public int embeddedDbPort() {
    return values.getInteger(EMBEDDED_DB_PORT);
  }

  public String adminUsername() {
    return values.getString(ADMIN_USERNAME);
  }

  public String adminPassword() {
    return values.getString(ADMIN_PASSWORD);
  }

  public long tokenTtlSeconds() {
    return values.getLong(TOKEN_TTL_SECONDS);
  }

  public long maxBodyBytes() {
    return values.getLong(MAX_BODY_BYTES);
  }

  public long maxUploadBytes() {
    return values.getLong(MAX_UPLOAD_BYTES);
  }

  /** Seconds a connection may stay silent (a slow-loris upload) before it is closed. */
  public int httpIdleTimeoutSeconds() {
    return values.getInteger(HTTP_IDLE_TIMEOUT_SECONDS);
  }

  /** Seconds a backup download may take no data before the backup gives up. */
  public int downloadStallSeconds() {
    return values.getInteger(DOWNLOAD_STALL_SECONDS);
  }

  /** How many connections a restore loads, indexes and validates foreign keys on. */
  public int restoreWorkers() {
    return values.getInteger(RESTORE_WORKERS);
  }

  /** The {@code maintenance_work_mem} of each of a restore's connections, in MB. */
  public int restoreSortMemoryMb() {
    return values.getInteger(RESTORE_SORT_MEMORY_MB);
  }

  /** The server's backup folder: scheduled and manual server-side backups. */
  public Path backupDir() {
    String dir = values.getString(BACKUP_DIR);
    return dir == null || dir.isBlank() ? dataDir().resolve("backups") : Path.of(dir);
  }

  /** Whether server-side backups are written gzip-compressed. */
  public boolean gzipBackups() {
    return GZIP.equals(values.getString(BACKUP_COMPRESSION));
  }

  /** The proxies whose X-Forwarded-For names the client (behind a load balancer). */
  public TrustedProxies trustedProxies() {
    return TrustedProxies.parse(values.getString(TRUSTED_PROXIES));
  }

  /**
   * Clustered mode's settings, or null for a single process. All three settings or none; refused with the embedded
   * database, which other processes cannot share.
   */
  public ClusterSettings cluster() {
    Object port = values.getValue(CLUSTER_PORT);
    String host = values.getString(CLUSTER_HOST);
    String members = values.getString(CLUSTER_MEMBERS);
    if (host == null && port == null && members == null) {
      return null;
    }
    if (host == null || host.isBlank() || port == null || members == null || members.isBlank()) {
      throw new ConfigException("clustered mode needs all of " + envName(CLUSTER_HOST) + ", " + envName(CLUSTER_PORT)
        + " and " + envName(CLUSTER_MEMBERS) + "; set all three, or none for a single process");
    }
    if (dbUrl() == null) {
      throw new ConfigException("clustered mode needs an external database (" + envName(DB_URL) + "): the embedded one "
        + "lives in one process's data folder and cannot be shared");
    }
    return ClusterSettings.parse(host.trim(), port, members);
  }

  /** A copy with one value replaced, for tests and for derived settings. */
  public Config with(String key, Object value) {
    JsonObject copy = values.copy().put(key, value);
    Config config = new Config(copy);
    config.validate();
    return config;
  }

  public JsonObject toJson() {
    return values.copy();
  }

  public static Config fromJson(JsonObject json) {
    return from(json, Map.of());
  }
}
