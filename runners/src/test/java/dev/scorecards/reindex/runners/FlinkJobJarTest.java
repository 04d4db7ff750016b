package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkJobJarTest {
  @Test
  void keepsWhatAClusterLoadsFromTheJobsJarOnly() {
    assertThat(FlinkJobJar.kept("org/apache/beam/runners/flink/FlinkRunner.class")).isTrue();
    assertThat(FlinkJobJar.kept("org/postgresql/Driver.class")).isTrue();
    assertThat(FlinkJobJar.kept("dev/scorecards/reindex/pipeline/JoinScores.class")).isTrue();
    assertThat(FlinkJobJar.kept("META-INF/MANIFEST.MF")).isTrue();
    assertThat(FlinkJobJar.kept("org/apache/flink/api/common/JobID.class")).isFalse();
    assertThat(FlinkJobJar.kept("flink-rpc-akka.jar")).isFalse();
    assertThat(FlinkJobJar.kept("META-INF/versions/11/org/apache/flink/X.class")).isFalse();
    assertThat(FlinkJobJar.kept("org/slf4j/Logger.class")).isFalse();
  }

  @Test
  void copiesTheKeptEntriesOnceAndDropsEarlierCopies(@TempDir Path dir) throws Exception {
    Path bundled = dir.resolve("reindex-bundled.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
    manifest.getMainAttributes().putValue("Multi-Release", "true");
    try (OutputStream out = Files.newOutputStream(bundled);
        JarOutputStream jar = new JarOutputStream(out, manifest)) {
      for (String name : List.of("org/apache/flink/A.class", "org/apache/beam/B.class", "c.txt")) {
        jar.putNextEntry(new JarEntry(name));
        jar.write(name.getBytes(StandardCharsets.UTF_8));
        jar.closeEntry();
      }
    }
    Path earlier = Files.writeString(dir.resolve("reindex-flink-job-0-0.jar"), "old");
    Path job = FlinkJobJar.of(bundled);
    assertThat(FlinkJobJar.of(bundled)).isEqualTo(job);
    assertThat(earlier).doesNotExist();
    List<String> names = new ArrayList<>();
    try (JarFile jar = new JarFile(job.toFile())) {
      jar.stream().forEach(e -> names.add(e.getName()));
      assertThat(jar.getManifest().getMainAttributes().getValue("Multi-Release")).isEqualTo("true");
      assertThat(new String(jar.getInputStream(jar.getEntry("c.txt")).readAllBytes()))
          .isEqualTo("c.txt");
    }
    assertThat(names).contains("org/apache/beam/B.class", "c.txt");
    assertThat(names).doesNotContain("org/apache/flink/A.class");
  }
}
