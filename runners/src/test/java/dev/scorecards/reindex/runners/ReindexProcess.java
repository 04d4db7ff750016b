package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.testing.TestDatabases;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code reindex ...} as a separate process from the bundled jar (the one {@code ./reindex} runs),
 * against the test databases: it can be killed with SIGKILL, its argv read from /proc, and its
 * whole output searched. Also the fault injections on the local servers.
 */
final class ReindexProcess {
  static final Path JAR = Path.of("target", "reindex-bundled-0.1.0-SNAPSHOT.jar").toAbsolutePath();
  private static final Path SERVICES =
      Path.of("..", "tools", "local", "services.sh").toAbsolutePath();
  private static final Pattern RUN_LINE = Pattern.compile("reindex: run (\\S+): ");

  final Process process;
  final Path output;
  final long startedNanos = System.nanoTime();
  long endedNanos;

  private ReindexProcess(Process process, Path output) {
    this.process = process;
    this.output = output;
  }

  /**
   * Starts {@code reindex run} on the test databases with the given extra arguments and
   * environment.
   */
  static ReindexProcess run(Map<String, String> env, String... args) throws IOException {
    return runAgainst(TestDatabases.CH_URL, TestDatabases.DATABASE, env, args);
  }

  /** The same against another ClickHouse (the local cluster). */
  static ReindexProcess runAgainst(
      String chUrl, String chDatabase, Map<String, String> env, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "java",
                "-Xmx2g",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                JAR.toString(),
                "run",
                "--pg-url",
                TestDatabases.postgres().jdbcUrl(),
                "--ch-url",
                chUrl,
                "--ch-database",
                chDatabase));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("reindex-run-", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("REINDEX_"));
    pb.environment().putAll(env);
    return new ReindexProcess(pb.start(), out);
  }

  String output() {
    try {
      return Files.readString(output, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The run id the process printed when it created or resumed its run. */
  String awaitRunId(Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = RUN_LINE.matcher(output());
      if (m.find()) {
        return m.group(1);
      }
      Matcher resumed = Pattern.compile("reindex: resuming run (\\S+): ").matcher(output());
      if (resumed.find()) {
        return resumed.group(1);
      }
      assertThat(process.isAlive())
          .as("the run ended before it printed its id:%n%s", output())
          .isTrue();
      Thread.sleep(100);
    }
    throw new AssertionError("no run id within " + within + ":\n" + output());
  }

  int awaitExit(Duration within) throws InterruptedException {
    if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the run did not end within " + within + ":\n" + output());
    }
    endedNanos = System.nanoTime();
    return process.exitValue();
  }

  /** The process's argv as the kernel shows it to every user of the machine. */
  String argv() throws IOException {
    return new String(
            Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline")),
            StandardCharsets.UTF_8)
        .replace('\0', ' ');
  }

  /** Chunks of a run recorded as done, read from the ledger. */
  static long chunksDone(String runId) {
    return TestDatabases.ch()
        .count(
            "SELECT count() FROM "
                + TestDatabases.DATABASE
                + ".reindex_run_chunks WHERE run_id = '"
                + runId
                + "'");
  }

  static void awaitChunksDone(ReindexProcess p, String runId, long n, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (chunksDone(runId) >= n) {
        return;
      }
      assertThat(p.process.isAlive())
          .as("the run ended before %d chunks were done:%n%s", n, p.output())
          .isTrue();
      Thread.sleep(50);
    }
    throw new AssertionError(n + " chunks not done within " + within + ":\n" + p.output());
  }

  /** {@code tools/local/services.sh COMMAND}: start, stop or restart one local server. */
  static String services(String command) throws IOException, InterruptedException {
    // Output to a file, not a pipe: a server started by the script must not keep the test waiting
    // for EOF.
    Path log = Files.createTempFile("services-", ".log");
    Process p =
        new ProcessBuilder("bash", SERVICES.toString(), command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("services.sh %s ended", command).isTrue();
    String out = Files.readString(log);
    Files.delete(log);
    assertThat(p.exitValue()).as("services.sh %s: %s", command, out).isZero();
    return out.strip();
  }

  static void signalClickHouse(String signal) throws IOException, InterruptedException {
    String pid = services("clickhouse-pid");
    assertThat(pid).matches("\\d+");
    Process kill = new ProcessBuilder("kill", "-" + signal, pid).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }
}
