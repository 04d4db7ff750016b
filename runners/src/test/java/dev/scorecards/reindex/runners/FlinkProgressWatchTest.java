package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FlinkProgressWatchTest {
  @Test
  void theClusterIsAskedFourTimesPerHeartbeatTimeoutWithinBounds() {
    assertThat(FlinkProgressWatch.pollMillis(Duration.ofSeconds(6))).isEqualTo(1_500);
    // The default time-out (5 minutes): no more often than a cluster refreshes its metrics.
    assertThat(FlinkProgressWatch.pollMillis(Duration.ofMinutes(5))).isEqualTo(10_000);
    assertThat(FlinkProgressWatch.pollMillis(Duration.ofSeconds(1))).isEqualTo(500);
  }

  @Test
  void aPipelineOfAnotherRunnerIsNotWatched() {
    assertThat(
            FlinkProgressWatch.INSTANCE.start(
                RunnerOptions.direct(), Duration.ofSeconds(6), () -> {}))
        .isSameAs(dev.scorecards.reindex.run.ReindexJob.Watching.NONE);
  }
}
