package dev.scorecards.reindex.model;

import java.util.List;
import org.apache.beam.sdk.io.clickhouse.TableSchema;
import org.apache.beam.sdk.schemas.Schema;

/**
 * The ClickHouse target tables, column by column, as {@code contract/clickhouse.sql} declares them.
 * This is the one definition in the code: the Beam row schemas, the ClickHouseIO table schemas (so
 * no DESCRIBE is sent, which ClickHouse 18.16 answers in a form the driver cannot parse) and the
 * column lists of queries all derive from it. A test checks it against the contract file.
 */
public enum ClickHouseTable {
  CONVERSATIONS(
      "conversations",
      List.of(
          col("customer_id", "String"),
          col("profile_id", "String"),
          col("conversation_id", "String"),
          col("agent_user_id", "String"),
          col("channel", "UInt8"),
          col("language", "String"),
          col("start_time", "DateTime"),
          col("end_time", "Nullable(DateTime)"),
          col("create_time", "DateTime"),
          col("update_time", "DateTime"))),
  SCORECARDS(
      "scorecards",
      List.of(
          col("customer_id", "String"),
          col("profile_id", "String"),
          col("scorecard_id", "String"),
          col("template_id", "String"),
          col("template_revision", "Int32"),
          col("is_process_scorecard", "UInt8"),
          col("conversation_id", "String"),
          col("agent_user_id", "String"),
          col("creator_user_id", "String"),
          col("submitter_user_id", "String"),
          col("score", "Nullable(Float64)"),
          col("submit_time", "Nullable(DateTime)"),
          col("create_time", "DateTime"),
          col("update_time", "DateTime"))),
  SCORES(
      "scores",
      List.of(
          col("customer_id", "String"),
          col("profile_id", "String"),
          col("scorecard_id", "String"),
          col("criterion_id", "String"),
          col("is_process_scorecard", "UInt8"),
          col("conversation_id", "String"),
          col("numeric_value", "Nullable(Float64)"),
          col("not_applicable", "UInt8"),
          col("ai_scored", "UInt8"),
          col("comment", "String"),
          col("scorecard_create_time", "DateTime"),
          col("update_time", "DateTime")));

  /** A column: its name and its ClickHouse type exactly as the DDL spells it. */
  public record Column(String name, String clickHouseType) {}

  private final String tableName;
  private final List<Column> columns;
  private final Schema beamSchema;

  ClickHouseTable(String tableName, List<Column> columns) {
    this.tableName = tableName;
    this.columns = columns;
    this.beamSchema =
        Schema.of(
            columns.stream()
                .map(c -> Schema.Field.of(c.name(), beamType(c.clickHouseType())))
                .toArray(Schema.Field[]::new));
  }

  private static Column col(String name, String type) {
    return new Column(name, type);
  }

  /**
   * The Beam field type that ClickHouseIO writes into a column of this ClickHouse type. UInt8 takes
   * a 16-bit value: ClickHouseIO casts UInt8 values to Short, and a Byte fails.
   */
  static Schema.FieldType beamType(String clickHouseType) {
    if (clickHouseType.startsWith("Nullable(") && clickHouseType.endsWith(")")) {
      return beamType(clickHouseType.substring(9, clickHouseType.length() - 1)).withNullable(true);
    }
    switch (clickHouseType) {
      case "String":
        return Schema.FieldType.STRING;
      case "Int32":
        return Schema.FieldType.INT32;
      case "UInt8":
        return Schema.FieldType.INT16;
      case "Float64":
        return Schema.FieldType.DOUBLE;
      case "DateTime":
        return Schema.FieldType.DATETIME;
      default:
        throw new IllegalArgumentException("no Beam type for ClickHouse type " + clickHouseType);
    }
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
