package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsInput;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsPayload;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReindexSettingsTest {
  private static final Instant NOW = Instant.parse("2026-06-10T12:00:00Z");
  private static final Map<Setting, String> NO_FLAGS = new EnumMap<>(Setting.class);

  private static ReindexSettings resolve(
      ReindexProcessScorecardsPayload payload,
      Map<Setting, String> flags,
      Map<String, String> env) {
    return ReindexSettings.resolve(payload, flags, env, NOW);
  }

  @Test
  void withNothingSetTheDefaultsOfTheOriginalJobApply() {
    ReindexSettings s = resolve(null, NO_FLAGS, Map.of());
    assertThat(s.mode()).isEqualTo(Mode.conversation);
    assertThat(s.window().end()).isEqualTo(NOW);
    assertThat(s.window().start()).isEqualTo(NOW.minus(Duration.ofHours(24)));
    assertThat(s.batchSize()).isEqualTo(50);
    assertThat(s.maxAttempts()).isEqualTo(6);
    assertThat(s.heartbeatTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(s.cleanUpBeforeWrite()).isFalse();
  }

  @Test
  void payloadBeatsFlagsBeatsEnvironmentBeatsDefault() {
    Map<String, String> env =
        Map.of(
            "REINDEX_MODE",
            "all",
            "REINDEX_PROCESS_SCORECARDS_BATCH_SIZE",
            "60",
            "REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS",
            "3",
            "REINDEX_START_TIME",
            "2026-06-01T00:00:00Z",
            "REINDEX_END_TIME",
            "2026-06-02T00:00:00Z");
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.BATCH_SIZE, "70");
    flags.put(Setting.MODE, "process");

    ReindexSettings fromEnvAndFlags = resolve(null, flags, env);
    assertThat(fromEnvAndFlags.mode()).isEqualTo(Mode.process);
    assertThat(fromEnvAndFlags.batchSize()).isEqualTo(70);
    assertThat(fromEnvAndFlags.maxAttempts()).isEqualTo(3);
    assertThat(fromEnvAndFlags.window().start()).isEqualTo(Instant.parse("2026-06-01T00:00:00Z"));

    ReindexProcessScorecardsPayload payload =
        ReindexProcessScorecardsPayload.newBuilder()
            .setStartTime(ReindexSettings.timestamp(Instant.parse("2026-06-05T00:00:00Z")))
            .setEndTime(ReindexSettings.timestamp(Instant.parse("2026-06-06T00:00:00Z")))
            .setReindexBatchSize(80)
            .setCleanUpBeforeWrite(true)
            .build();
    ReindexSettings fromPayload = resolve(payload, flags, env);
    assertThat(fromPayload.batchSize()).isEqualTo(80);
    assertThat(fromPayload.cleanUpBeforeWrite()).isTrue();
    assertThat(fromPayload.window().start()).isEqualTo(Instant.parse("2026-06-05T00:00:00Z"));
    assertThat(fromPayload.window().end()).isEqualTo(Instant.parse("2026-06-06T00:00:00Z"));
    // A payload batch size of 0 means "not set": the flag applies.
    assertThat(resolve(payload.toBuilder().setReindexBatchSize(0).build(), flags, env).batchSize())
        .isEqualTo(70);
  }

  @Test
  void aStartAloneCountsFromItToNowAndAnEndAloneIs24HoursLong() {
    assertThat(
            resolve(null, Map.of(Setting.START, "2026-06-10T00:00:00Z"), Map.of()).window().end())
        .isEqualTo(NOW);
    assertThat(
            resolve(null, Map.of(Setting.END, "2026-06-09T00:00:00Z"), Map.of()).window().start())
        .isEqualTo(Instant.parse("2026-06-08T00:00:00Z"));
  }

  @Test
  void refusesEachBadValueWithOneSentence() {
    assertThatThrownBy(() -> resolve(null, NO_FLAGS, Map.of("REINDEX_MODE", "everything")))
        .hasMessage("the mode 'everything' is not one of conversation, process, all");
    assertThatThrownBy(
            () ->
                resolve(
                    null,
                    NO_FLAGS,
                    Map.of(
                        "REINDEX_START_TIME",
                        "2026-06-10T11:00:00Z",
                        "REINDEX_END_TIME",
                        "2026-06-10T11:00:00Z")))
        .hasMessageStartingWith("the window is empty");
    assertThatThrownBy(
            () -> resolve(null, NO_FLAGS, Map.of("REINDEX_END_TIME", "2026-06-10T12:01:01Z")))
        .hasMessageContaining("more than a minute in the future");
    assertThat(
            resolve(null, NO_FLAGS, Map.of("REINDEX_END_TIME", "2026-06-10T12:00:59Z"))
                .window()
                .end())
        .isEqualTo(Instant.parse("2026-06-10T12:00:59Z"));
    assertThatThrownBy(
            () -> resolve(null, NO_FLAGS, Map.of("REINDEX_PROCESS_SCORECARDS_BATCH_SIZE", "0")))
        .hasMessageContaining("between 1 and 10000");
    assertThatThrownBy(
            () -> resolve(null, NO_FLAGS, Map.of("REINDEX_PROCESS_SCORECARDS_BATCH_SIZE", "10001")))
        .hasMessageContaining("between 1 and 10000");
    assertThatThrownBy(
            () -> resolve(null, NO_FLAGS, Map.of("REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS", "six")))
        .hasMessageContaining("is not a whole number");
    assertThatThrownBy(
            () ->
                resolve(
                    null, NO_FLAGS, Map.of("REINDEX_PROCESS_SCORECARDS_HEARTBEAT_TIMEOUT", "0s")))
        .hasMessageContaining("not a positive duration");
    assertThatThrownBy(
            () ->
                resolve(
                    null,
                    NO_FLAGS,
                    Map.of("REINDEX_PROCESS_SCORECARDS_HEARTBEAT_TIMEOUT", "5 minutes")))
        .hasMessageContaining("not a positive duration");
    for (String huge : new String[] {"9223372036854775807h", "99999999999999999999h"}) {
      assertThatThrownBy(
              () ->
                  resolve(
                      null, NO_FLAGS, Map.of("REINDEX_PROCESS_SCORECARDS_HEARTBEAT_TIMEOUT", huge)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("REINDEX_PROCESS_SCORECARDS_HEARTBEAT_TIMEOUT");
    }
    assertThatThrownBy(
            () -> resolve(null, NO_FLAGS, Map.of("REINDEX_PROCESS_SCORECARDS_BATCH_SIZE", "٥٠")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> resolve(null, NO_FLAGS, Map.of("REINDEX_CH_USER", "evil\r\nuser")))
        .hasMessage(
            "the value of REINDEX_CH_USER contains a control character (a newline, a tab, ...)");
    assertThatThrownBy(() -> resolve(null, Map.of(Setting.PG_USER, "a\nb"), Map.of()))
        .hasMessage("the value of --pg-user contains a control character (a newline, a tab, ...)");
    assertThatThrownBy(
            () ->
                resolve(
                    null,
                    Map.of(Setting.BATCH_SIZE, "0"),
                    Map.of("REINDEX_PROCESS_SCORECARDS_BATCH_SIZE", "7")))
        .as("the message names where the value came from")
        .hasMessageContaining("--batch-size")
        .hasMessageNotContaining("REINDEX_PROCESS_SCORECARDS_BATCH_SIZE");
  }

  private static Duration duration(String text) {
    return Settings.parseDuration(text, () -> "not a duration: " + text);
  }

  @Test
  void durationsInTheUsualNotation() {
    assertThat(duration("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(duration("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(duration("250ms")).isEqualTo(Duration.ofMillis(250));
    for (String text : new String[] {"5m", "1h30m", "90s", "250ms", "2h0m5s"}) {
      Duration d = duration(text);
      assertThat(duration(Settings.format(d))).isEqualTo(d);
    }
    assertThat(Settings.format(Duration.ofMinutes(5))).isEqualTo("5m");
  }

  @Test
  void theLaunchInputCarriesTheEffectiveValues() {
    ReindexSettings s = resolve(null, Map.of(Setting.MODE, "process"), Map.of());
    ReindexProcessScorecardsInput input = s.toInput("job-7");
    assertThat(input.getJobId()).isEqualTo("job-7");
    assertThat(input.getBatchSize()).isEqualTo(50);
    assertThat(input.getMaxAttempts()).isEqualTo(6);
    assertThat(input.getHeartbeatTimeout().getSeconds()).isEqualTo(300);
    assertThat(ReindexSettings.instant(input.getEndTime())).isEqualTo(NOW);
  }
}
