package dev.scorecards.reindex.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FailuresTest {
  private static RuntimeException wrapped(Throwable cause) {
    return new RuntimeException(
        "org.apache.beam.sdk.Pipeline$PipelineExecutionException",
        new RuntimeException("bundle failed", cause));
  }

  @Test
  void theNetworkAndRestartingServersAreTransient() {
    assertThat(Failures.isTransient(wrapped(new ConnectException("Connection refused")))).isTrue();
    assertThat(Failures.isTransient(wrapped(new SocketException("Connection reset")))).isTrue();
    assertThat(
            Failures.isTransient(
                wrapped(new IOException("HTTP/1.1 header parser received no bytes"))))
        .isTrue();
    assertThat(
            Failures.isTransient(
                new SQLException("terminating connection due to administrator command", "57P01")))
        .isTrue();
    assertThat(
            Failures.isTransient(new SQLException("the database system is starting up", "57P03")))
        .isTrue();
    assertThat(Failures.isTransient(new SQLException("I/O error", "08006"))).isTrue();
    assertThat(
            Failures.isTransient(new ClickHouseClient.ClickHouseUnavailableException("down", null)))
        .isTrue();
    assertThat(Failures.isTransient(new Failures.HeartbeatTimeoutException("no progress")))
        .isTrue();
    assertThat(
            Failures.isTransient(
                new ClickHouseClient.ClickHouseQueryException(
                    "Code: 252, e.displayText() = DB::Exception: Too many parts")))
        .isTrue();
  }

  @Test
  void mistakesThatWouldFailAgainArePermanent() {
    assertThat(
            Failures.isTransient(
                new SQLException("relation \"director.scorecards\" does not exist", "42P01")))
        .isFalse();
    assertThat(Failures.isTransient(new SQLException("password authentication failed", "28P01")))
        .isFalse();
    assertThat(Failures.isTransient(new SQLException("syntax error", "42601"))).isFalse();
    assertThat(
            Failures.isTransient(
                wrapped(
                    new ClickHouseClient.ClickHouseQueryException(
                        "Code: 60, e.displayText() = DB::Exception: Table reindex.scores doesn't exist"))))
        .isFalse();
    assertThat(
            Failures.isTransient(
                new ClickHouseClient.ClickHouseQueryException(
                    "Code: 193, e.displayText() = DB::Exception: Wrong password")))
        .isFalse();
    assertThat(
            Failures.isTransient(
                new ClickHouseClient.ClickHouseQueryException(
                    "Code: 53, e.displayText() = DB::Exception: Type mismatch")))
        .isFalse();
    assertThat(
            Failures.isTransient(
                new ReindexJob.CountsDisagreeException(
                    "ClickHouse holds 9 of the 10 scores written", null)))
        .isFalse();
    assertThat(Failures.isTransient(new IllegalStateException("anything else"))).isFalse();
  }

  @Test
  void badCredentialsAreRecognised() {
    assertThat(
            Failures.isAuthenticationFailure(
                new ClickHouseClient.ClickHouseQueryException(
                    "Code: 193, e.displayText() = DB::Exception: Wrong password")))
        .isTrue();
    assertThat(
            Failures.isAuthenticationFailure(
                wrapped(new SQLException("password authentication failed", "28P01"))))
        .isTrue();
    assertThat(Failures.isAuthenticationFailure(new SQLException("I/O error", "08006"))).isFalse();
  }

  @Test
  void redactBlanksEverySecretAndItsUrlForm() {
    assertThat(Failures.redact("url ?password=p%40ss+w and p@ss w", "p@ss w"))
        .isEqualTo("url ?password=*** and ***");
    assertThat(Failures.redact("nothing here", null, "")).isEqualTo("nothing here");
    // A space as %20, lower-case hex, every byte encoded: each form found.
    assertThat(
            Failures.redact(
                "a=p%40ss%20w b=p%40ss%20w c=%70%40%73%73%20%77 d=%70%40%73%73%20%77", "p@ss w"))
        .isEqualTo("a=*** b=*** c=*** d=***");
    assertThat(Failures.redact("k=%c3%a9t%c3%a9 K=%C3%A9t%C3%A9", "été")).isEqualTo("k=*** K=***");
  }

  @Test
  void backOffDoublesUpToTheMaximum() {
    ResumableReindex.Policy p =
        ResumableReindex.Policy.of(6, Duration.ofMinutes(5))
            .withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(10));
    // 2, 4, 8, then at most 10 s, each randomized by up to half; none after the last attempt.
    org.apache.beam.sdk.util.BackOff backoff = p.backoff();
    for (long expected : new long[] {2_000, 4_000, 8_000, 10_000, 10_000}) {
      assertThat(backoff.nextBackOffMillis()).isBetween(expected / 2, expected * 3 / 2);
    }
    assertThat(backoff.nextBackOffMillis()).isEqualTo(org.apache.beam.sdk.util.BackOff.STOP);
  }

  @Test
  void runIdsAreCheckedBeforeTheyReachAQuery() {
    assertThat(
            RunLedger.requireRunId(
                RunLedger.newRunId(java.time.Instant.parse("2026-11-29T04:00:00Z"))))
        .startsWith("20261129T040000Z-");
    for (String bad :
        new String[] {
          "",
          "x",
          "20261129T040000Z-1a2b3c' OR 1=1 --",
          "20261129T040000Z-1A2B3C",
          "../20261129T040000Z-1a2b3c"
        }) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunLedger.requireRunId(bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aTlsFailureIsPermanentHoweverItIsWrapped() {
    Throwable handshake =
        new ClickHouseClient.ClickHouseQueryException(
            "the TLS handshake with ClickHouse at https://h failed",
            new javax.net.ssl.SSLHandshakeException("PKIX path building failed"));
    assertThat(Failures.isTlsFailure(handshake)).isTrue();
    assertThat(Failures.isTransient(new RuntimeException(handshake))).isFalse();
    assertThat(Failures.isTransient(new java.io.IOException("connection reset"))).isTrue();
    assertThat(Failures.isTlsFailure(new java.io.IOException("connection reset"))).isFalse();
  }

  @Test
  void aConnectionBetweenClickHouseServersCutMidInsertIsTransientBadInputIsNot() {
    assertThat(
            Failures.isTransient(
                new ClickHouseClient.ClickHouseQueryException(
                    "Code: 32, e.displayText() = DB::Exception: Attempt to read after eof: while"
                        + " receiving packet from 127.0.0.1:29003: Insertion status:")))
        .isTrue();
    assertThat(
            Failures.isTransient(
                new ClickHouseClient.ClickHouseQueryException(
                    "Code: 32, e.displayText() = DB::Exception: Attempt to read after eof")))
        .isFalse();
  }
}
