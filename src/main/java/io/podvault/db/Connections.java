package io.podvault.db;

import io.podvault.config.DbCoordinates;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The one place podvault opens database connections: JDBC for jobs and migrations, the reactive pool's options
 * for requests, and the backup's own COPY connection. Each applies the configured TLS mode ({@link DatabaseTls}
 * says how), and each kind of JDBC connection gets its session settings here, sent with the start-up message (no
 * extra round trip).
 *
 * <p>Every connection but a loader's turns PostgreSQL's JIT off: they run catalog queries, counts and COPY, where
 * compiling a query costs more than it saves. The catalog query for objects outside a schema that are built on it
 * ({@link SchemaDrop#outsideDependents}) reads a few thousand catalog rows but is estimated above
 * {@code jit_above_cost}: with JIT it took 95-160 ms of every backup and restore here, about 50 of them in LLVM, and
 * 7-13 ms without.
 */
public final class Connections {

  /** What a JDBC connection is for, and so which session settings it starts with. */
  public enum Kind {
    /** Job records, locks, catalog reads, the swap: the server's defaults (durable commits included), JIT aside. */
    PLAIN(settings("jit", "off")),
    /**
     * The backup's snapshot: it sits idle in its transaction while the rows stream, so no server-wide timeout
     * may end it (pg_dump turns them off too).
     */
    SNAPSHOT(settings("jit", "off", "statement_timeout", "0", "idle_in_transaction_session_timeout", "0", "lock_timeout", "0"));

    private final Map<String, String> settings;

    Kind(Map<String, String> settings) {
      this.settings = settings;
    }
  }

  /**
   * Loading and indexing the shadow schema ({@link #openLoader}). Commits do not wait for the disk: the shadow
   * schema is not live, so losing its last commits in a crash only fails this restore, and the swap's own commit
   * (on a {@link Kind#PLAIN} connection, so synchronous) flushes the write-ahead log up to itself, which holds
   * every loader commit before it. Index builds get the configured sort memory and no parallel workers: the
   * loader's own connections keep the cores busy, and workers would split a build's memory. Measured with two
   * connections building four indexes of a 2-million-row table: 3.0-3.2 s this way with 256 MB, 3.4-4.1 s with
   * PostgreSQL's defaults and 128 MB.
   */
  private static final Map<String, String> LOADER_SESSION =
    settings("synchronous_commit", "off", "max_parallel_maintenance_workers", "0");

  /**
   * The COPY connection's session: text output in ISO dates, UTC and exact floats reads back the same everywhere;
   * the timeouts are off because one COPY of a large table may run longer than a server-wide limit.
   */
  private static final Map<String, String> COPY_SESSION = settings(
    "jit", "off",
    "client_encoding", "UTF8",
    "DateStyle", "ISO",
    "IntervalStyle", "postgres",
    "TimeZone", "UTC",
    "extra_float_digits", "3",
    "statement_timeout", "0",
    "lock_timeout", "0",
    "idle_in_transaction_session_timeout", "0");

  /**
   * Every connection podvault opens says so: how a swap tells its own sessions from other applications'. In clustered
   * mode the name also names the node ({@link #nameNode}), so that the other nodes can end a vanished node's sessions.
   */
  public static final String APPLICATION_NAME = "podvault";
  /** A condition on {@code pg_stat_activity} that holds for podvault's own sessions, of any node. */
  public static final String OWN_SESSION = "(application_name = '" + APPLICATION_NAME + "' OR application_name LIKE '"
    + APPLICATION_NAME + " node %')";
  private static volatile String applicationName = APPLICATION_NAME;
  private static final int CONNECT_TIMEOUT_SECONDS = 10;

  private Connections() {
  }

  /** PostgreSQL keeps the first 63 bytes of an application name. */
  private static final int NAME_BYTES = 63;

  /**
   * Names this process's connections after its start as a cluster node ({@code podvault node 3f9a0c1e 10.0.0.5:5701}),
   * cut to what PostgreSQL keeps, so that the name other nodes look for is the one it shows; called once, at the start
   * of a clustered node, before any connection opens. Returns the name.
   */
  public static String nameNode(String node) {
    String name = APPLICATION_NAME + " node " + node.replaceAll("[^\\x20-\\x7E]", "?");
    applicationName = name.length() > NAME_BYTES ? name.substring(0, NAME_BYTES) : name;
    return applicationName;
  }

  /** The application name this process's connections carry. */
  public static String applicationName() {
    return applicationName;
  }

  /** A plain JDBC connection. */
  public static Connection open(DbCoordinates db) throws SQLException {
    return open(db, Kind.PLAIN);
  }

  public static Connection open(DbCoordinates db, Kind kind) throws SQLException {
    return open(db, kind.settings);
  }

  /** A connection that loads and indexes a restore's shadow schema, each sort of it in up to {@code sortMemoryMb} MB. */
  public static Connection openLoader(DbCoordinates db, int sortMemoryMb) throws SQLException {
    if (sortMemoryMb < 1) {
      throw new IllegalArgumentException("a loader connection needs at least 1 MB of sort memory, got " + sortMemoryMb);
    }
    Map<String, String> session = new LinkedHashMap<>(LOADER_SESSION);
    session.put("maintenance_work_mem", sortMemoryMb + "MB");
    return open(db, session);
  }

  private static Connection open(DbCoordinates db, Map<String, String> session) throws SQLException {
    try {
      return DriverManager.getConnection(jdbcUrl(db), jdbcProperties(db, session));
    } catch (SQLException e) {
      throw DatabaseTls.explained(db, e);
    }
  }

  /** Connections for Flyway, which opens and closes its own; they fail with the same explanations as {@link #open}. */
  public static DataSource dataSource(DbCoordinates db) {
    @SuppressWarnings("serial") // never serialized: Flyway holds it for one migration
    PGSimpleDataSource source = new PGSimpleDataSource() {
      @Override
      public Connection getConnection(String user, String password) throws SQLException {
        try {
          return super.getConnection(user, password);
        } catch (SQLException e) {
          throw DatabaseTls.explained(db, e);
        }
      }
    };
    source.setURL(jdbcUrl(db));
    jdbcProperties(db, Kind.PLAIN.settings).forEach((key, value) -> {
      try {
        source.setProperty((String) key, (String) value);
      } catch (SQLException e) {
        throw new IllegalStateException("pgjdbc does not know the property " + key, e);
      }
    });
    return source;
  }

  /** The reactive client's options for the request pool. */
  public static PgConnectOptions reactive(DbCoordinates db) {
    return DatabaseTls.applyTo(new PgConnectOptions()
      .setHost(db.host())
      .setPort(db.port())
      .setDatabase(db.database())
      .setUser(db.user())
      .setPassword(db.password())
      .addProperty("application_name", applicationName), db);
  }

  /**
   * The reactive client's transport: with TCP keepalives, like every connection podvault opens, so that a database
   * that vanishes without a word (a cut network) is noticed within the system's keepalive time, not hours later.
   */
  public static NetClientOptions transport() {
    return new NetClientOptions().setTcpKeepAlive(true);
  }

  /** The backup's COPY connection, signed in as the coordinates' role. */
  public static CopyOutConnection copyOut(DbCoordinates db) throws SQLException {
    Map<String, String> session = new LinkedHashMap<>(COPY_SESSION);
    session.put("application_name", applicationName);
    try {
      return CopyOutConnection.open(db, session, DatabaseTls.socketFactory(db));
    } catch (SQLException e) {
      throw DatabaseTls.explained(db, e);
    }
  }

  /** Ends a failed transaction; on a broken connection the server has ended it already. */
  public static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is gone, and its transaction with it
    }
  }

  private static String jdbcUrl(DbCoordinates db) {
    return "jdbc:postgresql://" + db.host() + ":" + db.port() + "/" + db.database();
  }

  private static Properties jdbcProperties(DbCoordinates db, Map<String, String> session) {
    Properties props = new Properties();
    props.setProperty("user", db.user());
    props.setProperty("password", db.password());
    props.setProperty("ApplicationName", applicationName);
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("sslmode", DatabaseTls.jdbcSslMode(db));
    if (db.sslRootCert() != null) {
      props.setProperty("sslrootcert", db.sslRootCert());
    }
    if (!session.isEmpty()) {
      props.setProperty("options", session.entrySet().stream()
        .map(e -> "-c " + e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
    }
    return props;
  }

  private static Map<String, String> settings(String... keysAndValues) {
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      settings.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return settings;
  }
}
