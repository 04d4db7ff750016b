package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.run.RunLedger;
import dev.scorecards.reindex.runners.jobs.JobHandler;
import dev.scorecards.reindex.runners.jobs.JobServer;
import dev.scorecards.reindex.runners.jobs.LedgerJobStore;
import dev.scorecards.reindex.runners.jobs.Tokens;
import dev.scorecards.reindex.testing.TestDatabases;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job server as an attacker or a careless operator meets it: idle half-open connections, a
 * flood of identical jobs, a full queue, cancelling, a restart, a viewer reading a failure, a
 * revoked token, bad tokens files. The launcher is a stand-in that waits until released (the
 * server's behaviour is under test, not the pipeline); the jobs are kept in the real ClickHouse.
 */
class JobServerHardeningIT {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final AtomicInteger launches = new AtomicInteger();
  private final CountDownLatch release = new CountDownLatch(1);
  private Path tokens;
  private JobServer server;
  private JobHandler.Store store;

  static String job(String day) {
    return "{\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\", \"payload\": {\"reindexProcessScorecards\":"
        + " {\"startTime\": \"2026-04-"
        + day
        + "T00:00:00Z\", \"endTime\": \"2026-04-"
        + day
        + "T12:00:00Z\"}}}";
  }

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    TestDatabases.prepare();
    TestDatabases.ch()
        .execute("DROP TABLE IF EXISTS " + TestDatabases.DATABASE + "." + LedgerJobStore.TABLE);
    tokens = dir.resolve("tokens");
    Files.writeString(
        tokens,
        Tokens.sha256("admin-token")
            + " alice ADMIN\n"
            + Tokens.sha256("viewer-token")
            + " bob VIEWER\n");
    store = new LedgerJobStore(new RunLedger(new ClickHouseClient(TestDatabases.clickHouse())));
    server = server(2);
  }

  private JobServer server(int maxPending) throws Exception {
    JobHandler handler =
        new JobHandler(
            (input, progress) -> {
              launches.incrementAndGet();
              if (input.getStartTime().getSeconds() % 86_400 == 0
                  && Instant.ofEpochSecond(input.getStartTime().getSeconds())
                      .toString()
                      .startsWith("2026-04-09")) {
                throw new IllegalStateException(
                    "Code: 53, e.displayText() = DB::Exception: Type mismatch for secret value 'hunter2'");
              }
              release.await();
              return new JobHandler.Counts(1, 2, 0, 0);
            },
            dev.scorecards.reindex.runners.Settings.fromEnvironment(
                Map.of("REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS", "1")),
            Instant::now,
            store,
            maxPending);
    JobServer s =
        new JobServer(new InetSocketAddress("127.0.0.1", 0), Tokens.watching(tokens), handler);
    s.start();
    return s;
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.close();
  }

  private HttpResponse<String> send(String method, String path, String token, String body)
      throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode body(HttpResponse<String> r) throws Exception {
    return json.readTree(r.body());
  }

  private JsonNode awaitState(String id, String state) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      JsonNode s = body(send("GET", "/v1/jobs/" + id, "admin-token", null));
      if (s.get("state").asText().equals(state)) {
        return s;
      }
      assertThat(System.nanoTime()).as("job %s reached %s: %s", id, state, s).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  @Test
  @Timeout(120)
  void halfOpenConnectionsDoNotBlockAnAuthorisedRequest() throws Exception {
    assertThat(answerSecondsWith(4)).as("with 4 half-open connections").isLessThan(2);
    // More than the server's threads: the stalled requests time out and free them.
    assertThat(answerSecondsWith(40)).as("with 40 half-open connections").isLessThan(10);
  }

  private double answerSecondsWith(int halfOpen) throws Exception {
    List<Socket> idle = new ArrayList<>();
    try {
      // Each sends the start of a request and never ends it.
      for (int i = 0; i < halfOpen; i++) {
        Socket s = new Socket("127.0.0.1", server.port());
        OutputStream out = s.getOutputStream();
        out.write("GET /v1/jobs/x HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        idle.add(s);
      }
      long began = System.nanoTime();
      HttpResponse<String> r = send("GET", "/v1/jobs/none", "admin-token", null);
      assertThat(r.statusCode()).isEqualTo(404);
      return (System.nanoTime() - began) / 1e9;
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
  }

  @Test
  void theSameWindowTwiceIsOneJobAndAFullQueueIs429() throws Exception {
    HttpResponse<String> first = send("POST", "/v1/jobs", "admin-token", job("01"));
    assertThat(first.statusCode()).isEqualTo(202);
    String id = body(first).get("id").asText();
    awaitState(id, "RUNNING");
    // 200 identical submissions: the same job, not 200 reindexes of one window.
    for (int i = 0; i < 200; i++) {
      HttpResponse<String> again = send("POST", "/v1/jobs", "admin-token", job("01"));
      assertThat(again.statusCode()).isEqualTo(200);
      assertThat(body(again).get("id").asText()).isEqualTo(id);
    }
    assertThat(send("POST", "/v1/jobs", "admin-token", job("02")).statusCode()).isEqualTo(202);
    assertThat(send("POST", "/v1/jobs", "admin-token", job("03")).statusCode()).isEqualTo(202);
    HttpResponse<String> full = send("POST", "/v1/jobs", "admin-token", job("04"));
    assertThat(full.statusCode()).isEqualTo(429);
    assertThat(full.headers().firstValue("Retry-After")).isPresent();
    assertThat(body(full).get("error").asText()).contains("the queue holds 2 pending jobs");
    assertThat(launches).hasValue(1);
  }

  @Test
  void anAdminCancelsPendingAndRunningJobsAViewerCannot() throws Exception {
    String running = body(send("POST", "/v1/jobs", "admin-token", job("01"))).get("id").asText();
    awaitState(running, "RUNNING");
    String pending = body(send("POST", "/v1/jobs", "admin-token", job("02"))).get("id").asText();
    assertThat(send("DELETE", "/v1/jobs/" + pending, "viewer-token", null).statusCode())
        .isEqualTo(403);
    HttpResponse<String> cancelled = send("DELETE", "/v1/jobs/" + pending, "admin-token", null);
    assertThat(cancelled.statusCode()).isEqualTo(200);
    assertThat(body(cancelled).get("state").asText()).isEqualTo("CANCELLED");
    assertThat(
            body(send("DELETE", "/v1/jobs/" + running, "admin-token", null)).get("state").asText())
        .isEqualTo("CANCELLED");
    assertThat(send("DELETE", "/v1/jobs/" + running, "admin-token", null).statusCode())
        .isEqualTo(409);
    Thread.sleep(500);
    assertThat(launches).as("the cancelled pending job never started").hasValue(1);
    assertThat(awaitState(pending, "CANCELLED").get("reason").asText())
        .isEqualTo("cancelled by alice");
  }

  @Test
  void jobsSurviveARestartOfTheServer() throws Exception {
    String id = body(send("POST", "/v1/jobs", "admin-token", job("01"))).get("id").asText();
    awaitState(id, "RUNNING");
    server.close();
    server = server(2);
    JsonNode after = body(send("GET", "/v1/jobs/" + id, "admin-token", null));
    assertThat(after.get("state").asText()).isEqualTo("FAILED");
    assertThat(after.get("reason").asText())
        .isEqualTo(
            "the job server stopped while the job was RUNNING; submit it again (its run resumes where it stopped)");
  }

  @Test
  void aFailuresReasonIsForAdminsOnly() throws Exception {
    String id = body(send("POST", "/v1/jobs", "admin-token", job("09"))).get("id").asText();
    JsonNode failed = awaitState(id, "FAILED");
    assertThat(failed.get("reason").asText()).contains("Type mismatch");
    JsonNode seenByViewer = body(send("GET", "/v1/jobs/" + id, "viewer-token", null));
    assertThat(seenByViewer.get("state").asText()).isEqualTo("FAILED");
    assertThat(seenByViewer.get("reason").asText())
        .isEqualTo("(shown to ADMIN and SUPER_ADMIN only)");
  }

  @Test
  void refusalsSayHowAndAreShort() throws Exception {
    HttpResponse<String> noToken = send("GET", "/v1/jobs/x", null, null);
    assertThat(noToken.statusCode()).isEqualTo(401);
    assertThat(noToken.headers().firstValue("WWW-Authenticate"))
        .hasValue("Bearer realm=\"reindex\"");
    HttpResponse<String> put = send("PUT", "/v1/jobs", "admin-token", "{}");
    assertThat(put.statusCode()).isEqualTo(405);
    assertThat(put.headers().firstValue("Allow")).hasValue("POST");
    assertThat(send("POST", "/v1/jobs/x", "admin-token", "{}").statusCode()).isEqualTo(405);
    String longId = "x".repeat(100_000);
    HttpResponse<String> unknown = send("GET", "/v1/jobs/" + longId, "admin-token", null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body().length()).as("the id is not echoed whole").isLessThan(300);
  }

  @Test
  void aTokenRemovedFromTheFileIsRefusedWithoutARestart() throws Exception {
    assertThat(send("GET", "/v1/jobs/x", "viewer-token", null).statusCode()).isEqualTo(404);
    Files.writeString(tokens, Tokens.sha256("admin-token") + " alice ADMIN\n");
    assertThat(send("GET", "/v1/jobs/x", "viewer-token", null).statusCode()).isEqualTo(401);
    assertThat(send("GET", "/v1/jobs/x", "admin-token", null).statusCode()).isEqualTo(404);
  }

  @Test
  void unusableTokensFilesAreRefusedInOneSentence(@TempDir Path dir) throws Exception {
    Path empty = Files.writeString(dir.resolve("empty"), "# nobody\n");
    assertThatThrownBy(() -> Tokens.watching(empty))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the tokens file " + empty + " names no caller: nobody could use the server");
    Path open = Files.writeString(dir.resolve("open"), Tokens.sha256("t") + " a ADMIN\n");
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThatThrownBy(() -> Tokens.watching(open))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is writable by every user");
    assertThatThrownBy(() -> Tokens.watching(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the tokens file " + dir + " is not a regular file");
    assertThatThrownBy(() -> Tokens.watching(dir.resolve("missing")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not exist");
    Path latin1 = dir.resolve("latin1");
    Files.write(latin1, new byte[] {(byte) 0xe9, '\n'});
    assertThatThrownBy(() -> Tokens.watching(latin1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not UTF-8 text");
  }

  /**
   * A PKCS#12 key store with a self-signed certificate for 127.0.0.1, made by the JDK's keytool.
   */
  static Path keyStore(Path dir) throws Exception {
    Path p12 = dir.resolve("server.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "reindex",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-storetype",
                "PKCS12",
                "-keystore",
                p12.toString(),
                "-storepass",
                "test-pass",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2")
            .redirectErrorStream(true)
            .start();
    assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    return p12;
  }

  @Test
  @Timeout(120)
  void withAKeyStoreTheServerSpeaksTlsOnlyAndAnUntrustedCertificateIsPermanent(@TempDir Path dir)
      throws Exception {
    Path p12 = keyStore(dir);
    server.close();
    server =
        new JobServer(
            new InetSocketAddress("127.0.0.1", 0),
            Tokens.watching(tokens),
            new JobHandler((input, progress) -> null, Map.of(), Instant::now),
            JobServer.tls(p12, "test-pass".toCharArray()));
    server.start();
    // A client that trusts the server's certificate talks to it.
    java.security.KeyStore trusted = java.security.KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(p12)) {
      trusted.load(in, "test-pass".toCharArray());
    }
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    javax.net.ssl.SSLContext client = javax.net.ssl.SSLContext.getInstance("TLS");
    client.init(null, tmf.getTrustManagers(), null);
    HttpRequest get =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/v1/jobs/x"))
            .header("Authorization", "Bearer admin-token")
            .build();
    assertThat(
            HttpClient.newBuilder()
                .sslContext(client)
                .build()
                .send(get, HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(404);
    // Plain HTTP gets no answer from it.
    HttpRequest plain =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/jobs/x"))
            .timeout(Duration.ofSeconds(5))
            .header("Authorization", "Bearer admin-token")
            .build();
    assertThatThrownBy(() -> http.send(plain, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.io.IOException.class);
    // A run whose ClickHouse URL presents a certificate the JVM does not trust: one attempt,
    // exit 3, the reason named.
    ReindexProcess run =
        ReindexProcess.runAgainst(
            "https://127.0.0.1:" + server.port(),
            TestDatabases.DATABASE,
            Map.of(),
            "--mode",
            "process",
            "--start",
            "2026-04-01T00:00:00Z",
            "--end",
            "2026-04-02T00:00:00Z");
    assertThat(run.awaitExit(Duration.ofSeconds(60)))
        .as(run.output())
        .isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(run.output())
        .contains(
            "the TLS handshake with ClickHouse at https://127.0.0.1:" + server.port() + " failed")
        .doesNotContain("attempt 2");
  }

  @Test
  @Timeout(120)
  void theJobClientSubmitsAndReadsAJobAndSaysWhenTheServerDoesNotAnswer(@TempDir Path dir)
      throws Exception {
    Path payload = dir.resolve("payload.json");
    Files.writeString(payload, job("12"));
    String url = "http://127.0.0.1:" + server.port() + "/";
    String[] submitted =
        jobCli("admin-token", "submit", "--payload", payload.toString(), "--server", url);
    assertThat(submitted[0]).as(submitted[1]).isEqualTo("0");
    java.util.regex.Matcher id =
        java.util.regex.Pattern.compile("\"id\": ?\"([^\"]+)\"").matcher(submitted[1]);
    assertThat(id.find()).as(submitted[1]).isTrue();
    String[] status = jobCli("viewer-token", "status", id.group(1), "--server", url);
    assertThat(status[0]).as(status[1]).isEqualTo("0");
    assertThat(status[1]).contains(id.group(1)).containsPattern("PENDING|RUNNING");
    String[] forbidden =
        jobCli("viewer-token", "submit", "--payload", payload.toString(), "--server", url);
    assertThat(forbidden[0]).as(forbidden[1]).isEqualTo(Integer.toString(ExitCodes.FAILED));

    int closed = freePort();
    String[] refused =
        jobCli("admin-token", "status", id.group(1), "--server", "http://127.0.0.1:" + closed);
    assertThat(refused[0]).as(refused[1]).isEqualTo(Integer.toString(ExitCodes.UNREACHABLE));
    assertThat(refused[1].strip())
        .isEqualTo(
            "reindex: the job handler at http://127.0.0.1:"
                + closed
                + " did not answer (is `reindex serve` running there? --server, REINDEX_SERVER)");
    String[] noToken = jobCli(null, "status", id.group(1), "--server", url);
    assertThat(noToken[0]).isEqualTo(Integer.toString(ExitCodes.USAGE));
    assertThat(noToken[1]).contains("REINDEX_TOKEN must hold your bearer token");
  }

  /** {@code reindex job ARGS} from the bundled jar with this token: exit code and output. */
  private static String[] jobCli(String token, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("java", "-jar", ReindexProcess.JAR.toString(), "job"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("REINDEX_"));
    if (token != null) {
      pb.environment().put("REINDEX_TOKEN", token);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    return new String[] {Integer.toString(p.exitValue()), out};
  }

  /** {@code reindex serve ARGS} from the bundled jar with this tokens file, output merged. */
  private static Process startServe(Path tokensFile, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("java", "-jar", ReindexProcess.JAR.toString(), "serve"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("REINDEX_"));
    pb.environment().put("REINDEX_TOKENS_FILE", tokensFile.toString());
    return pb.start();
  }

  /**
   * {@code reindex serve ARGS} from the bundled jar with this tokens file: exit code and output.
   */
  private static String[] serve(Path tokensFile, String... args) throws Exception {
    Process p = startServe(tokensFile, args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    return new String[] {Integer.toString(p.exitValue()), out};
  }

  /** What `serve` printed until it listened (or ended within a minute); then it is stopped. */
  private static String serveUntilListening(Path tokensFile, String... args) throws Exception {
    Process p = startServe(tokensFile, args);
    StringBuilder out = new StringBuilder();
    try (java.io.BufferedReader lines =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        out.append(line).append('\n');
        if (line.contains("reindex serve: listening on")) {
          break;
        }
      }
    } finally {
      p.destroy();
      assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
    return out.toString();
  }

  private static int freePort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  @Timeout(180)
  void beyondLoopbackWithoutTlsServeWarnsThatTokensCrossTheNetworkInClear() throws Exception {
    String wide =
        serveUntilListening(tokens, "--bind", "0.0.0.0", "--port", Integer.toString(freePort()));
    assertThat(wide)
        .contains("reindex serve: WARNING: listening on 0.0.0.0 without TLS")
        .contains("reindex serve: listening on http://0.0.0.0:");
    String loopback = serveUntilListening(tokens, "--port", Integer.toString(freePort()));
    assertThat(loopback).contains("reindex serve: listening on http://").doesNotContain("WARNING");
  }

  @Test
  @Timeout(120)
  void serveRefusesABusyPortAnUnknownAddressAndAMissingTokensFileInOneSentence(@TempDir Path dir)
      throws Exception {
    try (java.net.ServerSocket busy =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      String[] r = serve(tokens, "--port", Integer.toString(busy.getLocalPort()));
      assertThat(r[0]).as(r[1]).isEqualTo(Integer.toString(ExitCodes.USAGE));
      assertThat(r[1]).contains("cannot listen on 127.0.0.1:" + busy.getLocalPort());
    }
    String[] unknown = serve(tokens, "--bind", "no-such-host.invalid");
    assertThat(unknown[0]).as(unknown[1]).isEqualTo(Integer.toString(ExitCodes.USAGE));
    assertThat(unknown[1]).contains("--bind no-such-host.invalid, does not resolve");
    String[] missing = serve(dir.resolve("missing"));
    assertThat(missing[0]).as(missing[1]).isEqualTo(Integer.toString(ExitCodes.USAGE));
    assertThat(missing[1])
        .contains("the tokens file " + dir.resolve("missing") + " does not exist");
    for (String[] r : List.of(unknown, missing)) {
      assertThat(r[1].strip().lines().count()).as(r[1]).isLessThanOrEqualTo(2);
    }
  }
}
