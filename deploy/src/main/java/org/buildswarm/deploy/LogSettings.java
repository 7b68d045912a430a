package org.buildswarm.deploy;

import java.util.logging.Handler;
import java.util.logging.Logger;
import org.buildswarm.deploy.impl.JsonLogFormatter;
import picocli.CommandLine.Option;

/** How a long-running node writes its log lines; shared by {@code swarm up} and the node commands. */
final class LogSettings {
  @Option(names = "--log-format", defaultValue = "plain", description = "plain (one line per record, for people) or "
      + "json (one JSON object per line: time, level, logger, message, thread, role, error; for log shippers) "
      + "(default: ${DEFAULT-VALUE}).")
  String format;

  /** Checks the setting; a message for people when it is wrong. */
  void check() {
    if (!format.equals("plain") && !format.equals("json")) {
      throw new IllegalArgumentException("--log-format: plain or json, not \"" + format + "\"");
    }
  }

  /** Switches the root logger's handlers (stderr, from conf/logging.properties) to this format. */
  void apply(String role) {
    check();
    if (format.equals("json")) {
      for (Handler handler : Logger.getLogger("").getHandlers()) {
        handler.setFormatter(new JsonLogFormatter(role));
      }
    }
  }
}
