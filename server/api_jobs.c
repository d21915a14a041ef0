/* api_jobs.c: the job queue's endpoints: enqueue and list a project's jobs, read one job,
 * lease, heartbeat and fail (agents), and the list of agents (jobs.h does the work).
 *
 * A lease with "wait" that finds no job parks (api.h: req->park_ms) until the earlier of its
 * deadline and the next time a lease may lapse (bg_jobs_next_lapse), and looks again when
 * woken: an enqueue that created a job and a fail that queued one again wake every parked
 * request (req->wake_parked). At its deadline, or when it may not park, it answers 204. */
#include "api.h"
#include "metrics.h"

#include "jobs.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long past a lease's lapse a parked lease looks again: time(), which the lapse is
 * compared with, may lag the real-time clock by a scheduler tick. Also the shortest park. */
#define LAPSE_MARGIN_MS 50

/* The body as a JSON object (caller deletes), or NULL after answering 400. */
static cJSON *body_object(struct bg_req *req) {
  cJSON *o = cJSON_ParseWithLength(req->body, req->body_len);
  if (!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    bg_api_error(req, 400, "malformed_json", NULL, "the body must be a JSON object");
    return NULL;
  }
  return o;
}

/* Every member of o must be one of `names` (a NULL-terminated list): a misspelt "testbed" for
 * "testbeds" would otherwise enqueue on every testbed. Returns 1, or 0 after a 400. */
static int known_members(struct bg_req *req, const cJSON *o, const char *const *names) {
  const cJSON *m;
  cJSON_ArrayForEach(m, o) {
    const char *const *n = names;
    while (*n && strcmp(*n, m->string) != 0)
      n++;
    if (!*n) {
      int printable = bg_valid_text(m->string, strlen(m->string), 0) && strlen(m->string) <= 64;
      bg_api_error(req, 400, "invalid_field", printable ? m->string : "", "unknown member%s",
                   printable ? "" : " with an unprintable or long name");
      return 0;
    }
  }
  return 1;
}

/* Member `key` of o as a string (NULL when absent or null); 0 after a 400 for another type or
 * for a required member that is absent. */
static int string_member(struct bg_req *req, const cJSON *o, const char *key, int required,
                         const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = NULL;
  if ((!v || cJSON_IsNull(v)) && !required)
    return 1;
  if (!cJSON_IsString(v)) {
    bg_api_error(req, 400, "invalid_field", key, v ? "must be a string" : "required");
    return 0;
  }
  *out = v->valuestring;
  return 1;
}

/* Member `key` of o as a whole number in [lo, hi] into *out (left as is when absent); 0 after
 * a 400. */
static int int_member(struct bg_req *req, const cJSON *o, const char *key, long long lo,
                      long long hi, long long *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v || cJSON_IsNull(v))
    return 1;
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi) ||
      v->valuedouble != (double)(long long)v->valuedouble) {
    bg_api_error(req, 400, "invalid_field", key, "must be a whole number from %lld to %lld", lo,
                 hi);
    return 0;
  }
  *out = (long long)v->valuedouble;
  return 1;
}

/* A full commit sha (40 or 64 hex digits), lowercased in place; 0 after a 400 naming key. */
static int sha_member(struct bg_req *req, const char *key, char *sha) {
  for (char *c = sha; c && *c; c++)
    *c = (char)tolower((unsigned char)*c);
  if (sha && !bg_valid_sha(sha)) {
    bg_api_error(req, 400, "invalid_field", key, "must be a full commit sha (40 or 64 hex digits)");
    return 0;
  }
  return 1;
}

