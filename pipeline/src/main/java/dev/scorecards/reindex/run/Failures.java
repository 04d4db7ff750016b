package dev.scorecards.reindex.run;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which failures are worth another attempt. Transient: the network or a server that is restarting,
 * overloaded or silent (connection refused or reset, time-outs, PostgreSQL's administrator
 * shutdown, ClickHouse's network and time-out codes, an abandoned attempt). Everything else is
 * permanent (a missing table, a type mismatch, bad SQL, bad credentials, disagreeing counts):
 * trying again would fail the same way, so the run fails at once.
 */
public final class Failures {
  /** PostgreSQL SQLSTATEs of a server that is going away or not ready yet. */
  private static final Set<String> TRANSIENT_SQLSTATES =
      Set.of(
          "57P01", // admin_shutdown
          "57P02", // crash_shutdown
          "57P03", // cannot_connect_now (starting up, shutting down)
          "53300", // too_many_connections
          "40001", // serialization_failure
          "40P01"); // deadlock_detected

  /**
   * ClickHouse error codes of an overloaded or unreachable server or cluster: 159 TIMEOUT_EXCEEDED,
   * 202 TOO_MANY_SIMULTANEOUS_QUERIES, 209 SOCKET_TIMEOUT, 210 NETWORK_ERROR, 225 NO_ZOOKEEPER, 242
   * TABLE_IS_READ_ONLY (a replica without ZooKeeper), 252 TOO_MANY_PARTS, 279
   * ALL_CONNECTION_TRIES_FAILED (no replica of a shard answers), 319 UNKNOWN_STATUS_OF_INSERT, 999
   * KEEPER_EXCEPTION, 1000 POCO_EXCEPTION (connection failures).
   */
  private static final Set<Integer> TRANSIENT_CLICKHOUSE_CODES =
      Set.of(159, 202, 209, 210, 225, 242, 252, 279, 319, 999, 1000);

  private static final Pattern CLICKHOUSE_CODE = Pattern.compile("Code: (\\d+)");

  private Failures() {}

  /** An attempt that made no progress for longer than the heartbeat time-out. */
  public static class HeartbeatTimeoutException extends RuntimeException {
    public HeartbeatTimeoutException(String message) {
      super(message);
    }
  }

  /** True when trying again may succeed; looks through the wrappers Beam and the drivers add. */
  public static boolean isTransient(Throwable failure) {
    // A certificate the client does not trust fails the same way every time, however wrapped.
    if (isTlsFailure(failure)) {
      return false;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof HeartbeatTimeoutException
          || t instanceof ClickHouseClient.ClickHouseUnavailableException) {
        return true;
      }
      // The network: refused, reset, closed channels, time-outs (all IOExceptions; the ClickHouse
      // driver reports some of them as "Unknown error 1002" with the IOException as its cause).
      if (t instanceof java.io.IOException || t instanceof java.io.UncheckedIOException) {
        return true;
      }
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null && state.startsWith("28")) {
          return false; // bad credentials: never retried
        }
        if (state != null && (state.startsWith("08") || TRANSIENT_SQLSTATES.contains(state))) {
          return true;
        }
      }
      Integer code = clickHouseCode(t);
      if (code != null) {
        // 32 ATTEMPT_TO_READ_AFTER_EOF is bad input, except when a server's connection to another
        // (a shard's replica dying mid-insert) was cut.
        return TRANSIENT_CLICKHOUSE_CODES.contains(code)
            || code == 32 && t.getMessage().contains("while receiving packet from");
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** True when a TLS handshake failed somewhere in the chain (certificate, protocol). */
  public static boolean isTlsFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException
          || t instanceof java.security.cert.CertificateException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * True when a database refused the login (PostgreSQL SQLSTATE class 28; ClickHouse 192, 193,
   * 516).
   */
  public static boolean isAuthenticationFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql
          && sql.getSQLState() != null
          && sql.getSQLState().startsWith("28")) {
        return true;
      }
      Integer code = clickHouseCode(t);
      if (code != null && (code == 192 || code == 193 || code == 516)) {
        return true;
      }
    }
    return false;
  }

  /** The ClickHouse error code a message carries ({@code Code: 60, ...}), or null. */
  static Integer clickHouseCode(Throwable t) {
    if (t.getMessage() == null
        || !t.getClass().getName().startsWith("com.clickhouse")
            && !(t instanceof ClickHouseClient.ClickHouseQueryException)) {
      return null;
    }
    Matcher m = CLICKHOUSE_CODE.matcher(t.getMessage());
    return m.find() ? Integer.valueOf(m.group(1)) : null;
  }

  /** The message worth showing: the innermost driver or client failure, its first line. */
  public static String describe(Throwable failure) {
    Throwable best = failure;
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ClickHouseClient.ClickHouseUnavailableException
          || t instanceof ClickHouseClient.ClickHouseQueryException
          || t instanceof HeartbeatTimeoutException
          || t instanceof ReindexJob.CountsDisagreeException
          || t instanceof SQLException) {
        best = t;
        break;
      }
      if (t.getMessage() != null) {
        best = t;
      }
    }
    String message =
        best.getMessage() == null ? best.getClass().getSimpleName() : best.getMessage();
    return message.lines().findFirst().orElse(message);
  }

  /**
   * The forms a secret can take in a URL or a form: as is, percent-encoded with spaces as {@code +}
   * or {@code %20}, with upper- or lower-case hex digits, and every character encoded.
   */
  static java.util.Set<String> encodings(String secret) {
    java.util.Set<String> forms = new java.util.LinkedHashSet<>();
    String form = java.net.URLEncoder.encode(secret, java.nio.charset.StandardCharsets.UTF_8);
    String spaces = form.replace("+", "%20");
    for (String f : List.of(secret, form, spaces)) {
      forms.add(f);
      forms.add(lowerHex(f));
    }
    StringBuilder all = new StringBuilder();
    for (byte b : secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      all.append(String.format("%%%02X", b & 0xff));
    }
    forms.add(all.toString());
    forms.add(lowerHex(all.toString()));
    return forms;
  }

  private static String lowerHex(String encoded) {
    Matcher m = Pattern.compile("%[0-9A-F]{2}").matcher(encoded);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, m.group().toLowerCase(java.util.Locale.ROOT));
    }
    return m.appendTail(out).toString();
  }

  /**
   * {@code text} with every occurrence of the given secrets replaced: a last guard before anything
   * is printed or stored.
   */
  public static String redact(String text, String... secrets) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String secret : secrets) {
      if (secret != null && !secret.isEmpty()) {
        for (String form : encodings(secret)) {
          out = out.replace(form, "***");
        }
      }
    }
    return out;
  }
}
