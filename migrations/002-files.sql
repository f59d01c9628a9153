-- The files API: a base dir per session, confinement, exec defaults, fork snapshots, op metrics.
ALTER TABLE sessions ADD COLUMN base_dir TEXT NOT NULL DEFAULT '/workspace';
ALTER TABLE sessions ADD COLUMN confine INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sessions ADD COLUMN exec_defaults TEXT NOT NULL DEFAULT '{}';  -- JSON { workdir?, env? }
ALTER TABLE sessions ADD COLUMN forked_from TEXT;
ALTER TABLE sessions ADD COLUMN snapshot_image TEXT;                     -- image this session was forked from

CREATE TABLE op_metrics (
  kind     TEXT PRIMARY KEY,
  count    INTEGER NOT NULL DEFAULT 0,
  success  INTEGER NOT NULL DEFAULT 0,
  failure  INTEGER NOT NULL DEFAULT 0,
  fallback INTEGER NOT NULL DEFAULT 0,
  total_ms REAL NOT NULL DEFAULT 0
);
