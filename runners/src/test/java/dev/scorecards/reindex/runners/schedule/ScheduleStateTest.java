package dev.scorecards.reindex.runners.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScheduleStateTest {
  @Test
  void aLeftoverTemporaryFileOfAnotherWriterDoesNotStopTheStateBeingSaved(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("state.properties");
    // What a crashed writer, or another scheduler in the middle of writing, leaves beside it.
    Files.createDirectory(dir.resolve("state.properties.tmp"));
    ScheduleState state = new ScheduleState(file, "process");
    Instant end = Instant.parse("2026-11-01T00:00:00Z");
    state.recordSuccess(end);
    assertThat(new ScheduleState(file, "process").lastSuccessfulEnd()).hasValue(end);
    // Only the state and the other writer's leftover: no temporary file of ours remains.
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("state.properties", "state.properties.tmp");
    }
  }
}
