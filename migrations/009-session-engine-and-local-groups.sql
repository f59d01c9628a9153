-- Issue 15 §4: a session belongs to the engine endpoint it was created on (its kind is
-- `sessions.engine`); NULL for sessions made before, which any engine of their kind adopts.
ALTER TABLE sessions ADD COLUMN engine_endpoint TEXT;

-- Process groups started in local-backend sandboxes, so that stop/rm after a daemon
-- restart still reach them. Before signalling, the group is checked to be the same one
-- (a pgid can be reused by an unrelated group once the first is gone): its leader's start
-- time, or the BERTH_EXEC_ID `marker` in a member's environment.
CREATE TABLE local_process_groups (
  dir          TEXT NOT NULL,              -- the sandbox's host directory
  pgid         INTEGER NOT NULL,
  marker       TEXT NOT NULL,
  leader_start INTEGER,                    -- /proc/<pgid>/stat starttime (clock ticks after boot)
  started_at INTEGER NOT NULL,             -- unix ms
  PRIMARY KEY (dir, pgid)
);
