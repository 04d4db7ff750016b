package dev.scorecards.reindex.runners.schedule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;

/**
 * The end of the last successful scheduled run, per mode, in a small properties file that survives
 * a restart of the scheduler. Written to a temporary file and moved into place, so a crash never
 * leaves half a file.
 */
public final class ScheduleState {
  private final Path file;
  private final String key;

  public ScheduleState(Path file, String mode) {
    this.file = file;
    this.key = "last_successful_end." + mode;
  }

  public Path file() {
    return file;
  }

  public synchronized Optional<Instant> lastSuccessfulEnd() {
    Properties p = load();
    String v = p.getProperty(key);
    return v == null ? Optional.empty() : Optional.of(Instant.parse(v));
  }

  public synchronized void recordSuccess(Instant end) {
    Properties p = load();
    p.setProperty(key, end.toString());
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      // A file of its own beside the state (same file system, so the move is atomic): two
      // schedulers, or a stale one from a crash, never write into each other's.
      Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
      try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, "reindex schedule: end of the last successful run, per mode");
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the schedule state " + file, e);
    }
  }

  private Properties load() {
    Properties p = new Properties();
    if (Files.isRegularFile(file)) {
      try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("could not read the schedule state " + file, e);
      }
    }
    return p;
  }
}
