package dev.scorecards.reindex.clickhouse;

import dev.scorecards.reindex.model.ClickHouseTable;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the target tables are laid out: on one server, or as {@code Distributed} tables of a cluster
 * in front of local tables on every node ({@code <table><localSuffix>}). Rows are written and read
 * through the target tables; deletes and mutation checks go to the local tables. {@link #AUTO} is
 * learned from the server ({@link #detect}).
 */
public record ClickHouseTopology(String cluster, String localSuffix) implements Serializable {
  /** Not known yet: {@link ClickHouseSettings#resolved()} asks the server. */
  public static final ClickHouseTopology AUTO = new ClickHouseTopology(null, null);

  public static final ClickHouseTopology SINGLE_NODE = new ClickHouseTopology("", "");

  private static final Pattern DISTRIBUTED =
      Pattern.compile(
          "ENGINE = Distributed\\(\\s*'?([A-Za-z0-9_.-]+)'?\\s*,\\s*'?([A-Za-z0-9_]+)'?\\s*,\\s*'?([A-Za-z0-9_]+)'?");

  public ClickHouseTopology {
    if (cluster != null && !cluster.isEmpty()) {
      ClickHouseSettings.requireIdentifier("ClickHouse cluster", cluster);
      if (localSuffix == null || localSuffix.isEmpty()) {
        throw new IllegalArgumentException("the local tables of a cluster need a name suffix");
      }
    }
  }

  /** A cluster named explicitly, for setups whose tables cannot be introspected. */
  public static ClickHouseTopology cluster(String name, String localSuffix) {
    return new ClickHouseTopology(name, localSuffix);
  }

  public boolean known() {
    return cluster != null;
  }

  public boolean clustered() {
    return cluster != null && !cluster.isEmpty();
  }

  /**
   * What the server's tables say: {@link #SINGLE_NODE} when no target table is {@code Distributed};
   * the cluster and the local tables' suffix when all are. Anything between (some Distributed, some
   * not; Distributed tables over another database, several clusters, local names that do not share
   * one suffix) is refused in one sentence: the tool would write to one place and delete in
   * another.
   */
  public static ClickHouseTopology detect(ClickHouseClient client) {
    String database = client.settings().database();
    List<String> distributed = new ArrayList<>();
    List<String> plain = new ArrayList<>();
    String cluster = null;
    String suffix = null;
    for (ClickHouseTable table : ClickHouseTable.values()) {
      String engine =
          client
              .execute(
                  "SELECT engine FROM system.tables WHERE database = "
                      + ClickHouseClient.quote(database)
                      + " AND name = "
                      + ClickHouseClient.quote(table.tableName()))
              .trim();
      if (!engine.equals("Distributed")) {
        plain.add(table.tableName());
        continue;
      }
      distributed.add(table.tableName());
      String ddl = client.execute("SHOW CREATE TABLE " + client.settings().qualified(table));
      Matcher m = DISTRIBUTED.matcher(ddl.replace("\\'", "'"));
      if (!m.find()) {
        throw new IllegalStateException(
            "cannot read the cluster of the Distributed table "
                + client.settings().qualified(table)
                + "; name it with --ch-cluster");
      }
      if (!m.group(2).equals(database)) {
        throw new IllegalStateException(
            "the Distributed table "
                + client.settings().qualified(table)
                + " stores its rows in database "
                + m.group(2)
                + ", not "
                + database
                + "; point --ch-database at one database that holds both");
      }
      String local = m.group(3);
      String tableSuffix =
          local.startsWith(table.tableName()) ? local.substring(table.tableName().length()) : null;
      if (tableSuffix == null || tableSuffix.isEmpty()) {
        throw new IllegalStateException(
            "the local table "
                + local
                + " of "
                + table.tableName()
                + " is not named "
                + table.tableName()
                + "<suffix>; name the cluster and suffix with --ch-cluster and --ch-local-suffix");
      }
      if (cluster != null && (!cluster.equals(m.group(1)) || !suffix.equals(tableSuffix))) {
        throw new IllegalStateException(
            "the Distributed target tables disagree on their cluster or local tables ("
                + cluster
                + "/*"
                + suffix
                + " and "
                + m.group(1)
                + "/*"
                + tableSuffix
                + ")");
      }
      cluster = m.group(1);
      suffix = tableSuffix;
    }
    if (distributed.isEmpty()) {
      return SINGLE_NODE;
    }
    if (!plain.isEmpty()) {
      throw new IllegalStateException(
          "of the target tables in "
              + database
              + ", "
              + String.join(", ", distributed)
              + " are Distributed but "
              + String.join(", ", plain)
              + " are not; all or none must be");
    }
    return cluster(cluster, suffix);
  }

  public String describe() {
    if (!known()) {
      return "learned from the server at the start";
    }
    return clustered()
        ? "cluster " + cluster + " (Distributed tables over *" + localSuffix + ")"
        : "single node";
  }
}
