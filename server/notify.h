/* notify.h: what a job's or a verdict's change tells GitHub, as rows of the outbox.
 *
 * The use cases call these inside the write transaction of the change itself, so a change and
 * the GitHub write it causes commit together or not at all; the sender (github_sender.h)
 * delivers the rows later, in order, retrying. A project without a `github_repo` gets none.
 * For each (commit, testbed) the commit status of context `benchgate/<testbed>` goes:
 *
 *   queued (pending) -> running (pending) -> success | failure      the verdict
 *                                         -> error                  the job failed for good
 *
 * `success` covers a pass and a first run without a baseline (its description says which),
 * `failure` names the worst regressions, `error` the job's last reason. Descriptions are at
 * most BG_NOTIFY_DESCRIPTION_MAX bytes, cut on a character boundary; the link is the
 * dashboard's page of the commit (benchgated --public-url), none without one. With a GitHub
 * App the verdict also becomes a check run whose summary is the Markdown report (cut to
 * GitHub's 65 535 bytes with a link to the rest), and in a pull request of a project that
 * enables comments, one comment per (pull request, testbed) edited in place.
 */
#ifndef BG_NOTIFY_H
#define BG_NOTIFY_H

#include "db.h"
#include "error.h"
#include "store.h"

#include <stddef.h>

#define BG_NOTIFY_DESCRIPTION_MAX 140   /* GitHub's limit for a status description */
#define BG_NOTIFY_CHECK_SUMMARY_MAX 65535 /* ... and for a check run's summary */

/* What the notifications of database db may use: the dashboard's public base URL ("" or NULL:
 * no links) and whether check runs can be written (a GitHub App is configured). Call once
 * before serving. */
void bg_notify_configure(struct bg_db *db, const char *public_url, int check_runs);

/* A job of p on `testbed` for commit `sha` was queued (attempt 0) or its attempt number
 * `attempt` (1, 2, ...) started on `agent`: a pending status. BG_OK or BG_EDB. */
int bg_notify_job_pending(struct bg_store *s, const struct bg_project *p, const char *sha,
                          const char *testbed, int attempt, const char *agent, long long now);

/* The job failed for good after `attempts` attempts with `reason`: an error status, and an
 * error check run. BG_OK or BG_EDB. */
int bg_notify_job_failed(struct bg_store *s, const struct bg_project *p, const char *sha,
                         const char *testbed, int attempts, const char *reason, long long now);

/* The verdict of a run of commit `sha` on `testbed` (of pull request pr, 0: none) was
 * stored; `verdict` is its full JSON (state, summary, url, markdown, results). The status,
 * the check run and the pull request's comment. BG_OK, BG_EINVAL (not a verdict), BG_EDB. */
int bg_notify_verdict(struct bg_store *s, const struct bg_project *p, const char *sha,
                      const char *testbed, long long pr, const char *verdict, long long now);

/* Cuts `text` to at most max bytes on a UTF-8 character boundary, ending with "…" when cut,
 * into out (max + 1 bytes). */
void bg_notify_cut(const char *text, size_t max, char *out);

#endif
