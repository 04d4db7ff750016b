package dev.scorecards.reindex.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClickHouseClientTest {
  @Test
  void quotesLiteralsSoThatNoValueCanEndThem() {
    assertThat(ClickHouseClient.quote("plain")).isEqualTo("'plain'");
    assertThat(ClickHouseClient.quote("it's")).isEqualTo("'it\\'s'");
    assertThat(ClickHouseClient.quote("a\\' OR 1=1 --")).isEqualTo("'a\\\\\\' OR 1=1 --'");
    assertThat(ClickHouseClient.quote("tab\tnew\nline")).isEqualTo("'tab\\tnew\\nline'");
  }

  @Test
  void tabSeparatedFieldsRoundTrip() {
    List<String> fields = Arrays.asList("a\tb", "line\nbreak", "back\\slash", "😀 東京", "", null);
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < fields.size(); i++) {
      line.append(i == 0 ? "" : "\t")
          .append(fields.get(i) == null ? "\\N" : ClickHouseClient.tsvField(fields.get(i)));
    }
    assertThat(ClickHouseClient.parseTsv(line + "\n")).containsExactly(fields);
    assertThat(ClickHouseClient.parseTsv("")).isEmpty();
  }
}