/* The testbeds member into r; 0 after a 400. */
static int testbeds_member(struct bg_req *req, const cJSON *o, struct bg_jobs_request *r) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "testbeds"), *t;
  if (!v || cJSON_IsNull(v))
    return 1;
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > BG_JOBS_TESTBEDS_MAX) {
    bg_api_error(req, 400, "invalid_field", "testbeds", "must be an array of at most %d names",
                 BG_JOBS_TESTBEDS_MAX);
    return 0;
  }
  cJSON_ArrayForEach(t, v) {
    char field[32];
    snprintf(field, sizeof field, "testbeds[%zu]", r->ntestbeds);
    if (!cJSON_IsString(t) || !bg_valid_testbed(t->valuestring)) {
      bg_api_error(req, 400, "invalid_field", field, "must be a testbed name");
      return 0;
    }
    for (size_t i = 0; i < r->ntestbeds; i++)
      if (strcmp(r->testbeds[i], t->valuestring) == 0) {
        bg_api_error(req, 400, "invalid_field", field, "names a testbed twice");
        return 0;
      }
    r->testbeds[r->ntestbeds++] = t->valuestring;
  }
  return 1;
}

/* Parses the enqueue body into r (strings point into o); 0 after a 400. */
static int enqueue_request(struct bg_req *req, cJSON *o, struct bg_jobs_request *r) {
  static const char *const names[] = {"sha",          "branch",   "base_sha", "base_branch",
                                      "pull_request", "testbeds", NULL};
  memset(r, 0, sizeof *r);
  if (!known_members(req, o, names) || !string_member(req, o, "sha", 1, &r->sha) ||
      !sha_member(req, "sha", (char *)r->sha) || !string_member(req, o, "branch", 1, &r->branch) ||
      !string_member(req, o, "base_sha", 0, &r->base_sha) ||
      !sha_member(req, "base_sha", (char *)r->base_sha) ||
      !string_member(req, o, "base_branch", 0, &r->base_branch) ||
      !int_member(req, o, "pull_request", 1, 1LL << 40, &r->pull_request) ||
      !testbeds_member(req, o, r))
    return 0;
  if (!bg_valid_branch(r->branch)) {
    bg_api_error(req, 400, "invalid_field", "branch", "must be a git branch name");
    return 0;
  }
  if (r->base_branch && !bg_valid_branch(r->base_branch)) {
    bg_api_error(req, 400, "invalid_field", "base_branch", "must be a git branch name");
    return 0;
  }
  if (r->base_branch && r->base_sha) {
    bg_api_error(req, 400, "invalid_field", "base_branch",
                 "give base_sha (the fork point) or base_branch (the agent finds it), not both");
    return 0;
  }
  return 1;
}

void bg_api_jobs_post(struct bg_req *req) {
  cJSON *o = body_object(req);
  struct bg_jobs_request r;
  struct bg_ferr e = {0};
  int created = 0;
  if (!o)
    return;
  if (enqueue_request(req, o, &r)) {
    int rc = bg_jobs_enqueue(req->store, &req->project, &r, bg_jobs_now(), &created, &req->out, &e);
    if (rc == BG_ENOENT)
      bg_api_error(req, 404, "testbed_not_found", e.field, "%s", e.message);
    else if (rc)
      bg_api_store_error(req, rc);
    else
      req->status = created ? 201 : 200;
    req->wake_parked = rc == BG_OK && created > 0;
  }
  cJSON_Delete(o);
}

/* The sha query parameter, lowercased into buf: a full sha or a prefix of 7 or more hex
 * digits; NULL when absent. 0 after a 400. */
static int sha_param(struct bg_req *req, char *buf, size_t len, const char **sha) {
  const char *q = bg_api_query(req, "sha");
  size_t n = q ? strlen(q) : 0;
  *sha = NULL;
  if (!q)
    return 1;
  int hex = n >= 7 && n < len && n <= 64;
  for (size_t i = 0; hex && i < n; i++)
    hex = isxdigit((unsigned char)q[i]) != 0;
  if (!hex) {
    bg_api_error(req, 400, "invalid_param", "sha", "must be a commit sha or a prefix of 7 or "
                                                   "more hex digits");
    return 0;
  }
  for (size_t i = 0; i <= n; i++)
    buf[i] = (char)tolower((unsigned char)q[i]);
  *sha = buf;
  return 1;
}

