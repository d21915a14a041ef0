-- 011_outbox_sending.sql: a status row's mark that it is being sent.
--
-- The sender sets sending_since (seconds since the epoch) in its own transaction before it
-- POSTs a commit status, and every record of the attempt's outcome clears it. A row found
-- with the mark set was in flight when the server died: GitHub may have it already, so the
-- sender looks at the commit's statuses before sending it again, and a restart repeats no
-- status. (Check runs and comments need no mark: their sender finds them on GitHub by name
-- and by marker.)
ALTER TABLE outbox ADD COLUMN sending_since INTEGER;
