package dev.scorecards.reindex.runners.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.proto.Job;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;

/**
 * The job handler over HTTP: {@code POST /v1/jobs} takes a {@code Job} as proto JSON, {@code GET
 * /v1/jobs/{id}} returns its state, {@code DELETE /v1/jobs/{id}} cancels it. Callers authenticate
 * with a bearer token; the caller and its role come from the tokens file, never from the request
 * body. Every refusal is a status with a one-line reason: 401 without a valid token (with {@code
 * WWW-Authenticate: Bearer}), 403 for a role that may not, 400 for an invalid payload, 404 for an
 * unknown job, 405 for a method the path does not take, 409 for a job that has ended, 429 when the
 * queue is full (with {@code Retry-After}). A failed job's reason is shown to the roles that may
 * create jobs only: it can carry database errors.
 */
public final class JobServer implements AutoCloseable {
  private static final int MAX_BODY = 1 << 20;

  /** Threads answering requests: a few slow clients must not hold all of them. */
  static final int THREADS = 16;

  static {
    // The JDK server reads a request on a worker thread and waits for it without limit: a client
    // that never finishes its headers would hold the thread for good. These make the server close
    // a connection whose request takes longer than 5 s, or whose response longer than 60 s; they
    // are read once, when the first server is made.
    System.setProperty("sun.net.httpserver.maxReqTime", "5");
    System.setProperty("sun.net.httpserver.maxRspTime", "60");
  }

  private final HttpServer server;
  private final JobHandler handler;
  private final Tokens tokens;
  private final ObjectMapper json = new ObjectMapper();

  public JobServer(InetSocketAddress address, Tokens tokens, JobHandler handler)
      throws IOException {
    this(address, tokens, handler, null);
  }

  /** With {@code tls}, the server speaks HTTPS only. */
  public JobServer(
      InetSocketAddress address, Tokens tokens, JobHandler handler, javax.net.ssl.SSLContext tls)
      throws IOException {
    this.tokens = tokens;
    this.handler = handler;
    if (tls == null) {
      this.server = HttpServer.create(address, 0);
    } else {
      com.sun.net.httpserver.HttpsServer https =
          com.sun.net.httpserver.HttpsServer.create(address, 0);
      https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
      this.server = https;
    }
    server.createContext("/v1/jobs", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(THREADS));
  }

  public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * The TLS context of a PKCS#12 file holding the server's certificate (chain) and private key, as
   * {@code openssl pkcs12 -export -in cert.pem -inkey key.pem -out server.p12} makes it from PEM
   * files. Every way the file can be unusable is one sentence.
   */
  public static javax.net.ssl.SSLContext tls(java.nio.file.Path pkcs12, char[] password) {
    try (InputStream in = java.nio.file.Files.newInputStream(pkcs12)) {
      java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
      store.load(in, password);
      javax.net.ssl.KeyManagerFactory keys =
          javax.net.ssl.KeyManagerFactory.getInstance(
              javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException("the TLS key store " + pkcs12 + " does not exist");
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "the TLS key store "
              + pkcs12
              + " cannot be read as PKCS#12 with the password of REINDEX_TLS_KEYSTORE_PASSWORD ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    // Not try-with-resources: the exchange must stay open for the refusals answered in catch.
    try {
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      Optional<Tokens.Caller> caller = tokens.authenticate(bearer(exchange));
      if (caller.isEmpty()) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"reindex\"");
        respond(exchange, 401, Map.of("error", "missing or invalid bearer token"));
        return;
      }
      boolean collection = path.equals("/v1/jobs");
      boolean one = path.startsWith("/v1/jobs/") && path.length() > "/v1/jobs/".length();
      if (collection && method.equals("POST")) {
        Job job;
        try {
          job = parseJob(exchange.getRequestBody());
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
          respond(
              exchange,
              400,
              Map.of("error", "the body is not a Job in proto JSON: " + firstLine(e.getMessage())));
          return;
        }
        // The creator is whoever authenticated, whatever the body says.
        job = job.toBuilder().setCreator(caller.get().name()).build();
        JobHandler.Submitted submitted = handler.submit(caller.get(), job);
        respond(
            exchange,
            submitted.existing() ? 200 : 202,
            state(handler.state(submitted.id()).orElseThrow(), caller.get()));
      } else if (one && (method.equals("GET") || method.equals("DELETE"))) {
        String id = path.substring("/v1/jobs/".length());
        if (method.equals("DELETE")) {
          respond(exchange, 200, state(handler.cancel(caller.get(), id), caller.get()));
          return;
        }
        Optional<JobHandler.JobState> state = handler.state(id);
        if (state.isEmpty()) {
          respond(
              exchange, 404, Map.of("error", "no job with the id " + JobHandler.abbreviate(id)));
        } else {
          respond(exchange, 200, state(state.get(), caller.get()));
        }
      } else if (collection || one) {
        exchange.getResponseHeaders().set("Allow", collection ? "POST" : "GET, DELETE");
        respond(
            exchange,
            405,
            Map.of(
                "error", method + " is not allowed on " + (collection ? path : "/v1/jobs/{id}")));
      } else {
        respond(exchange, 404, Map.of("error", "no such endpoint"));
      }
    } catch (JobHandler.Refused e) {
      if (e.status == 429) {
        exchange.getResponseHeaders().set("Retry-After", "60");
      }
      respond(exchange, e.status, Map.of("error", e.getMessage()));
    } catch (RuntimeException e) {
      respond(exchange, 500, Map.of("error", firstLine(String.valueOf(e.getMessage()))));
    } finally {
      exchange.close();
    }
  }

