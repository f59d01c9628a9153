-- Monitoring: resource samples (raw and per-minute rollups), alerts, per-session alert rules.
CREATE TABLE resource_samples (
  session_id  TEXT NOT NULL,
  at          INTEGER NOT NULL,            -- unix ms
  cpu_percent REAL NOT NULL,
  mem_bytes   INTEGER NOT NULL,
  mem_limit   INTEGER NOT NULL,
  net_rx      INTEGER NOT NULL,
  net_tx      INTEGER NOT NULL,
  blk_read    INTEGER NOT NULL,
  blk_write   INTEGER NOT NULL,
  pids        INTEGER NOT NULL,
  source      TEXT NOT NULL                -- cgroup | api
);
CREATE INDEX resource_samples_session ON resource_samples(session_id, at);
CREATE INDEX resource_samples_at ON resource_samples(at);

CREATE TABLE resource_rollups (
  session_id  TEXT NOT NULL,
  minute      INTEGER NOT NULL,            -- unix ms, start of the minute
  n           INTEGER NOT NULL,
  cpu_sum     REAL NOT NULL,
  cpu_max     REAL NOT NULL,
  mem_sum     REAL NOT NULL,
  mem_max     INTEGER NOT NULL,
  PRIMARY KEY (session_id, minute)
);
CREATE INDEX resource_rollups_minute ON resource_rollups(minute);

CREATE TABLE alerts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id  TEXT NOT NULL,
  rule        TEXT NOT NULL,               -- cpu | memory | oom | unhealthy
  threshold   REAL,
  value       REAL,
  message     TEXT NOT NULL,
  state       TEXT NOT NULL,               -- firing | resolved
  fired_at    INTEGER NOT NULL,
  resolved_at INTEGER
);
CREATE INDEX alerts_state ON alerts(state, fired_at);
CREATE INDEX alerts_session ON alerts(session_id, fired_at);

ALTER TABLE sessions ADD COLUMN alert_rules TEXT NOT NULL DEFAULT '{}';  -- JSON overrides of the default rules
