/* webhook.c: a webhook delivery's effect on the job queue (webhook.h). No SQL here. */
#include "webhook.h"

#include "jobs.h"
#include "webhook_store.h"

#include <stdio.h>
#include <string.h>

/* Enqueues r on project p's testbeds inside the transaction; a project without testbeds
 * gets none. */
static int enqueue(struct bg_store *s, const struct bg_project *p, const struct bg_jobs_request *r,
                   long long now, struct bg_webhook_result *res) {
  struct bg_buf scratch; /* the jobs' JSON, which no one reads here */
  struct bg_ferr e = {0};
  int made = 0;
  bg_buf_init(&scratch, 0);
  int rc = bg_jobs_enqueue_in(s, p, r, now, &made, &scratch, &e);
  bg_buf_free(&scratch);
  if (rc == BG_ENOENT) /* no testbeds yet: nothing was written */
    return BG_OK;
  res->created += rc ? 0 : made;
  return rc;
}

static int cancel(struct bg_store *s, const struct bg_project *p, long long pr, const char *reason,
                  long long now, struct bg_webhook_result *res) {
  int n = 0;
  int rc = bg_jobs_cancel_pull_request(s, p->id, pr, reason, now, &n);
  res->canceled += n;
  return rc;
}

/* What event ev does to project p. */
static int act_on(struct bg_store *s, const struct bg_project *p, const struct bg_webhook_event *ev,
                  long long now, struct bg_webhook_result *res) {
  struct bg_jobs_request r = {0};
  r.sha = ev->sha;
  switch (ev->kind) {
  case BG_WEBHOOK_PUSH:
    if (strcmp(ev->branch, p->default_branch) != 0)
      return BG_OK;
    r.branch = p->default_branch;
    return enqueue(s, p, &r, now, res);
  case BG_WEBHOOK_PR_RUN: {
    int rc = strcmp(ev->action, "edited") == 0
                 ? cancel(s, p, ev->pull_request, "pull request base changed", now, res)
                 : BG_OK;
    r.branch = ev->branch;
    r.base_branch = ev->base_branch;
    r.pull_request = ev->pull_request;
    return rc ? rc : enqueue(s, p, &r, now, res);
  }
  case BG_WEBHOOK_PR_CLOSED:
    return cancel(s, p, ev->pull_request, "pull request closed", now, res);
  default:
    return BG_OK;
  }
}

/* Acts on ev for every project of its repository; res->outcome says what was done. */
static int act(struct bg_store *s, const struct bg_webhook_event *ev, long long now,
               struct bg_webhook_result *res) {
  long long ids[BG_WEBHOOK_PROJECTS_MAX];
  size_t n = 0;
  if (ev->kind == BG_WEBHOOK_PING) {
    snprintf(res->outcome, sizeof res->outcome, "ping");
    return BG_OK;
  }
  if (ev->kind == BG_WEBHOOK_IGNORE) {
    snprintf(res->outcome, sizeof res->outcome, "ignored: %s", ev->why);
    return BG_OK;
  }
  int rc = bg_webhook_store_projects(s, ev->repo, ids, BG_WEBHOOK_PROJECTS_MAX, &n);
  for (size_t i = 0; i < n && !rc; i++) {
    struct bg_project p;
    if (!(rc = bg_store_project_by_id(s, ids[i], &p)))
      rc = act_on(s, &p, ev, now, res);
  }
  if (rc)
    return rc;
  if (!n)
    snprintf(res->outcome, sizeof res->outcome, "ignored: no project has the repository %s",
             ev->repo);
  else
    snprintf(res->outcome, sizeof res->outcome, "%zu project%s: %d job%s enqueued, %d canceled", n,
             n == 1 ? "" : "s", res->created, res->created == 1 ? "" : "s", res->canceled);
  return BG_OK;
}

int bg_webhook_deliver(struct bg_store *s, const char *id, const struct bg_webhook_event *ev,
                       long long now, struct bg_webhook_result *res) {
  int seen = 0;
  memset(res, 0, sizeof *res);
  int rc = bg_store_write_begin(s);
  if (rc)
    return rc;
  rc = bg_webhook_store_seen(s, id, &seen);
  if (!rc && seen) {
    res->redelivery = 1;
    snprintf(res->outcome, sizeof res->outcome, "a redelivery: nothing done again");
  } else if (!rc && !(rc = act(s, ev, now, res))) {
    rc = bg_webhook_store_add(s, id, ev->event, now, res->outcome);
  }
  int end = bg_store_write_end(s, rc == BG_OK);
  if (rc || end) {
    memset(res, 0, sizeof *res); /* rolled back: nothing was done */
    return rc ? rc : BG_EDB;
  }
  return BG_OK;
}
