package dev.scorecards.reindex.runners;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags of {@link ReindexSettings}. They have no defaults here: an absent flag falls
 * back to its environment variable, then to the default, in {@link ReindexSettings#resolve}.
 */
public class SettingsOptions {
  @Option(names = "--mode", description = "conversation, process or all (env REINDEX_MODE; default conversation)")
  String mode;

  @Option(names = "--start", description = "RFC 3339 start of the window, inclusive (env REINDEX_START_TIME; default 24 hours before now)")
  String start;

  @Option(names = "--end", description = "RFC 3339 end of the window, exclusive (env REINDEX_END_TIME; default now)")
  String end;

  @Option(names = "--batch-size", description = "scorecards per PostgreSQL batch, 1..10000 (env REINDEX_PROCESS_SCORECARDS_BATCH_SIZE; default 50)")
  String batchSize;

  @Option(names = "--max-attempts", description = "attempts before a run gives up (env REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS; default 6)")
  String maxAttempts;

  @Option(names = "--heartbeat-timeout", description = "longest time without progress, e.g. 5m (env REINDEX_PROCESS_SCORECARDS_HEARTBEAT_TIMEOUT; default 5m)")
  String heartbeatTimeout;

  @Option(names = "--clean-up-before-write", description = "delete what ClickHouse holds for the window's scorecards (and orphans) before writing")
  boolean cleanUp;

  Map<ReindexSettings.Setting, String> flags() {
    Map<ReindexSettings.Setting, String> flags = new EnumMap<>(ReindexSettings.Setting.class);
    put(flags, ReindexSettings.Setting.MODE, mode);
    put(flags, ReindexSettings.Setting.START_TIME, start);
    put(flags, ReindexSettings.Setting.END_TIME, end);
    put(flags, ReindexSettings.Setting.BATCH_SIZE, batchSize);
    put(flags, ReindexSettings.Setting.MAX_ATTEMPTS, maxAttempts);
    put(flags, ReindexSettings.Setting.HEARTBEAT_TIMEOUT, heartbeatTimeout);
    return flags;
  }

  private static void put(Map<ReindexSettings.Setting, String> flags, ReindexSettings.Setting s, String value) {
    if (value != null) {
      flags.put(s, value);
    }
  }

  ReindexSettings resolve() {
    return ReindexSettings.resolve(null, flags(), System.getenv(), cleanUp, Instant.now());
  }
}
