-- 002_verdict.sql: the gate's state: per-result summaries, per-run verdicts, alerts,
-- acknowledgements and per-series baseline starts.
--
-- The gate decides from per-result summaries (lib/gate.h, struct bg_gate_summary), stored next
-- to each result at upload so that a baseline of 30 runs never re-reads a sample BLOB. n, mean,
-- stddev, min, median and max are already columns of results; the four added here are the
-- robust centres and their variances. A NULL log_center means "not every value was positive".
-- Rows stored before this migration have NULL raw_center; the store then summarises their
-- samples (or n/mean/stddev) when it meets them.

ALTER TABLE results ADD COLUMN log_center REAL;
ALTER TABLE results ADD COLUMN log_w REAL;
ALTER TABLE results ADD COLUMN raw_center REAL;
ALTER TABLE results ADD COLUMN raw_w REAL;

-- The verdict of each run. A full verdict of 1 000 results is ~300 KB of JSON,
-- more than the run's samples, so only its head is stored in runs.verdict (state, project,
-- commit, testbed, baseline, counts, summary, url: no results, no markdown), with what the
-- decision was made on in gate_input: {"runs": [baseline runs.id, newest first], "ref":
-- [epoch, commit id the baseline reaches up to], "thresholds_run": runs.id or null}. The full
-- verdict is rendered again from these (the stored summaries of those runs, the thresholds of
-- that run, the commit's acknowledgements) whenever it is served. State and counts are also
-- columns, so a history page reads them without JSON. NULL state: stored before the gate.
ALTER TABLE runs ADD COLUMN gate_input TEXT;
ALTER TABLE runs ADD COLUMN verdict_state TEXT
  CHECK (verdict_state IN ('pass', 'fail', 'no_baseline'));
ALTER TABLE runs ADD COLUMN n_regressed INTEGER;
ALTER TABLE runs ADD COLUMN n_inconclusive INTEGER;
ALTER TABLE runs ADD COLUMN n_improved INTEGER;
ALTER TABLE runs ADD COLUMN n_missing INTEGER;
ALTER TABLE runs ADD COLUMN n_new INTEGER;
ALTER TABLE runs ADD COLUMN n_unchanged INTEGER;
ALTER TABLE runs ADD COLUMN n_ignored INTEGER;

-- How many baseline runs a default-branch verdict looks back.
ALTER TABLE projects ADD COLUMN gate_window INTEGER NOT NULL DEFAULT 30;

-- Regressions found by the gate and change points found by the change-point detector.
-- Regressions name the run and commit they were found in; change points the range of commits
-- (first_sha..last_sha) the change happened in.
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  kind TEXT NOT NULL CHECK (kind IN ('regression', 'changepoint')),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged')),
  testbed_id INTEGER NOT NULL REFERENCES testbeds(id),
  benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
  measure_id INTEGER NOT NULL REFERENCES measures(id),
  commit_id INTEGER REFERENCES commits(id),
  run_id INTEGER REFERENCES runs(id),
  first_sha TEXT,
  last_sha TEXT,
  change REAL,
  change_lo REAL,
  change_hi REAL,
  created_at INTEGER NOT NULL,
  note TEXT,                  -- the acknowledgement's note
  acknowledged_by TEXT,       -- who acknowledged ("token 12")
  acknowledged_at INTEGER
);
CREATE INDEX alerts_by_state ON alerts (project_id, state, id);
CREATE UNIQUE INDEX alerts_one_per_result ON alerts (run_id, benchmark_id, measure_id)
  WHERE kind = 'regression';

-- Accepted regressions: the results of (commit, testbed, benchmark, measure) no longer fail
-- that commit's verdict.
CREATE TABLE acknowledgements (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  alert_id INTEGER REFERENCES alerts(id),
  commit_id INTEGER NOT NULL REFERENCES commits(id),
  testbed_id INTEGER NOT NULL REFERENCES testbeds(id),
  benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
  measure_id INTEGER NOT NULL REFERENCES measures(id),
  note TEXT NOT NULL,
  who TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX acknowledgements_by_commit ON acknowledgements (commit_id, testbed_id);

-- Where a series' baseline starts: runs of commits older than baseline_start
-- (a commit epoch) never enter a baseline of a later commit for that (testbed, benchmark,
-- measure). Set by an acknowledged regression (reason 'acknowledged', start = that commit)
-- and, for the change-point detector, by a change point (reason 'changepoint'): whoever
-- moves it keeps the later of the old and the new start.
CREATE TABLE series_baseline (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  testbed_id INTEGER NOT NULL REFERENCES testbeds(id),
  benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
  measure_id INTEGER NOT NULL REFERENCES measures(id),
  baseline_start INTEGER NOT NULL,  -- commit epoch
  start_commit_id INTEGER REFERENCES commits(id),
  reason TEXT NOT NULL CHECK (reason IN ('acknowledged', 'changepoint')),
  PRIMARY KEY (project_id, testbed_id, benchmark_id, measure_id)
) WITHOUT ROWID;

-- Baseline selection walks a testbed's default-branch runs newest first by (commit time,
-- commit, run); pull-request runs are skipped by the query.
CREATE INDEX runs_baseline ON runs (project_id, testbed_id, branch_id, commit_epoch, commit_id, id);
