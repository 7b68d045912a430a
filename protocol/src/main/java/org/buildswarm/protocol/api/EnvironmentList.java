package org.buildswarm.protocol.api;

import java.util.List;

/** Every environment known, by project then name. */
public record EnvironmentList(List<EnvironmentView> environments) {
  public EnvironmentList {
    environments = List.copyOf(environments);
  }
}
