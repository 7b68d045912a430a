-- The last commit work discovery saw on each ref of each project, so a restarted orchestrator
-- starts runs only for what is new since.
CREATE TABLE discovered_heads (
  project VARCHAR(200) NOT NULL,
  ref VARCHAR(500) NOT NULL,
  sha VARCHAR(64) NOT NULL,
  seen_at BIGINT NOT NULL,
  PRIMARY KEY (project, ref)
);
