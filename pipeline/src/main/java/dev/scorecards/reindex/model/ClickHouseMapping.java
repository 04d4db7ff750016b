package dev.scorecards.reindex.model;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.Row;

/**
 * The mapping of {@code contract/clickhouse.sql}, from the values PostgreSQL gives for the declared
 * columns' expressions ({@link ClickHouseTable}) to ClickHouse rows: text NULL becomes '', booleans
 * become 0/1, timestamps become UTC whole seconds (truncated, not rounded).
 *
 * <p>Rows are built with {@code attachValues}, which skips Beam's per-row type check, one of the
 * pipeline's largest costs; {@code ClickHouseMappingTest} checks the types once per kind of row.
 */
public final class ClickHouseMapping {
  private ClickHouseMapping() {}

  /**
   * The columns of a score that its scorecard does not give (its scorecard's row holds a column of
   * the same PostgreSQL expression for each of the others): what the scores query reads, in this
   * order. The scorecard id is among them: it joins a score to its scorecard.
   */
  public static final List<ClickHouseTable.Column> SCORE_OWN_COLUMNS;

  /** The position of the scorecard id among {@link #SCORE_OWN_COLUMNS}. */
  public static final int SCORE_SCORECARD_ID;

  /** For each score column: the index of the scorecard column it copies, or -1 for its own. */
  private static final int[] SCORE_FROM_SCORECARD;

  private static final int SCORECARD_ID =
      ClickHouseTable.SCORECARDS.beamSchema().indexOf("scorecard_id");

  static {
    List<ClickHouseTable.Column> scorecard = ClickHouseTable.SCORECARDS.columns();
    List<ClickHouseTable.Column> score = ClickHouseTable.SCORES.columns();
    List<ClickHouseTable.Column> own = new ArrayList<>();
    SCORE_FROM_SCORECARD = new int[score.size()];
    for (int i = 0; i < score.size(); i++) {
      SCORE_FROM_SCORECARD[i] = -1;
      for (int j = 0; j < scorecard.size(); j++) {
        if (scorecard.get(j).postgres().equals(score.get(i).postgres())) {
          SCORE_FROM_SCORECARD[i] = j;
        }
      }
      if (SCORE_FROM_SCORECARD[i] < 0) {
        own.add(score.get(i));
      }
    }
    SCORE_OWN_COLUMNS = List.copyOf(own);
    SCORE_SCORECARD_ID = own.indexOf(ClickHouseTable.SCORES.column("scorecard_id"));
  }

  /** A row of {@code table} from the values of its columns' expressions, in the declared order. */
  public static Row row(ClickHouseTable table, Object... values) {
    List<ClickHouseTable.Column> columns = table.columns();
    if (values.length != columns.size()) {
      throw new IllegalArgumentException(
          table.tableName() + " has " + columns.size() + " columns, not " + values.length);
    }
    Object[] mapped = new Object[values.length];
    for (int i = 0; i < values.length; i++) {
      mapped[i] = value(columns.get(i), values[i]);
    }
    return Row.withSchema(table.beamSchema()).attachValues(mapped);
  }

  /**
   * A score row: its own columns from {@code own} (the values of {@link #SCORE_OWN_COLUMNS}), the
   * others from its (already mapped) scorecard, read by position.
   */
  public static Row score(Row scorecard, Object[] own) {
    String scorecardId = scorecard.getString(SCORECARD_ID);
    if (!scorecardId.equals(own[SCORE_SCORECARD_ID])) {
      throw new IllegalArgumentException(
          "score of scorecard " + own[SCORE_SCORECARD_ID] + " joined to scorecard " + scorecardId);
    }
    List<ClickHouseTable.Column> columns = ClickHouseTable.SCORES.columns();
    Object[] values = new Object[columns.size()];
    int next = 0;
    for (int i = 0; i < values.length; i++) {
      int from = SCORE_FROM_SCORECARD[i];
      if (from >= 0) {
        values[i] = copied(scorecard.getValue(from));
      } else {
        // The scorecard's id string, equal to the score's (checked above): rows wait between
        // steps, and a copy per score row was one more live string for every collection to move.
        values[i] = next == SCORE_SCORECARD_ID ? scorecardId : value(columns.get(i), own[next]);
        next++;
      }
    }
    return Row.withSchema(ClickHouseTable.SCORES.beamSchema()).attachValues(values);
  }

  /** The values of {@link #SCORE_OWN_COLUMNS} from a map by column name (tests and tools). */
  public static Object[] scoreOwnValues(Map<String, ?> byColumn) {
    return SCORE_OWN_COLUMNS.stream().map(c -> byColumn.get(c.name())).toArray();
  }

  /** A value of a mapped row as another row holds it: a DATETIME as a joda Instant. */
  private static Object copied(Object value) {
    return value instanceof org.joda.time.ReadableInstant ? instant(value) : value;
  }

  private static Object value(ClickHouseTable.Column column, Object v) {
    if (v == null) {
      if (column.kind() == ClickHouseTable.Kind.STRING) {
        return "";
      }
      if (column.nullable()) {
        return null;
      }
      throw new IllegalArgumentException("a NOT NULL value of " + column.name() + " is null");
    }
    return switch (column.kind()) {
      case STRING -> v.toString();
      // A value already of the column's type is kept: boxing it again would allocate per row.
      case INT32 -> v instanceof Integer ? v : ((Number) v).intValue();
      case UINT8 -> v instanceof Boolean b ? flag(b) : (short) ((Number) v).intValue();
      case FLOAT64 -> v instanceof Double ? v : ((Number) v).doubleValue();
      case DATETIME -> seconds((Instant) v);
    };
  }

  /**
   * A joda Instant, the type Beam's coders expect for DATETIME ({@code Row.getDateTime} hands out a
   * DateTime).
   */
  static org.joda.time.Instant instant(Object value) {
    return value instanceof org.joda.time.Instant i
        ? i
        : new org.joda.time.Instant(((org.joda.time.ReadableInstant) value).getMillis());
  }

  static short flag(boolean value) {
    return (short) (value ? 1 : 0);
  }

  /** UTC whole seconds, truncated towards the past (also before 1970). */
  public static org.joda.time.Instant seconds(Instant t) {
    if (t == null) {
      throw new IllegalArgumentException("a NOT NULL timestamp is null");
    }
    return new org.joda.time.Instant(Math.multiplyExact(t.getEpochSecond(), 1000L));
  }
}
