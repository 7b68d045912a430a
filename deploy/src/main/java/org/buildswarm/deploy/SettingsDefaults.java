package org.buildswarm.deploy;

import java.util.Locale;
import java.util.Map;
import org.buildswarm.protocol.config.SettingsFile;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where an option's value comes from when the command line does not give it: the environment
 * ({@code BUILDSWARM_EVENT_BUS_PORT} for {@code --event-bus-port}), then the settings file given
 * with {@code --config}, then the option's documented default.
 */
final class SettingsDefaults implements CommandLine.IDefaultValueProvider {
  private final SettingsFile file;
  private final Map<String, String> environment;

  SettingsDefaults(SettingsFile file, Map<String, String> environment) {
    this.file = file;
    this.environment = environment;
  }

  static String key(OptionSpec option) {
    return option.longestName().replaceFirst("^--?", "");
  }

  static String environmentVariable(String key) {
    return "BUILDSWARM_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  @Override
  public String defaultValue(ArgSpec argument) {
    if (!(argument instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    String key = key(option);
    String fromEnvironment = environment.get(environmentVariable(key));
    if (fromEnvironment != null) {
      return fromEnvironment;
    }
    if (file != null && file.settings().containsKey(key)) {
      return file.settings().get(key).value();
    }
    return option.defaultValue();
  }
}
