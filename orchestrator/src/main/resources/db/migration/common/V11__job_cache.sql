-- What the cache did for a job that declares cache: its key (its dependents' keys include it) and,
-- on a hit, the run its result was taken from.
ALTER TABLE jobs ADD COLUMN cache_json VARCHAR(1000);
