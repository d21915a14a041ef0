/* github_sender.h: the thread that delivers the outbox's rows to GitHub.
 *
 * benchgated's main starts one sender per database after opening it and stops it before
 * closing it. The sender has its own connection and its own curl handle. It looks for the
 * oldest due row every poll interval (an indexed look at the pending rows, so rows added by
 * any thread or process are picked up within about 100 ms) and sends it:
 *  - a status as POST /repos/{repo}/statuses/{sha};
 *  - a check run as POST /repos/{repo}/check-runs the first time for its (repo, sha,
 *    context), then PATCH /repos/{repo}/check-runs/{id} with the id kept from the first;
 *  - a comment as PATCH /repos/{repo}/issues/comments/{id} of the one comment of its (repo,
 *    pull request, context): the id kept, or else found by the hidden marker
 *    `<!-- benchgate:<context> -->` in the pull request's comments (every page), or else a
 *    new comment, POST /repos/{repo}/issues/{pr}/comments, whose id is kept. A marked comment
 *    the credentials may not edit (403: someone else wrote the marker) gets a new comment.
 * A row is marked delivered in a write transaction after the 2xx, together with the id of
 * what it created, so a crash in between can resend a row once at most (a status: harmless;
 * a comment: found by its marker, never a second one).
 *
 * Retries (bg_github_judge): network errors and 5xx back off exponentially with full
 * jitter from 1 s up to 10 min, Retry-After honoured; they pause all sending for that time
 * (GitHub is most likely down for every row, and rows keep their order) until a row has
 * failed so BG_GITHUB_HOL_ATTEMPTS times, when it stops holding the others back.
 * X-RateLimit-Remaining 0 stops all requests until X-RateLimit-Reset; a 403 or 429 that is a
 * secondary rate limit (Retry-After, or the body says so) pauses all sending for Retry-After
 * or 60 s. Any other 4xx fails the row for good, with GitHub's message kept (and logged once).
 * Without credentials nothing is sent: rows stay pending with the last error "no GitHub
 * credentials configured", and go out once the server starts with credentials.
 *
 * Log lines (stderr): each failure and retry, each rate-limit pause with the time sending
 * resumes, a delivery only after failed attempts, and the queue depth when it grows past 100
 * (then each doubling). No line, stored error or answer holds a credential.
 */
#ifndef BG_GITHUB_SENDER_H
#define BG_GITHUB_SENDER_H

#include "db.h"
#include "github_auth.h"
#include "github_http.h"

#include <stddef.h>
#include <stdint.h>

#define BG_GITHUB_API_DEFAULT "https://api.github.com"
#define BG_GITHUB_BACKOFF_MS 1000LL          /* the first retry's most */
#define BG_GITHUB_BACKOFF_CAP_MS 600000LL    /* 10 min */
#define BG_GITHUB_SECONDARY_PAUSE_MS 60000LL /* a secondary rate limit without Retry-After */
#define BG_GITHUB_HOL_ATTEMPTS 8
#define BG_GITHUB_POLL_MS 100

struct bg_github_sender;

struct bg_github_sender_config {
  const char *api_url;         /* the REST API's base URL; trailing slashes are dropped */
  struct bg_github_auth *auth; /* the caller's, kept until bg_github_sender_stop */
  int poll_ms;                 /* how often to look for due rows; 0: BG_GITHUB_POLL_MS */
};

/* Starts the sender of `db` on a thread of its own. BG_OK with *out set (stop it with
 * bg_github_sender_stop before closing db), or BG_EIO with the reason in err. */
int bg_github_sender_start(struct bg_db *db, const struct bg_github_sender_config *cfg,
                           struct bg_github_sender **out, char *err, size_t errlen);

/* Stops the sender and frees it. For up to grace_ms it first sends the rows that are due now
 * (a stopping server's last verdicts reach GitHub before it exits, not after its next
 * start); then a request in flight is abandoned and its row left as it was (pending: the next
 * start sends it). Accepts NULL. */
void bg_github_sender_stop(struct bg_github_sender *g, int grace_ms);

/* Appends the gauges of GitHub's rate limit, as the last answer of db's sender told it, in
 * the Prometheus text format: benchgate_github_rate_limit_remaining and
 * benchgate_github_rate_limit_reset_timestamp_seconds. Nothing until an answer had
 * X-RateLimit-Remaining. */
void bg_github_rate_render(struct bg_db *db, struct bg_buf *out);

/* ---- the retry policy, a pure function of an answer (the unit tests call it) ---- */

enum bg_github_outcome {
  BG_GITHUB_DELIVERED, /* a 2xx */
  BG_GITHUB_RETRY,     /* try the row again at next_ms */
  BG_GITHUB_FAILED     /* a permanent refusal: the row fails */
};

struct bg_github_judgement {
  enum bg_github_outcome outcome;
  long long next_ms;        /* RETRY: the row's next attempt */
  long long pause_until_ms; /* no request at all before this; 0: no pause */
  int rate_limited;         /* the pause is a rate limit (primary or secondary) */
  char error[320];          /* RETRY, FAILED: what went wrong, for the row and the log */
};

/* Judges the answer `res` to an attempt of a row that had `attempts` attempts before, at
 * now_ms; net_rc is bg_github_http's result (BG_ENET: no answer). *rng is the caller's
 * random state for the jitter (any non-zero seed), advanced. */
void bg_github_judge(const struct bg_github_response *res, int net_rc, int attempts,
                     long long now_ms, uint64_t *rng, struct bg_github_judgement *j);

#endif
