package org.buildswarm.protocol.message;

/** A message the control plane sends to one drone: sealed with that drone's key, so the drone can check it. */
public interface ToDrone {
  String drone();
}
