package dev.scorecards.reindex.model;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/**
 * A count for each declared target table (rows read, written, deleted, held), so that what a run
 * reports, records and checks loops over {@link ClickHouseTable#values()} instead of naming tables.
 */
public record PerTable(Map<ClickHouseTable, Long> counts) {
  public static final PerTable ZERO = of(t -> 0L);

  public PerTable {
    EnumMap<ClickHouseTable, Long> all = new EnumMap<>(ClickHouseTable.class);
    for (ClickHouseTable t : ClickHouseTable.values()) {
      all.put(t, counts.getOrDefault(t, 0L));
    }
    counts = java.util.Collections.unmodifiableMap(all);
  }

  public static PerTable of(ToLongFunction<ClickHouseTable> count) {
    return new PerTable(
        Arrays.stream(ClickHouseTable.values())
            .collect(Collectors.toMap(t -> t, count::applyAsLong)));
  }

  public long get(ClickHouseTable table) {
    return counts.get(table);
  }

  public PerTable with(ClickHouseTable table, long count) {
    return of(t -> t == table ? count : get(t));
  }

  public PerTable plus(PerTable other) {
    return of(t -> get(t) + other.get(t));
  }

  public long total() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  /** "1 conversations, 2 scorecards, 3 scores": the tables in declaration order. */
  public String describe() {
    return Arrays.stream(ClickHouseTable.values())
        .map(t -> String.format("%,d %s", get(t), t.tableName()))
        .collect(Collectors.joining(", "));
  }
}
