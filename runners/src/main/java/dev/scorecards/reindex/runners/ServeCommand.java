package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.runners.jobs.JobHandler;
import dev.scorecards.reindex.runners.jobs.JobServer;
import dev.scorecards.reindex.runners.jobs.PipelineLauncher;
import dev.scorecards.reindex.runners.jobs.Tokens;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code reindex serve}: the admin-only job handler over HTTP. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description =
        "Run the job handler: POST /v1/jobs launches a process reindex, GET /v1/jobs/{id} returns its state.")
public class ServeCommand implements Callable<Integer>, CliSettings.Command {
  @Spec CommandSpec spec;

  @Override
  public Set<Setting.Group> settingGroups() {
    return java.util.EnumSet.of(
        Setting.Group.JOB, Setting.Group.CONNECTION, Setting.Group.RUNNER, Setting.Group.TUNING);
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Option(
      names = "--bind",
      defaultValue = "127.0.0.1",
      description = "address to listen on (default: ${DEFAULT-VALUE}, loopback)")
  String bind;

  @Option(
      names = "--port",
      defaultValue = "${env:REINDEX_SERVE_PORT:-18080}",
      description = "port (env REINDEX_SERVE_PORT; default: ${DEFAULT-VALUE})")
  int port;

  @Override
  public Integer call() throws Exception {
    String tokensFile = System.getenv("REINDEX_TOKENS_FILE");
    if (tokensFile == null || tokensFile.isBlank()) {
      throw new IllegalArgumentException(
          "REINDEX_TOKENS_FILE must name the tokens file (lines '<sha256 of token> <caller> <role>')");
    }
    Tokens tokens = Tokens.load(Path.of(tokensFile));
    Settings settings = settings();
    Launch launch = Launch.of(settings, java.util.List.of(), System.getenv());
    JobHandler handler = new JobHandler(new PipelineLauncher(launch), settings, Instant::now);
    JobServer server = new JobServer(new InetSocketAddress(bind, port), tokens, handler);
    server.start();
    System.out.printf(
        "reindex serve: listening on http://%s:%d/v1/jobs (tokens from %s)%n",
        bind, server.port(), tokensFile);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                }));
    stopped.await();
    return ExitCodes.OK;
  }
}