  private static String bearer(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return header.substring(7).strip();
  }

  private static Job parseJob(InputStream body) throws IOException {
    byte[] bytes = body.readNBytes(MAX_BODY + 1);
    if (bytes.length > MAX_BODY) {
      throw new IllegalArgumentException("larger than " + MAX_BODY + " bytes");
    }
    String json = new String(bytes, StandardCharsets.UTF_8);
    requireTimesAsTheCliReadsThem(json);
    Job.Builder builder = Job.newBuilder();
    JsonFormat.parser().merge(json, builder);
    return builder.build();
  }

  /**
   * The payload's times go through the CLI's parser too: protobuf's own accepts what the CLI
   * refuses (a leap second, an offset of +25:00, more than nine fractional digits), and a job must
   * mean the same window as the command line would.
   */
  static void requireTimesAsTheCliReadsThem(String json) throws IOException {
    com.fasterxml.jackson.databind.JsonNode root;
    try {
      root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("the body is not JSON");
    }
    if (root == null) {
      return;
    }
    com.fasterxml.jackson.databind.JsonNode payload = root.path("payload");
    for (com.fasterxml.jackson.databind.JsonNode p :
        List.of(
            payload.path("reindexProcessScorecards"), payload.path("reindex_process_scorecards"))) {
      for (String field : List.of("startTime", "start_time", "endTime", "end_time")) {
        com.fasterxml.jackson.databind.JsonNode t = p.path(field);
        if (t.isTextual()) {
          ReindexWindow.parseTime(field.startsWith("start") ? "start" : "end", t.asText());
        }
      }
    }
  }

  private static Map<String, Object> state(JobHandler.JobState s, Tokens.Caller caller) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", s.id());
    out.put("state", s.status().name());
    out.put("creator", s.creator());
    out.put("create_time", s.createTime().toString());
    out.put("progress", Map.of("done", s.done(), "total", s.total()));
    if (s.counts() != null) {
      out.put(
          "counts",
          Map.of(
              "scorecards_written",
              s.counts().scorecardsWritten(),
              "scores_written",
              s.counts().scoresWritten(),
              "scorecard_rows_deleted",
              s.counts().scorecardRowsDeleted(),
              "score_rows_deleted",
              s.counts().scoreRowsDeleted()));
    }
    if (s.reason() != null) {
      out.put(
          "reason",
          JobHandler.MAY_REINDEX.contains(caller.role())
              ? s.reason()
              : "(shown to ADMIN and SUPER_ADMIN only)");
    }
    return out;
  }

  private void respond(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  @Override
  public void close() {
    server.stop(0);
    handler.close();
  }
}
