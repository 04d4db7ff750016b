package dev.scorecards.reindex.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BenchTimingTest {
  private static long timingFiles() throws Exception {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("reindex-bench") && n.endsWith(".time"))
          .count();
    }
  }

  @Test
  void leavesNoTimingFileBehindWhetherTheCommandSucceedsOrFails() throws Exception {
    long before = timingFiles();
    String[] figures = BenchCommand.timed(List.of("true"));
    assertThat(figures).hasSize(4);
    assertThat(Double.parseDouble(figures[0])).isGreaterThanOrEqualTo(0);
    assertThat(Long.parseLong(figures[3])).isPositive();
    assertThatThrownBy(() -> BenchCommand.timed(List.of("false")))
        .hasMessageContaining("the benchmark step failed");
    assertThat(timingFiles()).isEqualTo(before);
  }
}
