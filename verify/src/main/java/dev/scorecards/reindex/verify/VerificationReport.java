package dev.scorecards.reindex.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.scorecards.reindex.model.ReindexWindow;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a verification found, per table: the rows on each side, and every difference classified as
 * missing (PostgreSQL has it, ClickHouse not), extra (ClickHouse has it in the window, PostgreSQL
 * not) or different (both, with the differing columns named). Keys are lists of key values: {@code
 * [scorecard_id]} or {@code [scorecard_id, criterion_id]}. Duplicates (rows that FINAL collapses)
 * are information, not differences.
 */
public record VerificationReport(
    String mode, ReindexWindow window, List<TableReport> tables, double seconds) {
  public static final int EXAMPLES = 20;

  public record Difference(List<String> key, List<String> columns) {}

  public record TableReport(
      String table,
      long postgresRows,
      long clickHouseRows,
      List<List<String>> missing,
      List<List<String>> extra,
      List<Difference> different,
      long duplicates,
      List<List<String>> repeated) {

    public TableReport(
        String table,
        long postgresRows,
        long clickHouseRows,
        List<List<String>> missing,
        List<List<String>> extra,
        List<Difference> different,
        long duplicates) {
      this(table, postgresRows, clickHouseRows, missing, extra, different, duplicates, List.of());
    }

    public boolean equal() {
      return missing.isEmpty() && extra.isEmpty() && different.isEmpty() && repeated.isEmpty();
    }
  }

  public boolean equal() {
    return tables.stream().allMatch(TableReport::equal);
  }

  public TableReport table(String name) {
    return tables.stream().filter(t -> t.table().equals(name)).findFirst().orElseThrow();
  }

  /** The short table and up to {@value #EXAMPLES} example ids per class. */
  public String describe() {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "verification of %s %s: %s (%.1f s)%n",
            mode, window, equal() ? "ClickHouse equals PostgreSQL" : "DIFFERENCES FOUND", seconds));
    out.append(
        String.format(
            "  %-12s %12s %12s %10s %10s %10s %12s %9s%n",
            "table",
            "postgres",
            "clickhouse",
            "missing",
            "extra",
            "different",
            "duplicates",
            "repeated"));
    for (TableReport t : tables) {
      out.append(
          String.format(
              "  %-12s %,12d %,12d %,10d %,10d %,10d %,12d %,9d%n",
              t.table(),
              t.postgresRows(),
              t.clickHouseRows(),
              t.missing().size(),
              t.extra().size(),
              t.different().size(),
              t.duplicates(),
              t.repeated().size()));
    }
    for (TableReport t : tables) {
      examples(out, t.table() + " missing", t.missing());
      examples(out, t.table() + " extra", t.extra());
      examples(out, t.table() + " repeated (on several shards)", t.repeated());
      if (!t.different().isEmpty()) {
        out.append("  ").append(t.table()).append(" different:\n");
        t.different().stream()
            .limit(EXAMPLES)
            .forEach(
                d ->
                    out.append("    ")
                        .append(String.join(" / ", d.key()))
                        .append("  columns: ")
                        .append(String.join(", ", d.columns()))
                        .append('\n'));
      }
    }
    return out.toString();
  }

  private static void examples(StringBuilder out, String what, List<List<String>> keys) {
    if (!keys.isEmpty()) {
      out.append("  ").append(what).append(":\n");
      keys.stream()
          .limit(EXAMPLES)
          .forEach(k -> out.append("    ").append(String.join(" / ", k)).append('\n'));
    }
  }

  /** Every count and every differing key, as one JSON object. */
  public void writeJson(Path file) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("mode", mode);
    json.put("start", window.start().toString());
    json.put("end", window.end().toString());
    json.put("equal", equal());
    json.put("seconds", seconds);
    Map<String, Object> byTable = new LinkedHashMap<>();
    for (TableReport t : tables) {
      Map<String, Object> table = new LinkedHashMap<>();
      table.put("postgres_rows", t.postgresRows());
      table.put("clickhouse_rows", t.clickHouseRows());
      table.put("duplicates", t.duplicates());
      table.put("missing_count", t.missing().size());
      table.put("extra_count", t.extra().size());
      table.put("different_count", t.different().size());
      table.put("repeated_count", t.repeated().size());
      table.put("repeated", t.repeated());
      table.put("missing", t.missing());
      table.put("extra", t.extra());
      List<Map<String, Object>> different = new ArrayList<>();
      for (Difference d : t.different()) {
        different.add(Map.of("key", d.key(), "columns", d.columns()));
      }
      table.put("different", different);
      byTable.put(t.table(), table);
    }
    json.put("tables", byTable);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
  }
}
