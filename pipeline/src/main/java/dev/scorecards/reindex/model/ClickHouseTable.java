package dev.scorecards.reindex.model;

import java.util.List;
import org.apache.beam.sdk.io.clickhouse.TableSchema;
import org.apache.beam.sdk.schemas.Schema;

/**
 * The target tables, declared once: for each ClickHouse column (as {@code contract/clickhouse.sql}
 * declares it) its type and the PostgreSQL expression whose value it holds (the contract's mapping
 * stated in SQL: text NULL becomes {@code ''}, booleans 0/1), the PostgreSQL tables the rows come
 * from and their key. The Beam row schemas, the ClickHouseIO table schemas (so no DESCRIBE is sent,
 * which ClickHouse 18.16 answers in a form the driver cannot parse), the queries that read the rows
 * ({@code PostgresQueries}), the metrics and the verification's expressions all derive from it. A
 * test checks it against the contract file.
 */
public enum ClickHouseTable {
  CONVERSATIONS(
      "conversations",
      "app.chats c",
      List.of("conversation_id"),
      List.of(
          col("customer_id", "String", "c.customer_id"),
          col("profile_id", "String", "c.profile_id"),
          col("conversation_id", "String", "c.conversation_id"),
          col("agent_user_id", "String", "coalesce(c.agent_user_id, '')"),
          col("channel", "UInt8", "c.channel"),
          col("language", "String", "coalesce(c.language, '')"),
          col("start_time", "DateTime", "c.started_at"),
          col("end_time", "Nullable(DateTime)", "c.ended_at"),
          col("create_time", "DateTime", "c.created_at"),
          col("update_time", "DateTime", "c.updated_at"))),
  SCORECARDS(
      "scorecards",
      "director.scorecards s JOIN director.scorecard_template_revisions r"
          + " ON r.template_id = s.template_id AND r.revision = s.template_revision",
      List.of("scorecard_id"),
      List.of(
          col("customer_id", "String", "s.customer_id"),
          col("profile_id", "String", "s.profile_id"),
          col("scorecard_id", "String", "s.scorecard_id"),
          col("template_id", "String", "s.template_id"),
          col("template_revision", "Int32", "s.template_revision"),
          col("is_process_scorecard", "UInt8", ClickHouseTable.IS_PROCESS),
          col("conversation_id", "String", "coalesce(s.conversation_id, '')"),
          col("agent_user_id", "String", "coalesce(s.agent_user_id, '')"),
          col("creator_user_id", "String", "coalesce(s.creator_user_id, '')"),
          col("submitter_user_id", "String", "coalesce(s.submitter_user_id, '')"),
          col("score", "Nullable(Float64)", "s.score"),
          col("submit_time", "Nullable(DateTime)", "s.submitted_at"),
          col("create_time", "DateTime", "s.created_at"),
          col("update_time", "DateTime", "s.updated_at"))),
  SCORES(
      "scores",
      ClickHouseTable.SCORES_OWN_FROM
          + " JOIN director.scorecards s ON s.scorecard_id = h.scorecard_id"
          + " JOIN director.scorecard_template_revisions r"
          + " ON r.template_id = s.template_id AND r.revision = s.template_revision",
      List.of("scorecard_id", "criterion_id"),
      List.of(
          col("customer_id", "String", "s.customer_id"),
          col("profile_id", "String", "s.profile_id"),
          col("scorecard_id", "String", "h.scorecard_id"),
          col("criterion_id", "String", "h.criterion_id"),
          col("is_process_scorecard", "UInt8", ClickHouseTable.IS_PROCESS),
          col("conversation_id", "String", "coalesce(s.conversation_id, '')"),
          col("numeric_value", "Nullable(Float64)", "h.numeric_value"),
          col("not_applicable", "UInt8", "h.not_applicable::int"),
          col("ai_scored", "UInt8", "h.ai_scored::int"),
          col("comment", "String", "coalesce(h.comment, '')"),
          col("scorecard_create_time", "DateTime", "s.created_at"),
          col("update_time", "DateTime", "h.updated_at")));

  /** The template revision type of process scorecards; conversation scorecards have type 1. */
  public static final int PROCESS_TEMPLATE_TYPE = 2;

  public static final int CONVERSATION_TEMPLATE_TYPE = 1;

