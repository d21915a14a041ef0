/* github_sender.c: the thread that delivers the outbox's rows to GitHub (github_sender.h).
 *
 * One loop: find the oldest due row, make its request(s), record the outcome in one write
 * transaction, sleep until the next poll. The sender's state (the pause, the jitter's random
 * state, the depth last logged) lives in its struct; the rows' state in the database, so a
 * restart carries on where the last run stopped.
 */
#include "github_sender.h"

#include "events.h"
#include "mem.h"
#include "outbox_store.h"

#include <cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEPTH_WARN 100
#define DEPTH_EVERY_MS 2000
#define COMMENT_PAGES_MAX 100
#define NO_CREDENTIALS "no GitHub credentials configured"

/* GitHub's rate limit as its last answer told it, for /metrics: kept per database (the
 * sender writes it, the scrape reads it), atomics so neither waits. */
struct rate {
  atomic_llong remaining; /* X-RateLimit-Remaining; -1 until an answer had one */
  atomic_llong reset;     /* X-RateLimit-Reset, seconds since the epoch */
};

static void *rate_create(void) {
  struct rate *r = bg_xcalloc(1, sizeof *r);
  atomic_init(&r->remaining, -1);
  atomic_init(&r->reset, 0);
  return r;
}

static const struct bg_db_shared rate_kind = {"github rate limit", rate_create, free};

void bg_github_rate_render(struct bg_db *db, struct bg_buf *out) {
  struct rate *r = bg_db_shared(db, &rate_kind);
  long long left = atomic_load(&r->remaining), reset = atomic_load(&r->reset);
  if (left < 0)
    return; /* no answer from GitHub yet: no sample rather than a made-up one */
  bg_buf_printf(out,
                "# HELP benchgate_github_rate_limit_remaining Requests left in GitHub's rate "
                "limit window (X-RateLimit-Remaining of the last answer).\n"
                "# TYPE benchgate_github_rate_limit_remaining gauge\n"
                "benchgate_github_rate_limit_remaining %lld\n",
                left);
  if (reset > 0)
    bg_buf_printf(out,
                  "# HELP benchgate_github_rate_limit_reset_timestamp_seconds When GitHub's rate "
                  "limit window starts over (X-RateLimit-Reset, Unix time).\n"
                  "# TYPE benchgate_github_rate_limit_reset_timestamp_seconds gauge\n"
                  "benchgate_github_rate_limit_reset_timestamp_seconds %lld\n",
                  reset);
}

struct bg_github_sender {
  struct bg_db *db;
  char *api; /* without a trailing slash */
  struct bg_github_auth *auth;
  int poll_ms;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;          /* under mu */
  atomic_int cancel; /* set with stop: abandons the request in flight */
  /* The thread's own: */
  struct bg_store *s;
  void *http;
  uint64_t rng;
  long long pause_until_ms, depth_at_ms, depth_logged, noted_depth;
};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A UTC time for log lines and errors: "2026-01-02T03:04:05Z". */
static void utc(long long ms, char out[32]) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the retry policy ---- */

static uint64_t next_random(uint64_t *x) { /* xorshift64* */
  *x ^= *x >> 12;
  *x ^= *x << 25;
  *x ^= *x >> 27;
  return *x * 2685821657736338717ULL;
}

/* Full jitter: a delay drawn uniformly from [0, min(cap, base * 2^attempts)], at least 50 ms
 * so that a zero draw does not turn into a burst. */
static long long backoff_ms(int attempts, uint64_t *rng) {
  long long most = BG_GITHUB_BACKOFF_MS;
  for (int i = 0; i < attempts && most < BG_GITHUB_BACKOFF_CAP_MS; i++)
    most *= 2;
  if (most > BG_GITHUB_BACKOFF_CAP_MS)
    most = BG_GITHUB_BACKOFF_CAP_MS;
  long long d = (long long)(next_random(rng) % (uint64_t)(most + 1));
  return d < 50 ? 50 : d;
}

