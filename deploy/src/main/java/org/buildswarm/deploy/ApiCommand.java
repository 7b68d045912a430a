package org.buildswarm.deploy;

import java.io.IOException;
import java.util.concurrent.Callable;
import org.buildswarm.deploy.impl.SwarmClient;
import picocli.CommandLine.Mixin;

/** A command that talks to a running swarm and maps its failures to exit statuses and messages. */
abstract class ApiCommand implements Callable<Integer> {
  @Mixin
  Connection connection;

  /** The command's work; may throw {@link SwarmClient.ApiException} or {@link IOException}. */
  abstract int run(SwarmClient client) throws IOException, InterruptedException;

  abstract String name();

  /** What is wrong with the arguments, found before asking the swarm anything; null when nothing. */
  String argumentProblem() {
    return null;
  }

  @Override
  public final Integer call() throws Exception {
    String problem = argumentProblem();
    if (problem != null) {
      System.err.println("swarm " + name() + ": " + problem);
      return SwarmCli.BAD_INPUT;
    }
    SwarmClient client;
    try {
      client = connection.client(null);
    } catch (IOException e) {
      System.err.println("swarm " + name() + ": " + e.getMessage());
      return SwarmCli.UNAVAILABLE;
    }
    try {
      return run(client);
    } catch (SwarmClient.ApiException e) {
      System.err.println("swarm " + name() + ": " + (e.status() == 401 ? Connection.tokenHint() : e.getMessage()));
      return e.status() >= 400 && e.status() < 500 ? SwarmCli.BAD_INPUT : SwarmCli.UNAVAILABLE;
    } catch (IOException e) {
      System.err.println("swarm " + name() + ": cannot reach the swarm at " + client.base() + ": "
            + org.buildswarm.deploy.impl.SwarmClient.problem(e));
      return SwarmCli.UNAVAILABLE;
    }
  }
}
