package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.runners.schedule.ScheduleState;
import dev.scorecards.reindex.testing.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `reindex schedule` with the real pipeline: two runs with adjacent windows, the second picking up
 * data written in between.
 */
class ScheduleIT {
  @Test
  @Timeout(180)
  void twoRunsWithAdjacentWindowsPickUpWhatWasWrittenBetweenThem(@TempDir Path dir)
      throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    TestDatabases.template("tpl-process", 1, 2);
    TestDatabases.pg(
        "INSERT INTO director.scorecards VALUES ('before-first', 'cust-1', 'prof-1', 'tpl-process', 1, NULL, NULL, 'u', NULL, 1.5, NULL,"
            + " now() - interval '2 hours', now() - interval '1 hour')");
    Path stateFile = dir.resolve("state.properties");
    ScheduleState state = new ScheduleState(stateFile, "process");

    CompletableFuture<Integer> scheduler =
        CompletableFuture.supplyAsync(
            () -> {
              CommandLine cli = ReindexCli.commandLine();
              cli.setErr(new PrintWriter(new StringWriter(), true));
              return cli.execute(
                  "schedule",
                  "--cron",
                  "*/10 * * * * *",
                  "--max-runs",
                  "2",
                  "--mode",
                  "process",
                  "--state-file",
                  stateFile.toString(),
                  "--pg-url",
                  TestDatabases.postgres().jdbcUrl(),
                  "--ch-url",
                  TestDatabases.CH_URL,
                  "--ch-database",
                  TestDatabases.DATABASE);
            });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (state.lastSuccessfulEnd().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    Instant firstEnd =
        state
            .lastSuccessfulEnd()
            .orElseThrow(() -> new AssertionError("the first scheduled run did not succeed"));
    assertThat(TestDatabases.clickHouseIds(ClickHouseTable.SCORECARDS))
        .containsExactly("before-first");
    // Written after the first run (ticks are 10 s apart, a run takes a few): its window must be the
    // second run's.
    TestDatabases.pg(
        "INSERT INTO director.scorecards VALUES ('between-runs', 'cust-1', 'prof-1', 'tpl-process', 1, NULL, NULL, 'u', NULL, 2.5, NULL,"
            + " now() - interval '1 minute', now())");

    assertThat(scheduler.get(120, TimeUnit.SECONDS)).isEqualTo(ExitCodes.OK);

    assertThat(TestDatabases.clickHouseIds(ClickHouseTable.SCORECARDS))
        .containsExactly("before-first", "between-runs");
    assertThat(state.lastSuccessfulEnd().orElseThrow()).isAfter(firstEnd);
  }
}
