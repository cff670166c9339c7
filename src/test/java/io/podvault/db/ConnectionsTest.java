package io.podvault.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.podvault.config.DbCoordinates;
import io.podvault.support.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The connections podvault opens")
class ConnectionsTest {

  private static final String JIT_IS_ON = "SELECT (current_setting('jit') = 'on')::int";

  private static DbCoordinates db;

  @BeforeAll
  static void setUp() throws Exception {
    db = TestPostgres.freshDatabase();
  }

  @Test
  @DisplayName("run catalog queries, counts and COPY without PostgreSQL's JIT; a loader keeps the server's setting")
  void jitOffButForLoaders() throws Exception {
    try (Connection plain = Connections.open(db);
      Connection snapshot = Connections.open(db, Connections.Kind.SNAPSHOT);
      Connection migrations = Connections.dataSource(db).getConnection();
      Connection loader = Connections.openLoader(db, 16);
      CopyOutConnection copy = Connections.copyOut(db)) {
      assertThat(jitOn(plain)).isZero();
      assertThat(jitOn(snapshot)).isZero();
      assertThat(jitOn(migrations)).isZero();
      copy.submit(JIT_IS_ON);
      assertThat(copy.readNumbers()).isEqualTo(List.of(0L));
      assertThat(jitOn(loader)).as("PostgreSQL's default, jit = on").isOne();
    }
  }

  private static int jitOn(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(JIT_IS_ON)) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
