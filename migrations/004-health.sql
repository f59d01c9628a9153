-- Health: the restart-on-unhealthy policy per session, health changes and restarts.
ALTER TABLE sessions ADD COLUMN health_policy TEXT NOT NULL DEFAULT '{}';  -- JSON { restartOnUnhealthy?, maxRestarts?, backoffMs? }

CREATE TABLE health_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  at         INTEGER NOT NULL,
  status     TEXT NOT NULL,               -- starting | healthy | unhealthy
  output     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX health_events_session ON health_events(session_id, id);

CREATE TABLE session_restarts (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  at         INTEGER NOT NULL,
  attempt    INTEGER NOT NULL,
  reason     TEXT NOT NULL
);
CREATE INDEX session_restarts_session ON session_restarts(session_id, id);
