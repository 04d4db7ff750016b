package dev.scorecards.reindex.tools;

import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.runners.CliSettings;
import dev.scorecards.reindex.runners.ExitCodes;
import dev.scorecards.reindex.runners.Launch;
import dev.scorecards.reindex.runners.Setting;
import dev.scorecards.reindex.testing.Seeder;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code reindex seed}: deterministic sample data in the PostgreSQL contract tables. */
@Command(
    name = "seed",
    mixinStandardHelpOptions = true,
    description = "Generate sample scorecards in PostgreSQL.")
public class SeedCommand implements Callable<Integer>, CliSettings.Command {
  @Option(
      names = "--scorecards",
      required = true,
      description =
          "process scorecards to make (a fifth as many conversation scorecards come with them)")
  long scorecards;

  @Option(
      names = "--scores-per-scorecard",
      defaultValue = "10",
      description = "average scores a scorecard (0 to twice this; default: ${DEFAULT-VALUE})")
  int scoresPerScorecard;

  @Option(
      names = "--start",
      description = "RFC 3339 start of the window the data falls in (default: 7 days before --end)")
  String start;

  @Option(
      names = "--end",
      description = "RFC 3339 end of the window (default: the start of this hour)")
  String end;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "the same seed makes the same data (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--replace",
      description = "empty the contract tables first (for local and test databases only)")
  boolean replace;

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
  public Integer call() throws Exception {
    Instant endTime =
        end == null
            ? Instant.now().truncatedTo(ChronoUnit.HOURS)
            : ReindexWindow.parseTime("end", end);
    Instant startTime =
        start == null ? endTime.minus(Duration.ofDays(7)) : ReindexWindow.parseTime("start", start);
    Seeder.Spec spec =
        new Seeder.Spec(scorecards, scoresPerScorecard, ReindexWindow.of(startTime, endTime), seed);
    try (Connection connection = Launch.postgres(settings()).connect()) {
      Seeder.Result r = Seeder.seed(connection, spec, replace);
      System.out.printf(
          "seeded %,d process scorecards, %,d conversation scorecards, %,d scores, %,d conversations in %s (%.1f s)%n",
          r.processScorecards(),
          r.conversationScorecards(),
          r.scores(),
          r.conversations(),
          spec.window(),
          r.seconds());
      System.out.printf(
          "window: --start %s --end %s%n", spec.window().start(), spec.window().end());
    }
    return ExitCodes.OK;
  }
}
