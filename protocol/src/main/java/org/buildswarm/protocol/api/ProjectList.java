package org.buildswarm.protocol.api;

import java.util.List;

/** The answer to {@link ListProjects}. */
public record ProjectList(List<ProjectView> projects) {
  public ProjectList {
    projects = List.copyOf(projects);
  }
}
