-- Names are unique only among sessions that have not ended (ended, failed, lost), so
-- `berth rm dev` then `berth run --name dev` works; the old record stays, found by id.
-- SQLite cannot drop a column's UNIQUE constraint without rebuilding the table, and a
-- rebuild would have to list every column (others add columns). So the old UNIQUE column
-- is renamed and holds the session id from now on (always unique), and `name` is a new
-- column with a partial unique index.
ALTER TABLE sessions RENAME COLUMN name TO unique_slot;
ALTER TABLE sessions ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE sessions SET name = unique_slot;
UPDATE sessions SET unique_slot = id WHERE unique_slot != id;
CREATE UNIQUE INDEX sessions_live_name ON sessions(name) WHERE state NOT IN ('ended', 'failed', 'lost');
CREATE INDEX sessions_name ON sessions(name, created_at);
