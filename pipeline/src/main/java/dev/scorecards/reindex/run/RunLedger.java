package dev.scorecards.reindex.run;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.PerTable;
import dev.scorecards.reindex.model.ReindexWindow;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The durable record of runs and of the work they finished, in two small append-only tables of the
 * target ClickHouse database (outside the source database, and next to the data it describes):
 * {@code reindex_runs} (one row per state change of a run: its mode, window, chunk plan, attempt
 * and a message) and {@code reindex_run_chunks} (one row per chunk written, with its counts). A
 * run's state is its latest row. Nothing here holds a secret: messages pass through {@link
 * Failures#redact} with the passwords of both databases.
 *
 * <p>Values travel as TabSeparated bodies ({@link ClickHouseClient#insertTsv}); run ids are checked
 * against {@link #RUN_ID} before they are named in a query.
 */
public final class RunLedger {
  public static final String RUNS = "reindex_runs";
  public static final String CHUNKS = "reindex_run_chunks";
  public static final Pattern RUN_ID = Pattern.compile("[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}");
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  public enum State {
    RUNNING,
    RETRYING,
    FAILED,
    SUCCEEDED
  }

  /** A run as its latest record describes it. */
  public record Run(
      String runId,
      Mode mode,
      ReindexWindow window,
      boolean cleanUp,
      State state,
      int attempt,
      List<ReindexWindow.TimeRange> chunks,
      String message,
      Instant created,
      Instant updated) {
    public boolean finished() {
      return state == State.SUCCEEDED;
    }
  }

  /** A chunk a run has written, with its counts. */
  public record ChunkDone(
      int chunk, int attempt, PerTable written, long rowsDeleted, double seconds) {}

  /** The chunk table's count columns: one per target table, named as the table. */
  private static String writtenColumns(String suffix) {
    return java.util.Arrays.stream(ClickHouseTable.values())
        .map(t -> t.tableName() + suffix)
        .collect(java.util.stream.Collectors.joining(", "));
  }

  private final ClickHouseClient clickHouse;
  private final String[] secrets;

  /**
   * On a cluster the ledger's writes return once a replica holds them, and its reads and writes
   * prefer the replicas in the cluster's order, so a run reads back what it has just recorded.
   */
  public RunLedger(ClickHouseClient clickHouse, String... secrets) {
    ClickHouseClient resolved = clickHouse.resolved();
    this.clickHouse =
        resolved.settings().clustered()
            ? resolved
                .withSetting("insert_distributed_sync", "1")
                .withSetting("load_balancing", "in_order")
            : resolved;
    this.secrets = secrets.clone();
  }

  /**
   * Creates a ledger table: on one server a MergeTree; on a cluster a ReplicatedMergeTree on every
   * node ({@code <name><suffix>}, so it survives the loss of any one node) with a Distributed table
   * in front, sharded by the first column (the run's or the job's id).
   */
  public void ensureTable(String name, String columns, String orderBy) {
    ClickHouseSettings settings = clickHouse.settings();
    String db = settings.database();
    if (!settings.clustered()) {
      clickHouse.execute(
          "CREATE TABLE IF NOT EXISTS "
              + db
              + "."
              + name
              + " ("
              + columns
              + ") ENGINE = MergeTree ORDER BY "
              + orderBy);
      return;
    }
    String local = name + settings.topology().localSuffix();
    clickHouse.execute(
        "CREATE TABLE IF NOT EXISTS "
            + db
            + "."
            + local
            + settings.onCluster()
            + " ("
            + columns
            + ") ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/"
            + db
            + "/"
            + local
            + "', '{replica}') ORDER BY "
            + orderBy);
    clickHouse.execute(
        "CREATE TABLE IF NOT EXISTS "
            + db
            + "."
            + name
            + settings.onCluster()
            + " AS "
            + db
            + "."
            + local
            + " ENGINE = Distributed("
            + settings.topology().cluster()
            + ", "
            + db
            + ", "
            + local
            + ", sipHash64("
            + columns.strip().split("\\s+", 2)[0]
            + "))");
  }

  /** The client the ledger reads and writes with (on a cluster: synchronous, in replica order). */
  public ClickHouseClient client() {
    return clickHouse;
  }

  public void ensureTables() {
    ensureTable(
        RUNS,
        "run_id String, seq UInt64, event_time DateTime, mode String, window_start_us Int64, window_end_us Int64, "
            + "clean_up UInt8, state String, attempt UInt16, chunks String, message String, created DateTime",
        "(run_id, seq)");
    ensureTable(
        CHUNKS,
        "run_id String, chunk UInt32, chunk_start_us Int64, chunk_end_us Int64, attempt UInt16, done_time DateTime, "
            + writtenColumns(" UInt64")
            + ", rows_deleted UInt64, seconds Float64",
        "(run_id, chunk)");
  }

  public static String newRunId(Instant now) {
    return ID_TIME.format(now) + "-" + String.format("%06x", RANDOM.nextInt(1 << 24));
  }

  public static String requireRunId(String runId) {
    if (runId == null || !RUN_ID.matcher(runId).matches()) {
      throw new IllegalArgumentException(
          "the run id '" + runId + "' is not a run id such as 20261129T040000Z-1a2b3c");
    }
    return runId;
  }

  /** Records a new run and its chunk plan. */
  public Run create(
      Mode mode, ReindexWindow window, boolean cleanUp, List<ReindexWindow.TimeRange> chunks) {
    Instant now = Instant.now();
    Run run =
        new Run(
            newRunId(now),
            mode,
            window,
            cleanUp,
            State.RUNNING,
            0,
            List.copyOf(chunks),
            "created",
            now,
            now);
    append(run);
    return run;
  }

  /** Records a run's new state (and the attempt it is in). */
  public Run update(Run run, State state, int attempt, String message) {
    Run next =
        new Run(
            run.runId(),
            run.mode(),
            run.window(),
            run.cleanUp(),
            state,
            attempt,
            run.chunks(),
            Failures.redact(message, secrets),
            run.created(),
            Instant.now());
    append(next);
    return next;
  }

  private void append(Run run) {
    StringBuilder plan = new StringBuilder();
    for (ReindexWindow.TimeRange r : run.chunks()) {
      plan.append(plan.length() == 0 ? "" : ",")
          .append(r.startMicros())
          .append(':')
          .append(r.endMicros());
    }
    String row =
        String.join(
            "\t",
            run.runId(),
            Long.toString(System.currentTimeMillis() * 1_000_000L + System.nanoTime() % 1_000_000L),
            Long.toString(run.updated().getEpochSecond()),
            run.mode().name(),
            Long.toString(run.window().startMicros()),
            Long.toString(run.window().endMicros()),
            run.cleanUp() ? "1" : "0",
            run.state().name(),
            Integer.toString(run.attempt()),
            plan.toString(),
            ClickHouseClient.tsvField(run.message() == null ? "" : run.message()),
            Long.toString(run.created().getEpochSecond()));
    clickHouse.insertTsv(RUNS, row + "\n");
  }

  /** Records that a chunk of a run has been written and counted. */
  public void chunkDone(Run run, int chunk, ChunkDone done) {
    ReindexWindow.TimeRange range = run.chunks().get(chunk);
    String row =
        String.join(
            "\t",
            run.runId(),
            Integer.toString(chunk),
            Long.toString(range.startMicros()),
            Long.toString(range.endMicros()),
            Integer.toString(done.attempt()),
            Long.toString(Instant.now().getEpochSecond()),
            java.util.Arrays.stream(ClickHouseTable.values())
                .map(t -> Long.toString(done.written().get(t)))
                .collect(java.util.stream.Collectors.joining("\t")),
            Long.toString(done.rowsDeleted()),
            Double.toString(done.seconds()));
    clickHouse.insertTsv(CHUNKS, row + "\n");
  }

  /**
   * The chunks a run has finished, by chunk number (a chunk written twice counts once, its first
   * record).
   */
  public Map<Integer, ChunkDone> chunksDone(String runId) {
    Map<Integer, ChunkDone> done = new HashMap<>();
    for (List<String> r :
        clickHouse.rows(
            "SELECT chunk, attempt, "
                + writtenColumns("")
                + ", rows_deleted, seconds FROM "
                + clickHouse.settings().database()
                + "."
                + CHUNKS
                + " WHERE run_id = "
                + ClickHouseClient.quote(requireRunId(runId))
                + " ORDER BY done_time")) {
      int tables = ClickHouseTable.values().length;
      done.putIfAbsent(
          Integer.parseInt(r.get(0)),
          new ChunkDone(
              Integer.parseInt(r.get(0)),
              Integer.parseInt(r.get(1)),
              PerTable.of(t -> Long.parseLong(r.get(2 + t.ordinal()))),
              Long.parseLong(r.get(2 + tables)),
              Double.parseDouble(r.get(3 + tables))));
    }
    return done;
  }

  public Optional<Run> find(String runId) {
    List<Run> runs = query("WHERE run_id = " + ClickHouseClient.quote(requireRunId(runId)), 1);
    return runs.isEmpty() ? Optional.empty() : Optional.of(runs.get(0));
  }

  /** The latest run of this mode and window that has not succeeded, if any: the one to resume. */
  public Optional<Run> unfinished(Mode mode, ReindexWindow window) {
    return query(
            "WHERE mode = "
                + ClickHouseClient.quote(mode.name())
                + " AND window_start_us = "
                + window.startMicros()
                + " AND window_end_us = "
                + window.endMicros(),
            1000)
        .stream()
        .filter(r -> !r.finished())
        .findFirst();
  }

  /** The latest runs, newest first. */
  public List<Run> recent(int limit) {
    return query("", limit);
  }

  private List<Run> query(String where, int limit) {
    String db = clickHouse.settings().database();
    List<Run> runs = new ArrayList<>();
    for (List<String> r :
        clickHouse.rows(
            "SELECT run_id, any(mode), any(window_start_us), any(window_end_us), any(clean_up), "
                + "argMax(state, seq), argMax(attempt, seq), any(chunks), argMax(message, seq), toUInt32(min(created)), toUInt32(max(event_time)) "
                + "FROM "
                + db
                + "."
                + RUNS
                + " "
                + where
                + " GROUP BY run_id ORDER BY min(created) DESC, run_id DESC LIMIT "
                + limit)) {
      List<ReindexWindow.TimeRange> chunks = new ArrayList<>();
      for (String part : r.get(7).isEmpty() ? new String[0] : r.get(7).split(",")) {
        String[] se = part.split(":");
        chunks.add(new ReindexWindow.TimeRange(Long.parseLong(se[0]), Long.parseLong(se[1])));
      }
      runs.add(
          new Run(
              r.get(0),
              Mode.valueOf(r.get(1)),
              ReindexWindow.of(
                  ReindexWindow.fromMicros(Long.parseLong(r.get(2))),
                  ReindexWindow.fromMicros(Long.parseLong(r.get(3)))),
              r.get(4).equals("1"),
              State.valueOf(r.get(5)),
              Integer.parseInt(r.get(6)),
              chunks,
              r.get(8),
              epochSeconds(r.get(9)),
              epochSeconds(r.get(10))));
    }
    return runs;
  }

  private static Instant epochSeconds(String seconds) {
    return Instant.ofEpochSecond(Long.parseLong(seconds));
  }
}
