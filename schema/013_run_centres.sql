-- 013_run_centres.sql: the one-sided run centres the gate may choose per series.
--
-- Interference on a shared machine only ever slows repetitions down, and then the mean of
-- the best 30 % of a run's samples varies less from run to run than the 20 % trimmed mean
-- (docs/gate.md, "The run's centre"). Each result stores both one-sided means of its log
-- samples beside log_center: log_low (the lowest ceil(0.3 n)) and log_high (the highest). NULL
-- for summary-only results, values <= 0, and every row stored before this migration: a
-- series is tested on its trimmed mean until each run of its noise window has them.
ALTER TABLE results ADD COLUMN log_low REAL;
ALTER TABLE results ADD COLUMN log_high REAL;
