-- Test results from the JUnit XML reports jobs declare: the summary of a job's current attempt
-- with the job, and each attempt's summary and failures in their own rows.
ALTER TABLE jobs ADD COLUMN tests_json VARCHAR(1000);

CREATE TABLE test_results (
  job_id        BIGINT NOT NULL REFERENCES jobs (id),
  attempt       INT NOT NULL,
  summary_json  VARCHAR(1000) NOT NULL,
  failures_json CLOB NOT NULL,
  truncated     BOOLEAN NOT NULL,
  PRIMARY KEY (job_id, attempt)
);
