-- Audit: every state-changing request (who, what, target, result, when), append-only.
CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,              -- unix ms
  actor       TEXT NOT NULL,                 -- uid:<n> (unix socket peer), token:<id> (TCP), local (in-process)
  action      TEXT NOT NULL,                 -- e.g. POST /v1/sessions
  target      TEXT NOT NULL DEFAULT '',      -- session id/name, volume, network …
  result      TEXT NOT NULL,                 -- ok, or the error code
  status      INTEGER NOT NULL,              -- HTTP status
  duration_ms REAL NOT NULL DEFAULT 0,
  request_id  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
