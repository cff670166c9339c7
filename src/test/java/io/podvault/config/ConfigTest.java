package io.podvault.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Configuration: file, environment and validation")
class ConfigTest {

  @Test
  @DisplayName("without file or environment the documented defaults apply")
  void defaults() {
    Config config = Config.from(new JsonObject(), Map.of());
    assertThat(config.httpPort()).isEqualTo(8040);
    assertThat(config.dataDir()).isEqualTo(Path.of("data"));
    assertThat(config.dbUrl()).isNull();
    assertThat(config.adminUsername()).isEqualTo("admin");
  }

  /** The processors, at least one and at most eight, as the README says. */
  private static int machineWorkers() {
    return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8));
  }

  /** A quarter of the memory shared by the workers, kept between 64 and 1024 MB, as the README says. */
  private static long machineSortMemoryMb(int workers) {
    long bytes = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    return Math.max(64, Math.min(bytes / 4 / workers / (1024 * 1024), 1024));
  }

  @Test
  @DisplayName("by default a restore works on this machine's processors, sharing a quarter of its memory to sort in")
  void restoreDefaultsFromTheMachine() {
    Config config = Config.from(new JsonObject(), Map.of());
    assertThat(config.restoreWorkers()).isEqualTo(machineWorkers());
    assertThat(config.restoreSortMemoryMb()).isEqualTo(machineSortMemoryMb(machineWorkers()));
    assertThat(Config.fromJson(config.toJson()).toJson()).as("the verticles read the same values").isEqualTo(config.toJson());
  }

  @Test
  @DisplayName("restore_workers and restore_sort_memory_mb come from the file or the environment, and the sort memory is shared by the workers set")
  void restoreSettingsOverridden(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, new JsonObject().put("restore_workers", 5).put("restore_sort_memory_mb", 300).encode());
    Config fromFile = Config.load(Map.of("PODVAULT_CONFIG", file.toString()));
    assertThat(fromFile.restoreWorkers()).isEqualTo(5);
    assertThat(fromFile.restoreSortMemoryMb()).isEqualTo(300);
    Config fromEnv = Config.load(Map.of("PODVAULT_CONFIG", file.toString(),
      "PODVAULT_RESTORE_WORKERS", "1", "PODVAULT_RESTORE_SORT_MEMORY_MB", "2048"));
    assertThat(fromEnv.restoreWorkers()).isEqualTo(1);
    assertThat(fromEnv.restoreSortMemoryMb()).isEqualTo(2048);
    Config manyWorkers = Config.from(new JsonObject(), Map.of("PODVAULT_RESTORE_WORKERS", "48"));
    assertThat(manyWorkers.restoreSortMemoryMb()).isEqualTo(machineSortMemoryMb(48));
  }

  @Test
  @DisplayName("a restore_workers or restore_sort_memory_mb that is not a positive whole number, or too large, stops the start naming the key")
  void badRestoreSettings() {
    for (String workers : new String[] {"0", "-2", "two", "1.5", "65"}) {
      assertThatThrownBy(() -> Config.from(new JsonObject(), Map.of("PODVAULT_RESTORE_WORKERS", workers)))
        .as(workers).isInstanceOf(ConfigException.class).hasMessageStartingWith("restore_workers:");
    }
    for (String memory : new String[] {"0", "-64", "lots", "16385"}) {
      assertThatThrownBy(() -> Config.from(new JsonObject(), Map.of("PODVAULT_RESTORE_SORT_MEMORY_MB", memory)))
        .as(memory).isInstanceOf(ConfigException.class).hasMessageStartingWith("restore_sort_memory_mb:");
    }
    assertThatThrownBy(() -> Config.from(new JsonObject().put("restore_workers", 2.5), Map.of()))
      .hasMessageStartingWith("restore_workers:");
    assertThatThrownBy(() -> Config.from(new JsonObject().put("restore_sort_memory_mb", "512"), Map.of()))
      .hasMessageStartingWith("restore_sort_memory_mb:");
    assertThatThrownBy(() -> Config.from(new JsonObject().put("restore_workers", 65), Map.of()))
      .hasMessageStartingWith("restore_workers:").hasMessageContaining("64");
    assertThatThrownBy(() -> Config.from(new JsonObject().put("restore_sort_memory_mb", 20_000), Map.of()))
      .hasMessageStartingWith("restore_sort_memory_mb:").hasMessageContaining("16384");
  }

  @Test
  @DisplayName("trusted_proxies takes addresses and CIDR blocks; X-Forwarded-For is believed from them only, hop by hop from its end")
  void trustedProxies() {
    TrustedProxies proxies = Config.from(new JsonObject().put(ConfigKeys.TRUSTED_PROXIES, "10.0.0.0/8, 192.168.1.5,fd00::/8"),
      Map.of()).trustedProxies();
    assertThat(proxies.trusts("10.200.3.4")).isTrue();
    assertThat(proxies.trusts("192.168.1.6")).isFalse();
    assertThat(proxies.trusts("fd00::1")).isTrue();
    assertThat(proxies.client("203.0.113.9", "198.51.100.1")).as("a client's own header is ignored").isEqualTo("203.0.113.9");
    assertThat(proxies.client("10.0.0.1", null)).isEqualTo("10.0.0.1");
    assertThat(proxies.client("10.0.0.1", "198.51.100.1")).isEqualTo("198.51.100.1");
    assertThat(proxies.client("10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2")).as("what the client wrote first is not believed")
      .isEqualTo("198.51.100.1");
    assertThat(proxies.client("10.0.0.1", "10.0.0.3, 10.0.0.2")).as("all proxies: the farthest").isEqualTo("10.0.0.3");
    assertThat(proxies.client("10.0.0.1", "not-an-address, 10.0.0.2")).as("garbage ends the walk at the hop that passed it on")
      .isEqualTo("10.0.0.2");
    assertThat(Config.from(new JsonObject(), Map.of()).trustedProxies().client("10.0.0.1", "198.51.100.1"))
      .as("none by default").isEqualTo("10.0.0.1");
    for (String bad : List.of("10.0.0.0/33", "example.com", "10.0.0/8", "::1/129", "10.0.0.1/x")) {
      assertThatThrownBy(() -> Config.from(new JsonObject().put(ConfigKeys.TRUSTED_PROXIES, bad), Map.of()))
        .as(bad).isInstanceOf(ConfigException.class).hasMessageContaining("trusted_proxies").hasMessageContaining(bad);
    }
  }

  @Test
  @DisplayName("clustered mode takes all three PODVAULT_CLUSTER_* settings and an external database, and names what is wrong")
  void clusterSettings() {
    Map<String, String> cluster = Map.of("PODVAULT_CLUSTER_HOST", "10.0.0.5", "PODVAULT_CLUSTER_PORT", "5701",
      "PODVAULT_CLUSTER_MEMBERS", "10.0.0.5:5701, 10.0.0.6:5701,10.0.0.7:5701");
    assertThat(Config.from(new JsonObject(), Map.of()).cluster()).as("a single process by default").isNull();
    Map<String, String> external = new java.util.HashMap<>(cluster);
    external.put("PODVAULT_DB_URL", "postgresql://podvault:pw@db.example:5432/podvault");
    ClusterSettings settings = Config.from(new JsonObject(), external).cluster();
    assertThat(settings.host()).isEqualTo("10.0.0.5");
    assertThat(settings.port()).isEqualTo(5701);
    assertThat(settings.members()).containsExactly("10.0.0.5:5701", "10.0.0.6:5701", "10.0.0.7:5701");
    assertThat(settings.majority()).isEqualTo(2);
    assertThatThrownBy(() -> Config.from(new JsonObject(), cluster)).isInstanceOf(ConfigException.class)
      .hasMessageContaining("external database").hasMessageContaining("PODVAULT_DB_URL");
    Map<String, String> partial = new java.util.HashMap<>(external);
    partial.remove("PODVAULT_CLUSTER_MEMBERS");
    assertThatThrownBy(() -> Config.from(new JsonObject(), partial)).isInstanceOf(ConfigException.class)
      .hasMessageContaining("PODVAULT_CLUSTER_MEMBERS");
    Map<String, String> badMember = new java.util.HashMap<>(external);
    badMember.put("PODVAULT_CLUSTER_MEMBERS", "10.0.0.5:5701,10.0.0.6");
    assertThatThrownBy(() -> Config.from(new JsonObject(), badMember)).isInstanceOf(ConfigException.class)
      .hasMessageContaining("'10.0.0.6' is not host:port");
  }

  @Test
  @DisplayName("the shipped conf/config.json loads and holds the defaults")
  void shippedFile() {
    Config config = Config.load(Map.of(ConfigKeys.ENV_CONFIG, "conf/config.json"));
    assertThat(config.toJson()).isEqualTo(Config.from(new JsonObject(), Map.of()).toJson());
  }

  @Test
  @DisplayName("environment variables override the config file")
  void environmentOverridesFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, new JsonObject().put("http_port", 9000).put("admin_username", "root").encode());
    Config config = Config.load(Map.of(
      "PODVAULT_CONFIG", file.toString(),
      "PODVAULT_HTTP_PORT", "9100",
      "PODVAULT_DB_URL", "postgresql://pv:s%40cret@db.example:6543/podcasts"));
    assertThat(config.httpPort()).isEqualTo(9100);
    assertThat(config.adminUsername()).isEqualTo("root");
    DbCoordinates db = config.externalDatabase();
    assertThat(db).isEqualTo(new DbCoordinates("db.example", 6543, "podcasts", "pv", "s@cret"));
  }

  @Test
  @DisplayName("an external database URL without a password takes PODVAULT_DB_PASSWORD")
  void passwordFromItsOwnVariable() {
    Config config = Config.from(new JsonObject(), Map.of(
      "PODVAULT_DB_URL", "postgresql://pv@db.example/podcasts", "PODVAULT_DB_PASSWORD", "from-env"));
    assertThat(config.externalDatabase()).isEqualTo(new DbCoordinates("db.example", 5432, "podcasts", "pv", "from-env"));
  }

  @Test
  @DisplayName("a bad value stops the start with a message naming the key")
  void badValuesNameTheirKey(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> Config.from(new JsonObject(), Map.of("PODVAULT_HTTP_PORT", "eighty")))
      .isInstanceOf(ConfigException.class).hasMessageStartingWith("http_port:");
    assertThatThrownBy(() -> Config.from(new JsonObject().put("http_port", 70000), Map.of()))
      .hasMessageStartingWith("http_port:").hasMessageContaining("65535");
    assertThatThrownBy(() -> Config.from(new JsonObject().put("token_ttl_seconds", "long"), Map.of()))
      .hasMessageStartingWith("token_ttl_seconds:");
    assertThatThrownBy(() -> Config.from(new JsonObject().put("htp_port", 1), Map.of()))
      .hasMessageStartingWith("htp_port: unknown configuration key");
    assertThatThrownBy(() -> Config.from(new JsonObject(), Map.of("PODVAULT_DB_URL", "mysql://a:b@h/db")))
      .hasMessageStartingWith("db_url:");
    assertThatThrownBy(() -> Config.from(new JsonObject(), Map.of("PODVAULT_DB_URL", "postgresql://h/db")))
      .hasMessageStartingWith("db_url:").hasMessageContaining("user and password");
    assertThatThrownBy(() -> Config.from(new JsonObject(), Map.of("PODVAULT_DB_URL", "postgresql://pv@h/db")))
      .hasMessageStartingWith("db_url:").hasMessageContaining("no password").hasMessageContaining("PODVAULT_DB_PASSWORD");
    assertThatThrownBy(() -> Config.from(new JsonObject(), Map.of("PODVAULT_DB_URL", "postgresql://pv:@h/db")))
      .hasMessageStartingWith("db_url:").hasMessageContaining("no password");
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{ \"http_port\": ");
    assertThatThrownBy(() -> Config.load(Map.of("PODVAULT_CONFIG", broken.toString())))
      .hasMessageStartingWith("PODVAULT_CONFIG:").hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> Config.load(Map.of("PODVAULT_CONFIG", dir.resolve("missing.json").toString())))
      .hasMessageContaining("does not exist");
  }

  private static final String URL = "postgresql://pv:secret@db.example/podcasts";
  private static final Path ROOT_CERT = Path.of("src/test/resources/config/root-ca.pem").toAbsolutePath();

  private static DbCoordinates external(String url) {
    return Config.from(new JsonObject(), Map.of("PODVAULT_DB_URL", url)).externalDatabase();
  }

  @Test
  @DisplayName("sslmode and sslrootcert in the URL set the connection's TLS; without them it is libpq's prefer")
  void tlsParameters() {
    assertThat(external(URL).sslMode()).isEqualTo(SslMode.PREFER);
    assertThat(external(URL).sslRootCert()).isNull();
    assertThat(external(URL + "?sslmode=disable").sslMode()).isEqualTo(SslMode.DISABLE);
    assertThat(external(URL + "?sslmode=require").sslMode()).isEqualTo(SslMode.REQUIRE);
    DbCoordinates full = external(URL + "?sslmode=verify-full&sslrootcert=" + ROOT_CERT);
    assertThat(full).isEqualTo(new DbCoordinates("db.example", 5432, "podcasts", "pv", "secret")
      .withSsl(SslMode.VERIFY_FULL, ROOT_CERT.toString()));
    assertThat(external(URL + "?sslrootcert=" + ROOT_CERT.toString().replace("/", "%2F") + "&sslmode=verify-ca"))
      .isEqualTo(full.withSsl(SslMode.VERIFY_CA, ROOT_CERT.toString()));
    assertThat(external(URL + "?sslmode=require&sslrootcert=" + ROOT_CERT).sslRootCert()).isEqualTo(ROOT_CERT.toString());
    assertThat(DbCoordinates.fromJson(full.toJson())).isEqualTo(full);
  }

  @Test
  @DisplayName("an unknown parameter, a bad sslmode or a root certificate that cannot serve stops the start")
  void badTlsParameters(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> external(URL + "?sslmdoe=require"))
      .isInstanceOf(ConfigException.class).hasMessageStartingWith("db_url:").hasMessageContaining("unknown parameter 'sslmdoe'");
    assertThatThrownBy(() -> external(URL + "?sslmode=allow"))
      .hasMessageStartingWith("db_url:").hasMessageContaining("sslmode must be one of").hasMessageContaining("'allow'");
    assertThatThrownBy(() -> external(URL + "?sslmode="))
      .hasMessageStartingWith("db_url:").hasMessageContaining("sslmode has no value");
    assertThatThrownBy(() -> external(URL + "?sslmode=require&sslmode=disable"))
      .hasMessageStartingWith("db_url:").hasMessageContaining("sslmode is given twice");
    assertThatThrownBy(() -> external(URL + "?sslmode=verify-full"))
      .hasMessageStartingWith("db_url:").hasMessageContaining("sslrootcert=/path/to/ca.pem");
    assertThatThrownBy(() -> external(URL + "?sslmode=verify-ca"))
      .hasMessageStartingWith("db_url:").hasMessageContaining("none is given");
    assertThatThrownBy(() -> external(URL + "?sslrootcert=" + ROOT_CERT))
      .hasMessageStartingWith("db_url:").hasMessageContaining("sslmode=prefer").hasMessageContaining("add sslmode=verify-full");
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> external(URL + "?sslmode=verify-full&sslrootcert=" + missing))
      .hasMessageStartingWith("db_url:").hasMessageContaining(missing + " does not exist");
    assertThatThrownBy(() -> external(URL + "?sslmode=verify-full&sslrootcert=" + dir))
      .hasMessageStartingWith("db_url:").hasMessageContaining("is not a file");
    Path notPem = Files.writeString(dir.resolve("key.txt"), "not a certificate");
    assertThatThrownBy(() -> external(URL + "?sslmode=verify-full&sslrootcert=" + notPem))
      .hasMessageStartingWith("db_url:").hasMessageContaining(notPem.toString()).hasMessageContaining("PEM");
    Path empty = Files.writeString(dir.resolve("empty.pem"), "");
    assertThatThrownBy(() -> external(URL + "?sslmode=verify-full&sslrootcert=" + empty))
      .hasMessageStartingWith("db_url:").hasMessageContaining("holds no certificate");
  }
}
