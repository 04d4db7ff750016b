package dev.scorecards.reindex.runners.jobs;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.util.JsonFormat;
import dev.scorecards.reindex.proto.Job;
import org.junit.jupiter.api.Test;

/** A job's window is read by the same parser as the command line's. */
class JobPayloadTimesTest {
  static String job(String start) {
    return "{\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\", \"payload\": {\"reindexProcessScorecards\":"
        + " {\"startTime\": \""
        + start
        + "\", \"endTime\": \"2026-12-01T00:00:00Z\"}}}";
  }

  @Test
  void timesProtobufAcceptsButTheCliRefusesAreRefused() throws Exception {
    // Protobuf's JSON parser takes this leap second: without the check the job would run.
    String leap = job("2026-06-30T23:59:60Z");
    assertThatCode(() -> JsonFormat.parser().merge(leap, Job.newBuilder()))
        .doesNotThrowAnyException();
    for (String t :
        new String[] {
          "2026-06-30T23:59:60Z", "2026-01-01T00:00:00+25:00", "2026-01-01T00:00:00.123456789012Z"
        }) {
      assertThatThrownBy(() -> JobServer.requireTimesAsTheCliReadsThem(job(t)))
          .as(t)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("the start time '" + t + "' is not an RFC 3339 time");
    }
    assertThatCode(() -> JobServer.requireTimesAsTheCliReadsThem(job("2026-11-01T00:00:00Z")))
        .doesNotThrowAnyException();
  }
}
