package dev.scorecards.reindex.runners;

import static dev.scorecards.reindex.testing.ClusterDatabases.cluster;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.testing.ClusterDatabases;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tool against a real replicated, sharded ClickHouse: the local cluster of {@code ./reindex
 * services start --cluster} (ZooKeeper, two shards of two ClickHouse 18.16 servers, Distributed
 * tables over ReplicatedReplacingMergeTree ones). Each test ends with the window verified equal to
 * PostgreSQL through the Distributed tables, and both replicas of each shard holding the same rows.
 * The faults (a replica killed, ZooKeeper stopped, a whole shard down) hit a run that is a separate
 * process from the bundled jar. What happened is printed in "cluster:" lines.
 */
class ClusterIT {
  static final Instant START = Instant.parse("2026-05-01T00:00:00Z");
  static final Instant END = Instant.parse("2026-05-08T00:00:00Z");
  static final ReindexWindow WINDOW = ReindexWindow.of(START, END);
  static final long SCORECARDS = 4_000;
  static final List<String> REPORT = new ArrayList<>();

  @BeforeAll
  static void clusterRunning() throws Exception {
    cluster("start");
  }

  @BeforeEach
  void seed() throws Exception {
    TestDatabases.prepare();
    ClusterDatabases.reset();
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(SCORECARDS, 10, WINDOW, 5), true);
    }
  }

  @AfterEach
  void clusterBack() throws Exception {
    cluster("start");
  }

  @AfterAll
  static void report() {
    REPORT.forEach(line -> System.out.println("cluster: " + line));
  }

  static ReindexConfig config(Mode mode, boolean cleanUp) {
    return ReindexConfig.of(mode, WINDOW, TestDatabases.postgres(), ClusterDatabases.clickHouse())
        .withCleanUpBeforeWrite(cleanUp);
  }

  static ReindexJob.Summary run(Mode mode, boolean cleanUp) throws Exception {
    return ReindexJob.run(config(mode, cleanUp), RunnerOptions.direct(), ReindexJob.Progress.NONE);
  }

  static VerificationReport verify(Mode mode) throws Exception {
    return new Verifier(TestDatabases.postgres(), ClusterDatabases.clickHouse())
        .verify(WINDOW, mode);
  }

  static void assertExact(Mode mode) throws Exception {
    VerificationReport report = verify(mode);
    assertThat(report.equal()).as(report.describe()).isTrue();
    assertThat(ClusterDatabases.awaitReplicasEqual(Duration.ofSeconds(60)))
        .as("both replicas of each shard hold the same rows")
        .isTrue();
  }

  /** Rows of a table on the first replica of each shard, summed: what the cluster stores. */
  static long storedOnFirstReplicas(ClickHouseTable t) {
    return ClusterDatabases.localCount(1, t) + ClusterDatabases.localCount(3, t);
  }

  static long storedOnSecondReplicas(ClickHouseTable t) {
    return ClusterDatabases.localCount(2, t) + ClusterDatabases.localCount(4, t);
  }

  @Test
  @Timeout(600)
  void everyModeWithAndWithoutCleanUpEndsEqualOnEveryReplica() throws Exception {
    for (Mode mode : Mode.values()) {
      for (boolean cleanUp : new boolean[] {false, true}) {
        ReindexJob.Summary s = run(mode, cleanUp);
        assertThat(s.written().get(ClickHouseTable.SCORECARDS)).isPositive();
        assertExact(mode);
        REPORT.add(
            String.format(
                "mode %s, clean-up %s: %s written, %,d rows deleted; verification equal, replicas equal",
                mode, cleanUp, s.written().describe(), s.deleted().total()));
      }
    }
    // Both shards hold rows: the Distributed tables spread them by their sharding key.
    for (int node = 1; node <= ClusterDatabases.NODES; node++) {
      assertThat(ClusterDatabases.localCount(node, ClickHouseTable.SCORES)).isPositive();
    }
  }

  @Test
  @Timeout(300)
  void aCleanUpRewritingIdenticalRowsLeavesThemOnEveryReplica() throws Exception {
    run(Mode.all, false);
    assertThat(ClusterDatabases.awaitReplicasEqual(Duration.ofSeconds(60))).isTrue();
    long[] before = new long[ClickHouseTable.values().length];
    for (ClickHouseTable t : ClickHouseTable.values()) {
      before[t.ordinal()] = storedOnFirstReplicas(t);
      assertThat(before[t.ordinal()]).isPositive();
    }
    // PostgreSQL did not change: the clean-up deletes every row, then inserts the identical rows.
    // Replicated tables remember recent blocks' checksums and would drop them as duplicates.
    ReindexJob.Summary s = run(Mode.all, true);
    assertThat(s.deleted().get(ClickHouseTable.SCORES)).isEqualTo(before[2]);
    assertExact(Mode.all);
    for (ClickHouseTable t : ClickHouseTable.values()) {
      assertThat(storedOnFirstReplicas(t)).as(t.tableName()).isEqualTo(before[t.ordinal()]);
      assertThat(storedOnSecondReplicas(t)).as(t.tableName()).isEqualTo(before[t.ordinal()]);
    }
    REPORT.add(
        String.format(
            "de-duplication trap: clean-up deleted %s rows and wrote them again identically; every replica holds %,d scores",
            s.deleted().describe(), before[2]));
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
                "--chunk-scorecards",
                "500",
                "--retry-backoff",
                "1s"));
    all.addAll(List.of(extra));
    return all.toArray(new String[0]);
  }

  static ReindexProcess start(String... args) throws Exception {
    return ReindexProcess.runAgainst(
        ClusterDatabases.httpUrl(1), ClusterDatabases.DATABASE, Map.of(), args);
  }

  static long chunksDone(String runId) {
    return ClusterDatabases.node(1)
        .count(
            "SELECT count() FROM "
                + ClusterDatabases.DATABASE
                + ".reindex_run_chunks WHERE run_id = "
                + ClickHouseClient.quote(runId));
  }

  static void awaitChunks(ReindexProcess p, String runId, long n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (chunksDone(runId) < n) {
      assertThat(p.process.isAlive())
          .as("the run ended before %d chunks were done:%n%s", n, p.output())
          .isTrue();
      assertThat(System.nanoTime()).as("%d chunks done in time", n).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /** Resumes a failed run to its end; returns its output. */
  static String resume(String runId) throws Exception {
    ReindexProcess again = start(args("--resume", runId));
    int exit = again.awaitExit(Duration.ofSeconds(240));
    assertThat(exit).as(again.output()).isEqualTo(ExitCodes.OK);
    return again.output();
  }

  static String firstFailure(String output) {
    Matcher m = Pattern.compile("reindex: attempt \\d+ failed[^\\n]*").matcher(output);
    return m.find() ? m.group() : "(no failed attempt)";
  }

  @Test
  @Timeout(600)
  void aReplicaKilledDuringARunAndBroughtBackEndsExactAndCatchesUp() throws Exception {
    ReindexProcess p = start(args("--max-attempts", "6"));
    String runId = p.awaitRunId(Duration.ofSeconds(60));
    awaitChunks(p, runId, 2);
    long killed = System.nanoTime();
    cluster("node-kill", "2");
    Thread.sleep(3_000);
    cluster("node-start", "2");
    long back = System.nanoTime();
    int exit = p.awaitExit(Duration.ofSeconds(300));
    String how;
    if (exit == ExitCodes.OK) {
      how = "the run succeeded on its own";
    } else {
      assertThat(exit).as(p.output()).isEqualTo(ExitCodes.UNREACHABLE);
      resume(runId);
      how = "the run failed transient and --resume finished it";
    }
    assertExact(Mode.process);
    REPORT.add(
        String.format(
            "replica 2 (shard 1) SIGKILLed after 2 chunks, back %.1f s later: %s, %.1f s after it was back; it caught up (%s)",
            (back - killed) / 1e9, how, (p.endedNanos - back) / 1e9, firstFailure(p.output())));
  }

  @Test
  @Timeout(600)
  void zooKeeperStoppedDuringARunFailsTransientNamingItAndResumesExact() throws Exception {
    ReindexProcess p = start(args("--max-attempts", "2"));
    String runId = p.awaitRunId(Duration.ofSeconds(60));
    awaitChunks(p, runId, 1);
    cluster("zookeeper-stop");
    int exit = p.awaitExit(Duration.ofSeconds(300));
    String output = p.output();
    cluster("start");
    assertThat(exit).as(output).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(output).contains("failed (transient)").contains("ZooKeeper");
    resume(runId);
    assertExact(Mode.process);
    REPORT.add("ZooKeeper stopped after 1 chunk: " + firstFailure(output) + "; resumed: exact");
  }

  @Test
  @Timeout(600)
  void aWholeShardDownFailsTransientNamingTheShardAndResumesExact() throws Exception {
    ReindexProcess p = start(args("--max-attempts", "2"));
    String runId = p.awaitRunId(Duration.ofSeconds(60));
    awaitChunks(p, runId, 1);
    cluster("node-kill", "3");
    cluster("node-kill", "4");
    int exit = p.awaitExit(Duration.ofSeconds(300));
    String output = p.output();
    cluster("start");
    assertThat(exit).as(output).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(output).contains("failed (transient)").contains("shard 2 has no replica answering");
    resume(runId);
    assertExact(Mode.process);
    REPORT.add("shard 2 down after 1 chunk: " + firstFailure(output) + "; resumed: exact");
  }

  @Test
  @Timeout(300)
  void verifyFindsARowDeletedOnOneShardAndARowOnTheWrongShard() throws Exception {
    run(Mode.process, false);
    assertExact(Mode.process);
    // A scorecard of shard 1, deleted there (both replicas: the mutation is replicated).
    String deleted =
        ClusterDatabases.node(1)
            .execute(
                "SELECT scorecard_id FROM reindex.scorecards_local WHERE is_process_scorecard = 1 ORDER BY scorecard_id LIMIT 1")
            .strip();
    ClusterDatabases.node(1)
        .execute(
            "ALTER TABLE reindex.scorecards_local DELETE WHERE scorecard_id = "
                + ClickHouseClient.quote(deleted));
    // Another scorecard of shard 1, a copy of it written to shard 2 as well (a wrong sharding key).
    String misplaced =
        ClusterDatabases.node(1)
            .execute(
                "SELECT scorecard_id FROM reindex.scorecards_local WHERE is_process_scorecard = 1 ORDER BY scorecard_id DESC LIMIT 1")
            .strip();
    ClusterDatabases.node(3)
        .execute(
            "INSERT INTO reindex.scorecards_local SELECT * FROM remote('127.0.0.1:29001', reindex, scorecards_local) WHERE scorecard_id = "
                + ClickHouseClient.quote(misplaced));
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (ClusterDatabases.localCount(2, ClickHouseTable.SCORECARDS)
            != ClusterDatabases.localCount(1, ClickHouseTable.SCORECARDS)
        || ClusterDatabases.node(1)
                .count(
                    "SELECT count() FROM reindex.scorecards_local WHERE scorecard_id = "
                        + ClickHouseClient.quote(deleted))
            > 0) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(200);
    }
    VerificationReport report = verify(Mode.process);
    assertThat(report.equal()).isFalse();
    VerificationReport.TableReport scorecards = report.table("scorecards");
    assertThat(scorecards.missing()).containsExactly(List.of(deleted));
    String described = report.describe();
    assertThat(scorecards.repeated()).as(described).containsExactly(List.of(misplaced));
    assertThat(described).contains(misplaced);
    // The repair deletes both everywhere (ON CLUSTER) and writes them once, through the
    // Distributed table: to the shard their key says.
    dev.scorecards.reindex.verify.Repair.Outcome repaired =
        dev.scorecards.reindex.verify.Repair.run(
            config(Mode.process, false), report, "18.16.1", RunnerOptions.direct());
    assertThat(repaired.scorecardsAffected()).isEqualTo(2);
    assertExact(Mode.process);
    assertThat(
            ClusterDatabases.node(3)
                    .count(
                        "SELECT count() FROM reindex.scorecards_local WHERE scorecard_id IN ("
                            + ClickHouseClient.quote(deleted)
                            + ", "
                            + ClickHouseClient.quote(misplaced)
                            + ")")
                + ClusterDatabases.node(1)
                    .count(
                        "SELECT count() FROM reindex.scorecards_local WHERE scorecard_id IN ("
                            + ClickHouseClient.quote(deleted)
                            + ", "
                            + ClickHouseClient.quote(misplaced)
                            + ")"))
        .as("each once, on one shard")
        .isEqualTo(2);
    REPORT.add(
        "verify: the deleted scorecard is missing, the one on two shards is reported: "
            + described.lines().filter(l -> l.contains(misplaced)).findFirst().orElse(described)
            + "; --repair rewrote "
            + repaired.scorecardsAffected()
            + " scorecards and verification is equal again");
  }
}
