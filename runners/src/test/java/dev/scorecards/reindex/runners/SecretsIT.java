package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.testing.Seeder;
import dev.scorecards.reindex.testing.TestDatabases;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Passwords never show: a run as a ClickHouse user with a password (the local services' {@code
 * reindex_secret}) and a PostgreSQL password in the environment, succeeding and failing, with stack
 * traces on ({@code REINDEX_DEBUG}). Searched: the process's output, its argv, the progress
 * records, and what both servers logged meanwhile.
 */
class SecretsIT {
  /**
   * The password of the local ClickHouse user {@code reindex_secret}
   * (tools/local/clickhouse-users.xml holds its SHA-256).
   */
  static final String CH_PASSWORD = "canary-Pa55-reindex-7f3a";

  static final String PG_PASSWORD = "pg-canary-" + Long.toHexString(System.nanoTime());
  static final Instant START = Instant.parse("2026-06-01T00:00:00Z");
  static final Instant END = Instant.parse("2026-06-03T00:00:00Z");
  private static final List<Path> SERVER_LOGS =
      List.of(
          Path.of("..", ".local", "clickhouse", "log", "clickhouse-server.log"),
          Path.of("..", ".local", "clickhouse", "log", "clickhouse-server.err.log"),
          Path.of("..", ".local", "postgres", "postgres.log"));
  private final List<Long> logSizes = new ArrayList<>();

  @BeforeEach
  void seed() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(4_000, 10, ReindexWindow.of(START, END), 3), true);
    }
    for (Path log : SERVER_LOGS) {
      logSizes.add(Files.exists(log) ? Files.size(log) : 0L);
    }
  }

  @AfterEach
  void clickHouseBack() throws Exception {
    ReindexProcess.services("start");
  }

  private static Map<String, String> env(String chPassword) {
    return Map.of(
        "REINDEX_CH_USER",
        "reindex_secret",
        "REINDEX_CH_PASSWORD",
        chPassword,
        "REINDEX_PG_PASSWORD",
        PG_PASSWORD,
        "REINDEX_DEBUG",
        "1");
  }

  private static String[] args(String... extra) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--mode",
                "all",
                "--start",
                START.toString(),
                "--end",
                END.toString(),
                "--chunk-scorecards",
                "1000",
                "--clean-up-before-write",
                "--retry-backoff",
                "1s"));
    all.addAll(List.of(extra));
    return all.toArray(new String[0]);
  }

  /** What the servers logged since the test began. */
  private String serverLogs() throws IOException {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < SERVER_LOGS.size(); i++) {
      Path log = SERVER_LOGS.get(i);
      if (!Files.exists(log)) {
        continue;
      }
      try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
        long from = Math.min(logSizes.get(i), f.length());
        byte[] tail = new byte[(int) (f.length() - from)];
        f.seek(from);
        f.readFully(tail);
        out.append(new String(tail, StandardCharsets.UTF_8));
      }
    }
    return out.toString();
  }

  private static String ledger() {
    return TestDatabases.ch()
            .execute(
                "SELECT * FROM " + TestDatabases.DATABASE + ".reindex_runs FORMAT TabSeparated")
        + TestDatabases.ch()
            .execute(
                "SELECT * FROM "
                    + TestDatabases.DATABASE
                    + ".reindex_run_chunks FORMAT TabSeparated");
  }

  private static void assertNoPassword(String what, String text, String... passwords) {
    for (String p : passwords) {
      assertThat(text)
          .as(what)
          .doesNotContain(
              p,
              URLEncoder.encode(p, StandardCharsets.UTF_8),
              Base64.getEncoder()
                  .encodeToString(("reindex_secret:" + p).getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Test
  @Timeout(240)
  void aSuccessfulRunShowsNoPasswordAnywhere() throws Exception {
    ReindexProcess p = ReindexProcess.run(env(CH_PASSWORD), args());
    String argv = p.argv();
    assertThat(p.awaitExit(Duration.ofSeconds(180))).as(p.output()).isEqualTo(ExitCodes.OK);
    // The password was used: the user cannot log in without it.
    assertThat(p.output()).contains("as reindex_secret (password from environment)");
    assertNoPassword("argv", argv, CH_PASSWORD, PG_PASSWORD);
    assertNoPassword("output", p.output(), CH_PASSWORD, PG_PASSWORD);
    assertNoPassword("progress records", ledger(), CH_PASSWORD, PG_PASSWORD);
    assertNoPassword("server logs", serverLogs(), CH_PASSWORD, PG_PASSWORD);
  }

  @Test
  @Timeout(240)
  void aWrongPasswordFailsAtOnceWithoutShowingIt() throws Exception {
    String wrong = "wrong-canary-" + Long.toHexString(System.nanoTime());
    ReindexProcess p = ReindexProcess.run(env(wrong), args());
    String argv = p.argv();
    assertThat(p.awaitExit(Duration.ofSeconds(120)))
        .as(p.output())
        .isEqualTo(ExitCodes.UNREACHABLE);
    // Bad credentials are permanent: one attempt, no retry.
    assertThat(p.output()).contains("attempt 1 failed: ").doesNotContain("attempt 2");
    assertThat(p.output()).contains("Wrong password for user reindex_secret");
    assertNoPassword("argv", argv, wrong, PG_PASSWORD);
    assertNoPassword("output", p.output(), wrong, PG_PASSWORD);
    assertNoPassword("server logs", serverLogs(), wrong, PG_PASSWORD);
  }

  @Test
  @Timeout(240)
  void aRunThatLosesClickHouseMidWriteShowsNoPassword() throws Exception {
    ReindexProcess p = ReindexProcess.run(env(CH_PASSWORD), args("--max-attempts", "1"));
    String runId = p.awaitRunId(Duration.ofSeconds(60));
    ReindexProcess.awaitChunksDone(p, runId, 1, Duration.ofSeconds(120));
    ReindexProcess.services("clickhouse-kill");
    assertThat(p.awaitExit(Duration.ofSeconds(120))).as(p.output()).isNotZero();
    ReindexProcess.services("clickhouse-start");
    assertThat(p.output()).contains("gave up after 1 attempt");
    assertNoPassword("output with stack traces", p.output(), CH_PASSWORD, PG_PASSWORD);
    assertNoPassword("progress records", ledger(), CH_PASSWORD, PG_PASSWORD);
    assertNoPassword("server logs", serverLogs(), CH_PASSWORD, PG_PASSWORD);
  }
}
