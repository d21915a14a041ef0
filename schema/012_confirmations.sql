-- 012_confirmations.sql: confirmation runs (lib/confirm.h).
--
-- A run whose verdict has doubtful results is not final when its uploader can confirm
-- (runs.confirmable): the uploader re-runs the suites concerned and uploads each re-run as a
-- confirmation of the first run (runs.confirms_id), whose verdict pools the first run and its
-- confirmations. projects.confirm_runs bounds the confirmations (0: none).
ALTER TABLE runs ADD COLUMN confirms_id INTEGER REFERENCES runs(id);
ALTER TABLE runs ADD COLUMN confirmable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN confirm_runs INTEGER NOT NULL DEFAULT 2;
-- A verdict waiting for its confirmation is stored with confirming 1 and verdict_state NULL
-- (the state column's CHECK, from 002, knows only the final states); readers say 'pending'.
ALTER TABLE runs ADD COLUMN confirming INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_confirms ON runs (confirms_id) WHERE confirms_id IS NOT NULL;
