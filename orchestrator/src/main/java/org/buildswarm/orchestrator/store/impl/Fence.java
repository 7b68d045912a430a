package org.buildswarm.orchestrator.store.impl;

import org.buildswarm.orchestrator.store.FencedException;

/**
 * The fence behind the leader lock, the same in both stores: once this orchestrator has begun an
 * epoch, a write that would change runs is refused inside its own transaction when a newer epoch
 * exists (another orchestrator took over while this one still thought it led). Before any epoch is
 * begun (tools, tests, a store opened only to read) nothing is fenced.
 */
final class Fence {
  private volatile long epoch = -1;

  void begun(long epoch) {
    this.epoch = epoch;
  }

  /** Whether writes must read the newest epoch ({@link StoreSql#NEWEST_EPOCH}) before they change anything. */
  boolean armed() {
    return epoch >= 0;
  }

  /** Throws when the newest epoch read in the writing transaction is not this orchestrator's. */
  void check(long newest) {
    long mine = epoch;
    if (mine >= 0 && newest > mine) {
      throw new FencedException(mine, newest);
    }
  }
}
