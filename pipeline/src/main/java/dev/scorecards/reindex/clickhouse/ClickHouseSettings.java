package dev.scorecards.reindex.clickhouse;

import dev.scorecards.reindex.model.ClickHouseTable;
import java.io.Serializable;
import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where the target ClickHouse is: its HTTP address and database. The password, when there is one,
 * comes from the environment and is never printed.
 */
public record ClickHouseSettings(
    String httpUrl, String database, String user, String password, ClickHouseTopology topology)
    implements Serializable {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

  /** Settings whose topology is learned from the server when first needed ({@link #resolved}). */
  public ClickHouseSettings(String httpUrl, String database, String user, String password) {
    this(httpUrl, database, user, password, ClickHouseTopology.AUTO);
  }

  public ClickHouseSettings {
    topology = topology == null ? ClickHouseTopology.AUTO : topology;
    URI uri;
    try {
      uri = URI.create(httpUrl);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "the ClickHouse URL '" + httpUrl + "' is not a URL such as http://127.0.0.1:8123");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
        || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "the ClickHouse URL '"
              + httpUrl
              + "' is not an http(s) URL such as http://127.0.0.1:8123");
    }
    // Every request adds its own parameters: a query string here would be sent with each of
    // them (ClickHouse prepends a `query` parameter to the body), and credentials belong in
    // the environment, not in a URL that gets printed.
    if (uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || uri.getRawUserInfo() != null
        || (uri.getRawPath() != null
            && !uri.getRawPath().isEmpty()
            && !uri.getRawPath().equals("/"))) {
      throw new IllegalArgumentException(
          "the ClickHouse URL '"
              + (uri.getRawUserInfo() == null ? httpUrl : "(with credentials)")
              + "' must be only scheme, host and port, such as http://127.0.0.1:8123");
    }
    requireIdentifier("ClickHouse database", database);
  }

  public static String requireIdentifier(String what, String name) {
    if (name == null || !IDENTIFIER.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "the " + what + " name '" + name + "' is not a plain identifier (letters, digits, _)");
    }
    return name;
  }

  /** These settings with the topology known: asks the server when it is not. */
  public ClickHouseSettings resolved() {
    return topology.known()
        ? this
        : withTopology(ClickHouseTopology.detect(new ClickHouseClient(this)));
  }

  public ClickHouseSettings withTopology(ClickHouseTopology topology) {
    return new ClickHouseSettings(httpUrl, database, user, password, topology);
  }

  /** True when the target tables are Distributed tables of a cluster. */
  public boolean clustered() {
    return requireKnown().clustered();
  }

  /**
   * {@code database.table} where a table's rows are stored on each node: the local table of a
   * cluster, the table itself on one server. Deletes (mutations) go here.
   */
  public String qualifiedLocal(ClickHouseTable table) {
    return qualified(table) + requireKnown().localSuffix();
  }

  /** {@code ON CLUSTER name} for statements that every node must run; empty on one server. */
  public String onCluster() {
    return clustered() ? " ON CLUSTER " + topology.cluster() : "";
  }

  private ClickHouseTopology requireKnown() {
    if (!topology.known()) {
      throw new IllegalStateException("the ClickHouse topology was not resolved");
    }
    return topology;
  }

  public URI uri() {
    return URI.create(httpUrl.endsWith("/") ? httpUrl : httpUrl + "/");
  }

  /**
   * {@code database.table}: ClickHouseIO ignores the database of its URL, so tables are always
   * qualified.
   */
  public String qualified(ClickHouseTable table) {
    return database + "." + table.tableName();
  }

  /**
   * The JDBC URL for ClickHouseIO. These settings are the ones that write correctly to ClickHouse
   * 18.16 with clickhouse-jdbc 0.6.4: without {@code compress=0} and the HTTP_CLIENT provider
   * inserts are sent empty or hang (docs/architecture.md, "ClickHouse and its driver"). With {@code
   * deduplicate} false every INSERT carries the server setting {@code insert_deduplicate=0} (a
   * clean-up run: on Replicated tables a block deleted and written again identically would
   * otherwise be dropped as a duplicate). ClickHouseIO's own {@code withInsertDeduplicate} sends a
   * setting name ClickHouse does not know, so the setting goes through the driver's {@code
   * custom_settings}.
   */
  public String jdbcUrlFor(String serverVersion, boolean deduplicate) {
    URI uri = uri();
    int port = uri.getPort() > 0 ? uri.getPort() : ("https".equals(uri.getScheme()) ? 8443 : 8123);
    StringBuilder url =
        new StringBuilder("jdbc:clickhouse:")
            .append(uri.getScheme())
            .append("://")
            .append(uri.getHost())
            .append(':')
            .append(port)
            .append('/')
            .append(database)
            .append("?server_version=")
            .append(serverVersion)
            .append("&server_time_zone=UTC&compress=0&http_connection_provider=HTTP_CLIENT")
            .append("&connect_timeout=10000&socket_timeout=600000")
            // 64 KiB instead of the driver's 8 KiB buffers between the row encoder and the HTTP
            // sender, handed over through a blocking queue: the driver's default non-blocking
            // queue spins on both sides while the other is busy.
            .append("&buffer_size=65536&write_buffer_size=65536&use_blocking_queue=true")
            .append(customSettings(deduplicate))
            .append("&user=")
            .append(java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8));
    if (password != null && !password.isEmpty()) {
      url.append("&password=")
          .append(java.net.URLEncoder.encode(password, java.nio.charset.StandardCharsets.UTF_8));
    }
    return url.toString();
  }

  /**
   * Server settings every INSERT of ClickHouseIO carries: no replicated de-duplication when asked,
   * and on a cluster synchronous distributed inserts, so that an INSERT returns only once its rows
   * are on the shards (an asynchronous one returns before, and the accounting would count early).
   */
  private String customSettings(boolean deduplicate) {
    List<String> custom = new java.util.ArrayList<>();
    if (!deduplicate) {
      custom.add("insert_deduplicate=0");
    }
    if (clustered()) {
      custom.add("insert_distributed_sync=1");
    }
    return custom.isEmpty()
        ? ""
        : "&custom_settings="
            + java.net.URLEncoder.encode(
                String.join(",", custom), java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "ClickHouse "
        + httpUrl
        + " database "
        + database
        + " as "
        + user
        + (password == null || password.isEmpty() ? "" : " (password from environment)")
        + ", "
        + topology.describe();
  }
}