/* GitHub's "message" of an error body, cut to n bytes; "" when it has none. */
static void github_message(const struct bg_github_response *res, char *out, size_t n) {
  cJSON *j = res->body.data ? cJSON_Parse(res->body.data) : NULL;
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
  snprintf(out, n, "%s", cJSON_IsString(m) ? m->valuestring : "");
  cJSON_Delete(j);
}

static int says_secondary(const struct bg_github_response *res) {
  return res->body.data && strcasestr(res->body.data, "secondary rate limit") != NULL;
}

/* Sets a pause of all sending until `until` (kept when one lasts longer). */
static void pause_until(struct bg_github_judgement *j, long long until, int rate_limited) {
  if (until > j->pause_until_ms)
    j->pause_until_ms = until;
  j->rate_limited |= rate_limited;
}

void bg_github_judge(const struct bg_github_response *res, int net_rc, int attempts, long long now,
                     uint64_t *rng, struct bg_github_judgement *j) {
  char msg[200], when[32];
  long status = net_rc ? 0 : res->status;
  memset(j, 0, sizeof *j);
  /* The primary rate limit: no request at all until it resets, whatever this answer was. */
  if (!net_rc && res->rl_remaining == 0 && res->rl_reset > 0 && res->rl_reset * 1000 > now)
    pause_until(j, res->rl_reset * 1000, 1);
  if (status >= 200 && status < 300) {
    j->outcome = BG_GITHUB_DELIVERED;
    return;
  }
  github_message(res, msg, sizeof msg);
  j->outcome = BG_GITHUB_RETRY;
  if (net_rc || status >= 500) {
    long long d = backoff_ms(attempts, rng);
    if (!net_rc && res->retry_after_s >= 0 && res->retry_after_s * 1000 > d)
      d = res->retry_after_s * 1000;
    j->next_ms = now + d;
    if (attempts < BG_GITHUB_HOL_ATTEMPTS)
      pause_until(j, j->next_ms, 0);
    if (net_rc)
      snprintf(j->error, sizeof j->error, "network: %s", res->error);
    else
      snprintf(j->error, sizeof j->error, "HTTP %ld%s%s", status, msg[0] ? ": " : "", msg);
    return;
  }
  if ((status == 403 || status == 429) && (res->retry_after_s >= 0 || says_secondary(res))) {
    long long wait =
        res->retry_after_s >= 0 ? res->retry_after_s * 1000 : BG_GITHUB_SECONDARY_PAUSE_MS;
    pause_until(j, now + wait, 1);
  } else if ((status == 403 || status == 429) && res->rl_remaining == 0) {
    pause_until(j, j->pause_until_ms > now ? j->pause_until_ms : now + BG_GITHUB_SECONDARY_PAUSE_MS,
                1);
  } else if (status == 429) {
    pause_until(j, now + BG_GITHUB_SECONDARY_PAUSE_MS, 1);
  } else {
    j->outcome = BG_GITHUB_FAILED;
    snprintf(j->error, sizeof j->error, "HTTP %ld%s%s", status, msg[0] ? ": " : "", msg);
    return;
  }
  j->next_ms = j->pause_until_ms;
  utc(j->next_ms, when);
  snprintf(j->error, sizeof j->error, "rate limited (HTTP %ld), sending resumes at %s", status,
           when);
}

/* ---- one row ---- */

/* An attempt of a row: the request that decides it and what it created. */
struct attempt {
  struct bg_github_response res;
  int net_rc;
  long long created_id; /* the id a POST created, or the comment found by its marker */
  int edited_stored;    /* the request was a PATCH of an id the table kept */
};

/* Makes one request about row r into a->res (freed and re-initialised first). */
static void request(struct bg_github_sender *g, const struct bg_outbox_row *r, const char *method,
                    const char *url, const char *body, struct attempt *a) {
  char auth[4200], err[128];
  bg_github_response_free(&a->res);
  bg_github_response_init(&a->res);
  if (bg_github_auth_header(g->auth, r->repo, auth, sizeof auth, err, sizeof err) != BG_OK) {
    snprintf(a->res.error, sizeof a->res.error, "%s", err);
    a->net_rc = BG_ENET;
    return;
  }
  a->net_rc = bg_github_http(g->http, method, url, auth, body, &g->cancel, &a->res);
  memset(auth, 0, sizeof auth);
  if (!a->net_rc && a->res.rl_remaining >= 0) {
    struct rate *rt = bg_db_shared(g->db, &rate_kind);
    atomic_store(&rt->reset, a->res.rl_reset);
    atomic_store(&rt->remaining, a->res.rl_remaining);
  }
}

