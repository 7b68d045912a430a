package org.buildswarm.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.buildswarm.deploy.impl.PipelineFiles;
import org.buildswarm.deploy.impl.Terminal;
import org.buildswarm.protocol.pipeline.Pipeline;
import org.buildswarm.protocol.pipeline.PipelineException;
import org.buildswarm.protocol.pipeline.PipelineProblem;
import org.buildswarm.protocol.pipeline.PipelineReader;
import org.buildswarm.protocol.pipeline.PipelineSchema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarm lint [DIR|FILE]}: the pipeline checked here, as the swarm would check it, without a swarm. */
@Command(name = "lint", mixinStandardHelpOptions = true,
    description = "Check a pipeline file without submitting it (no swarm needed): every problem at once, as "
        + "file:line:column: message. Exit status: 0 no problems, 2 problems or no such file.")
final class LintCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", description = "The pipeline file, or a directory with one "
      + "(default: the current directory).")
  Path target = Path.of(".");

  @Option(names = "--file", description = "Pipeline file in DIR (default: ${DEFAULT-VALUE}).",
      defaultValue = PipelineReader.DEFAULT_FILE)
  String file;

  @Option(names = "--schema", description = "Print the pipeline file's JSON Schema (draft-07, for editors) and check nothing.")
  boolean schema;

  @Override
  public Integer call() throws Exception {
    if (schema) {
      System.out.print(PipelineSchema.text());
      return SwarmCli.OK;
    }
    Path pipelineFile = Files.isDirectory(target) ? target.resolve(file) : target;
    if (!Files.isRegularFile(pipelineFile)) {
      System.err.println("swarm lint: no pipeline file " + pipelineFile);
      return SwarmCli.BAD_INPUT;
    }
    String text;
    try {
      text = PipelineFiles.read(pipelineFile);
    } catch (PipelineFiles.NotText e) {
      System.out.println(e.getMessage());
      return SwarmCli.BAD_INPUT;
    }
    try {
      Pipeline pipeline = new PipelineReader().read(pipelineFile.toString(), text);
      System.out.println(Terminal.shown(pipelineFile.toString()) + ": no problems (" + pipeline.jobs().size() + " job(s))");
      return SwarmCli.OK;
    } catch (PipelineException e) {
      for (PipelineProblem problem : e.problems()) {
        // Shown as a terminal shows it: a name in a message must not reorder or hide the line.
        System.out.println(Terminal.shown(problem.file() + ":" + problem.line() + ":" + problem.column() + ": "
            + problem.message()));
      }
      System.err.println("swarm lint: " + e.problems().size() + " problem(s)");
      return SwarmCli.BAD_INPUT;
    }
  }
}
