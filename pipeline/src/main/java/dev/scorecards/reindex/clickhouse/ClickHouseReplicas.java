package dev.scorecards.reindex.clickhouse;

import dev.scorecards.reindex.model.ClickHouseTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The replicas of a clustered target, asked one by one: {@code system.mutations} and {@code
 * system.replicas} are per server, so "done everywhere" means asking every replica of every shard.
 * Each is reached through {@code remote()} from the server the tool talks to, by the address the
 * cluster's configuration gives it ({@code system.clusters}); the tool needs no address of its own
 * for them. A replica that does not answer is named in a transient failure: the run's attempts
 * retry, and a run that runs out of attempts is resumed once the replica is back.
 */
public final class ClickHouseReplicas {
  /** 209 SOCKET_TIMEOUT, 210 NETWORK_ERROR, 279 ALL_CONNECTION_TRIES_FAILED. */
  private static final java.util.regex.Pattern UNREACHABLE =
      java.util.regex.Pattern.compile("Code: (209|210|279)\\b");

  private ClickHouseReplicas() {}

  /** One replica of one shard, as {@code system.clusters} lists it. */
  public record Replica(int shard, int replica, String host, int port) {
    public String describe() {
      return host + ":" + port + " (shard " + shard + ", replica " + replica + ")";
    }
  }

  public static List<Replica> list(ClickHouseClient client) {
    String cluster = client.settings().topology().cluster();
    List<Replica> replicas = new ArrayList<>();
    for (List<String> r :
        client.rows(
            "SELECT shard_num, replica_num, host_name, port FROM system.clusters WHERE cluster = "
                + ClickHouseClient.quote(cluster)
                + " ORDER BY shard_num, replica_num")) {
      replicas.add(
          new Replica(
              Integer.parseInt(r.get(0)),
              Integer.parseInt(r.get(1)),
              r.get(2),
              Integer.parseInt(r.get(3))));
    }
    if (replicas.isEmpty()) {
      throw new IllegalStateException(
          "ClickHouse at "
              + client.settings().httpUrl()
              + " knows no cluster named "
              + cluster
              + " (system.clusters)");
    }
    return replicas;
  }

  /**
   * {@code remote('host:port', system, <table>, user[, password])}: a system table of one replica.
   * The password, when there is one, makes the statement a secret: such statements are sent with
   * {@code log_queries=0} ({@link #ask}).
   */
  static String remote(ClickHouseSettings settings, Replica replica, String systemTable) {
    String password = settings.password();
    return "remote("
        + ClickHouseClient.quote(replica.host() + ":" + replica.port())
        + ", system, "
        + systemTable
        + ", "
        + ClickHouseClient.quote(settings.user())
        + (password == null || password.isEmpty() ? "" : ", " + ClickHouseClient.quote(password))
        + ")";
  }

  private static List<List<String>> ask(ClickHouseClient client, Replica replica, String sql) {
    try {
      return client.withSetting("log_queries", "0").rows(sql);
    } catch (ClickHouseClient.ClickHouseQueryException e) {
      if (!UNREACHABLE.matcher(String.valueOf(e.getMessage())).find()) {
        throw e;
      }
      throw new ClickHouseClient.ClickHouseUnavailableException(
          "ClickHouse replica "
              + replica.describe()
              + " of cluster "
              + client.settings().topology().cluster()
              + " did not answer: "
              + firstLine(e.getMessage()),
          e);
    }
  }