/* A line of event "github" with a message, in the database's log format. */
static void say(const struct bg_github_sender *g, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(const struct bg_github_sender *g, const char *level, const char *fmt, ...) {
  char msg[1400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct bg_log_line l;
  bg_log_begin(&l, bg_events_format(g->db), "github");
  bg_log_str(&l, "level", level);
  bg_log_str(&l, "message", msg);
  bg_log_end(&l);
}

static int ok2xx(const struct attempt *a) {
  return !a->net_rc && a->res.status >= 200 && a->res.status < 300;
}

/* A 403 that is no rate limit: the credentials may not do this (edit another's comment). */
static int refused(const struct attempt *a) {
  return !a->net_rc && a->res.status == 403 && a->res.retry_after_s < 0 &&
         a->res.rl_remaining != 0 && !says_secondary(&a->res);
}

/* The "id" of the object a 2xx answer describes; 0 when it names none. */
static long long answer_id(const struct bg_github_response *res) {
  cJSON *j = res->body.data ? cJSON_Parse(res->body.data) : NULL;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
  long long v = cJSON_IsNumber(id) && id->valuedouble > 0 ? (long long)id->valuedouble : 0;
  cJSON_Delete(j);
  return v;
}

/* The id of the comment in a page of comments (a JSON array) whose body holds marker; 0. */
static long long page_marker(const char *page, const char *marker) {
  cJSON *arr = page ? cJSON_Parse(page) : NULL, *c;
  cJSON *list = cJSON_IsArray(arr) ? arr : NULL;
  long long found = 0;
  cJSON_ArrayForEach(c, list) {
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(c, "body");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
    if (cJSON_IsString(body) && cJSON_IsNumber(id) && strstr(body->valuestring, marker)) {
      found = (long long)id->valuedouble;
      break;
    }
  }
  cJSON_Delete(arr);
  return found;
}

/* Looks through every page of the pull request's comments for the row's marker: *id the
 * comment's (0: none). Returns 1 when the listing answered 2xx throughout, else 0 with the
 * failing answer in a->res. A next page outside the API's base URL is not followed (the
 * credentials go to GitHub only). */
static int find_comment(struct bg_github_sender *g, const struct bg_outbox_row *r,
                        struct attempt *a, long long *id) {
  char url[2048], marker[300];
  size_t base = strlen(g->api);
  *id = 0;
  snprintf(marker, sizeof marker, "<!-- benchgate:%s -->", r->context);
  snprintf(url, sizeof url, "%s/repos/%s/issues/%lld/comments?per_page=100", g->api, r->repo,
           r->pull_request);
  for (int page = 0; page < COMMENT_PAGES_MAX; page++) {
    request(g, r, "GET", url, NULL, a);
    if (!ok2xx(a))
      return 0;
    if ((*id = page_marker(a->res.body.data, marker)) != 0)
      return 1;
    if (!a->res.next_url[0] || strncmp(a->res.next_url, g->api, base) != 0 ||
        (a->res.next_url[base] != '/' && a->res.next_url[base] != '?'))
      return 1;
    snprintf(url, sizeof url, "%s", a->res.next_url);
  }
  return 1;
}

/* The check run of the row's commit and context that exists on GitHub already: *id (0: none).
 * A crash between GitHub's answer to a creation and its record leaves one there, which the
 * next attempt adopts instead of creating a second. 1 when the listing answered 2xx, else 0
 * with the failing answer in a->res. */
static int find_check_run(struct bg_github_sender *g, const struct bg_outbox_row *r,
                          struct attempt *a, long long *id) {
  char url[2048], name[3 * sizeof r->context];
  size_t n = 0;
  *id = 0;
  for (const unsigned char *c = (const unsigned char *)r->context; *c && n + 4 < sizeof name;
       c++) /* the context in a query: letters, digits and -._~ as they are */
    n += (size_t)snprintf(name + n, sizeof name - n,
                          isalnum(*c) || strchr("-._~", *c) ? "%c" : "%%%02X", *c);
  snprintf(url, sizeof url, "%s/repos/%s/commits/%s/check-runs?check_name=%s", g->api, r->repo,
           r->sha, name);
  request(g, r, "GET", url, NULL, a);
  if (!ok2xx(a))
    return 0;
  cJSON *j = a->res.body.data ? cJSON_Parse(a->res.body.data) : NULL, *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "check_runs")) {
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(c, "name");
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(c, "id");
    if (cJSON_IsString(nm) && !strcmp(nm->valuestring, r->context) && cJSON_IsNumber(cid)) {
      *id = (long long)cid->valuedouble;
      break;
    }
  }
  cJSON_Delete(j);
  return 1;
}

