package dev.scorecards.reindex.clickhouse;

import java.lang.reflect.Field;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The ClickHouse JDBC driver (used by ClickHouseIO) keeps a static pool of worker threads that
 * never end. On a Flink cluster every job loads the driver again in a class loader of its own, and
 * those idle threads keep each job's class loader, and every class of the job, alive: a TaskManager
 * ran out of metaspace after about ten jobs. Letting idle threads end frees a finished job's class
 * loader; threads in use are untouched.
 */
public final class ClickHouseDriverThreads {
  static final String EXECUTORS =
      "com.clickhouse.data.ClickHouseDataStreamFactory$DefaultExecutors";
  static final long IDLE_SECONDS = 10;

  private ClickHouseDriverThreads() {}

  /** Lets the driver's idle workers end after a few seconds; false if its pool is not found. */
  public static synchronized boolean letIdleThreadsEnd() {
    try {
      Class<?> executors =
          Class.forName(EXECUTORS, true, ClickHouseDriverThreads.class.getClassLoader());
      // Its single-thread scheduler (a JDK wrapper, not reachable) starts no thread in a run.
      Field f = executors.getDeclaredField("executor");
      f.setAccessible(true);
      if (f.get(null) instanceof ThreadPoolExecutor pool) {
        if (!pool.allowsCoreThreadTimeOut()) {
          pool.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
          pool.allowCoreThreadTimeOut(true);
        }
        return true;
      }
      return false;
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Another driver version: its threads are its own business; nothing here depends on it.
      return false;
    }
  }
}
