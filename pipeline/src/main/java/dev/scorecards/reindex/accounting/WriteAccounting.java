package dev.scorecards.reindex.accounting;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Flow;
import dev.scorecards.reindex.model.PerTable;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.postgres.PostgresQueries;
import dev.scorecards.reindex.postgres.PostgresSettings;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.Row;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Checks that ClickHouse received what the run wrote, independently of what the writer reported: a
 * writer can report success while sending empty inserts (seen with clickhouse-jdbc 0.6.4 and
 * ClickHouse 18.16). The keys and versions of the window's rows are streamed from PostgreSQL into
 * ClickHouse as external tables, and ClickHouse counts how many of them it holds at exactly that
 * version ({@link #check(ReindexWindow, java.util.Set)}).
 *
 * <p>After a run, the scores are first checked against what the run wrote instead ({@link
 * #check(ReindexWindow, java.util.Set, Written)}): the run sums a digest of every score row it
 * hands to the writer, and ClickHouse sums the same digest over the rows it holds for the window's
 * scorecards. Only the scorecards' keys then come from PostgreSQL (an index range of the scorecards
 * table), not the scores' (a join that read the whole scores table for every chunk: 1.2 s of
 * PostgreSQL's CPU per 100,000 scorecards in a 2.4-million-score table, whatever the chunk's size).
 * When count or digest differ, the exact check runs and decides.
 */
public final class WriteAccounting {
  private final PostgresSettings postgres;
  private final ClickHouseClient clickHouse;

  public WriteAccounting(PostgresSettings postgres, ClickHouseClient clickHouse) {
    this.postgres = postgres;
    this.clickHouse = clickHouse;
  }

  /**
   * A count that was not taken: the scores ClickHouse holds matched what the run wrote (digest).
   */
  public static final long NOT_COUNTED = -1;

  /**
   * What the run handed to the score writer: how many rows, and the sum of their {@link
   * #scoreDigest}s.
   */
  public record Written(long scores, long scoresDigest) {}

  /**
   * How many rows PostgreSQL has in the window, and how many of those ClickHouse holds; {@code
   * scoresInPostgres} is {@link #NOT_COUNTED} when the scores were checked against what the run
   * wrote, and {@code scoresInClickHouse} then counts the keys ClickHouse holds for the window's
   * scorecards.
   */
  public record Received(PerTable inPostgres, PerTable inClickHouse) {
    public static Received of(long[] conversations, long[] scorecards, long[] scores) {
      java.util.Map<ClickHouseTable, long[]> counts =
          java.util.Map.of(
              ClickHouseTable.CONVERSATIONS, conversations,
              ClickHouseTable.SCORECARDS, scorecards,
              ClickHouseTable.SCORES, scores);
      return new Received(PerTable.of(t -> counts.get(t)[0]), PerTable.of(t -> counts.get(t)[1]));
    }
  }

  /**
   * The digest of one score row as ClickHouse stores it: SipHash-2-4 (key 0, 0), ClickHouse's
   * {@code sipHash64}, of its scorecard id, criterion id and update time in whole seconds,
   * separated by NUL bytes (which PostgreSQL text cannot hold, so the encoding is one-to-one).
   * {@link #digestOfAllScores} and {@link #digestOfNewestScores} compute the same in ClickHouse.
   */
  public static long scoreDigest(String scorecardId, String criterionId, long updateTimeSeconds) {
    return new ScoreDigests().of(scorecardId, criterionId, updateTimeSeconds);
  }

  /** {@link #scoreDigest} of a {@code scores} row. */
  public static long scoreDigest(Row score) {
    return new ScoreDigests().of(score);
  }

  /**
   * {@link #scoreDigest}s computed in one buffer kept for the next: the message is written straight
   * into it (ASCII as is, other text as UTF-8, the seconds as decimal digits) instead of as three
   * byte arrays and a fourth joining them, per score row (a twelfth of the bytes a Flink run
   * allocated). One per thread.
   */
  public static final class ScoreDigests {
    private byte[] message = new byte[128];
    private int length;

    /** {@link #scoreDigest} of a {@code scores} row, its fields read by position. */
    public long of(Row score) {
      // The stored instant itself (getDateTime would build a DateTime per row).
      return of(
          score.getString(SCORECARD_ID),
          score.getString(CRITERION_ID),
          Math.floorDiv(
              ((org.joda.time.ReadableInstant) score.getValue(UPDATE_TIME)).getMillis(), 1000L));
    }

    public long of(String scorecardId, String criterionId, long updateTimeSeconds) {
      length = 0;
      text(scorecardId);
      room(1);
      message[length++] = 0;
      text(criterionId);
      room(1);
      message[length++] = 0;
      decimal(updateTimeSeconds);
      return SipHash.hash24(message, length);
    }

    /** The text's UTF-8 bytes (as {@code String.getBytes}). */
    private void text(String text) {
      int n = text.length();
      room(n);
      for (int i = 0; i < n; i++) {
        char c = text.charAt(i);
        if (c >= 0x80) {
          // The rest from the first character that is not ASCII (never inside a surrogate pair).
          byte[] rest = text.substring(i).getBytes(StandardCharsets.UTF_8);
          room(rest.length);
          System.arraycopy(rest, 0, message, length, rest.length);
          length += rest.length;
          return;
        }
        message[length++] = (byte) c;
      }
    }

    /** The number's decimal digits (as {@code Long.toString}). */
    private void decimal(long value) {
      room(20);
      if (value == Long.MIN_VALUE) {
        for (char c : Long.toString(value).toCharArray()) {
          message[length++] = (byte) c;
        }
        return;
      }
      if (value < 0) {
        message[length++] = '-';
        value = -value;
      }
      int digits = 1;
      for (long rest = value / 10; rest > 0; rest /= 10) {
        digits++;
      }
      for (int i = length + digits - 1; i >= length; i--) {
        message[i] = (byte) ('0' + value % 10);
        value /= 10;
      }
      length += digits;
    }

    private void room(int more) {
      if (length + more > message.length) {
        message = java.util.Arrays.copyOf(message, Math.max(2 * message.length, length + more));
      }
    }
  }

  private static final int SCORECARD_ID =
      ClickHouseTable.SCORES.beamSchema().indexOf("scorecard_id");
  private static final int CRITERION_ID =
      ClickHouseTable.SCORES.beamSchema().indexOf("criterion_id");
  private static final int UPDATE_TIME = ClickHouseTable.SCORES.beamSchema().indexOf("update_time");

  /**
   * For the scorecards of the external table {@code keys}: how many score rows ClickHouse holds,
   * and the sum of their {@link #scoreDigest}s, every row and version as stored. When this is what
   * the run wrote, ClickHouse holds exactly the rows written and nothing else for these scorecards;
   * it is the cheap question (one scan, no grouping, unlike {@link #digestOfNewestScores}).
   */
  static String digestOfAllScores(String qualifiedScores) {
    return "SELECT count(), sum(sipHash64(concat(scorecard_id, '\\0', criterion_id, '\\0', toString(toUInt32(update_time))))) FROM "
        + qualifiedScores
        + " PREWHERE scorecard_id IN (SELECT id FROM keys)";
  }

  /**
   * For the scorecards of the external table {@code keys}: how many score keys ClickHouse holds,
   * and the sum of their {@link #scoreDigest}s at the newest version it holds of each (what a
   * ReplacingMergeTree keeps). Sums wrap around at 2^64 on both sides. Asked when {@link
   * #digestOfAllScores} differs: older copies the run replaced are still unmerged.
   */
  static String digestOfNewestScores(String qualifiedScores) {
    return "SELECT count(), sum(sipHash64(concat(scorecard_id, '\\0', criterion_id, '\\0', toString(v)))) FROM"
        + " (SELECT scorecard_id, criterion_id, max(toUInt32(update_time)) AS v FROM "
        + qualifiedScores
        + " PREWHERE scorecard_id IN (SELECT id FROM keys) GROUP BY scorecard_id, criterion_id)";
  }

  /**
   * The check after a run: conversations and scorecards exactly as {@link #check(ReindexWindow,
   * java.util.Set)} does; the scores by count and digest against {@code written}. When those
   * differ, the whole exact check runs and its counts are returned.
   */
  public Received check(ReindexWindow window, java.util.Set<Flow> flows, Written written)
      throws SQLException {
    long[] conversations = {0, 0};
    if (flows.contains(Flow.CONVERSATION)) {
      conversations =
          matchKeys(
              window,
              PostgresQueries.CONVERSATION_KEYS,
              ClickHouseTable.CONVERSATIONS,
              "conversation_id",
              null,
              window);
    }
    long[] scorecards = {0, 0};
    long[] held = {0, 0};
    List<byte[]> keysOfFlows = new ArrayList<>();
    String scores = clickHouse.settings().qualified(ClickHouseTable.SCORES);
    for (Flow flow : flows) {
      // The scorecards' keys once from PostgreSQL, then both ClickHouse queries on them at once.
      byte[] keys = copyOut(PostgresQueries.withWindowLiterals(flow.scorecardKeys, window));
      keysOfFlows.add(keys);
      long inPostgres = lines(keys);
      java.util.concurrent.CompletableFuture<String> digest =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () ->
                  clickHouse.executeWithStreamedExternalTable(
                      digestOfAllScores(scores), "keys", KEY_STRUCTURE, out -> out.write(keys)));
      long inClickHouse =
          Long.parseLong(
              clickHouse
                  .executeWithStreamedExternalTable(
                      matchSql(
                          ClickHouseTable.SCORECARDS,
                          "scorecard_id",
                          null,
                          versionsWithin(flow, window)),
                      "keys",
                      KEY_STRUCTURE,
                      out -> out.write(keys))
                  .trim());
      scorecards = new long[] {scorecards[0] + inPostgres, scorecards[1] + inClickHouse};
      held = add(held, join(digest));
    }
    if (held[0] != written.scores() || held[1] != written.scoresDigest()) {
      // Not only the rows written: the copies they replace may still be there, unmerged.
      held = new long[] {0, 0};
      for (byte[] keys : keysOfFlows) {
        held =
            add(
                held,
                clickHouse.executeWithStreamedExternalTable(
                    digestOfNewestScores(scores), "keys", KEY_STRUCTURE, out -> out.write(keys)));
      }
    }
    if (held[0] == written.scores() && held[1] == written.scoresDigest()) {
      return Received.of(conversations, scorecards, new long[] {NOT_COUNTED, held[0]});
    }
    // Rare (a lost write, a newer version in ClickHouse): the exact check counts everything again.
    return check(window, flows);
  }

  private static final String KEY_STRUCTURE = "id String, t UInt32";

  /** Adds a digest query's answer (count TAB digest) to a running count and digest. */
  private static long[] add(long[] held, String answer) {
    String[] fields = answer.trim().split("\t");
    return new long[] {
      held[0] + Long.parseLong(fields[0]), held[1] + Long.parseUnsignedLong(fields[1])
    };
  }

  /** The rows {@code copySql} selects, as PostgreSQL's COPY text (ClickHouse's TabSeparated). */
  private byte[] copyOut(String copySql) throws SQLException {
    try (Connection connection = postgres.connect()) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(1 << 20);
      connection
          .unwrap(PGConnection.class)
          .getCopyAPI()
          .copyOut("COPY (" + copySql + ") TO STDOUT", out);
      return out.toByteArray();
    } catch (java.io.IOException e) {
      throw new SQLException("reading keys from PostgreSQL failed: " + e.getMessage(), e);
    }
  }

  private static long lines(byte[] tsv) {
    long n = 0;
    for (byte b : tsv) {
      if (b == '\n') {
        n++;
      }
    }
    return n;
  }

  private static <T> T join(java.util.concurrent.CompletableFuture<T> future) throws SQLException {
    try {
      return future.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw sql;
      }
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /**
   * The exact check: every key and version PostgreSQL has for the window, matched in ClickHouse.
   */
  public Received check(ReindexWindow window, java.util.Set<Flow> flows) throws SQLException {
    long[] conversations = {0, 0};
    long[] scorecards = {0, 0};
    long[] scores = {0, 0};
    if (flows.contains(Flow.CONVERSATION)) {
      conversations =
          matchKeys(
              window,
              PostgresQueries.CONVERSATION_KEYS,
              ClickHouseTable.CONVERSATIONS,
              "conversation_id",
              null,
              window);
    }
    for (Flow flow : flows) {
      // The scores' keys are ten times the scorecards': match both at once, on two connections.
      java.util.concurrent.CompletableFuture<long[]> scoreMatch =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return matchKeys(
                      window,
                      flow.scoreKeys,
                      ClickHouseTable.SCORES,
                      "scorecard_id",
                      "criterion_id",
                      null);
                } catch (SQLException e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              });
      long[] sc =
          matchKeys(
              window,
              flow.scorecardKeys,
              ClickHouseTable.SCORECARDS,
              "scorecard_id",
              null,
              versionsWithin(flow, window));
      long[] sr = join(scoreMatch);
      scorecards = new long[] {scorecards[0] + sc[0], scorecards[1] + sc[1]};
      scores = new long[] {scores[0] + sr[0], scores[1] + sr[1]};
    }
    return Received.of(conversations, scorecards, scores);
  }

  /**
   * A row's key and version as one ClickHouse string, {@code <bytes of id>:<id><second>:<version>}:
   * a one-to-one encoding (the length ends at the first colon and fixes where the id ends; the
   * version is the digits after the last colon), so matching these strings is matching the keys
   * exactly. ClickHouse builds and probes a set of single strings about twice as fast as a set of
   * tuples of them. Both sides of the match are encoded by this one expression, in ClickHouse.
   */
  static String versionedKey(String id, String second, String version) {
    return "concat(toString(length("
        + id
        + ")), ':', "
        + id
        + (second == null ? "" : ", " + second)
        + ", ':', toString("
        + version
        + "))";
  }

  /**
   * How many of the keys of the external table {@code keys} (columns id[, c], t) {@code table}
   * holds at exactly their version. ClickHouse first narrows the table: to the seconds of {@code
   * versionsWithin} when the keys' versions are the rows' own update times in that window, else to
   * the keys' ids. The versions' range is one comparison of a 4-byte column, cheaper than the ids'
   * second set of the keys to build and probe.
   */
  private String matchSql(
      ClickHouseTable table, String idColumn, String secondColumn, ReindexWindow versionsWithin) {
    return "SELECT uniqExact("
        + idColumn
        + (secondColumn == null ? "" : ", " + secondColumn)
        + ") FROM "
        + clickHouse.settings().qualified(table)
        + " PREWHERE "
        + (versionsWithin == null
            ? idColumn + " IN (SELECT id FROM keys)"
            : secondsOf(versionsWithin))
        + " WHERE "
        + versionedKey(idColumn, secondColumn, "toUInt32(update_time)")
        + " IN (SELECT "
        + versionedKey("id", secondColumn == null ? null : "c", "t")
        + " FROM keys)";
  }

  /**
   * The update times in whole seconds a row of {@code window} can have: a time in {@code [start,
   * end)} truncates to a second in {@code [floor(start), floor(end)]} (a superset: nothing in the
   * window is left out), within what a ClickHouse DateTime holds.
   */
  static String secondsOf(ReindexWindow window) {
    long from = Math.max(0, Math.floorDiv(window.startMicros(), 1_000_000L));
    long to = Math.max(0, Math.min(0xFFFF_FFFFL, Math.floorDiv(window.endMicros(), 1_000_000L)));
    return "toUInt32(update_time) >= " + from + " AND toUInt32(update_time) <= " + to;
  }

  /**
   * The window when it bounds the flow's scorecards' own update times (their keys' versions), else
   * null.
   */
  private static ReindexWindow versionsWithin(Flow flow, ReindexWindow window) {
    return flow.windowHoldsScorecardVersions() ? window : null;
  }

  /**
   * Streams the keys {@code keysSql} selects for the window from PostgreSQL into one ClickHouse
   * query as an external table: PostgreSQL reads while ClickHouse builds its set, and ClickHouse
   * scans its table once (it did once per 200,000 keys, a third of a run's time at 2 million
   * scores). The keys travel as PostgreSQL's {@code COPY ... TO STDOUT} text, which is ClickHouse's
   * TabSeparated (same escapes), byte for byte: this process parses none of them (decoding and
   * re-encoding them was a tenth of the run's CPU). COPY takes no parameters, so the window's
   * bounds are written into the statement as timestamp literals made from their microseconds.
   */
  private long[] matchKeys(
      ReindexWindow window,
      String keysSql,
      ClickHouseTable table,
      String idColumn,
      String secondColumn,
      ReindexWindow versionsWithin)
      throws SQLException {
    // The keys arrive as columns id[, c], t; ClickHouse first narrows the table (matchSql: for
    // scores to the keys' ids, 0.40-0.45 -> 0.32-0.36 s for 437,661 score keys against 2 million
    // rows), then counts the distinct keys it holds at exactly their version.
    String structure = secondColumn == null ? KEY_STRUCTURE : "id String, c String, t UInt32";
    String countSql = matchSql(table, idColumn, secondColumn, versionsWithin);
    String copy = "COPY (" + PostgresQueries.withWindowLiterals(keysSql, window) + ") TO STDOUT";
    long[] inPostgres = {0};
    long inClickHouse;
    try (Connection connection = postgres.connect()) {
      CopyManager copier = connection.unwrap(PGConnection.class).getCopyAPI();
      inClickHouse =
          Long.parseLong(
              clickHouse
                  .executeWithStreamedExternalTable(
                      countSql, "keys", structure, out -> inPostgres[0] = copier.copyOut(copy, out))
                  .trim());
    }
    return new long[] {inPostgres[0], inClickHouse};
  }
}
