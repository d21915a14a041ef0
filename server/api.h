/* api.h: the REST handlers of /api/v1 and what they share.
 *
 * http.c collects a request (method, route, body) into a struct bg_req, calls one handler,
 * and sends req->status with req->out as the JSON body. Handlers never touch the socket;
 * they read query parameters and headers through bg_api_query/bg_api_header, and answer
 * errors in the one shape {"error":{"code","message","field"?}} with bg_api_error.
 */
#ifndef BG_API_H
#define BG_API_H

#include "auth.h"
#include "buf.h"
#include "router.h"
#include "store.h"

#include <stddef.h>

struct MHD_Connection;

/* What every handler needs from the server's configuration. */
struct bg_api_config {
  int private_reads; /* --private: reads need a token too */
  size_t max_body;   /* --max-body */
};

struct bg_req {
  struct MHD_Connection *conn; /* NULL in tests that fill query/header themselves */
  const struct bg_api_config *cfg;
  struct bg_store *store;
  const char *method;
  const struct bg_route_match *match;
  const char *body; /* NUL-terminated, body_len bytes; "" when none */
  size_t body_len;
  int status;         /* set by the handler */
  struct bg_buf out;  /* JSON answer, set by the handler */
  char location[256]; /* Location header for a 201; "" for none */
};

/* Sets req->status and replaces req->out with an error object. field may be NULL. */
void bg_api_error(struct bg_req *req, int status, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A query parameter (URL-decoded) or request header; NULL when absent. */
const char *bg_api_query(struct bg_req *req, const char *name);
const char *bg_api_header(struct bg_req *req, const char *name);

/* Dispatches to the handler of req->match->route. */
void bg_api_handle(struct bg_req *req);

/* The handlers, one per route (api_projects.c, api_runs.c, api_reads.c, api_gate.c). */
void bg_api_healthz(struct bg_req *req);
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
/* api_access.c: the calling token's role on {p} and whether it may upload there; 401 (no,
 * unknown or revoked token) before the project is looked up, then 404 or 403. */
void bg_api_access(struct bg_req *req);

/* Authenticates the request for `need` on project_id (0: about no project in particular,
 * so any token's project will do; -1: a server-wide act only server-wide tokens may do,
 * such as creating a project). Returns 1 when allowed (who filled when not NULL and a token
 * was checked); otherwise answers 401/403/500 and returns 0. Reads (need == BG_ROLE_READ)
 * are allowed without a token unless --private. */
int bg_api_authorize(struct bg_req *req, long long project_id, enum bg_role need,
                     struct bg_principal *who);

/* Access to the route's project, in this order: the token is verified first (401 when the
 * route needs one and it is missing, unknown or revoked), then the project is loaded into *p
 * (404; 403 instead for a token bound to another project, so that a token learns nothing of
 * projects it cannot see), then the token's role and project are checked (403). Reads are
 * public unless --private, as bg_api_authorize. Returns 1 when allowed; otherwise the
 * answer is set and it returns 0. who (may be NULL) is filled when a token was checked. */
int bg_api_project_access(struct bg_req *req, enum bg_role need, struct bg_project *p,
                          struct bg_principal *who);

#define BG_API_SHA_PREFIX_MIN 7

/* Resolves a commit named by `text`, a full sha or a unique prefix of at least 7 hex digits
 * (either case), to its full sha in sha[65]. Returns 1; otherwise answers and returns 0:
 * 400 naming `param` for text that is not 7-64 hex digits (404 when param is NULL: a path
 * segment), 404 commit_not_found for no such commit, 409 ambiguous_commit when several
 * commits start with it (the message names two), 500. */
int bg_api_commit_sha(struct bg_req *req, const struct bg_project *p, const char *text,
                      const char *param, char sha[65]);

/* Answers a store failure: BG_EDB as 500 with the store's message logged, others mapped. */
void bg_api_store_error(struct bg_req *req, int rc);

#endif
