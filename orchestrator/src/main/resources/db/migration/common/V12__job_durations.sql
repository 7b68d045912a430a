-- How long each pipeline job takes is learnt again from history when an orchestrator starts: a
-- stored job names the pipeline job it is a variant of (its name without the matrix values), and
-- the newest attempts are found by when they ended.
ALTER TABLE jobs ADD COLUMN job_group VARCHAR(300);
CREATE INDEX attempts_ended ON attempts (ended_at);
