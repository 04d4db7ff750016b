package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.runners.jobs.JobHandler;
import dev.scorecards.reindex.runners.jobs.JobServer;
import dev.scorecards.reindex.runners.jobs.PipelineLauncher;
import dev.scorecards.reindex.runners.jobs.Tokens;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code reindex serve}: the admin-only job handler over HTTP. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the job handler: POST /v1/jobs launches a process reindex, GET /v1/jobs/{id} returns its state.")
public class ServeCommand implements Callable<Integer> {
  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE}, loopback)")
  String bind;

  @Option(names = "--port", defaultValue = "${env:REINDEX_SERVE_PORT:-18080}", description = "port (env REINDEX_SERVE_PORT; default: ${DEFAULT-VALUE})")
  int port;

  @Mixin ConnectionOptions connections;

  @Override
  public Integer call() throws Exception {
    String tokensFile = System.getenv("REINDEX_TOKENS_FILE");
    if (tokensFile == null || tokensFile.isBlank()) {
      throw new IllegalArgumentException("REINDEX_TOKENS_FILE must name the tokens file (lines '<sha256 of token> <caller> <role>')");
    }
    Tokens tokens = Tokens.load(Path.of(tokensFile));
    JobHandler handler = new JobHandler(new PipelineLauncher(connections.postgres(), connections.clickHouse()), System.getenv(), Instant::now);
    JobServer server = new JobServer(new InetSocketAddress(bind, port), tokens, handler);
    server.start();
    System.out.printf("reindex serve: listening on http://%s:%d/v1/jobs (tokens from %s)%n", bind, server.port(), tokensFile);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    stopped.await();
    return ExitCodes.OK;
  }
}
