package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsInput;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsPayload;
import com.google.protobuf.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The job's configuration: each setting has an environment variable, a flag and a default,
 * and a value is taken from the job payload first, then the flag, then the environment, then
 * the default. {@link #resolve} validates everything at once and refuses bad values with one
 * sentence; nothing downstream sees an unvalidated value.
 */
public record ReindexSettings(
    Mode mode, ReindexWindow window, int batchSize, boolean cleanUpBeforeWrite, int maxAttempts, Duration heartbeatTimeout) {

  /** One setting: its environment variable, its flag and its default (as text; null when computed). */
  public enum Setting {
    MODE("REINDEX_MODE", "--mode", "conversation", "conversation, process or all"),
    START_TIME("REINDEX_START_TIME", "--start", null, "RFC 3339 start (inclusive); default 24 hours before now"),
    END_TIME("REINDEX_END_TIME", "--end", null, "RFC 3339 end (exclusive); default now"),
    BATCH_SIZE("REINDEX_PROCESS_SCORECARDS_BATCH_SIZE", "--batch-size", "50", "scorecards per PostgreSQL batch, 1..10000"),
    MAX_ATTEMPTS("REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS", "--max-attempts", "6", "attempts before a run gives up"),
    HEARTBEAT_TIMEOUT("REINDEX_PROCESS_SCORECARDS_HEARTBEAT_TIMEOUT", "--heartbeat-timeout", "5m",
        "longest time without progress before an attempt is abandoned");

    public final String env;
    public final String flag;
    public final String defaultValue;
    public final String meaning;

    Setting(String env, String flag, String defaultValue, String meaning) {
      this.env = env;
      this.flag = flag;
      this.defaultValue = defaultValue;
      this.meaning = meaning;
    }
  }

  static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
  static final Duration FUTURE_TOLERANCE = Duration.ofMinutes(1);

  /**
   * The effective settings. {@code payload} may be null (no job); {@code flags} holds the
   * flags given (by {@link Setting}), absent when not given; {@code env} is the environment.
   */
  public static ReindexSettings resolve(
      ReindexProcessScorecardsPayload payload, Map<Setting, String> flags, Map<String, String> env, boolean cleanUpFlag, Instant now) {
    String modeText = pick(Setting.MODE, null, flags, env);
    Mode mode;
    try {
      mode = Mode.valueOf(modeText.trim().toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the mode '" + modeText + "' is not one of conversation, process, all");
    }
    Instant end = payload != null && payload.hasEndTime()
        ? instant(payload.getEndTime())
        : timeOr(pick(Setting.END_TIME, null, flags, env), "end", now);
    Instant start = payload != null && payload.hasStartTime()
        ? instant(payload.getStartTime())
        : timeOr(pick(Setting.START_TIME, null, flags, env), "start", end.minus(DEFAULT_WINDOW));
    if (!start.isBefore(end)) {
      throw new IllegalArgumentException("the window is empty: start " + start + " is not before end " + end);
    }
    if (end.isAfter(now.plus(FUTURE_TOLERANCE))) {
      throw new IllegalArgumentException("the window ends at " + end + ", more than a minute in the future (now is " + now + ")");
    }
    String batchText = payload != null && payload.getReindexBatchSize() != 0
        ? Integer.toString(payload.getReindexBatchSize())
        : pick(Setting.BATCH_SIZE, null, flags, env);
    int batchSize = integer(Setting.BATCH_SIZE, batchText);
    if (batchSize < 1 || batchSize > ReindexConfig.MAX_BATCH_SIZE) {
      throw new IllegalArgumentException("the batch size must be between 1 and " + ReindexConfig.MAX_BATCH_SIZE + ", not " + batchSize);
    }
    int maxAttempts = integer(Setting.MAX_ATTEMPTS, pick(Setting.MAX_ATTEMPTS, null, flags, env));
    if (maxAttempts < 1 || maxAttempts > 100) {
      throw new IllegalArgumentException("the maximum number of attempts must be between 1 and 100, not " + maxAttempts);
    }
    Duration heartbeat = duration(Setting.HEARTBEAT_TIMEOUT, pick(Setting.HEARTBEAT_TIMEOUT, null, flags, env));
    boolean cleanUp = payload != null ? payload.getCleanUpBeforeWrite() : cleanUpFlag;
    return new ReindexSettings(mode, ReindexWindow.of(start, end), batchSize, cleanUp, maxAttempts, heartbeat);
  }

  private static String pick(Setting s, String fromPayload, Map<Setting, String> flags, Map<String, String> env) {
    if (fromPayload != null) {
      return fromPayload;
    }
    if (flags.get(s) != null) {
      return flags.get(s);
    }
    String fromEnv = env.get(s.env);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv;
    }
    return s.defaultValue;
  }

  private static Instant timeOr(String text, String what, Instant otherwise) {
    return text == null ? otherwise : ReindexWindow.parseTime(what, text);
  }

  private static int integer(Setting s, String text) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the " + s.flag.substring(2).replace('-', ' ') + " '" + text + "' (" + s.env + ") is not a whole number");
    }
  }

  private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|h|m|s)");

  /** A duration such as {@code 5m}, {@code 90s}, {@code 1h30m} or {@code 250ms}. */
  static Duration duration(Setting s, String text) {
    String t = text == null ? "" : text.trim();
    Matcher m = DURATION_PART.matcher(t);
    Duration total = Duration.ZERO;
    int at = 0;
    while (m.find() && m.start() == at) {
      long n = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "h" -> Duration.ofHours(n);
        case "m" -> Duration.ofMinutes(n);
        case "s" -> Duration.ofSeconds(n);
        default -> Duration.ofMillis(n);
      });
      at = m.end();
    }
    if (t.isEmpty() || at != t.length() || total.isZero()) {
      throw new IllegalArgumentException("the " + s.flag.substring(2).replace('-', ' ') + " '" + text + "' (" + s.env
          + ") is not a positive duration such as 5m, 90s or 1h30m");
    }
    return total;
  }

  /** A duration in the notation {@link #duration} reads: {@code 5m}, {@code 1h30m}, {@code 250ms}. */
  static String format(Duration d) {
    StringBuilder out = new StringBuilder();
    if (d.toHours() > 0) {
      out.append(d.toHours()).append('h');
    }
    if (d.toMinutesPart() > 0) {
      out.append(d.toMinutesPart()).append('m');
    }
    if (d.toSecondsPart() > 0) {
      out.append(d.toSecondsPart()).append('s');
    }
    if (d.toMillisPart() > 0) {
      out.append(d.toMillisPart()).append("ms");
    }
    return out.toString();
  }

  static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  /** The launch input of this run, as the pipeline launch receives it. */
  public ReindexProcessScorecardsInput toInput(String jobId) {
    return ReindexProcessScorecardsInput.newBuilder()
        .setStartTime(timestamp(window.start()))
        .setEndTime(timestamp(window.end()))
        .setBatchSize(batchSize)
        .setCleanUpBeforeWrite(cleanUpBeforeWrite)
        .setMaxAttempts(maxAttempts)
        .setHeartbeatTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(heartbeatTimeout.getSeconds()).setNanos(heartbeatTimeout.getNano()))
        .setJobId(jobId == null ? "" : jobId)
        .build();
  }

  /** The effective configuration, one line a setting, without secrets. */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    lines.add(String.format("  %-45s %s", Setting.MODE.env, mode));
    lines.add(String.format("  %-45s %s", Setting.START_TIME.env, window.start()));
    lines.add(String.format("  %-45s %s", Setting.END_TIME.env, window.end()));
    lines.add(String.format("  %-45s %d", Setting.BATCH_SIZE.env, batchSize));
    lines.add(String.format("  %-45s %d", Setting.MAX_ATTEMPTS.env, maxAttempts));
    lines.add(String.format("  %-45s %s", Setting.HEARTBEAT_TIMEOUT.env, format(heartbeatTimeout)));
    lines.add(String.format("  %-45s %s", "clean up before write", cleanUpBeforeWrite));
    return lines;
  }
}
