package dev.scorecards.reindex.run;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseReplicas;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.PerTable;
import dev.scorecards.reindex.model.ReindexWindow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.BackOff;
import org.apache.beam.sdk.util.FluentBackoff;

/**
 * A run that survives failures, the role the original job's Temporal heartbeats played.
 *
 * <p>The window is cut into chunks (time ranges of about {@link Policy#scorecardsPerChunk}
 * scorecards each, at the quantiles of the update times), fixed when the run is created and
 * recorded in the {@link RunLedger}. Each chunk is one {@link ReindexJob}: clean-up (when asked),
 * writes and accounting for that range; only when its counts agree is the chunk recorded as done. A
 * failed attempt is followed, after an exponential back-off, by another that skips the chunks done,
 * as long as the failure is transient ({@link Failures#isTransient}) and attempts remain; a
 * permanent failure ends the run at once. A later invocation resumes an unfinished run by id, or by
 * finding the unfinished run of the same mode and window. A chunk whose deletes ran but whose
 * writes did not is never recorded as done, so resuming re-deletes and rewrites it: a crash during
 * a clean-up run loses nothing for good.
 *
 * <p>Heartbeat: the attempt runs in a worker thread; every joined batch, written row, submitted
 * mutation and finished chunk is a beat. When no beat arrives for the heartbeat time-out, the
 * attempt is abandoned (its pipeline cancelled, its thread interrupted) and counts as a failed,
 * transient attempt.
 *
 * <p>The run ends with the verification; it succeeds only if every chunk's counts agreed and the
 * verification finds ClickHouse equal to PostgreSQL for the whole window.
 */
public final class ResumableReindex {
  private ResumableReindex() {}

  /** How hard a run tries. */
  public record Policy(
      int maxAttempts,
      Duration heartbeatTimeout,
      Duration initialBackoff,
      Duration maxBackoff,
      long scorecardsPerChunk,
      Duration leaseTimeout,
      boolean waitForLock) {
    public static final long DEFAULT_SCORECARDS_PER_CHUNK = 100_000;
    public static final Duration DEFAULT_LEASE_TIMEOUT = Duration.ofSeconds(60);

    public Policy {
      if (maxAttempts < 1
          || heartbeatTimeout.isNegative()
          || heartbeatTimeout.isZero()
          || scorecardsPerChunk < 1
          || leaseTimeout.toSeconds() < 3) {
        throw new IllegalArgumentException(
            "attempts, heartbeat time-out and chunk size must be positive, the lease time-out at"
                + " least 3 s");
      }
    }

    public static Policy of(int maxAttempts, Duration heartbeatTimeout) {
      return new Policy(
          maxAttempts,
          heartbeatTimeout,
          Duration.ofSeconds(2),
          Duration.ofMinutes(1),
          DEFAULT_SCORECARDS_PER_CHUNK,
          DEFAULT_LEASE_TIMEOUT,
          false);
    }

    public Policy withBackoff(Duration initial, Duration max) {
      return new Policy(
          maxAttempts,
          heartbeatTimeout,
          initial,
          max,
          scorecardsPerChunk,
          leaseTimeout,
          waitForLock);
    }

    public Policy withScorecardsPerChunk(long n) {
      return new Policy(
          maxAttempts, heartbeatTimeout, initialBackoff, maxBackoff, n, leaseTimeout, waitForLock);
    }

    /**
     * How long a run's lease on its window lasts without renewal (its holder killed), and whether a
     * run waits for another's lease instead of refusing.
     */
    public Policy withLease(Duration timeout, boolean wait) {
      return new Policy(
          maxAttempts,
          heartbeatTimeout,
          initialBackoff,
          maxBackoff,
          scorecardsPerChunk,
          timeout,
          wait);
    }

    /**
     * The waits between attempts: Beam's exponential back-off from {@code initialBackoff}, at most
     * {@code maxBackoff}, each randomized by up to half so that runs failing together do not retry
     * together.
     */
    public BackOff backoff() {
      return FluentBackoff.DEFAULT
          .withInitialBackoff(org.joda.time.Duration.millis(initialBackoff.toMillis()))
          .withExponent(2)
          .withMaxBackoff(org.joda.time.Duration.millis(maxBackoff.toMillis()))
          .withMaxRetries(maxAttempts - 1)
          .backoff();
    }
  }

