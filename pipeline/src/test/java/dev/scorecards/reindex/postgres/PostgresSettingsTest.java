package dev.scorecards.reindex.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PostgresSettingsTest {
  @Test
  void aPasswordInTheUrlIsRefusedWithoutBeingRepeated() {
    for (String url :
        new String[] {
          "jdbc:postgresql://h/db?password=hunter2",
          "jdbc:postgresql://h/db?ssl=true&PASSWORD=hunter2",
          "jdbc:postgresql://h/db?sslmode=verify-full&sslpassword=hunter2"
        }) {
      assertThatThrownBy(() -> new PostgresSettings(url, "reindex", null))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("give the password in REINDEX_PG_PASSWORD")
          .hasMessageNotContaining("hunter2");
    }
    assertThat(new PostgresSettings("jdbc:postgresql://h/db?sslmode=require", "r", "pw").toString())
        .contains("sslmode=require")
        .doesNotContain("pw)")
        .contains("(password from environment)");
  }
}
