/* webhook.h: what a GitHub webhook delivery does to the job queue.
 *
 * The handler (api_github.c) has checked the signature and parsed the payload
 * (webhook_payload.h); bg_webhook_deliver acts on it in ONE write transaction with the
 * delivery's row (webhook_store.h), so that a crash loses or doubles neither, and a delivery
 * already stored (a redelivery) does nothing again.
 *
 * A delivery's repository names its projects (projects.github_repo, any case; none: nothing
 * to do). For each of them:
 *   push to its default branch   one job per testbed for the pushed head, on the default
 *                                branch, with no base (the branch's own history is its
 *                                baseline); a push to another branch does nothing
 *   pull request to run          one job per testbed for the head, with the pull request's
 *                                number and its base branch (base_branch: the agent compares
 *                                with the merge base of the head and origin/<base_branch>);
 *                                jobs.c cancels the pull request's older queued jobs. When the
 *                                base changed (edited), its queued jobs, which name the old
 *                                base, are canceled first
 *   pull request closed          its queued jobs are canceled ("pull request closed"); leased
 *                                and running ones go on
 * A project without testbeds yet gets no job (an agent announces its testbed when it first
 * asks for a job).
 */
#ifndef BG_WEBHOOK_H
#define BG_WEBHOOK_H

#include "error.h"
#include "store.h"
#include "webhook_payload.h"

#define BG_WEBHOOK_PROJECTS_MAX 16 /* the projects one repository's delivery acts on */

struct bg_webhook_result {
  int redelivery;    /* 1: the delivery was stored already; nothing was done */
  int created;       /* new jobs */
  int canceled;      /* jobs canceled (a closed pull request, a changed base) */
  char outcome[256]; /* what it did, for the log and the delivery's row */
};

/* Acts on event `ev` of delivery `id` (bg_webhook_delivery_valid) at `now`, in one write
 * transaction with the delivery's row, into *res. BG_OK, or BG_EDB (nothing stored). */
int bg_webhook_deliver(struct bg_store *s, const char *id, const struct bg_webhook_event *ev,
                       long long now, struct bg_webhook_result *res);

#endif
