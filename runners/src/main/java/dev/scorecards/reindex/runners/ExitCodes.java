package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.run.Failures;
import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.run.ResumableReindex;
import java.sql.SQLException;

/**
 * The exit codes, distinct so that a scheduler can tell a user's mistake from an unreachable
 * database from lost data.
 */
public final class ExitCodes {
  public static final int OK = 0;

  /** ClickHouse does not match PostgreSQL for the window: a verification found differences. */
  public static final int DIFFERENCES = 1;

  /** The command line or configuration is wrong; nothing was done. */
  public static final int USAGE = 2;

  /**
   * A database could not be reached, refused the login, or kept failing transiently (a cluster's
   * replica, shard or ZooKeeper down) until the attempts ran out: resuming later may succeed.
   */
  public static final int UNREACHABLE = 3;

  /** The counts read, written and received disagree. */
  public static final int COUNTS_DISAGREE = 4;

  /** Another run of an overlapping window and mode holds the window's lease; nothing was done. */
  public static final int LOCKED = 6;

  /** The run failed for another reason; the message says which. */
  public static final int FAILED = 5;

  private ExitCodes() {}

  /** The exit code for a failure, looking through the wrappers Beam puts around it. */
  public static int of(Throwable failure) {
    if (Failures.isAuthenticationFailure(failure)
        || Failures.isTlsFailure(failure)
        || failure instanceof ResumableReindex.RunFailedException run && run.attemptsExhausted()) {
      return UNREACHABLE;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException
          && (t == failure
              || failure instanceof ResumableReindex.RunFailedException
                  && t == failure.getCause())) {
        return USAGE;
      }
      if (t instanceof dev.scorecards.reindex.run.RunLease.HeldException) {
        return LOCKED;
      }
      if (t instanceof ResumableReindex.VerificationFailedException) {
        return DIFFERENCES;
      }
      if (t instanceof ClickHouseClient.ClickHouseUnavailableException
          || t instanceof Failures.HeartbeatTimeoutException
          || t instanceof java.net.ConnectException) {
        return UNREACHABLE;
      }
      if (t instanceof SQLException sql && isConnectionFailure(sql)) {
        return UNREACHABLE;
      }
      if (t instanceof ReindexJob.CountsDisagreeException) {
        return COUNTS_DISAGREE;
      }
    }
    return FAILED;
  }

  /**
   * SQLSTATE class 08 is a connection exception (a refused login is {@link
   * Failures#isAuthenticationFailure}).
   */
  static boolean isConnectionFailure(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("08");
  }

  /**
   * The message worth showing: a failed run's own sentence (it names the run to resume), else the
   * innermost driver or client failure. Passwords of the environment are blanked out.
   */
  public static String message(Throwable failure) {
    String message =
        failure instanceof ResumableReindex.RunFailedException
            ? failure.getMessage()
            : Failures.describe(failure);
    return Failures.redact(message, Setting.secretValues(System.getenv()));
  }
}
