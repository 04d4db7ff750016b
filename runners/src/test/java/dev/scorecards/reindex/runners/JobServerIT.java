package dev.scorecards.reindex.runners;

import static dev.scorecards.reindex.runners.ProcessReindexIT.INSIDE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scorecards.reindex.runners.jobs.JobHandler;
import dev.scorecards.reindex.runners.jobs.JobServer;
import dev.scorecards.reindex.runners.jobs.PipelineLauncher;
import dev.scorecards.reindex.runners.jobs.Tokens;
import dev.scorecards.reindex.testing.TestDatabases;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The job handler over real HTTP on loopback, launching the real pipeline against the real
 * databases.
 */
class JobServerIT {
  private static final String VALID =
      """
      {"type": "JOB_TYPE_REINDEX_PROCESS_SCORECARDS", "creator": "mallory",
       "payload": {"reindexProcessScorecards": {"startTime": "2026-04-01T00:00:00Z", "endTime": "2026-04-02T00:00:00Z",
                   "cleanUpBeforeWrite": true, "reindexBatchSize": 2}}}""";

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final AtomicInteger launches = new AtomicInteger();
  private JobServer server;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    TestDatabases.template("tpl-process", 1, 2);
    for (int i = 0; i < 5; i++) {
      TestDatabases.scorecard("job-sc-" + i, "tpl-process", 1, null, INSIDE.plusSeconds(i));
      TestDatabases.score("job-sc-" + i, "c1", 1.5, "ok", INSIDE);
    }
    Path tokens = dir.resolve("tokens");
    Files.writeString(
        tokens,
        String.join(
            "\n",
            "# sha256(token) caller role",
            Tokens.sha256("admin-token") + " alice ADMIN",
            Tokens.sha256("super-token") + " root SUPER_ADMIN",
            Tokens.sha256("viewer-token") + " bob VIEWER",
            Tokens.sha256("editor-token") + " carol EDITOR",
            ""));
    PipelineLauncher real =
        new PipelineLauncher(TestDatabases.postgres(), TestDatabases.clickHouse());
    JobHandler handler =
        new JobHandler(
            (input, progress) -> {
              launches.incrementAndGet();
              return real.launch(input, progress);
            },
            Map.of(),
            Instant::now);
    server = new JobServer(new InetSocketAddress("127.0.0.1", 0), Tokens.load(tokens), handler);
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> post(String token, String body) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/jobs"))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String token, String id) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/jobs/" + id))
            .GET();
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode awaitEnd(String token, String id) throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < deadline) {
      JsonNode state = json.readTree(get(token, id).body());
      if (state.get("state").asText().equals("SUCCEEDED")
          || state.get("state").asText().equals("FAILED")) {
        return state;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("job " + id + " did not end");
  }

  @Test
  void anAdminLaunchesTheReindexAndTheStateEndsWithTheWrittenCounts() throws Exception {
    HttpResponse<String> created = post("admin-token", VALID);
    assertThat(created.statusCode()).isEqualTo(202);
    JsonNode body = json.readTree(created.body());
    String id = body.get("id").asText();
    assertThat(body.get("state").asText()).isIn("PENDING", "RUNNING");
    assertThat(body.get("creator").asText())
        .as("the creator comes from the token, not the body")
        .isEqualTo("alice");

    JsonNode end = awaitEnd("viewer-token", id);
    assertThat(end.get("state").asText()).as(end.toString()).isEqualTo("SUCCEEDED");
    assertThat(end.at("/counts/scorecards_written").asLong()).isEqualTo(5);
    assertThat(end.at("/counts/scores_written").asLong()).isEqualTo(5);
    assertThat(end.at("/progress/total").asLong()).isEqualTo(5);
    assertThat(TestDatabases.clickHouseRowCount("scorecards")).isEqualTo(5);
    assertThat(launches).hasValue(1);
  }

  @Test
  void aJobThatFailsEndsFailedWithItsReason(@TempDir Path dir) throws Exception {
    server.close();
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, Tokens.sha256("admin-token") + " alice ADMIN\n");
    PipelineLauncher unreachable =
        new PipelineLauncher(
            TestDatabases.postgres(),
            new dev.scorecards.reindex.clickhouse.ClickHouseSettings(
                "http://127.0.0.1:9", TestDatabases.DATABASE, "default", null));
    // One attempt, from the handler's environment: an unreachable ClickHouse is transient and would
    // be retried for a minute.
    server =
        new JobServer(
            new InetSocketAddress("127.0.0.1", 0),
            Tokens.load(tokens),
            new JobHandler(
                unreachable, Map.of("REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS", "1"), Instant::now));
    server.start();

    String id = json.readTree(post("admin-token", VALID).body()).get("id").asText();
    JsonNode end = awaitEnd("admin-token", id);
    assertThat(end.get("state").asText()).isEqualTo("FAILED");
    assertThat(end.get("reason").asText())
        .isEqualTo(
            "gave up after 1 attempt: could not reach ClickHouse at http://127.0.0.1:9: ConnectException");
    assertThat(end.has("counts")).isFalse();
  }

  @Test
  void aSuperAdminMayToo() throws Exception {
    HttpResponse<String> created =
        post("super-token", VALID.replace("\"reindexBatchSize\": 2", "\"reindexBatchSize\": 50"));
    assertThat(created.statusCode()).isEqualTo(202);
    assertThat(
            awaitEnd("super-token", json.readTree(created.body()).get("id").asText())
                .get("state")
                .asText())
        .isEqualTo("SUCCEEDED");
  }

  @ParameterizedTest
  @CsvSource({"viewer-token, VIEWER", "editor-token, EDITOR"})
  void everyOtherRoleIsRefusedBeforeAnythingHappens(String token, String role) throws Exception {
    HttpResponse<String> r = post(token, VALID);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(json.readTree(r.body()).get("error").asText())
        .isEqualTo(
            "the role "
                + role
                + " may not create JOB_TYPE_REINDEX_PROCESS_SCORECARDS jobs; only ADMIN and SUPER_ADMIN may");
    assertThat(launches).hasValue(0);
  }

  @Test
  void missingAndWrongTokensAre401() throws Exception {
    assertThat(post(null, VALID).statusCode()).isEqualTo(401);
    assertThat(post("not-a-token", VALID).statusCode()).isEqualTo(401);
    assertThat(json.readTree(post("", VALID).body()).get("error").asText())
        .isEqualTo("missing or invalid bearer token");
    assertThat(get(null, "anything").statusCode()).isEqualTo(401);
    assertThat(get("admin-token", "no-such-job").statusCode()).isEqualTo(404);
    assertThat(launches).hasValue(0);
    assertThat(TestDatabases.clickHouseRowCount("scorecards")).isZero();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\"}|the job has no reindex_process_scorecards payload",
        "{\"type\": \"JOB_TYPE_UNSPECIFIED\", \"payload\": {\"reindexProcessScorecards\": {}}}|is not one this handler runs",
        "{\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\", \"payload\": {\"reindexProcessScorecards\": {\"startTime\": \"2026-04-02T00:00:00Z\", \"endTime\": \"2026-04-01T00:00:00Z\"}}}|the window is empty",
        "{\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\", \"payload\": {\"reindexProcessScorecards\": {\"startTime\": \"2026-04-01T00:00:00Z\", \"endTime\": \"2099-01-01T00:00:00Z\"}}}|more than a minute in the future",
        "{\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\", \"payload\": {\"reindexProcessScorecards\": {\"startTime\": \"2026-04-01T00:00:00Z\", \"endTime\": \"2026-04-02T00:00:00Z\", \"reindexBatchSize\": -1}}}|the batch size must be between 1 and 10000",
        "{\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\", \"payload\": {\"reindexProcessScorecards\": {\"startTime\": \"2026-04-01T00:00:00Z\", \"endTime\": \"2026-04-02T00:00:00Z\", \"reindexBatchSize\": 10001}}}|the batch size must be between 1 and 10000",
        "{\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\", \"payload\": {\"reindexProcessScorecards\": {\"startTime\": \"yesterday\"}}}|the body is not a Job in proto JSON",
        "{\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\", \"role\": \"SUPER_ADMIN\"}|the body is not a Job in proto JSON",
        "not json at all|the body is not a Job in proto JSON",
        "{\"id\": \"bad id with spaces\", \"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\", \"payload\": {\"reindexProcessScorecards\": {\"startTime\": \"2026-04-01T00:00:00Z\", \"endTime\": \"2026-04-02T00:00:00Z\"}}}|is not 1 to 100 letters",
      })
  void invalidPayloadsAre400AndLaunchNothing(String body, String reason) throws Exception {
    HttpResponse<String> r = post("admin-token", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(json.readTree(r.body()).get("error").asText()).contains(reason);
    assertThat(launches).hasValue(0);
  }
}
