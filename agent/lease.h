/* lease.h: the agent's side of the job protocol: asking for a job, keeping the lease while
 * the job runs (heartbeats from a thread of their own), and giving a job up with a reason.
 *
 * The server lets a lease lapse `lease_seconds` after the last heartbeat and hands the job to
 * another agent; the heartbeat thread beats every third of that, so two beats may be lost to
 * a restarting server before the lease is. A 409 means the lease is gone all the same (it
 * lapsed while the agent was cut off): the thread stops beating and says so, and the agent
 * still uploads its run, which the server takes like any other.
 */
#ifndef BG_LEASE_H
#define BG_LEASE_H

#include "client.h"
#include "error.h"

#include <pthread.h>
#include <stddef.h>

#define BG_LEASE_REASON_MAX 255 /* the server keeps at most this many bytes of a reason */

/* A leased job, as the agent needs it. */
struct bg_lease_job {
  long long id;
  char project[65], sha[65], base_sha[65]; /* base_sha "" when none */
  char branch[256], testbed[65];
  char base_branch[256]; /* the branch a pull request goes into, "" when not said */
  long long pull_request; /* 0: none */
  int attempts;           /* this lease included */
  int lease_seconds;      /* how long a lease lasts past a heartbeat */
};

/* Who asks. */
struct bg_lease_agent {
  const char *name, *testbed;
  const char *const *projects; /* the projects it can check out */
  size_t nprojects;
};

/* Asks for a job, waiting up to wait_s seconds on the server. BG_OK with *j; BG_ENOENT when
 * none came; BG_ENET when the server gave no answer or failed (5xx, 429); BG_ECANCELED when
 * c->cancel turned non-zero; BG_EAUTH / BG_EPERM when the token is refused (401 / 403),
 * BG_EINVAL for any other answer; err says what in each case. */
int bg_lease_ask(const struct bg_client *c, const struct bg_lease_agent *a, int wait_s,
                 struct bg_lease_job *j, char *err, size_t errlen);

/* Gives job `id` up with `reason` (made printable and cut to BG_LEASE_REASON_MAX bytes),
 * trying again per r while the server is unreachable. BG_OK, or the failure in err. */
int bg_lease_fail(const struct bg_client *c, const struct bg_retry *r, const char *agent,
                  long long id, const char *reason, char *err, size_t errlen);

/* The heartbeat thread of one job. */
struct bg_heartbeat {
  const struct bg_client *client;
  const char *agent;
  long long job;
  int interval_ms;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop; /* under mu */
  int lost; /* under mu: 1 once the server said the lease is gone */
  int beats;
};

/* Starts beating for job j at once (the first beat marks the job running) and then every
 * third of its lease. Signals are blocked in the thread so that they reach the main one.
 * BG_OK or BG_EIO when no thread can be made. */
int bg_heartbeat_start(struct bg_heartbeat *h, const struct bg_client *c, const char *agent,
                       const struct bg_lease_job *j);

/* Stops and joins the thread. Returns 1 when the lease was lost meanwhile. */
int bg_heartbeat_stop(struct bg_heartbeat *h);

#endif
