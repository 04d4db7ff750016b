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

  public PostgresSettings {
    if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql://")) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL must start with jdbc:postgresql://, not '" + jdbcUrl + "'");
    }
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
    return java.sql.DriverManager.getConnection(jdbcUrl, props);
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