/* 1 when two JSON objects have equal strings (or both lack one) under `key`. */
static int same_string(const cJSON *a, const cJSON *b, const char *key) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, key);
  const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, key);
  if (!cJSON_IsString(x) || !cJSON_IsString(y))
    return !cJSON_IsString(x) && !cJSON_IsString(y);
  return !strcmp(x->valuestring, y->valuestring);
}

/* Whether GitHub's newest status of the row's commit and context is the row's own (same
 * state, description and link): *on 1 if so. A server that died between sending a status and
 * recording it leaves the row marked maybe_sent, and this look keeps the restart from sending
 * it twice. 1 when the listing answered 2xx, else 0 with the failing answer in a->res. */
static int status_on_github(struct bg_github_sender *g, const struct bg_outbox_row *r,
                            struct attempt *a, int *on) {
  char url[2048];
  *on = 0;
  snprintf(url, sizeof url, "%s/repos/%s/commits/%s/statuses?per_page=100", g->api, r->repo,
           r->sha);
  request(g, r, "GET", url, NULL, a);
  if (!ok2xx(a))
    return 0;
  cJSON *list = a->res.body.data ? cJSON_Parse(a->res.body.data) : NULL, *st;
  cJSON *mine = cJSON_Parse(r->body);
  cJSON_ArrayForEach(st, list) { /* newest first: the first of the context is its state */
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(st, "context");
    if (!cJSON_IsString(ctx) || strcmp(ctx->valuestring, r->context))
      continue;
    *on = same_string(st, mine, "state") && same_string(st, mine, "description") &&
          same_string(st, mine, "target_url");
    break;
  }
  cJSON_Delete(mine);
  cJSON_Delete(list);
  return 1;
}

/* Marks a status row as being sent (bg_outbox_sending). A mark that cannot be written is
 * logged and the row sent anyway: a restart might then repeat it, which loses nothing. */
static void mark_sending(struct bg_github_sender *g, const struct bg_outbox_row *r) {
  int rc = bg_store_write_begin(g->s);
  if (rc == BG_OK)
    rc = bg_store_write_end(g->s, bg_outbox_sending(g->s, r->id, now_ms() / 1000) == BG_OK);
  if (rc != BG_OK)
    say(g, "error", "github: outbox row %lld: marking it as being sent: %s", r->id,
        bg_store_errmsg(g->s));
}

