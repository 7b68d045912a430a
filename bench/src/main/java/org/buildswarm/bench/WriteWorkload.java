package org.buildswarm.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import org.buildswarm.protocol.ProtocolJson;

/** Writes a generated distribution rebuild as a {@code swarm simulate} workload file. */
public final class WriteWorkload {
  /** {@code WriteWorkload FILE [packages] [seed]} */
  public static void main(String[] args) throws Exception {
    int packages = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
    Files.write(Path.of(args[0]), ProtocolJson.mapper().writerWithDefaultPrettyPrinter()
        .writeValueAsBytes(DistroRebuild.generate(packages, seed)));
  }

  private WriteWorkload() {}
}
