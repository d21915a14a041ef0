/* jobs.c: the job queue's state machine over jobs_store.h (jobs.h). No SQL here. */
#include "jobs.h"

#include "events.h"
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One event line about job j: job_leased, job_started, job_finished or job_expired. */
static void log_job(struct bg_store *s, const char *event, const struct bg_job *j) {
  struct bg_log_line l;
  bg_event_begin(bg_store_database(s), &l, event);
  bg_log_int(&l, "job", j->id);
  bg_log_str(&l, "project", j->project[0] ? j->project : NULL);
  bg_log_str(&l, "sha", j->sha);
  bg_log_str(&l, "testbed", j->testbed);
  bg_log_str(&l, "state", j->state);
  bg_log_int(&l, "attempt", j->attempts);
  bg_log_str(&l, "agent", j->agent[0] ? j->agent : NULL);
  bg_log_str(&l, "reason", j->reason[0] ? j->reason : NULL);
  bg_log_end(&l);
}

long long bg_jobs_now(void) {
  return (long long)time(NULL);
}

int bg_jobs_state_valid(const char *state) {
  static const char *const states[] = {"queued", "leased", "running", "done", "failed", "canceled"};
  for (size_t i = 0; i < sizeof states / sizeof *states; i++)
    if (state && strcmp(state, states[i]) == 0)
      return 1;
  return 0;
}

/* ---- enqueueing ---- */

/* The testbeds r names (all of the project's when none) in tb[*n]. */
static int resolve_testbeds(struct bg_store *s, const struct bg_project *p,
                            const struct bg_jobs_request *r, struct bg_jobs_testbed *tb, size_t *n,
                            struct bg_ferr *e) {
  if (!r->ntestbeds) {
    int rc = bg_jobs_store_testbeds(s, p->id, tb, BG_JOBS_TESTBEDS_MAX, n);
    if (!rc && !*n) {
      bg_ferr_set(e, "testbeds", "the project has no testbeds yet");
      return BG_ENOENT;
    }
    return rc;
  }
  for (size_t i = 0; i < r->ntestbeds; i++) {
    int rc = bg_store_testbed_id(s, p->id, r->testbeds[i], &tb[i].id, NULL);
    if (rc)
      return rc;
    if (!tb[i].id) {
      char field[32];
      snprintf(field, sizeof field, "testbeds[%zu]", i);
      bg_ferr_set(e, field, "no such testbed in this project: %.64s", r->testbeds[i]);
      return BG_ENOENT;
    }
    snprintf(tb[i].name, sizeof tb[i].name, "%s", r->testbeds[i]);
  }
  *n = r->ntestbeds;
  return BG_OK;
}

/* The open job of (sha, testbed), or a new one that supersedes its pull request's older
 * queued jobs; *j the job, *created 1 when it is new. */
static int enqueue_one(struct bg_store *s, const struct bg_project *p,
                       const struct bg_jobs_request *r, const struct bg_jobs_testbed *tb,
                       long long now, struct bg_job *j, int *created) {
  long long id = 0;
  int rc = bg_jobs_store_open_id(s, p->id, tb->id, r->sha, &id);
  *created = 0;
  if (!rc && !id) {
    memset(j, 0, sizeof *j);
    j->project_id = p->id;
    j->testbed_id = tb->id;
    j->pull_request = r->pull_request;
    snprintf(j->sha, sizeof j->sha, "%s", r->sha);
    snprintf(j->base_sha, sizeof j->base_sha, "%s", r->base_sha ? r->base_sha : "");
    snprintf(j->base_branch, sizeof j->base_branch, "%s", r->base_branch ? r->base_branch : "");
    snprintf(j->branch, sizeof j->branch, "%s", r->branch);
    snprintf(j->testbed, sizeof j->testbed, "%s", tb->name);
    rc = bg_jobs_store_insert(s, j, now, &id);
    if (!rc && r->pull_request)
      rc = bg_jobs_store_supersede(s, p->id, r->pull_request, tb->id, id, now);
    if (!rc)
      rc = bg_notify_job_pending(s, p, r->sha, tb->name, 0, NULL, now);
    *created = !rc;
  }
  return rc ? rc : bg_jobs_store_get(s, id, j);
}

