-- buildswarm schema v2: one row per attempt of a job (its drone, token, times and outcome), and
-- the drones the orchestrator knows with the mode an operator set for them.
CREATE TABLE attempts (
  job_id      BIGINT NOT NULL REFERENCES jobs (id),
  attempt     INT NOT NULL,
  token       BIGINT NOT NULL,
  drone       VARCHAR(200) NOT NULL,
  assigned_at BIGINT NOT NULL,
  started_at  BIGINT,
  ended_at    BIGINT,
  outcome     VARCHAR(40),
  exit_code   INT,
  PRIMARY KEY (job_id, attempt)
);
CREATE UNIQUE INDEX attempts_token ON attempts (token);

CREATE TABLE drones (
  name          VARCHAR(200) PRIMARY KEY,
  host          VARCHAR(500),
  cores         INT NOT NULL,
  labels_json   VARCHAR(4000) NOT NULL,
  operator_mode VARCHAR(20),
  last_seen_at  BIGINT NOT NULL
);
