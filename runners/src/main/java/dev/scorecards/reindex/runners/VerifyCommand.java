package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.pipeline.ClickHouseClient;
import dev.scorecards.reindex.pipeline.ReindexConfig;
import dev.scorecards.reindex.pipeline.ReindexWindow;
import dev.scorecards.reindex.verify.Repair;
import dev.scorecards.reindex.verify.VerificationReport;
import dev.scorecards.reindex.verify.Verifier;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code reindex verify}: does ClickHouse match PostgreSQL for a window? */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Prove that ClickHouse matches PostgreSQL for a window [start, end), or list every difference.",
    footer = "Exit codes: 0 equal, 1 differences found, 2 usage error, 3 a database cannot be reached, 5 another failure.")
public class VerifyCommand implements Callable<Integer> {
  @Option(names = "--mode", defaultValue = "${env:REINDEX_MODE:-process}", description = "conversation, process or all (default: ${DEFAULT-VALUE})")
  String mode;

  @Option(names = "--start", required = true, description = "RFC 3339 start of the window, inclusive")
  String start;

  @Option(names = "--end", required = true, description = "RFC 3339 end of the window, exclusive")
  String end;

  @Option(names = "--report", description = "write every count and every differing id to this JSON file")
  Path report;

  @Option(names = "--repair", description = "rewrite the differing and missing scorecards, delete the extra ones, then verify again")
  boolean repair;

  @Mixin ConnectionOptions connections;

  @Override
  public Integer call() throws Exception {
    RunCommand.requireProcessMode(mode);
    ReindexWindow window = ReindexWindow.parse(start, end);
    ReindexConfig config = ReindexConfig.of(window, connections.postgres(), connections.clickHouse());
    return verify(config, report, repair);
  }

  /** Verifies (and repairs) a window; prints the report; returns the exit code. */
  static int verify(ReindexConfig config, Path reportFile, boolean repair) throws Exception {
    Verifier verifier = new Verifier(config.postgres(), config.clickHouse());
    VerificationReport report = verifier.verify(config.window());
    System.out.print(report.describe());
    if (!report.equal() && repair) {
      String version = new ClickHouseClient(config.clickHouse()).execute("SELECT version()").trim();
      Repair.Outcome outcome = Repair.run(config, report, version, RunCommand.directOptions());
      System.out.printf("repair: rewrote %,d scorecards (deleted %,d scorecard rows and %,d score rows first, %d mutations)%n",
          outcome.scorecardsAffected(), outcome.deleted().scorecardRows(), outcome.deleted().scoreRows(), outcome.deleted().mutations());
      report = verifier.verify(config.window());
      System.out.print(report.describe());
    }
    if (reportFile != null) {
      report.writeJson(reportFile);
    }
    return report.equal() ? ExitCodes.OK : ExitCodes.DIFFERENCES;
  }
}
