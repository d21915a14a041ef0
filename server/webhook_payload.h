/* webhook_payload.h: what a GitHub webhook delivery says: its signature and its payload.
 *
 * Pure functions over the raw request (no I/O, no database): the handler checks the
 * X-Hub-Signature-256 header over the raw body with bg_webhook_verify before anything else,
 * then bg_webhook_parse reads the event (X-GitHub-Event) and the JSON body into a struct
 * bg_webhook_event, which the use case (webhook.h) turns into jobs. The parser keeps only
 * the members benchgate acts on and validates each (a sha, a branch name, a repository
 * name), naming the member of a bad or missing one ("pull_request.head.sha").
 *
 * What each event means:
 *   ping                                   nothing to do
 *   push to refs/heads/B                   run `after` on branch B (when B turns out to be the
 *                                          project's default branch); a deleted branch or a
 *                                          push of all zeros is nothing to do
 *   pull_request opened, synchronize,      run head.sha of pull request `number`, compared
 *     reopened, edited with changes.base   with the merge base of base.ref
 *   pull_request closed                    cancel the pull request's queued jobs
 *   anything else                          nothing to do
 */
#ifndef BG_WEBHOOK_PAYLOAD_H
#define BG_WEBHOOK_PAYLOAD_H

#include "error.h"

#include <stddef.h>

enum bg_webhook_kind {
  BG_WEBHOOK_IGNORE = 0, /* nothing to do; `why` says why */
  BG_WEBHOOK_PING,
  BG_WEBHOOK_PUSH,     /* repo, branch, sha */
  BG_WEBHOOK_PR_RUN,   /* repo, pull_request, sha, branch, base_branch */
  BG_WEBHOOK_PR_CLOSED /* repo, pull_request */
};

#define BG_WEBHOOK_EVENT_MAX 64     /* the longest X-GitHub-Event name taken */
#define BG_WEBHOOK_DELIVERY_MAX 128 /* the longest X-GitHub-Delivery id taken */
#define BG_WEBHOOK_PR_MAX (1LL << 40)

struct bg_webhook_event {
  enum bg_webhook_kind kind;
  char event[BG_WEBHOOK_EVENT_MAX + 1]; /* X-GitHub-Event */
  char action[33];                      /* a pull_request's action; "" for others */
  char repo[202];                       /* repository.full_name as sent */
  char sha[65];                         /* lowercase: the pushed head, or the pull's head */
  char branch[256];       /* the pushed branch; a pull request's head branch (for a pull request
                             from a fork "pull/<number>/head", the ref GitHub keeps of it in the
                             base repository, since the fork's branch name may be the base's) */
  char base_branch[256];  /* a pull request's base.ref */
  long long pull_request; /* its number; 0 for others */
  char why[128];          /* BG_WEBHOOK_IGNORE: why, for the log */
};

/* 1 when `header` (X-Hub-Signature-256, may be NULL) is "sha256=" and the lowercase or
 * uppercase hex HMAC-SHA256 of body[len] under secret[secret_len]; compared in constant time
 * (CRYPTO_memcmp). 0 for a missing, malformed or wrong signature, and for an empty secret. */
int bg_webhook_verify(const unsigned char *secret, size_t secret_len, const char *header,
                      const char *body, size_t len);

/* 1 when `id` is a delivery id benchgate stores: 1-128 bytes of letters, digits, '-', '_',
 * '.' (GitHub sends a UUID). */
int bg_webhook_delivery_valid(const char *id);

/* Parses a delivery of `event` (1-64 bytes of [a-z0-9_]) with body[len] into *ev. BG_OK;
 * BG_EINVAL with e naming the header "X-GitHub-Event" or the member that is missing or bad,
 * or "body" when the body is not a JSON object. Only the members the event's kind needs are
 * read: a ping or an ignored event needs no member. */
int bg_webhook_parse(const char *event, const char *body, size_t len, struct bg_webhook_event *ev,
                     struct bg_ferr *e);

#endif