int bg_jobs_enqueue_in(struct bg_store *s, const struct bg_project *p,
                       const struct bg_jobs_request *r, long long now, int *created,
                       struct bg_buf *out, struct bg_ferr *e) {
  struct bg_jobs_testbed tb[BG_JOBS_TESTBEDS_MAX];
  size_t n = 0;
  *created = 0;
  int rc = resolve_testbeds(s, p, r, tb, &n, e);
  if (rc)
    return rc;
  bg_buf_puts(out, "{\"jobs\":[");
  for (size_t i = 0; i < n && !rc; i++) {
    struct bg_job j;
    int made = 0;
    rc = enqueue_one(s, p, r, &tb[i], now, &j, &made);
    if (!rc) {
      bg_buf_puts(out, i ? "," : "");
      bg_jobs_store_render(&j, out);
      *created += made;
    }
  }
  bg_buf_puts(out, "]}");
  return rc;
}

int bg_jobs_enqueue(struct bg_store *s, const struct bg_project *p, const struct bg_jobs_request *r,
                    long long now, int *created, struct bg_buf *out, struct bg_ferr *e) {
  size_t start = out->len;
  int rc = bg_store_write_begin(s);
  if (rc)
    return rc;
  rc = bg_jobs_enqueue_in(s, p, r, now, created, out, e);
  rc = bg_store_write_end(s, rc == BG_OK) ? BG_EDB : rc;
  if (rc) {
    out->len = start;
    if (out->data)
      out->data[start] = '\0';
    *created = 0;
  }
  return rc;
}

int bg_jobs_cancel_pull_request(struct bg_store *s, long long project_id, long long pr,
                                const char *reason, long long now, int *canceled) {
  return bg_jobs_store_cancel_pull_request(s, project_id, pr, reason, now, canceled);
}

/* ---- leases ---- */

#define EXPIRE_BATCH 64 /* leases whose expiry fails their job, read at a time */

/* Tells GitHub of a job that failed for good (its status turns to error). */
static int notify_failed(struct bg_store *s, const struct bg_job *j) {
  struct bg_project p;
  int rc = bg_store_project_by_id(s, j->project_id, &p);
  return rc ? rc
            : bg_notify_job_failed(s, &p, j->sha, j->testbed, j->attempts, j->reason,
                                   j->updated_at);
}

/* Ends the leases due by now, inside the caller's write transaction: back to the queue, or
 * failed after their last attempt, which GitHub is told of. */
static int expire_due(struct bg_store *s, long long now) {
  long long ids[EXPIRE_BATCH];
  size_t n;
  int rc;
  /* The last attempts first, one by one (a batch at a time), each told; then the others go
   * back to the queue in one statement. */
  do {
    rc = bg_jobs_store_due_final(s, now, BG_JOBS_MAX_ATTEMPTS, ids, EXPIRE_BATCH, &n);
    for (size_t i = 0; i < n && !rc; i++) {
      struct bg_job j;
      int changed;
      rc = bg_jobs_store_move(s, ids[i], "held", NULL, "failed", "lease expired", 0, 0, now,
                              &changed);
      if (!rc && !(rc = bg_jobs_store_get(s, ids[i], &j)))
        rc = notify_failed(s, &j);
      if (!rc)
        log_job(s, "job_expired", &j);
    }
  } while (!rc && n == EXPIRE_BATCH);
  return rc ? rc : bg_jobs_store_expire(s, now, BG_JOBS_MAX_ATTEMPTS);
}

/* The one look at the queue: expire due leases, then lease the oldest queued job r allows, in
 * one write transaction. BG_OK, BG_ENOENT or BG_EDB. */
static int lease_once(struct bg_store *s, const struct bg_jobs_lease_request *r, long long now,
                      struct bg_job *j) {
  const struct bg_jobs_pick pick = {r->project_id, r->testbed, r->by_project ? r->projects : NULL,
                                    r->nprojects};
  int rc = bg_store_write_begin(s);
  if (rc)
    return rc;
  rc = expire_due(s, now);
  if (!rc) /* jobs can be enqueued for the testbed as soon as an agent serves it */
    rc = bg_jobs_store_announce(s, &pick);
  if (!rc)
    rc = bg_jobs_store_lease(s, &pick, r->agent, now, r->lease_s, j);
  int seen = bg_jobs_store_agent_seen(s, r->project_id, r->agent, r->testbed, rc ? 0 : j->id, now);
  int ok = (rc == BG_OK || rc == BG_ENOENT) && seen == BG_OK;
  int end = bg_store_write_end(s, ok);
  if (!ok || end)
    return BG_EDB;
  if (rc == BG_OK)
    log_job(s, "job_leased", j);
  return rc;
}

int bg_jobs_lease(struct bg_store *s, const struct bg_jobs_lease_request *r, long long now,
                  struct bg_job *j) {
  return lease_once(s, r, now, j);
}

