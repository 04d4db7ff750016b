package dev.scorecards.reindex.postgres;

import dev.scorecards.reindex.model.ClickHouseMapping;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Flow;
import dev.scorecards.reindex.model.ReindexWindow;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.apache.beam.sdk.values.Row;

/**
 * Every PostgreSQL query the reindex sends, in one place, with the row readers that go with them.
 * Values are always bound parameters; the window bounds are bound as {@code timestamptz} values
 * exact to the microsecond.
 */
public final class PostgresQueries {
  private PostgresQueries() {}

  private static final String PROCESS_SCORECARDS =
      " FROM "
          + ClickHouseTable.SCORECARDS.postgresFrom()
          + " WHERE r.type = "
          + ClickHouseTable.PROCESS_TEMPLATE_TYPE;

  /** The process scorecards ({@code s}, with their revision {@code r}) in {@code [?, ?)}. */
  public static final String PROCESS_SCORECARDS_FROM =
      PROCESS_SCORECARDS + " AND s.updated_at >= ? AND s.updated_at < ?";

  /**
   * Scores ({@code h}) with their scorecard ({@code s}) and its revision ({@code r}); a WHERE
   * follows.
   */
  private static final String SCORES_WITH_SCORECARDS =
      " FROM " + ClickHouseTable.SCORES.postgresFrom();

  /** The scores ({@code h}) of the process scorecards ({@code s}, {@code r}) in {@code [?, ?)}. */
  public static final String PROCESS_SCORES_FROM =
      SCORES_WITH_SCORECARDS
          + " WHERE r.type = "
          + ClickHouseTable.PROCESS_TEMPLATE_TYPE
          + " AND s.updated_at >= ? AND s.updated_at < ?";

  /** The conversations ({@code c}) of {@code app.chats} updated in {@code [?, ?)}. */
  public static final String CONVERSATIONS_FROM =
      " FROM "
          + ClickHouseTable.CONVERSATIONS.postgresFrom()
          + " WHERE c.updated_at >= ? AND c.updated_at < ?";

  private static final String CONVERSATION_SCORECARDS =
      " FROM "
          + ClickHouseTable.SCORECARDS.postgresFrom()
          + " WHERE r.type = "
          + ClickHouseTable.CONVERSATION_TEMPLATE_TYPE;

  /**
   * The conversation scorecards ({@code s}, {@code r}) attached to the conversations updated in
   * {@code [?, ?)}.
   */
  public static final String CONVERSATION_SCORECARDS_FROM =
      CONVERSATION_SCORECARDS
          + " AND s.conversation_id IN (SELECT c.conversation_id"
          + CONVERSATIONS_FROM
          + ")";

  /** The scores ({@code h}) of those conversation scorecards. */
  public static final String CONVERSATION_SCORES_FROM =
      SCORES_WITH_SCORECARDS
          + " WHERE r.type = "
          + ClickHouseTable.CONVERSATION_TEMPLATE_TYPE
          + " AND s.conversation_id IN (SELECT c.conversation_id"
          + CONVERSATIONS_FROM
          + ")";

  /** Conversations in one range {@code [?, ?)}, read by {@link #row}. */
  public static final String READ_CONVERSATIONS =
      select(ClickHouseTable.CONVERSATIONS) + CONVERSATIONS_FROM;

  /** The ids and versions of the conversations in {@code [?, ?)}, for accounting. */
  public static final String CONVERSATION_KEYS =
      "SELECT c.conversation_id, floor(date_part('epoch', c.updated_at))::bigint"
          + CONVERSATIONS_FROM;

  /** Process scorecards in {@code [?, ?)}: the count that plans the partitions. */
  public static final String COUNT_PROCESS_SCORECARDS = "SELECT count(*)" + PROCESS_SCORECARDS_FROM;

  /** Process scorecards in one range {@code [?, ?)} of the window, read by {@link #scorecard}. */
  public static final String READ_PROCESS_SCORECARDS =
      select(ClickHouseTable.SCORECARDS) + PROCESS_SCORECARDS_FROM;

