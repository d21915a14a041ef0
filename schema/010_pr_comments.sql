-- 010_pr_comments.sql: whether a project's pull requests get benchgate's report as a comment.
--
-- Off by default: a commit status (and, with a GitHub App, a check run) is the gate; the
-- comment, one per pull request and testbed edited in place, is the report beside it for
-- projects that want it in the conversation.
ALTER TABLE projects ADD COLUMN pr_comments INTEGER NOT NULL DEFAULT 0;
