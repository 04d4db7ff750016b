package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Timestamp;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.proto.Job;
import dev.scorecards.reindex.proto.JobPayload;
import dev.scorecards.reindex.proto.JobType;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsPayload;
import dev.scorecards.reindex.runners.jobs.JobHandler;
import dev.scorecards.reindex.runners.jobs.PipelineLauncher;
import dev.scorecards.reindex.runners.jobs.Tokens;
import dev.scorecards.reindex.testing.Seeder;
import dev.scorecards.reindex.testing.TestDatabases;
import dev.scorecards.reindex.verify.VerificationReport;
import dev.scorecards.reindex.verify.Verifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs on the local Flink session cluster of two TaskManagers of one slot each ({@code ./reindex
 * flink start --taskmanagers 2}), submitted by {@code reindex run --runner FlinkRunner
 * --flink-master ...} from the bundled jar: the work lands on both TaskManagers, and one of them
 * killed mid-run is survived. Figures are printed in "flink:" lines.
 */
class FlinkTaskManagersIT {
  static final Instant START = Instant.parse("2026-07-01T00:00:00Z");
  static final Instant END = Instant.parse("2026-07-08T00:00:00Z");
  static final ReindexWindow WINDOW = ReindexWindow.of(START, END);
  static final List<String> REPORT = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  static void flink(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("bash", Path.of("..", "tools", "local", "flink.sh").toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).inheritIO().start();
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("flink.sh %s", String.join(" ", args)).isZero();
  }

  @BeforeAll
  static void twoTaskManagers() throws Exception {
    flink("start", "--taskmanagers", "2");
  }

  @AfterAll
  static void report() {
    REPORT.forEach(line -> System.out.println("flink: " + line));
  }

