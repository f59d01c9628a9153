-- Secret environment values leave the session's spec: the spec keeps "***" in their place,
-- their names are listed in clear, their values only sealed (AES-256-GCM with the key file
-- beside the database). The audit log records the TCP peer of a request.
ALTER TABLE sessions ADD COLUMN secret_names TEXT NOT NULL DEFAULT '[]';   -- JSON array of names
ALTER TABLE sessions ADD COLUMN secret_env TEXT NOT NULL DEFAULT '';       -- sealed JSON { spec: {K: V}, defaults: {K: V} }
ALTER TABLE sessions ADD COLUMN env_from_host TEXT NOT NULL DEFAULT '{}';  -- JSON { patterns, taken } (names only)
ALTER TABLE audit_log ADD COLUMN peer TEXT NOT NULL DEFAULT '';            -- TCP peer address, '' on the unix socket
