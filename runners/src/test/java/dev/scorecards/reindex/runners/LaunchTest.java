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
    for (Setting s : Setting.values()) {
      if (s.group != Setting.Group.CONNECTION) {
        assertThat(described).contains(s.env);
      }
    }
    assertThat(described).doesNotContain("s3cret-value").doesNotContain("pg-secret");
  }

  @Test
  void theReadmeConfigurationTableIsTheDeclarations() throws Exception {
    Path readme = Path.of("..", "README.md");
    String text = Files.readString(readme);
    String begin = "<!-- settings-table:begin -->\n";
    String end = "<!-- settings-table:end -->";
    String table = text.substring(text.indexOf(begin) + begin.length(), text.indexOf(end));
    String expected = Setting.markdownTable();
    if (!table.equals(expected)) {
      Files.writeString(Path.of("target", "settings-table.md"), expected);
    }
    assertThat(table)
        .as(
            "README.md's configuration table (the expected one is in runners/target/settings-table.md)")
        .isEqualTo(expected);
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
