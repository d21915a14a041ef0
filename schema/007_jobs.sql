-- 007_jobs.sql: the job queue (jobs) and the bench agents that lease its jobs (agents).
--
-- A job asks for one run of a commit on one testbed. Its state moves
-- queued -> leased -> running -> done | failed | canceled: an agent leases the oldest queued
-- job of its testbed, keeps the lease with heartbeats (lease_expires, seconds since the
-- epoch), and completes the job by uploading a run that names it (run_id). A lease that
-- expires or an attempt the agent gives up puts the job back to queued, until the third
-- attempt fails it. The testbed's name is copied into the row so a server-wide agent finds
-- the oldest queued job of its testbed across projects in one index.

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  sha TEXT NOT NULL,
  branch TEXT NOT NULL,
  base_sha TEXT,
  pull_request INTEGER,
  testbed_id INTEGER NOT NULL REFERENCES testbeds(id),
  testbed TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'leased', 'running', 'done', 'failed', 'canceled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  reason TEXT,                -- why the last attempt ended, or why the job was canceled
  agent TEXT,                 -- the agent holding the lease (or that held it last)
  lease_expires INTEGER,      -- while leased or running
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  run_id INTEGER REFERENCES runs(id) -- the run that completed it
);

-- The oldest queued job of a testbed (the lease), and the leases to expire.
CREATE INDEX jobs_queue ON jobs (testbed, id) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_expires) WHERE state IN ('leased', 'running');
-- A project's jobs by state, newest first; the open job of a (sha, testbed); a pull request's.
CREATE INDEX jobs_by_project ON jobs (project_id, state, id);
CREATE INDEX jobs_by_commit ON jobs (project_id, testbed_id, sha);
CREATE INDEX jobs_by_pull_request ON jobs (project_id, pull_request, testbed_id)
  WHERE pull_request IS NOT NULL;

CREATE TABLE agents (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL DEFAULT 0, -- the token's project; 0 for a server-wide token
  name TEXT NOT NULL,
  testbed TEXT NOT NULL,
  last_seen INTEGER NOT NULL,
  job_id INTEGER,             -- the job it holds, NULL when none
  UNIQUE (project_id, name)
);