int bg_jobs_next_lapse(struct bg_store *s, int lease_s, long long now, long long *at) {
  long long e = 0;
  int rc = bg_jobs_store_next_expiry(s, &e);
  /* A lease taken from now on is taken at now or later and lasts lease_s: it lapses no
   * sooner than now + lease_s. Heartbeats only move a lapse later. */
  *at = e && e < now + lease_s ? e : now + lease_s;
  return rc;
}

/* Tells GitHub of a move that changes what a commit status says: the first heartbeat (the
 * run started) or the end of the last attempt. */
static int notify_move(struct bg_store *s, const struct bg_job *j, int started) {
  struct bg_project p;
  if (!started)
    return strcmp(j->state, "failed") ? BG_OK : notify_failed(s, j);
  int rc = bg_store_project_by_id(s, j->project_id, &p);
  return rc ? rc
            : bg_notify_job_pending(s, &p, j->sha, j->testbed, j->attempts, j->agent,
                                    j->updated_at);
}

/* Moves job `id` held by `agent` to `state` in one write transaction; BG_ECONFLICT when the
 * agent does not hold it, BG_ENOENT when there is no such job. */
static int held_move(struct bg_store *s, long long id, const char *agent, const char *state,
                     const char *reason, long long lease, long long now, struct bg_job *j) {
  int rc = bg_store_write_begin(s), changed = 0, started = 0;
  if (rc)
    return rc;
  rc = expire_due(s, now);
  if (!rc && !strcmp(state, "running")) { /* the first heartbeat: leased -> running */
    rc = bg_jobs_store_move(s, id, "leased", agent, state, reason, lease, 0, now, &changed);
    started = changed;
  }
  if (!rc && !changed)
    rc = bg_jobs_store_move(s, id, "held", agent, state, reason, lease, 0, now, &changed);
  if (!rc)
    rc = bg_jobs_store_get(s, id, j);
  if (!rc && !changed)
    rc = BG_ECONFLICT;
  if (!rc)
    rc = notify_move(s, j, started);
  int end = bg_store_write_end(s, rc == BG_OK);
  if (!rc && !end && (started || strcmp(state, "running")))
    log_job(s, started ? "job_started" : "job_finished", j);
  return rc ? rc : end;
}

int bg_jobs_heartbeat(struct bg_store *s, long long id, const char *agent, int lease_s,
                      long long now, struct bg_job *j) {
  return held_move(s, id, agent, "running", NULL, now + lease_s, now, j);
}

int bg_jobs_fail(struct bg_store *s, long long id, const char *agent, const char *reason,
                 long long now, struct bg_job *j) {
  struct bg_job cur;
  int rc = bg_jobs_get(s, id, now, &cur);
  if (rc)
    return rc;
  /* The attempt count only grows under a lease, which this agent holds if the move applies. */
  const char *to = cur.attempts >= BG_JOBS_MAX_ATTEMPTS ? "failed" : "queued";
  return held_move(s, id, agent, to, reason, 0, now, j);
}

int bg_jobs_complete(struct bg_store *s, long long project_id, long long id, long long run,
                     long long now, int *completed) {
  struct bg_job j;
  *completed = 0;
  int rc = bg_jobs_store_get(s, id, &j);
  if (rc == BG_ENOENT || (!rc && j.project_id != project_id))
    return BG_OK; /* a job_id the server does not know completes nothing */
  if (rc)
    return rc;
  rc = bg_jobs_store_move(s, id, "open", NULL, "done", NULL, 0, run, now, completed);
  if (!rc && *completed) {
    snprintf(j.state, sizeof j.state, "done");
    log_job(s, "job_finished", &j); /* inside the upload's transaction, which stores the run */
  }
  return rc;
}

/* Expires the leases due by now in a write transaction of its own. */
static int expire(struct bg_store *s, long long now) {
  int rc = bg_store_write_begin(s);
  if (rc)
    return rc;
  rc = expire_due(s, now);
  int end = bg_store_write_end(s, rc == BG_OK);
  return rc ? rc : end;
}

int bg_jobs_get(struct bg_store *s, long long id, long long now, struct bg_job *j) {
  int rc = expire(s, now);
  return rc ? rc : bg_jobs_store_get(s, id, j);
}

int bg_jobs_list_json(struct bg_store *s, const struct bg_project *p, const char *state,
                      const char *sha, long long now, struct bg_buf *out) {
  int rc = expire(s, now);
  return rc ? rc : bg_jobs_store_list_json(s, p->id, state, sha, out);
}

int bg_jobs_agents_json(struct bg_store *s, long long now, struct bg_buf *out) {
  int rc = expire(s, now);
  return rc ? rc : bg_jobs_store_agents_json(s, out);
}
