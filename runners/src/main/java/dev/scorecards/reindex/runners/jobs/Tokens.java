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

  private final List<Entry> entries;

  private Tokens(List<Entry> entries) {
    this.entries = entries;
  }

  public static Tokens load(Path file) throws IOException {
    List<Entry> entries = new ArrayList<>();
    int n = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
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
    return new Tokens(entries);
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
