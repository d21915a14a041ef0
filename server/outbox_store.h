/* outbox_store.h: the durable outbox of writes to GitHub and the ids of what they created.
 *
 * A use case that changes state GitHub should hear of (a job queued, a verdict stored) adds
 * an outbox row inside its own write transaction, so the write is kept exactly when the
 * change is. The sender thread (github_sender.h) reads the due rows and records what became
 * of each. Rows of one key (kind, repo, sha or pull request, context) go out in order, and a
 * new row supersedes the undelivered older rows of its key: only the newest state of a
 * context is sent. Times: `now` in seconds since the epoch, next attempts in milliseconds.
 */
#ifndef BG_OUTBOX_STORE_H
#define BG_OUTBOX_STORE_H

#include "buf.h"
#include "error.h"
#include "store.h"

#include <stddef.h>

enum bg_outbox_kind { BG_OUTBOX_STATUS, BG_OUTBOX_CHECK_RUN, BG_OUTBOX_COMMENT };

struct bg_outbox_item {
  long long project_id;
  enum bg_outbox_kind kind;
  const char *repo;       /* "owner/name": the project's github_repo */
  const char *sha;        /* the commit (for a comment: the head commit it reports) */
  const char *context;    /* "benchgate/<testbed>": the key within a commit or a pull request */
  long long pull_request; /* comments: the pull request's number; 0 otherwise */
  const char *body;       /* the JSON body to send */
};

/* Adds a row inside the caller's write transaction (bg_store_write_begin); the newest row of a
 * key (kind, repo, sha or pull request, context) supersedes the older undelivered ones. The
 * row is due at once. BG_OK; BG_EINVAL for an item that cannot be sent (no body, a repo that
 * is not owner/name, a sha that is not hex, a comment without a pull request); BG_EDB. */
int bg_outbox_add(struct bg_store *s, const struct bg_outbox_item *it, long long now);

/* The name of a kind as stored and shown: "status", "check_run", "comment". */
const char *bg_outbox_kind_name(enum bg_outbox_kind k);

/* A row as the sender reads it. */
struct bg_outbox_row {
  long long id, project_id, pull_request;
  enum bg_outbox_kind kind;
  char repo[202], sha[65], context[256];
  char *body; /* malloc'd; freed by bg_outbox_row_clear */
  int attempts;
  long long next_attempt_ms;
  int maybe_sent; /* marked as being sent by a server that stopped before it recorded how the
                   * attempt went (bg_outbox_sending): GitHub may have it */
};

/* Frees what a row owns (accepts a zeroed row). */
void bg_outbox_row_clear(struct bg_outbox_row *r);

/* The oldest pending row due by now_ms (next_attempt_ms <= now_ms) whose key has no older
 * pending row, into *r (clear it with bg_outbox_row_clear). A pending row that waits for its
 * retry after 1 to hold_attempts - 1 attempts holds back every younger row, so rows keep
 * their order through an outage, and through a restart in one (hold_attempts 0: none
 * holds). BG_OK, BG_ENOENT when none is due, BG_EDB. */
int bg_outbox_next_due(struct bg_store *s, long long now_ms, int hold_attempts,
                       struct bg_outbox_row *r);

/* The earliest next attempt of the pending rows into *at_ms; 0 when none is pending. */
int bg_outbox_next_time(struct bg_store *s, long long *at_ms);

/* How many rows are pending, into *n. BG_OK or BG_EDB. */
int bg_outbox_depth(struct bg_store *s, long long *n);

/* ---- what became of an attempt (each in the caller's write transaction) ---- */

/* Row `id` is about to be sent: marks it (cleared by each of the records below), so that a
 * server that dies before recording the outcome leaves the row marked maybe_sent. */
int bg_outbox_sending(struct bg_store *s, long long id, long long now);

/* Row `id` was delivered (also when it was superseded while in flight: it went out): counts
 * the attempt. BG_OK or BG_EDB. */
int bg_outbox_delivered(struct bg_store *s, long long id, long long now);

/* Row `id` stays pending for another attempt at next_ms, with the error kept; `counted` 0
 * for a wait that was no attempt of the row's own (credentials missing). BG_OK or BG_EDB. */
int bg_outbox_retry(struct bg_store *s, long long id, long long next_ms, const char *error,
                    int counted, long long now);

/* Row `id` failed for good with `error`. BG_OK or BG_EDB. */
int bg_outbox_failed(struct bg_store *s, long long id, const char *error, long long now);

/* Sets `error` as the last error of every pending row that has none (credentials missing):
 * *n gets how many. BG_OK or BG_EDB. */
int bg_outbox_note_pending(struct bg_store *s, const char *error, long long now, int *n);

/* ---- ids of what the writes created on GitHub ---- */

/* The GitHub id of the check run of (repo, sha, context) or the comment of (repo, pull
 * request, context), per the row's kind, into *id (0: none recorded). BG_OK or BG_EDB. */
int bg_outbox_object_get(struct bg_store *s, const struct bg_outbox_row *r, long long *id);

/* Records (or, with id 0, forgets) that id. BG_OK or BG_EDB. */
int bg_outbox_object_put(struct bg_store *s, const struct bg_outbox_row *r, long long id);

/* ---- GET /api/v1/outbox ---- */

/* Appends {"pending":N,"failed":M,"rows":[...]}: the pending and failed rows, oldest first
 * (at most 1000), each with id, project, kind, repo, sha, context, pull_request, state,
 * attempts, last_error, next_attempt_at (seconds; null once failed), created_at, updated_at.
 * Bodies are not shown. BG_OK or BG_EDB. */
int bg_outbox_list_json(struct bg_store *s, struct bg_buf *out);

#endif