  /**
   * Conversation scorecards of the conversations in one range {@code [?, ?)}, read by {@link
   * #scorecard}.
   */
  public static final String READ_CONVERSATION_SCORECARDS =
      select(ClickHouseTable.SCORECARDS) + CONVERSATION_SCORECARDS_FROM;

  public static final String COUNT_CONVERSATION_SCORECARDS =
      "SELECT count(*)" + CONVERSATION_SCORECARDS_FROM;

  public static final String CONVERSATION_SCORECARD_KEYS =
      "SELECT s.scorecard_id, floor(date_part('epoch', s.updated_at))::bigint"
          + CONVERSATION_SCORECARDS_FROM;

  public static final String CONVERSATION_SCORE_KEYS =
      "SELECT h.scorecard_id, h.criterion_id, floor(date_part('epoch', h.updated_at))::bigint"
          + CONVERSATION_SCORES_FROM;

  /** The columns' expressions of {@code table}, in its order: what {@link #row} reads. */
  public static String select(ClickHouseTable table) {
    return "SELECT "
        + String.join(
            ", ", table.columns().stream().map(ClickHouseTable.Column::postgres).toList());
  }

  /**
   * The rows of {@code table} whose id is among the given ones ({@code text[]}), read by {@link
   * #row}: what a repair rewrites.
   */
  public static String readByIds(ClickHouseTable table) {
    return select(table)
        + " FROM "
        + table.postgresFrom()
        + " WHERE "
        + table.column(table.idColumn()).postgres()
        + " = ANY(?)";
  }

  /** The ids and versions of the process scorecards in {@code [?, ?)}, for accounting. */
  public static final String PROCESS_SCORECARD_KEYS =
      "SELECT s.scorecard_id, floor(date_part('epoch', s.updated_at))::bigint"
          + PROCESS_SCORECARDS_FROM;

  /** The score keys and versions of the process scorecards in {@code [?, ?)}, for accounting. */
  public static final String PROCESS_SCORE_KEYS =
      "SELECT h.scorecard_id, h.criterion_id, floor(date_part('epoch', h.updated_at))::bigint"
          + PROCESS_SCORES_FROM;

  /**
   * The times that cut the window into chunks of equal work: {@code percentile_disc} of the update
   * times that decide membership (the process scorecards', the conversations'), over every flow
   * given. Parameters: the fractions ({@code float8[]}), then start and end once per flow, in the
   * order of {@code flows}.
   */
  public static String chunkBoundaries(java.util.List<Flow> flows) {
    java.util.List<String> parts = new java.util.ArrayList<>();
    for (Flow flow : flows) {
      parts.add(
          flow == Flow.PROCESS
              ? "SELECT s.updated_at AS t" + PROCESS_SCORECARDS_FROM
              : "SELECT c.updated_at AS t" + CONVERSATIONS_FROM);
    }
    return "SELECT percentile_disc(?::float8[]) WITHIN GROUP (ORDER BY t) FROM ("
        + String.join(" UNION ALL ", parts)
        + ") x";
  }

  /** The scores of one batch of scorecards, the ids bound as one {@code text[]}. */
  public static final String SCORES_OF_SCORECARDS =
      "SELECT "
          + String.join(
              ", ",
              ClickHouseMapping.SCORE_OWN_COLUMNS.stream()
                  .map(ClickHouseTable.Column::postgres)
                  .toList())
          + " FROM "
          + ClickHouseTable.SCORES_OWN_FROM
          + " WHERE "
          + ClickHouseTable.SCORES.column("scorecard_id").postgres()
          + " = ANY(?)";

  /** Which of the given conversation ids ({@code text[]}) still exist. */
  public static final String EXISTING_CONVERSATIONS =
      "SELECT conversation_id FROM app.chats WHERE conversation_id = ANY(?)";

  /** Which of the given scorecard ids ({@code text[]}) still exist. */
  public static final String EXISTING_SCORECARDS =
      "SELECT scorecard_id FROM director.scorecards WHERE scorecard_id = ANY(?)";

