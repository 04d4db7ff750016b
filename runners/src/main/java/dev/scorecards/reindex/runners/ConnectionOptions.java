package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.postgres.PostgresSettings;
import picocli.CommandLine.Option;

/**
 * Where the databases are: flags, each with a {@code REINDEX_*} environment variable, and
 * defaults that point at the local services. Passwords are read from the environment only
 * ({@code REINDEX_PG_PASSWORD}, {@code REINDEX_CH_PASSWORD}), never from the command line.
 */
public class ConnectionOptions {
  @Option(names = "--pg-url", defaultValue = "${env:REINDEX_PG_URL:-jdbc:postgresql://127.0.0.1:55432/reindex}",
      description = "PostgreSQL JDBC URL (env REINDEX_PG_URL; default: ${DEFAULT-VALUE})")
  String pgUrl;

  @Option(names = "--pg-user", defaultValue = "${env:REINDEX_PG_USER:-reindex}",
      description = "PostgreSQL user (env REINDEX_PG_USER; default: ${DEFAULT-VALUE}); password from env REINDEX_PG_PASSWORD")
  String pgUser;

  @Option(names = "--ch-url", defaultValue = "${env:REINDEX_CH_URL:-http://127.0.0.1:18123}",
      description = "ClickHouse HTTP URL (env REINDEX_CH_URL; default: ${DEFAULT-VALUE})")
  String chUrl;

  @Option(names = "--ch-database", defaultValue = "${env:REINDEX_CH_DATABASE:-reindex}",
      description = "ClickHouse database (env REINDEX_CH_DATABASE; default: ${DEFAULT-VALUE})")
  String chDatabase;

  @Option(names = "--ch-user", defaultValue = "${env:REINDEX_CH_USER:-default}",
      description = "ClickHouse user (env REINDEX_CH_USER; default: ${DEFAULT-VALUE}); password from env REINDEX_CH_PASSWORD")
  String chUser;

  public PostgresSettings postgres() {
    return new PostgresSettings(pgUrl, pgUser, System.getenv("REINDEX_PG_PASSWORD"));
  }

  public ClickHouseSettings clickHouse() {
    return new ClickHouseSettings(chUrl, chDatabase, chUser, System.getenv("REINDEX_CH_PASSWORD"));
  }
}
