-- Workflow runs (issue 10): one row per run, one per step of it.
CREATE TABLE workflow_runs (
  id          TEXT PRIMARY KEY,             -- wf-<id>
  name        TEXT NOT NULL,
  file        TEXT NOT NULL DEFAULT '',     -- the workflow file, as the caller named it
  status      TEXT NOT NULL,                -- running, succeeded, failed, cancelled
  started_at  INTEGER NOT NULL,             -- unix ms
  ended_at    INTEGER,                      -- unix ms
  error       TEXT,                         -- why the run failed or was cancelled
  labels      TEXT NOT NULL DEFAULT '{}',   -- JSON: extra labels put on the steps' containers
  spec        TEXT NOT NULL                 -- JSON: the validated workflow
);
CREATE INDEX workflow_runs_started ON workflow_runs(started_at);

CREATE TABLE workflow_steps (
  run_id      TEXT NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE,
  step_id     TEXT NOT NULL,
  position    INTEGER NOT NULL,             -- order in the file
  status      TEXT NOT NULL,                -- pending, running, succeeded, failed, skipped, cancelled
  exit_code   INTEGER,
  duration_ms INTEGER,
  log_tail    TEXT NOT NULL DEFAULT '',
  started_at  INTEGER,                      -- unix ms
  ended_at    INTEGER,                      -- unix ms
  error       TEXT,
  artifacts   TEXT NOT NULL DEFAULT '[]',   -- JSON: [{ path, bytes }] exported by the step
  PRIMARY KEY (run_id, step_id)
);
