package dev.scorecards.reindex.runners;

import static dev.scorecards.reindex.runners.ProcessReindexIT.WINDOW;
import static dev.scorecards.reindex.testing.TestDatabases.clickHouseRows;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.postgres.PostgresSettings;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.testing.Seeder;
import dev.scorecards.reindex.testing.TestDatabases;
import dev.scorecards.reindex.verify.Verifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pipeline submitted to the real local Flink 1.19 session cluster of {@code ./reindex flink
 * start --taskmanagers 2} (REST on 127.0.0.1:18081), staging the bundled jar.
 */
class FlinkClusterIT {
  static final String MASTER =
      System.getenv().getOrDefault("REINDEX_TEST_FLINK_MASTER", "127.0.0.1:18081");
  private static final String PASSWORD = "pg-secret-" + Long.toHexString(System.nanoTime());
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void clusterRunning() throws Exception {
    // Starts the cluster when it is not running; returns at once when it is.
    Process p =
        new ProcessBuilder(
                "bash",
                Path.of("..", "tools", "local", "flink.sh").toString(),
                "start",
                "--taskmanagers",
                "2")
            .inheritIO()
            .start();
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("./reindex flink start").isZero();
  }

  @BeforeEach
  void data() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
  }

  private JsonNode rest(String path) throws Exception {
    return json.readTree(
        http.send(
                HttpRequest.newBuilder(URI.create("http://" + MASTER + path)).build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  /**
   * The test databases, with a password that PostgreSQL's local trust authentication ignores but
   * that must never be published.
   */
  private static ReindexConfig config() {
    PostgresSettings pg = TestDatabases.postgres();
    // ClickHouse as the local user with a password (SecretsIT): it travels inside the job and must
    // not be published.
    ClickHouseSettings ch =
        new ClickHouseSettings(
            TestDatabases.CH_URL, TestDatabases.DATABASE, "reindex_secret", SecretsIT.CH_PASSWORD);
    return ReindexConfig.of(
            Mode.all, WINDOW, new PostgresSettings(pg.jdbcUrl(), pg.user(), PASSWORD), ch)
        .withPartitioning(200, 8);
  }

  @Test
  @Timeout(300)
  void theClusterWritesExactlyWhatTheDirectRunnerWritesAndPublishesNoSecret() throws Exception {
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(1_500, 4, WINDOW, 21), true);
    }
    ReindexJob.run(config(), RunnerOptions.direct(), ReindexJob.Progress.NONE);
    List<List<String>> conversations = clickHouseRows(ClickHouseTable.CONVERSATIONS);
    List<List<String>> scorecards = clickHouseRows(ClickHouseTable.SCORECARDS);
    List<List<String>> scores = clickHouseRows(ClickHouseTable.SCORES);
    for (String t : List.of("conversations", "scorecards", "scores")) {
      TestDatabases.ch().execute("TRUNCATE TABLE " + TestDatabases.DATABASE + "." + t);
    }

    ReindexJob.Summary summary =
        ReindexJob.run(config(), RunnerOptions.flink(MASTER, 2, null), ReindexJob.Progress.NONE);

    assertThat(summary.written().get(ClickHouseTable.SCORECARDS)).isEqualTo(1_800);
    assertThat(clickHouseRows(ClickHouseTable.CONVERSATIONS)).isEqualTo(conversations);
    assertThat(clickHouseRows(ClickHouseTable.SCORECARDS)).isEqualTo(scorecards);
    assertThat(clickHouseRows(ClickHouseTable.SCORES)).isEqualTo(scores);
    assertThat(
            new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse())
                .verify(WINDOW, Mode.all)
                .equal())
        .isTrue();

    JsonNode latest = null;
    for (JsonNode job : rest("/jobs/overview").get("jobs")) {
      if (latest == null || job.get("start-time").asLong() > latest.get("start-time").asLong()) {
        latest = job;
      }
    }
    assertThat(latest.get("state").asText()).isEqualTo("FINISHED");
    String config = rest("/jobs/" + latest.get("jid").asText() + "/config").toString();
    assertThat(config).contains("reindex").doesNotContain(PASSWORD, SecretsIT.CH_PASSWORD);
    try (var logs = java.nio.file.Files.list(Path.of("..", ".local", "flink", "log"))) {
      for (Path log : logs.toList()) {
        assertThat(
                java.nio.file.Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1))
            .as(log.toString())
            .doesNotContain(PASSWORD, SecretsIT.CH_PASSWORD);
      }
    }
  }

  @Test
  @Timeout(600)
  void aJobWhoseTaskManagerIsKilledIsRestartedAndEndsExact() throws Exception {
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(60_000, 10, WINDOW, 22), true);
    }
    CompletableFuture<ReindexJob.Summary> run =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ReindexJob.run(
                    config().withPartitioning(5_000, 16),
                    RunnerOptions.flink(MASTER, 2, null),
                    ReindexJob.Progress.NONE);
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    // Wait until rows are arriving, then kill the TaskManager outright.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (TestDatabases.clickHouseRowCount("scores") == 0
        && System.nanoTime() < deadline
        && !run.isDone()) {
      Thread.sleep(100);
    }
    assertThat(run.isDone())
        .as("the job must still be running when the TaskManager dies")
        .isFalse();
    Process kill =
        new ProcessBuilder("pkill", "-9", "-f", "TaskManagerRunner -c").inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    Process restart =
        new ProcessBuilder(
                "bash",
                Path.of("..", "tools", "local", "flink.sh").toString(),
                "start",
                "--taskmanagers",
                "2")
            .inheritIO()
            .start();
    assertThat(restart.waitFor(180, TimeUnit.SECONDS)).isTrue();

    ReindexJob.Summary summary = run.get(480, TimeUnit.SECONDS);

    // Counters of a failed attempt may count twice; what ClickHouse holds must be exact.
    assertThat(summary.received().inClickHouse().get(ClickHouseTable.SCORECARDS))
        .isEqualTo(summary.received().inPostgres().get(ClickHouseTable.SCORECARDS))
        .isEqualTo(72_000);
    assertThat(
            new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse())
                .verify(WINDOW, Mode.all)
                .equal())
        .isTrue();
    JsonNode latest = null;
    for (JsonNode job : rest("/jobs/overview").get("jobs")) {
      if (latest == null || job.get("start-time").asLong() > latest.get("start-time").asLong()) {
        latest = job;
      }
    }
    assertThat(latest.get("state").asText()).isEqualTo("FINISHED");
    JsonNode exceptions = rest("/jobs/" + latest.get("jid").asText() + "/exceptions");
    assertThat(exceptions.get("exceptionHistory").get("entries").size())
        .as("the attempt that lost its TaskManager")
        .isPositive();
  }

  @Test
  @Timeout(300)
  void anAttemptAbandonedWhileItsJobRunsCancelsTheJob() throws Exception {
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(20_000, 10, WINDOW, 7), true);
    }
    java.util.Set<String> before = new java.util.HashSet<>();
    for (JsonNode job : rest("/jobs/overview").get("jobs")) {
      before.add(job.get("jid").asText());
    }
    // A time-out above the cluster's metric refresh (10 s): the job's progress keeps the attempt
    // alive until ClickHouse stops answering.
    ReindexProcess p =
        ReindexProcess.run(
            java.util.Map.of(),
            "--mode",
            "process",
            "--start",
            WINDOW.start().toString(),
            "--end",
            WINDOW.end().toString(),
            "--runner",
            "FlinkRunner",
            "--flink-master",
            MASTER,
            "--batch-size",
            "2",
            "--heartbeat-timeout",
            "15s",
            "--max-attempts",
            "1");
    String jobId = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (jobId == null && System.nanoTime() < deadline) {
      for (JsonNode job : rest("/jobs/overview").get("jobs")) {
        if (!before.contains(job.get("jid").asText())
            && job.get("state").asText().equals("RUNNING")) {
          jobId = job.get("jid").asText();
        }
      }
      Thread.sleep(200);
    }
    assertThat(jobId).as(p.output()).isNotNull();
    Thread.sleep(3_000);
    int exit;
    String state;
    try {
      ReindexProcess.signalClickHouse("STOP");
      exit = p.awaitExit(Duration.ofSeconds(150));
      state = rest("/jobs/" + jobId).get("state").asText();
    } finally {
      ReindexProcess.signalClickHouse("CONT");
    }
    assertThat(exit).as(p.output()).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(p.output()).contains("no progress for", "heartbeat time-out PT15S");
    // Cancelled by the run that gave it up, while ClickHouse was still frozen: left running, the
    // job would have gone on writing after the run had ended.
    assertThat(state).as(p.output()).isIn("CANCELLING", "CANCELED");
  }
}
