package dev.scorecards.reindex.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.clickhouse.TableSchema;
import org.junit.jupiter.api.Test;

/**
 * The code's one definition of the target tables agrees with the contract, and our copies of the
 * contract with the shared one.
 */
class ClickHouseTableTest {
  static final Path CONTRACT = Path.of("..", "contract");
  private static final Path SHARED_CONTRACT = Path.of("..", "..", "shared", "contract");

  /** The columns of every table in a ClickHouse DDL file, in order: name and type. */
  static Map<String, List<List<String>>> parseDdl(String ddl) {
    Map<String, List<List<String>>> tables = new LinkedHashMap<>();
    Matcher table =
        Pattern.compile("CREATE TABLE IF NOT EXISTS (\\w+) \\((.*?)\\) ENGINE", Pattern.DOTALL)
            .matcher(ddl);
    while (table.find()) {
      List<List<String>> columns = new ArrayList<>();
      for (String line : table.group(2).split("\n")) {
        Matcher col = Pattern.compile("^\\s*(\\w+)\\s+(.+?),?\\s*$").matcher(line);
        if (col.matches()) {
          columns.add(List.of(col.group(1), col.group(2)));
        }
      }
      tables.put(table.group(1), columns);
    }
    return tables;
  }

  @Test
  void everyTableMatchesTheContractColumnByColumn() throws IOException {
    Map<String, List<List<String>>> contract =
        parseDdl(Files.readString(CONTRACT.resolve("clickhouse.sql")));
    assertThat(contract).containsKeys("scorecards", "scores");
    for (ClickHouseTable table : ClickHouseTable.values()) {
      assertThat(table.columns().stream().map(c -> List.of(c.name(), c.clickHouseType())).toList())
          .as(table.tableName())
          .isEqualTo(contract.get(table.tableName()));
    }
  }

  /** Each table's engine clause after its column list: engine, PARTITION BY, ORDER BY. */
  static Map<String, String> engines(String ddl) {
    Map<String, String> engines = new LinkedHashMap<>();
    Matcher m =
        Pattern.compile(
                "CREATE TABLE IF NOT EXISTS (?:\\w+\\.)?(\\w+)(?: ON CLUSTER \\w+)? \\(.*?\\) ENGINE = (.*?);",
                Pattern.DOTALL)
            .matcher(ddl);
    while (m.find()) {
      engines.put(m.group(1), m.group(2).replaceAll("\\s+", " "));
    }
    return engines;
  }

  @Test
  void theClusterContractHasTheSameTablesAsTheSingleNodeOne() throws IOException {
    String single = Files.readString(CONTRACT.resolve("clickhouse.sql"));
    String cluster = Files.readString(CONTRACT.resolve("clickhouse-cluster.sql"));
    Map<String, List<List<String>>> singleTables = parseDdl(single);
    Map<String, List<List<String>>> clusterTables =
        parseDdl(
            cluster.replaceAll("EXISTS reindex\\.(\\w+) ON CLUSTER reindex_cluster", "EXISTS $1"));
    Map<String, String> singleEngines = engines(single);
    Map<String, String> clusterEngines = engines(cluster);
    for (ClickHouseTable table : ClickHouseTable.values()) {
      String name = table.tableName();
      assertThat(clusterTables.get(name + "_local")).as(name).isEqualTo(singleTables.get(name));
      // Same version column, partitioning and order; replicated, under the shard's ZooKeeper path.
      String engine = singleEngines.get(name);
      assertThat(engine).startsWith("ReplacingMergeTree(update_time) PARTITION BY");
      assertThat(clusterEngines.get(name + "_local"))
          .isEqualTo(
              engine.replace(
                  "ReplacingMergeTree(update_time)",
                  "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/reindex/"
                      + name
                      + "_local', '{replica}', update_time)"));
      // Every version of a row on one shard: sharded by the id the row belongs to.
      String shardBy = table == ClickHouseTable.CONVERSATIONS ? "conversation_id" : "scorecard_id";
      assertThat(cluster)
          .contains(
              "CREATE TABLE IF NOT EXISTS reindex."
                  + name
                  + " ON CLUSTER reindex_cluster\nAS reindex."
                  + name
                  + "_local\nENGINE = Distributed(reindex_cluster, reindex, "
                  + name
                  + "_local, sipHash64("
                  + shardBy
                  + "));");
    }
  }

  @Test
  void theContractSplitsIntoItsThreeCreateStatementsDespiteSemicolonsInComments()
      throws IOException {
    List<String> statements =
        ClickHouseTable.ddlStatements(Files.readString(CONTRACT.resolve("clickhouse.sql")));
    assertThat(statements)
        .hasSize(3)
        .allMatch(st -> st.startsWith("CREATE TABLE IF NOT EXISTS"))
        .noneMatch(st -> st.contains("--"));
  }

  @Test
  void theClickHouseIoSchemaHasEveryColumnWithItsType() {
    for (ClickHouseTable table : ClickHouseTable.values()) {
      TableSchema schema = table.clickHouseIoSchema();
      assertThat(schema.columns()).hasSize(table.columns().size());
      assertThat(schema.columns().get(0).name()).isEqualTo(table.columns().get(0).name());
      assertThat(table.beamSchema().getFieldCount()).isEqualTo(table.columns().size());
    }
    assertThat(ClickHouseTable.SCORECARDS.beamSchema().getField("score").getType().getNullable())
        .isTrue();
    assertThat(
            ClickHouseTable.SCORECARDS.beamSchema().getField("create_time").getType().getNullable())
        .isFalse();
  }

  @Test
  void ourCopiesOfTheContractHaveNotDriftedFromTheSharedOne() throws IOException {
    assumeTrue(Files.isDirectory(SHARED_CONTRACT), "no shared contract next to this clone");
    for (String file : List.of("postgres.sql", "clickhouse.sql")) {
      assertThat(Files.readString(CONTRACT.resolve(file)))
          .as(file)
          .isEqualTo(Files.readString(SHARED_CONTRACT.resolve(file)));
    }
  }
}
