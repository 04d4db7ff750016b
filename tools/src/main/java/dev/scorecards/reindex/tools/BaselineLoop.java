package dev.scorecards.reindex.tools;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.ClickHouseMapping;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.postgres.PostgresQueries;
import dev.scorecards.reindex.postgres.PostgresSettings;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/**
 * B1: the original job's loop, re-created in plain Java for the benchmark. Count, then keyset pages
 * of 50 process scorecards (by updated_at, id), one scores query per page, and two ClickHouse
 * INSERTs per page (scorecards, scores), one after the other, as the Temporal activity did. Same
 * mapping as the pipeline.
 */
public final class BaselineLoop {
  private static final int UPDATE_TIME_COLUMN =
      ClickHouseTable.SCORECARDS.beamSchema().indexOf("update_time") + 1;

  static final int PAGE = 50;
  private static final DateTimeFormatter CH_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private BaselineLoop() {}

  public static long[] run(
      PostgresSettings postgres, ClickHouseSettings clickHouse, ReindexWindow window)
      throws Exception {
    ClickHouseClient ch = new ClickHouseClient(clickHouse);
    long scorecards = 0;
    long scores = 0;
    try (Connection c = postgres.connect()) {
      try (PreparedStatement count = c.prepareStatement(PostgresQueries.COUNT_PROCESS_SCORECARDS)) {
        count.setObject(1, window.start().atOffset(ZoneOffset.UTC));
        count.setObject(2, window.end().atOffset(ZoneOffset.UTC));
        count.executeQuery().close();
      }
      PreparedStatement page =
          c.prepareStatement(
              PostgresQueries.READ_PROCESS_SCORECARDS
                  + " AND (s.updated_at, s.scorecard_id) > (?, ?) ORDER BY s.updated_at, s.scorecard_id LIMIT "
                  + PAGE);
      PreparedStatement scoreQuery = c.prepareStatement(PostgresQueries.SCORES_OF_SCORECARDS);
      OffsetDateTime lastTime = window.start().atOffset(ZoneOffset.UTC).minusNanos(1_000);
      String lastId = "";
      while (true) {
        page.setObject(1, window.start().atOffset(ZoneOffset.UTC));
        page.setObject(2, window.end().atOffset(ZoneOffset.UTC));
        page.setObject(3, lastTime);
        page.setString(4, lastId);
        Map<String, Row> byId = new HashMap<>();
        List<Row> rows = new ArrayList<>();
        try (ResultSet rs = page.executeQuery()) {
          while (rs.next()) {
            Row row = PostgresQueries.row(ClickHouseTable.SCORECARDS, rs);
            String id = row.getString("scorecard_id");
            rows.add(row);
            byId.put(id, row);
            // The page's key is the exact update time, not the row's whole seconds.
            lastTime = PostgresQueries.instant(rs, UPDATE_TIME_COLUMN).atOffset(ZoneOffset.UTC);
            lastId = id;
          }
        }
        if (rows.isEmpty()) {
          break;
        }
        List<Row> scoreRows = new ArrayList<>();
        Array ids = c.createArrayOf("text", byId.keySet().toArray(new String[0]));
        scoreQuery.setArray(1, ids);
        try (ResultSet rs = scoreQuery.executeQuery()) {
          while (rs.next()) {
            Object[] score = PostgresQueries.scoreOwnValues(rs);
            scoreRows.add(
                ClickHouseMapping.score(
                    byId.get((String) score[ClickHouseMapping.SCORE_SCORECARD_ID]), score));
          }
        }
        insert(ch, clickHouse.qualified(ClickHouseTable.SCORECARDS), rows);
        if (!scoreRows.isEmpty()) {
          insert(ch, clickHouse.qualified(ClickHouseTable.SCORES), scoreRows);
        }
        scorecards += rows.size();
        scores += scoreRows.size();
      }
    }
    return new long[] {scorecards, scores};
  }

  private static void insert(ClickHouseClient ch, String table, List<Row> rows) {
    StringBuilder tsv =
        new StringBuilder("INSERT INTO ").append(table).append(" FORMAT TabSeparated\n");
    for (Row row : rows) {
      Schema schema = row.getSchema();
      for (int i = 0; i < schema.getFieldCount(); i++) {
        Object v = row.getValue(i);
        if (i > 0) {
          tsv.append('\t');
        }
        if (v == null) {
          tsv.append("\\N");
        } else if (v instanceof String s) {
          tsv.append(ClickHouseClient.tsvField(s));
        } else if (v instanceof org.joda.time.ReadableInstant t) {
          tsv.append(CH_TIME.format(java.time.Instant.ofEpochMilli(t.getMillis())));
        } else {
          tsv.append(v);
        }
      }
      tsv.append('\n');
    }
    ch.execute(tsv.toString());
  }
}
