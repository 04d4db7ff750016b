package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.clickhouse.jdbc.ClickHouseDataSource;
import dev.scorecards.reindex.testing.TestDatabases;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The clean-up run's writer URL really sends {@code insert_deduplicate=0} with its INSERTs: through
 * the same driver ClickHouseIO uses, ClickHouse 18.16 accepts the setting, and refuses a misspelt
 * one (so a setting that silently went nowhere would be noticed here).
 */
class InsertDeduplicationIT {
  @BeforeEach
  void databases() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
  }

  private static void insertOneConversation(String url) throws Exception {
    try (Connection c = new ClickHouseDataSource(url, new Properties()).getConnection();
        Statement st = c.createStatement()) {
      st.executeUpdate(
          "INSERT INTO "
              + TestDatabases.DATABASE
              + ".conversations VALUES "
              + "('c', 'p', 'conv-dedup', '', 1, '', '2026-01-01 00:00:00', NULL, '2026-01-01 00:00:00', '2026-01-01 00:00:00')");
    }
  }

  @Test
  void theCleanUpWriterSendsInsertDeduplicateAndClickHouseTakesIt() throws Exception {
    String url = TestDatabases.clickHouse().resolved().jdbcUrlFor("18.16.1", false);
    assertThat(url).contains("custom_settings=insert_deduplicate%3D0");
    assertThat(TestDatabases.clickHouse().resolved().jdbcUrlFor("18.16.1", true))
        .doesNotContain("insert_deduplicate");
    insertOneConversation(url);
    assertThat(TestDatabases.clickHouseRowCount("conversations")).isEqualTo(1);
    assertThatThrownBy(
            () ->
                insertOneConversation(
                    url.replace("insert_deduplicate%3D0", "insert_deduplicat%3D0")))
        .hasMessageContaining("insert_deduplicat");
    assertThat(TestDatabases.clickHouseRowCount("conversations")).isEqualTo(1);
  }
}
