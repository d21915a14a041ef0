-- 006_gate_inputs.sql: what each verdict was decided on moves out of the runs rows.
--
-- runs.gate_input held the pinned baseline (up to noise_window run ids, 005) next to every
-- run's columns, so the series and history reads, which walk runs rows, read three times as
-- many pages (series of 10 000 points: 8.8 -> 10.5 ms). The input is read only to re-render a
-- verdict or re-judge it after an acknowledgement; it lives in its own table now. runs keeps
-- gate_input for one thing: the marker 'pending' of a run stored but not judged yet.
CREATE TABLE run_gate_inputs (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id),
  input TEXT NOT NULL
);
INSERT INTO run_gate_inputs (run_id, input)
  SELECT id, gate_input FROM runs WHERE gate_input IS NOT NULL AND gate_input <> 'pending';
UPDATE runs SET gate_input = NULL WHERE gate_input <> 'pending';
