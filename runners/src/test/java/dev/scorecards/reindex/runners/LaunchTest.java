package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The settings from the command line through the one factory, and the README's table from the
 * declarations.
 */
class LaunchTest {
  private static final String[] WINDOW = {
    "--mode", "process", "--start", "2026-04-01T00:00:00Z", "--end", "2026-04-02T00:00:00Z"
  };

  /** Parses {@code reindex <command> WINDOW args} and returns the command. */
  private static <T> T parse(String command, String... args) {
    List<String> all = new ArrayList<>(List.of(command));
    all.addAll(Arrays.asList(WINDOW));
    all.addAll(Arrays.asList(args));
    CommandLine cli = ReindexCli.commandLine();
    cli.parseArgs(all.toArray(new String[0]));
    return cli.getSubcommands().get(command).getCommand();
  }

  private static Launch launch(RunCommand run) {
    return Launch.of(run.settings(), run.pipelineOptions, Map.of());
  }

  private static ReindexSettings job(CliSettings.Command command) {
    return ReindexSettings.resolve(null, command.settings(), Instant.parse("2026-06-01T00:00:00Z"));
  }

  @Test
  void theDefaultChunkFollowsTheRunnerAndAGivenOneWins() {
    RunCommand direct = parse("run");
    assertThat(launch(direct).policy(job(direct)).scorecardsPerChunk()).isEqualTo(100_000);
    RunCommand flink = parse("run", "--runner", "FlinkRunner");
    assertThat(launch(flink).policy(job(flink)).scorecardsPerChunk()).isEqualTo(200_000);
    RunCommand given = parse("run", "--runner", "FlinkRunner", "--chunk-scorecards", "5000");
    assertThat(launch(given).policy(job(given)).scorecardsPerChunk()).isEqualTo(5_000);
  }

  @Test
  void everySettingOfACommandsGroupsIsAFlagOfIt() {
    CommandLine cli = ReindexCli.commandLine();
    for (String name : List.of("run", "schedule", "verify", "status", "serve")) {
      CommandLine command = cli.getSubcommands().get(name);
      CliSettings.Command settings = command.getCommand();
      for (Setting s : Setting.of(settings.settingGroups())) {
        if (s.flag != null) {
          assertThat(command.getCommandSpec().findOption(s.flag))
              .as(name + " " + s.flag)
              .isNotNull();
        }
      }
    }
    // A setting outside a command's groups is not one of its flags.
    assertThat(cli.getSubcommands().get("status").getCommandSpec().findOption("--batch-size"))
        .isNull();
  }

