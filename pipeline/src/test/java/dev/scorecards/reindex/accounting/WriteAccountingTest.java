package dev.scorecards.reindex.accounting;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.ClickHouseMapping;
import dev.scorecards.reindex.model.ClickHouseMappingTest;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.ReindexWindow;
import org.apache.beam.sdk.values.Row;
import org.junit.jupiter.api.Test;

/**
 * The digest of a score row must be the one ClickHouse's expression computes for the row it holds.
 */
class WriteAccountingTest {
  @Test
  void theDigestIsClickHousesSipHash64OfTheNulSeparatedKeyAndVersion() {
    // Computed by ClickHouse 18.16.1: SELECT sipHash64(concat(id, '\0', criterion, '\0',
    // toString(seconds))).
    assertThat(Long.toUnsignedString(WriteAccounting.scoreDigest("sc-1", "crit-1", 1_700_000_000L)))
        .isEqualTo("7749252939445927655");
    assertThat(Long.toUnsignedString(WriteAccounting.scoreDigest("sc\t1\\2\nné:12:3", "crité", 0L)))
        .isEqualTo("15311295629855405082");
  }

  @Test
  void oneReusedBufferDigestsEveryRowAsItsOwnBytesWould() {
    java.util.Random random = new java.util.Random(11);
    String[] alphabet = {"a", "Z", "7", "-", "\t", "\\", "é", "ß", "€", "😀", "\u0000"};
    long[] seconds = {0, 9, 10, 1_700_000_000L, -1, -86_400, Long.MAX_VALUE, Long.MIN_VALUE};
    WriteAccounting.ScoreDigests digests = new WriteAccounting.ScoreDigests();
    for (int i = 0; i < 2_000; i++) {
      // Short and long (past the buffer's first 128 bytes), in random order, so that a longer
      // message's bytes are left in the buffer when a shorter one follows.
      String id = randomText(random, alphabet, random.nextInt(i % 3 == 0 ? 200 : 40));
      String criterion = randomText(random, alphabet, random.nextInt(40));
      long second =
          random.nextBoolean() ? seconds[random.nextInt(seconds.length)] : random.nextLong();
      byte[] plain =
          (id + '\0' + criterion + '\0' + second).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      assertThat(digests.of(id, criterion, second))
          .as("%s / %s / %d", id, criterion, second)
          .isEqualTo(SipHash.hash24(plain));
    }
  }

  private static String randomText(java.util.Random random, String[] alphabet, int length) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < length; i++) {
      // Mostly ASCII, as ids are, with the other characters anywhere in the text.
      text.append(
          random.nextInt(8) == 0
              ? alphabet[6 + random.nextInt(alphabet.length - 6)]
              : alphabet[random.nextInt(6)]);
    }
    return text.toString();
  }

  @Test
  void theSeparatorKeepsKeysThatGlueAlikeApart() {
    assertThat(WriteAccounting.scoreDigest("ab", "c", 1L))
        .isNotEqualTo(WriteAccounting.scoreDigest("a", "bc", 1L));
    assertThat(WriteAccounting.scoreDigest("a", "b", 12L))
        .isNotEqualTo(WriteAccounting.scoreDigest("a", "b1", 2L));
  }

  @Test
  void aWindowsSecondsRunFromItsStartsSecondToItsEndsIncluded() {
    ReindexWindow cutInsideSeconds =
        ReindexWindow.of(
            java.time.Instant.ofEpochSecond(100, 500_000_000),
            java.time.Instant.ofEpochSecond(200, 1_000));
    assertThat(WriteAccounting.secondsOf(cutInsideSeconds))
        .isEqualTo("toUInt32(update_time) >= 100 AND toUInt32(update_time) <= 200");
    // A window before 1970 can no longer be made (ReindexWindowTest): nothing to clamp.
  }

  @Test
  void aRowsDigestUsesItsUpdateTimeInWholeSeconds() {
    java.time.Instant updated = java.time.Instant.parse("2026-02-03T09:30:15.999999Z");
    Row scorecard =
        ClickHouseMapping.row(
            ClickHouseTable.SCORECARDS,
            "cust",
            "prof",
            "sc-1",
            "tpl",
            3,
            1,
            null,
            null,
            "creator",
            null,
            1.0,
            null,
            updated,
            updated);
    Row score =
        ClickHouseMapping.score(
            scorecard,
            ClickHouseMappingTest.ownScore("sc-1", "crit-1", 2.0, false, false, null, updated));
    assertThat(WriteAccounting.scoreDigest(score))
        .isEqualTo(
            WriteAccounting.scoreDigest(
                "sc-1",
                "crit-1",
                java.time.Instant.parse("2026-02-03T09:30:15Z").getEpochSecond()));
  }
}
