package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.postgres.PostgresQueries;
import dev.scorecards.reindex.testing.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGResultSetMetaData;

/**
 * {@link PostgresQueries#instant} reads a timestamptz the same whether PostgreSQL sent it as text
 * or in its binary format (microseconds since 2000), on the real server.
 */
class PostgresTimestampsIT {
  /** Around both epochs, before 1970, fractions of a second, and far from today. */
  private static final List<String> TIMES =
      List.of(
          "2000-01-01T00:00:00Z",
          "1999-12-31T23:59:59.999999Z",
          "2000-01-01T00:00:00.000001Z",
          "1970-01-01T00:00:00Z",
          "1969-12-31T23:59:59.999999Z",
          "1901-07-04T12:34:56.5Z",
          "2026-03-01T00:00:00.123456Z",
          "2026-11-29T23:59:59Z",
          "9999-12-31T23:59:59.999999Z",
          "0001-01-01T00:00:00Z");

  @BeforeAll
  static void databases() throws Exception {
    TestDatabases.prepare();
  }

  @Test
  void binaryAndTextTimestampsReadAsTheSameInstants() throws Exception {
    List<Instant> expected = TIMES.stream().map(Instant::parse).toList();
    assertThat(read(true)).containsExactlyElementsOf(expected);
    assertThat(read(false)).containsExactlyElementsOf(expected);
  }

  @Test
  void infinityAndNullTakeTheDriversWay() throws Exception {
    try (Connection c = TestDatabases.postgres().connect();
        PreparedStatement st =
            c.prepareStatement("SELECT 'infinity'::timestamptz, NULL::timestamptz")) {
      // Binary from the first execution: the connections' own setting.
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        assertThat(((PGResultSetMetaData) rs.getMetaData()).getFormat(1)).isEqualTo(1);
        assertThat(PostgresQueries.instant(rs, 1))
            .isEqualTo(java.time.OffsetDateTime.MAX.toInstant());
        assertThat(PostgresQueries.instant(rs, 2)).isNull();
      }
    }
  }

  @Test
  void connectionsAskForBinaryRowsFromTheFirstQueryUnlessTheUrlSaysOtherwise() throws Exception {
    assertThat(formatOfATimestamp(TestDatabases.postgres())).isEqualTo(1);
    // Behind a transaction-pooling PgBouncer the URL says prepareThreshold=0: its word counts.
    String url = TestDatabases.postgres().jdbcUrl();
    assertThat(
            formatOfATimestamp(
                new dev.scorecards.reindex.postgres.PostgresSettings(
                    url + "?prepareThreshold=0", "reindex", null)))
        .isEqualTo(0);
  }

  /** The wire format of a timestamptz column in the answer to a connection's first query. */
  private static int formatOfATimestamp(dev.scorecards.reindex.postgres.PostgresSettings postgres)
      throws Exception {
    try (Connection c = postgres.connect();
        PreparedStatement st = c.prepareStatement("SELECT now()");
        ResultSet rs = st.executeQuery()) {
      return ((PGResultSetMetaData) rs.getMetaData()).getFormat(1);
    }
  }

  /**
   * The times as PostgreSQL returns them, in its binary format (a statement prepared from the first
   * run) or as text.
   */
  private static List<Instant> read(boolean binary) throws Exception {
    List<Instant> read = new ArrayList<>();
    // Binary: the connections' own setting (server-prepared from the first execution); text: a
    // connection whose URL says never to prepare.
    String url = TestDatabases.postgres().jdbcUrl() + (binary ? "" : "?prepareThreshold=0");
    try (Connection c =
            new dev.scorecards.reindex.postgres.PostgresSettings(url, "reindex", null).connect();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT t::timestamptz FROM unnest(?::text[]) WITH ORDINALITY AS x(t, i) ORDER BY i")) {
      st.setArray(1, c.createArrayOf("text", TIMES.toArray()));
      try (ResultSet rs = st.executeQuery()) {
        assertThat(((PGResultSetMetaData) rs.getMetaData()).getFormat(1)).isEqualTo(binary ? 1 : 0);
        while (rs.next()) {
          read.add(PostgresQueries.instant(rs, 1));
        }
      }
    }
    return read;
  }
}
