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
 * job's state. Only ADMIN and SUPER_ADMIN may create a process-scorecard reindex; everyone else is
 * refused before anything happens. Jobs run one at a time.
 */
public final class JobHandler implements AutoCloseable {
  public static final Set<String> MAY_REINDEX = Set.of("ADMIN", "SUPER_ADMIN");

  /** Runs one validated job; reports progress; returns the counts it wrote. */
  public interface Launcher {
    Counts launch(ReindexProcessScorecardsInput input, ProgressSink progress) throws Exception;
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
    FAILED
  }

  /** A job's state as callers see it. */
  public record JobState(
      String id,
      String creator,
      Instant createTime,
      Status status,
      long done,
      long total,
      Counts counts,
      String reason) {
    JobState with(Status s, long d, long t, Counts c, String r) {
      return new JobState(id, creator, createTime, s, d, t, c, r);
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

  /** {@code settings} are the server's: a job's payload overrides the window and job settings. */
  public JobHandler(Launcher launcher, Settings settings, Supplier<Instant> clock) {
    this.launcher = launcher;
    this.settings = settings.with(Setting.MODE, "process", "the job type");
    this.clock = clock;
  }

  /** With the settings of this environment alone. */
  public JobHandler(Launcher launcher, Map<String, String> env, Supplier<Instant> clock) {
    this(launcher, Settings.fromEnvironment(env), clock);
  }

  /** Checks, validates and launches; returns the new job's id. Throws {@link Refused}. */
  public String submit(Tokens.Caller caller, Job job) {
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
    AtomicReference<JobState> state =
        new AtomicReference<>(
            new JobState(id, caller.name(), clock.get(), Status.PENDING, 0, 0, null, null));
    if (jobs.putIfAbsent(id, state) != null) {
      throw new Refused(409, "a job with the id " + id + " exists already");
    }
    ReindexProcessScorecardsInput input = effective.toInput(id);
    worker.submit(() -> run(state, input));
    return id;
  }

  private void run(AtomicReference<JobState> state, ReindexProcessScorecardsInput input) {
    state.updateAndGet(s -> s.with(Status.RUNNING, 0, 0, null, null));
    try {
      Counts counts =
          launcher.launch(
              input,
              (done, total) ->
                  state.updateAndGet(s -> s.with(Status.RUNNING, done, total, null, null)));
      state.updateAndGet(s -> s.with(Status.SUCCEEDED, s.total(), s.total(), counts, null));
    } catch (Throwable e) {
      String reason = dev.scorecards.reindex.runners.ExitCodes.message(e);
      state.updateAndGet(s -> s.with(Status.FAILED, s.done(), s.total(), null, reason));
    }
  }

  public Optional<JobState> state(String id) {
    AtomicReference<JobState> s = jobs.get(id);
    return s == null ? Optional.empty() : Optional.of(s.get());
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }
}
