package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ResumableReindex;
import dev.scorecards.reindex.runners.schedule.ScheduleState;
import dev.scorecards.reindex.runners.schedule.Scheduler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code reindex schedule}: stays up and launches the configured reindex at each cron tick. */
@Command(
    name = "schedule",
    mixinStandardHelpOptions = true,
    description =
        "Launch the reindex at each tick of a cron expression; each run covers [end of the previous successful run, now).")
public class ScheduleCommand extends ReindexCommand implements Callable<Integer> {
  @Option(
      names = "--cron",
      required = true,
      description = "a cron expression: 5 fields, or 6 with seconds first (\"*/10 * * * * *\")")
  String cron;

  @Option(
      names = "--max-runs",
      defaultValue = "0",
      description = "stop after this many runs (default: 0, never)")
  int maxRuns;

  @Override
  public Set<Setting.Group> settingGroups() {
    Set<Setting.Group> groups = EnumSet.copyOf(Setting.Group.REINDEX);
    groups.add(Setting.Group.SCHEDULE);
    return groups;
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = settings();
    Path stateFile = Path.of(settings.text(Setting.SCHEDULE_STATE).strip());
    ReindexSettings effective = job(settings);
    Launch launch = launch(settings);
    RunnerOptions runner = launch.runner();
    Scheduler.parse(cron);
    if (maxRuns < 0) {
      throw new IllegalArgumentException("--max-runs must not be negative");
    }
    // Explicit start and end make the first window; otherwise the first run covers the 24 hours
    // before its tick.
    boolean explicitWindow = settings.given(Setting.START) || settings.given(Setting.END);
    ReindexConfig base = launch.config(effective);
    ResumableReindex.Policy policy = launch.policy(effective);
    ScheduleState state = new ScheduleState(stateFile, effective.mode().name());
    System.out.printf(
        "schedule: '%s', mode %s, runner %s, state in %s (last successful end: %s)%n",
        cron,
        effective.mode(),
        runner.describe(),
        stateFile,
        state.lastSuccessfulEnd().map(Instant::toString).orElse("none"));
    Scheduler scheduler =
        new Scheduler(
            cron,
            tick ->
                explicitWindow
                    ? effective.window()
                    : ReindexWindow.of(tick.minus(ReindexSettings.DEFAULT_WINDOW), tick),
            state,
            window -> RunCommand.runQuietly(base.withWindow(window), policy, runner),
            Clock.systemUTC(),
            line -> {
              System.out.println(line);
              System.out.flush();
            });
    int failed = scheduler.loop(maxRuns);
    return failed == 0 ? ExitCodes.OK : ExitCodes.FAILED;
  }
}
