package dev.scorecards.reindex.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.postgres.PostgresSettings;
import dev.scorecards.reindex.run.RunLedger;
import dev.scorecards.reindex.runners.CliSettings;
import dev.scorecards.reindex.runners.ExitCodes;
import dev.scorecards.reindex.runners.Launch;
import dev.scorecards.reindex.runners.RunnerOptions;
import dev.scorecards.reindex.runners.Setting;
import dev.scorecards.reindex.testing.ContractDatabases;
import dev.scorecards.reindex.testing.Seeder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reindex bench}: seeds its own databases, then on exactly that data and window runs and
 * times, one after another, B0 (PostgreSQL COPY piped into clickhouse-client, the practical
 * ceiling), B1 (the original job's loop) and the pipeline on the DirectRunner and on embedded
 * Flink, each in a process of its own under /usr/bin/time, emptying ClickHouse between contenders.
 * INSERTs are counted from ClickHouse's query_log, PostgreSQL queries from pg_stat_statements.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark the pipeline against B0 (COPY | clickhouse-client) and B1 (the original loop).")
public class BenchCommand implements Callable<Integer> {
  static final String DB = "reindex_bench";
  static final ReindexWindow WINDOW =
      ReindexWindow.parse("2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z");

  @Option(names = "--scorecards", defaultValue = "200000")
  long scorecards;

  @Option(names = "--scores-per-scorecard", defaultValue = "10")
  int scoresPerScorecard;

  @Option(
      names = "--runs",
      defaultValue = "1",
      description = "runs per contender; the best wall time counts")
  int runs;

  @Option(names = "--contenders", defaultValue = "b0,b1,direct,flink", split = ",")
  List<String> contenders;

  @Option(names = "--json", description = "save the results as one JSON object")
  Path json;

  @Option(
      names = "--scaling",
      split = ",",
      paramLabel = "N",
      description =
          "instead: the scaling run, seeding each of these numbers of scorecards in turn (e.g. 100000,300000,1000000) "
              + "and timing the pipeline contenders (direct, flink) on each")
  List<Long> scaling;

  @Option(names = "--pg-host", defaultValue = "127.0.0.1:55432")
  String pgHost;

  @Option(names = "--ch-url", defaultValue = "http://127.0.0.1:18123")
  String chUrl;

  @Option(
      names = "--cluster-url",
      defaultValue = "http://127.0.0.1:28121",
      description =
          "a node of the local ClickHouse cluster (./reindex services start --cluster), for the"
              + " direct-cluster and flink-cluster contenders")
  String clusterUrl;

  @Option(
      names = "--flink-master",
      defaultValue = "127.0.0.1:18081",
      description =
          "the Flink session cluster's REST endpoint (./reindex flink start), for the flink-session"
              + " contender")
  String flinkMaster;

  @Option(names = "--ch-native-port", defaultValue = "19000")
  int chNativePort;

  private ContractDatabases databases() {
    return new ContractDatabases(pgHost, chUrl, DB);
  }

  private PostgresSettings postgres() {
    return databases().postgres();
  }

  private PostgresSettings admin() {
    return databases().postgresAdmin();
  }

  private ClickHouseClient ch() {
    return databases().clickHouse();
  }

  @Override
  public Integer call() throws Exception {
    prepare();
    if (scaling != null && !scaling.isEmpty()) {
      return scalingRun();
    }
    seed(scorecards);
    Map<String, Map<String, Object>> results = new LinkedHashMap<>();
    for (String contender : contenders) {
      Map<String, Object> best = null;
      for (int i = 0; i < runs; i++) {
        Map<String, Object> m = measure(contender, command(contender));
        if (best == null || (double) m.get("wall_s") < (double) best.get("wall_s")) {
          best = m;
        }
      }
      results.put(contender, best);
      System.out.println("bench: " + contender + " " + best);
    }
    if (contenders.contains("direct")) {
      // Verification of the clean window the direct run left, timed on its own.
      freshDataTables();
      run(command("direct"));
      results.put(
          "verify",
          measure(
              "verify",
              javaCommand(
                  List.of(
                      "verify",
                      "--mode",
                      "process",
                      "--start",
                      WINDOW.start().toString(),
                      "--end",
                      WINDOW.end().toString()),
                  Jvm.VERIFY)));
    }
    print(results);
    dropClickHouseData();
    writeJson(results);
    return ExitCodes.OK;
  }

  /**
   * Time and peak memory of the pipeline as the data grows: the data must stream, not sit in
   * memory.
   */
  private int scalingRun() throws Exception {
    List<String> pipelines =
        contenders.stream()
            .filter(c -> c.equals("direct") || c.equals("flink") || c.equals("flink-session"))
            .toList();
    Map<String, Map<String, Object>> results = new LinkedHashMap<>();
    for (long n : scaling) {
      seed(n);
      for (String contender : pipelines) {
        Map<String, Object> m = measure(contender, command(contender));
        results.put(contender + "_" + n, m);
        System.out.println("bench: " + contender + " at " + n + " " + m);
      }
    }
    System.out.printf("%nbench: scaling, %d cores%n", Runtime.getRuntime().availableProcessors());
    System.out.printf(
        "%-8s %12s %14s %8s %10s %14s %9s%n",
        "", "scorecards", "score rows/s", "wall s", "peak MB", "peak vs first", "inserts");
    for (String contender : pipelines) {
      Long firstPeak = null;
      for (long n : scaling) {
        Map<String, Object> m = results.get(contender + "_" + n);
        long peak = (long) m.get("peak_rss_mb");
        firstPeak = firstPeak == null ? peak : firstPeak;
        System.out.printf(
            "%-8s %,12d %,14d %8.1f %,10d %13.0f%% %,9d%n",
            contender,
            n,
            m.get("score_rows_per_s"),
            m.get("wall_s"),
            peak,
            100.0 * (peak - firstPeak) / firstPeak,
            m.get("inserts"));
      }
    }
    dropClickHouseData();
    writeJson(results);
    return ExitCodes.OK;
  }

  /**
   * Seeds {@code n} process scorecards into the bench's PostgreSQL database, replacing what was
   * there.
   */
  private void seed(long n) throws Exception {
    try (Connection c = postgres().connect()) {
      Seeder.Result r = Seeder.seed(c, new Seeder.Spec(n, scoresPerScorecard, WINDOW, 7), true);
      System.out.printf(
          "bench: seeded %,d process scorecards and %,d scores in %.1f s%n",
          r.processScorecards(), r.scores(), r.seconds());
    }
  }

  private void writeJson(Map<String, Map<String, Object>> results) throws Exception {
    if (json != null) {
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(json.toFile(), results);
    }
  }

  /**
   * Drops the bench's ClickHouse tables when it is done (the next bench creates them again): a big
   * leftover makes every later ClickHouse start load its parts (a minute after a scaling run).
   */
  private void dropClickHouseData() {
    for (String t :
        List.of("conversations", "scorecards", "scores", RunLedger.RUNS, RunLedger.CHUNKS)) {
      ch().execute("DROP TABLE IF EXISTS " + DB + "." + t);
    }
  }

  private void prepare() throws Exception {
    databases().create();
    try (Connection c = admin().connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    }
  }

  /**
   * Empties the data tables for the next contender by dropping and creating them, not by TRUNCATE:
   * ClickHouse keeps every truncated or merged-away part, on disk and in the table's set of parts,
   * for {@code old_parts_lifetime} (8 minutes), and B1's 16,000 INSERTs leave about 20,000 of them,
   * which slow every later contender. A DROP removes them before the next contender starts (after
   * B1: about a minute, untimed).
   */
  private void freshDataTables() throws Exception {
    for (String t : List.of("conversations", "scorecards", "scores")) {
      ch().execute("DROP TABLE IF EXISTS " + DB + "." + t);
    }
    databases().createClickHouseTables();
  }

  /** A contender that writes to the local cluster instead of the single node. */
  private static boolean onCluster(String contender) {
    return contender.endsWith("-cluster");
  }

  private ContractDatabases clusterDatabases() {
    return new ContractDatabases(pgHost, clusterUrl, DB);
  }

  /** The ClickHouse a contender writes to, its tables (and run ledger) empty. */
  private ClickHouseClient freshTarget(String contender) throws Exception {
    if (onCluster(contender)) {
      clusterDatabases().createClusterTables("reindex_cluster");
      return clusterDatabases().clickHouse();
    }
    freshDataTables();
    for (String t : List.of(RunLedger.RUNS, RunLedger.CHUNKS)) {
      ch().execute("DROP TABLE IF EXISTS " + DB + "." + t);
    }
    return ch();
  }

  private List<String> command(String contender) {
    String start = WINDOW.start().toString();
    String end = WINDOW.end().toString();
    switch (contender) {
      case "b0":
        {
          String pg =
              "psql -h "
                  + pgHost.split(":")[0]
                  + " -p "
                  + pgHost.split(":")[1]
                  + " -U reindex -d "
                  + DB
                  + " -qAt -c ";
          String t = "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')";
          String window =
              " r.type = 2 AND s.updated_at >= '" + start + "' AND s.updated_at < '" + end + "'";
          String from =
              " FROM director.scorecards s JOIN director.scorecard_template_revisions r ON r.template_id = s.template_id AND r.revision = s.template_revision";
          String scorecardsSql =
              "COPY (SELECT s.customer_id, s.profile_id, s.scorecard_id, s.template_id, s.template_revision, 1,"
                  + " coalesce(s.conversation_id, ''), coalesce(s.agent_user_id, ''), s.creator_user_id, coalesce(s.submitter_user_id, ''), s.score, "
                  + String.format(t, "s.submitted_at")
                  + ", "
                  + String.format(t, "s.created_at")
                  + ", "
                  + String.format(t, "s.updated_at")
                  + from
                  + " WHERE"
                  + window
                  + ") TO STDOUT";
          String scoresSql =
              "COPY (SELECT s.customer_id, s.profile_id, h.scorecard_id, h.criterion_id, 1, coalesce(s.conversation_id, ''),"
                  + " h.numeric_value, h.not_applicable::int, h.ai_scored::int, coalesce(h.comment, ''), "
                  + String.format(t, "s.created_at")
                  + ", "
                  + String.format(t, "h.updated_at")
                  + " FROM director.historic_scorecard_scores h JOIN director.scorecards s ON s.scorecard_id = h.scorecard_id"
                  + " JOIN director.scorecard_template_revisions r ON r.template_id = s.template_id AND r.revision = s.template_revision WHERE"
                  + window
                  + ") TO STDOUT";
          String client = "clickhouse-client --port " + chNativePort + " --query ";
          return List.of(
              "bash",
              "-o",
              "pipefail",
              "-c",
              pg
                  + quote(scorecardsSql)
                  + " | "
                  + client
                  + quote("INSERT INTO " + DB + ".scorecards FORMAT TabSeparated")
                  + " && "
                  + pg
                  + quote(scoresSql)
                  + " | "
                  + client
                  + quote("INSERT INTO " + DB + ".scores FORMAT TabSeparated"));
        }
      case "b1":
        return javaCommand(List.of("bench-loop", "--start", start, "--end", end), Jvm.OTHER);
      case "direct-cluster":
      case "flink-cluster":
        {
          List<String> cmd = new ArrayList<>(command(contender.replace("-cluster", "")));
          cmd.set(cmd.indexOf(chUrl), clusterUrl);
          return cmd;
        }
      case "flink-session":
        {
          // Submitted to the session cluster at --flink-master, with its slots as parallelism.
          List<String> cmd = new ArrayList<>(command("flink"));
          int p = cmd.indexOf("--parallelism");
          cmd.remove(p + 1);
          cmd.set(p, "--flink-master");
          cmd.add(p + 1, flinkMaster);
          return cmd;
        }
      case "direct":
        return javaCommand(
            List.of("run", "--mode", "process", "--no-verify", "--start", start, "--end", end),
            Jvm.DIRECT);
      case "flink":
        return javaCommand(
            List.of(
                "run",
                "--mode",
                "process",
                "--no-verify",
                "--runner",
                "FlinkRunner",
                "--parallelism",
                "2",
                "--start",
                start,
                "--end",
                end),
            Jvm.OTHER);
      default:
        throw new IllegalArgumentException(
            "unknown contender '"
                + contender
                + "' (b0, b1, direct, flink, flink-session, direct-cluster, flink-cluster)");
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Which of ./reindex's sets of JVM options a contender runs with. */
  private enum Jvm {
    /** A run on the DirectRunner (its heap holds a chunk's rows). */
    DIRECT("REINDEX_BENCH_DIRECT_JAVA_OPTS"),
    /** Any other JVM: embedded Flink, B1's loop. */
    OTHER("REINDEX_BENCH_JAVA_OPTS"),
    VERIFY("REINDEX_BENCH_VERIFY_JAVA_OPTS");

    final String variable;

    Jvm(String variable) {
      this.variable = variable;
    }
  }

  /**
   * A contender's command line, with the JVM options ./reindex would run it with (heap, JIT,
   * class-data archive), which ./reindex bench passes in: the bench times what users run.
   */
  private List<String> javaCommand(List<String> args, Jvm jvm) {
    String variable = jvm.variable;
    String opts = System.getenv(variable);
    if (opts == null) {
      throw new IllegalStateException(
          variable + " is not set: run the benchmark with ./reindex bench");
    }
    List<String> cmd = new ArrayList<>(List.of("java"));
    cmd.addAll(
        java.util.Arrays.stream(opts.trim().split("\\s+")).filter(o -> !o.isEmpty()).toList());
    if (args.get(0).equals("bench-loop")) {
      // B1 is a developer tool: it runs from this module's jar, beside the bundled one.
      cmd.addAll(List.of("-cp", ToolsCli.classPath(), ToolsCli.class.getName()));
    } else {
      cmd.addAll(List.of("-jar", RunnerOptions.bundledJar()));
    }
    cmd.addAll(args);
    cmd.addAll(List.of("--pg-url", postgres().jdbcUrl(), "--ch-url", chUrl, "--ch-database", DB));
    return cmd;
  }

  private Map<String, Object> measure(String name, List<String> command) throws Exception {
    // Every contender does the whole window in empty tables: no run may resume an earlier one's
    // chunks. The verification checks what the direct run before it left.
    ClickHouseClient target;
    if (name.equals("verify")) {
      for (String t : List.of(RunLedger.RUNS, RunLedger.CHUNKS)) {
        ch().execute("DROP TABLE IF EXISTS " + DB + "." + t);
      }
      target = ch();
    } else {
      target = freshTarget(name);
    }
    try (Connection c = admin().connect();
        Statement st = c.createStatement()) {
      st.execute("SELECT pg_stat_statements_reset()");
    }
    target.execute("SYSTEM FLUSH LOGS");
    // query_log counts in whole seconds: start on a fresh one, so that nothing an earlier,
    // untimed step sent (the run that fills the window before the verification) is counted.
    long since = Instant.now().getEpochSecond() + 1;
    Thread.sleep(Math.max(0, since * 1000 - System.currentTimeMillis()));
    String[] t = timed(command);
    target.execute("SYSTEM FLUSH LOGS");
    long inserts =
        target.count(
            "SELECT count() FROM system.query_log WHERE type = 2 AND event_time >= toDateTime("
                + since
                + ")"
                // The data tables' INSERTs: the run ledger's few small ones are not what the
                // target is about.
                + " AND (query LIKE 'INSERT INTO "
                + DB
                + ".scorecards%' OR query LIKE 'INSERT INTO "
                + DB
                + ".scores%'"
                + " OR query LIKE 'INSERT INTO "
                + DB
                + ".conversations%')");
    long pgQueries;
    try (Connection c = admin().connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                    + " WHERE d.datname = '"
                    + DB
                    + "' AND s.query NOT LIKE '%pg_stat_statements%'")) {
      rs.next();
      pgQueries = rs.getLong(1);
    }
    long scorecardRows = target.count("SELECT count() FROM " + DB + ".scorecards");
    long scoreRows = target.count("SELECT count() FROM " + DB + ".scores");
    double wall = Double.parseDouble(t[0]);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("score_rows_per_s", Math.round(scoreRows / wall));
    m.put("scorecards_per_s", Math.round(scorecardRows / wall));
    m.put("wall_s", wall);
    m.put("cpu_s", Math.round((Double.parseDouble(t[1]) + Double.parseDouble(t[2])) * 10) / 10.0);
    m.put("peak_rss_mb", Long.parseLong(t[3]) / 1024);
    m.put("inserts", inserts);
    m.put("pg_queries", pgQueries);
    m.put("score_rows", scoreRows);
    m.put("scorecard_rows", scorecardRows);
    return m;
  }

  /**
   * Wall, user and system seconds and peak RSS (KB) of {@code command} under /usr/bin/time. Its
   * figures go through a temporary file, deleted whether the command succeeds or not.
   */
  static String[] timed(List<String> command) throws Exception {
    Path timing = Files.createTempFile("reindex-bench", ".time");
    try {
      List<String> timed =
          new ArrayList<>(List.of("/usr/bin/time", "-f", "%e %U %S %M", "-o", timing.toString()));
      timed.addAll(command);
      run(timed);
      return Files.readString(timing).strip().lines().reduce((a, b) -> b).orElseThrow().split(" ");
    } finally {
      Files.deleteIfExists(timing);
    }
  }

  private static void run(List<String> command) throws Exception {
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(
          "the benchmark step failed (exit "
              + p.exitValue()
              + "): "
              + abbreviate(String.join(" ", command)));
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  private void print(Map<String, Map<String, Object>> results) {
    System.out.printf(
        "%nbench: %,d process scorecards x ~%d scores, window %s, %d cores%n",
        scorecards, scoresPerScorecard, WINDOW, Runtime.getRuntime().availableProcessors());
    System.out.printf(
        "%-14s %14s %14s %8s %8s %10s %9s %11s%n",
        "", "score rows/s", "scorecards/s", "wall s", "cpu s", "peak MB", "inserts", "pg queries");
    for (var e : results.entrySet()) {
      Map<String, Object> m = e.getValue();
      System.out.printf(
          "%-14s %,14d %,14d %8.1f %8.1f %,10d %,9d %,11d%n",
          e.getKey(),
          m.get("score_rows_per_s"),
          m.get("scorecards_per_s"),
          m.get("wall_s"),
          m.get("cpu_s"),
          m.get("peak_rss_mb"),
          m.get("inserts"),
          m.get("pg_queries"));
    }
    Map<String, Object> b0 = results.get("b0");
    Map<String, Object> b1 = results.get("b1");
    for (String p :
        List.of("direct", "flink", "flink-session", "direct-cluster", "flink-cluster")) {
      Map<String, Object> m = results.get(p);
      if (m == null) {
        continue;
      }
      double rate = ((Number) m.get("score_rows_per_s")).doubleValue();
      if (b0 != null) {
        System.out.printf(
            "%s: %.2fx B0's score rows/s (target %s)%n",
            p,
            rate / ((Number) b0.get("score_rows_per_s")).doubleValue(),
            p.startsWith("flink") ? ">= 0.5x" : ">= 0.35x");
      }
      if (b1 != null) {
        System.out.printf(
            "%s: %.2fx B1's score rows/s (target >= 5x), %.4f PostgreSQL queries per scorecard (B1: %.4f)%n",
            p,
            rate / ((Number) b1.get("score_rows_per_s")).doubleValue(),
            ((Number) m.get("pg_queries")).doubleValue()
                / ((Number) m.get("scorecard_rows")).doubleValue(),
            ((Number) b1.get("pg_queries")).doubleValue()
                / ((Number) b1.get("scorecard_rows")).doubleValue());
      }
      System.out.printf(
          "%s: %,.0f rows per INSERT on average (target >= 10,000)%n",
          p,
          (((Number) m.get("score_rows")).doubleValue()
                  + ((Number) m.get("scorecard_rows")).doubleValue())
              / ((Number) m.get("inserts")).doubleValue());
    }
    if (results.containsKey("direct") && results.containsKey("verify")) {
      System.out.printf(
          "verifying the clean window is %.1fx faster than reindexing it on the DirectRunner%n",
          (double) results.get("direct").get("wall_s")
              / (double) results.get("verify").get("wall_s"));
    }
  }

  /** B1 in a process of its own: {@code reindex bench-loop}. */
  @Command(
      name = "bench-loop",
      hidden = true,
      description = "B1: the original job's loop (benchmark baseline).")
  public static class Loop implements Callable<Integer>, CliSettings.Command {
    @Option(names = "--start", required = true)
    String start;

    @Option(names = "--end", required = true)
    String end;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public java.util.Set<Setting.Group> settingGroups() {
      return java.util.EnumSet.of(Setting.Group.CONNECTION);
    }

    @Override
    public picocli.CommandLine.Model.CommandSpec spec() {
      return spec;
    }

    @Override
    public Integer call() throws Exception {
      long[] n =
          BaselineLoop.run(
              Launch.postgres(settings()),
              Launch.clickHouse(settings()),
              ReindexWindow.parse(start, end));
      System.out.printf("b1: %,d scorecards, %,d scores%n", n[0], n[1]);
      return ExitCodes.OK;
    }
  }
}
