package dev.scorecards.reindex.runners.jobs;

import dev.scorecards.reindex.proto.Job;
import dev.scorecards.reindex.proto.JobType;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsInput;
import dev.scorecards.reindex.runners.ReindexSettings;
import dev.scorecards.reindex.runners.Setting;
import dev.scorecards.reindex.runners.Settings;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Receives jobs from authenticated callers, checks the caller's role, validates the payload, and
 * launches the process reindex in the background; it answers with the job id at once and keeps each
 * job's state. Only ADMIN and SUPER_ADMIN may create or cancel a process-scorecard reindex;
 * everyone else is refused before anything happens. Jobs run one at a time; at most {@link
 * #maxPending} wait (more are refused with 429), a job identical to one pending or running is
 * answered with that job, and every state change is saved in a {@link Store} so that a restarted
 * server still answers for its jobs.
 */
public final class JobHandler implements AutoCloseable {
  public static final Set<String> MAY_REINDEX = Set.of("ADMIN", "SUPER_ADMIN");

  /** Runs one validated job; reports progress; returns the counts it wrote. */
  public interface Launcher {
    Counts launch(ReindexProcessScorecardsInput input, ProgressSink progress) throws Exception;

    /**
     * The job {@code jobId} was cancelled while running (its thread is interrupted as well): stop
     * what runs for it elsewhere, e.g. on a Flink cluster.
     */
    default void cancel(String jobId) {}
  }

  public interface ProgressSink {
    void progress(long done, long total);
  }

  public record Counts(
      long scorecardsWritten,
      long scoresWritten,
      long scorecardRowsDeleted,
      long scoreRowsDeleted) {}

  public enum Status {
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public boolean finished() {
      return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
  }

  /** Where job states outlive the server: every change is saved, the latest of each loaded. */
  public interface Store {
    void save(JobState state);

    java.util.List<JobState> load();

    /** Keeps nothing: jobs are forgotten with the process. */
    Store MEMORY =
        new Store() {
          @Override
          public void save(JobState state) {}

          @Override
          public java.util.List<JobState> load() {
            return java.util.List.of();
          }
        };
  }

  /** What a submission did: a new job, or the identical one already pending or running. */
  public record Submitted(String id, boolean existing) {}

  /** Jobs allowed to wait behind the running one before submissions are refused (429). */
  public static final int DEFAULT_MAX_PENDING = 16;

  /** A job's state as callers see it. */
  public record JobState(
      String id,
      String creator,
      Instant createTime,
      Status status,
      long done,
      long total,
      Counts counts,
      String reason,
      String window) {
    JobState with(Status s, long d, long t, Counts c, String r) {
      return new JobState(id, creator, createTime, s, d, t, c, r, window);
    }
  }

  /** Refusals, each with the HTTP status that says why. */
  public static final class Refused extends RuntimeException {
    public final int status;

    public Refused(int status, String reason) {
      super(reason);
      this.status = status;
    }
  }

  private final Launcher launcher;
  private final Settings settings;
  private final Supplier<Instant> clock;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "reindex-job");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, AtomicReference<JobState>> jobs = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.Future<?>> running = new ConcurrentHashMap<>();
  private final Store store;
  private final int maxPending;
  private volatile boolean closing;

  /**
   * {@code settings} are the server's: a job's payload overrides the window and job settings. Jobs
   * the store holds are loaded; one that was pending or running when the server stopped is failed,
   * saying so.
   */
  public JobHandler(
      Launcher launcher, Settings settings, Supplier<Instant> clock, Store store, int maxPending) {
    this.launcher = launcher;
    this.settings = settings.with(Setting.MODE, "process", "the job type");
    this.clock = clock;
    this.store = store;
    this.maxPending = maxPending;
    for (JobState s : store.load()) {
      JobState loaded =
          s.status().finished()
              ? s
              : s.with(Status.FAILED, s.done(), s.total(), null, stoppedWhile(s.status()));
      if (loaded != s) {
        store.save(loaded);
      }
      jobs.put(s.id(), new AtomicReference<>(loaded));
    }
  }

  public JobHandler(Launcher launcher, Settings settings, Supplier<Instant> clock) {
    this(launcher, settings, clock, Store.MEMORY, DEFAULT_MAX_PENDING);
  }

  /** With the settings of this environment alone. */
  public JobHandler(Launcher launcher, Map<String, String> env, Supplier<Instant> clock) {
    this(launcher, Settings.fromEnvironment(env), clock);
  }

  /**
   * Checks, validates and launches; returns the new job's id, or the id of the identical job (same
   * window and job settings) already pending or running. Throws {@link Refused}.
   */
  public synchronized Submitted submit(Tokens.Caller caller, Job job) {
    if (job.getType() != JobType.JOB_TYPE_REINDEX_PROCESS_SCORECARDS) {
      throw new Refused(
          400,
          "the job type "
              + job.getType()
              + " is not one this handler runs (JOB_TYPE_REINDEX_PROCESS_SCORECARDS)");
    }
    if (!MAY_REINDEX.contains(caller.role())) {
      throw new Refused(
          403,
          "the role "
              + caller.role()
              + " may not create "
              + job.getType()
              + " jobs; only ADMIN and SUPER_ADMIN may");
    }
    if (!job.getPayload().hasReindexProcessScorecards()) {
      throw new Refused(400, "the job has no reindex_process_scorecards payload");
    }
    ReindexSettings effective;
    try {
      effective =
          ReindexSettings.resolve(
              job.getPayload().getReindexProcessScorecards(), settings, clock.get());
    } catch (IllegalArgumentException e) {
      throw new Refused(400, "invalid payload: " + e.getMessage());
    }
    String id = job.getId().isEmpty() ? UUID.randomUUID().toString() : job.getId();
    if (!id.matches("[A-Za-z0-9_.-]{1,100}")) {
      throw new Refused(
          400, "the job id '" + id + "' is not 1 to 100 letters, digits, '.', '_' or '-'");
    }
    if (jobs.containsKey(id)) {
      throw new Refused(409, "a job with the id " + id + " exists already");
    }
    String window = effective.toInput("").toBuilder().build().toString().replace('\n', ' ');
    for (AtomicReference<JobState> other : jobs.values()) {
      JobState o = other.get();
      if (!o.status().finished() && window.equals(o.window())) {
        return new Submitted(o.id(), true);
      }
    }
    long pending = jobs.values().stream().filter(j -> j.get().status() == Status.PENDING).count();
    if (pending >= maxPending) {
      throw new Refused(429, "the queue holds " + pending + " pending jobs; try again later");
    }
    AtomicReference<JobState> state =
        new AtomicReference<>(
            new JobState(id, caller.name(), clock.get(), Status.PENDING, 0, 0, null, null, window));
    jobs.put(id, state);
    store.save(state.get());
    ReindexProcessScorecardsInput input = effective.toInput(id);
    running.put(id, worker.submit(() -> run(state, input)));
    return new Submitted(id, false);
  }

  /**
   * Cancels a pending or running job (ADMIN and SUPER_ADMIN only): a pending one never starts, a
   * running one is interrupted (its run stops between steps and can be resumed). Throws {@link
   * Refused}.
   */
  public synchronized JobState cancel(Tokens.Caller caller, String id) {
    if (!MAY_REINDEX.contains(caller.role())) {
      throw new Refused(
          403,
          "the role " + caller.role() + " may not cancel jobs; only ADMIN and SUPER_ADMIN may");
    }
    AtomicReference<JobState> state = jobs.get(id);
    if (state == null) {
      throw new Refused(404, "no job with the id " + abbreviate(id));
    }
    if (state.get().status().finished()) {
      throw new Refused(409, "the job " + id + " has ended " + state.get().status());
    }
    JobState cancelled =
        update(
            state,
            s ->
                s.with(
                    Status.CANCELLED, s.done(), s.total(), null, "cancelled by " + caller.name()));
    java.util.concurrent.Future<?> f = running.remove(id);
    if (f != null) {
      f.cancel(true);
      launcher.cancel(id);
    }
    return cancelled;
  }

  private JobState update(
      AtomicReference<JobState> state, java.util.function.UnaryOperator<JobState> change) {
    JobState next = state.updateAndGet(s -> s.status() == Status.CANCELLED ? s : change.apply(s));
    if (next.status() != Status.RUNNING || next.done() == 0) {
      // Progress is not saved line by line; every change of state is.
      saveQuietly(next);
    }
    return next;
  }

  private void saveQuietly(JobState s) {
    try {
      store.save(s);
    } catch (RuntimeException e) {
      System.err.println(
          "reindex serve: could not save the state of job "
              + s.id()
              + ": "
              + dev.scorecards.reindex.runners.ExitCodes.message(e));
    }
  }

  private void run(AtomicReference<JobState> state, ReindexProcessScorecardsInput input) {
    if (state.get().status() == Status.CANCELLED) {
      return;
    }
    update(state, s -> s.with(Status.RUNNING, 0, 0, null, null));
    try {
      Counts counts =
          launcher.launch(
              input,
              (done, total) ->
                  state.updateAndGet(
                      s ->
                          s.status() == Status.CANCELLED
                              ? s
                              : s.with(Status.RUNNING, done, total, null, null)));
      update(state, s -> s.with(Status.SUCCEEDED, s.total(), s.total(), counts, null));
    } catch (Throwable e) {
      // Interrupted because the server is closing: say so, as a restarted server would.
      String reason =
          closing
              ? stoppedWhile(Status.RUNNING)
              : dev.scorecards.reindex.runners.ExitCodes.message(e);
      update(state, s -> s.with(Status.FAILED, s.done(), s.total(), null, reason));
    } finally {
      running.remove(state.get().id());
    }
  }

  private static String stoppedWhile(Status status) {
    return "the job server stopped while the job was "
        + status
        + "; submit it again (its run resumes where it stopped)";
  }

  static String abbreviate(String id) {
    return id.length() > 100 ? id.substring(0, 100) + "..." : id;
  }

  public Optional<JobState> state(String id) {
    AtomicReference<JobState> s = jobs.get(id);
    return s == null ? Optional.empty() : Optional.of(s.get());
  }

  @Override
  public void close() {
    closing = true;
    worker.shutdownNow();
  }
}
