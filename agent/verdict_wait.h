/* verdict_wait.h: a commit's verdict as the agent reads it from the server.
 *
 * `benchgate run --gate` and `benchgate gate` both fetch
 * GET /api/v1/projects/{p}/commits/{sha}/verdict?testbed= until the verdict is no longer
 * pending and print its Markdown report; the parsing of the answer and the mapping of its
 * status to an outcome live here once.
 */
#ifndef BG_VERDICT_WAIT_H
#define BG_VERDICT_WAIT_H

#include "client.h"

#include <stddef.h>

/* The parts of a verdict the agent shows. */
struct bg_verdict {
  char state[32];            /* "pass", "fail", "no_baseline", "pending"; "" when unknown */
  char summary[1024];        /* one line for people; "" when absent */
  char baseline_branch[256]; /* the branch the baseline came from; "" when absent */
  char *markdown;            /* the report, NULL when absent; freed by bg_verdict_clear */
  int summarized; /* 1: an upload's summary of a large verdict (no report; GET gives it) */
};

/* Fills *v from an answer body ({"verdict":{...}} as an upload answers, or a verdict object
 * itself); members the body lacks become "" (markdown NULL). The old markdown is freed. An
 * upload of more than 1 000 results answers a summary ("summarized": true) without the
 * report; bg_verdict_fetch gets the full verdict. */
void bg_verdict_parse(const char *body, struct bg_verdict *v);

/* Frees v's markdown and empties it. Accepts NULL. */
void bg_verdict_clear(struct bg_verdict *v);

/* 1 while a verdict state still waits for a decision ("", pending, queued, running). */
int bg_verdict_pending(const char *state);

/* One GET of the verdict of `sha` on `testbed`, tried again per `r` (NULL: the defaults of
 * bg_retry_from_env) on no answer, a 5xx or a 429. Returns BG_OK with *v filled from a 2xx
 * answer. Otherwise err says what for people, and `code` (may be NULL) gets the error code of
 * the answer ("commit_not_found", "project_not_found", ...; "" when none): BG_ENOENT for a
 * 404 (for a commit with no run on the testbed yet, too); BG_ENET when no answer came or the
 * server kept failing; BG_EAUTH for 401 and 403; BG_EINVAL for any other answer or a bad
 * server URL. */
int bg_verdict_fetch(const struct bg_client *cl, const struct bg_retry *r, const char *project,
                     const char *sha, const char *testbed, struct bg_verdict *v, char *code,
                     size_t codelen, char *err, size_t errlen);

#endif
