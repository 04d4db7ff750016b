package dev.scorecards.reindex.runners;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Every setting of the tool, declared once: its flag, its environment variable, its default and
 * what it means. The command-line options ({@link CliSettings}), their resolution and validation
 * ({@link Settings}), the effective configuration a run prints and the README's configuration table
 * ({@link #markdownTable}) all derive from this list.
 */
public enum Setting {
  MODE(
      Group.WINDOW, "--mode", "REINDEX_MODE", "conversation", "`conversation`, `process` or `all`"),
  START(
      Group.WINDOW,
      "--start",
      "REINDEX_START_TIME",
      null,
      "RFC 3339 start of the window (inclusive); default: 24 hours before the end"),
  END(
      Group.WINDOW,
      "--end",
      "REINDEX_END_TIME",
      null,
      "RFC 3339 end of the window (exclusive); default: now"),
  BATCH_SIZE(
      Group.JOB,
      "--batch-size",
      "REINDEX_PROCESS_SCORECARDS_BATCH_SIZE",
      "50",
      "scorecards per PostgreSQL batch, 1..10000"),
  MAX_ATTEMPTS(
      Group.JOB,
      "--max-attempts",
      "REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS",
      "6",
      "attempts of one invocation before it gives up on transient failures, 1..100"),
  HEARTBEAT_TIMEOUT(
      Group.JOB,
      "--heartbeat-timeout",
      "REINDEX_PROCESS_SCORECARDS_HEARTBEAT_TIMEOUT",
      "5m",
      "longest time without progress before an attempt is abandoned (`5m`, `90s`, `1h30m`)"),
  CLEAN_UP_BEFORE_WRITE(
      Group.JOB,
      "--clean-up-before-write",
      "REINDEX_CLEAN_UP_BEFORE_WRITE",
      "false",
      "delete what ClickHouse holds for the window's scorecards (and orphans) before writing"),
  WAIT_FOR_LOCK(
      Group.JOB,
      "--wait-for-lock",
      "REINDEX_WAIT_FOR_LOCK",
      "false",
      "when another run of an overlapping window and mode holds its lease, wait for it instead"
          + " of refusing (exit 6)"),
  LEASE_TIMEOUT(
      Group.JOB,
      "--lease-timeout",
      "REINDEX_LEASE_TIMEOUT",
      "60s",
      "how long a run's lease outlives its last renewal (a killed run's is taken over after it)"),

  PG_URL(
      Group.CONNECTION,
      "--pg-url",
      "REINDEX_PG_URL",
      "jdbc:postgresql://127.0.0.1:55432/reindex",
      "PostgreSQL JDBC URL"),
  PG_USER(Group.CONNECTION, "--pg-user", "REINDEX_PG_USER", "reindex", "PostgreSQL user"),
  PG_PASSWORD(Group.CONNECTION, null, "REINDEX_PG_PASSWORD", null, "PostgreSQL password", true),
  CH_URL(
      Group.CONNECTION,
      "--ch-url",
      "REINDEX_CH_URL",
      "http://127.0.0.1:18123",
      "ClickHouse HTTP(S) URL, without credentials"),
  CH_DATABASE(
      Group.CONNECTION,
      "--ch-database",
      "REINDEX_CH_DATABASE",
      "reindex",
      "ClickHouse database (a plain identifier)"),
  CH_USER(Group.CONNECTION, "--ch-user", "REINDEX_CH_USER", "default", "ClickHouse user"),
  CH_PASSWORD(Group.CONNECTION, null, "REINDEX_CH_PASSWORD", null, "ClickHouse password", true),
  CH_CLUSTER(
      Group.CONNECTION,
      "--ch-cluster",
      "REINDEX_CH_CLUSTER",
      "auto",
      "`auto` learns from the target tables whether they are a cluster's Distributed tables;"
          + " `none`: one server; or the cluster's name"),
  CH_LOCAL_SUFFIX(
      Group.CONNECTION,
      "--ch-local-suffix",
      "REINDEX_CH_LOCAL_SUFFIX",
      "_local",
      "With a named --ch-cluster: the local tables are the target tables' names with this suffix"),

  RUNNER(
      Group.RUNNER,
      "--runner",
      "REINDEX_RUNNER",
      "DirectRunner",
      "`DirectRunner` or `FlinkRunner`"),
  FLINK_MASTER(
      Group.RUNNER,
      "--flink-master",
      "REINDEX_FLINK_MASTER",
      null,
      "HOST:PORT of a Flink cluster's REST endpoint; none runs Flink embedded"),
  PARALLELISM(
      Group.RUNNER,
      "--parallelism",
      "REINDEX_PARALLELISM",
      null,
      "Flink parallelism; default: the cluster's task slots, or one per core when embedded"),
  DIRECT_PARALLELISM(
      Group.RUNNER,
      "--direct-parallelism",
      "REINDEX_DIRECT_PARALLELISM",
      null,
      "DirectRunner worker threads; default: one per core"),
  FLINK_CONF_DIR(
      Group.RUNNER,
      "--flink-conf-dir",
      "REINDEX_FLINK_CONF_DIR",
      null,
      "a Flink configuration directory (flink-conf.yaml)"),
  FLINK_JAR(
      Group.RUNNER,
      "--flink-jar",
      "REINDEX_FLINK_JAR",
      "stage",
      "`stage`: each job sends the tool's classes; `cluster`: the cluster's `lib/` holds the bundled jar"),

  CHUNK_SCORECARDS(
      Group.TUNING,
      "--chunk-scorecards",
      "REINDEX_CHUNK_SCORECARDS",
      null,
      "scorecards per chunk (what a resumed run skips); default: 100000 on the DirectRunner, 200000 on embedded Flink, 100000 per slot (at least 200000) on a cluster"),
  RETRY_BACKOFF(
      Group.TUNING,
      "--retry-backoff",
      "REINDEX_RETRY_BACKOFF",
      "2s",
      "wait before the second attempt, doubled for each next one up to 1m"),
  INSERT_BLOCK_SIZE(
      Group.TUNING,
      "--insert-block-size",
      "REINDEX_INSERT_BLOCK_SIZE",
      "100000",
      "most rows in one ClickHouse INSERT"),
  ROWS_PER_PARTITION(
      Group.TUNING,
      "--rows-per-partition",
      "REINDEX_ROWS_PER_PARTITION",
      "50000",
      "scorecards per partition of the range read"),
  MAX_PARTITIONS(
      Group.TUNING,
      "--max-partitions",
      "REINDEX_MAX_PARTITIONS",
      "64",
      "most partitions of the range read"),
  DEBUG(
      Group.DIAGNOSTICS,
      null,
      "REINDEX_DEBUG",
      null,
      "set (to anything): whole stack traces and statements on standard error",
      false),

  SERVE_BIND(Group.SERVE, "--bind", "REINDEX_SERVE_BIND", "127.0.0.1", "address to listen on"),
  SERVE_PORT(
      Group.SERVE, "--port", "REINDEX_SERVE_PORT", "18080", "port to listen on (0: any free one)"),
  TOKENS_FILE(
      Group.SERVE,
      "--tokens-file",
      "REINDEX_TOKENS_FILE",
      null,
      "required: lines `<sha256 of token> <caller> <role>`"),
  TLS_KEYSTORE(
      Group.SERVE,
      "--tls-keystore",
      "REINDEX_TLS_KEYSTORE",
      null,
      "a PKCS#12 key store: serve HTTPS"),
  TLS_KEYSTORE_PASSWORD(
      Group.SERVE, null, "REINDEX_TLS_KEYSTORE_PASSWORD", null, "the key store's password", true),
  SCHEDULE_STATE(
      Group.SCHEDULE,
      "--state-file",
      "REINDEX_SCHEDULE_STATE",
      ".local/schedule-state.properties",
      "where each mode's last successful end is kept"),
  JOB_SERVER(
      Group.CLIENT,
      "--server",
      "REINDEX_SERVER",
      "http://127.0.0.1:18080",
      "the job handler's URL"),
  TOKEN(Group.CLIENT, null, "REINDEX_TOKEN", null, "your bearer token for `job`", true);

  /** Which settings a command takes. */
  public enum Group {
    /** What to reindex. */
    WINDOW,
    /** How one reindex behaves; a job's payload may set these too. */
    JOB,
    /** Where the databases are. */
    CONNECTION,
    /** Which Beam runner executes the pipeline. */
    RUNNER,
    /** Sizes of the pipeline's steps. */
    TUNING,
    /** What the tool tells about itself. */
    DIAGNOSTICS,
    /** The job handler ({@code serve}). */
    SERVE,
    /** The scheduler ({@code schedule}). */
    SCHEDULE,
    /** The job handler's client ({@code job}). */
    CLIENT;

    /** What launching a reindex reads, wherever it is launched from. */
    public static final Set<Group> REINDEX =
        EnumSet.of(WINDOW, JOB, CONNECTION, RUNNER, TUNING, DIAGNOSTICS);

    /** The services around the reindex, in the table of their own. */
    public static final Set<Group> SERVICES = EnumSet.of(SERVE, SCHEDULE, CLIENT);
  }

  public final Group group;

  /** The command-line flag; null for a setting read from the environment only. */
  public final String flag;

  public final String env;

  /** The default as text; null when there is none or it is computed (the description says how). */
  public final String defaultValue;

  public final String description;

  private final boolean secret;

  Setting(Group group, String flag, String env, String defaultValue, String description) {
    this(group, flag, env, defaultValue, description, false);
  }

  Setting(
      Group group,
      String flag,
      String env,
      String defaultValue,
      String description,
      boolean secret) {
    if (secret && flag != null) {
      throw new IllegalArgumentException(env + ": a secret never has a flag (argv is visible)");
    }
    this.group = group;
    this.flag = flag;
    this.env = env;
    this.defaultValue = defaultValue;
    this.description = description;
    this.secret = secret;
  }

  /**
   * Passwords and tokens: taken from the environment only, never printed, never in pipeline
   * options, redacted from every message.
   */
  public boolean secret() {
    return secret;
  }

  /** A flag that takes no value: given means true. */
  public boolean isSwitch() {
    return this == CLEAN_UP_BEFORE_WRITE || this == WAIT_FOR_LOCK;
  }

  /** The values the environment gives the secret settings: what every message must not show. */
  public static String[] secretValues(java.util.Map<String, String> env) {
    List<String> out = new ArrayList<>();
    for (Setting s : values()) {
      if (s.secret && env.get(s.env) != null) {
        out.add(env.get(s.env));
      }
    }
    return out.toArray(new String[0]);
  }

  /** How the setting is named in messages about its value: the flag, or the variable. */
  public String label() {
    return flag != null ? flag : env;
  }

  /** The settings of these groups, in declaration order. */
  public static List<Setting> of(Set<Group> groups) {
    List<Setting> out = new ArrayList<>();
    for (Setting s : values()) {
      if (groups.contains(s.group)) {
        out.add(s);
      }
    }
    return out;
  }

  /** A README table of the settings of these groups. */
  public static String markdownTable(Set<Group> groups) {
    StringBuilder out =
        new StringBuilder(
            "| Flag | Environment variable | Default | Meaning |\n|---|---|---|---|\n");
    for (Setting s : of(groups)) {
      out.append("| ")
          .append(s.flag == null ? "(environment only)" : "`" + s.flag + "`")
          .append(" | `")
          .append(s.env)
          .append("` | ")
          .append(s.defaultValue == null ? "" : "`" + s.defaultValue + "`")
          .append(" | ")
          .append(s.description)
          .append(" |\n");
    }
    return out.toString();
  }
}
