package dev.scorecards.reindex.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReindexWindowTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void parsesRfc3339WithOffsetsAndFractions() {
    ReindexWindow w =
        ReindexWindow.parse("2026-03-01T12:00:00.000001+02:00", "2026-03-01T11:00:00Z");
    assertThat(w.start()).isEqualTo(Instant.parse("2026-03-01T10:00:00.000001Z"));
    assertThat(w.end()).isEqualTo(Instant.parse("2026-03-01T11:00:00Z"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"2026-03-01", "2026-03-01T10:00:00", "yesterday", "", "2026-13-01T00:00:00Z"})
  void refusesTimesThatAreNotRfc3339(String text) {
    assertThatThrownBy(() -> ReindexWindow.parse(text, "2026-03-02T00:00:00Z"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an RFC 3339 time");
  }

  @Test
  void refusesEmptyAndReversedWindows() {
    assertThatThrownBy(() -> ReindexWindow.of(T0, T0)).hasMessageContaining("window is empty");
    assertThatThrownBy(() -> ReindexWindow.of(T0.plusSeconds(1), T0))
        .hasMessageContaining("window is empty");
    // Two bounds inside the same microsecond make an empty window too.
    assertThatThrownBy(() -> ReindexWindow.of(T0.plusNanos(1), T0.plusNanos(999)))
        .hasMessageContaining("window is empty");
  }

  @Test
  void boundsFinerThanAMicrosecondRiseToTheNextOne() {
    ReindexWindow w = ReindexWindow.of(T0.plusNanos(1), T0.plusNanos(1_001));
    assertThat(w.startMicros()).isEqualTo(ReindexWindow.ceilMicros(T0) + 1);
    assertThat(w.endMicros()).isEqualTo(ReindexWindow.ceilMicros(T0) + 2);
    // Before 1970 too: ceil, not truncation towards zero.
    Instant before1970 = Instant.parse("1969-12-31T23:59:59.999999500Z");
    assertThat(ReindexWindow.ceilMicros(before1970)).isEqualTo(0L);
  }

  @Test
  void splitCoversTheWindowExactlyOnce() {
    ReindexWindow w = ReindexWindow.of(T0, T0.plusSeconds(3600).plusNanos(7_000));
    for (int n : new int[] {1, 2, 3, 7, 64, 200}) {
      List<ReindexWindow.TimeRange> ranges = w.split(n);
      assertThat(ranges).hasSize(n);
      assertThat(ranges.get(0).startMicros()).isEqualTo(w.startMicros());
      assertThat(ranges.get(n - 1).endMicros()).isEqualTo(w.endMicros());
      for (int i = 1; i < n; i++) {
        assertThat(ranges.get(i).startMicros()).isEqualTo(ranges.get(i - 1).endMicros());
      }
      long shortest =
          ranges.stream().mapToLong(r -> r.endMicros() - r.startMicros()).min().getAsLong();
      long longest =
          ranges.stream().mapToLong(r -> r.endMicros() - r.startMicros()).max().getAsLong();
      assertThat(longest - shortest).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void theEdgesToTheMicrosecond() {
    ReindexWindow w = ReindexWindow.of(T0, T0.plusSeconds(60));
    for (int n : new int[] {1, 4, 13}) {
      List<ReindexWindow.TimeRange> ranges = w.split(n);
      assertThat(countContaining(ranges, w.startMicros())).as("a row at start is in").isEqualTo(1);
      assertThat(countContaining(ranges, w.startMicros() - 1))
          .as("a row a microsecond before start is out")
          .isZero();
      assertThat(countContaining(ranges, w.endMicros() - 1))
          .as("a row a microsecond before end is in")
          .isEqualTo(1);
      assertThat(countContaining(ranges, w.endMicros())).as("a row at end is out").isZero();
      for (ReindexWindow.TimeRange r : ranges) {
        assertThat(countContaining(ranges, r.startMicros())).isEqualTo(1);
        assertThat(countContaining(ranges, r.endMicros() - 1)).isEqualTo(1);
      }
    }
  }

  @Test
  void aWindowShorterThanThePartitionsGivesOneRangeAMicrosecond() {
    ReindexWindow w = ReindexWindow.of(T0, T0.plusNanos(3_000));
    assertThat(w.split(10))
        .extracting(r -> r.endMicros() - r.startMicros())
        .containsExactly(1L, 1L, 1L);
  }

  @Test
  void clickHouseSecondsAreTheWholeSecondsInTheWindow() {
    assertThat(ReindexWindow.of(T0, T0.plusSeconds(10)).clickHouseSeconds())
        .containsExactly(T0.getEpochSecond(), T0.getEpochSecond() + 10);
    // start 10:00:00.5 excludes the second 10:00:00; end 10:00:10.5 includes 10:00:10.
    assertThat(
            ReindexWindow.of(T0.plusMillis(500), T0.plusSeconds(10).plusMillis(500))
                .clickHouseSeconds())
        .containsExactly(T0.getEpochSecond() + 1, T0.getEpochSecond() + 11);
  }

  @Test
  void partitionPlanScalesWithTheCountWithinLimits() {
    assertThat(PartitionPlan.partitions(0, 50_000, 64)).isEqualTo(1);
    assertThat(PartitionPlan.partitions(50_000, 50_000, 64)).isEqualTo(1);
    assertThat(PartitionPlan.partitions(50_001, 50_000, 64)).isEqualTo(2);
    assertThat(PartitionPlan.partitions(1_000_000, 50_000, 64)).isEqualTo(20);
    assertThat(PartitionPlan.partitions(100_000_000, 50_000, 64)).isEqualTo(64);
  }

  private static long countContaining(List<ReindexWindow.TimeRange> ranges, long micros) {
    return ranges.stream().filter(r -> r.contains(micros)).count();
  }

  @Test
  void windowsReachingOutsideClickHousesDateTimeAreRefusedInOneSentence() {
    for (String[] w :
        new String[][] {
          {"0001-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
          {"0000-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
          {"-0001-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
          {"-300000-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
          {"1969-12-31T23:59:59.999999Z", "2026-01-01T00:00:00Z"},
          {"2026-01-01T00:00:00Z", "2106-02-07T06:28:16.000001Z"},
          {"2026-01-01T00:00:00Z", "+300000-01-01T00:00:00Z"}
        }) {
      assertThatThrownBy(() -> ReindexWindow.parse(w[0], w[1]))
          .as("%s .. %s", w[0], w[1])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("reaches outside what ClickHouse's DateTime holds");
    }
    // The whole range is allowed: [1970-01-01T00:00:00Z, 2^32 s).
    ReindexWindow all = ReindexWindow.parse("1970-01-01T00:00:00Z", "2106-02-07T06:28:16Z");
    assertThat(all.clickHouseSeconds()).containsExactly(0L, 1L << 32);
  }

  @Test
  void timesTheCliRefusesAreRefusedEverywhere() {
    for (String t :
        new String[] {
          "2026-06-30T23:59:60Z", "2026-01-01T00:00:00+25:00", "2026-01-01T00:00:00.123456789012Z"
        }) {
      assertThatThrownBy(() -> ReindexWindow.parseTime("start", t))
          .as(t)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is not an RFC 3339 time");
    }
  }
}
