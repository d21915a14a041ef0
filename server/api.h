/* api.h: the REST handlers of /api/v1 and what they share.
 *
 * http.c matches a request against bg_api_routes (routes.h, with router.c), collects it
 * (route, body) into a struct bg_req and calls bg_api_handle, which checks the route's role
 * and calls its handler; then it sends req->status with req->out as the body: JSON, unless
 * the handler set another req->content_type (and an ETag, with bg_api_cacheable).
 * Handlers never touch the socket; they read query parameters and headers through
 * bg_api_query/bg_api_header, and answer errors in the one shape
 * {"error":{"code","message","field"?}} with bg_api_error.
 *
 * A handler that waits for something (a lease for a job) does not block: it answers nothing
 * and sets req->park_ms, and http.c parks the request (park.h) and calls the handler again
 * once woken or after that time, with req->waited_ms since its first call. A handler whose
 * work may end such a wait (a job enqueued) sets req->wake_parked.
 */
#ifndef BG_API_H
#define BG_API_H

#include "auth.h"
#include "buf.h"
#include "log.h"
#include "router.h"
#include "store.h"

#include <stddef.h>

struct MHD_Connection;
struct bg_metrics;

/* What every handler needs from the server's configuration. */
struct bg_api_config {
  int private_reads; /* --private: reads need a token too */
  size_t max_body;   /* --max-body */
  int max_uploads;   /* --max-uploads: uploads handled at once; more get 503 (0: no cap) */
  int job_lease_s;   /* --job-lease: a job's lease lasts this long past its last heartbeat */
  /* The webhook secret (--webhook-secret-file, BENCHGATE_WEBHOOK_SECRET); NULL: webhooks
   * are off. Never logged, answered or stored. */
  const unsigned char *webhook_secret;
  size_t webhook_secret_len;
  struct bg_metrics *metrics;    /* the server's counters (metrics.h); NULL: none kept */
  enum bg_log_format log_format; /* --log-format, for the handlers' own log lines */
};

struct bg_req {
  struct MHD_Connection *conn; /* NULL in tests that fill query/header themselves */
  const struct bg_api_config *cfg;
  struct bg_store *store;
  const struct bg_route_match *match;
  struct bg_project project; /* the route's {p}, loaded by bg_api_handle before the handler */
  struct bg_principal who;   /* the token bg_api_handle checked; all zero (read) for none */
  const char *body;          /* NUL-terminated, body_len bytes; "" when none */
  size_t body_len;
  int status;               /* set by the handler */
  struct bg_buf out;        /* JSON answer, set by the handler */
  char location[256];       /* Location header for a 201; "" for none */
  const char *content_type; /* the answer's type (a static string); NULL: application/json */
  char etag[48];            /* ETag header, set by bg_api_cacheable; "" for none */
  char retry_after[16];     /* Retry-After header (seconds) of a 503 or 429; "" for none */
  /* Waiting without a thread (http.c parks the connection). In: */
  long long waited_ms; /* since the handler's first call for this request; 0 on the first */
  int park_ok;         /* 1: the handler may park; 0: it must answer (the server stops, or
                          as many requests as allowed are parked) */
  /* Out: */
  long long park_ms; /* > 0: no answer yet; call the handler again at the latest this many
                        ms from now, or when woken (req->status and req->out are dropped) */
  int wake_parked;   /* 1: every parked request looks again (its handler is called again) */
};

/* Sets req->status and replaces req->out with an error object. field may be NULL. */
void bg_api_error(struct bg_req *req, int status, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A query parameter (URL-decoded) or request header; NULL when absent. */
const char *bg_api_query(struct bg_req *req, const char *name);
const char *bg_api_header(struct bg_req *req, const char *name);

/* The handlers, one per row of bg_api_routes (api_health.c, api_projects.c, api_runs.c,
 * api_reads.c, api_gate.c, api_jobs.c, api_access.c, api_github.c, api_svg.c). They run once the
 * access is checked, with req->project loaded for the routes with {p}. */
void bg_api_healthz(struct bg_req *req);
void bg_api_readyz(struct bg_req *req);  /* api_health.c: the database takes writes */
void bg_api_metrics(struct bg_req *req); /* api_health.c: Prometheus text */
void bg_api_projects_list(struct bg_req *req);
void bg_api_projects_create(struct bg_req *req);
void bg_api_project_get(struct bg_req *req);
void bg_api_runs_post(struct bg_req *req);
void bg_api_run_get(struct bg_req *req);
void bg_api_commits(struct bg_req *req);
void bg_api_commit(struct bg_req *req);
void bg_api_benchmarks(struct bg_req *req);
void bg_api_series(struct bg_req *req);
void bg_api_verdict(struct bg_req *req); /* api_gate.c */
void bg_api_compare(struct bg_req *req);
void bg_api_alerts(struct bg_req *req);
void bg_api_alert_ack(struct bg_req *req);
/* api_jobs.c: the job queue (enqueue, list, one job, lease, heartbeat, fail, agents). */
void bg_api_jobs_post(struct bg_req *req);
void bg_api_jobs_list(struct bg_req *req);
void bg_api_job_get(struct bg_req *req);
void bg_api_job_heartbeat(struct bg_req *req);
void bg_api_job_fail(struct bg_req *req);
void bg_api_agents_lease(struct bg_req *req);
void bg_api_agents_list(struct bg_req *req);
/* api_outbox.c: the outbox's pending and failed writes to GitHub (server-wide admin). */
void bg_api_outbox(struct bg_req *req);
/* api_access.c: the calling token's role on {p} and whether it may upload there. */
void bg_api_access(struct bg_req *req);
/* api_github.c: GitHub's webhook deliveries (push, pull_request), signed with the secret. */
void bg_api_github_webhook(struct bg_req *req);
/* api_svg.c: images to embed: the default branch's verdict badge and a series' trend chart. */
void bg_api_badge_svg(struct bg_req *req);
void bg_api_trend_svg(struct bg_req *req);

/* The largest webhook delivery taken (GitHub sends at most 25 MB). */
#define BG_API_WEBHOOK_MAX_BODY ((size_t)25 * 1024 * 1024)
/* The most webhook deliveries handled at once; more are answered 503 webhooks_busy at once,
 * so that deliveries never hold every worker thread while uploads wait. */
#define BG_API_WEBHOOK_CONCURRENT 2

#define BG_API_SHA_PREFIX_MIN 7

/* Resolves a commit named by `text`, a full sha or a unique prefix of at least 7 hex digits
 * (either case), to its full sha in sha[65]. Returns 1; otherwise answers and returns 0:
 * 400 naming `param` for text that is not 7-64 hex digits (404 when param is NULL: a path
 * segment), 404 commit_not_found for no such commit, 409 ambiguous_commit when several
 * commits start with it (the message names two), 500. */
int bg_api_commit_sha(struct bg_req *req, const struct bg_project *p, const char *text,
                      const char *param, char sha[65]);

/* Makes req->out, a 200 answer of type `content_type` (a static string), one a client may
 * cache and revalidate: sets req->etag to a hash of its bytes and, when the request's
 * If-None-Match names that ETag (or is "*"), answers 304 with no body instead. */
void bg_api_cacheable(struct bg_req *req, const char *content_type);

/* Answers a store failure: BG_EDB as 500 with the store's message logged, others mapped. */
void bg_api_store_error(struct bg_req *req, int rc);

#endif
