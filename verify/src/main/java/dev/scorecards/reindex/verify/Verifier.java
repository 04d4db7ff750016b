package dev.scorecards.reindex.verify;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseReplicas;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.Flow;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.postgres.PostgresQueries;
import dev.scorecards.reindex.postgres.PostgresSettings;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * Proves that ClickHouse (read with FINAL) holds exactly what PostgreSQL maps to for the process
 * scorecards of a window, and finds every difference when it does not, without moving a clean
 * window's rows into the JVM.
 *
 * <p>Both databases compute, per bucket of scorecard ids (the id's last characters), the count and
 * the sum of 64-bit hashes of each row's canonical text ({@link CanonicalSql}). Buckets whose
 * checksums agree are done; the others are split into longer prefixes, the way data-diff bisects,
 * until a bucket holds at most {@link #LEAF_ROWS} rows, whose rows are then fetched from both sides
 * and compared column by column. All buckets of a level are checked with one query per table and
 * side, run in parallel.
 *
 * <p>Which ClickHouse rows are in the window: ClickHouse keeps whole seconds, so a row whose {@code
 * update_time} is a second wholly inside the window is in; a row in a second that the window cuts
 * (when a bound is not a whole second) is in only when PostgreSQL has that scorecard in the window,
 * because from the second alone nobody can tell.
 */
public final class Verifier {
  static final int LEAF_ROWS = 5_000;
  private static final int FIRST_PREFIX = 2;
  private static final int PREFIX_STEP = 2;
  private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

  private final PostgresSettings postgres;
  private final ClickHouseClient clickHouse;
  private final String database;

  public Verifier(PostgresSettings postgres, ClickHouseSettings clickHouse) {
    this.postgres = postgres;
    // FINAL must collapse versions before the window filter; moving the filter to PREWHERE
    // would let an old version inside the window through.
    this.clickHouse =
        new ClickHouseClient(clickHouse)
            .withSetting("optimize_move_to_prewhere", "0")
            // On a cluster a subquery over a Distributed table runs once, on the server asked,
            // and its result goes to every shard (GLOBAL IN); ClickHouse refuses it otherwise.
            .withSetting("distributed_product_mode", "global")
            .resolved();
    this.database = clickHouse.database();
  }

  /** One bucket's checksum: its row count and the sum of its row hashes modulo 2^64. */
  record Checksum(long count, long hash) {}

  /** Verifies the process scorecards of a window. */
  public VerificationReport verify(ReindexWindow window) throws SQLException, InterruptedException {
    return verify(window, Mode.process);
  }

  /** Verifies what a run of {@code mode} writes for a window: every flow, every table. */
  public VerificationReport verify(ReindexWindow window, Mode mode)
      throws SQLException, InterruptedException {
    long began = System.nanoTime();
    if (clickHouse.settings().clustered()) {
      // Compare what every replica holds, not what one has received so far.
      ClickHouseReplicas.awaitReplication(clickHouse, java.time.Duration.ofMinutes(10));
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      Map<String, Accumulator> found = new LinkedHashMap<>();
      for (Flow flow : List.of(Flow.CONVERSATION, Flow.PROCESS)) {
        if (!mode.flows().contains(flow)) {
          continue;
        }
        Scope scope = new Scope(flow, window);
        for (List<VerifiedTable> family : scope.families) {
          // Duplicates are the rows ClickHouse holds without FINAL beyond those FINAL keeps (the
          // checksums' counts).
          Map<VerifiedTable, Future<Long>> physicalRows = new LinkedHashMap<>();
          for (VerifiedTable t : family) {
            physicalRows.put(
                t,
                pool.submit(
                    () ->
                        clickHouse.count(
                            "SELECT count()"
                                + scope.clickHouseFrom(t).replaceFirst(" FINAL WHERE", " WHERE"))));
          }
          Map<VerifiedTable, Accumulator> familyFound = descend(pool, scope, family);
          for (var e : familyFound.entrySet()) {
            Accumulator a = e.getValue();
            a.duplicates = get(physicalRows.get(e.getKey())) - a.clickHouseRows;
            found.computeIfAbsent(e.getKey().name(), n -> new Accumulator()).add(a);
          }
        }
      }
      List<VerificationReport.TableReport> tables = new ArrayList<>();
      for (var e : found.entrySet()) {
        Accumulator a = e.getValue();
        tables.add(
            new VerificationReport.TableReport(
                e.getKey(),
                a.postgresRows,
                a.clickHouseRows,
                sorted(a.missing),
                sorted(a.extra),
                a.different.stream()
                    .sorted((x, y) -> x.key().toString().compareTo(y.key().toString()))
                    .toList(),
                a.duplicates,
                sorted(a.repeated)));
      }
      return new VerificationReport(mode.name(), window, tables, (System.nanoTime() - began) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Checksums, bisection and row comparison for tables bucketed by the same id. */
  private Map<VerifiedTable, Accumulator> descend(
      ExecutorService pool, Scope scope, List<VerifiedTable> family)
      throws SQLException, InterruptedException {
    Map<VerifiedTable, Accumulator> found = new LinkedHashMap<>();
    for (VerifiedTable t : family) {
      found.put(t, new Accumulator());
    }
    List<String> prefixes = List.of("");
    int length = FIRST_PREFIX;
    boolean top = true;
    while (!prefixes.isEmpty()) {
      Map<VerifiedTable, Map<String, Checksum>[]> level =
          checksums(pool, scope, family, prefixes, length);
      Set<String> dirty = new TreeSet<>();
      Map<String, Long> largest = new HashMap<>();
      for (var entry : level.entrySet()) {
        Map<String, Checksum> pg = entry.getValue()[0];
        Map<String, Checksum> ch = entry.getValue()[1];
        if (top) {
          found.get(entry.getKey()).postgresRows =
              pg.values().stream().mapToLong(Checksum::count).sum();
          found.get(entry.getKey()).clickHouseRows =
              ch.values().stream().mapToLong(Checksum::count).sum();
        }
        Set<String> buckets = new HashSet<>(pg.keySet());
        buckets.addAll(ch.keySet());
        for (String b : buckets) {
          Checksum p = pg.get(b);
          Checksum c = ch.get(b);
          if (!Objects.equals(p, c)) {
            dirty.add(b);
          }
          long rows = Math.max(p == null ? 0 : p.count(), c == null ? 0 : c.count());
          largest.merge(b, rows, Math::max);
        }
      }
      top = false;
      List<String> leaves = new ArrayList<>();
      List<String> deeper = new ArrayList<>();
      for (String b : dirty) {
        (largest.get(b) <= LEAF_ROWS || length >= 32 ? leaves : deeper).add(b);
      }
      if (!leaves.isEmpty()) {
        compareRows(scope, family, leaves, found);
      }
      prefixes = deeper;
      length += PREFIX_STEP;
    }
    return found;
  }

  private static List<List<String>> sorted(Collection<List<String>> keys) {
    return keys.stream().sorted((x, y) -> x.toString().compareTo(y.toString())).toList();
  }

  private static final class Accumulator {
    long postgresRows;
    long clickHouseRows;
    long duplicates;
    final List<List<String>> missing = new ArrayList<>();
    final List<List<String>> extra = new ArrayList<>();
    final List<VerificationReport.Difference> different = new ArrayList<>();
    final List<List<String>> repeated = new ArrayList<>();

    void add(Accumulator o) {
      repeated.addAll(o.repeated);
      postgresRows += o.postgresRows;
      clickHouseRows += o.clickHouseRows;
      duplicates += o.duplicates;
      missing.addAll(o.missing);
      extra.addAll(o.extra);
      different.addAll(o.different);
    }
  }

  // ---- which rows are in the window on each side ----

  /**
   * One flow's window: its tables, grouped by the id that buckets them, and the ClickHouse
   * conditions that select the same rows PostgreSQL has in the window.
   */
  final class Scope {
    final Flow flow;
    final ReindexWindow window;
    final List<List<VerifiedTable>> families;

    /** Which ClickHouse scorecards belong to the window. */
    final String clickHouseScorecards;

    /** Which ClickHouse conversations belong to the window (conversation flow). */
    final String clickHouseConversations;

    Scope(Flow flow, ReindexWindow window) throws SQLException {
      this.flow = flow;
      this.window = window;
      if (flow == Flow.PROCESS) {
        families = List.of(List.of(VerifiedTable.PROCESS_SCORECARDS, VerifiedTable.PROCESS_SCORES));
        clickHouseConversations = null;
        clickHouseScorecards =
            "is_process_scorecard = 1 AND ("
                + inWindow(
                    "scorecard_id",
                    edgeIds(
                        "SELECT s.scorecard_id"
                            + PostgresQueries.PROCESS_SCORECARDS_FROM
                            + " AND (s.updated_at < ? OR s.updated_at >= ?)"))
                + ")";
      } else {
        families =
            List.of(
                List.of(VerifiedTable.CONVERSATIONS),
                List.of(VerifiedTable.CONVERSATION_SCORECARDS, VerifiedTable.CONVERSATION_SCORES));
        clickHouseConversations =
            inWindow(
                "conversation_id",
                edgeIds(
                    "SELECT c.conversation_id"
                        + PostgresQueries.CONVERSATIONS_FROM
                        + " AND (c.updated_at < ? OR c.updated_at >= ?)"));
        clickHouseScorecards =
            "is_process_scorecard = 0 AND conversation_id IN (SELECT conversation_id FROM "
                + database
                + ".conversations FINAL WHERE "
                + clickHouseConversations
                + ")";
      }
    }

    /**
     * ClickHouse keeps whole seconds: a row whose {@code update_time} is a second wholly inside the
     * window is in; a row in a second that a non-whole bound cuts is in only when PostgreSQL has
     * that id in the window ({@code edgeIds}).
     */
    private String inWindow(String idColumn, List<String> edgeIds) {
      long floorStart = Math.floorDiv(window.startMicros(), 1_000_000L);
      long floorEnd = Math.floorDiv(window.endMicros(), 1_000_000L);
      long[] ceil = window.clickHouseSeconds();
      List<String> clauses = new ArrayList<>();
      if (ceil[0] < floorEnd) {
        clauses.add(
            "(update_time >= toDateTime("
                + ceil[0]
                + ") AND update_time < toDateTime("
                + floorEnd
                + "))");
      }
      Set<Long> cutSeconds = new TreeSet<>();
      if (floorStart < ceil[0]) {
        cutSeconds.add(floorStart);
      }
      if (floorEnd < ceil[1]) {
        cutSeconds.add(floorEnd);
      }
      if (!cutSeconds.isEmpty() && !edgeIds.isEmpty()) {
        clauses.add(
            "(toUInt32(update_time) IN ("
                + cutSeconds.stream().map(String::valueOf).collect(Collectors.joining(","))
                + ") AND "
                + idColumn
                + " IN ("
                + edgeIds.stream().map(ClickHouseClient::quote).collect(Collectors.joining(","))
                + "))");
      }
      return clauses.isEmpty() ? "0" : "(" + String.join(" OR ", clauses) + ")";
    }

    /**
     * The ids PostgreSQL has in the window in the seconds a non-whole bound cuts (usually none).
     */
    private List<String> edgeIds(String sql) throws SQLException {
      long[] ceil = window.clickHouseSeconds();
      long floorEndMicros = Math.floorDiv(window.endMicros(), 1_000_000L) * 1_000_000L;
      List<String> ids = new ArrayList<>();
      try (Connection c = postgres.connect();
          PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setObject(1, ReindexWindow.toOffsetDateTime(window.startMicros()));
        ps.setObject(2, ReindexWindow.toOffsetDateTime(window.endMicros()));
        ps.setObject(3, ReindexWindow.toOffsetDateTime(ceil[0] * 1_000_000L));
        ps.setObject(4, ReindexWindow.toOffsetDateTime(floorEndMicros));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
          }
        }
      }
      return ids;
    }

    /** The condition that puts a ClickHouse row of this table in the window. */
    String clickHouseCondition(VerifiedTable t) {
      switch (t.table()) {
        case CONVERSATIONS:
          return clickHouseConversations;
        case SCORECARDS:
          return clickHouseScorecards;
        default:
          return "scorecard_id IN (SELECT scorecard_id FROM "
              + database
              + ".scorecards FINAL WHERE "
              + clickHouseScorecards
              + ")";
      }
    }

    /** {@code FROM ... WHERE (...)} of a table's window rows in ClickHouse. */
    String clickHouseFrom(VerifiedTable t) {
      return " FROM " + database + "." + t.name() + " FINAL WHERE (" + clickHouseCondition(t) + ")";
    }

    /**
     * The same, widened by the ids PostgreSQL has (external table {@code pg}), for row comparison.
     */
    String clickHouseFromWithPostgresIds(VerifiedTable t) {
      return " FROM "
          + database
          + "."
          + t.name()
          + " FINAL WHERE ("
          + clickHouseCondition(t)
          + " OR "
          + t.bucketColumn()
          + " IN (SELECT id FROM pg))";
    }
  }

  // ---- checksums ----

  @SuppressWarnings("unchecked")
  private Map<VerifiedTable, Map<String, Checksum>[]> checksums(
      ExecutorService pool,
      Scope scope,
      List<VerifiedTable> family,
      List<String> prefixes,
      int length)
      throws InterruptedException, SQLException {
    Map<VerifiedTable, Future<Map<String, Checksum>>[]> futures = new LinkedHashMap<>();
    for (VerifiedTable t : family) {
      futures.put(
          t,
          new Future[] {
            pool.submit(
                () ->
                    timed(
                        "postgres " + scope.flow + " " + t.name() + " " + length,
                        () -> postgresChecksums(t, scope, prefixes, length))),
            pool.submit(
                () ->
                    timed(
                        "clickhouse " + scope.flow + " " + t.name() + " " + length,
                        () -> clickHouseChecksums(t, scope, prefixes, length)))
          });
    }
    Map<VerifiedTable, Map<String, Checksum>[]> result = new LinkedHashMap<>();
    for (var e : futures.entrySet()) {
      result.put(e.getKey(), new Map[] {get(e.getValue()[0]), get(e.getValue()[1])});
    }
    return result;
  }

  private static final boolean DEBUG = System.getenv("REINDEX_DEBUG") != null;

  /** Runs a step, printing its time to standard error when REINDEX_DEBUG is set. */
  private static <T> T timed(String what, java.util.concurrent.Callable<T> step) throws Exception {
    long began = System.nanoTime();
    T result = step.call();
    if (DEBUG) {
      System.err.printf("verify: %s took %.2f s%n", what, (System.nanoTime() - began) / 1e9);
    }
    return result;
  }

  private static <T> T get(Future<T> future) throws InterruptedException, SQLException {
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw sql;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private Map<String, Checksum> postgresChecksums(
      VerifiedTable t, Scope scope, List<String> prefixes, int length) throws SQLException {
    String id = t.postgresBucketId();
    String sql =
        "SELECT "
            + CanonicalSql.postgresBucket(id, length)
            + ", count(*), sum("
            + CanonicalSql.postgresRowHash(t.postgresCanonical())
            + ")::text"
            + t.postgresFrom()
            + postgresPrefixFilter(id, prefixes)
            + " GROUP BY 1";
    Map<String, Checksum> buckets = new HashMap<>();
    try (Connection c = postgres.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      bindWindowAndPrefixes(ps, scope.window, prefixes);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          buckets.put(
              rs.getString(1),
              new Checksum(
                  rs.getLong(2), new BigInteger(rs.getString(3)).mod(TWO_TO_64).longValue()));
        }
      }
    }
    return buckets;
  }

  private Map<String, Checksum> clickHouseChecksums(
      VerifiedTable t, Scope scope, List<String> prefixes, int length) {
    String sql =
        "SELECT "
            + CanonicalSql.clickHouseBucket(t.bucketColumn(), length)
            + " AS bucket, count(), sum("
            + CanonicalSql.clickHouseRowHash(t.clickHouseCanonical())
            + ")"
            + scope.clickHouseFrom(t)
            + clickHousePrefixFilter(t.bucketColumn(), prefixes)
            + " GROUP BY bucket";
    Map<String, Checksum> buckets = new HashMap<>();
    for (List<String> row : clickHouse.rows(sql)) {
      buckets.put(
          row.get(0),
          new Checksum(Long.parseLong(row.get(1)), new BigInteger(row.get(2)).longValue()));
    }
    return buckets;
  }

  private static String postgresPrefixFilter(String id, List<String> prefixes) {
    if (prefixes.size() == 1 && prefixes.get(0).isEmpty()) {
      return "";
    }
    return " AND " + CanonicalSql.postgresBucket(id, prefixes.get(0).length()) + " = ANY(?)";
  }

  private static String clickHousePrefixFilter(String bucketColumn, List<String> prefixes) {
    if (prefixes.size() == 1 && prefixes.get(0).isEmpty()) {
      return "";
    }
    return " AND "
        + CanonicalSql.clickHouseBucket(bucketColumn, prefixes.get(0).length())
        + " IN ("
        + prefixes.stream().map(ClickHouseClient::quote).collect(Collectors.joining(","))
        + ")";
  }

  private static void bindWindowAndPrefixes(
      PreparedStatement ps, ReindexWindow window, List<String> prefixes) throws SQLException {
    ps.setObject(1, ReindexWindow.toOffsetDateTime(window.startMicros()));
    ps.setObject(2, ReindexWindow.toOffsetDateTime(window.endMicros()));
    if (!(prefixes.size() == 1 && prefixes.get(0).isEmpty())) {
      ps.setArray(3, ps.getConnection().createArrayOf("text", prefixes.toArray(new String[0])));
    }
  }

  // ---- row comparison in the leaf buckets ----

  private void compareRows(
      Scope scope,
      List<VerifiedTable> family,
      List<String> leaves,
      Map<VerifiedTable, Accumulator> found)
      throws SQLException {
    Map<VerifiedTable, Map<List<String>, List<String>>> pgRows = new LinkedHashMap<>();
    for (VerifiedTable t : family) {
      pgRows.put(t, postgresRows(t, scope, leaves));
    }
    // The first table of a family is keyed by the family's bucketing id (conversations,
    // scorecards).
    StringBuilder pgIds = new StringBuilder();
    for (List<String> key : pgRows.get(family.get(0)).keySet()) {
      pgIds.append(ClickHouseClient.tsvField(key.get(0))).append('\n');
    }
    for (VerifiedTable t : family) {
      Map<List<String>, List<String>> pg = pgRows.get(t);
      Set<List<String>> inClickHouseWindow = new HashSet<>();
      Accumulator a = found.get(t);
      Map<List<String>, List<String>> ch =
          clickHouseRows(t, scope, leaves, pgIds, inClickHouseWindow, a.repeated);
      for (var e : pg.entrySet()) {
        List<String> other = ch.get(e.getKey());
        if (other == null) {
          a.missing.add(e.getKey());
        } else if (!other.equals(e.getValue())) {
          List<String> columns = new ArrayList<>();
          for (int i = 0; i < other.size(); i++) {
            if (!other.get(i).equals(e.getValue().get(i))) {
              columns.add(t.columnNames().get(i));
            }
          }
          a.different.add(new VerificationReport.Difference(e.getKey(), columns));
        }
      }
      for (List<String> key : ch.keySet()) {
        if (!pg.containsKey(key) && inClickHouseWindow.contains(key)) {
          a.extra.add(key);
        }
      }
    }
  }

  /** Key to canonical values, for the window's rows in the given buckets. */
  private Map<List<String>, List<String>> postgresRows(
      VerifiedTable t, Scope scope, List<String> leaves) throws SQLException {
    String sql =
        "SELECT "
            + String.join(", ", t.postgresKey())
            + ", "
            + String.join(", ", t.postgresCanonical())
            + t.postgresFrom()
            + postgresPrefixFilter(t.postgresBucketId(), leaves);
    Map<List<String>, List<String>> rows = new HashMap<>();
    try (Connection c = postgres.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      bindWindowAndPrefixes(ps, scope.window, leaves);
      try (ResultSet rs = ps.executeQuery()) {
        int keys = t.key().size();
        int columns = t.columnNames().size();
        while (rs.next()) {
          List<String> key = new ArrayList<>(keys);
          for (int i = 1; i <= keys; i++) {
            key.add(rs.getString(i));
          }
          List<String> values = new ArrayList<>(columns);
          for (int i = 1; i <= columns; i++) {
            values.add(rs.getString(keys + i));
          }
          rows.put(key, values);
        }
      }
    }
    return rows;
  }

  /**
   * Key to canonical values for ClickHouse rows in the given buckets; the keys of rows that belong
   * to the window by ClickHouse's own condition go into {@code inWindow} (only those can be extra).
   * Rows of scorecards PostgreSQL has are included whatever their update_time, so that a wrong
   * version is reported as different rather than as missing.
   */
  private Map<List<String>, List<String>> clickHouseRows(
      VerifiedTable t,
      Scope scope,
      List<String> leaves,
      CharSequence pgIds,
      Set<List<String>> inWindow,
      List<List<String>> repeated) {
    String sql =
        "SELECT "
            + String.join(", ", t.key())
            + ", "
            + String.join(", ", t.clickHouseCanonical())
            + ", if("
            + scope.clickHouseCondition(t)
            + ", '1', '0')"
            + scope.clickHouseFromWithPostgresIds(t)
            + clickHousePrefixFilter(t.bucketColumn(), leaves)
            + " FORMAT TabSeparated";
    String body = clickHouse.executeWithExternalTable(sql, "pg", "id String", pgIds);
    Map<List<String>, List<String>> rows = new HashMap<>();
    int keys = t.key().size();
    for (List<String> row : ClickHouseClient.parseTsv(body)) {
      List<String> key = new ArrayList<>(row.subList(0, keys));
      if (rows.put(key, new ArrayList<>(row.subList(keys, row.size() - 1))) != null) {
        repeated.add(key);
      }
      if (row.get(row.size() - 1).equals("1")) {
        inWindow.add(key);
      }
    }
    return rows;
  }
}
