-- A run's branch (from its source's ref), so the run list can be filtered by it.
ALTER TABLE runs ADD COLUMN branch VARCHAR(255);
CREATE INDEX runs_project_branch ON runs (project, branch, id);
