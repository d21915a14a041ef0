/* jobs_store.h: the storage of the job queue (jobs) and of the agents that lease its jobs.
 *
 * Rows and their JSON only: when a job is superseded, leased, expired, failed or completed is
 * decided by jobs.c above. Every writing function runs inside the caller's write transaction
 * (bg_store_write_begin), so two agents never lease one job. Times are seconds since the
 * epoch, given by the caller.
 */
#ifndef BG_JOBS_STORE_H
#define BG_JOBS_STORE_H

#include "buf.h"
#include "error.h"
#include "store.h"

#include <stddef.h>

struct bg_job {
  long long id, project_id, testbed_id;
  long long pull_request;     /* 0: none */
  long long run_id;           /* runs.id of the run that completed it; 0: none */
  char project[65];           /* the project's slug (read, not written) */
  char sha[65], base_sha[65]; /* base_sha "" when none */
  char branch[256], testbed[129], state[16], reason[256], agent[129];
  char base_branch[256]; /* "" when none */
  int attempts;
  long long lease_expires, created_at, updated_at; /* lease_expires 0 when not leased */
};

/* A testbed of a project. */
struct bg_jobs_testbed {
  long long id;
  char name[129];
};

/* The project's testbeds, by name, at most max of them, in tb[*n]. BG_OK or BG_EDB. */
int bg_jobs_store_testbeds(struct bg_store *s, long long project_id, struct bg_jobs_testbed *tb,
                           size_t max, size_t *n);

/* The open (queued, leased or running) job of (sha, testbed) of the project: *id, 0 none. */
int bg_jobs_store_open_id(struct bg_store *s, long long project_id, long long testbed_id,
                          const char *sha, long long *id);

/* Inserts j (project, sha, branch, base_sha, base_branch, pull_request, testbed) as queued;
 * *id its id. */
int bg_jobs_store_insert(struct bg_store *s, const struct bg_job *j, long long now, long long *id);

/* Cancels the queued jobs of pull request `pr` on the testbed other than `keep`, with the
 * reason "superseded by job <keep>". BG_OK or BG_EDB. */
int bg_jobs_store_supersede(struct bg_store *s, long long project_id, long long pr,
                            long long testbed_id, long long keep, long long now);

/* Cancels the queued jobs of pull request `pr` of the project with `reason`; *canceled how
 * many. BG_OK or BG_EDB. */
int bg_jobs_store_cancel_pull_request(struct bg_store *s, long long project_id, long long pr,
                                      const char *reason, long long now, int *canceled);

/* Leases that expired by `now` end their attempt: back to queued, or failed once the job had
 * max_attempts; the reason "lease expired". BG_OK or BG_EDB. */
int bg_jobs_store_expire(struct bg_store *s, long long now, int max_attempts);

/* The ids of the leases due by `now` whose expiry fails their job (attempts >= max_attempts),
 * at most max of them, oldest first, into ids[*n]: read before bg_jobs_store_expire, so the
 * caller can tell of each. BG_OK or BG_EDB. */
int bg_jobs_store_due_final(struct bg_store *s, long long now, int max_attempts, long long *ids,
                            size_t max, size_t *n);

/* The earliest lease_expires of the leased and running jobs into *at (0: none), due or not;
 * one look at the index of leases. BG_OK or BG_EDB. */
int bg_jobs_store_next_expiry(struct bg_store *s, long long *at);

/* The queued jobs a lease may take: those of `testbed`, of project_id (0: of any project)
 * and, when projects is not NULL, of one of the nprojects projects with those slugs (slugs
 * of no project match nothing; nprojects 0 matches no job). */
struct bg_jobs_pick {
  long long project_id;
  const char *testbed;
  const char *const *projects;
  size_t nprojects;
};

/* Makes pick->testbed a testbed of every project `pick` allows that lacks it: an agent that
 * asks for jobs of a testbed is one, before any run named it. BG_OK or BG_EDB. */
int bg_jobs_store_announce(struct bg_store *s, const struct bg_jobs_pick *pick);

/* Leases the oldest queued job `pick` allows to `agent` until now + lease_s, counting an
 * attempt, into *j. BG_ENOENT when none. */
int bg_jobs_store_lease(struct bg_store *s, const struct bg_jobs_pick *pick, const char *agent,
                        long long now, long long lease_s, struct bg_job *j);

/* Job `id` into *j. BG_OK, BG_ENOENT or BG_EDB. */
int bg_jobs_store_get(struct bg_store *s, long long id, struct bg_job *j);

/* Sets job `id`'s state, reason (NULL keeps it), lease (0 clears lease_expires) and run (0
 * keeps it), when its state is `from` ("open": queued, leased or running; "held": leased
 * or running) and, when agent is not NULL, the agent holds it. *changed 1 when it did. */
int bg_jobs_store_move(struct bg_store *s, long long id, const char *from, const char *agent,
                       const char *state, const char *reason, long long lease_expires,
                       long long run_id, long long now, int *changed);

/* Records that agent `name` (of project_id; 0 server-wide) on `testbed` was seen at now,
 * holding job_id (0: none). BG_OK or BG_EDB. */
int bg_jobs_store_agent_seen(struct bg_store *s, long long project_id, const char *name,
                             const char *testbed, long long job_id, long long now);

/* Appends job j as a JSON object. Its lease_seconds is the length of its lease in force
 * (lease_expires - updated_at: every lease and heartbeat sets both from one `now`), null when
 * it is not leased. */
void bg_jobs_store_render(const struct bg_job *j, struct bg_buf *out);

/* Appends {"jobs":[...]} of the project, newest first (at most 1000); state NULL for all,
 * sha (a full sha or a prefix of one) NULL for every commit. */
int bg_jobs_store_list_json(struct bg_store *s, long long project_id, const char *state,
                            const char *sha, struct bg_buf *out);

/* Appends {"agents":[...]}: name, testbed, last seen, current job. BG_OK or BG_EDB. */
int bg_jobs_store_agents_json(struct bg_store *s, struct bg_buf *out);

#endif
