package dev.scorecards.reindex.runners.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scorecards.reindex.model.ReindexWindow;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The scheduling rules with a stand-in for the run; the real run is covered by ScheduleIT. */
class SchedulerTest {
  private final List<String> log = new CopyOnWriteArrayList<>();
  private final List<ReindexWindow> windows = new CopyOnWriteArrayList<>();

  private static ReindexWindow lastDay(Instant tick) {
    return ReindexWindow.of(tick.minus(Duration.ofHours(24)), tick);
  }

  @Test
  void parsesFiveAndSixFieldExpressionsAndRefusesOthers() {
    assertThat(Scheduler.parse("*/5 * * * *")).isNotNull();
    assertThat(Scheduler.parse("*/3 * * * * *")).isNotNull();
    assertThatThrownBy(() -> Scheduler.parse("every minute"))
        .hasMessageStartingWith("the cron expression 'every minute' is not valid");
    assertThatThrownBy(() -> Scheduler.parse("61 * * * *"))
        .hasMessageStartingWith("the cron expression '61 * * * *' is not valid");
  }

  @Test
  @Timeout(60)
  void aTickDuringALongRunIsSkippedAndConsecutiveWindowsAreAdjacent(@TempDir Path dir)
      throws Exception {
    ScheduleState state = new ScheduleState(dir.resolve("state.properties"), "process");
    Scheduler scheduler =
        new Scheduler(
            "* * * * * *",
            SchedulerTest::lastDay,
            state,
            window -> {
              windows.add(window);
              Thread.sleep(2_600);
              return "ok";
            },
            Clock.systemUTC(),
            log::add);

    assertThat(scheduler.loop(2)).isZero();

    assertThat(windows).hasSize(2);
    assertThat(windows.get(1).start()).isEqualTo(windows.get(0).end());
    assertThat(Duration.between(windows.get(0).start(), windows.get(0).end()))
        .isEqualTo(Duration.ofHours(24));
    assertThat(log)
        .filteredOn(l -> l.contains("skipped: the previous run is still going"))
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(log).filteredOn(l -> l.contains("succeeded")).hasSize(2);
    assertThat(state.lastSuccessfulEnd()).contains(windows.get(1).end());
  }

  @Test
  @Timeout(60)
  void aFailedRunIsRetriedOnTheNextTickAndTheEndSurvivesARestart(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("state.properties");
    AtomicInteger calls = new AtomicInteger();
    Scheduler.Run failsFirst =
        window -> {
          windows.add(window);
          if (calls.incrementAndGet() == 2) {
            throw new IllegalStateException("ClickHouse went away");
          }
          return "ok";
        };
    new Scheduler(
            "* * * * * *",
            SchedulerTest::lastDay,
            new ScheduleState(file, "process"),
            failsFirst,
            Clock.systemUTC(),
            log::add)
        .loop(3);

    assertThat(log)
        .anyMatch(
            l ->
                l.contains("failed")
                    && l.contains("ClickHouse went away")
                    && l.contains("the next tick retries this window"));
    // Run 2 failed: run 3 starts where run 1 ended, not where run 2 would have.
    assertThat(windows.get(1).start()).isEqualTo(windows.get(0).end());
    assertThat(windows.get(2).start()).isEqualTo(windows.get(0).end());

    // A new scheduler (a restart) continues from the recorded end.
    Instant recorded = new ScheduleState(file, "process").lastSuccessfulEnd().orElseThrow();
    assertThat(recorded).isEqualTo(windows.get(2).end());
    windows.clear();
    new Scheduler(
            "* * * * * *",
            SchedulerTest::lastDay,
            new ScheduleState(file, "process"),
            window -> {
              windows.add(window);
              return "ok";
            },
            Clock.systemUTC(),
            log::add)
        .loop(1);
    assertThat(windows.get(0).start()).isEqualTo(recorded);
    // Another mode keeps its own end.
    assertThat(new ScheduleState(file, "conversation").lastSuccessfulEnd()).isEmpty();
  }
}
