package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.verify.Repair;
import dev.scorecards.reindex.verify.VerificationReport;
import dev.scorecards.reindex.verify.Verifier;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code reindex verify}: does ClickHouse match PostgreSQL for a window? */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description =
        "Prove that ClickHouse matches PostgreSQL for a window [start, end), or list every difference.",
    footer =
        "Exit codes: 0 equal, 1 differences found, 2 usage error, 3 a database cannot be reached, 5 another failure.")
public class VerifyCommand implements Callable<Integer>, CliSettings.Command {
  @Spec CommandSpec spec;

  @Option(
      names = "--report",
      description = "write every count and every differing id to this JSON file")
  Path report;

  @Option(
      names = "--repair",
      description =
          "rewrite the differing and missing scorecards, delete the extra ones, then verify again")
  boolean repair;

  @Override
  public Set<Setting.Group> settingGroups() {
    return java.util.EnumSet.of(Setting.Group.WINDOW, Setting.Group.CONNECTION);
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = settings();
    ReindexSettings effective = ReindexSettings.resolve(null, settings, Instant.now());
    ReindexConfig config =
        ReindexConfig.of(
            effective.mode(),
            effective.window(),
            Launch.postgres(settings),
            Launch.clickHouse(settings));
    return verify(config, report, repair);
  }

  /** Verifies (and repairs) a window; prints the report; returns the exit code. */
  static int verify(ReindexConfig config, Path reportFile, boolean repair) throws Exception {
    Verifier verifier = new Verifier(config.postgres(), config.clickHouse());
    VerificationReport report = verifier.verify(config.window(), config.mode());
    System.out.print(report.describe());
    if (!report.equal() && repair) {
      String version = new ClickHouseClient(config.clickHouse()).execute("SELECT version()").trim();
      Repair.Outcome outcome = Repair.run(config, report, version, RunnerOptions.direct());
      System.out.printf(
          "repair: rewrote %,d scorecards and %,d conversations (deleted first: %s rows)%n",
          outcome.scorecardsAffected(),
          outcome.conversationsAffected(),
          outcome.deleted().rows().describe());
      report = verifier.verify(config.window(), config.mode());
      System.out.print(report.describe());
    }
    if (reportFile != null) {
      report.writeJson(reportFile);
    }
    return report.equal() ? ExitCodes.OK : ExitCodes.DIFFERENCES;
  }
}
