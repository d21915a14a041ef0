/* lease.c: lease, heartbeat and fail calls of the job protocol (lease.h). */
#include "lease.h"

#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void copy_member(const cJSON *o, const char *key, char *out, size_t len) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  snprintf(out, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static long long number_member(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

/* The job of a lease answer into j; BG_EINVAL when it is not one. */
static int parse_job(const char *body, struct bg_lease_job *j, char *err, size_t errlen) {
  cJSON *o = cJSON_Parse(body);
  memset(j, 0, sizeof *j);
  j->id = number_member(o, "id");
  copy_member(o, "project", j->project, sizeof j->project);
  copy_member(o, "sha", j->sha, sizeof j->sha);
  copy_member(o, "base_sha", j->base_sha, sizeof j->base_sha);
  copy_member(o, "branch", j->branch, sizeof j->branch);
  copy_member(o, "base_branch", j->base_branch, sizeof j->base_branch);
  copy_member(o, "testbed", j->testbed, sizeof j->testbed);
  j->pull_request = number_member(o, "pull_request");
  j->attempts = (int)number_member(o, "attempts");
  j->lease_seconds = (int)number_member(o, "lease_seconds");
  if (j->lease_seconds <= 0) /* a server that does not say: its lease from the job's times */
    j->lease_seconds = (int)(number_member(o, "lease_expires_at") - number_member(o, "updated_at"));
  if (j->lease_seconds <= 0)
    j->lease_seconds = 60;
  cJSON_Delete(o);
  if (j->id <= 0 || !*j->project || !*j->sha || !*j->branch) {
    snprintf(err, errlen, "lease: the server's answer is not a job: %.200s", body);
    return BG_EINVAL;
  }
  return BG_OK;
}

int bg_lease_ask(const struct bg_client *c, const struct bg_lease_agent *a, int wait_s,
                 struct bg_lease_job *j, char *err, size_t errlen) {
  struct bg_response res;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "agent", a->name);
  cJSON_AddStringToObject(o, "testbed", a->testbed);
  cJSON_AddNumberToObject(o, "wait", wait_s);
  cJSON_AddItemToObject(o, "projects",
                        cJSON_CreateStringArray((const char *const *)a->projects,
                                                (int)a->nprojects));
  char *body = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  int rc = bg_client_request(c, "POST", "/api/v1/agents/lease", body, &res, err, errlen);
  cJSON_free(body);
  if (rc != BG_OK)
    return rc == BG_EINVAL || rc == BG_ECANCELED ? rc : BG_ENET;
  char msg[512];
  if (res.status == 200)
    rc = parse_job(res.body.data, j, err, errlen);
  else if (res.status == 204)
    rc = BG_ENOENT;
  else {
    bg_client_error_message(&res, msg, sizeof msg);
    snprintf(err, errlen, "lease: server answered %ld: %s", res.status, msg);
    rc = bg_retry_worth(BG_OK, res.status) ? BG_ENET
         : res.status == 401               ? BG_EAUTH
         : res.status == 403               ? BG_EPERM
                                           : BG_EINVAL;
  }
  bg_response_free(&res);
  return rc;
}

/* reason as the server takes it: printable (controls become spaces, a newline "; ") and at
 * most BG_LEASE_REASON_MAX bytes, cut at a character boundary. */
