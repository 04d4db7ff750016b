package dev.scorecards.reindex.runners;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The Java side of {@code ./reindex}: parses and validates once, then hands immutable configuration inward. */
@Command(
    name = "reindex",
    mixinStandardHelpOptions = true,
    version = "reindex 0.1.0",
    description = "Reindexes scorecards from PostgreSQL into ClickHouse.",
    subcommands = {RunCommand.class, StatusCommand.class, VerifyCommand.class, SeedCommand.class, ServeCommand.class, JobCommand.class, ScheduleCommand.class, BenchCommand.class, BenchCommand.Loop.class, ClassArchiveCommand.class})
public final class ReindexCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command: run, verify or seed");
  }

  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new ReindexCli());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          int code = ExitCodes.of(e);
          PrintWriter err = commandLine.getErr();
          err.println("reindex: " + ExitCodes.message(e));
          if (System.getenv("REINDEX_DEBUG") != null) {
            java.io.StringWriter trace = new java.io.StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            err.print(dev.scorecards.reindex.pipeline.Failures.redact(trace.toString(),
                System.getenv("REINDEX_PG_PASSWORD"), System.getenv("REINDEX_CH_PASSWORD")));
          }
          err.flush();
          return code;
        });
    cli.setParameterExceptionHandler(
        (e, args) -> {
          PrintWriter err = e.getCommandLine().getErr();
          err.println("reindex: " + e.getMessage());
          err.println("Try 'reindex " + e.getCommandLine().getCommandName() + " --help'.");
          err.flush();
          return ExitCodes.USAGE;
        });
    return cli;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
