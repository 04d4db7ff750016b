package dev.scorecards.reindex.runners;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.List;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * The jar a run stages on a Flink cluster with each job: the bundled jar without the classes a
 * Flink cluster always loads from its own class path (Flink's default {@code
 * classloader.parent-first-patterns}), so a copy of them in the job's jar is never used. Made once
 * per bundled jar, beside it (or in the temporary directory), by copying the kept entries as they
 * are compressed.
 */
final class FlinkJobJar {
  /** Entry prefixes a Flink cluster loads parent-first; Flink's RPC system is loaded by Flink. */
  static final List<String> CLUSTER_FIRST =
      List.of(
          "org/apache/flink/",
          "flink-rpc-akka.jar",
          "scala/",
          "com/esotericsoftware/kryo/",
          "org/slf4j/",
          "org/apache/log4j/",
          "org/apache/logging/",
          "org/apache/commons/logging/",
          "ch/qos/logback/",
          "org/apache/hadoop/",
          "org/rocksdb/",
          "javax/annotation/",
          "org/xml/",
          "javax/xml/",
          "org/apache/xerces/",
          "org/w3c/");

  private FlinkJobJar() {}

  /** Beside the bundled jar, or the temporary directory when that is not writable. */
  private static Path dirBeside(Path bundled) {
    Path dir = bundled.getParent();
    return dir != null && Files.isWritable(dir)
        ? dir
        : Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** Whether an entry of the bundled jar goes into the job's jar. */
  static boolean kept(String entry) {
    String name = entry.replaceFirst("^META-INF/versions/\\d+/", "");
    return CLUSTER_FIRST.stream().noneMatch(name::startsWith);
  }

  /** The job jar made from {@code bundled}, made now if it is not there yet. */
  static synchronized Path of(Path bundled) {
    try {
      String key =
          Long.toHexString(Files.size(bundled))
              + "-"
              + Long.toHexString(Files.getLastModifiedTime(bundled).toMillis());
      String name = "reindex-flink-job-" + key + ".jar";
      Path dir = dirBeside(bundled);
      Path jar = dir.resolve(name);
      if (Files.isRegularFile(jar)) {
        return jar;
      }
      // Written under a name of its own and moved into place: runs starting together never
      // stage a half-written jar.
      Path tmp = Files.createTempFile(dir, "reindex-flink-job", ".tmp");
      try {
        copyKept(bundled, tmp);
        Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      // Those made from earlier builds (a run already staging one keeps its open file).
      try (java.util.stream.Stream<Path> old = Files.list(dir)) {
        for (Path p : old.toList()) {
          String n = p.getFileName().toString();
          if (n.startsWith("reindex-flink-job-") && n.endsWith(".jar") && !n.equals(name)) {
            Files.deleteIfExists(p);
          }
        }
      }
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not make the jar to stage on the Flink cluster from " + bundled, e);
    }
  }

  /**
   * An empty jar beside {@code bundled}, staged when the cluster has the tool's classes (Beam would
   * stage its whole class path when given nothing).
   */
  static synchronized Path empty(Path bundled) {
    try {
      Path dir = dirBeside(bundled);
      Path jar = dir.resolve("reindex-flink-empty.jar");
      if (!Files.isRegularFile(jar)) {
        Path tmp = Files.createTempFile(dir, "reindex-flink-empty", ".tmp");
        try (java.util.jar.JarOutputStream out =
            new java.util.jar.JarOutputStream(
                Files.newOutputStream(tmp), new java.util.jar.Manifest())) {
          out.putNextEntry(new java.util.jar.JarEntry("META-INF/reindex-flink-empty"));
          out.closeEntry();
        }
        Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not make an empty jar to stage on the Flink cluster", e);
    }
  }

  private static void copyKept(Path from, Path to) throws IOException {
    try (ZipFile in = ZipFile.builder().setPath(from).get();
        ZipArchiveOutputStream out = new ZipArchiveOutputStream(to)) {
      Enumeration<ZipArchiveEntry> entries = in.getEntriesInPhysicalOrder();
      while (entries.hasMoreElements()) {
        ZipArchiveEntry e = entries.nextElement();
        if (kept(e.getName())) {
          out.addRawArchiveEntry(e, in.getRawInputStream(e));
        }
      }
    }
  }
}
