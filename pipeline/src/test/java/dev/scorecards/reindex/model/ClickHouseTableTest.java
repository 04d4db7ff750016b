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
