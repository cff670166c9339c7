package io.podvault.config;

/** Keys of {@code conf/config.json} and the environment variables that override them. */
public final class ConfigKeys {

  public static final String HTTP_PORT = "http_port";
  public static final String DATA_DIR = "data_dir";
  public static final String DB_URL = "db_url";
  public static final String DB_PASSWORD = "db_password";
  public static final String EMBEDDED_DB_PORT = "embedded_db_port";
  public static final String ADMIN_USERNAME = "admin_username";
  public static final String ADMIN_PASSWORD = "admin_password";
  public static final String TOKEN_TTL_SECONDS = "token_ttl_seconds";
  public static final String MAX_BODY_BYTES = "max_body_bytes";
  public static final String MAX_UPLOAD_BYTES = "max_upload_bytes";
  public static final String HTTP_IDLE_TIMEOUT_SECONDS = "http_idle_timeout_seconds";
  public static final String DOWNLOAD_STALL_SECONDS = "download_stall_seconds";
  public static final String RESTORE_WORKERS = "restore_workers";
  public static final String RESTORE_SORT_MEMORY_MB = "restore_sort_memory_mb";
  public static final String BACKUP_DIR = "backup_dir";
  public static final String BACKUP_COMPRESSION = "backup_compression";
  public static final String TRUSTED_PROXIES = "trusted_proxies";
  /** Clustered mode: this node's address, its Hazelcast member port, and the members' {@code host:port} list. */
  public static final String CLUSTER_HOST = "cluster_host";
  public static final String CLUSTER_PORT = "cluster_port";
  public static final String CLUSTER_MEMBERS = "cluster_members";

  /** Environment variable naming the config file. */
  public static final String ENV_CONFIG = "PODVAULT_CONFIG";
  public static final String DEFAULT_CONFIG_PATH = "conf/config.json";

  /** The environment variable that overrides a key: {@code http_port} is {@code PODVAULT_HTTP_PORT}. */
  public static String envName(String key) {
    return "PODVAULT_" + key.toUpperCase(java.util.Locale.ROOT);
  }

  private ConfigKeys() {
  }
}
