package dev.scorecards.reindex.runners.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.scorecards.reindex.proto.Job;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;

/**
 * The job handler over HTTP: {@code POST /v1/jobs} takes a {@code Job} as proto JSON, {@code GET
 * /v1/jobs/{id}} returns its state. Callers authenticate with a bearer token; the caller and its
 * role come from the tokens file, never from the request body. Every refusal is a status with a
 * one-line reason: 401 without a valid token, 403 for a role that may not, 400 for an invalid
 * payload, 404 for an unknown job.
 */
public final class JobServer implements AutoCloseable {
  private static final int MAX_BODY = 1 << 20;
  private final HttpServer server;
  private final JobHandler handler;
  private final Tokens tokens;
  private final ObjectMapper json = new ObjectMapper();

  public JobServer(InetSocketAddress address, Tokens tokens, JobHandler handler)
      throws IOException {
    this.tokens = tokens;
    this.handler = handler;
    this.server = HttpServer.create(address, 0);
    server.createContext("/v1/jobs", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
  }

  public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    // Not try-with-resources: the exchange must stay open for the refusals answered in catch.
    try {
      String path = exchange.getRequestURI().getPath();
      Optional<Tokens.Caller> caller = tokens.authenticate(bearer(exchange));
      if (caller.isEmpty()) {
        respond(exchange, 401, Map.of("error", "missing or invalid bearer token"));
        return;
      }
      if (exchange.getRequestMethod().equals("POST") && path.equals("/v1/jobs")) {
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
        String id = handler.submit(caller.get(), job);
        respond(exchange, 202, state(handler.state(id).orElseThrow()));
      } else if (exchange.getRequestMethod().equals("GET") && path.startsWith("/v1/jobs/")) {
        String id = path.substring("/v1/jobs/".length());
        Optional<JobHandler.JobState> state = handler.state(id);
        if (state.isEmpty()) {
          respond(exchange, 404, Map.of("error", "no job with the id " + id));
        } else {
          respond(exchange, 200, state(state.get()));
        }
      } else {
        respond(
            exchange,
            404,
            Map.of("error", "no such endpoint: " + exchange.getRequestMethod() + " " + path));
      }
    } catch (JobHandler.Refused e) {
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
    Job.Builder builder = Job.newBuilder();
    JsonFormat.parser().merge(new String(bytes, StandardCharsets.UTF_8), builder);
    return builder.build();
  }

  private static Map<String, Object> state(JobHandler.JobState s) {
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
      out.put("reason", s.reason());
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
