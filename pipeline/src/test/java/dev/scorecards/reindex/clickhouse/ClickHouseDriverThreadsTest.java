package dev.scorecards.reindex.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClickHouseDriverThreadsTest {
  @Test
  void theDriversPoolLetsItsIdleThreadsEnd() throws Exception {
    // Fails when a driver upgrade moves its pools: a cluster's TaskManagers would leak again.
    assertThat(ClickHouseDriverThreads.letIdleThreadsEnd()).isTrue();
    Class<?> executors = Class.forName(ClickHouseDriverThreads.EXECUTORS);
    Field f = executors.getDeclaredField("executor");
    f.setAccessible(true);
    ThreadPoolExecutor pool = (ThreadPoolExecutor) f.get(null);
    assertThat(pool.allowsCoreThreadTimeOut()).isTrue();
    assertThat(pool.getKeepAliveTime(TimeUnit.SECONDS))
        .isEqualTo(ClickHouseDriverThreads.IDLE_SECONDS);
  }
}
