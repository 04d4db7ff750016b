package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.clickhouse.ClickHouseTopology;
import dev.scorecards.reindex.postgres.PostgresSettings;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ResumableReindex;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one factory of a reindex's configuration, for every entry point ({@code run}, {@code
 * schedule}, the job handler): from the validated {@link Settings} it builds the connections, the
 * runner, the pipeline's sizes and the retry policy; each reindex then adds its {@link
 * ReindexSettings} (mode, window, batch size, clean-up, attempts, heartbeat). Everything is checked
 * when the launch is made, before anything touches a database.
 */
public final class Launch {
  private final Settings settings;
  private final PostgresSettings postgres;
  private final ClickHouseSettings clickHouse;
  private final RunnerOptions runner;
  private final Long scorecardsPerChunk;
  private final Duration retryBackoff;
  private final int insertBlockSize;
  private final long rowsPerPartition;
  private final int maxPartitions;

  private Launch(Settings settings, List<String> pipelineOptions, Map<String, String> env) {
    this(
        settings,
        postgres(settings),
        clickHouse(settings),
        RunnerOptions.from(settings, pipelineOptions, env));
  }

  private Launch(
      Settings settings,
      PostgresSettings postgres,
      ClickHouseSettings clickHouse,
      RunnerOptions runner) {
    this.settings = settings;
    this.postgres = postgres;
    this.clickHouse = clickHouse;
    this.runner = runner;
    this.scorecardsPerChunk = settings.number(Setting.CHUNK_SCORECARDS, 1, Long.MAX_VALUE / 2);
    this.retryBackoff = settings.duration(Setting.RETRY_BACKOFF);
    this.insertBlockSize = settings.integer(Setting.INSERT_BLOCK_SIZE, 1, 100_000_000);
    this.rowsPerPartition = settings.number(Setting.ROWS_PER_PARTITION, 1, Long.MAX_VALUE / 2);
    this.maxPartitions = settings.integer(Setting.MAX_PARTITIONS, 1, 10_000);
  }

  /** Checks every setting a reindex needs; {@code pipelineOptions} are passed through to Beam. */
  public static Launch of(
      Settings settings, List<String> pipelineOptions, Map<String, String> env) {
    return new Launch(settings, pipelineOptions, env);
  }

  /** This launch against other databases. */
  public Launch withConnections(PostgresSettings postgres, ClickHouseSettings clickHouse) {
    return new Launch(settings, postgres, clickHouse, runner);
  }

  public static PostgresSettings postgres(Settings s) {
    return new PostgresSettings(
        s.text(Setting.PG_URL), s.text(Setting.PG_USER), s.text(Setting.PG_PASSWORD));
  }

  public static ClickHouseSettings clickHouse(Settings s) {
    String cluster = s.text(Setting.CH_CLUSTER);
    ClickHouseTopology topology =
        switch (cluster) {
          case "auto" -> ClickHouseTopology.AUTO;
          case "none" -> ClickHouseTopology.SINGLE_NODE;
          default -> ClickHouseTopology.cluster(cluster, s.text(Setting.CH_LOCAL_SUFFIX));
        };
    return new ClickHouseSettings(
        s.text(Setting.CH_URL),
        s.text(Setting.CH_DATABASE),
        s.text(Setting.CH_USER),
        s.text(Setting.CH_PASSWORD),
        topology);
  }

  public PostgresSettings postgres() {
    return postgres;
  }

  public ClickHouseSettings clickHouse() {
    return clickHouse;
  }

  public RunnerOptions runner() {
    return runner;
  }

  /** The pipeline's configuration for one reindex. */
  public ReindexConfig config(ReindexSettings job) {
    return ReindexConfig.of(job.mode(), job.window(), postgres, clickHouse)
        .withBatchSize(job.batchSize())
        .withCleanUpBeforeWrite(job.cleanUpBeforeWrite())
        .withInsertBlockSize(insertBlockSize)
        .withPartitioning(rowsPerPartition, maxPartitions);
  }

  /** Attempts, heartbeat, back-off and chunk size of one reindex. */
  public ResumableReindex.Policy policy(ReindexSettings job) {
    ResumableReindex.Policy policy =
        ResumableReindex.Policy.of(job.maxAttempts(), job.heartbeatTimeout());
    return policy
        .withBackoff(retryBackoff, policy.maxBackoff())
        .withLease(settings.duration(Setting.LEASE_TIMEOUT), settings.bool(Setting.WAIT_FOR_LOCK))
        .withScorecardsPerChunk(
            scorecardsPerChunk != null ? scorecardsPerChunk : runner.defaultScorecardsPerChunk());
  }

  /** The effective configuration, one line a setting; passwords only as set or not. */
  public List<String> describe(ReindexSettings job) {
    List<String> lines = new ArrayList<>(job.describe());
    for (Setting s : Setting.values()) {
      // The window and job settings are above; the connections are the source and target lines.
      if (s.group != Setting.Group.RUNNER
          && s.group != Setting.Group.TUNING
          && s != Setting.WAIT_FOR_LOCK
          && s != Setting.LEASE_TIMEOUT) {
        continue;
      }
      String value = settings.text(s);
      if (s == Setting.CHUNK_SCORECARDS && value == null) {
        value = Long.toString(runner.defaultScorecardsPerChunk());
      }
      lines.add(ReindexSettings.line(s, value == null ? "" : value));
    }
    lines.add("  source:  " + postgres);
    lines.add("  target:  " + clickHouse);
    lines.add("  runner:  " + runner.describe());
    lines.addAll(clearTextWarnings(postgres, clickHouse));
    return lines;
  }

  /**
   * A warning for each database reached over the network without TLS: its password (and the data)
   * would cross it in clear.
   */
  static List<String> clearTextWarnings(PostgresSettings postgres, ClickHouseSettings clickHouse) {
    List<String> warnings = new ArrayList<>();
    java.net.URI ch = clickHouse.uri();
    if ("http".equals(ch.getScheme()) && !isLoopback(ch.getHost())) {
      warnings.add(
          "  WARNING: ClickHouse at "
              + ch.getHost()
              + " over http://, not https://: its password and the data cross the network in clear");
    }
    java.util.regex.Matcher pg =
        java.util.regex.Pattern.compile("^jdbc:postgresql://\\[?([^/:?\\]]+)")
            .matcher(postgres.jdbcUrl());
    String sslmode =
        java.util.regex.Pattern.compile("[?&]sslmode=([a-z-]+)")
            .matcher(postgres.jdbcUrl())
            .results()
            .map(m -> m.group(1))
            .findFirst()
            .orElse("prefer");
    if (pg.find()
        && !isLoopback(pg.group(1))
        && !List.of("require", "verify-ca", "verify-full").contains(sslmode)) {
      warnings.add(
          "  WARNING: PostgreSQL at "
              + pg.group(1)
              + " with sslmode="
              + sslmode
              + ": set sslmode=verify-full (or require) so that nothing crosses the network in clear");
    }
    return warnings;
  }

  private static boolean isLoopback(String host) {
    return host == null
        || host.equals("localhost")
        || host.startsWith("127.")
        || host.equals("::1")
        || host.equals("[::1]");
  }
}
