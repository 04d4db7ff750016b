package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.run.RunLedger;
import dev.scorecards.reindex.runners.jobs.JobHandler;
import dev.scorecards.reindex.runners.jobs.JobServer;
import dev.scorecards.reindex.runners.jobs.LedgerJobStore;
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
    Tokens tokens = Tokens.watching(Path.of(tokensFile));
    Settings settings = settings();
    Launch launch = Launch.of(settings, java.util.List.of(), System.getenv());
    InetSocketAddress address = new InetSocketAddress(bind, port);
    if (address.isUnresolved()) {
      throw new IllegalArgumentException(
          "the address to listen on, --bind " + bind + ", does not resolve");
    }
    JobHandler handler =
        new JobHandler(
            new PipelineLauncher(launch),
            settings,
            Instant::now,
            new LedgerJobStore(
                new RunLedger(
                    new ClickHouseClient(launch.clickHouse()),
                    launch.postgres().password(),
                    launch.clickHouse().password())),
            JobHandler.DEFAULT_MAX_PENDING);
    String keyStore = System.getenv("REINDEX_TLS_KEYSTORE");
    javax.net.ssl.SSLContext tls =
        keyStore == null || keyStore.isBlank()
            ? null
            : JobServer.tls(
                Path.of(keyStore),
                System.getenv().getOrDefault("REINDEX_TLS_KEYSTORE_PASSWORD", "").toCharArray());
    JobServer server;
    try {
      server = new JobServer(address, tokens, handler, tls);
    } catch (java.net.BindException e) {
      throw new IllegalArgumentException(
          "cannot listen on " + bind + ":" + port + ": " + e.getMessage());
    }
    if (tls == null && !address.getAddress().isLoopbackAddress()) {
      System.err.printf(
          "reindex serve: WARNING: listening on %s without TLS: bearer tokens cross the network"
              + " in clear. Put a TLS-terminating proxy in front (docs/operations.md, Job server).%n",
          bind);
    }
    server.start();
    System.out.printf(
        "reindex serve: listening on %s://%s:%d/v1/jobs (tokens from %s)%n",
        tls == null ? "http" : "https", bind, server.port(), tokensFile);
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
