package dev.scorecards.reindex.runners;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The raw values of the {@link Setting}s, each from its flag, else its environment variable, else
 * its default, with typed readers that refuse a bad value with one sentence naming where the value
 * came from. Immutable.
 */
public final class Settings {
  private final Map<Setting, String> values;
  private final Map<Setting, String> sources;

  private Settings(Map<Setting, String> values, Map<Setting, String> sources) {
    this.values = Collections.unmodifiableMap(values);
    this.sources = Collections.unmodifiableMap(sources);
  }

  /**
   * {@code flags} holds the flags given (absent when not given); {@code env} is the environment.
   */
  public static Settings resolve(Map<Setting, String> flags, Map<String, String> env) {
    Map<Setting, String> values = new EnumMap<>(Setting.class);
    Map<Setting, String> sources = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      String flag = s.flag == null ? null : flags.get(s);
      String fromEnv = env.get(s.env);
      requirePrintable(flag, s.flag);
      // A secret may hold anything: it is never printed.
      if (!s.secret()) {
        requirePrintable(fromEnv, s.env);
      }
      if (flag != null) {
        values.put(s, flag);
        sources.put(s, s.flag);
      } else if (fromEnv != null && !fromEnv.isBlank()) {
        values.put(s, fromEnv);
        sources.put(s, s.env);
      } else if (s.defaultValue != null) {
        values.put(s, s.defaultValue);
      }
    }
    return new Settings(values, sources);
  }

  /**
   * Refuses a value with a control character (a newline, a carriage return, an escape): it would be
   * cut at the first line, or print across lines and spoof others, wherever it is shown.
   */
  private static void requirePrintable(String value, String source) {
    if (value != null && value.codePoints().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          "the value of " + source + " contains a control character (a newline, a tab, ...)");
    }
  }

  /** These settings with {@code value} for {@code s}, given by {@code source} (e.g. "the job"). */
  public Settings with(Setting s, String value, String source) {
    Map<Setting, String> v =
        values.isEmpty() ? new EnumMap<>(Setting.class) : new EnumMap<>(values);
    Map<Setting, String> from =
        sources.isEmpty() ? new EnumMap<>(Setting.class) : new EnumMap<>(sources);
    v.put(s, value);
    from.put(s, source);
    return new Settings(v, from);
  }

  /** Only the environment and the defaults. */
  public static Settings fromEnvironment(Map<String, String> env) {
    return resolve(Map.of(), env);
  }

  /** The value as given, or null when none was given and there is no default. */
  public String text(Setting s) {
    return values.get(s);
  }

  /** Whether a flag, the environment or a job gave this setting (not only its default). */
  public boolean given(Setting s) {
    return sources.containsKey(s);
  }

  /** Where the value came from: the flag, the variable, or the setting's default. */
  public String source(Setting s) {
    return sources.getOrDefault(s, "the default of " + s.label());
  }

  /** A whole number in {@code [min, max]}, or null when not set. */
  public Long number(Setting s, long min, long max) {
    String text = values.get(s);
    if (text == null) {
      return null;
    }
    long n;
    try {
      if (!text.strip().matches("[+-]?[0-9]{1,18}")) {
        throw new NumberFormatException();
      }
      n = Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          what(s) + " '" + text + "' (" + source(s) + ") is not a whole number");
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(
          what(s)
              + " must be between "
              + min
              + " and "
              + max
              + ", not "
              + n
              + " ("
              + source(s)
              + ")");
    }
    return n;
  }

  public int integer(Setting s, int min, int max) {
    Long n = number(s, min, max);
    if (n == null) {
      throw new IllegalArgumentException(what(s) + " is not set (" + s.label() + ")");
    }
    return n.intValue();
  }

  /** A positive duration, or null when not set. */
  public Duration duration(Setting s) {
    String text = values.get(s);
    return text == null
        ? null
        : parseDuration(
            text,
            () ->
                what(s)
                    + " '"
                    + text
                    + "' ("
                    + source(s)
                    + ") is not a positive duration such as 5m, 90s or 1h30m");
  }

  public boolean bool(Setting s) {
    String text = values.get(s);
    if (text == null) {
      return false;
    }
    switch (text.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "true":
      case "1":
      case "yes":
        return true;
      case "false":
      case "0":
      case "no":
        return false;
      default:
        throw new IllegalArgumentException(
            what(s) + " '" + text + "' (" + source(s) + ") is not true or false");
    }
  }

  /** The setting as words: {@code --batch-size} becomes "the batch size". */
  static String what(Setting s) {
    return "the " + s.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
  }

  private static final Pattern DURATION_PART = Pattern.compile("(\\d{1,9})(ms|h|m|s)");
  private static final Duration LONGEST = Duration.ofDays(365);

  /** A duration such as {@code 5m}, {@code 90s}, {@code 1h30m} or {@code 250ms}, up to a year. */
  static Duration parseDuration(String text, java.util.function.Supplier<String> error) {
    String t = text == null ? "" : text.strip();
    Matcher m = DURATION_PART.matcher(t);
    Duration total = Duration.ZERO;
    int at = 0;
    while (m.find() && m.start() == at) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMillis(n);
              });
      at = m.end();
    }
    if (t.isEmpty() || at != t.length() || total.isZero() || total.compareTo(LONGEST) > 0) {
      throw new IllegalArgumentException(error.get());
    }
    return total;
  }

  /**
   * A duration in the notation {@link #parseDuration} reads: {@code 5m}, {@code 1h30m}, {@code
   * 250ms}.
   */
  static String format(Duration d) {
    StringBuilder out = new StringBuilder();
    if (d.toHours() > 0) {
      out.append(d.toHours()).append('h');
    }
    if (d.toMinutesPart() > 0) {
      out.append(d.toMinutesPart()).append('m');
    }
    if (d.toSecondsPart() > 0) {
      out.append(d.toSecondsPart()).append('s');
    }
    if (d.toMillisPart() > 0) {
      out.append(d.toMillisPart()).append("ms");
    }
    return out.toString();
  }
}
