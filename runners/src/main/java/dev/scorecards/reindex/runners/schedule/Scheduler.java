package dev.scorecards.reindex.runners.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.scorecards.reindex.model.ReindexWindow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Launches a reindex at each tick of a cron expression. Each run covers {@code [end of the previous
 * successful run, tick)}, the first one the configured default window, so consecutive runs leave no
 * gap and no overlap; the last successful end is kept in a {@link ScheduleState} so that it
 * survives a restart. Never two runs at once: a tick that comes while a run is going is skipped and
 * logged. A failed run is logged with its reason and the next tick retries its window.
 */
public final class Scheduler {
  /** Runs one window; returns the line that describes its result, or throws with the reason. */
  public interface Run {
    String run(ReindexWindow window) throws Exception;
  }

  private final ExecutionTime executionTime;
  private final java.util.function.Function<Instant, ReindexWindow> firstWindowAt;
  private final ScheduleState state;
  private final Run run;
  private final Clock clock;
  private final Consumer<String> log;

  /**
   * {@code firstWindowAt} gives the window of the first run from its tick (no successful run
   * recorded yet).
   */
  public Scheduler(
      String cron,
      java.util.function.Function<Instant, ReindexWindow> firstWindowAt,
      ScheduleState state,
      Run run,
      Clock clock,
      Consumer<String> log) {
    this.executionTime = ExecutionTime.forCron(parse(cron));
    this.firstWindowAt = firstWindowAt;
    this.state = state;
    this.run = run;
    this.clock = clock;
    this.log = log;
  }

  /**
   * A standard cron expression: five fields (minute hour day-of-month month day-of-week), or six
   * with seconds first.
   */
  public static Cron parse(String expression) {
    String e = expression == null ? "" : expression.trim();
    CronType type = e.split("\\s+").length == 6 ? CronType.SPRING : CronType.UNIX;
    try {
      return new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type)).parse(e).validate();
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(
          "the cron expression '" + expression + "' is not valid: " + ex.getMessage());
    }
  }

  /**
   * The window the next run covers if it starts at {@code tick}; empty when there is nothing to
   * cover.
   */
  Optional<ReindexWindow> windowAt(Instant tick) {
    Optional<Instant> last = state.lastSuccessfulEnd();
    if (last.isEmpty()) {
      return Optional.of(firstWindowAt.apply(tick));
    }
    return last.get().isBefore(tick)
        ? Optional.of(ReindexWindow.of(last.get(), tick))
        : Optional.empty();
  }

  /** Runs until {@code maxRuns} runs have ended (0: forever). Returns the number of failed runs. */
  public int loop(int maxRuns) throws InterruptedException {
    ExecutorService worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "reindex-scheduled-run");
              t.setDaemon(true);
              return t;
            });
    int[] ended = {0};
    int[] failed = {0};
    Future<?> current = null;
    try {
      while (maxRuns == 0 || ended[0] < maxRuns) {
        ZonedDateTime now = ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
        Optional<ZonedDateTime> next = executionTime.nextExecution(now);
        if (next.isEmpty()) {
          log.accept("schedule: the cron expression has no further ticks; stopping");
          break;
        }
        Duration wait = Duration.between(now, next.get());
        if (!wait.isNegative()) {
          Thread.sleep(Math.max(1, wait.toMillis()));
        }
        Instant tick = next.get().toInstant();
        synchronized (ended) {
          if (maxRuns != 0 && ended[0] >= maxRuns) {
            break;
          }
        }
        if (current != null && !current.isDone()) {
          log.accept("schedule: tick " + tick + " skipped: the previous run is still going");
          continue;
        }
        Optional<ReindexWindow> window = windowAt(tick);
        if (window.isEmpty()) {
          log.accept(
              "schedule: tick "
                  + tick
                  + " skipped: nothing to cover since "
                  + state.lastSuccessfulEnd().orElse(null));
          continue;
        }
        current =
            worker.submit(
                () -> {
                  long began = System.nanoTime();
                  try {
                    String result = run.run(window.get());
                    state.recordSuccess(window.get().end());
                    log.accept(
                        String.format(
                            "schedule: run of %s succeeded in %.1f s: %s",
                            window.get(), (System.nanoTime() - began) / 1e9, result));
                  } catch (Throwable e) {
                    synchronized (ended) {
                      failed[0]++;
                    }
                    log.accept(
                        String.format(
                            "schedule: run of %s failed after %.1f s: %s; the next tick retries this window",
                            window.get(),
                            (System.nanoTime() - began) / 1e9,
                            dev.scorecards.reindex.runners.ExitCodes.message(e)));
                  } finally {
                    synchronized (ended) {
                      ended[0]++;
                    }
                  }
                });
        if (maxRuns != 0 && ended[0] + 1 >= maxRuns) {
          // The last run allowed: wait for it rather than for more ticks.
          try {
            current.get();
          } catch (java.util.concurrent.ExecutionException e) {
            // logged by the run itself
          }
        }
      }
      if (current != null && !current.isDone()) {
        try {
          current.get();
        } catch (java.util.concurrent.ExecutionException e) {
          // logged by the run itself
        }
      }
      return failed[0];
    } finally {
      worker.shutdownNow();
    }
  }
}