/* Sends row r; its outcome is a->res (or a->net_rc), with the id to keep in a->created_id. */
static void send_row(struct bg_github_sender *g, const struct bg_outbox_row *r, struct attempt *a) {
  char url[2048];
  long long id = 0;
  if (r->kind == BG_OUTBOX_STATUS) {
    int on = 0;
    if (r->maybe_sent && (!status_on_github(g, r, a, &on) || on))
      return; /* the listing failed (retried later), or GitHub has it: delivered */
    mark_sending(g, r);
    snprintf(url, sizeof url, "%s/repos/%s/statuses/%s", g->api, r->repo, r->sha);
    request(g, r, "POST", url, r->body, a);
    return;
  }
  if (bg_outbox_object_get(g->s, r, &id) != BG_OK) {
    a->net_rc = BG_ENET;
    snprintf(a->res.error, sizeof a->res.error, "database: %s", bg_store_errmsg(g->s));
    return;
  }
  a->edited_stored = id != 0;
  int found = 0;
  if (r->kind == BG_OUTBOX_COMMENT && !id) {
    if (!find_comment(g, r, a, &id))
      return;
    found = id != 0;
  }
  if (r->kind == BG_OUTBOX_CHECK_RUN && !id && !find_check_run(g, r, a, &id))
    return;
  if (r->kind == BG_OUTBOX_CHECK_RUN && id)
    snprintf(url, sizeof url, "%s/repos/%s/check-runs/%lld", g->api, r->repo, id);
  else if (r->kind == BG_OUTBOX_CHECK_RUN)
    snprintf(url, sizeof url, "%s/repos/%s/check-runs", g->api, r->repo);
  else if (id)
    snprintf(url, sizeof url, "%s/repos/%s/issues/comments/%lld", g->api, r->repo, id);
  else
    snprintf(url, sizeof url, "%s/repos/%s/issues/%lld/comments", g->api, r->repo, r->pull_request);
  request(g, r, id ? "PATCH" : "POST", url, r->body, a);
  if (found && refused(a)) {
    /* Someone else's comment carries the marker (anyone may write one): ours is a new one. */
    snprintf(url, sizeof url, "%s/repos/%s/issues/%lld/comments", g->api, r->repo, r->pull_request);
    request(g, r, "POST", url, r->body, a);
    id = 0;
  }
  if (ok2xx(a))
    a->created_id = id ? id : answer_id(&a->res);
}

/* Records the attempt's outcome `j` of row r in one write transaction; the id a POST created
 * (or a comment found by its marker) goes in with the delivery. A PATCH of a kept id that GitHub
 * answers 404 (the comment or check run is gone) forgets the id and tries again at once, creating
 * it. */
static void record(struct bg_github_sender *g, const struct bg_outbox_row *r,
                   const struct attempt *a, const struct bg_github_judgement *j, int gone) {
  long long secs = now_ms() / 1000;
  int rc = bg_store_write_begin(g->s);
  if (rc == BG_OK) {
    if (j->outcome == BG_GITHUB_DELIVERED) {
      rc = bg_outbox_delivered(g->s, r->id, secs);
      if (!rc && a->created_id && r->kind != BG_OUTBOX_STATUS)
        rc = bg_outbox_object_put(g->s, r, a->created_id);
    } else if (gone) {
      rc = bg_outbox_object_put(g->s, r, 0);
      if (!rc)
        rc = bg_outbox_retry(g->s, r->id, j->next_ms, j->error, 1, secs);
    } else if (j->outcome == BG_GITHUB_RETRY) {
      rc = bg_outbox_retry(g->s, r->id, j->next_ms, j->error, 1, secs);
    } else {
      rc = bg_outbox_failed(g->s, r->id, j->error, secs);
    }
    rc = bg_store_write_end(g->s, rc == BG_OK);
  }
  if (rc != BG_OK)
    say(g, "error", "github: outbox row %lld: recording the attempt: %s", r->id,
        bg_store_errmsg(g->s));
}

/* One event line per attempt (outbox_delivery: delivered, retry or failed), and one per
 * rate-limit pause. The message keeps the sentence an operator greps for. */
