package dev.scorecards.reindex.tools;

import dev.scorecards.reindex.runners.ReindexCli;
import java.io.File;
import java.lang.management.ManagementFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The developer tools ({@code ./reindex seed}, {@code ./reindex bench}): they run with this
 * module's jar and the bundled jar on the class path, so that the jar users deploy holds neither.
 */
@Command(
    name = "reindex-tools",
    mixinStandardHelpOptions = true,
    description = "Developer tools: sample data and the benchmark.",
    subcommands = {SeedCommand.class, BenchCommand.class, BenchCommand.Loop.class})
public final class ToolsCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command: seed or bench");
  }

  /** The class path this JVM runs with: the tools' jar and the bundled jar. */
  static String classPath() {
    return ManagementFactory.getRuntimeMXBean().getClassPath().replace(File.pathSeparatorChar, ':');
  }

  public static void main(String[] args) {
    CommandLine cli = ReindexCli.commandLine(new ToolsCli());
    System.exit(cli.execute(args));
  }
}
