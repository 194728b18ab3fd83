-- The state database's schema version 1, verbatim as the first release created it
-- (aether/state/sqlite.py before migrations): tests build an old file from it.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL, node TEXT NOT NULL,
    started_at REAL NOT NULL, finished_at REAL,
    status TEXT NOT NULL, error TEXT
);
CREATE INDEX IF NOT EXISTS attempts_status ON attempts (status);
CREATE INDEX IF NOT EXISTS attempts_run ON attempts (run_id);
CREATE TABLE IF NOT EXISTS materializations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    asset TEXT NOT NULL, node TEXT NOT NULL, run_id TEXT NOT NULL,
    started_at REAL NOT NULL, finished_at REAL NOT NULL,
    fingerprint TEXT NOT NULL, parts TEXT NOT NULL, version TEXT NOT NULL,
    signature TEXT, data_time REAL
);
CREATE INDEX IF NOT EXISTS materializations_asset ON materializations (asset);
CREATE TABLE IF NOT EXISTS heads (
    asset TEXT PRIMARY KEY,
    materialization_id INTEGER REFERENCES materializations (id),
    status TEXT NOT NULL, error TEXT, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS check_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER REFERENCES attempts (id),
    asset TEXT NOT NULL, check_name TEXT NOT NULL, severity TEXT NOT NULL,
    passed INTEGER NOT NULL, message TEXT NOT NULL,
    checked_at REAL NOT NULL, spec_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS check_results_asset ON check_results (asset, spec_hash, id);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_asset ON transitions (asset, at);
CREATE INDEX IF NOT EXISTS transitions_at ON transitions (at);
CREATE TABLE IF NOT EXISTS sources (
    asset TEXT PRIMARY KEY, version TEXT NOT NULL, signature TEXT,
    first_seen REAL NOT NULL, observed_at REAL NOT NULL
);
INSERT INTO meta (key, value) VALUES ('schema_version', 1);
