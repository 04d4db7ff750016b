package dev.scorecards.reindex.tools.current;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CurrentEngineFrontTest {
  @Test
  void readsUrlParametersAsTheServerDoes() {
    Map<String, String> p =
        CurrentEngineFront.params("query=SELECT%201%2B1&database=reindex&insert_deduplicate=0&x");
    assertThat(p)
        .containsEntry("query", "SELECT 1+1")
        .containsEntry("database", "reindex")
        .containsEntry("insert_deduplicate", "0")
        .containsEntry("x", "");
  }

  @Test
  void splitsMultipartBodiesIntoTheirParts() {
    String body =
        "--b1\r\nContent-Disposition: form-data; name=\"keys\"; filename=\"keys\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\na\nb\n\r\n--b1\r\n"
            + "Content-Disposition: form-data; name=\"query\"\r\n\r\nSELECT 1\r\n--b1--\r\n";
    Map<String, byte[]> parts =
        CurrentEngineFront.parts(body.getBytes(StandardCharsets.UTF_8), "b1");
    assertThat(parts).containsOnlyKeys("keys", "query");
    assertThat(new String(parts.get("keys"), StandardCharsets.UTF_8)).isEqualTo("a\nb\n");
    assertThat(new String(parts.get("query"), StandardCharsets.UTF_8)).isEqualTo("SELECT 1");
  }

  @Test
  void findsAnInsertsDataInTheBodyOrAfterTheQueryParameter() {
    byte[] rows = {0x0a, 'a', ' ', 0x20, 0x09};
    String[] p =
        CurrentEngineFront.insertWithData("INSERT INTO db.t (a, b) FORMAT RowBinary", rows);
    assertThat(p).containsExactly("INSERT INTO db.t (a, b) ", "RowBinary", "0");
    byte[] body = new byte[37 + rows.length];
    System.arraycopy(
        "INSERT INTO db.t FORMAT RowBinary\r\n x".getBytes(StandardCharsets.ISO_8859_1),
        0,
        body,
        0,
        36);
    String[] b = CurrentEngineFront.insertWithData(null, body);
    assertThat(b).containsExactly("INSERT INTO db.t ", "RowBinary", "35");
    assertThat(CurrentEngineFront.insertWithData(null, "SELECT 1".getBytes(StandardCharsets.UTF_8)))
        .isNull();
    assertThat(CurrentEngineFront.insertWithData("SELECT 1", rows)).isNull();
  }

  @Test
  void answersErrorsWithTheServersStatusCodes() {
    assertThat(CurrentEngineFront.httpStatus(62)).isEqualTo(400);
    assertThat(CurrentEngineFront.httpStatus(60)).isEqualTo(404);
    assertThat(CurrentEngineFront.httpStatus(516)).isEqualTo(401);
    assertThat(CurrentEngineFront.httpStatus(241)).isEqualTo(500);
  }

  @Test
  void quotesNamesAndValues() {
    assertThat(CurrentEngineFront.quoteIdentifier("a`b")).isEqualTo("`a\\`b`");
    assertThat(CurrentEngineFront.quoteString("it's")).isEqualTo("'it\\'s'");
  }
}
