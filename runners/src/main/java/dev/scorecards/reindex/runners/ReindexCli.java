package dev.scorecards.reindex.runners;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The Java side of {@code ./reindex}: parses and validates once, then hands immutable configuration
 * inward.
 */
@Command(
    name = "reindex",
    mixinStandardHelpOptions = true,
    version = "reindex 0.1.0",
    description = "Reindexes scorecards from PostgreSQL into ClickHouse.",
    subcommands = {
      RunCommand.class,
      StatusCommand.class,
      VerifyCommand.class,
      ServeCommand.class,
      JobCommand.class,
      ScheduleCommand.class,
      ClassArchiveCommand.class,
      ClassArchiveCommand.ShortCommands.class
    })
public final class ReindexCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "name a command: run, status, verify, serve, job or schedule");
  }

  public static CommandLine commandLine() {
    return commandLine(new ReindexCli());
  }

  /** A command line for {@code command} with the tool's handling of errors and exit codes. */
  public static CommandLine commandLine(Object command) {
    CommandLine cli = new CommandLine(command);
    CliSettings.addOptions(cli);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          int code = ExitCodes.of(e);
          PrintWriter err = commandLine.getErr();
          err.println("reindex: " + ExitCodes.message(e));
          if (System.getenv(Setting.DEBUG.env) != null) {
            java.io.StringWriter trace = new java.io.StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            err.print(
                dev.scorecards.reindex.run.Failures.redact(
                    trace.toString(), Setting.secretValues(System.getenv())));
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
    int code = commandLine().execute(args);
    stopIdleHttpSelectors();
    System.exit(code);
  }

  /**
   * Ends the selector threads of the JDK's HTTP clients (ours to ClickHouse and the ClickHouse
   * driver's) once the command is done. Each waits for network events in native code, and HotSpot's
   * exit waits up to 300 ms for threads in native code to come back before it ends the process. An
   * interrupted selector thread shuts its client down and returns, well within the exit's first 10
   * ms check; nothing runs after this but the exit hooks, which do not use these clients.
   */
  static void stopIdleHttpSelectors() {
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] threads = new Thread[root.activeCount() + 16];
    int n = root.enumerate(threads, true);
    for (int i = 0; i < n; i++) {
      String name = threads[i].getName();
      if (name.startsWith("HttpClient-") && name.endsWith("-SelectorManager")) {
        threads[i].interrupt();
      }
    }
  }
}
