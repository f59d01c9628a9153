-- Sessions, their container bindings, state changes and exec history.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE sessions (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  state           TEXT NOT NULL,
  template        TEXT,
  spec            TEXT NOT NULL,            -- JSON ContainerSpec
  labels          TEXT NOT NULL DEFAULT '{}',
  engine          TEXT NOT NULL,
  ttl_ms          INTEGER,
  idle_timeout_ms INTEGER,
  created_at      INTEGER NOT NULL,         -- unix ms
  last_active_at  INTEGER NOT NULL,
  ended_at        INTEGER,
  end_reason      TEXT
);
CREATE INDEX sessions_state ON sessions(state);

CREATE TABLE container_bindings (
  session_id     TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  container_name TEXT NOT NULL UNIQUE,
  container_id   TEXT,
  bound_at       INTEGER NOT NULL
);

CREATE TABLE session_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  at         INTEGER NOT NULL,
  from_state TEXT,
  to_state   TEXT NOT NULL,
  reason     TEXT NOT NULL
);
CREATE INDEX session_events_session ON session_events(session_id, id);

CREATE TABLE exec_history (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  at          INTEGER NOT NULL,
  cmd         TEXT NOT NULL,                -- JSON argv
  exit_code   INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  bytes_out   INTEGER NOT NULL,
  timed_out   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX exec_history_session ON exec_history(session_id, id);