  @BeforeEach
  void seed() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(6_000, 10, WINDOW, 13), true);
    }
  }

  private JsonNode rest(String path) throws Exception {
    return json.readTree(
        http.send(
                HttpRequest.newBuilder(URI.create("http://" + FlinkClusterIT.MASTER + path))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  static String[] args(String... extra) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--mode",
                "process",
                "--start",
                START.toString(),
                "--end",
                END.toString(),
                "--runner",
                "FlinkRunner",
                "--flink-master",
                FlinkClusterIT.MASTER,
                "--chunk-scorecards",
                "2000"));
    all.addAll(List.of(extra));
    return all.toArray(new String[0]);
  }

  static void assertExact() throws Exception {
    VerificationReport report =
        new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse())
            .verify(WINDOW, Mode.process);
    assertThat(report.equal()).as(report.describe()).isTrue();
  }

  /** The TaskManagers that ran subtasks of the jobs submitted since {@code since} (epoch ms). */
  private Set<String> taskManagersOfJobsSince(long since, List<String> jobs) throws Exception {
    Set<String> used = new HashSet<>();
    for (JsonNode job : rest("/jobs/overview").get("jobs")) {
      if (job.get("start-time").asLong() < since) {
        continue;
      }
      jobs.add(job.get("jid").asText());
      for (JsonNode vertex : rest("/jobs/" + job.get("jid").asText()).get("vertices")) {
        JsonNode detail =
            rest("/jobs/" + job.get("jid").asText() + "/vertices/" + vertex.get("id").asText());
        for (JsonNode subtask : detail.get("subtasks")) {
          if (subtask.hasNonNull("taskmanager-id")) {
            used.add(subtask.get("taskmanager-id").asText());
          }
        }
      }
    }
    return used;
  }

  /** Sessions of this tool (its ApplicationName) open on the test PostgreSQL, this one included. */
  private static int postgresSessions() throws Exception {
    try (Connection c = TestDatabases.postgres().connect();
        java.sql.ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reindex'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Threads named {@code prefix...} alive in the local TaskManagers' JVMs. */
  private static int taskManagerThreads(String prefix) throws Exception {
    Process pgrep = new ProcessBuilder("pgrep", "-f", "TaskManagerRunner -c").start();
    List<String> pids = new String(pgrep.getInputStream().readAllBytes()).lines().toList();
    pgrep.waitFor();
    assertThat(pids).as("TaskManager processes").hasSize(2);
    int threads = 0;
    for (String pid : pids) {
      Process jcmd = new ProcessBuilder("jcmd", pid, "Thread.print").start();
      threads +=
          (int)
              new String(jcmd.getInputStream().readAllBytes())
                  .lines()
                  .filter(l -> l.startsWith("\"" + prefix))
                  .count();
      jcmd.waitFor();
    }
    return threads;
  }

  @Test
  @Timeout(600)
  void aMultiChunkRunUsesBothTaskManagers() throws Exception {
    long since = System.currentTimeMillis();
    int sessionsBefore = postgresSessions();
    // The driver's pool of the TaskManagers' own class path (--flink-jar cluster) stays.
    int threadsBefore = taskManagerThreads("ClickHouseWorker");
    ReindexProcess run = ReindexProcess.run(Map.of(), args());
    assertThat(run.awaitExit(Duration.ofSeconds(480))).as(run.output()).isEqualTo(ExitCodes.OK);
    assertExact();
    List<String> jobs = new ArrayList<>();
    Set<String> taskManagers = taskManagersOfJobsSince(since, jobs);
    assertThat(taskManagers).as("subtasks ran on both TaskManagers").hasSize(2);
    for (String job : jobs) {
      // A first attempt that failed (a driver the job's class loader did not see) and was
      // restarted would still end exact, 5 s later: only Flink's history shows it.
      assertThat(rest("/jobs/" + job + "/exceptions").path("exceptionHistory").path("entries"))
          .as("failures in Flink job %s", job)
          .isEmpty();
    }
    // What the finished jobs leave on the TaskManagers: no PostgreSQL session (JdbcIO's pools are
    // never closed) and, once idle, no ClickHouse driver thread (each kept its job's classes).
    assertThat(postgresSessions()).as("PostgreSQL sessions left open").isEqualTo(sessionsBefore);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (taskManagerThreads("ClickHouseWorker") > threadsBefore && System.nanoTime() < deadline) {
      Thread.sleep(1_000);
    }
    assertThat(taskManagerThreads("ClickHouseWorker"))
        .as("idle driver threads")
        .isLessThanOrEqualTo(threadsBefore);
    REPORT.add(
        String.format(
            "6,000 scorecards in chunks of 2,000: %d Flink job(s), subtasks on %d TaskManagers, %.1f s end to end",
            jobs.size(), taskManagers.size(), (run.endedNanos - run.startedNanos) / 1e9));
  }

  private static Job job(String id) {
    return Job.newBuilder()
        .setId(id)
        .setType(JobType.JOB_TYPE_REINDEX_PROCESS_SCORECARDS)
        .setPayload(
            JobPayload.newBuilder()
                .setReindexProcessScorecards(
                    ReindexProcessScorecardsPayload.newBuilder()
                        .setStartTime(Timestamp.newBuilder().setSeconds(START.getEpochSecond()))
                        .setEndTime(Timestamp.newBuilder().setSeconds(END.getEpochSecond()))))
        .build();
  }

  private static JobHandler.JobState await(
      JobHandler handler, String id, java.util.function.Predicate<JobHandler.JobState> until)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    JobHandler.JobState s = handler.state(id).orElseThrow();
    while (!until.test(s) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      s = handler.state(id).orElseThrow();
    }
    return s;
  }

  /** The cluster's jobs named {@code name}, by state. */
  private Map<String, Long> flinkJobsNamed(String name) throws Exception {
    return new FlinkRest(FlinkClusterIT.MASTER)
        .jobs().stream()
            .filter(j -> j.name().equals(name))
            .collect(
                java.util.stream.Collectors.groupingBy(
                    FlinkRest.Job::state, java.util.stream.Collectors.counting()));
  }

  @Test
  @Timeout(600)
  void theJobHandlerRunsItsJobsOnTheClusterAndCancelsThere() throws Exception {
    Map<String, String> env =
        Map.of(
            "REINDEX_PG_URL",
            TestDatabases.postgres().jdbcUrl(),
            "REINDEX_CH_URL",
            TestDatabases.CH_URL,
            "REINDEX_CH_DATABASE",
            TestDatabases.DATABASE,
            "REINDEX_RUNNER",
            "FlinkRunner",
            "REINDEX_FLINK_MASTER",
            FlinkClusterIT.MASTER,
            "REINDEX_CHUNK_SCORECARDS",
            "2000");
    Launch launch =
        Launch.of(Settings.fromEnvironment(env), List.of(), env)
            .withConnections(TestDatabases.postgres(), TestDatabases.clickHouse());
    List<long[]> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
    PipelineLauncher launcher = new PipelineLauncher(launch);
    Tokens.Caller admin = new Tokens.Caller("alice", "ADMIN");
    String ran = "on-flink-" + System.nanoTime();
    JobHandler.Launcher recording =
        new JobHandler.Launcher() {
          @Override
          public JobHandler.Counts launch(
              dev.scorecards.reindex.proto.ReindexProcessScorecardsInput input,
              JobHandler.ProgressSink sink)
              throws Exception {
            return launcher.launch(
                input,
                (done, total) -> {
                  progress.add(new long[] {done, total});
                  sink.progress(done, total);
                });
          }

          @Override
          public void cancel(String jobId) {
            launcher.cancel(jobId);
          }
        };
    try (JobHandler handler =
        new JobHandler(recording, Settings.fromEnvironment(env), Instant::now)) {
      handler.submit(admin, job(ran));
      JobHandler.JobState done = await(handler, ran, s -> s.status().finished());
      assertThat(done.status()).as(done.reason()).isEqualTo(JobHandler.Status.SUCCEEDED);
      assertThat(done.counts().scorecardsWritten()).isEqualTo(6_000);
      assertThat(done.done()).isEqualTo(done.total()).isEqualTo(6_000);
      // Progress moved chunk by chunk while the job was RUNNING.
      assertThat(progress.stream().map(p -> p[0]).distinct().count()).isGreaterThanOrEqualTo(3);
      assertThat(flinkJobsNamed(PipelineLauncher.flinkJobName(ran)))
          .as("the job's pipelines on the cluster")
          .isEqualTo(Map.of("FINISHED", 3L));
      assertExact();

      TestDatabases.emptyAll();
      String cancelled = "cancelled-on-flink-" + System.nanoTime();
      String name = PipelineLauncher.flinkJobName(cancelled);
      handler.submit(admin, job(cancelled));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!flinkJobsNamed(name).containsKey("RUNNING") && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(flinkJobsNamed(name)).as("a Flink job of the job running").containsKey("RUNNING");
      assertThat(handler.cancel(admin, cancelled).status()).isEqualTo(JobHandler.Status.CANCELLED);
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!flinkJobsNamed(name).keySet().equals(Set.of("CANCELED"))
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertThat(flinkJobsNamed(name)).as("the job's pipelines").isEqualTo(Map.of("CANCELED", 1L));
      // Nothing more is submitted for it.
      Thread.sleep(5_000);
      assertThat(flinkJobsNamed(name)).isEqualTo(Map.of("CANCELED", 1L));
      assertThat(handler.state(cancelled).orElseThrow().status())
          .isEqualTo(JobHandler.Status.CANCELLED);
    }
  }

  @Test
  @Timeout(600)
  void withTheJarInTheClustersClassPathNoClassesAreSent() throws Exception {
    // The local cluster runs from the bundled jar, as a cluster with it in lib/ would.
    long since = System.currentTimeMillis();
    ReindexProcess run = ReindexProcess.run(Map.of(), args("--flink-jar", "cluster"));
    assertThat(run.awaitExit(Duration.ofSeconds(480))).as(run.output()).isEqualTo(ExitCodes.OK);
    assertExact();
    List<String> jobs = new ArrayList<>();
    taskManagersOfJobsSince(since, jobs);
    assertThat(jobs).hasSize(3);
    for (String job : jobs) {
      assertThat(rest("/jobs/" + job + "/exceptions").path("exceptionHistory").path("entries"))
          .as("failures in Flink job %s", job)
          .isEmpty();
    }
    REPORT.add(
        String.format(
            "the same with --flink-jar cluster (nothing staged): %.1f s end to end",
            (run.endedNanos - run.startedNanos) / 1e9));
  }

  @Test
  @Timeout(600)
  void theJarRunsThroughFlinksOwnClient() throws Exception {
    // As `flink run -c ReindexCli reindex.jar run --mode process ...` would: no --runner, no
    // --flink-master; the client's environment decides where the pipelines go.
    long since = System.currentTimeMillis();
    String jar = RunnerOptions.bundledJar();
    String[] master = FlinkClusterIT.MASTER.split(":");
    List<String> command =
        new ArrayList<>(
            List.of(
                "java",
                "-Xmx1g",
                "-cp",
                jar + java.io.File.pathSeparator + Path.of("target", "test-classes"),
                FlinkClientSubmit.class.getName(),
                master[0],
                master[1],
                jar,
                ReindexCli.class.getName(),
                "run",
                "--mode",
                "process",
                "--start",
                START.toString(),
                "--end",
                END.toString(),
                "--chunk-scorecards",
                "2000",
                "--pg-url",
                TestDatabases.postgres().jdbcUrl(),
                "--ch-url",
                TestDatabases.CH_URL,
                "--ch-database",
                TestDatabases.DATABASE));
    Path out = java.nio.file.Files.createTempFile("reindex-flink-run-", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.redirectOutput(out.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("REINDEX_"));
    Process p = pb.start();
    assertThat(p.waitFor(480, TimeUnit.SECONDS)).isTrue();
    String output = java.nio.file.Files.readString(out);
    java.nio.file.Files.delete(out);
    assertThat(p.exitValue()).as(output).isEqualTo(ExitCodes.OK);
    assertThat(output).contains("runner:  FlinkRunner (the cluster of flink run");
    assertExact();
    List<String> jobs = new ArrayList<>();
    taskManagersOfJobsSince(since, jobs);
    assertThat(jobs).as("Flink jobs the client submitted").hasSize(3);
    REPORT.add(
        String.format(
            "the bundled jar run through Flink's client (PackagedProgram): %d Flink jobs, exact",
            jobs.size()));
  }

  @Test
  @Timeout(600)
  void aTaskManagerKilledMidRunIsSurvivedAndTheRunEndsExact() throws Exception {
    ReindexProcess run = ReindexProcess.run(Map.of(), args());
    String runId = run.awaitRunId(Duration.ofSeconds(120));
    ReindexProcess.awaitChunksDone(run, runId, 1, Duration.ofSeconds(300));
    long killed = System.nanoTime();
    flink("taskmanager-kill", "2");
    Thread.sleep(3_000);
    flink("taskmanager-start", "2");
    int exit = run.awaitExit(Duration.ofSeconds(480));
    assertThat(exit).as(run.output()).isEqualTo(ExitCodes.OK);
    assertExact();
    REPORT.add(
        String.format(
            "TaskManager 2 SIGKILLed after 1 of 3 chunks, started again 3 s later: the run ended exact %.1f s after the kill",
            (run.endedNanos - killed) / 1e9));
  }
}
