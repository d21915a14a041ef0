-- 009_webhooks.sql: GitHub webhook deliveries, and the base branch a pull request's job
-- compares with.
--
-- Every delivery whose signature checks is stored once by its X-GitHub-Delivery id, in the
-- same write transaction as the jobs it enqueued or canceled, so that a redelivery (GitHub's
-- "Redeliver" button, or a retry after a lost answer) does nothing a second time. `outcome`
-- says what the delivery did ("enqueued 2 jobs", "ignored: ..."), for an operator. No secret
-- and no payload is stored.

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  delivery TEXT NOT NULL UNIQUE, -- X-GitHub-Delivery
  event TEXT NOT NULL,           -- X-GitHub-Event
  received_at INTEGER NOT NULL,  -- seconds since the epoch
  outcome TEXT NOT NULL
);

-- The branch a pull request merges into ("main"); the agent compares the head with the
-- merge base of the head and origin/<base_branch>. NULL for jobs that name base_sha or none.
ALTER TABLE jobs ADD COLUMN base_branch TEXT;

-- A delivery finds its projects by repository, in any case ("Owner/Repo" = "owner/repo").
CREATE INDEX projects_by_github_repo ON projects (github_repo COLLATE NOCASE)
  WHERE github_repo IS NOT NULL;
