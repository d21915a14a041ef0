-- 001_init.sql: the first schema of benchgated (projects, commits, runs, results, tokens).
--
-- Rows are kept lean (at most 24 bytes per stored sample): samples are one BLOB of
-- little-endian doubles per result, names are stored once in benchmarks/measures and results
-- refer to them by integer id. Times are integer seconds since the epoch (UTC) unless the
-- column holds a client's RFC 3339 text.

CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  github_repo TEXT,
  default_branch TEXT NOT NULL DEFAULT 'main',
  alpha REAL NOT NULL DEFAULT 0.05,
  created_at INTEGER NOT NULL
);

CREATE TABLE testbeds (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  fingerprint TEXT,           -- latest fingerprint JSON seen for this testbed
  UNIQUE (project_id, name)
);

CREATE TABLE branches (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE commits (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  sha TEXT NOT NULL,
  message TEXT,
  author TEXT,
  timestamp TEXT,             -- as the client sent it (RFC 3339)
  epoch INTEGER NOT NULL,     -- commit time in seconds, or first receipt when not given
  UNIQUE (project_id, sha)
);

CREATE TABLE commit_parents (
  commit_id INTEGER NOT NULL REFERENCES commits(id),
  position INTEGER NOT NULL,
  parent_sha TEXT NOT NULL,
  PRIMARY KEY (commit_id, position)
) WITHOUT ROWID;

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  run_id TEXT NOT NULL,       -- the client's UUID, lowercase
  commit_id INTEGER NOT NULL REFERENCES commits(id),
  branch_id INTEGER NOT NULL REFERENCES branches(id),
  testbed_id INTEGER NOT NULL REFERENCES testbeds(id),
  commit_epoch INTEGER NOT NULL, -- copy of commits.epoch so history and series sort in an index
  baseline_branch TEXT,
  baseline_sha TEXT,
  pull_request INTEGER,
  job_id INTEGER,
  agent_name TEXT,
  agent_version TEXT,
  started_at TEXT,
  finished_at TEXT,
  received_at INTEGER NOT NULL,
  content_hash BLOB NOT NULL, -- SHA-256 of the canonical JSON: replays are idempotent
  thresholds TEXT,
  warnings TEXT,
  fingerprint TEXT,
  verdict TEXT,               -- the gate's verdict JSON; NULL until the gate exists
  UNIQUE (project_id, run_id)
);
CREATE INDEX runs_commit ON runs (commit_id);
-- History pages walk runs newest first through the index matching their filters.
CREATE INDEX runs_by_time ON runs (project_id, commit_epoch, id);
CREATE INDEX runs_by_branch ON runs (project_id, branch_id, commit_epoch, id);
CREATE INDEX runs_by_testbed ON runs (project_id, testbed_id, commit_epoch, id);
CREATE INDEX runs_history ON runs (project_id, testbed_id, branch_id, commit_epoch, id);

CREATE TABLE benchmarks (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE measures (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  slug TEXT NOT NULL,
  unit TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('lower', 'higher')),
  UNIQUE (project_id, slug)
);

-- One row per (run, benchmark, measure). Keyed by run so an upload appends at the end of the
-- table; the covering index results_series makes a trend an index range that never touches
-- the samples.
CREATE TABLE results (
  run_id INTEGER NOT NULL,    -- runs.id
  benchmark_id INTEGER NOT NULL,
  measure_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  mean REAL NOT NULL,
  stddev REAL NOT NULL,
  min REAL,                   -- NULL for summary-only results
  median REAL,
  max REAL,
  samples BLOB,               -- n little-endian doubles; NULL for summary-only results
  PRIMARY KEY (run_id, benchmark_id, measure_id)
) WITHOUT ROWID;
CREATE INDEX results_series ON results (benchmark_id, measure_id, run_id, n, mean, stddev);

CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  project_id INTEGER REFERENCES projects(id), -- NULL: server-wide
  role TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'ci', 'read')),
  name TEXT,
  hash BLOB NOT NULL UNIQUE,  -- SHA-256 of the token; the token itself is never stored
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
