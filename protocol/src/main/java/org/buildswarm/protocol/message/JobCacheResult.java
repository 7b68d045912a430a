package org.buildswarm.protocol.message;

/**
 * What the cache did for an attempt of a job that declares {@code cache:}.
 *
 * @param key the job's key (its dependents' keys include it)
 * @param fromRun the run whose result was reused, when it was a hit (the steps did not run); else null
 * @param fromJob the name of the job in that run
 * @param stored whether this attempt's result was stored for later runs
 */
public record JobCacheResult(String key, Long fromRun, String fromJob, boolean stored) {
  public static JobCacheResult hit(String key, long run, String job) {
    return new JobCacheResult(key, run, job, false);
  }

  public static JobCacheResult ran(String key, boolean stored) {
    return new JobCacheResult(key, null, null, stored);
  }

  /** Whether the result came from an earlier run. */
  public boolean hit() {
    return fromRun != null;
  }
}