void bg_api_jobs_list(struct bg_req *req) {
  const char *state = bg_api_query(req, "state"), *sha;
  char shabuf[65];
  if (state && !bg_jobs_state_valid(state)) {
    bg_api_error(req, 400, "invalid_param", "state",
                 "must be queued, leased, running, done, failed or canceled");
    return;
  }
  if (!sha_param(req, shabuf, sizeof shabuf, &sha))
    return;
  int rc = bg_jobs_list_json(req->store, &req->project, state, sha, bg_jobs_now(), &req->out);
  if (rc) {
    bg_buf_reset(&req->out);
    bg_api_store_error(req, rc);
  } else {
    req->status = 200;
  }
}

/* The job {id} of the path, visible to the token (a project's token sees its project's jobs
 * only), into *j; 0 after a 404 or 500. */
static int path_job(struct bg_req *req, struct bg_job *j) {
  const char *id = req->match->id;
  char *end = "";
  errno = 0;
  long long v = isdigit((unsigned char)id[0]) ? strtoll(id, &end, 10) : 0;
  int rc = v > 0 && !errno && !*end ? bg_jobs_get(req->store, v, bg_jobs_now(), j) : BG_ENOENT;
  if (!rc && req->who.project_id && j->project_id != req->who.project_id)
    rc = BG_ENOENT;
  if (rc == BG_ENOENT)
    bg_api_error(req, 404, "job_not_found", NULL, "no job %.64s", id);
  else if (rc)
    bg_api_store_error(req, rc);
  return rc == BG_OK;
}

/* Answers a job. */
static void job_answer(struct bg_req *req, const struct bg_job *j) {
  req->status = 200;
  bg_jobs_store_render(j, &req->out);
}

void bg_api_job_get(struct bg_req *req) {
  struct bg_job j;
  if (path_job(req, &j))
    job_answer(req, &j);
}

/* The agent member (a name like a testbed's); 0 after a 400. */
static int agent_member(struct bg_req *req, const cJSON *o, const char **agent) {
  if (!string_member(req, o, "agent", 1, agent))
    return 0;
  if (!bg_valid_testbed(*agent)) {
    bg_api_error(req, 400, "invalid_field", "agent",
                 "must be a name of letters, digits, '.', '_', '-'");
    return 0;
  }
  return 1;
}

/* The projects member of a lease (the projects whose jobs the agent takes) into r; 0 after a
 * 400. Slugs of no project are allowed: the project may be created later. */
static int projects_member(struct bg_req *req, const cJSON *o, struct bg_jobs_lease_request *r) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "projects"), *p;
  if (!v || cJSON_IsNull(v))
    return 1;
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > BG_JOBS_PROJECTS_MAX) {
    bg_api_error(req, 400, "invalid_field", "projects",
                 "must be an array of at most %d project slugs", BG_JOBS_PROJECTS_MAX);
    return 0;
  }
  r->by_project = 1;
  cJSON_ArrayForEach(p, v) {
    if (!cJSON_IsString(p) || !bg_valid_project(p->valuestring)) {
      char field[32];
      snprintf(field, sizeof field, "projects[%zu]", r->nprojects);
      bg_api_error(req, 400, "invalid_field", field, "must be a project slug");
      return 0;
    }
    r->projects[r->nprojects++] = p->valuestring;
  }
  return 1;
}

/* Parses the lease body into r and *wait_s (strings point into o); 0 after a 400. */
static int lease_request(struct bg_req *req, const cJSON *o, struct bg_jobs_lease_request *r,
                         int *wait_s) {
  static const char *const names[] = {"agent", "testbed", "wait", "projects", NULL};
  long long wait = 0;
  memset(r, 0, sizeof *r);
  if (!known_members(req, o, names) || !agent_member(req, o, &r->agent) ||
      !string_member(req, o, "testbed", 1, &r->testbed) ||
      !int_member(req, o, "wait", 0, 1LL << 31, &wait) || !projects_member(req, o, r))
    return 0;
  if (!bg_valid_testbed(r->testbed)) {
    bg_api_error(req, 400, "invalid_field", "testbed", "must be a testbed name");
    return 0;
  }
  r->project_id = req->who.project_id;
  *wait_s = wait > BG_JOBS_WAIT_MAX_S ? BG_JOBS_WAIT_MAX_S : (int)wait;
  r->lease_s = req->cfg->job_lease_s;
  return 1;
}

