package dev.scorecards.reindex.runners;

import static dev.scorecards.reindex.runners.ReindexProcess.awaitChunksDone;
import static dev.scorecards.reindex.runners.ReindexProcess.chunksDone;
import static dev.scorecards.reindex.runners.ReindexProcess.services;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.run.RunLedger;
import dev.scorecards.reindex.testing.Seeder;
import dev.scorecards.reindex.testing.TestDatabases;
import dev.scorecards.reindex.verify.VerificationReport;
import dev.scorecards.reindex.verify.Verifier;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Breaks the real servers while a run goes on: ClickHouse stopped, ClickHouse down for good,
 * PostgreSQL restarted, the run itself killed with SIGKILL during a clean-up, ClickHouse frozen
 * with SIGSTOP (accepts connections, never answers). The run is a separate process from the bundled
 * jar. Every test ends with ClickHouse verified equal to PostgreSQL for the window. Recovery times
 * are printed ("fault:" lines) for the report.
 */
class FaultInjectionIT {
  static final Instant START = Instant.parse("2026-03-01T00:00:00Z");
  static final Instant END = Instant.parse("2026-03-08T00:00:00Z");
  static final ReindexWindow WINDOW = ReindexWindow.of(START, END);
  static final long SCORECARDS = 20_000;
  static final List<String> REPORT = new ArrayList<>();

  /** The window, small chunks so that a fault lands between finished chunks, short back-offs. */
  static String[] args(String... extra) {
    List<String> all =
        new ArrayList<>(List.of("--chunk-scorecards", "1000", "--retry-backoff", "1s"));
    all.addAll(List.of(extra));
    return windowArgs(all.toArray(new String[0]));
  }

  /** The window's process scorecards, with {@code extra}. */
  static String[] windowArgs(String... extra) {
    List<String> all =
        new ArrayList<>(
            List.of("--mode", "process", "--start", START.toString(), "--end", END.toString()));
    all.addAll(List.of(extra));
    return all.toArray(new String[0]);
  }

