-- 014_interleaved.sql: interleaved A/B runs (lib/interleave.h).
--
-- A project chooses what a pull request's run is compared with (projects.comparison):
-- 'history' (the baseline runs), 'interleaved' (base and head measured alternately in one
-- job, compared pair by pair) or 'both'; interleave_rounds is how many rounds its agents run.
-- An interleaved run keeps its base commit and round count (runs.interleaved_base,
-- interleaved_rounds) and, per result of the head and round, the two run centres the paired
-- comparison reads (interleaved_points; side 0 the base, 1 the head): the gate's point of each
-- side's summary, one-sided centres included (the pairs are compared on the centre the
-- series' history uses), enough to decide the run again without its payload.
ALTER TABLE projects ADD COLUMN comparison TEXT NOT NULL DEFAULT 'history'
  CHECK (comparison IN ('history', 'interleaved', 'both'));
ALTER TABLE projects ADD COLUMN interleave_rounds INTEGER NOT NULL DEFAULT 3;
ALTER TABLE runs ADD COLUMN interleaved_base TEXT;
ALTER TABLE runs ADD COLUMN interleaved_rounds INTEGER;
CREATE TABLE interleaved_points (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  benchmark_id INTEGER NOT NULL,
  measure_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  side INTEGER NOT NULL CHECK (side IN (0, 1)),
  log_center REAL,
  log_w REAL,
  raw_center REAL NOT NULL,
  raw_w REAL NOT NULL,
  equal_n REAL NOT NULL,
  log_low REAL,
  log_high REAL,
  tail_n REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, benchmark_id, measure_id, round, side)
) WITHOUT ROWID;