static long long real_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* No job for a lease that waits wait_s: parks it until its deadline or, when earlier, just
 * past the next time a lease may lapse; 204 once the deadline has come or parking is not
 * allowed. */
static void lease_none(struct bg_req *req, int wait_s, int lease_s, long long now) {
  long long left = wait_s * 1000LL - req->waited_ms, lapse;
  if (!req->park_ok || left <= 0) {
    req->status = 204;
    return;
  }
  int rc = bg_jobs_next_lapse(req->store, lease_s, now, &lapse);
  if (rc) {
    bg_api_store_error(req, rc);
    return;
  }
  long long to_lapse = lapse * 1000 - real_ms() + LAPSE_MARGIN_MS;
  if (to_lapse < LAPSE_MARGIN_MS)
    to_lapse = LAPSE_MARGIN_MS; /* due now: the next look expires it */
  req->park_ms = to_lapse < left ? to_lapse : left;
}

void bg_api_agents_lease(struct bg_req *req) {
  cJSON *o = body_object(req);
  struct bg_jobs_lease_request r;
  struct bg_job j;
  int wait_s = 0;
  if (!o)
    return;
  if (lease_request(req, o, &r, &wait_s)) {
    long long now = bg_jobs_now();
    int rc = bg_jobs_lease(req->store, &r, now, &j);
    if (rc == BG_ENOENT)
      lease_none(req, wait_s, r.lease_s, now);
    else if (rc)
      bg_api_store_error(req, rc);
    else {
      if (j.attempts == 1) /* the queue wait: enqueue to first lease */
        bg_metrics_queue_wait(req->cfg->metrics, (double)(now - j.created_at));
      job_answer(req, &j);
    }
  }
  cJSON_Delete(o);
}

/* heartbeat (reason NULL) or fail of the path's job by the body's agent. */
static void held_job(struct bg_req *req, int fail) {
  struct bg_job j;
  const char *agent, *reason = NULL;
  cJSON *o;
  if (!path_job(req, &j) || !(o = body_object(req)))
    return;
  static const char *const beat[] = {"agent", NULL}, *const give_up[] = {"agent", "reason", NULL};
  if (known_members(req, o, fail ? give_up : beat) && agent_member(req, o, &agent) && (!fail || string_member(req, o, "reason", 1, &reason))) {
    if (reason && (!bg_valid_text(reason, strlen(reason), 1) || strlen(reason) > 255)) {
      bg_api_error(req, 400, "invalid_field", "reason",
                   "must be printable text of at most 255 bytes");
    } else {
      long long now = bg_jobs_now();
      int rc = fail ? bg_jobs_fail(req->store, j.id, agent, reason, now, &j)
                    : bg_jobs_heartbeat(req->store, j.id, agent, req->cfg->job_lease_s, now, &j);
      if (rc == BG_ECONFLICT)
        bg_api_error(req, 409, "not_leased", "agent", "job %lld is not leased to %s (it is %s)",
                     j.id, agent, j.state);
      else if (rc)
        bg_api_store_error(req, rc);
      else
        job_answer(req, &j);
      req->wake_parked = rc == BG_OK && fail && strcmp(j.state, "queued") == 0;
    }
  }
  cJSON_Delete(o);
}

void bg_api_job_heartbeat(struct bg_req *req) {
  held_job(req, 0);
}

void bg_api_job_fail(struct bg_req *req) {
  held_job(req, 1);
}

void bg_api_agents_list(struct bg_req *req) {
  int rc = bg_jobs_agents_json(req->store, bg_jobs_now(), &req->out);
  if (rc) {
    bg_buf_reset(&req->out);
    bg_api_store_error(req, rc);
  } else {
    req->status = 200;
  }
}
