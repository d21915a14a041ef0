-- 003_changepoints.sql: change points of default-branch series, and what finds them cheaply.
--
-- server/changepoints.c keeps, per default-branch series (testbed, benchmark, measure), a small
-- screening state in series_cp_state (what level and noise the detector last saw) and the
-- change points the detector found in the recomputed tail in changepoints. Post-merge alerts
-- are rows of alerts with kind 'changepoint' (002_verdict.sql).

-- A series' recent tail is read from results_series, which a trend read already uses and every
-- upload already writes; it gains the robust log centre so the detector reads one covering
-- index range per series and an upload writes no second series-ordered structure (which would
-- dirty one more page per result). Only that one column: every byte of this index is written
-- on every upload. Series with a non-positive value are read through their means.
DROP INDEX results_series;
CREATE INDEX results_series ON results (benchmark_id, measure_id, run_id, n, mean, stddev,
                                        log_center);

-- Screening state of a series: the level and noise scale (on the analysis scale) of its last
-- segment when the detector last ran; written only when it runs.
CREATE TABLE series_cp_state (
  testbed_id INTEGER NOT NULL,
  benchmark_id INTEGER NOT NULL,
  measure_id INTEGER NOT NULL,
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
