/* jobs.h: the job queue: enqueueing, leasing, heartbeats, giving up and completing jobs.
 *
 * A job asks for a run of one commit on one testbed. Its states:
 *
 *   queued --lease--> leased --heartbeat--> running --upload with job_id--> done
 *     ^                  |                     |
 *     +--- fail, or the lease expired, while attempts < BG_JOBS_MAX_ATTEMPTS ---+--> failed
 *   queued --a newer job of the same pull request and testbed--> canceled
 *   queued --its pull request closed (bg_jobs_cancel_pull_request)--> canceled
 *
 * Every lease counts an attempt; the third attempt that fails or expires fails the job. A
 * job is leased to one agent at a time: the lease is a write transaction. Expired leases go
 * back to the queue when a lease is asked for and when jobs are read. A lease looks at the
 * queue once; waiting for a job is the caller's, which looks again after an enqueue that
 * created a job, a fail that queued one again, and bg_jobs_next_lapse (api_jobs.c parks the
 * request in between, http.c). Times are seconds since the epoch, given by the caller
 * (bg_jobs_now), so tests can move the clock.
 */
#ifndef BG_JOBS_H
#define BG_JOBS_H

#include "buf.h"
#include "error.h"
#include "jobs_store.h"
#include "store.h"

#include <stddef.h>

#define BG_JOBS_MAX_ATTEMPTS 3
/* A lease lasts lease_s seconds past its last heartbeat: benchgated --job-lease, from
 * BG_JOBS_LEASE_MIN_S to BG_JOBS_LEASE_MAX_S, BG_JOBS_LEASE_S by default. */
#define BG_JOBS_LEASE_S 60
#define BG_JOBS_LEASE_MIN_S 5
#define BG_JOBS_LEASE_MAX_S 3600
#define BG_JOBS_WAIT_MAX_S 30 /* the longest a lease request waits for a job (api_jobs.c) */
#define BG_JOBS_TESTBEDS_MAX 64
#define BG_JOBS_PROJECTS_MAX 64 /* the projects a lease request may name */

/* What a client asks to enqueue. */
struct bg_jobs_request {
  const char *sha, *branch;
  const char *base_sha;    /* NULL: none */
  const char *base_branch; /* NULL: none; else the agent compares with the merge base of the
                              head and origin/<base_branch> (a pull request's base) */
  long long pull_request;  /* 0: none */
  const char *testbeds[BG_JOBS_TESTBEDS_MAX];
  size_t ntestbeds; /* 0: every testbed of the project */
};

/* What an agent asks to lease. */
struct bg_jobs_lease_request {
  const char *agent, *testbed;
  long long project_id; /* the token's project; 0: a server-wide token */
  int by_project;       /* 1: only jobs of the projects named in projects[] (none: no job) */
  const char *projects[BG_JOBS_PROJECTS_MAX]; /* slugs; unknown ones match nothing */
  size_t nprojects;
  int lease_s; /* the lease's length */
};

/* The current time for the functions below. */
long long bg_jobs_now(void);

/* One job per testbed of r: the open job of (sha, testbed) when there is one, else a new
 * queued job, which cancels the older queued jobs of its pull request on that testbed.
 * Appends {"jobs":[...]} and sets *created to how many are new. Errors: BG_ENOENT with e
 * naming "testbeds[i]" (no such testbed) or "testbeds" (the project has none yet); BG_EDB. */
int bg_jobs_enqueue(struct bg_store *s, const struct bg_project *p, const struct bg_jobs_request *r,
                    long long now, int *created, struct bg_buf *out, struct bg_ferr *e);

/* As bg_jobs_enqueue, inside the caller's write transaction (bg_store_write_begin), which
 * the caller ends: a webhook delivery stores its row and its jobs in one. On an error the
 * caller rolls back; out may hold part of the answer. */
int bg_jobs_enqueue_in(struct bg_store *s, const struct bg_project *p,
                       const struct bg_jobs_request *r, long long now, int *created,
                       struct bg_buf *out, struct bg_ferr *e);

/* Cancels the queued jobs of pull request `pr` of the project with `reason`, inside the
 * caller's write transaction; leased and running ones go on. *canceled how many. BG_OK or
 * BG_EDB. */
int bg_jobs_cancel_pull_request(struct bg_store *s, long long project_id, long long pr,
                                const char *reason, long long now, int *canceled);

/* Leases the oldest queued job of r->testbed that r allows (of r->project_id unless 0, of
 * r->projects when r->by_project) to r->agent for r->lease_s seconds, after expiring the
 * leases due by now, and records the agent as seen. It does not wait. BG_OK with *j,
 * BG_ENOENT when none is queued, BG_EDB. */
int bg_jobs_lease(struct bg_store *s, const struct bg_jobs_lease_request *r, long long now,
                  struct bg_job *j);

/* The earliest time from which a lease may lapse and its job be queued again, into *at: the
 * earliest lease in force's expiry, or now + lease_s (a lease taken later lapses no sooner)
 * when that is earlier or there is none. At or before now when a lease is due but not yet
 * expired. BG_OK or BG_EDB. */
int bg_jobs_next_lapse(struct bg_store *s, int lease_s, long long now, long long *at);

/* Keeps the lease of job `id` held by `agent` for lease_s more seconds (the job is running).
 * BG_OK with *j, BG_ENOENT (no such job), BG_ECONFLICT (agent does not hold it). */
int bg_jobs_heartbeat(struct bg_store *s, long long id, const char *agent, int lease_s,
                      long long now, struct bg_job *j);

/* Ends the attempt of `agent` on job `id` with `reason`: queued again, or failed after
 * BG_JOBS_MAX_ATTEMPTS attempts. BG_OK with *j, BG_ENOENT, BG_ECONFLICT as above. */
int bg_jobs_fail(struct bg_store *s, long long id, const char *agent, const char *reason,
                 long long now, struct bg_job *j);

/* Completes job `id` of the project with the run `run` (runs.id), inside the caller's write
 * transaction: done unless it is done, failed or canceled already, so a replayed upload
 * completes nothing twice. *completed 1 when it did. BG_OK or BG_EDB. */
int bg_jobs_complete(struct bg_store *s, long long project_id, long long id, long long run,
                     long long now, int *completed);

/* Job `id` into *j, after expiring the leases due by now. BG_OK, BG_ENOENT or BG_EDB. */
int bg_jobs_get(struct bg_store *s, long long id, long long now, struct bg_job *j);

/* Appends {"jobs":[...]} of the project (state NULL: all; sha, a full sha or a prefix of one,
 * NULL: every commit), after expiring due leases. */
int bg_jobs_list_json(struct bg_store *s, const struct bg_project *p, const char *state,
                      const char *sha, long long now, struct bg_buf *out);

/* Appends {"agents":[...]} (jobs_store.h), after expiring due leases. */
int bg_jobs_agents_json(struct bg_store *s, long long now, struct bg_buf *out);

/* 1 when `state` names a job state. */
int bg_jobs_state_valid(const char *state);

#endif
