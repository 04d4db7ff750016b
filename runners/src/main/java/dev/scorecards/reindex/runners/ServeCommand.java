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
        Setting.Group.JOB,
        Setting.Group.CONNECTION,
        Setting.Group.RUNNER,
        Setting.Group.TUNING,
        Setting.Group.DIAGNOSTICS,
        Setting.Group.SERVE);
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = settings();
    String tokensFile = settings.text(Setting.TOKENS_FILE);
    if (tokensFile == null) {
      throw new IllegalArgumentException(
          "--tokens-file or REINDEX_TOKENS_FILE must name the tokens file"
              + " (lines '<sha256 of token> <caller> <role>')");
    }
    String bind = settings.text(Setting.SERVE_BIND).strip();
    int port = settings.integer(Setting.SERVE_PORT, 0, 65535);
    Tokens tokens = Tokens.watching(Path.of(tokensFile));
    Launch launch = Launch.of(settings, java.util.List.of(), System.getenv());
    InetSocketAddress address = new InetSocketAddress(bind, port);
    if (address.isUnresolved()) {
      throw new IllegalArgumentException(
          "the address to listen on, "
              + settings.source(Setting.SERVE_BIND)
              + " "
              + bind
              + ", does not resolve");
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
    String keyStore = settings.text(Setting.TLS_KEYSTORE);
    String keyStorePassword = settings.text(Setting.TLS_KEYSTORE_PASSWORD);
    javax.net.ssl.SSLContext tls =
        keyStore == null
            ? null
            : JobServer.tls(
                Path.of(keyStore),
                (keyStorePassword == null ? "" : keyStorePassword).toCharArray());
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
