-- Volume registry (issue 8): the engine volumes this berth instance made, with what gc needs.
CREATE TABLE volumes (
  name             TEXT PRIMARY KEY,             -- the engine's volume name
  engine           TEXT NOT NULL,                -- docker or podman
  kind             TEXT NOT NULL CHECK (kind IN ('workspace', 'cache', 'logs')),
  owner_session_id TEXT,                         -- workspace/logs: the session; NULL for shared caches
  cache_key        TEXT,                         -- the caller's cache key (cache volumes)
  created_at       INTEGER NOT NULL,             -- unix ms
  last_used_at     INTEGER NOT NULL,             -- unix ms: last mounted, or last seen mounted
  size_bytes       INTEGER,                      -- last measured size; NULL when not measurable
  labels           TEXT NOT NULL DEFAULT '{}'    -- JSON object of the caller's labels
);
CREATE INDEX volumes_owner ON volumes(owner_session_id);
CREATE INDEX volumes_last_used ON volumes(last_used_at);
