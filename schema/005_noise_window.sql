-- 005_noise_window.sql: a longer history for the gate's noise than for its level.
--
-- The level of a series moves with every commit, so it is estimated from the newest
-- gate_window runs (30 by default). Its run-to-run noise is a property of the benchmark
-- on its testbed and stays put for much longer; estimated from 30 runs it has 29 degrees of
-- freedom, too few for the far tail where the gate decides (docs/gate.md §4). noise_window
-- runs (default 100, never fewer than gate_window, stopping at the same change points and
-- acknowledged regressions) give the variance about three times the information.
ALTER TABLE projects ADD COLUMN noise_window INTEGER NOT NULL DEFAULT 100;
