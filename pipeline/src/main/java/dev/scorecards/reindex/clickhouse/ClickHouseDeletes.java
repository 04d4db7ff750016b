package dev.scorecards.reindex.clickhouse;

import dev.scorecards.reindex.model.ClickHouseTable;
import java.time.Duration;
import java.util.Collection;
import java.util.List;

/**
 * Deleting scorecards from ClickHouse: every row of the given scorecards in both tables, as {@code
 * ALTER TABLE ... DELETE} mutations, and waiting for mutations to finish. Used by the clean-up
 * before write and by a verification's repair.
 */
public final class ClickHouseDeletes {
  /**
   * Most ids named in one mutation: ClickHouse refuses a query of more than 50,000 AST elements
   * (max_ast_elements), and a mutation runs later in the background with the server's settings, so
   * raising the limit for one query is not safe.
   */
  public static final int MAX_IDS_PER_MUTATION = 20_000;

  public static final Duration MUTATION_TIMEOUT = Duration.ofHours(1);

  private ClickHouseDeletes() {}

  /** What one delete did: rows found (and deleted) in each table, and the mutations submitted. */
  public record Deleted(long scorecardRows, long scoreRows, int mutations) {}

  /**
   * Submits the mutations deleting every row of these scorecards from both tables, in groups of at
   * most {@link #MAX_IDS_PER_MUTATION}; a group no table row matches gets no mutation. Does not
   * wait: call {@link #waitForMutations} before relying on the rows being gone.
   */
  public static Deleted submit(ClickHouseClient client, Collection<String> scorecardIds) {
    long[] scorecards =
        deleteRows(client, ClickHouseTable.SCORECARDS, "scorecard_id", scorecardIds);
    long[] scores = deleteRows(client, ClickHouseTable.SCORES, "scorecard_id", scorecardIds);
    return new Deleted(scorecards[0], scores[0], (int) (scorecards[1] + scores[1]));
  }

  /**
   * The same for the {@code conversations} rows of these conversations: {rows found, mutations
   * submitted}.
   */
  public static long[] submitConversations(
      ClickHouseClient client, Collection<String> conversationIds) {
    return deleteRows(client, ClickHouseTable.CONVERSATIONS, "conversation_id", conversationIds);
  }

  /**
   * Deletes the rows of {@code table} whose {@code column} is one of {@code ids}: {rows found,
   * mutations submitted}.
   */
  private static long[] deleteRows(
      ClickHouseClient client, ClickHouseTable table, String column, Collection<String> ids) {
    List<String> quoted = ids.stream().map(ClickHouseClient::quote).toList();
    String qualified = client.settings().qualified(table);
    long rows = 0;
    long mutations = 0;
    for (int from = 0; from < quoted.size(); from += MAX_IDS_PER_MUTATION) {
      String condition =
          column
              + " IN ("
              + String.join(
                  ",", quoted.subList(from, Math.min(quoted.size(), from + MAX_IDS_PER_MUTATION)))
              + ")";
      long found = client.count("SELECT count() FROM " + qualified + " WHERE " + condition);
      if (found > 0) {
        client.execute("ALTER TABLE " + qualified + " DELETE WHERE " + condition);
        mutations++;
      }
      rows += found;
    }
    return new long[] {rows, mutations};
  }

  /** Waits until no mutation of the target tables is left unfinished. */
  public static void waitForMutations(ClickHouseClient client, Duration timeout)
      throws InterruptedException {
    ClickHouseSettings settings = client.settings();
    String sql =
        "SELECT count() FROM system.mutations WHERE database = "
            + ClickHouseClient.quote(settings.database())
            + " AND table IN ("
            + java.util.Arrays.stream(ClickHouseTable.values())
                .map(t -> ClickHouseClient.quote(t.tableName()))
                .collect(java.util.stream.Collectors.joining(", "))
            + ") AND is_done = 0";
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 50;
    while (client.count(sql) > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "ClickHouse mutations of " + settings.database() + " did not finish within " + timeout);
      }
      Thread.sleep(pause);
      pause = Math.min(pause * 2, 1_000);
    }
  }
}
