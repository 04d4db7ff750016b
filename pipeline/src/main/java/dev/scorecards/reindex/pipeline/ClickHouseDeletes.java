package dev.scorecards.reindex.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Deleting scorecards from ClickHouse: every row of the given scorecards in both tables, as
 * {@code ALTER TABLE ... DELETE} mutations, and waiting for mutations to finish. Used by the
 * clean-up before write and by a verification's repair.
 */
public final class ClickHouseDeletes {
  /**
   * Most ids named in one mutation: ClickHouse refuses a query of more than 50,000 AST
   * elements (max_ast_elements), and a mutation runs later in the background with the
   * server's settings, so raising the limit for one query is not safe.
   */
  public static final int MAX_IDS_PER_MUTATION = 20_000;

  public static final Duration MUTATION_TIMEOUT = Duration.ofHours(1);

  private ClickHouseDeletes() {}

  /** What one delete did: rows found (and deleted) in each table, and the mutations submitted. */
  public record Deleted(long scorecardRows, long scoreRows, int mutations) {
    Deleted plus(Deleted o) {
      return new Deleted(scorecardRows + o.scorecardRows, scoreRows + o.scoreRows, mutations + o.mutations);
    }
  }

  /**
   * Submits the mutations deleting every row of these scorecards, in groups of at most
   * {@link #MAX_IDS_PER_MUTATION}; a table holding none of them gets no mutation. Does not
   * wait: call {@link #waitForMutations} before relying on the rows being gone.
   */
  public static Deleted submit(ClickHouseClient client, Collection<String> scorecardIds) {
    Deleted total = new Deleted(0, 0, 0);
    List<String> group = new ArrayList<>();
    for (String id : scorecardIds) {
      group.add(ClickHouseClient.quote(id));
      if (group.size() == MAX_IDS_PER_MUTATION) {
        total = total.plus(submitGroup(client, group));
        group.clear();
      }
    }
    if (!group.isEmpty()) {
      total = total.plus(submitGroup(client, group));
    }
    return total;
  }

  /** Submits the mutations deleting every {@code conversations} row of these conversations; returns the rows found. */
  public static long submitConversations(ClickHouseClient client, Collection<String> conversationIds) {
    long rows = 0;
    List<String> ids = new ArrayList<>(conversationIds);
    for (int from = 0; from < ids.size(); from += MAX_IDS_PER_MUTATION) {
      String condition = "conversation_id IN (" + String.join(",",
          ids.subList(from, Math.min(ids.size(), from + MAX_IDS_PER_MUTATION)).stream().map(ClickHouseClient::quote).toList()) + ")";
      String qualified = client.settings().qualified(ClickHouseTable.CONVERSATIONS);
      long found = client.count("SELECT count() FROM " + qualified + " WHERE " + condition);
      if (found > 0) {
        client.execute("ALTER TABLE " + qualified + " DELETE WHERE " + condition);
      }
      rows += found;
    }
    return rows;
  }

  private static Deleted submitGroup(ClickHouseClient client, List<String> quotedIds) {
    String condition = "scorecard_id IN (" + String.join(",", quotedIds) + ")";
    long[] rows = new long[2];
    int mutations = 0;
    ClickHouseTable[] tables = {ClickHouseTable.SCORECARDS, ClickHouseTable.SCORES};
    for (int i = 0; i < tables.length; i++) {
      String qualified = client.settings().qualified(tables[i]);
      rows[i] = client.count("SELECT count() FROM " + qualified + " WHERE " + condition);
      if (rows[i] > 0) {
        client.execute("ALTER TABLE " + qualified + " DELETE WHERE " + condition);
        mutations++;
      }
    }
    return new Deleted(rows[0], rows[1], mutations);
  }

  /** Waits until no mutation of the target tables is left unfinished. */
  public static void waitForMutations(ClickHouseClient client, Duration timeout) throws InterruptedException {
    ClickHouseSettings settings = client.settings();
    String sql = "SELECT count() FROM system.mutations WHERE database = " + ClickHouseClient.quote(settings.database())
        + " AND table IN (" + java.util.Arrays.stream(ClickHouseTable.values()).map(t -> ClickHouseClient.quote(t.tableName()))
            .collect(java.util.stream.Collectors.joining(", ")) + ") AND is_done = 0";
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 50;
    while (client.count(sql) > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("ClickHouse mutations of " + settings.database() + " did not finish within " + timeout);
      }
      Thread.sleep(pause);
      pause = Math.min(pause * 2, 1_000);
    }
  }
}
