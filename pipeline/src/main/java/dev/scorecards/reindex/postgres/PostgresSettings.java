package dev.scorecards.reindex.postgres;

import java.io.Serializable;
import org.apache.beam.sdk.io.jdbc.JdbcIO;

/**
 * Where the source PostgreSQL is. The password, when there is one, comes from the environment; it
 * is never printed ({@link #toString()} leaves it out) and never becomes a pipeline option.
 */
public record PostgresSettings(String jdbcUrl, String user, String password)
    implements Serializable {
  /**
   * Connect and socket time-outs (seconds) so that a dead server fails a query instead of hanging
   * it. Statements are server-prepared from their first execution ({@code prepareThreshold=-1}):
   * the driver asks for PostgreSQL's binary format only for prepared statements, and the range
   * reads run each statement once, so the scorecards came as text and their timestamps were parsed
   * (binary, they are read as microseconds: {@link PostgresQueries#instant}). A URL's own {@code
   * prepareThreshold} (0 behind a transaction-pooling PgBouncer) takes precedence.
   */
  static final String CONNECTION_PROPERTIES =
      "connectTimeout=10;socketTimeout=600;tcpKeepAlive=true;ApplicationName=reindex;prepareThreshold=-1";

  /**
   * URL parameters that carry secrets: the driver would take them, and the URL is printed (the
   * effective configuration, the ledger's and a job's messages) and visible in argv.
   */
  private static final java.util.regex.Pattern SECRET_PARAMETER =
      java.util.regex.Pattern.compile(
          "[?&](password|sslpassword)=", java.util.regex.Pattern.CASE_INSENSITIVE);

  public PostgresSettings {
    if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql://")) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL must start with jdbc:postgresql://, not '"
              + (jdbcUrl == null ? null : withoutQuery(jdbcUrl))
              + "'");
    }
    java.util.regex.Matcher secret = SECRET_PARAMETER.matcher(jdbcUrl);
    if (secret.find()) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL '"
              + withoutQuery(jdbcUrl)
              + "?...' carries a "
              + secret.group(1)
              + ": give the password in REINDEX_PG_PASSWORD, never in the URL");
    }
  }

  private static String withoutQuery(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }

  public JdbcIO.DataSourceConfiguration dataSourceConfiguration() {
    JdbcIO.DataSourceConfiguration config =
        JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", jdbcUrl)
            .withUsername(user)
            .withConnectionProperties(CONNECTION_PROPERTIES);
    if (password != null && !password.isEmpty()) {
      config = config.withPassword(password);
    }
    return config;
  }

  /**
   * Connections without a pool, for steps on a Flink cluster: JdbcIO keeps its pools in a static
   * map, and a job's class loader, with its pool and open connections, would outlive the job.
   */
  public javax.sql.DataSource unpooledDataSource() {
    return new UnpooledDataSource(this);
  }

  /** A plain connection for the driver-side steps (count, accounting). */
  public java.sql.Connection connect() throws java.sql.SQLException {
    java.util.Properties props = new java.util.Properties();
    props.setProperty("user", user);
    if (password != null && !password.isEmpty()) {
      props.setProperty("password", password);
    }
    for (String kv : CONNECTION_PROPERTIES.split(";")) {
      String[] p = kv.split("=", 2);
      props.setProperty(p[0], p[1]);
    }
    // The driver itself, not DriverManager: on a Flink TaskManager this class comes from the
    // job's class loader, whose copy of the driver DriverManager does not offer it.
    java.sql.Connection connection = new org.postgresql.Driver().connect(jdbcUrl, props);
    if (connection == null) {
      throw new java.sql.SQLException("not a PostgreSQL JDBC URL: " + jdbcUrl);
    }
    return connection;
  }

  @Override
  public String toString() {
    return "PostgreSQL "
        + jdbcUrl
        + " as "
        + user
        + (password == null || password.isEmpty() ? "" : " (password from environment)");
  }
}