  /**
   * Checks ClickHouse against PostgreSQL for the run's window: null when equal, else one sentence.
   */
  public interface Verification {
    String differences(ReindexConfig config) throws Exception;
  }

  /** What the caller hears while the run goes on. */
  public interface Listener {
    Listener NONE = new Listener() {};

    default void log(String line) {}

    default void progress(long scorecardsDone, long total) {}
  }

  /**
   * What a run did, over all its attempts in this invocation and the chunks earlier ones finished.
   */
  public record Outcome(
      RunLedger.Run run,
      boolean resumed,
      int chunks,
      int chunksSkipped,
      int attempts,
      PerTable written,
      PerTable deleted,
      List<ReindexJob.Summary> summaries,
      double seconds) {

    public String describe() {
      return String.format(
          "run %s: %d chunk%s (%d skipped as already done), %d attempt%s; "
              + "%s written, %,d rows deleted in %.1f s",
          run.runId(),
          chunks,
          chunks == 1 ? "" : "s",
          chunksSkipped,
          attempts,
          attempts == 1 ? "" : "s",
          written.describe(),
          deleted.total(),
          seconds);
    }
  }

  /** The run failed for good (permanent failure, or transient failures on every attempt). */
  public static class RunFailedException extends RuntimeException {
    private final String runId;
    private final boolean exhausted;

    RunFailedException(String message, String runId, boolean exhausted, Throwable cause) {
      super(message, cause);
      this.runId = runId;
      this.exhausted = exhausted;
    }

    /** The run to resume, or null when the failure came before the run was recorded. */
    public String runId() {
      return runId;
    }

    /** True when every attempt failed transiently: resuming later may succeed. */
    public boolean attemptsExhausted() {
      return exhausted;
    }
  }

  /** ClickHouse does not match PostgreSQL after all chunks were written. */
  public static class VerificationFailedException extends RuntimeException {
    VerificationFailedException(String message) {
      super(message);
    }
  }

  /**
   * Runs (or resumes) the reindex of {@code config}'s window. {@code resumeRunId}, when not null,
   * names the run to resume; its mode, window and clean-up choice replace the config's.
   */
  public static Outcome run(
      ReindexConfig config,
      Policy policy,
      PipelineOptions options,
      String resumeRunId,
      Verification verification,
      Listener listener)
      throws InterruptedException {
    return run(config, policy, () -> options, resumeRunId, verification, listener);
  }

  /**
   * As above, with the pipeline options asked for only when the first chunk's pipeline is built: a
   * caller can create them (Beam registers and checks every options interface on the classpath:
   * about half a second) while the run reaches its ledger, counts and plans.
   */
  public static Outcome run(
      ReindexConfig config,
      Policy policy,
      java.util.function.Supplier<? extends PipelineOptions> options,
      String resumeRunId,
      Verification verification,
      Listener listener)
      throws InterruptedException {
    if (resumeRunId != null) {
      RunLedger.requireRunId(resumeRunId);
    }
    long began = System.nanoTime();
    State state = new State(config, policy, options, resumeRunId, verification, listener);
    BackOff backoff = policy.backoff();
    try {
      return attempts(state, policy, backoff, began, config, listener);
    } finally {
      if (state.lease != null) {
        state.lease.close();
      }
    }
  }

  private static Outcome attempts(
      State state,
      Policy policy,
      BackOff backoff,
      long began,
      ReindexConfig config,
      Listener listener)
      throws InterruptedException {
    Throwable last = null;
    for (int attempt = 1; attempt <= policy.maxAttempts(); attempt++) {
      if (attempt > 1) {
        long wait = nextBackOff(backoff);
        listener.log(
            String.format(
                "attempt %d of %d in %.1f s", attempt, policy.maxAttempts(), wait / 1000.0));
        Thread.sleep(wait);
      }
      state.attemptsMade = attempt;
      try {
        runAttempt(state, attempt);
        return state.outcome((System.nanoTime() - began) / 1e9);
      } catch (InterruptedException e) {
        throw e;
      } catch (Throwable t) {
        last = t;
        String why =
            Failures.redact(
                Failures.describe(t) + state.clusterDiagnosis(t),
                config.postgres().password(),
                config.clickHouse().password());
        boolean retry = Failures.isTransient(t) && attempt < policy.maxAttempts();
        listener.log(
            "attempt "
                + attempt
                + " failed"
                + (Failures.isTransient(t) ? " (transient)" : "")
                + ": "
                + why);
        state.record(retry ? RunLedger.State.RETRYING : RunLedger.State.FAILED, attempt, why);
        if (!retry) {
          boolean exhausted = Failures.isTransient(t);
          String message =
              (exhausted
                      ? "gave up after " + attempt + " attempt" + (attempt == 1 ? "" : "s") + ": "
                      : "")
                  + why
                  + (state.run != null && !(t instanceof VerificationFailedException)
                      ? "; resume with: reindex run --resume " + state.run.runId()
                      : "");
          throw new RunFailedException(
              message, state.run == null ? null : state.run.runId(), exhausted, t);
        }
      }
    }
    throw new IllegalStateException("unreachable", last);
  }

