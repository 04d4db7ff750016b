package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two runs of one window at once, as a cron tick, a job and an operator can start them: real
 * processes from the bundled jar. The second refuses (exit 6) naming the first, or waits with
 * --wait-for-lock; a holder killed with SIGKILL leaves a lease that goes stale and is taken over.
 */
class RunLeaseIT {
  static final Instant START = Instant.parse("2026-06-01T00:00:00Z");
  static final Instant END = Instant.parse("2026-06-08T00:00:00Z");
  static final ReindexWindow WINDOW = ReindexWindow.of(START, END);

  @BeforeEach
  void seed() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    TestDatabases.ch()
        .execute("DROP TABLE IF EXISTS " + TestDatabases.DATABASE + ".reindex_leases");
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(12_000, 10, WINDOW, 3), true);
    }
  }

  static String[] args(String... extra) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--mode",
                "process",
                "--start",
                START.toString(),
                "--end",
                END.toString(),
                "--clean-up-before-write",
                "--chunk-scorecards",
                "1000",
                "--lease-timeout",
                "5s"));
    all.addAll(List.of(extra));
    return all.toArray(new String[0]);
  }

  static void assertExact() throws Exception {
    VerificationReport report =
        new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse())
            .verify(WINDOW, Mode.process);
    assertThat(report.equal()).as(report.describe()).isTrue();
  }

  @Test
  @Timeout(300)
  void aSecondRunOfTheWindowRefusesNamingTheFirstAndAKilledHoldersLeaseIsTakenOver()
      throws Exception {
    ReindexProcess first = ReindexProcess.run(Map.of(), args());
    first.awaitRunId(Duration.ofSeconds(60));
    ReindexProcess second = ReindexProcess.run(Map.of(), args());
    int exit = second.awaitExit(Duration.ofSeconds(60));
    assertThat(exit).as(second.output()).isEqualTo(ExitCodes.LOCKED);
    assertThat(second.output())
        .contains("another run of process over an overlapping window holds it: ")
        .contains("pid " + first.process.pid());
    assertThat(second.output()).doesNotContain("chunk 1/");

    // The holder dies without releasing: on this host its process is known gone, so the next
    // run takes over at once and resumes its run.
    first.process.destroyForcibly().waitFor();
    ReindexProcess takeover = ReindexProcess.run(Map.of(), args());
    assertThat(takeover.awaitExit(Duration.ofSeconds(240)))
        .as(takeover.output())
        .isEqualTo(ExitCodes.OK);
    assertThat(takeover.output()).contains("resuming run ");
    assertExact();
  }

  @Test
  @Timeout(300)
  void waitForLockWaitsForTheHolderThenRuns() throws Exception {
    ReindexProcess first = ReindexProcess.run(Map.of(), args());
    first.awaitRunId(Duration.ofSeconds(60));
    ReindexProcess waiting = ReindexProcess.run(Map.of(), args("--wait-for-lock"));
    assertThat(first.awaitExit(Duration.ofSeconds(240))).as(first.output()).isEqualTo(0);
    assertThat(waiting.awaitExit(Duration.ofSeconds(240)))
        .as(waiting.output())
        .isEqualTo(ExitCodes.OK);
    assertThat(waiting.output()).contains("waiting for the lock: another run of process");
    assertThat(waiting.endedNanos).isGreaterThan(first.endedNanos);
    assertExact();
  }

  @Test
  @Timeout(300)
  void runsOfDisjointWindowsOrOtherFlowsDoNotWait() throws Exception {
    ReindexProcess first = ReindexProcess.run(Map.of(), args());
    first.awaitRunId(Duration.ofSeconds(60));
    ReindexProcess other =
        ReindexProcess.run(
            Map.of(),
            "--mode",
            "conversation",
            "--start",
            START.toString(),
            "--end",
            END.toString(),
            "--lease-timeout",
            "5s");
    assertThat(other.awaitExit(Duration.ofSeconds(240))).as(other.output()).isEqualTo(0);
    assertThat(first.awaitExit(Duration.ofSeconds(240))).as(first.output()).isEqualTo(0);
  }

  @Test
  @Timeout(120)
  void aLeaseHeldFromAnotherHostIsRespectedUntilItIsStale() throws Exception {
    // What a run on another machine leaves when it dies: a held lease nobody renews.
    dev.scorecards.reindex.run.RunLedger ledger =
        new dev.scorecards.reindex.run.RunLedger(
            new dev.scorecards.reindex.clickhouse.ClickHouseClient(TestDatabases.clickHouse()));
    dev.scorecards.reindex.run.RunLease other =
        dev.scorecards.reindex.run.RunLease.acquire(
            ledger, Mode.process, WINDOW, "ops@other-host pid 4242", Duration.ofSeconds(5));
    other.abandon();
    ReindexProcess refused = ReindexProcess.run(Map.of(), args());
    assertThat(refused.awaitExit(Duration.ofSeconds(60))).isEqualTo(ExitCodes.LOCKED);
    assertThat(refused.output()).contains("holds it: ops@other-host pid 4242");
    Thread.sleep(6_000);
    ReindexProcess takeover = ReindexProcess.run(Map.of(), args());
    assertThat(takeover.awaitExit(Duration.ofSeconds(240)))
        .as(takeover.output())
        .isEqualTo(ExitCodes.OK);
    assertExact();
  }
}
