package dev.scorecards.reindex.testing;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.postgres.PostgresSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A database of the tool's own, of one name, on the local services ({@code ./reindex services
 * start}), in PostgreSQL and in ClickHouse, with the contract's tables: the bench's ({@code
 * reindex_bench}). The contract is read from {@code <reindex.home>/contract}.
 */
public record ContractDatabases(String pgHost, String chUrl, String name) {
  public ContractDatabases {
    ClickHouseSettings.requireIdentifier("database", name);
  }

  /** Connections as the role that reads ({@code reindex}). */
  public PostgresSettings postgres() {
    return new PostgresSettings("jdbc:postgresql://" + pgHost + "/" + name, "reindex", null);
  }

  /** Connections as the superuser, in this database. */
  public PostgresSettings postgresAdmin() {
    return new PostgresSettings("jdbc:postgresql://" + pgHost + "/" + name, "postgres", null);
  }

  public ClickHouseClient clickHouse() {
    return new ClickHouseClient(new ClickHouseSettings(chUrl, name, "default", null));
  }

  /**
   * Creates both databases when they are missing (the PostgreSQL one owned by {@code reindex}), and
   * the contract's tables in them.
   */
  public void create() throws SQLException, IOException {
    try (Connection c = serverAdmin().connect();
        Statement st = c.createStatement()) {
      ResultSet rs =
          st.executeQuery("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'");
      rs.next();
      if (rs.getLong(1) == 0) {
        st.execute("CREATE DATABASE " + name + " OWNER reindex");
      }
    }
    try (Connection c = postgres().connect();
        Statement st = c.createStatement()) {
      st.execute("SET client_min_messages = warning");
      st.execute(Files.readString(contract("postgres.sql")));
    }
    serverClickHouse().execute("CREATE DATABASE IF NOT EXISTS " + name);
    createClickHouseTables();
  }

  /** The contract's ClickHouse tables, where missing. */
  public void createClickHouseTables() throws IOException {
    for (String statement :
        ClickHouseTable.ddlStatements(Files.readString(contract("clickhouse.sql")))) {
      clickHouse().execute(statement);
    }
  }

  /**
   * On a cluster (this record's ClickHouse URL is one of its nodes): the database on every node and
   * the tables of {@code contract/clickhouse-cluster.sql} in it, written for database {@code
   * reindex} and renamed to this one. Tables already there are dropped first (their replicas'
   * ZooKeeper data with them), so every call starts empty.
   */
  public void createClusterTables(String cluster) throws IOException {
    ClickHouseClient server = serverClickHouse();
    server.execute("CREATE DATABASE IF NOT EXISTS " + name + " ON CLUSTER " + cluster);
    for (String t :
        java.util.List.of(
            "conversations",
            "scorecards",
            "scores",
            dev.scorecards.reindex.run.RunLedger.RUNS,
            dev.scorecards.reindex.run.RunLedger.CHUNKS)) {
      server.execute("DROP TABLE IF EXISTS " + name + "." + t + " ON CLUSTER " + cluster);
      server.execute("DROP TABLE IF EXISTS " + name + "." + t + "_local ON CLUSTER " + cluster);
    }
    String ddl =
        Files.readString(contract("clickhouse-cluster.sql"))
            .replace("reindex.", name + ".")
            .replace("/reindex/", "/" + name + "/")
            .replace(", reindex,", ", " + name + ",");
    for (String statement : ClickHouseTable.ddlStatements(ddl)) {
      server.execute(statement);
    }
  }

  /** Drops both databases, ending any session still open in the PostgreSQL one. */
  public void drop() throws SQLException {
    serverClickHouse().execute("DROP DATABASE IF EXISTS " + name);
    try (Connection c = serverAdmin().connect();
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  /** The superuser in the local service's own database, for creating and dropping others. */
  private PostgresSettings serverAdmin() {
    return new PostgresSettings("jdbc:postgresql://" + pgHost + "/reindex", "postgres", null);
  }

  private ClickHouseClient serverClickHouse() {
    return new ClickHouseClient(new ClickHouseSettings(chUrl, "default", "default", null));
  }

  private static Path contract(String file) {
    return Path.of(System.getProperty("reindex.home", "."), "contract", file);
  }
}
