-- 003_changepoints.sql: change points of default-branch series, and what finds them cheaply.
--
-- server/changepoints.c keeps, per default-branch series (testbed, benchmark, measure), the
-- centre of every run in series_points (so a series' recent tail is one index range, never a
-- join over results and runs), a small screening state in series_cp_state (when the detector
-- last ran and what level and noise it saw), and the change points the detector found in the
-- recomputed tail in changepoints. Post-merge alerts are rows of alerts with kind
-- 'changepoint' (002_verdict.sql).

-- One row per default-branch run and result: the run's centre on the log scale (NULL when not
-- every sample was positive) and on the raw scale, with their within-run variances.
CREATE TABLE series_points (
  testbed_id INTEGER NOT NULL,
  benchmark_id INTEGER NOT NULL,
  measure_id INTEGER NOT NULL,
  epoch INTEGER NOT NULL,      -- commit epoch, the series' order
  commit_id INTEGER NOT NULL,
  run_id INTEGER NOT NULL,     -- runs.id
  log_center REAL,
  log_w REAL,
  raw_center REAL,
  raw_w REAL,
  PRIMARY KEY (testbed_id, benchmark_id, measure_id, epoch, commit_id, run_id)
) WITHOUT ROWID;

-- Screening state of a series: how many runs it has, and the level and noise scale (on the
-- analysis scale) of its last segment when the detector last ran.
CREATE TABLE series_cp_state (
  testbed_id INTEGER NOT NULL,
  benchmark_id INTEGER NOT NULL,
  measure_id INTEGER NOT NULL,
  npoints INTEGER NOT NULL,
  level REAL,
  sigma REAL,
  scale_log INTEGER NOT NULL DEFAULT 1, -- 1: level and sigma are on the log scale
  PRIMARY KEY (testbed_id, benchmark_id, measure_id)
) WITHOUT ROWID;

-- Change points: commit_id is the first commit of the new level, prev_commit_id the last of
-- the old level. before/after are the levels in the measure's unit, magnitude = after - before,
-- relative = after / before - 1 (NULL when not defined), score the detector's statistic.
-- Recomputing a series replaces its rows from the start of the recomputed tail on.
CREATE TABLE changepoints (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  testbed_id INTEGER NOT NULL REFERENCES testbeds(id),
  benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
  measure_id INTEGER NOT NULL REFERENCES measures(id),
  commit_id INTEGER NOT NULL REFERENCES commits(id),
  prev_commit_id INTEGER REFERENCES commits(id),
  epoch INTEGER NOT NULL,      -- epoch of commit_id
  before REAL,
  after REAL,
  magnitude REAL,
  relative REAL,
  score REAL,
  detected_at INTEGER NOT NULL,
  PRIMARY KEY (testbed_id, benchmark_id, measure_id, epoch, commit_id)
) WITHOUT ROWID;

-- A series' alerts (GET .../series) and "was this change point already alerted?".
CREATE INDEX alerts_by_series ON alerts (testbed_id, benchmark_id, measure_id, kind, commit_id);
