package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.testing.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * Bad input and unreachable databases: one clear sentence, a distinct exit code, nothing written.
 */
class RunCommandIT {
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void seedOneScorecard() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    TestDatabases.template("tpl-process", 1, 2);
    TestDatabases.scorecard("sc-1", "tpl-process", 1, null, ProcessReindexIT.INSIDE);
  }

  private int run(String... args) {
    List<String> all = new ArrayList<>(List.of("run"));
    all.addAll(List.of(args));
    // The test databases, unless the case names another place.
    for (String[] option :
        new String[][] {
          {"--pg-url", TestDatabases.postgres().jdbcUrl()},
          {"--ch-url", TestDatabases.CH_URL},
          {"--ch-database", TestDatabases.DATABASE}
        }) {
      if (!all.contains(option[0])) {
        all.addAll(List.of(option));
      }
    }
    CommandLine cli = ReindexCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(all.toArray(new String[0]));
  }

  private static long rowsInClickHouse() {
    return TestDatabases.clickHouseRowCount("scorecards")
        + TestDatabases.clickHouseRowCount("scores");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--mode|sideways|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z|the mode 'sideways' is not one of conversation, process, all",
        "--mode|process|--start|April 1st|--end|2026-04-02T00:00:00Z|the start time 'April 1st' is not an RFC 3339 time",
        "--mode|process|--start|2026-04-02T00:00:00Z|--end|2026-04-01T00:00:00Z|the window is empty",
        "--mode|process|--start|-300000-01-01T00:00:00Z|--end|2026-04-01T00:00:00Z|reaches outside what ClickHouse's DateTime holds",
        "--mode|process|--start|0001-01-01T00:00:00Z|--end|2026-04-01T00:00:00Z|reaches outside what ClickHouse's DateTime holds",
        "--mode|process|--start|2026-06-30T23:59:60Z|--end|2026-07-01T00:00:00Z|is not an RFC 3339 time",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-01T00:00:00Z|the window is empty",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --batch-size 0|the batch size must be between 1 and 10000",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --batch-size 10001|the batch size must be between 1 and 10000",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --batch-size ten|the batch size 'ten' (--batch-size) is not a whole number",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2099-04-02T00:00:00Z|more than a minute in the future",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --heartbeat-timeout 5 minutes|is not a positive duration",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --max-attempts 0|the max attempts must be between 1 and 100",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --chunk-scorecards 0|the chunk scorecards must be between 1 and",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --retry-backoff soon|the retry backoff 'soon' (--retry-backoff) is not a positive duration",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --resume 42|the run id '42' is not a run id",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --resume 20261129T040000Z-1a2b3c;DROP TABLE x|is not a run id",
        "--mode|process|--start|2026-04-01T00:00:00Z|--end|2026-04-02T00:00:00Z --resume 20261129T040000Z-abcdef|there is no run 20261129T040000Z-abcdef",
      })
  void usageErrorsExitWith2AndWriteNothing(
      String f1, String v1, String f2, String v2, String f3, String v3, String message) {
    List<String> args = new ArrayList<>(List.of(f1, v1, f2, v2, f3));
    String[] rest = v3.split(" ", 3);
    args.addAll(List.of(rest).subList(0, Math.min(rest.length, 2)));
    if (rest.length == 3) {
      args.add(rest[2]);
    }
    assertThat(run(args.toArray(new String[0]))).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains(message);
    assertThat(err.toString().lines().filter(l -> l.startsWith("reindex:")).count()).isEqualTo(1);
    assertThat(rowsInClickHouse()).isZero();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--ch-database|reindex_test; DROP TABLE reindex_test.scores|the ClickHouse database name 'reindex_test; DROP TABLE reindex_test.scores' is not a plain identifier",
        "--ch-database|reindex_test.scores --|is not a plain identifier",
        "--ch-database|`reindex`|is not a plain identifier",
        "--start|2026-04-01T00:00:00Z' OR '1'='1|is not an RFC 3339 time",
        "--end|2026-04-02T00:00:00Z); DELETE FROM director.scorecards; --|is not an RFC 3339 time",
        "--ch-url|http://127.0.0.1:18123/?query=DROP TABLE x|is not a URL such as",
        "--ch-url|http://127.0.0.1:18123/?query=DROP%20TABLE%20reindex_test.scores%3B|must be only scheme, host and port",
        "--ch-url|http://default:secret@127.0.0.1:18123|must be only scheme, host and port",
      })
  void injectionAttemptsInNamesAndTimesAreRefusedBeforeAnythingIsSent(
      String flag, String value, String message) throws Exception {
    List<String> args = new ArrayList<>(List.of("--mode", "process"));
    if (!flag.equals("--start")) {
      args.addAll(List.of("--start", "2026-04-01T00:00:00Z"));
    }
    if (!flag.equals("--end")) {
      args.addAll(List.of("--end", "2026-04-02T00:00:00Z"));
    }
    args.addAll(List.of(flag, value));
    assertThat(run(args.toArray(new String[0]))).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains(message).doesNotContain("secret");
    assertThat(rowsInClickHouse()).isZero();
    assertThat(
            TestDatabases.ch()
                .count(
                    "SELECT count() FROM system.tables WHERE database = '"
                        + TestDatabases.DATABASE
                        + "' AND name IN ('conversations', 'scorecards', 'scores')"))
        .isEqualTo(3);
    try (java.sql.Connection c = TestDatabases.postgres().connect();
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM director.scorecards")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1);
    }
  }

  @Test
  void anUnknownFlagIsAUsageError() {
    assertThat(
            run(
                "--mode",
                "process",
                "--start",
                "2026-04-01T00:00:00Z",
                "--end",
                "2026-04-02T00:00:00Z",
                "--bogus"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("Unknown option: '--bogus'");
  }

  @Test
  void anUnreachablePostgresExitsWith3AndWritesNothing() {
    assertThat(
            run(
                "--mode",
                "process",
                "--start",
                "2026-04-01T00:00:00Z",
                "--end",
                "2026-04-02T00:00:00Z",
                "--pg-url",
                "jdbc:postgresql://127.0.0.1:9/none",
                "--max-attempts",
                "1"))
        .isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(err.toString()).contains("reindex: ").containsIgnoringCase("connection");
    assertThat(rowsInClickHouse()).isZero();
  }

  @Test
  void anUnreachableClickHouseExitsWith3() {
    assertThat(
            run(
                "--mode",
                "process",
                "--start",
                "2026-04-01T00:00:00Z",
                "--end",
                "2026-04-02T00:00:00Z",
                "--ch-url",
                "http://127.0.0.1:9",
                "--max-attempts",
                "1"))
        .isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(err.toString()).contains("could not reach ClickHouse at http://127.0.0.1:9");
    assertThat(rowsInClickHouse()).isZero();
  }

  @Test
  void aGoodRunExitsWith0AndWrites() {
    assertThat(
            run(
                "--mode",
                "process",
                "--start",
                "2026-04-01T00:00:00Z",
                "--end",
                "2026-04-02T00:00:00Z"))
        .isEqualTo(ExitCodes.OK);
    assertThat(TestDatabases.clickHouseRowCount("scorecards")).isEqualTo(1);
  }
}
