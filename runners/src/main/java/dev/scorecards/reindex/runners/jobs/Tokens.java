package dev.scorecards.reindex.runners.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The callers the job handler knows: a file of lines {@code <sha256 of token> <caller> <role>}
 * ({@code #} starts a comment). Tokens themselves are never stored, only their SHA-256, and are
 * compared in constant time.
 */
public final class Tokens {
  /** An authenticated caller: its name and its role, both from the tokens file. */
  public record Caller(String name, String role) {}

  private record Entry(byte[] hash, Caller caller) {}

  private volatile List<Entry> entries;
  private final Path watched;
  private volatile Object loadedVersion;

  private Tokens(List<Entry> entries, Path watched, Object loadedVersion) {
    this.entries = entries;
    this.watched = watched;
    this.loadedVersion = loadedVersion;
  }

  /** The callers of a tokens file as it is now. */
  public static Tokens load(Path file) throws IOException {
    return new Tokens(read(file), null, null);
  }

  /**
   * The callers of a tokens file, read again whenever the file changes, so that a token removed
   * from it is refused from the next request on. A file that becomes unreadable or invalid refuses
   * every token until it is fixed (fail closed), and says so once on stderr.
   */
  public static Tokens watching(Path file) throws IOException {
    List<Entry> entries = read(file);
    return new Tokens(entries, file, version(file));
  }

  private static Object version(Path file) throws IOException {
    java.nio.file.attribute.BasicFileAttributes a =
        Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
    return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
  }

  private void reloadIfChanged() {
    if (watched == null) {
      return;
    }
    try {
      Object now = version(watched);
      if (!now.equals(loadedVersion)) {
        entries = read(watched);
        loadedVersion = now;
      }
    } catch (IOException | IllegalArgumentException e) {
      if (!entries.isEmpty()) {
        System.err.println(
            "reindex serve: refusing every token until the tokens file is fixed: "
                + e.getMessage());
      }
      entries = List.of();
      loadedVersion = null;
    }
  }

  /**
   * The entries of a tokens file; every way it can be unusable is one sentence: missing,
   * unreadable, a directory, not UTF-8, writable by every user, a malformed line, no caller.
   */
  private static List<Entry> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("the tokens file " + file + " does not exist");
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("the tokens file " + file + " is not a regular file");
    }
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("the tokens file " + file + " is not readable");
    }
    try {
      if (Files.getPosixFilePermissions(file)
          .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
        throw new IllegalArgumentException(
            "the tokens file "
                + file
                + " is writable by every user: anyone could add a token (chmod o-w "
                + file
                + ")");
      }
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: nothing to check.
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("the tokens file " + file + " is not UTF-8 text");
    }
    List<Entry> entries = new ArrayList<>();
    int n = 0;
    for (String line : lines) {
      n++;
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] parts = t.split("\\s+");
      if (parts.length != 3 || !parts[0].matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException(
            "line "
                + n
                + " of the tokens file "
                + file
                + " is not '<sha256 hex of the token> <caller> <role>'");
      }
      entries.add(new Entry(HexFormat.of().parseHex(parts[0]), new Caller(parts[1], parts[2])));
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException(
          "the tokens file " + file + " names no caller: nobody could use the server");
    }
    return List.copyOf(entries);
  }

  public static String sha256(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new random token (256 bits, hex). */
  public static String newToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** The caller of a bearer token, if the token is known. */
  public Optional<Caller> authenticate(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    reloadIfChanged();
    byte[] hash = HexFormat.of().parseHex(sha256(token));
    Caller found = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(e.hash(), hash)) {
        found = e.caller();
      }
    }
    return Optional.ofNullable(found);
  }
}
