package dev.scorecards.reindex.run;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.model.Flow;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Mutual exclusion of runs whose windows overlap and whose modes share a flow, across processes and
 * machines, kept in the run ledger's database ({@value #TABLE}): a run claims, waits until every
 * claim made at the same time is visible, and holds the lease only if no other live lease holds and
 * its claim is the first (by the server's time, then id); it renews the lease while it runs and
 * releases it at the end. A lease not renewed for the stale time (its holder was killed) no longer
 * counts. ClickHouse has no compare-and-set; claim, settle and read make two runs that start
 * together agree on one winner, and a later one sees the holder.
 */
public final class RunLease implements AutoCloseable {
  public static final String TABLE = "reindex_leases";

  /** Long enough for an insert to be visible to every reader (on a cluster too). */
  static final Duration SETTLE = Duration.ofSeconds(1);

  /** Another run holds the window: who, where, since when. */
  public static final class HeldException extends RuntimeException {
    public HeldException(String message) {
      super(message);
    }
  }

  private final RunLedger ledger;
  private final String id = UUID.randomUUID().toString();
  private final Mode mode;
  private final ReindexWindow window;
  private final String holder;
  private final Duration staleAfter;
  private ScheduledExecutorService renewer;

  private RunLease(
      RunLedger ledger, Mode mode, ReindexWindow window, String holder, Duration staleAfter) {
    this.ledger = ledger;
    this.mode = mode;
    this.window = window;
    this.holder = holder;
    this.staleAfter = staleAfter;
  }

  /** "user@host pid N": who holds a lease, as the refusal names it. */
  public static String thisProcess() {
    return System.getProperty("user.name")
        + "@"
        + hostName()
        + " pid "
        + ProcessHandle.current().pid();
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "unknown-host";
    }
  }

  private static final java.util.regex.Pattern HOLDER =
      java.util.regex.Pattern.compile("^[^@]*@(\\S+) pid (\\d+)$");

  /**
   * A holder on this host whose process is gone (it failed, or was killed): its lease needs no
   * waiting for. Holders elsewhere are only known gone once their lease is stale.
   */
  static boolean goneFromThisHost(String holder) {
    java.util.regex.Matcher m = HOLDER.matcher(holder);
    return m.matches()
        && m.group(1).equals(hostName())
        && ProcessHandle.of(Long.parseLong(m.group(2))).map(p -> !p.isAlive()).orElse(true);
  }

  /**
   * Takes the lease of {@code mode} over {@code window}, or throws {@link HeldException} naming the
   * run that holds it. Renews it every third of {@code staleAfter} until closed.
   */
  public static RunLease acquire(
      RunLedger ledger, Mode mode, ReindexWindow window, String holder, Duration staleAfter)
      throws InterruptedException {
    RunLease lease = new RunLease(ledger, mode, window, holder, staleAfter);
    lease.ensureTable();
    lease.write("CLAIM");
    Thread.sleep(SETTLE.toMillis());
    List<List<String>> live =
        lease.liveConflicting().stream()
            .filter(l -> l.get(0).equals(lease.id) || !goneFromThisHost(l.get(2)))
            .toList();
    // Columns: lease_id, state, holder, claimed (epoch s), renewed (epoch s)
    String blocker = null;
    for (List<String> l : live) {
      if (!l.get(0).equals(lease.id) && l.get(1).equals("HOLD")) {
        blocker =
            l.get(2)
                + " (holding since "
                + java.time.Instant.ofEpochSecond(Long.parseLong(l.get(3)))
                + ")";
        break;
      }
    }
    if (blocker == null) {
      List<String> first =
          live.stream()
              .filter(l -> l.get(1).equals("CLAIM") || l.get(0).equals(lease.id))
              .min(
                  (a, b) ->
                      a.get(3).equals(b.get(3))
                          ? a.get(0).compareTo(b.get(0))
                          : Long.compare(Long.parseLong(a.get(3)), Long.parseLong(b.get(3))))
              .orElse(null);
      if (first != null && !first.get(0).equals(lease.id)) {
        blocker = first.get(2) + " (claimed at the same time, first)";
      }
    }
    if (blocker != null) {
      lease.write("RELEASE");
      throw new HeldException(
          "another run of "
              + mode
              + " over an overlapping window holds it: "
              + blocker
              + "; wait for it, or pass --wait-for-lock");
    }
    lease.write("HOLD");
    lease.renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "reindex-lease");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(1, staleAfter.toMillis() / 3);
    lease.renewer.scheduleWithFixedDelay(lease::renewQuietly, every, every, TimeUnit.MILLISECONDS);
    return lease;
  }

  /**
   * {@link #acquire}, trying again every few seconds while another run holds the window; {@code
   * waiting} hears the first refusal, {@code tick} runs at every try (the caller's heartbeat).
   */
  public static RunLease acquireWaiting(
      RunLedger ledger,
      Mode mode,
      ReindexWindow window,
      String holder,
      Duration staleAfter,
      java.util.function.Consumer<String> waiting,
      Runnable tick)
      throws InterruptedException {
    boolean said = false;
    while (true) {
      tick.run();
      try {
        return acquire(ledger, mode, window, holder, staleAfter);
      } catch (HeldException e) {
        if (!said) {
          waiting.accept("waiting for the lock: " + e.getMessage());
          said = true;
        }
        Thread.sleep(Math.max(1_000, Math.min(10_000, staleAfter.toMillis() / 3)));
      }
    }
  }

  private void ensureTable() {
    ledger.ensureTable(
        TABLE,
        "lease_id String, seq UInt64, mode String, window_start_us Int64, window_end_us Int64,"
            + " holder String, state String, claimed DateTime, renewed DateTime",
        "(lease_id, seq)");
  }

  private long seq;
  private long claimedAt;

  private void write(String state) {
    ClickHouseClient c = ledger.client();
    long s = ++seq;
    String claimed = claimedAt == 0 ? "now()" : "toDateTime(" + claimedAt + ")";
    c.execute(
        "INSERT INTO "
            + c.settings().database()
            + "."
            + TABLE
            + " SELECT "
            + ClickHouseClient.quote(id)
            + ", "
            + s
            + ", "
            + ClickHouseClient.quote(mode.name())
            + ", "
            + window.startMicros()
            + ", "
            + window.endMicros()
            + ", "
            + ClickHouseClient.quote(holder)
            + ", "
            + ClickHouseClient.quote(state)
            + ", "
            + claimed
            + ", now()");
    if (claimedAt == 0) {
      claimedAt =
          Long.parseLong(
              c.execute(
                      "SELECT toUInt32(claimed) FROM "
                          + c.settings().database()
                          + "."
                          + TABLE
                          + " WHERE lease_id = "
                          + ClickHouseClient.quote(id))
                  .lines()
                  .findFirst()
                  .orElse("0")
                  .strip());
    }
  }

  /** Modes whose flows intersect this one's: they write the same rows. */
  private Set<Mode> conflictingModes() {
    java.util.EnumSet<Mode> modes = java.util.EnumSet.noneOf(Mode.class);
    for (Mode m : Mode.values()) {
      for (Flow f : m.flows()) {
        if (mode.flows().contains(f)) {
          modes.add(m);
        }
      }
    }
    return modes;
  }

  /**
   * The latest row of every lease of a conflicting mode over an overlapping window that is not
   * released and was renewed within the stale time (by the server's clock).
   */
  private List<List<String>> liveConflicting() {
    ClickHouseClient c = ledger.client();
    String modes =
        conflictingModes().stream()
            .map(m -> ClickHouseClient.quote(m.name()))
            .collect(java.util.stream.Collectors.joining(", "));
    return c.rows(
        "SELECT lease_id, argMax(state, seq) AS s, argMax(holder, seq), toUInt32(min(claimed)),"
            + " toUInt32(max(renewed)) AS r FROM "
            + c.settings().database()
            + "."
            + TABLE
            + " WHERE mode IN ("
            + modes
            + ") AND window_start_us < "
            + window.endMicros()
            + " AND window_end_us > "
            + window.startMicros()
            + " GROUP BY lease_id HAVING s != 'RELEASE' AND r >= toUInt32(now()) - "
            + Math.max(1, staleAfter.toSeconds()));
  }

  private void renewQuietly() {
    try {
      write("HOLD");
    } catch (RuntimeException e) {
      // The next renewal tries again; a lease left stale is one another run may take.
    }
  }

  /** Stops renewing without releasing: what a holder that dies leaves behind (for tests). */
  public void abandon() {
    if (renewer != null) {
      renewer.shutdownNow();
    }
  }

  /**
   * Releases the lease, waiting at most half a second: a run that fails because its database
   * stopped answering must not wait for it again on the way out. Unreleased, the lease is taken
   * over once stale, or at once by a run on this host (its holder is gone).
   */
  @Override
  public void close() {
    if (renewer != null) {
      renewer.shutdownNow();
    }
    Thread release =
        new Thread(
            () -> {
              try {
                write("RELEASE");
              } catch (RuntimeException e) {
                // Left to go stale.
              }
            },
            "reindex-lease-release");
    release.setDaemon(true);
    release.start();
    try {
      release.join(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
