package dev.scorecards.reindex.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import org.junit.jupiter.api.Test;

/** Every message of the job contract survives binary and JSON encoding unchanged. */
class RoundTripTest {
  private static final Timestamp START =
      Timestamp.newBuilder().setSeconds(1_767_225_600L).setNanos(123_456_000).build();
  private static final Timestamp END = Timestamp.newBuilder().setSeconds(1_767_312_000L).build();

  static final ReindexProcessScorecardsPayload PAYLOAD =
      ReindexProcessScorecardsPayload.newBuilder()
          .setStartTime(START)
          .setEndTime(END)
          .setCleanUpBeforeWrite(true)
          .setReindexBatchSize(75)
          .build();

  static final Job JOB =
      Job.newBuilder()
          .setId("job-1")
          .setType(JobType.JOB_TYPE_REINDEX_PROCESS_SCORECARDS)
          .setPayload(JobPayload.newBuilder().setReindexProcessScorecards(PAYLOAD))
          .setCreator("alice")
          .setCreateTime(END)
          .build();

  static final ReindexProcessScorecardsInput INPUT =
      ReindexProcessScorecardsInput.newBuilder()
          .setStartTime(START)
          .setEndTime(END)
          .setBatchSize(50)
          .setCleanUpBeforeWrite(false)
          .setMaxAttempts(6)
          .setHeartbeatTimeout(Duration.newBuilder().setSeconds(300))
          .setJobId("job-1")
          .build();

  private static <T extends Message> void roundTrips(T message) throws Exception {
    assertThat(message.getParserForType().parseFrom(message.toByteArray())).isEqualTo(message);
    String json = JsonFormat.printer().print(message);
    Message.Builder builder = message.newBuilderForType();
    JsonFormat.parser().merge(json, builder);
    assertThat(builder.build()).isEqualTo(message);
  }

  @Test
  void everyMessageRoundTripsThroughBinaryAndJson() throws Exception {
    roundTrips(JOB);
    roundTrips(PAYLOAD);
    roundTrips(INPUT);
    roundTrips(JobPayload.newBuilder().setReindexProcessScorecards(PAYLOAD).build());
  }

  @Test
  void theWireNumbersAreTheContract() throws Exception {
    assertThat(JobType.JOB_TYPE_REINDEX_PROCESS_SCORECARDS.getNumber()).isEqualTo(58);
    assertThat(JobPayload.getDescriptor().findFieldByName("reindex_process_scorecards").getNumber())
        .isEqualTo(57);
    assertThat(JobPayload.getDescriptor().getOneofs().get(0).getName()).isEqualTo("payload");
    String json = JsonFormat.printer().print(JOB);
    assertThat(json)
        .contains(
            "\"type\": \"JOB_TYPE_REINDEX_PROCESS_SCORECARDS\"",
            "\"reindexProcessScorecards\"",
            "\"startTime\": \"2026-01-01T00:00:00.123456Z\"",
            "\"reindexBatchSize\": 75");
  }
}
