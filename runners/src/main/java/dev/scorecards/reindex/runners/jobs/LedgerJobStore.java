package dev.scorecards.reindex.runners.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.run.RunLedger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job handler's jobs, kept beside the run ledger in the target ClickHouse database ({@value
 * #TABLE}: one row per change of a job's state, the latest wins), so that a restarted server still
 * answers for the jobs it took, and so does another server on the same target.
 */
public final class LedgerJobStore implements JobHandler.Store {
  public static final String TABLE = "reindex_jobs";

  private final RunLedger ledger;
  private final ObjectMapper json = new ObjectMapper();
  private volatile boolean ensured;
  private final java.util.concurrent.atomic.AtomicLong lastSaved =
      new java.util.concurrent.atomic.AtomicLong();

  public LedgerJobStore(RunLedger ledger) {
    this.ledger = ledger;
  }

  private ClickHouseClient client() {
    if (!ensured) {
      ledger.ensureTable(TABLE, "id String, saved_us Int64, state String", "(id, saved_us)");
      ensured = true;
    }
    return ledger.client();
  }

  @Override
  public void save(JobHandler.JobState s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.id());
    m.put("creator", s.creator());
    m.put("create_time", s.createTime().toString());
    m.put("status", s.status().name());
    m.put("done", s.done());
    m.put("total", s.total());
    if (s.counts() != null) {
      m.put(
          "counts",
          List.of(
              s.counts().scorecardsWritten(),
              s.counts().scoresWritten(),
              s.counts().scorecardRowsDeleted(),
              s.counts().scoreRowsDeleted()));
    }
    m.put("reason", s.reason());
    m.put("window", s.window());
    try {
      // Strictly increasing: the latest save of a job is the one with the greatest time.
      long now = Math.multiplyExact(Instant.now().toEpochMilli(), 1000L);
      long micros = lastSaved.updateAndGet(last -> Math.max(now, last + 1));
      client()
          .insertTsv(
              TABLE,
              ClickHouseClient.tsvField(s.id())
                  + "\t"
                  + micros
                  + "\t"
                  + ClickHouseClient.tsvField(json.writeValueAsString(m))
                  + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public List<JobHandler.JobState> load() {
    List<JobHandler.JobState> jobs = new ArrayList<>();
    ClickHouseClient c = client();
    for (List<String> row :
        c.rows(
            "SELECT argMax(state, saved_us) FROM "
                + c.settings().database()
                + "."
                + TABLE
                + " GROUP BY id")) {
      try {
        JsonNode m = json.readTree(row.get(0));
        JsonNode counts = m.get("counts");
        jobs.add(
            new JobHandler.JobState(
                m.get("id").asText(),
                m.get("creator").asText(),
                Instant.parse(m.get("create_time").asText()),
                JobHandler.Status.valueOf(m.get("status").asText()),
                m.get("done").asLong(),
                m.get("total").asLong(),
                counts == null
                    ? null
                    : new JobHandler.Counts(
                        counts.get(0).asLong(),
                        counts.get(1).asLong(),
                        counts.get(2).asLong(),
                        counts.get(3).asLong()),
                m.get("reason").isNull() ? null : m.get("reason").asText(),
                m.get("window").isNull() ? null : m.get("window").asText()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return jobs;
  }
}
