package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.run.ReindexJob;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The heartbeat of a chunk on Flink. Beam's attached submission to Flink returns only when the job
 * has ended, so the pipeline's own metrics show nothing while it runs: a healthy chunk longer than
 * the heartbeat time-out was abandoned, and its job, which nothing could cancel, went on beside the
 * next attempt's. This watch finds the job in the cluster's REST API (the job named as the
 * pipeline, not there before the submission), beats when it appears and whenever its operators have
 * emitted more records, and cancels it when the attempt is given up (unless another job of the same
 * name appeared on the cluster meanwhile: which one is this pipeline's is then unknown).
 *
 * <p>Embedded clusters refresh the metrics every second ({@link EmbeddedFlink}); a session cluster
 * as often as its {@code metrics.fetcher.update-interval} (10 s by default). A job launched by
 * {@code flink run} is not watched (its cluster's address is the client's).
 */
final class FlinkProgressWatch implements ReindexJob.Watch {
  static final FlinkProgressWatch INSTANCE = new FlinkProgressWatch();

  /**
   * How often the cluster is asked for a caller that waits {@code within} for a beat: four times in
   * that time, at most every 10 s (a cluster refreshes its metrics no more often by default) and at
   * least every 0.5 s. Each answer costs the JobManager a fetch of every metric.
   */
  static long pollMillis(java.time.Duration within) {
    return Math.max(500, Math.min(10_000, within.toMillis() / 4));
  }

  private FlinkProgressWatch() {}

  @Override
  public ReindexJob.Watching start(
      PipelineOptions options, java.time.Duration within, Runnable beat) {
    if (options.getRunner() == null || !FlinkRunner.class.isAssignableFrom(options.getRunner())) {
      return ReindexJob.Watching.NONE;
    }
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    String master = flink.getFlinkMaster();
    Supplier<List<String>> clusters;
    // RunnerOptions checked a given master as HOST:PORT; Beam's own masters are bracketed.
    if (master != null && !master.startsWith("[")) {
      clusters = () -> List.of(master);
    } else if (!EmbeddedFlink.launchedByFlinkClient()) {
      clusters = EmbeddedFlink::restAddresses;
    } else {
      return ReindexJob.Watching.NONE;
    }
    Job job = new Job(flink.getJobName(), clusters, beat, pollMillis(within));
    Thread poller = new Thread(job::poll, "reindex-flink-progress");
    poller.setDaemon(true);
    poller.start();
    return new ReindexJob.Watching() {
      @Override
      public void cancelJob() {
        // On a thread of its own: the attempt's thread may be the interrupted one.
        Thread cancel = new Thread(job::cancel, "reindex-flink-cancel");
        cancel.setDaemon(true);
        cancel.start();
      }

      @Override
      public void close() {
        poller.interrupt();
      }
    };
  }

  /** One pipeline's job, once it is found. */
  private static final class Job {
    private final String name;
    private final Supplier<List<String>> clusters;
    private final Runnable beat;
    private final long pollMillis;
    private final Set<String> before = new HashSet<>();

    /** The jobs found, by id: their cluster's address. */
    private final Map<String, String> found = new HashMap<>();

    private final Map<String, Long> recordsOut = new HashMap<>();
    private final Map<String, FlinkRest> rests = new HashMap<>();

    Job(String name, Supplier<List<String>> clusters, Runnable beat, long pollMillis) {
      this.name = name;
      this.pollMillis = pollMillis;
      this.clusters = clusters;
      this.beat = beat;
      // Jobs of the same name the clusters already know (earlier chunks, other runs) are not
      // this pipeline's.
      for (String cluster : clusters.get()) {
        try {
          for (FlinkRest.Job j : rest(cluster).jobs()) {
            before.add(j.id());
          }
        } catch (Exception e) {
          // Not reachable yet: its jobs are all new.
        }
      }
    }

    private synchronized FlinkRest rest(String cluster) {
      return rests.computeIfAbsent(cluster, FlinkRest::new);
    }

    void poll() {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          Thread.sleep(pollMillis);
          look();
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          // No answer is no progress: the heartbeat time-out decides.
        }
      }
    }

    private synchronized void look() throws Exception {
      for (String cluster : clusters.get()) {
        FlinkRest rest = rest(cluster);
        for (FlinkRest.Job j : rest.jobs()) {
          if (!j.name().equals(name) || before.contains(j.id())) {
            continue;
          }
          if (found.put(j.id(), cluster) == null) {
            beat.run();
          }
          if (!j.ended()) {
            long out = rest.recordsOut(j.id());
            if (out > recordsOut.getOrDefault(j.id(), 0L)) {
              recordsOut.put(j.id(), out);
              beat.run();
            }
          }
        }
      }
    }

    /** Cancels this pipeline's jobs that have not ended, found now if not before. */
    synchronized void cancel() {
      try {
        look();
      } catch (Exception e) {
        // Cancel what was found.
      }
      // Two new jobs of this name: another run submitted one to the same cluster meanwhile, and
      // cancelling its job would be worse than leaving this one to its own time-outs.
      if (found.size() != 1) {
        return;
      }
      for (Map.Entry<String, String> j : found.entrySet()) {
        try {
          FlinkRest rest = rest(j.getValue());
          for (FlinkRest.Job now : rest.jobs()) {
            if (now.id().equals(j.getKey()) && !now.ended()) {
              rest.cancel(now.id());
            }
          }
        } catch (Exception e) {
          // The attempt is given up either way; a job that cannot be cancelled ends on its own.
        }
      }
    }
  }
}
