package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.PerTable;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.run.RunLedger;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code reindex status [RUN_ID]}: the recorded runs and their progress, or one run chunk by chunk.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show recent runs and their progress, or one run's chunks.")
public class StatusCommand implements Callable<Integer>, CliSettings.Command {
  @Parameters(arity = "0..1", paramLabel = "RUN_ID", description = "the run to show chunk by chunk")
  String runId;

  @Option(
      names = "--limit",
      defaultValue = "20",
      description = "how many recent runs to list (default: ${DEFAULT-VALUE})")
  int limit;

  @Spec CommandSpec spec;

  @Override
  public Set<Setting.Group> settingGroups() {
    return java.util.EnumSet.of(Setting.Group.CONNECTION);
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() {
    if (runId != null) {
      RunLedger.requireRunId(runId);
    }
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("--limit must be between 1 and 10000, not " + limit);
    }
    ClickHouseSettings clickHouse = Launch.clickHouse(settings());
    RunLedger ledger = new RunLedger(new ClickHouseClient(clickHouse));
    ledger.ensureTables();
    PrintStream out = System.out;
    if (runId == null) {
      List<RunLedger.Run> runs = ledger.recent(limit);
      if (runs.isEmpty()) {
        out.println("no runs recorded in " + clickHouse.database() + "." + RunLedger.RUNS);
        return ExitCodes.OK;
      }
      out.printf(
          "%-24s %-12s %-20s %-20s %-9s %7s %8s  %s%n",
          "RUN", "MODE", "START", "END", "STATE", "ATTEMPT", "CHUNKS", "LAST MESSAGE");
      for (RunLedger.Run r : runs) {
        out.printf(
            "%-24s %-12s %-20s %-20s %-9s %7d %8s  %s%n",
            r.runId(),
            r.mode(),
            r.window().start(),
            r.window().end(),
            r.state(),
            r.attempt(),
            ledger.chunksDone(r.runId()).size() + "/" + r.chunks().size(),
            r.message());
      }
      return ExitCodes.OK;
    }
    RunLedger.Run run =
        ledger
            .find(runId)
            .orElseThrow(() -> new IllegalArgumentException("there is no run " + runId));
    Map<Integer, RunLedger.ChunkDone> done = ledger.chunksDone(runId);
    out.printf(
        "run %s: mode %s, window [%s, %s), clean-up %s%n",
        run.runId(),
        run.mode(),
        run.window().start(),
        run.window().end(),
        run.cleanUp() ? "on" : "off");
    out.printf(
        "state %s after attempt %d (updated %s): %s%n",
        run.state(), run.attempt(), run.updated(), run.message());
    PerTable written = PerTable.ZERO;
    for (int i = 0; i < run.chunks().size(); i++) {
      ReindexWindow.TimeRange range = run.chunks().get(i);
      RunLedger.ChunkDone d = done.get(i);
      out.printf(
          "  chunk %d/%d [%s, %s): %s%n",
          i + 1,
          run.chunks().size(),
          ReindexWindow.fromMicros(range.startMicros()),
          ReindexWindow.fromMicros(range.endMicros()),
          d == null
              ? "not done"
              : String.format(
                  "done in attempt %d, %s written, %,d rows deleted, %.1f s",
                  d.attempt(), d.written().describe(), d.rowsDeleted(), d.seconds()));
      if (d != null) {
        written = written.plus(d.written());
      }
    }
    out.printf(
        "%d of %d chunks done: %s written%n", done.size(), run.chunks().size(), written.describe());
    return ExitCodes.OK;
  }
}
