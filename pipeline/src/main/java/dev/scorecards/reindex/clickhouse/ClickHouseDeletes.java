package dev.scorecards.reindex.clickhouse;

import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.PerTable;
import java.time.Duration;
import java.util.Collection;
import java.util.List;

/**
 * Deleting from ClickHouse every row of the given scorecards or conversations, in every table keyed
 * by their id, as {@code ALTER TABLE ... DELETE} mutations, and waiting for mutations to finish.
 * Used by the clean-up before write and by a verification's repair.
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
  public record Deleted(PerTable rows, int mutations) {
    public static final Deleted NONE = new Deleted(PerTable.ZERO, 0);

    public Deleted plus(Deleted other) {
      return new Deleted(rows.plus(other.rows), mutations + other.mutations);
    }
  }

  /**
   * The declared tables whose rows belong to what {@code idColumn} names (a scorecard's rows in
   * {@code scorecards} and {@code scores}, a conversation's in {@code conversations}): what
   * deleting by that id covers.
   */
  public static List<ClickHouseTable> tablesKeyedBy(String idColumn) {
    List<ClickHouseTable> tables =
        java.util.Arrays.stream(ClickHouseTable.values())
            .filter(t -> t.idColumn().equals(idColumn))
            .toList();
    if (tables.isEmpty()) {
      throw new IllegalArgumentException("no target table is keyed by " + idColumn);
    }
    return tables;
  }

  /**
   * Submits the mutations deleting every row of these ids from every table keyed by {@code
   * idColumn}, in groups of at most {@link #MAX_IDS_PER_MUTATION}; a group no table row matches
   * gets no mutation. Does not wait: call {@link #waitForMutations} before relying on the rows
   * being gone.
   */
  public static Deleted submit(ClickHouseClient client, String idColumn, Collection<String> ids) {
    Deleted deleted = Deleted.NONE;
    for (ClickHouseTable table : tablesKeyedBy(idColumn)) {
      long[] d = deleteRows(client, table, idColumn, ids);
      deleted = deleted.plus(new Deleted(PerTable.ZERO.with(table, d[0]), (int) d[1]));
    }
    return deleted;
  }

  /**
   * Deletes the rows of {@code table} whose {@code column} is one of {@code ids}: {rows found,
   * mutations submitted}.
   */
  private static long[] deleteRows(
      ClickHouseClient client, ClickHouseTable table, String column, Collection<String> ids) {
    List<String> quoted = ids.stream().map(ClickHouseClient::quote).toList();
    String qualified = client.settings().qualified(table);
    // ClickHouse refuses ALTER on a Distributed table: a cluster's rows are deleted in the local
    // tables, on every node.
    String alter =
        "ALTER TABLE " + client.settings().qualifiedLocal(table) + client.settings().onCluster();
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
        client.execute(alter + " DELETE WHERE " + condition);
        mutations++;
      }
      rows += found;
    }
    return new long[] {rows, mutations};
  }

  /**
   * Waits until no mutation of the target tables is left unfinished: on a cluster, on every replica
   * of every shard ({@link ClickHouseReplicas}); a replica that does not answer fails the wait
   * (transient, naming it).
   */
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
    while (settings.clustered()
        ? ClickHouseReplicas.unfinishedMutations(client) > 0
        : client.count(sql) > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "ClickHouse mutations of " + settings.database() + " did not finish within " + timeout);
      }
      Thread.sleep(pause);
      pause = Math.min(pause * 2, 1_000);
    }
  }
}
