package io.podvault.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podvault.config.DbCoordinates;
import io.podvault.config.SslMode;
import io.podvault.support.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;

@DisplayName("The backup's COPY connection")
class CopyOutConnectionTest {

  /** Roles signed in with another method than the cluster's scram-sha-256, by lines put before its own. */
  private static final List<String> EXTRA_HBA = List.of(
    "host all copytest_md5 127.0.0.1/32 md5",
    "host all copytest_password 127.0.0.1/32 password",
    "host all copytest_trust 127.0.0.1/32 trust");
  private static final String ROLE_PASSWORD = "pässword with spaces and ' quotes";

  private static DbCoordinates db;
  private static AutoCloseable hba;

  @BeforeAll
  static void setUp() throws Exception {
    db = TestPostgres.freshDatabase();
    try (Connection c = jdbc(db); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id int PRIMARY KEY, body text, raw bytea, at timestamptz, ratio float8)");
      // A row far larger than the connection's read buffer, rows of every shape COPY escapes, and a NULL.
      s.execute("INSERT INTO t SELECT i, repeat(md5(i::text), 1 + i % 7) || E'\\t\\n\\\\ é 🎧', "
        + "decode(md5(i::text), 'hex'), timestamptz '2024-03-01 12:00:00+02' + i * interval '1 minute', i / 7.0 "
        + "FROM generate_series(1, 50000) i");
      s.execute("INSERT INTO t VALUES (0, repeat('x', 3000000), NULL, NULL, NULL)");
      s.execute("SET password_encryption = 'md5'");
      s.execute("CREATE ROLE copytest_md5 LOGIN PASSWORD " + Sql.literal(ROLE_PASSWORD));
      s.execute("RESET password_encryption");
      s.execute("CREATE ROLE copytest_password LOGIN PASSWORD " + Sql.literal(ROLE_PASSWORD));
      s.execute("CREATE ROLE copytest_trust LOGIN");
      for (String role : List.of("copytest_md5", "copytest_password", "copytest_trust")) {
        s.execute("GRANT SELECT ON t TO " + role);
      }
    }
    hba = TestPostgres.hbaRules(EXTRA_HBA);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (hba != null) {
      hba.close();
    }
  }

  @Test
  @DisplayName("streams exactly the bytes pgjdbc's CopyManager gives, row counts and progress included")
  void sameBytesAsPgjdbc() throws Exception {
    String copy = "COPY public.t (id, body, raw, at, ratio) TO STDOUT";
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    try (Connection c = jdbc(db); Statement s = c.createStatement()) {
      s.execute("SET TimeZone = 'UTC'");
      s.execute("SET extra_float_digits = 3");
      c.unwrap(PGConnection.class).getCopyAPI().copyOut(copy, expected);
    }
    ByteArrayOutputStream actual = new ByteArrayOutputStream();
    List<Long> progress = new ArrayList<>();
    try (CopyOutConnection rows = Connections.copyOut(db)) {
      long count = rows.copyOut(copy, actual, 10_000, progress::add);
      assertThat(count).isEqualTo(50_001);
    }
    assertThat(progress).containsExactly(10_000L, 20_000L, 30_000L, 40_000L, 50_000L);
    assertThat(actual.size()).isGreaterThan(3_000_000).isEqualTo(expected.size());
    assertThat(actual.toByteArray()).isEqualTo(expected.toByteArray());
  }

  @Test
  @DisplayName("submitted statements run while the caller works; their numbers are read afterwards, in order")
  void submittedNumbers() throws Exception {
    try (CopyOutConnection rows = Connections.copyOut(db)) {
      rows.submit("SET LOCAL jit = off; SELECT count(*) FROM public.t; SELECT 7; SELECT -3 WHERE false");
      assertThat(rows.readNumbers()).containsExactly(50_001L, 7L);
      rows.submit("SELECT 1; SELECT count(*) FROM public.missing; SELECT 2");
      assertThatThrownBy(rows::readNumbers)
        .isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42P01"));
      rows.submit("SELECT 3");
      assertThat(rows.readNumbers()).containsExactly(3L);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"copytest_md5", "copytest_trust"})
  @DisplayName("signs in with md5 and trust authentication too")
  void otherAuthentication(String role) throws Exception {
    try (CopyOutConnection rows = Connections.copyOut(asRole(role))) {
      assertThat(currentUser(rows)).isEqualTo(role);
    }
  }

  @Test
  @DisplayName("does not send a password in clear text over plain TCP (over TLS it does: DatabaseTlsTest)")
  void cleartextPasswordRefused() {
    assertThatThrownBy(() -> Connections.copyOut(asRole("copytest_password")))
      .isInstanceOf(SQLException.class)
      .hasMessageContaining("password in clear text").hasMessageContaining("without TLS").hasMessageContaining("scram-sha-256")
      .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"));
  }

  @Test
  @DisplayName("under sslmode=prefer it asks for TLS and goes on in plain TCP when this server, which has none, declines")
  void preferFallsBackToPlainTcp() throws Exception {
    try (CopyOutConnection rows = Connections.copyOut(db.withSsl(SslMode.PREFER, null))) {
      assertThat(currentUser(rows)).isEqualTo(db.user());
    }
  }

  /** The shared cluster's database as another role; the coordinates' default mode, prefer. */
  private static DbCoordinates asRole(String role) {
    return new DbCoordinates(db.host(), db.port(), db.database(), role, ROLE_PASSWORD);
  }

  private static String currentUser(CopyOutConnection rows) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(rows.copyOut("COPY (SELECT current_user) TO STDOUT", out, 1, n -> { })).isEqualTo(1);
    return out.toString(StandardCharsets.UTF_8).stripTrailing();
  }

  @Test
  @DisplayName("a wrong password is refused with the server's code, for SCRAM and md5 alike")
  void wrongPassword() {
    assertThatThrownBy(() -> Connections.copyOut(db.withPassword("not the password")))
      .isInstanceOf(SQLException.class)
      .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
    DbCoordinates md5 = new DbCoordinates(db.host(), db.port(), db.database(), "copytest_md5", "wrong");
    assertThatThrownBy(() -> Connections.copyOut(md5))
      .isInstanceOf(SQLException.class)
      .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
  }

  @Test
  @DisplayName("a failing statement or COPY reports the server's error and leaves the connection usable")
  void errorsLeaveTheConnectionUsable() throws Exception {
    try (CopyOutConnection rows = Connections.copyOut(db)) {
      assertThatThrownBy(() -> rows.copyOut("COPY public.missing TO STDOUT", new ByteArrayOutputStream(), 1, n -> { }))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("missing")
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42P01"));
      assertThatThrownBy(() -> rows.execute("SELECT 1/0"))
        .isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("22012"));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      rows.execute("SELECT 1; SET application_name = 'still here'");
      rows.copyOut("COPY (SELECT current_setting('application_name')) TO STDOUT", out, 1, n -> { });
      assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("still here\n");
    }
  }

  @Test
  @DisplayName("a COPY whose session the server ends fails with the server's reason")
  void terminatedMidCopy() throws Exception {
    try (CopyOutConnection rows = Connections.copyOut(db)) {
      String copy = "COPY (SELECT i, CASE WHEN i > 1 THEN pg_sleep(0.05) END FROM generate_series(1, 2000) i) TO STDOUT";
      assertEndedByServer(rows, () -> rows.copyOut(copy, new ByteArrayOutputStream(), 1, n -> { }));
    }
  }

  @Test
  @DisplayName("a statement whose session the server ends fails with the server's reason")
  void terminatedMidStatement() throws Exception {
    try (CopyOutConnection rows = Connections.copyOut(db)) {
      assertEndedByServer(rows, () -> rows.execute("SELECT pg_sleep(60)"));
    }
  }

  @Test
  @DisplayName("close() from another thread stops a running COPY")
  void closedMidCopy() throws Exception {
    CopyOutConnection rows = Connections.copyOut(db);
    String copy = "COPY (SELECT i, pg_sleep(0.05) FROM generate_series(1, 2000) i) TO STDOUT";
    CompletableFuture<Void> running = inBackground(() -> rows.copyOut(copy, new ByteArrayOutputStream(), 1, n -> { }));
    Thread.sleep(300);
    rows.close();
    assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS)).hasRootCauseInstanceOf(java.io.IOException.class);
  }

  private interface Work {
    void run() throws Exception;
  }

  private static CompletableFuture<Void> inBackground(Work work) {
    return CompletableFuture.runAsync(() -> {
      try {
        work.run();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Runs {@code work} on {@code rows}, ends that session from another one meanwhile, and expects 57P01. */
  private static void assertEndedByServer(CopyOutConnection rows, Work work) throws Exception {
    rows.execute("SET application_name = 'copytest_victim'");
    CompletableFuture<Void> running = inBackground(work);
    Thread.sleep(300);
    try (Connection c = jdbc(db); Statement s = c.createStatement()) {
      s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'copytest_victim'");
    }
    assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS))
      .hasRootCauseInstanceOf(SQLException.class)
      .rootCause().satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57P01"));
  }

  private static Connection jdbc(DbCoordinates coordinates) throws SQLException {
    return Connections.open(coordinates);
  }
}
