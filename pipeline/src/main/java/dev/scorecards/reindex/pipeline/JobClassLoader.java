package dev.scorecards.reindex.pipeline;

import dev.scorecards.reindex.clickhouse.ClickHouseDriverThreads;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;

/**
 * Lets go of what would keep a finished job's classes alive on a Flink TaskManager. There every job
 * loads this code, Beam and the drivers in a class loader of its own; JDBC drivers register
 * themselves with the JDK's DriverManager and the ClickHouse driver keeps a pool of threads, and
 * either kept every class of every job in metaspace (a TaskManager failed after about ten jobs).
 * Nothing in a job goes through DriverManager: JdbcIO's pool and {@code PostgresSettings} create
 * their driver directly, ClickHouseIO's data source too. Called from the steps' set-up and
 * tear-down; does nothing where this code is loaded once for the process (the CLI, the
 * DirectRunner, embedded Flink).
 */
final class JobClassLoader {
  static final List<String> DRIVERS =
      List.of("org.postgresql.Driver", "com.clickhouse.jdbc.ClickHouseDriver");

  private JobClassLoader() {}

  /** Whether this code was loaded for one job (on a Flink cluster), not for the process. */
  static boolean loadedForOneJob() {
    return JobClassLoader.class.getClassLoader() != ClassLoader.getSystemClassLoader();
  }

  static void releaseHolds() {
    if (!loadedForOneJob()) {
      return;
    }
    ClassLoader own = JobClassLoader.class.getClassLoader();
    ClickHouseDriverThreads.letIdleThreadsEnd();
    // Loaded (and registered) now, so that no later step of the job registers them again.
    for (String driver : DRIVERS) {
      try {
        Class.forName(driver, true, own);
      } catch (ClassNotFoundException | LinkageError e) {
        // not in this job's jar
      }
    }
    for (Driver d : Collections.list(DriverManager.getDrivers())) {
      if (d.getClass().getClassLoader() == own) {
        try {
          DriverManager.deregisterDriver(d);
        } catch (SQLException | SecurityException e) {
          // stays registered: this job's classes stay in memory, nothing else changes
        }
      }
    }
  }
}
