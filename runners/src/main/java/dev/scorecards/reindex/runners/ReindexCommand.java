package dev.scorecards.reindex.runners;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A command that launches reindexes ({@code run}, {@code schedule}): it takes every setting and
 * Beam or Flink pipeline options after {@code --}, and builds them through {@link Launch}.
 */
abstract class ReindexCommand implements CliSettings.Command {
  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "PIPELINE_OPTION",
      arity = "0..*",
      description = "Beam or Flink pipeline options after --, e.g. -- --maxParallelism=8")
  List<String> pipelineOptions = new ArrayList<>();

  @Override
  public Set<Setting.Group> settingGroups() {
    return Setting.Group.REINDEX;
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  /** The reindex the flags and the environment describe, checked. */
  ReindexSettings job(Settings settings) {
    return ReindexSettings.resolve(null, settings, Instant.now());
  }

  /** Its launch, checked (before anything touches a database). */
  Launch launch(Settings settings) {
    return Launch.of(settings, pipelineOptions, System.getenv());
  }
}
