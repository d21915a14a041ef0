-- 008_outbox.sql: the durable outbox of writes to GitHub (outbox) and the ids of what those
-- writes created there (github_objects).
--
-- A row is one write: a commit status, a check run or a pull-request comment, its JSON body
-- ready to send. It is added in the same transaction as the state change that causes it, and
-- the sender thread delivers it. Rows of one key (kind, repo, sha or pull request, context)
-- go out in order; a new row supersedes the older undelivered ones of its key, so only the
-- newest state of a context is sent. A row is 'pending' until it is 'delivered', 'superseded'
-- or 'failed' (a permanent refusal such as a 422, with the reason in last_error). Times are
-- seconds since the epoch except next_attempt_ms (milliseconds: retries back off from 1 s).

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  kind TEXT NOT NULL CHECK (kind IN ('status', 'check_run', 'comment')),
  repo TEXT NOT NULL,            -- "owner/name"
  sha TEXT NOT NULL,
  context TEXT NOT NULL,         -- "benchgate/<testbed>"
  pull_request INTEGER NOT NULL DEFAULT 0, -- comments: the pull request; 0 otherwise
  key TEXT NOT NULL,             -- kind, repo, sha (or "#" and the pull request), context
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'delivered', 'superseded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- The sender's look for the oldest due row; the pending rows of a key (superseding).
CREATE INDEX outbox_pending ON outbox (id) WHERE state = 'pending';
CREATE INDEX outbox_due ON outbox (next_attempt_ms) WHERE state = 'pending';
CREATE INDEX outbox_key ON outbox (key) WHERE state = 'pending';
-- GET /api/v1/outbox lists the failed rows too.
CREATE INDEX outbox_failed ON outbox (id) WHERE state = 'failed';

-- What a write created on GitHub, so later writes edit it: a check run per (repo, sha,
-- context), a comment per (repo, pull request, context). ref is the sha, or the pull
-- request's number as text.
CREATE TABLE github_objects (
  kind TEXT NOT NULL CHECK (kind IN ('check_run', 'comment')),
  repo TEXT NOT NULL,
  ref TEXT NOT NULL,
  context TEXT NOT NULL,
  github_id INTEGER NOT NULL,
  PRIMARY KEY (kind, repo, ref, context)
) WITHOUT ROWID;