  /** The scores' own table: the join reads a batch's scores from it alone. */
  public static final String SCORES_OWN_FROM = "director.historic_scorecard_scores h";

  private static final String IS_PROCESS =
      "CASE WHEN r.type = " + PROCESS_TEMPLATE_TYPE + " THEN 1 ELSE 0 END";

  /**
   * A column: its name and its ClickHouse type exactly as the DDL spells it, and the PostgreSQL
   * expression (over the aliases of {@link #postgresFrom}) whose value it holds.
   */
  public record Column(
      String name, String clickHouseType, String postgres, Kind kind, boolean nullable) {
    Column(String name, String clickHouseType, String postgres) {
      this(
          name,
          clickHouseType,
          postgres,
          Kind.of(baseType(clickHouseType)),
          !baseType(clickHouseType).equals(clickHouseType));
    }

    private static String baseType(String type) {
      return type.startsWith("Nullable(") && type.endsWith(")")
          ? type.substring(9, type.length() - 1)
          : type;
    }
  }

  /** The ClickHouse types of the contract's columns (without Nullable), parsed once per column. */
  public enum Kind {
    STRING(Schema.FieldType.STRING),
    INT32(Schema.FieldType.INT32),
    // ClickHouseIO casts UInt8 values to Short: a Byte fails.
    UINT8(Schema.FieldType.INT16),
    FLOAT64(Schema.FieldType.DOUBLE),
    DATETIME(Schema.FieldType.DATETIME);

    /** The Beam field type that ClickHouseIO writes into a column of this type. */
    final Schema.FieldType beamType;

    Kind(Schema.FieldType beamType) {
      this.beamType = beamType;
    }

    static Kind of(String clickHouseType) {
      switch (clickHouseType) {
        case "String":
          return STRING;
        case "Int32":
          return INT32;
        case "UInt8":
          return UINT8;
        case "Float64":
          return FLOAT64;
        case "DateTime":
          return DATETIME;
        default:
          throw new IllegalArgumentException("no mapping for ClickHouse type " + clickHouseType);
      }
    }
  }

  private final String tableName;
  private final String postgresFrom;
  private final List<String> key;
  private final List<Column> columns;
  private final Schema beamSchema;

  ClickHouseTable(String tableName, String postgresFrom, List<String> key, List<Column> columns) {
    this.tableName = tableName;
    this.postgresFrom = postgresFrom;
    this.key = key;
    this.columns = columns;
    this.beamSchema =
        Schema.of(
            columns.stream()
                .map(c -> Schema.Field.of(c.name(), c.kind().beamType.withNullable(c.nullable())))
                .toArray(Schema.Field[]::new));
  }

  private static Column col(String name, String type, String postgres) {
    return new Column(name, type, postgres);
  }

  /**
   * The statements of a ClickHouse DDL file such as {@code contract/clickhouse.sql}: comment lines
   * dropped (they may hold ';'), split at ';', for sending one by one over HTTP.
   */
  public static List<String> ddlStatements(String ddl) {
    String withoutComments =
        String.join("\n", ddl.lines().filter(l -> !l.strip().startsWith("--")).toList());
    return java.util.Arrays.stream(withoutComments.split(";"))
        .map(String::strip)
        .filter(st -> !st.isEmpty())
        .toList();
  }

  public String tableName() {
    return tableName;
  }

  public List<Column> columns() {
    return columns;
  }

  /** The PostgreSQL tables the rows come from, with the aliases the columns' expressions use. */
  public String postgresFrom() {
    return postgresFrom;
  }

  /** The columns that identify a row (ReplacingMergeTree keeps the newest version of each). */
  public List<String> key() {
    return key;
  }

  /** The column that identifies the row's scorecard or conversation: what a clean-up deletes by. */
  public String idColumn() {
    return key.get(0);
  }

  public Column column(String name) {
    return columns.stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(tableName + " has no column " + name));
  }

  public Schema beamSchema() {
    return beamSchema;
  }

  public TableSchema clickHouseIoSchema() {
    return TableSchema.of(
        columns.stream()
            .map(
                c ->
                    TableSchema.Column.of(
                        c.name(), TableSchema.ColumnType.parse(c.clickHouseType())))
            .toArray(TableSchema.Column[]::new));
  }
}