  @Test
  void scheduleAndRunBuildTheSameConfigurationFromTheSameFlags() {
    String[] flags = {
      "--batch-size",
      "70",
      "--insert-block-size",
      "5000",
      "--retry-backoff",
      "3s",
      "--chunk-scorecards",
      "9000",
      "--clean-up-before-write"
    };
    RunCommand run = parse("run", flags);
    ScheduleCommand schedule = parse("schedule", concat(flags, "--cron", "* * * * *"));
    Launch a = launch(run);
    Launch b = Launch.of(schedule.settings(), List.of(), Map.of());
    assertThat(b.config(job(schedule))).isEqualTo(a.config(job(run)));
    assertThat(b.policy(job(schedule))).isEqualTo(a.policy(job(run)));
    assertThat(a.config(job(run)).batchSize()).isEqualTo(70);
    assertThat(a.config(job(run)).cleanUpBeforeWrite()).isTrue();
    assertThat(a.policy(job(run)).initialBackoff()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void aFlagBeatsTheEnvironmentAndAnErrorNamesWhereTheValueCameFrom() {
    Settings fromEnv = Settings.resolve(Map.of(), Map.of("REINDEX_INSERT_BLOCK_SIZE", "many"));
    assertThatThrownBy(() -> Launch.of(fromEnv, List.of(), Map.of()))
        .hasMessage(
            "the insert block size 'many' (REINDEX_INSERT_BLOCK_SIZE) is not a whole number");
    Settings fromFlag =
        Settings.resolve(
            Map.of(Setting.INSERT_BLOCK_SIZE, "0"), Map.of("REINDEX_INSERT_BLOCK_SIZE", "many"));
    assertThatThrownBy(() -> Launch.of(fromFlag, List.of(), Map.of()))
        .hasMessageStartingWith("the insert block size must be between 1 and ")
        .hasMessageEndingWith("not 0 (--insert-block-size)");
  }

  @Test
  void pipelineOptionsPassThroughToBeamAndOursStayOurs() {
    RunCommand run =
        parse("run", "--runner", "FlinkRunner", "--", "--objectReuse=false", "--maxParallelism=8");
    assertThat(run.pipelineOptions).containsExactly("--objectReuse=false", "--maxParallelism=8");
    PipelineOptions options = launch(run).runner().pipelineOptions();
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    assertThat(flink.getObjectReuse()).isFalse();
    assertThat(flink.getMaxParallelism()).isEqualTo(8);
    assertThat(flink.getUseDataStreamForBatch()).isTrue();

    RunCommand direct = parse("run", "--", "--enforceImmutability=true");
    assertThat(
            launch(direct)
                .runner()
                .pipelineOptions()
                .as(DirectOptions.class)
                .isEnforceImmutability())
        .isTrue();

    RunCommand unknown = parse("run", "--", "--noSuchOption=1");
    assertThatThrownBy(() -> launch(unknown).runner().pipelineOptions())
        .isInstanceOf(IllegalArgumentException.class);
    RunCommand own = parse("run", "--", "--parallelism=4");
    assertThatThrownBy(() -> launch(own).runner().pipelineOptions())
        .hasMessageContaining("use --parallelism");
  }

  @Test
  void aPasswordNeverBecomesAPipelineOption() {
    RunCommand run = parse("run", "--", "--jobName=s3cret-value");
    assertThatThrownBy(
            () ->
                Launch.of(
                    run.settings(),
                    run.pipelineOptions,
                    Map.of("REINDEX_CH_PASSWORD", "s3cret-value")))
        .hasMessageContaining("REINDEX_CH_PASSWORD")
        .hasMessageNotContaining("s3cret-value");
  }

  @Test
  void theEffectiveConfigurationNamesEverySettingButNoPassword() {
    Settings settings =
        Settings.resolve(
            Map.of(),
            Map.of("REINDEX_CH_PASSWORD", "s3cret-value", "REINDEX_PG_PASSWORD", "pg-secret"));
    Launch launch = Launch.of(settings, List.of(), Map.of());
    String described =
        String.join(
            "\n",
            launch.describe(
                ReindexSettings.resolve(null, settings, Instant.parse("2026-06-01T00:00:00Z"))));
    for (Setting s : Setting.of(Setting.Group.REINDEX)) {
      if (s.group != Setting.Group.CONNECTION && s.group != Setting.Group.DIAGNOSTICS) {
        assertThat(described).contains(s.env);
      }
    }
    assertThat(described).doesNotContain("s3cret-value").doesNotContain("pg-secret");
  }

  @Test
  void theReadmeConfigurationTablesAreTheDeclarations() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    assertReadmeTable(readme, "settings-table", Setting.Group.REINDEX);
    assertReadmeTable(readme, "services-table", Setting.Group.SERVICES);
  }

  private static void assertReadmeTable(
      String readme, String name, java.util.Set<Setting.Group> groups) throws Exception {
    String begin = "<!-- " + name + ":begin -->\n";
    String end = "<!-- " + name + ":end -->";
    assertThat(readme).contains(begin).contains(end);
    String table = readme.substring(readme.indexOf(begin) + begin.length(), readme.indexOf(end));
    String expected = Setting.markdownTable(groups);
    if (!table.equals(expected)) {
      Files.writeString(Path.of("target", name + ".md"), expected);
    }
    assertThat(table)
        .as("README.md's " + name + " (the expected one is in runners/target/" + name + ".md)")
        .isEqualTo(expected);
  }

  @Test
  void everyEnvironmentVariableTheToolReadsIsDeclared() throws Exception {
    java.util.Set<String> declared = new java.util.HashSet<>();
    for (Setting s : Setting.values()) {
      declared.add(s.env);
    }
    java.util.regex.Pattern read = java.util.regex.Pattern.compile("\"(REINDEX_[A-Z0-9_]+)\"");
    List<String> undeclared = new java.util.ArrayList<>();
    for (String module : List.of("pipeline", "verify", "runners")) {
      try (var files = Files.walk(Path.of("..", module, "src", "main", "java"))) {
        for (Path file :
            (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
          java.util.regex.Matcher m = read.matcher(Files.readString(file));
          while (m.find()) {
            if (!declared.contains(m.group(1))) {
              undeclared.add(file.getFileName() + ": " + m.group(1));
            }
          }
        }
      }
    }
    assertThat(undeclared).isEmpty();
  }

  @Test
  void everyCommandThatTakesSettingsHasTheFlagsOfItsGroupsAndNoOthers() {
    CommandLine cli = ReindexCli.commandLine();
    CommandLine submit = cli.getSubcommands().get("job").getSubcommands().get("submit");
    assertThat(submit.getCommandSpec().findOption("--server")).isNotNull();
    assertThat(submit.getCommandSpec().findOption("--pg-url")).isNull();
    CommandLine serve = cli.getSubcommands().get("serve");
    for (String flag : List.of("--bind", "--port", "--tokens-file", "--tls-keystore")) {
      assertThat(serve.getCommandSpec().findOption(flag)).as(flag).isNotNull();
    }
    assertThat(serve.getCommandSpec().findOption("--state-file")).isNull();
    assertThat(cli.getSubcommands().get("schedule").getCommandSpec().findOption("--state-file"))
        .isNotNull();
    assertThat(cli.getSubcommands().get("run").getCommandSpec().findOption("--state-file"))
        .isNull();
  }

  @Test
  void serveRefusesAMissingTokensFileAndABadPortInOneSentenceBeforeTouchingAnything() {
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cli = ReindexCli.commandLine();
    cli.setErr(new java.io.PrintWriter(err));
    if (System.getenv("REINDEX_TOKENS_FILE") == null) {
      assertThat(cli.execute("serve")).isEqualTo(ExitCodes.USAGE);
      assertThat(err.toString())
          .contains("--tokens-file or REINDEX_TOKENS_FILE must name the tokens file");
    }
    err.getBuffer().setLength(0);
    assertThat(cli.execute("serve", "--tokens-file", "/nonexistent/tokens", "--port", "70000"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString().strip())
        .isEqualTo("reindex: the serve port must be between 0 and 65535, not 70000 (--port)");
  }

  @Test
  void secretsHaveNoFlagAndAreRedactedAndKeptOutOfPipelineOptions() {
    for (Setting s : Setting.values()) {
      if (s.secret()) {
        assertThat(s.flag).as(s.env).isNull();
      }
    }
    assertThat(Setting.TOKEN.secret()).isTrue();
    assertThat(Setting.TLS_KEYSTORE_PASSWORD.secret()).isTrue();
    assertThat(Setting.DEBUG.secret()).isFalse();
    assertThat(Setting.secretValues(Map.of("REINDEX_TOKEN", "tok", "REINDEX_SERVER", "http://x")))
        .containsExactly("tok");
    RunCommand run = parse("run", "--", "--jobName=my-token-value");
    assertThatThrownBy(
            () ->
                Launch.of(
                    run.settings(), run.pipelineOptions, Map.of("REINDEX_TOKEN", "my-token-value")))
        .hasMessageContaining("REINDEX_TOKEN")
        .hasMessageNotContaining("my-token-value");
  }

  @Test
  void databasesReachedOverTheNetworkWithoutTlsAreWarnedAbout() {
    assertThat(
            Launch.clearTextWarnings(
                new dev.scorecards.reindex.postgres.PostgresSettings(
                    "jdbc:postgresql://127.0.0.1:5432/db", "u", null),
                new dev.scorecards.reindex.clickhouse.ClickHouseSettings(
                    "http://127.0.0.1:8123", "db", "u", null)))
        .isEmpty();
    assertThat(
            Launch.clearTextWarnings(
                new dev.scorecards.reindex.postgres.PostgresSettings(
                    "jdbc:postgresql://pg.internal:5432/db?sslmode=verify-full", "u", null),
                new dev.scorecards.reindex.clickhouse.ClickHouseSettings(
                    "https://ch.internal:8443", "db", "u", null)))
        .isEmpty();
    assertThat(
            Launch.clearTextWarnings(
                new dev.scorecards.reindex.postgres.PostgresSettings(
                    "jdbc:postgresql://pg.internal:5432/db", "u", null),
                new dev.scorecards.reindex.clickhouse.ClickHouseSettings(
                    "http://ch.internal:8123", "db", "u", null)))
        .hasSize(2)
        .anyMatch(w -> w.contains("ClickHouse at ch.internal over http://"))
        .anyMatch(w -> w.contains("PostgreSQL at pg.internal with sslmode=prefer"));
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