static void log_outcome(const struct bg_github_sender *g, const struct bg_outbox_row *r,
                        const struct bg_github_judgement *j) {
  static const char *const outcome[] = {"delivered", "retry", "failed"};
  char when[32], msg[1400];
  const char *kind = bg_outbox_kind_name(r->kind);
  msg[0] = '\0';
  if (j->outcome == BG_GITHUB_DELIVERED && r->attempts > 0)
    snprintf(msg, sizeof msg, "github: %s %s@%.7s %s delivered after %d attempts", kind, r->repo,
             r->sha, r->context, r->attempts + 1);
  else if (j->outcome == BG_GITHUB_FAILED)
    snprintf(msg, sizeof msg, "github: %s %s@%.7s %s failed for good (outbox row %lld): %s", kind,
             r->repo, r->sha, r->context, r->id, j->error);
  else if (j->outcome == BG_GITHUB_RETRY && !j->rate_limited) {
    utc(j->next_ms + 999, when);
    snprintf(msg, sizeof msg, "github: %s %s@%.7s %s attempt %d: %s; next attempt at %s", kind,
             r->repo, r->sha, r->context, r->attempts + 1, j->error, when);
  }
  struct bg_log_line l;
  bg_event_begin(g->db, &l, "outbox_delivery");
  bg_log_str(&l, "outcome", outcome[j->outcome]);
  bg_log_int(&l, "row", r->id);
  bg_log_str(&l, "kind", kind);
  bg_log_str(&l, "repo", r->repo);
  bg_log_str(&l, "sha", r->sha);
  bg_log_str(&l, "context", r->context);
  bg_log_int(&l, "attempt", r->attempts + 1);
  if (j->outcome != BG_GITHUB_DELIVERED)
    bg_log_str(&l, "error", j->error);
  bg_log_str(&l, "message", msg[0] ? msg : NULL);
  bg_log_end(&l);
  if (j->rate_limited) {
    utc(j->pause_until_ms + 999, when);
    snprintf(msg, sizeof msg, "github: rate limited; sending resumes at %s", when);
    bg_event_begin(g->db, &l, "github_rate_limited");
    bg_log_str(&l, "resumes_at", when);
    bg_log_str(&l, "message", msg);
    bg_log_end(&l);
  }
}

/* Sends the oldest due row, if any. Returns 1 when it sent one. */
static int deliver_one(struct bg_github_sender *g) {
  struct bg_outbox_row r;
  struct attempt a = {0};
  struct bg_github_judgement j;
  long long now = now_ms();
  int rc = bg_outbox_next_due(g->s, now, BG_GITHUB_HOL_ATTEMPTS, &r);
  if (rc != BG_OK) {
    if (rc != BG_ENOENT)
      say(g, "error", "github: reading the outbox: %s", bg_store_errmsg(g->s));
    return 0;
  }
  bg_github_response_init(&a.res);
  send_row(g, &r, &a);
  if (atomic_load(&g->cancel)) /* stopping: the row stays as it was, for the next start */
    goto out;
  now = now_ms();
  bg_github_judge(&a.res, a.net_rc, r.attempts, now, &g->rng, &j);
  if (!a.net_rc && a.res.status == 401 && bg_github_auth_refused(g->auth, r.repo)) {
    j.outcome = BG_GITHUB_RETRY; /* an App's installation token expired early: a new one */
    j.next_ms = now + 1000LL * (r.attempts + 1); /* not at once, should GitHub keep refusing */
    snprintf(j.error, sizeof j.error, "HTTP 401: the installation token is fetched anew");
  }
  int gone = a.edited_stored && !a.net_rc && a.res.status == 404;
  if (gone) {
    j.outcome = BG_GITHUB_RETRY;
    j.next_ms = now;
    snprintf(j.error, sizeof j.error, "HTTP 404: the %s is gone on GitHub; creating it anew",
             r.kind == BG_OUTBOX_COMMENT ? "comment" : "check run");
  }
  record(g, &r, &a, &j, gone);
  log_outcome(g, &r, &j);
  if (j.pause_until_ms > g->pause_until_ms)
    g->pause_until_ms = j.pause_until_ms;
out:
  bg_github_response_free(&a.res);
  bg_outbox_row_clear(&r);
  return 1;
}

/* Every DEPTH_EVERY_MS: logs the queue's depth once it is past DEPTH_WARN and at each
 * doubling after that; without credentials, notes on new pending rows why they wait. */
