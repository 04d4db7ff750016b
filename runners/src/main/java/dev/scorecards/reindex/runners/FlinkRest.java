package dev.scorecards.reindex.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** What a run asks a Flink session cluster's REST API: its slots, its jobs, a cancellation. */
public final class FlinkRest {
  /** Flink job states after which nothing runs any more. */
  static final Set<String> ENDED = Set.of("FINISHED", "FAILED", "CANCELED", "SUSPENDED");

  private static final ObjectMapper JSON = new ObjectMapper();
  private final String base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** {@code master} as given to --flink-master: HOST:PORT, or a URL. */
  public FlinkRest(String master) {
    this.base = master.contains("://") ? master : "http://" + master;
  }

  public record Job(String id, String name, String state) {
    public boolean ended() {
      return ENDED.contains(state);
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return http.send(
        request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path)));
    if (r.statusCode() != 200) {
      throw new IOException("Flink answered " + r.statusCode() + " to GET " + path);
    }
    return JSON.readTree(r.body());
  }

  /** The cluster's task slots, free or not. */
  public int slots() throws IOException, InterruptedException {
    return get("/overview").path("slots-total").asInt(0);
  }

  /** The JobManager's class path, as its REST API lists it. */
  public List<String> jobManagerClassPath() throws IOException, InterruptedException {
    List<String> entries = new ArrayList<>();
    for (JsonNode e : get("/jobmanager/environment").path("classpath")) {
      entries.add(e.asText());
    }
    return entries;
  }

  /** Every job the cluster knows, running or ended. */
  public List<Job> jobs() throws IOException, InterruptedException {
    List<Job> jobs = new ArrayList<>();
    for (JsonNode j : get("/jobs/overview").path("jobs")) {
      jobs.add(new Job(j.path("jid").asText(), j.path("name").asText(), j.path("state").asText()));
    }
    return jobs;
  }

  /**
   * The records the job's operators have emitted so far: the sum of every operator's {@code
   * numRecordsOut}, as the JobManager last fetched them from the TaskManagers (every {@code
   * metrics.fetcher.update-interval}).
   */
  public long recordsOut(String jobId) throws IOException, InterruptedException {
    long total = 0;
    for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
      String metrics =
          "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/subtasks/metrics";
      List<String> ids = new ArrayList<>();
      for (JsonNode m : get(metrics)) {
        String id = m.path("id").asText();
        if (id.endsWith(".numRecordsOut")) {
          ids.add(id);
        }
      }
      if (ids.isEmpty()) {
        continue;
      }
      String query =
          "?agg=sum&get="
              + java.net.URLEncoder.encode(
                  String.join(",", ids), java.nio.charset.StandardCharsets.UTF_8);
      for (JsonNode m : get(metrics + query)) {
        total += (long) m.path("sum").asDouble(0);
      }
    }
    return total;
  }

  /** Asks the cluster to cancel a job (it ends CANCELED shortly after). */
  public void cancel(String jobId) throws IOException, InterruptedException {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()));
    if (r.statusCode() != 202 && r.statusCode() != 200) {
      throw new IOException("Flink answered " + r.statusCode() + " to cancelling job " + jobId);
    }
  }

  /** Cancels every job named {@code name} that has not ended; returns how many. */
  public int cancelNamed(String name) throws IOException, InterruptedException {
    int cancelled = 0;
    for (Job j : jobs()) {
      if (j.name().equals(name) && !j.ended()) {
        cancel(j.id());
        cancelled++;
      }
    }
    return cancelled;
  }
}
