package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.testing.Seeder;
import dev.scorecards.reindex.testing.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The class-data archive {@code ./reindex build} makes, with the flight recorder on: JDK 17 hands
 * the recorder's class-file-load hook the bytes of an archived class from the jar's plain path, and
 * crashes (JDK-8343427) on an archived class that the jar holds only under {@code
 * META-INF/versions} (the PostgreSQL driver's Java 11 cleaner, the ClickHouse driver's Java 11 HTTP
 * client): the archive's training must not load those. Runs when the archive is the one of the jar
 * under test (made after it).
 */
class ClassArchiveIT {
  private static final Path JSA = Path.of("target", "reindex-classes.jsa").toAbsolutePath();
  private static final ReindexWindow WINDOW =
      ReindexWindow.parse("2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z");

  @Test
  void aFlinkRunWithTheFlightRecorderOnUsesTheArchiveAndDoesNotCrash() throws Exception {
    assumeArchiveOfThisJar(JSA);
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(60, 3, WINDOW, 5), true);
    }
    Path classes = Files.createTempFile("reindex-classes-", ".log");
    Path recording = Files.createTempFile("reindex-", ".jfr");
    Path out = Files.createTempFile("reindex-archive-run-", ".log");
    // -Xshare:on: the JVM refuses to start unless it maps the archive, so the run below is one on
    // it.
    List<String> command =
        new ArrayList<>(
            List.of(
                "java",
                "-XX:SharedArchiveFile=" + JSA,
                "-Xshare:on",
                "-Xlog:cds=off",
                "-Xlog:cds+dynamic=off",
                "-Xlog:class+load=info:file=" + classes,
                "-XX:StartFlightRecording=filename=" + recording,
                "-jar",
                ReindexProcess.JAR.toString(),
                "run",
                "--mode",
                "process",
                "--runner",
                "FlinkRunner",
                "--parallelism",
                "1",
                "--start",
                WINDOW.start().toString(),
                "--end",
                WINDOW.end().toString(),
                "--pg-url",
                TestDatabases.postgres().jdbcUrl(),
                "--ch-url",
                TestDatabases.CH_URL,
                "--ch-database",
                TestDatabases.DATABASE));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("REINDEX_"));
    Process process = pb.start();
    assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("the run ended").isTrue();
    String output = Files.readString(out);

    assertThat(output).doesNotContain("A fatal error has been detected");
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("ClickHouse equals PostgreSQL");
    // The run mapped classes from the jar's archive, but none of those the jar holds only under
    // a versioned entry: an archived one of those is what crashed JDK 17 with the recorder on.
    String loaded = Files.readString(classes);
    assertThat(loaded).contains("source: shared objects file (top)");
    assertThat(loaded)
        .containsPattern(
            "org\\.postgresql\\.util\\.LazyCleanerImpl\\$CleanableWrapper source: file:.*\\.jar");
    assertThat(loaded)
        .containsPattern(
            "com\\.clickhouse\\.client\\.http\\.HttpClientConnectionImpl source: file:.*\\.jar");
    Files.deleteIfExists(classes);
    Files.deleteIfExists(recording);
    Files.deleteIfExists(out);
  }

  @Test
  void theShortCommandsArchiveServesStatusWithTheRecorderOn() throws Exception {
    Path shortJsa = Path.of("target", "reindex-short-commands.jsa").toAbsolutePath();
    assumeArchiveOfThisJar(shortJsa);
    TestDatabases.prepare();
    Path classes = Files.createTempFile("reindex-short-classes-", ".log");
    Path recording = Files.createTempFile("reindex-short-", ".jfr");
    ProcessBuilder pb =
        new ProcessBuilder(
                "java",
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-XX:SharedArchiveFile=" + shortJsa,
                "-Xshare:on",
                "-Xlog:cds=off",
                "-Xlog:cds+dynamic=off",
                "-Xlog:class+load=info:file=" + classes,
                "-XX:StartFlightRecording=filename=" + recording,
                "-jar",
                ReindexProcess.JAR.toString(),
                "status",
                "--ch-url",
                TestDatabases.CH_URL,
                "--ch-database",
                TestDatabases.DATABASE)
            .redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("REINDEX_"));
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(output).doesNotContain("A fatal error has been detected");
    assertThat(process.exitValue()).as(output).isZero();
    String loaded = Files.readString(classes);
    // The commands, the settings and the HTTP client came from the archive (picocli's classes are
    // of a class-file version too old to be archived).
    assertThat(loaded)
        .containsPattern(
            "dev\\.scorecards\\.reindex\\.runners\\.StatusCommand source: shared objects file \\(top\\)")
        .containsPattern(
            "dev\\.scorecards\\.reindex\\.runners\\.Settings source: shared objects file \\(top\\)")
        .containsPattern(
            "jdk\\.internal\\.net\\.http\\.HttpClientImpl source: shared objects file");
    Files.deleteIfExists(classes);
    Files.deleteIfExists(recording);
  }

  /** Runs a test only when {@code archive} was made from the jar under test (after it). */
  private static void assumeArchiveOfThisJar(Path archive) throws java.io.IOException {
    assumeTrue(
        Files.isRegularFile(archive)
            && Files.getLastModifiedTime(archive)
                    .compareTo(Files.getLastModifiedTime(ReindexProcess.JAR))
                >= 0,
        archive.getFileName() + " is made from this jar by ./reindex build");
  }
}