  @BeforeEach
  void seed() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(SCORECARDS, 10, WINDOW, 7), true);
    }
  }

  @AfterEach
  void serversBack() throws Exception {
    // Whatever a test did to them, the next one finds both servers running.
    try {
      ReindexProcess.signalClickHouse("CONT");
    } catch (AssertionError | Exception ignored) {
      // not running: started below
    }
    services("start");
  }

  @AfterAll
  static void report() {
    REPORT.forEach(line -> System.out.println("fault: " + line));
  }

  static VerificationReport verify() throws Exception {
    return new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse())
        .verify(WINDOW, Mode.process);
  }

  static void assertExactlyPostgres() throws Exception {
    VerificationReport report = verify();
    assertThat(report.equal()).as(report.describe()).isTrue();
    // Only the window's rows: a ClickHouse restarted by a test brings back parts that an earlier
    // test's TRUNCATE had dropped but not yet removed from disk (old_parts_lifetime, 8 minutes).
    assertThat(
            TestDatabases.clickHouseRows(dev.scorecards.reindex.model.ClickHouseTable.SCORECARDS)
                .stream()
                .filter(
                    r ->
                        Long.parseLong(r.get(r.size() - 1)) >= START.getEpochSecond()
                            && Long.parseLong(r.get(r.size() - 1)) < END.getEpochSecond()))
        .containsExactlyElementsOf(TestDatabases.expectedScorecards(WINDOW));
  }

  static RunLedger.Run ledgerRun(String runId) {
    return new RunLedger(TestDatabases.ch()).find(runId).orElseThrow();
  }

  @Test
  @Timeout(300)
  void clickHouseStoppedForTenSecondsTheRunSucceedsThroughRetries() throws Exception {
    ReindexProcess p = ReindexProcess.run(Map.of(), args("--max-attempts", "6"));
    String runId = p.awaitRunId(Duration.ofSeconds(60));
    awaitChunksDone(p, runId, 2, Duration.ofSeconds(120));
    long doneAtStop = chunksDone(runId);
    assertThat(p.process.isAlive()).as("the run was still going when ClickHouse stopped").isTrue();
    services("clickhouse-kill");
    long stopped = System.nanoTime();
    Thread.sleep(Math.max(0, 10_000 - (System.nanoTime() - stopped) / 1_000_000));
    services("clickhouse-start");
    long back = System.nanoTime();

    int exit = p.awaitExit(Duration.ofSeconds(240));
    assertThat(exit).as(p.output()).isEqualTo(ExitCodes.OK);
    assertThat(ledgerRun(runId).state()).isEqualTo(RunLedger.State.SUCCEEDED);
    assertThat(doneAtStop).isLessThan(ledgerRun(runId).chunks().size());
    assertExactlyPostgres();
    REPORT.add(
        String.format(
            "1. ClickHouse stopped %.1f s after %d of %d chunks: run succeeded %.1f s after ClickHouse was back (%d failed attempt lines)",
            (back - stopped) / 1e9,
            doneAtStop,
            ledgerRun(runId).chunks().size(),
            (p.endedNanos - back) / 1e9,
            p.output().lines().filter(l -> l.contains("failed (transient)")).count()));
  }

  @Test
  @Timeout(300)
  void clickHouseDownLongerThanTheAttemptsFailsClearlyAndResumingSkipsTheFinishedChunks()
      throws Exception {
    ReindexProcess p = ReindexProcess.run(Map.of(), args("--max-attempts", "3"));
    String runId = p.awaitRunId(Duration.ofSeconds(60));
    awaitChunksDone(p, runId, 2, Duration.ofSeconds(120));
    services("clickhouse-kill");
    long stopped = System.nanoTime();
    int exit = p.awaitExit(Duration.ofSeconds(180));
    double failedAfter = (p.endedNanos - stopped) / 1e9;
    assertThat(exit).as(p.output()).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(p.output())
        .contains(
            "reindex: gave up after 3 attempts: ", "resume with: reindex run --resume " + runId);
    assertThat(p.output().lines().filter(l -> l.startsWith("reindex: gave up")).count())
        .isEqualTo(1);

    services("clickhouse-start");
    long doneBefore = chunksDone(runId);
    int total = ledgerRun(runId).chunks().size();
    assertThat(doneBefore).isBetween(2L, total - 1L);
    ReindexProcess resumed = ReindexProcess.run(Map.of(), args("--resume", runId));
    assertThat(resumed.awaitExit(Duration.ofSeconds(240)))
        .as(resumed.output())
        .isEqualTo(ExitCodes.OK);
    assertThat(resumed.output())
        .contains(
            "resuming run " + runId + ": " + doneBefore + " of " + total + " chunks already done",
            "(" + doneBefore + " skipped as already done)");
    // Skipped, not redone: every chunk is recorded exactly once, the early ones by the first
    // process.
    assertThat(chunksDone(runId)).isEqualTo(total);
    assertThat(
            TestDatabases.ch()
                .count(
                    "SELECT uniqExact(chunk) FROM "
                        + TestDatabases.DATABASE
                        + ".reindex_run_chunks WHERE run_id = '"
                        + runId
                        + "'"))
        .isEqualTo(total);
    assertThat(ledgerRun(runId).state()).isEqualTo(RunLedger.State.SUCCEEDED);
    assertExactlyPostgres();
    REPORT.add(
        String.format(
            "2. ClickHouse down for good after %d of %d chunks: failed with exit 3 after 3 attempts, %.1f s after the stop; "
                + "--resume skipped %d chunks and finished in %.1f s",
            doneBefore,
            total,
            failedAfter,
            doneBefore,
            (resumed.endedNanos - resumed.startedNanos) / 1e9));
  }

  @Test
  @Timeout(300)
  void postgresRestartedMidRunTheRunSucceeds() throws Exception {
    ReindexProcess p = ReindexProcess.run(Map.of(), args("--max-attempts", "6"));
    String runId = p.awaitRunId(Duration.ofSeconds(60));
    awaitChunksDone(p, runId, 2, Duration.ofSeconds(120));
    long doneAtRestart = chunksDone(runId);
    assertThat(p.process.isAlive())
        .as("the run was still going when PostgreSQL restarted")
        .isTrue();
    long restarting = System.nanoTime();
    services("postgres-restart");
    long back = System.nanoTime();
    int exit = p.awaitExit(Duration.ofSeconds(240));
    assertThat(exit).as(p.output()).isEqualTo(ExitCodes.OK);
    assertThat(ledgerRun(runId).state()).isEqualTo(RunLedger.State.SUCCEEDED);
    assertExactlyPostgres();
    REPORT.add(
        String.format(
            "3. PostgreSQL restarted (%.1f s) after %d chunks: run succeeded %.1f s later, %d failed attempt(s): %s",
            (back - restarting) / 1e9,
            doneAtRestart,
            (p.endedNanos - back) / 1e9,
            p.output().lines().filter(l -> l.contains("failed (transient)")).count(),
            p.output()
                .lines()
                .filter(l -> l.contains("failed (transient)"))
                .findFirst()
                .orElse("none")));
  }

  @Test
  @Timeout(300)
  void killedWithSigkillDuringACleanUpRunResumingRestoresTheExactContent() throws Exception {
    // ClickHouse holds the window first, so the clean-up has something to delete.
    ReindexConfig config =
        ReindexConfig.of(
            Mode.process, WINDOW, TestDatabases.postgres(), TestDatabases.clickHouse());
    ReindexJob.run(config, RunnerOptions.direct(), ReindexJob.Progress.NONE);
    // Mutations submitted from now on (system.mutations keeps only the last 100 finished ones, so a
    // plain count stalls).
    long since = TestDatabases.ch().count("SELECT toUInt32(now())");
    String mutations =
        "SELECT count() FROM system.mutations WHERE database = '"
            + TestDatabases.DATABASE
            + "' AND create_time >= toDateTime("
            + since
            + ")";
    long mutationsBefore = TestDatabases.ch().count(mutations);

    ReindexProcess p = ReindexProcess.run(Map.of(), args("--clean-up-before-write"));
    String runId = p.awaitRunId(Duration.ofSeconds(60));
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (TestDatabases.ch().count(mutations) == mutationsBefore
        && p.process.isAlive()
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    p.process.destroyForcibly(); // SIGKILL
    p.awaitExit(Duration.ofSeconds(30));
    assertThat(TestDatabases.ch().count(mutations))
        .as("deletes had started")
        .isGreaterThan(mutationsBefore);
    assertThat(ledgerRun(runId).finished()).isFalse();
    VerificationReport afterKill = verify();
    long missing = afterKill.tables().stream().mapToLong(t -> t.missing().size()).sum();

    // Run the same window and mode again: the unfinished run is found and resumed.
    long resuming = System.nanoTime();
    ReindexProcess again = ReindexProcess.run(Map.of(), args("--clean-up-before-write"));
    assertThat(again.awaitExit(Duration.ofSeconds(240))).as(again.output()).isEqualTo(ExitCodes.OK);
    assertThat(again.output()).contains("resuming run " + runId);
    assertThat(ledgerRun(runId).state()).isEqualTo(RunLedger.State.SUCCEEDED);
    assertExactlyPostgres();
    REPORT.add(
        String.format(
            "4. SIGKILL after %d mutation(s) of a clean-up run: %,d rows missing from ClickHouse at the kill%s; "
                + "running the window again resumed %s and restored it exactly in %.1f s",
            TestDatabases.ch().count(mutations) - mutationsBefore,
            missing,
            afterKill.equal() ? " (the kill came after the rewrite)" : "",
            runId,
            (again.endedNanos - resuming) / 1e9));
  }

  @Test
  @Timeout(300)
  void aFlinkChunkLongerThanTheHeartbeatTimeoutIsNotAbandonedWhileItProgresses() throws Exception {
    // One chunk on embedded Flink, a query per scorecard and an INSERT per 1,000 rows: its job
    // runs for several heartbeat time-outs, and Flink's attached submission returns only at its
    // end. The time-out leaves the job's start (translation, submission, no records yet) time.
    ReindexProcess p =
        ReindexProcess.run(
            Map.of(),
            windowArgs(
                "--runner",
                "FlinkRunner",
                "--parallelism",
                "1",
                "--chunk-scorecards",
                String.valueOf(SCORECARDS),
                "--batch-size",
                "1",
                "--insert-block-size",
                "1000",
                "--heartbeat-timeout",
                "6s",
                "--max-attempts",
                "1"));
    assertThat(p.awaitExit(Duration.ofSeconds(240))).as(p.output()).isEqualTo(ExitCodes.OK);
    assertThat(p.output()).doesNotContain("no progress for");
    java.util.regex.Matcher chunk =
        java.util.regex.Pattern.compile("chunk 1/1 .* \\(pipeline ([0-9.]+) s").matcher(p.output());
    assertThat(chunk.find()).as(p.output()).isTrue();
    // Half again the time-out, all inside one blocking submission: only beats from the running
    // job kept the attempt alive.
    assertThat(Double.parseDouble(chunk.group(1))).as(p.output()).isGreaterThan(9.0);
    assertExactlyPostgres();
    REPORT.add(
        String.format(
            "6. one Flink chunk of %s s with a 6 s heartbeat time-out: not abandoned, exact",
            chunk.group(1)));
  }

  @Test
  @Timeout(300)
  void aServerThatNeverAnswersIsAbandonedWithinTheHeartbeatTimeout() throws Exception {
    ReindexProcess p =
        ReindexProcess.run(Map.of(), args("--max-attempts", "2", "--heartbeat-timeout", "4s"));
    String runId = p.awaitRunId(Duration.ofSeconds(60));
    awaitChunksDone(p, runId, 2, Duration.ofSeconds(120));
    long frozen;
    int exit;
    try {
      ReindexProcess.signalClickHouse("STOP");
      frozen = System.nanoTime();
      exit = p.awaitExit(Duration.ofSeconds(60));
    } finally {
      ReindexProcess.signalClickHouse("CONT");
    }
    double gaveUpAfter = (p.endedNanos - frozen) / 1e9;
    assertThat(exit).as(p.output()).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(p.output())
        .contains("attempt 1 failed (transient): ", "reindex: gave up after 2 attempts");
    // Two attempts of at most 4 s without progress each, a 1 s back-off, JVM and scheduling slack.
    assertThat(gaveUpAfter).as(p.output()).isLessThan(20.0);
    String abandoned =
        p.output().lines().filter(l -> l.contains("no progress for")).findFirst().orElse("");
    assertThat(abandoned).as(p.output()).contains("heartbeat time-out PT4S");

    ReindexProcess resumed = ReindexProcess.run(Map.of(), args("--resume", runId));
    assertThat(resumed.awaitExit(Duration.ofSeconds(240)))
        .as(resumed.output())
        .isEqualTo(ExitCodes.OK);
    assertExactlyPostgres();
    REPORT.add(
        String.format(
            "5. ClickHouse frozen (SIGSTOP): both attempts abandoned, run failed %.1f s after the freeze (%s); "
                + "resumed after SIGCONT in %.1f s",
            gaveUpAfter,
            abandoned.replaceFirst("^reindex: ", ""),
            (resumed.endedNanos - resumed.startedNanos) / 1e9));
  }
}