  private static String firstLine(String message) {
    String m = message == null ? "" : message.strip();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static String localTableNames(ClickHouseSettings settings) {
    return Arrays.stream(ClickHouseTable.values())
        .map(t -> ClickHouseClient.quote(t.tableName() + settings.topology().localSuffix()))
        .collect(Collectors.joining(", "));
  }

  /** The mutations of the local target tables not finished yet, on every replica. */
  public static long unfinishedMutations(ClickHouseClient client) {
    ClickHouseSettings settings = client.settings();
    long total = 0;
    for (Replica replica : list(client)) {
      total +=
          Long.parseLong(
              ask(
                      client,
                      replica,
                      "SELECT count() FROM "
                          + remote(settings, replica, "mutations")
                          + " WHERE database = "
                          + ClickHouseClient.quote(settings.database())
                          + " AND table IN ("
                          + localTableNames(settings)
                          + ") AND is_done = 0")
                  .get(0)
                  .get(0));
    }
    return total;
  }

  /**
   * The replicas that have not yet applied everything in their shard's replication log for the
   * local target tables (inserts, merges, mutations), as "replica: table" lines; empty when every
   * replica holds what its shard was sent. A replica is caught up on a table when it has copied
   * every log entry into its queue ({@code log_pointer > log_max_index}, or the log is empty) and
   * its queue is empty.
   */
  public static List<String> lagging(ClickHouseClient client) {
    ClickHouseSettings settings = client.settings();
    List<String> lagging = new ArrayList<>();
    for (Replica replica : list(client)) {
      for (List<String> r :
          ask(
              client,
              replica,
              "SELECT table, queue_size, log_pointer, log_max_index, is_readonly, zookeeper_path FROM "
                  + remote(settings, replica, "replicas")
                  + " WHERE database = "
                  + ClickHouseClient.quote(settings.database())
                  + " AND table IN ("
                  + localTableNames(settings)
                  + ")")) {
        long queue = Long.parseLong(r.get(1));
        long pointer = Long.parseLong(r.get(2));
        long maxIndex = Long.parseLong(r.get(3));
        if (r.get(4).equals("1")) {
          throw new ClickHouseClient.ClickHouseUnavailableException(
              "ClickHouse replica "
                  + replica.describe()
                  + " holds "
                  + r.get(0)
                  + " read-only: it has lost ZooKeeper",
              null);
        }
        boolean copied =
            pointer > maxIndex || (pointer == 0 && maxIndex == 0 && logIsEmpty(client, r.get(5)));
        if (queue > 0 || !copied) {
          lagging.add(replica.describe() + ": " + r.get(0));
        }
      }
    }
    return lagging;
  }

  private static boolean logIsEmpty(ClickHouseClient client, String zookeeperPath) {
    return client.count(
            "SELECT count() FROM system.zookeeper WHERE path = "
                + ClickHouseClient.quote(zookeeperPath + "/log"))
        == 0;
  }

  /**
   * Waits until every replica holds what its shard was sent ({@link #lagging}), so that what is
   * counted through the Distributed tables is the same whichever replica answers.
   */
  public static void awaitReplication(ClickHouseClient client, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 50;
    List<String> lagging;
    while (!(lagging = lagging(client)).isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new ClickHouseClient.ClickHouseUnavailableException(
            "ClickHouse replicas did not catch up within " + timeout + ": " + lagging, null);
      }
      Thread.sleep(pause);
      pause = Math.min(pause * 2, 1_000);
    }
  }

  /**
   * What is wrong with the cluster, in one sentence for an operator, or empty when nothing is
   * found: replicas that do not answer (and shards left with none), replicas whose tables are
   * read-only, ZooKeeper out of reach of the server asked. Never throws: it only adds to the
   * failure being reported.
   */
  public static String diagnose(ClickHouseClient client) {
    List<String> problems = new ArrayList<>();
    try {
      try {
        client.count("SELECT count() FROM system.zookeeper WHERE path = '/'");
      } catch (RuntimeException e) {
        problems.add(
            "ZooKeeper does not answer the ClickHouse server at "
                + client.settings().httpUrl()
                + " (replicated tables are read-only without it)");
      }
      List<Replica> replicas = list(client);
      java.util.Map<Integer, Integer> answering = new java.util.TreeMap<>();
      List<String> silent = new ArrayList<>();
      List<String> readOnly = new ArrayList<>();
      for (Replica replica : replicas) {
        answering.putIfAbsent(replica.shard(), 0);
        try {
          long ro =
              Long.parseLong(
                  ask(
                          client,
                          replica,
                          "SELECT count() FROM "
                              + remote(client.settings(), replica, "replicas")
                              + " WHERE database = "
                              + ClickHouseClient.quote(client.settings().database())
                              + " AND is_readonly")
                      .get(0)
                      .get(0));
          answering.merge(replica.shard(), 1, Integer::sum);
          if (ro > 0) {
            readOnly.add(replica.describe());
          }
        } catch (RuntimeException e) {
          silent.add(replica.describe());
        }
      }
      if (!silent.isEmpty()) {
        problems.add("replicas not answering: " + String.join(", ", silent));
      }
      answering.forEach(
          (shard, n) -> {
            if (n == 0) {
              problems.add("shard " + shard + " has no replica answering");
            }
          });
      if (!readOnly.isEmpty()) {
        problems.add(
            "replicas with read-only tables (lost ZooKeeper): " + String.join(", ", readOnly));
      }
    } catch (RuntimeException e) {
      // The server asked is itself out of reach: the failure says so already.
    }
    return String.join("; ", problems);
  }
}
