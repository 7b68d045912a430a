package org.buildswarm.orchestrator.simulate;

/**
 * How a simulation models jobs cached by their inputs. Each job's own inputs are unchanged with
 * probability {@code hitRate} (drawn from {@code seed}, so a model is repeatable); a job is a hit
 * only when its inputs are unchanged and every job it needs was a hit too (a need that ran has a
 * new key, and so has everything behind it), as the real cache decides. A hit takes {@code hitMs}:
 * the drone's checkout, key and restore.
 */
public record CacheModel(double hitRate, long hitMs, long seed) {
  /** No cache: every job runs. */
  public static final CacheModel NONE = new CacheModel(0, 0, 0);
  /** What a hit takes when nothing else is said. */
  public static final long DEFAULT_HIT_MS = 500;

  public CacheModel {
    if (!(hitRate >= 0 && hitRate <= 1)) {
      throw new IllegalArgumentException("the cache hit rate must be between 0 and 1, not " + hitRate);
    }
    if (hitMs < 0) {
      throw new IllegalArgumentException("a cache hit cannot take " + hitMs + " ms");
    }
  }
}
