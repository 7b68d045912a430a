-- When each cron schedule of a project last started a run, so a restarted orchestrator neither
-- repeats a run nor makes up for every one it missed.
CREATE TABLE schedule_fires (
  project VARCHAR(200) NOT NULL,
  expression VARCHAR(200) NOT NULL,
  fired_at BIGINT NOT NULL,
  PRIMARY KEY (project, expression)
);
