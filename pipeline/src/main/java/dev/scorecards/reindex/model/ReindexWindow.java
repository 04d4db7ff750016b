package dev.scorecards.reindex.model;

import java.io.Serializable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The half-open window {@code [start, end)} a run covers, exact to the microsecond.
 *
 * <p>PostgreSQL stores microseconds, so a bound finer than that is raised to the next microsecond:
 * for a row time {@code t} that is a whole number of microseconds, {@code t >= s} holds exactly
 * when {@code t >= ceil(s)}, and {@code t < e} exactly when {@code t < ceil(e)}. After that, the
 * bounds can be bound as parameters without the driver's rounding ever moving a row across them.
 */
public final class ReindexWindow implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long startMicros;
  private final long endMicros;

  private ReindexWindow(long startMicros, long endMicros) {
    this.startMicros = startMicros;
    this.endMicros = endMicros;
  }

  /** The earliest time a ClickHouse {@code DateTime} holds (an unsigned 32-bit second count). */
  public static final Instant EARLIEST = Instant.EPOCH;

  /** The end of what a ClickHouse {@code DateTime} holds: a window may end here, not later. */
  public static final Instant LATEST_END = Instant.ofEpochSecond(1L << 32);

  /**
   * The window {@code [start, end)}; refuses an empty or reversed one, and one reaching outside
   * what the target's {@code DateTime} columns hold: ClickHouse would wrap such bounds around and
   * the clean-up's and the verification's range queries would silently miss rows.
   */
  public static ReindexWindow of(Instant start, Instant end) {
    if (start.isBefore(EARLIEST) || end.isAfter(LATEST_END)) {
      throw new IllegalArgumentException(
          "the window ["
              + start
              + ", "
              + end
              + ") reaches outside what ClickHouse's DateTime holds ("
              + EARLIEST
              + " to "
              + LATEST_END
              + ")");
    }
    long s = ceilMicros(start);
    long e = ceilMicros(end);
    if (s >= e) {
      throw new IllegalArgumentException(
          "the window is empty: start " + start + " is not before end " + end);
    }
    return new ReindexWindow(s, e);
  }

  /** Parses two RFC 3339 times such as {@code 2026-11-01T00:00:00Z} or {@code ...+02:00}. */
  public static ReindexWindow parse(String start, String end) {
    return of(parseTime("start", start), parseTime("end", end));
  }

  public static Instant parseTime(String what, String text) {
    try {
      return OffsetDateTime.parse(text.trim(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException | NullPointerException e) {
      throw new IllegalArgumentException(
          "the "
              + what
              + " time '"
              + text
              + "' is not an RFC 3339 time such as 2026-11-01T00:00:00Z");
    }
  }

  static long ceilMicros(Instant t) {
    long micros = Math.multiplyExact(t.getEpochSecond(), 1_000_000L) + t.getNano() / 1_000;
    return t.getNano() % 1_000 == 0 ? micros : micros + 1;
  }

  public static Instant fromMicros(long micros) {
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
  }

  public static OffsetDateTime toOffsetDateTime(long micros) {
    return fromMicros(micros).atOffset(ZoneOffset.UTC);
  }

  public Instant start() {
    return fromMicros(startMicros);
  }

  public Instant end() {
    return fromMicros(endMicros);
  }

  public long startMicros() {
    return startMicros;
  }

  public long endMicros() {
    return endMicros;
  }

  /**
   * Splits the window into {@code n} contiguous half-open ranges of (nearly) equal length in
   * microseconds: the first starts at the window's start, the last ends at its end, each range ends
   * where the next begins, so every instant of the window is in exactly one. Fewer ranges come back
   * when the window has fewer microseconds than {@code n}.
   */
  public List<TimeRange> split(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("the number of partitions must be at least 1, not " + n);
    }
    long length = endMicros - startMicros;
    int parts = (int) Math.min(n, length);
    List<TimeRange> ranges = new ArrayList<>(parts);
    long lo = startMicros;
    for (int i = 1; i <= parts; i++) {
      // (length / parts) * i never exceeds length, so this cannot overflow the way
      // length * i / parts could on a window of centuries.
      long hi =
          i == parts ? endMicros : startMicros + (length / parts) * i + Math.min(i, length % parts);
      ranges.add(new TimeRange(lo, hi));
      lo = hi;
    }
    return ranges;
  }

  /**
   * The ClickHouse side of the window. ClickHouse keeps whole seconds; a ClickHouse time {@code T}
   * (a whole second) is in the window when {@code start <= T < end}, which for whole seconds is
   * {@code ceil_s(start) <= T < ceil_s(end)}. Returns epoch seconds {@code {from, to}}, half-open.
   */
  public long[] clickHouseSeconds() {
    return new long[] {
      Math.floorDiv(startMicros + 999_999, 1_000_000L),
      Math.floorDiv(endMicros + 999_999, 1_000_000L)
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReindexWindow w && w.startMicros == startMicros && w.endMicros == endMicros;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(startMicros) * 31 + Long.hashCode(endMicros);
  }

  @Override
  public String toString() {
    return "[" + start() + ", " + end() + ")";
  }

  /** A half-open range {@code [startMicros, endMicros)} of epoch microseconds. */
  public record TimeRange(long startMicros, long endMicros) implements Serializable {
    public TimeRange {
      if (startMicros >= endMicros) {
        throw new IllegalArgumentException("empty range " + startMicros + ".." + endMicros);
      }
    }

    public boolean contains(long micros) {
      return micros >= startMicros && micros < endMicros;
    }

    public OffsetDateTime start() {
      return toOffsetDateTime(startMicros);
    }

    public OffsetDateTime end() {
      return toOffsetDateTime(endMicros);
    }
  }
}
