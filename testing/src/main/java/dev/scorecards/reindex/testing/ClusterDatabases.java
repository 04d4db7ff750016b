package dev.scorecards.reindex.testing;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.clickhouse.ClickHouseTopology;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.run.RunLedger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The local ClickHouse cluster of {@code ./reindex services start --cluster} (two shards of two
 * replicas, ZooKeeper), its tables reset for each test, each node asked on its own, and its faults
 * (a node killed or stopped, ZooKeeper stopped) injected through {@code tools/local/cluster.sh}.
 */
public final class ClusterDatabases {
  public static final String DATABASE = "reindex";
  public static final String CLUSTER = "reindex_cluster";
  public static final int NODES = 4;
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private ClusterDatabases() {}

  public static String httpUrl(int node) {
    return "http://127.0.0.1:" + (28120 + node);
  }

  /** The cluster as the tool meets it: through node 1, the topology learned from the tables. */
  public static ClickHouseSettings clickHouse() {
    return new ClickHouseSettings(httpUrl(1), DATABASE, "default", null);
  }

  /** One node on its own: its local tables, as a single server. */
  public static ClickHouseClient node(int node) {
    return new ClickHouseClient(
        new ClickHouseSettings(
            httpUrl(node), DATABASE, "default", null, ClickHouseTopology.SINGLE_NODE));
  }

  public static int shardOf(int node) {
    return (node + 1) / 2;
  }

  /** Drops every table of the database on every node (ledger included) and applies the contract. */
  public static void reset() throws IOException, InterruptedException {
    ClickHouseClient one = node(1);
    List<String> tables = new ArrayList<>();
    for (ClickHouseTable t : ClickHouseTable.values()) {
      tables.add(t.tableName());
    }
    tables.add(RunLedger.RUNS);
    tables.add(RunLedger.CHUNKS);
    tables.add(dev.scorecards.reindex.run.RunLease.TABLE);
    for (String t : tables) {
      one.execute("DROP TABLE IF EXISTS " + DATABASE + "." + t + " ON CLUSTER " + CLUSTER);
      one.execute("DROP TABLE IF EXISTS " + DATABASE + "." + t + "_local ON CLUSTER " + CLUSTER);
    }
    for (int shard = 1; shard <= NODES / 2; shard++) {
      cluster("zookeeper-deleteall", "/clickhouse/tables/0" + shard + "/" + DATABASE);
    }
    for (String statement :
        ClickHouseTable.ddlStatements(
            Files.readString(ROOT.resolve("contract").resolve("clickhouse-cluster.sql")))) {
      one.execute(statement);
    }
  }

  /**
   * A node's rows of a table's local copy as a count and an order-independent checksum of every
   * column: two replicas with equal summaries hold the same rows.
   */
  public static String localSummary(int node, ClickHouseTable table) {
    String row =
        table.columns().stream()
            .map(c -> "ifNull(toString(" + c.name() + "), '\\\\N')")
            .collect(Collectors.joining(", '\\t', "));
    return node(node)
        .execute(
            "SELECT count(), sum(cityHash64(concat("
                + row
                + "))) FROM "
                + DATABASE
                + "."
                + table.tableName()
                + "_local")
        .strip();
  }

  public static long localCount(int node, ClickHouseTable table) {
    return node(node).count("SELECT count() FROM " + DATABASE + "." + table.tableName() + "_local");
  }

  /**
   * Waits until both replicas of each shard hold the same rows of every target table; returns false
   * when they still differ after {@code within}.
   */
  public static boolean awaitReplicasEqual(Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      boolean equal = true;
      for (ClickHouseTable t : ClickHouseTable.values()) {
        for (int node = 1; node <= NODES; node += 2) {
          try {
            equal &= localSummary(node, t).equals(localSummary(node + 1, t));
          } catch (RuntimeException e) {
            equal = false;
          }
        }
      }
      if (equal) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(500);
    }
  }

  /** {@code tools/local/cluster.sh ARGS}: its output; fails unless it exits 0. */
  public static String cluster(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", "tools/local/cluster.sh"));
    command.addAll(List.of(args));
    // Output to a file, not a pipe: a server started by the script must not keep the test waiting.
    Path log = Files.createTempFile("cluster-", ".log");
    Process p =
        new ProcessBuilder(command)
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("cluster.sh " + String.join(" ", args) + " did not end");
    }
    String out = Files.readString(log);
    Files.delete(log);
    if (p.exitValue() != 0) {
      throw new IllegalStateException("cluster.sh " + String.join(" ", args) + ": " + out);
    }
    return out.strip();
  }
}
