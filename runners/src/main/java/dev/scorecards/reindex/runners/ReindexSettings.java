package dev.scorecards.reindex.runners;

import com.google.protobuf.Timestamp;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsInput;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsPayload;
import dev.scorecards.reindex.run.ReindexConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one reindex does: mode, window, batch size, clean-up, attempts and heartbeat. A value is
 * taken from the job payload first, then from the {@link Settings} (flag, environment, default).
 * {@link #resolve} validates everything at once and refuses bad values with one sentence; nothing
 * downstream sees an unvalidated value.
 */
public record ReindexSettings(
    Mode mode,
    ReindexWindow window,
    int batchSize,
    boolean cleanUpBeforeWrite,
    int maxAttempts,
    Duration heartbeatTimeout) {

  static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
  static final Duration FUTURE_TOLERANCE = Duration.ofMinutes(1);

  /** The effective settings of a reindex; {@code payload} may be null (no job). */
  public static ReindexSettings resolve(
      ReindexProcessScorecardsPayload payload, Settings settings, Instant now) {
    String modeText = settings.text(Setting.MODE);
    Mode mode;
    try {
      mode = Mode.valueOf(modeText.trim().toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the mode '" + modeText + "' is not one of conversation, process, all");
    }
    Instant end =
        payload != null && payload.hasEndTime()
            ? instant(payload.getEndTime())
            : timeOr(settings.text(Setting.END), "end", now);
    Instant start =
        payload != null && payload.hasStartTime()
            ? instant(payload.getStartTime())
            : timeOr(settings.text(Setting.START), "start", end.minus(DEFAULT_WINDOW));
    if (!start.isBefore(end)) {
      throw new IllegalArgumentException(
          "the window is empty: start " + start + " is not before end " + end);
    }
    if (end.isAfter(now.plus(FUTURE_TOLERANCE))) {
      throw new IllegalArgumentException(
          "the window ends at " + end + ", more than a minute in the future (now is " + now + ")");
    }
    boolean fromPayload = payload != null && payload.getReindexBatchSize() != 0;
    int batchSize =
        fromPayload
            ? payload.getReindexBatchSize()
            : settings.integer(Setting.BATCH_SIZE, Integer.MIN_VALUE, Integer.MAX_VALUE);
    if (batchSize < 1 || batchSize > ReindexConfig.MAX_BATCH_SIZE) {
      throw new IllegalArgumentException(
          "the batch size must be between 1 and "
              + ReindexConfig.MAX_BATCH_SIZE
              + ", not "
              + batchSize
              + " ("
              + (fromPayload ? "the job's reindex_batch_size" : settings.source(Setting.BATCH_SIZE))
              + ")");
    }
    int maxAttempts = settings.integer(Setting.MAX_ATTEMPTS, 1, 100);
    Duration heartbeat = settings.duration(Setting.HEARTBEAT_TIMEOUT);
    boolean cleanUp =
        payload != null
            ? payload.getCleanUpBeforeWrite()
            : settings.bool(Setting.CLEAN_UP_BEFORE_WRITE);
    return new ReindexSettings(
        mode, ReindexWindow.of(start, end), batchSize, cleanUp, maxAttempts, heartbeat);
  }

  /** Resolves {@code flags} and {@code env} first (see {@link Settings#resolve}). */
  public static ReindexSettings resolve(
      ReindexProcessScorecardsPayload payload,
      Map<Setting, String> flags,
      Map<String, String> env,
      Instant now) {
    return resolve(payload, Settings.resolve(flags, env), now);
  }

  private static Instant timeOr(String text, String what, Instant otherwise) {
    return text == null ? otherwise : ReindexWindow.parseTime(what, text);
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
        .setHeartbeatTimeout(
            com.google.protobuf.Duration.newBuilder()
                .setSeconds(heartbeatTimeout.getSeconds())
                .setNanos(heartbeatTimeout.getNano()))
        .setJobId(jobId == null ? "" : jobId)
        .build();
  }

  /** The effective values of the window and job settings, one line each. */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    lines.add(line(Setting.MODE, mode.name()));
    lines.add(line(Setting.START, window.start().toString()));
    lines.add(line(Setting.END, window.end().toString()));
    lines.add(line(Setting.BATCH_SIZE, Integer.toString(batchSize)));
    lines.add(line(Setting.MAX_ATTEMPTS, Integer.toString(maxAttempts)));
    lines.add(line(Setting.HEARTBEAT_TIMEOUT, Settings.format(heartbeatTimeout)));
    lines.add(line(Setting.CLEAN_UP_BEFORE_WRITE, Boolean.toString(cleanUpBeforeWrite)));
    return lines;
  }

  static String line(Setting s, String value) {
    return String.format("  %-45s %s", s.env, value);
  }
}