  /** A row of {@code table} read from the columns of {@link #select}, mapped. */
  public static Row row(ClickHouseTable table, ResultSet rs) throws SQLException {
    return ClickHouseMapping.row(table, values(table.columns(), rs));
  }

  /**
   * A score's own values ({@link ClickHouseMapping#SCORE_OWN_COLUMNS}) from {@link
   * #SCORES_OF_SCORECARDS}.
   */
  public static Object[] scoreOwnValues(ResultSet rs) throws SQLException {
    return values(ClickHouseMapping.SCORE_OWN_COLUMNS, rs);
  }

  /** The values of these columns' expressions, selected in this order, as Java values. */
  private static Object[] values(List<ClickHouseTable.Column> columns, ResultSet rs)
      throws SQLException {
    Object[] values = new Object[columns.size()];
    for (int i = 0; i < values.length; i++) {
      int column = i + 1;
      values[i] =
          switch (columns.get(i).kind()) {
            case DATETIME -> instant(rs, column);
            case FLOAT64 -> nullableDouble(rs, column);
            case INT32, UINT8 -> rs.getInt(column);
            case STRING -> rs.getString(column);
          };
    }
    return values;
  }

  private static Double nullableDouble(ResultSet rs, int column) throws SQLException {
    double v = rs.getDouble(column);
    return rs.wasNull() ? null : v;
  }

  /**
   * A timestamptz as an Instant, exact to the microsecond whatever the JVM's time zone. A column
   * that arrived in PostgreSQL's binary format (a server-prepared statement's: every statement,
   * {@link PostgresSettings#CONNECTION_PROPERTIES}) is its microseconds since 2000-01-01 UTC, read
   * here directly: the driver's {@code OffsetDateTime} goes through six objects per value (2
   * million scores per 200,000 scorecards). Text, and the infinities, take the driver's way.
   */
  public static Instant instant(ResultSet rs, int column) throws SQLException {
    if (rs.getMetaData() instanceof org.postgresql.PGResultSetMetaData meta
        && meta.getFormat(column) == BINARY) {
      byte[] raw = rs.getBytes(column);
      if (raw == null) {
        return null;
      }
      long sincePostgresEpoch =
          raw.length == Long.BYTES ? (long) BIG_ENDIAN_LONG.get(raw, 0) : Long.MAX_VALUE;
      if (sincePostgresEpoch != Long.MAX_VALUE && sincePostgresEpoch != Long.MIN_VALUE) {
        long micros = Math.addExact(sincePostgresEpoch, POSTGRES_EPOCH_MICROS);
        return Instant.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
      }
    }
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /** The wire format code of a binary column. */
  private static final int BINARY = 1;

  /** 2000-01-01T00:00:00Z, PostgreSQL's epoch, in microseconds since 1970's. */
  private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;

  private static final java.lang.invoke.VarHandle BIG_ENDIAN_LONG =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
          long[].class, java.nio.ByteOrder.BIG_ENDIAN);

  private static final java.time.format.DateTimeFormatter LITERAL =
      java.time.format.DateTimeFormatter.ofPattern(
              "uuuu-MM-dd HH:mm:ss.SSSSSS", java.util.Locale.ROOT)
          .withZone(java.time.ZoneOffset.UTC);

  /**
   * {@code sql} with its two window parameters ({@code updated_at >= ? AND updated_at < ?}) written
   * as {@code timestamptz} literals of the window's start and end, for statements that take no
   * parameters ({@code COPY}). The literals are made from the bounds' microseconds, never from user
   * text. Fails unless the statement has exactly two {@code ?}.
   */
  public static String withWindowLiterals(String sql, ReindexWindow window) {
    String[] parts = sql.split("\\?", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("expected the two window parameters in: " + sql);
    }
    return parts[0]
        + literal(window.startMicros())
        + parts[1]
        + literal(window.endMicros())
        + parts[2];
  }

  private static String literal(long micros) {
    return "'" + LITERAL.format(ReindexWindow.fromMicros(micros)) + "+00'::timestamptz";
  }
}
