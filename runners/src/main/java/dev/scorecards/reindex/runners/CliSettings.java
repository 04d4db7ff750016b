package dev.scorecards.reindex.runners;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The command-line side of the {@link Setting}s: each command that takes settings gets one option
 * per setting of its groups, made from the declaration, and reads them back as {@link Settings}
 * after parsing. The options have no defaults of their own: an absent flag falls back to its
 * environment variable, then to the setting's default.
 */
public final class CliSettings {
  private CliSettings() {}

  /** A command that takes the settings of some groups; it needs a {@code @Spec CommandSpec}. */
  public interface Command {
    Set<Setting.Group> settingGroups();

    CommandSpec spec();

    /** The settings from this command's flags and the environment. */
    default Settings settings() {
      return Settings.resolve(given(spec()), System.getenv());
    }
  }

  /** Adds the settings' options to every command (and subcommand) that takes settings. */
  static void addOptions(CommandLine cli) {
    if (cli.getCommand() instanceof Command command) {
      for (Setting s : Setting.of(command.settingGroups())) {
        if (s.flag == null) {
          continue;
        }
        OptionSpec.Builder option = OptionSpec.builder(s.flag).description(help(s));
        if (s.isSwitch()) {
          option.type(boolean.class).arity("0");
        } else {
          option.type(String.class).paramLabel("<" + s.flag.substring(2) + ">");
        }
        cli.getCommandSpec().addOption(option.build());
      }
    }
    for (CommandLine sub : cli.getSubcommands().values()) {
      addOptions(sub);
    }
  }

  private static String help(Setting s) {
    String help = s.description.replace("`", "") + " (env " + s.env;
    if (s.defaultValue != null && !s.isSwitch()) {
      help += "; default: " + s.defaultValue;
    }
    return help + ")";
  }

  /** The flags given on the command line, by setting. */
  static Map<Setting, String> given(CommandSpec spec) {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    for (Setting s : Setting.values()) {
      if (s.flag != null && parsed.hasMatchedOption(s.flag)) {
        flags.put(s, s.isSwitch() ? "true" : parsed.matchedOptionValue(s.flag, (String) null));
      }
    }
    return flags;
  }
}