  private static long nextBackOff(BackOff backoff) {
    return Math.max(0, backoff.nextBackOffMillis());
  }

  /** One attempt in a worker thread, abandoned when no beat arrives for the heartbeat time-out. */
  private static void runAttempt(State state, int attempt) throws Throwable {
    ExecutorService worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "reindex-attempt-" + attempt);
              t.setDaemon(true);
              return t;
            });
    state.current = attempt;
    state.beat();
    Future<?> body =
        worker.submit(
            () -> {
              state.attemptBody(attempt);
              return null;
            });
    long timeoutNanos = state.policy.heartbeatTimeout().toNanos();
    try {
      while (true) {
        try {
          body.get(200, TimeUnit.MILLISECONDS);
          return;
        } catch (TimeoutException e) {
          long silent = System.nanoTime() - state.lastBeat.get();
          if (silent > timeoutNanos) {
            state.current = 0;
            state.abandon();
            body.cancel(true);
            throw new Failures.HeartbeatTimeoutException(
                String.format(
                    "no progress for %.1f s (heartbeat time-out %s): attempt %d abandoned",
                    silent / 1e9, state.policy.heartbeatTimeout(), attempt));
          }
        } catch (ExecutionException e) {
          throw e.getCause();
        }
      }
    } finally {
      worker.shutdownNow();
    }
  }

  /** The run's state across attempts. */
  private static final class State {
    ReindexConfig requested;
    final Policy policy;
    final java.util.function.Supplier<? extends PipelineOptions> options;
    final String resumeRunId;
    final Verification verification;
    final Listener listener;
    final AtomicLong lastBeat = new AtomicLong(System.nanoTime());
    final AtomicReference<PipelineResult> pipeline = new AtomicReference<>();
    final List<ReindexJob.Summary> summaries = new ArrayList<>();
    RunLedger ledger;
    RunLease lease;
    RunLedger.Run run;
    ReindexConfig config;
    boolean resumed;
    int skipped = -1;
    int attemptBase;
    int attemptsMade;
    long total;

    /**
     * The attempt allowed to record anything; an abandoned attempt's thread may still wake up and
     * must stay silent.
     */
    volatile int current;

    State(
        ReindexConfig config,
        Policy policy,
        java.util.function.Supplier<? extends PipelineOptions> options,
        String resumeRunId,
        Verification verification,
        Listener listener) {
      this.requested = config;
      this.policy = policy;
      this.options = options;
      this.resumeRunId = resumeRunId;
      this.verification = verification;
      this.listener = listener;
    }

    void beat() {
      lastBeat.set(System.nanoTime());
    }

    void abandon() {
      PipelineResult result = pipeline.getAndSet(null);
      if (result != null) {
        Thread cancel =
            new Thread(
                () -> {
                  try {
                    result.cancel();
                  } catch (Exception | LinkageError ignored) {
                    // The attempt is abandoned either way; a pipeline that cannot be cancelled ends
                    // on its own.
                  }
                },
                "reindex-cancel");
        cancel.setDaemon(true);
        cancel.start();
      }
    }

    /**
     * Records a state change; a ledger that cannot be reached (the failure itself, often) is not a
     * second failure.
     */
    void record(RunLedger.State s, int attempt, String message) {
      if (ledger == null || run == null) {
        return;
      }
      try {
        run = ledger.update(run, s, attemptBase + attempt, message);
      } catch (RuntimeException e) {
        listener.log(
            "could not record the run's state ("
                + s
                + "): "
                + Failures.redact(
                    Failures.describe(e),
                    requested.postgres().password(),
                    requested.clickHouse().password()));
      }
    }

    /** Waits for a chunk's accounting; its failure is the attempt's failure. */
    private static void awaitAccounting(java.util.concurrent.Future<?> accounting)
        throws Exception {
      try {
        accounting.get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof Exception cause) {
          throw cause;
        }
        throw e;
      }
    }

    /**
     * On a cluster, after a transient failure: what the cluster's replicas and ZooKeeper look like
     * ("; cluster: ..."), or empty.
     */
    String clusterDiagnosis(Throwable failure) {
      ClickHouseSettings target = requested.clickHouse();
      if (!Failures.isTransient(failure) || !target.topology().known() || !target.clustered()) {
        return "";
      }
      String found =
          ClickHouseReplicas.diagnose(
              new ClickHouseClient(target, java.time.Duration.ofSeconds(30)));
      return found.isEmpty() ? "" : "; cluster: " + found;
    }

    private void requireCurrent(int attempt) {
      if (current != attempt) {
        throw new java.util.concurrent.CancellationException(
            "attempt " + attempt + " was abandoned");
      }
    }

    void attemptBody(int attempt) throws Exception {
      if (!requested.clickHouse().topology().known()) {
        requested = requested.resolved();
        listener.log("target: " + requested.clickHouse());
      }
      ClickHouseClient client =
          new ClickHouseClient(requested.clickHouse(), policy.heartbeatTimeout());
      if (ledger == null) {
        RunLedger l =
            new RunLedger(
                client, requested.postgres().password(), requested.clickHouse().password());
        l.ensureTables();
        ledger = l;
      }
      if (lease == null) {
        lease =
            policy.waitForLock()
                ? RunLease.acquireWaiting(
                    ledger,
                    requested.mode(),
                    requested.window(),
                    RunLease.thisProcess(),
                    policy.leaseTimeout(),
                    listener::log,
                    this::beat)
                : RunLease.acquire(
                    ledger,
                    requested.mode(),
                    requested.window(),
                    RunLease.thisProcess(),
                    policy.leaseTimeout());
      }
      if (run == null) {
        openRun();
      }
      beat();
      requireCurrent(attempt);
      run =
          ledger.update(
              run,
              RunLedger.State.RUNNING,
              attemptBase + attempt,
              "attempt " + (attemptBase + attempt));
      Map<Integer, RunLedger.ChunkDone> done = ledger.chunksDone(run.runId());
      if (skipped < 0) {
        skipped = done.size();
        if (resumed) {
          listener.log(
              String.format(
                  "resuming run %s: %d of %d chunks already done",
                  run.runId(), done.size(), run.chunks().size()));
        }
      }
      long[] doneScorecards = {
        done.values().stream().mapToLong(d -> d.written().get(ClickHouseTable.SCORECARDS)).sum()
      };
      // A chunk's accounting (mostly database work) runs while the next chunk's pipeline (mostly
      // JVM work) does: at most one accounting behind, and a chunk is recorded as done only
      // once its own accounting agrees.
      java.util.concurrent.ExecutorService accountant =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "reindex-accounting-" + attempt);
                t.setDaemon(true);
                return t;
              });
      java.util.concurrent.Future<?> accounting =
          java.util.concurrent.CompletableFuture.completedFuture(null);
      try {
        for (int i = 0; i < run.chunks().size(); i++) {
          if (done.containsKey(i)) {
            continue;
          }
          ReindexWindow.TimeRange range = run.chunks().get(i);
          ReindexConfig chunkConfig =
              config.withWindow(
                  ReindexWindow.of(
                      ReindexWindow.fromMicros(range.startMicros()),
                      ReindexWindow.fromMicros(range.endMicros())));
          final long before = doneScorecards[0];
          // The first attempt at a run of one chunk: its window's count is the one the run has just
          // taken.
          java.util.OptionalLong counted =
              attempt == 1 && run.chunks().size() == 1
                  ? java.util.OptionalLong.of(total)
                  : java.util.OptionalLong.empty();
          ReindexJob.Ran ran =
              ReindexJob.runPipeline(
                  chunkConfig,
                  options.get(),
                  new ReindexJob.Progress() {
                    @Override
                    public void running(PipelineResult result) {
                      pipeline.set(result);
                    }

                    @Override
                    public void heartbeat() {
                      beat();
                    }

                    @Override
                    public Duration heartbeatTimeout() {
                      return policy.heartbeatTimeout();
                    }

                    @Override
                    public void advanced(long scorecardsDone) {
                      listener.progress(before + scorecardsDone, total);
                    }
                  },
                  counted);
          pipeline.set(null);
          requireCurrent(attempt);
          beat();
          awaitAccounting(accounting);
          final int chunkIndex = i;
          accounting =
              accountant.submit(
                  () -> {
                    ReindexJob.Summary s = ReindexJob.account(ran);
                    requireCurrent(attempt);
                    beat();
                    RunLedger.ChunkDone chunk =
                        new RunLedger.ChunkDone(
                            chunkIndex,
                            attemptBase + attempt,
                            s.written(),
                            s.deleted().total(),
                            s.seconds());
                    ledger.chunkDone(run, chunkIndex, chunk);
                    synchronized (summaries) {
                      summaries.add(s);
                    }
                    listener.progress(
                        doneScorecards[0] += s.written().get(ClickHouseTable.SCORECARDS), total);
                    listener.log(
                        String.format(
                            "chunk %d/%d [%s, %s): %s written, %,d rows deleted in %.1f s"
                                + " (pipeline %.1f s, accounting %.1f s)",
                            chunkIndex + 1,
                            run.chunks().size(),
                            ReindexWindow.fromMicros(range.startMicros()),
                            ReindexWindow.fromMicros(range.endMicros()),
                            s.written().describe(),
                            chunk.rowsDeleted(),
                            s.seconds(),
                            s.pipelineSeconds(),
                            s.accountingSeconds()));
                    return null;
                  });
        }
        awaitAccounting(accounting);
      } finally {
        accountant.shutdownNow();
      }
      if (verification != null) {
        beat();
        String differences = verification.differences(config);
        if (differences != null) {
          throw new VerificationFailedException(
              "ClickHouse does not match PostgreSQL for the window after the run: " + differences);
        }
      }
      requireCurrent(attempt);
      run =
          ledger.update(
              run,
              RunLedger.State.SUCCEEDED,
              attemptBase + attempt,
              verification == null
                  ? "all chunks written and counted (not verified)"
                  : "all chunks written, counted and verified equal");
    }

    /**
     * Finds the run to resume (by id, or the unfinished run of the same mode and window) or creates
     * one.
     */
    private void openRun() throws Exception {
      RunLedger.Run found = null;
      if (resumeRunId != null) {
        found =
            ledger
                .find(resumeRunId)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "there is no run "
                                + resumeRunId
                                + " in "
                                + requested.clickHouse().database()
                                + "."
                                + RunLedger.RUNS));
        if (found.finished()) {
          throw new IllegalArgumentException(
              "run "
                  + resumeRunId
                  + " has already succeeded; run the window again to reindex it again");
        }
      } else {
        found = ledger.unfinished(requested.mode(), requested.window()).orElse(null);
      }
      if (found != null) {
        run = found;
        resumed = true;
        attemptBase = found.attempt();
        config =
            requested
                .withMode(found.mode())
                .withWindow(found.window())
                .withCleanUpBeforeWrite(found.cleanUp() || requested.cleanUpBeforeWrite());
        total = ReindexJob.countInPostgres(config);
        return;
      }
      config = requested;
      total = ReindexJob.countInPostgres(config);
      List<ReindexWindow.TimeRange> ranges =
          ReindexJob.chunks(config, total, policy.scorecardsPerChunk());
      int chunks = ranges.size();
      run = ledger.create(config.mode(), config.window(), config.cleanUpBeforeWrite(), ranges);
      listener.log(
          String.format(
              "run %s: %,d scorecards in %d chunk%s",
              run.runId(), total, chunks, chunks == 1 ? "" : "s"));
    }

    Outcome outcome(double seconds) {
      PerTable written = PerTable.ZERO;
      PerTable deleted = PerTable.ZERO;
      for (ReindexJob.Summary s : summaries) {
        written = written.plus(s.written());
        deleted = deleted.plus(s.deleted());
      }
      return new Outcome(
          run,
          resumed,
          run.chunks().size(),
          Math.max(skipped, 0),
          attemptsMade,
          written,
          deleted,
          List.copyOf(summaries),
          seconds);
    }
  }
}