static void clean_reason(const char *reason, char *out) {
  size_t n = 0;
  for (const unsigned char *s = (const unsigned char *)reason; *s && n < BG_LEASE_REASON_MAX;
       s++) {
    if (*s == '\n' && n + 2 <= BG_LEASE_REASON_MAX) {
      out[n++] = ';';
      out[n++] = ' ';
    } else {
      out[n++] = *s < 0x20 || *s == 0x7f ? ' ' : (char)*s;
    }
  }
  while (n && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
    n--; /* a cut inside a character: drop its continuation bytes ... */
  if (n && (unsigned char)out[n - 1] >= 0xc0)
    n--; /* ... and its lead byte */
  out[n] = '\0';
}

int bg_lease_fail(const struct bg_client *c, const struct bg_retry *r, const char *agent,
                  long long id, const char *reason, char *err, size_t errlen) {
  char path[64], text[BG_LEASE_REASON_MAX + 1];
  struct bg_response res;
  clean_reason(reason, text);
  snprintf(path, sizeof path, "/api/v1/jobs/%lld/fail", id);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "agent", agent);
  cJSON_AddStringToObject(o, "reason", text);
  char *body = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  int rc = bg_client_request_retry(c, r, "POST", path, body, &res, NULL, err, errlen);
  cJSON_free(body);
  if (rc != BG_OK)
    return rc;
  if (res.status != 200) {
    char msg[512];
    bg_client_error_message(&res, msg, sizeof msg);
    snprintf(err, errlen, "job %lld: fail: server answered %ld: %s", id, res.status, msg);
    rc = res.status == 409 ? BG_ECONFLICT : BG_EINVAL;
  }
  bg_response_free(&res);
  return rc;
}

/* One heartbeat: 1 when the lease is gone (409), else 0 (a failed beat is said once). */
static int beat(struct bg_heartbeat *h, int *warned) {
  char path[64], body[160], err[1024];
  struct bg_response res;
  snprintf(path, sizeof path, "/api/v1/jobs/%lld/heartbeat", h->job);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "agent", h->agent);
  cJSON_PrintPreallocated(o, body, sizeof body, 0);
  cJSON_Delete(o);
  int rc = bg_client_request(h->client, "POST", path, body, &res, err, sizeof err);
  if (rc == BG_OK && res.status == 200) {
    bg_response_free(&res);
    h->beats++;
    *warned = 0;
    return 0;
  }
  int lost = rc == BG_OK && res.status == 409;
  if (rc == BG_OK) {
    char msg[512];
    bg_client_error_message(&res, msg, sizeof msg);
    snprintf(err, sizeof err, "server answered %ld: %s", res.status, msg);
    bg_response_free(&res);
  }
  if (lost)
    bg_cli_warn("job %lld: the lease is gone (%s); the run is still uploaded", h->job, err);
  else if (!(*warned)++)
    bg_cli_warn("job %lld: heartbeat failed (%s); trying again", h->job, err);
  return lost;
}

static void *heartbeat_main(void *arg) {
  struct bg_heartbeat *h = arg;
  int warned = 0;
  pthread_mutex_lock(&h->mu);
  while (!h->stop) {
    pthread_mutex_unlock(&h->mu);
    int lost = beat(h, &warned);
    pthread_mutex_lock(&h->mu);
    if (lost) {
      h->lost = 1;
      break;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += h->interval_ms / 1000;
    until.tv_nsec += (long)(h->interval_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    while (!h->stop && pthread_cond_timedwait(&h->cv, &h->mu, &until) != ETIMEDOUT)
      ;
  }
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

int bg_heartbeat_start(struct bg_heartbeat *h, const struct bg_client *c, const char *agent,
                       const struct bg_lease_job *j) {
  pthread_condattr_t ca;
  sigset_t all, old;
  memset(h, 0, sizeof *h);
  h->client = c;
  h->agent = agent;
  h->job = j->id;
  h->interval_ms = j->lease_seconds * 1000 / 3;
  if (h->interval_ms < 500)
    h->interval_ms = 500;
  pthread_mutex_init(&h->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&h->cv, &ca);
  pthread_condattr_destroy(&ca);
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old); /* the thread inherits the mask */
  int e = pthread_create(&h->thread, NULL, heartbeat_main, h);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (e) {
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    return BG_EIO;
  }
  return BG_OK;
}

int bg_heartbeat_stop(struct bg_heartbeat *h) {
  pthread_mutex_lock(&h->mu);
  h->stop = 1;
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->mu);
  pthread_join(h->thread, NULL);
  int lost = h->lost;
  pthread_cond_destroy(&h->cv);
  pthread_mutex_destroy(&h->mu);
  return lost;
}
