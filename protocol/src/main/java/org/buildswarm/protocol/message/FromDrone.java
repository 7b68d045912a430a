package org.buildswarm.protocol.message;

/**
 * A message a drone may send: it names the drone it speaks for, which must be the drone whose
 * credentials sealed it. Nothing else is accepted from a drone.
 */
public interface FromDrone {
  String drone();
}