static void watch_depth(struct bg_github_sender *g, long long now) {
  long long depth = 0;
  int n;
  if (now - g->depth_at_ms < DEPTH_EVERY_MS)
    return;
  g->depth_at_ms = now;
  if (bg_outbox_depth(g->s, &depth) != BG_OK)
    return;
  if (depth > DEPTH_WARN && depth >= 2 * g->depth_logged) {
    say(g, "warn", "github: %lld outbox rows wait to be sent", depth);
    g->depth_logged = depth;
  } else if (depth <= DEPTH_WARN) {
    g->depth_logged = DEPTH_WARN / 2;
  }
  /* Only when there are rows to note: a server without credentials or rows never writes. */
  if (!bg_github_auth_configured(g->auth) && depth > 0 && depth != g->noted_depth) {
    if (bg_store_write_begin(g->s) == BG_OK) {
      int rc = bg_outbox_note_pending(g->s, NO_CREDENTIALS, now / 1000, &n);
      if (bg_store_write_end(g->s, rc == BG_OK) == BG_OK)
        g->noted_depth = depth;
    }
  }
}

/* Waits up to ms for a stop; returns 1 once stopping. */
static int wait_stop(struct bg_github_sender *g, long long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&g->mu);
  while (!g->stop && pthread_cond_timedwait(&g->cv, &g->mu, &ts) == 0)
    ;
  int stop = g->stop;
  pthread_mutex_unlock(&g->mu);
  return stop;
}

static void *sender_main(void *arg) {
  struct bg_github_sender *g = arg;
  char err[256];
  if (!(g->s = bg_db_thread(g->db, err, sizeof err))) {
    say(g, "error", "github: no database connection: %s", err);
    return NULL;
  }
  g->noted_depth = -1;
  if (!bg_github_auth_configured(g->auth))
    say(g, "warn",
        "github: no credentials configured (--github-token-file or "
        "BENCHGATE_GITHUB_TOKEN): outbox rows are kept, not sent");
  for (;;) {
    int stopping = wait_stop(g, 0);
    long long now = now_ms(), wait = g->poll_ms;
    if (!stopping)
      watch_depth(g, now);
    int sent = bg_github_auth_configured(g->auth) && now >= g->pause_until_ms &&
               !atomic_load(&g->cancel) && deliver_one(g);
    if (stopping && !sent)
      break; /* stopping, and nothing more is due now */
    if (sent)
      continue; /* the next row at once */
    if (g->pause_until_ms > now && g->pause_until_ms - now < wait)
      wait = g->pause_until_ms - now;
    wait_stop(g, wait);
  }
  bg_db_thread_release(g->db);
  return NULL;
}

int bg_github_sender_start(struct bg_db *db, const struct bg_github_sender_config *cfg,
                           struct bg_github_sender **out, char *err, size_t errlen) {
  struct bg_github_sender *g = bg_xcalloc(1, sizeof *g);
  const char *api = cfg->api_url ? cfg->api_url : BG_GITHUB_API_DEFAULT;
  size_t n = strlen(api);
  *out = NULL;
  while (n && api[n - 1] == '/')
    n--;
  g->db = db;
  g->api = bg_xstrndup(api, n);
  g->auth = cfg->auth;
  g->poll_ms = cfg->poll_ms > 0 ? cfg->poll_ms : BG_GITHUB_POLL_MS;
  g->rng = ((uint64_t)now_ms() << 20) ^ (uint64_t)(uintptr_t)g ^ 0x9e3779b97f4a7c15ULL;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  g->http = bg_github_http_open();
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
  if (!g->http || pthread_create(&g->thread, NULL, sender_main, g) != 0) {
    snprintf(err, errlen, "github sender: cannot start its thread");
    bg_github_http_close(g->http);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    free(g->api);
    free(g);
    return BG_EIO;
  }
  *out = g;
  return BG_OK;
}

void bg_github_sender_stop(struct bg_github_sender *g, int grace_ms) {
  if (!g)
    return;
  pthread_mutex_lock(&g->mu);
  g->stop = 1;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += grace_ms / 1000;
  until.tv_nsec += (long)(grace_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  if (pthread_timedjoin_np(g->thread, NULL, &until) != 0) {
    atomic_store(&g->cancel, 1); /* the grace is over: abandon the request in flight */
    pthread_join(g->thread, NULL);
  }
  bg_github_http_close(g->http);
  pthread_mutex_destroy(&g->mu);
  pthread_cond_destroy(&g->cv);
  free(g->api);
  free(g);
}
