/* routes.c: every endpoint of benchgated and the dispatcher that checks a route's access
 * (token, project, role) before its handler runs (routes.h). It sits above the handlers
 * (api_*.c), which sit above what they share (api.c). */
#include "routes.h"

#include "metrics.h"
#include "valid.h"

#include <microhttpd.h>
#include <stdio.h>

/* Verifies the bearer token into req->who, unless `public_read` lets a request without one
 * through (then *anon is set). Returns 1, or answers 401/500 and returns 0. Nothing about a
 * project is looked up before this. */
static int authenticate(struct bg_req *req, int public_read, int *anon) {
  const char *h = bg_api_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
  *anon = 0;
  if (public_read && !h) {
    *anon = 1;
    return 1;
  }
  int rc = bg_auth_verify(req->store, h, &req->who);
  if (rc == BG_EAUTH) {
    bg_api_error(req, 401, "unauthorized", NULL,
                 h ? "unknown or revoked token" : "this needs a token: Authorization: Bearer ...");
    return 0;
  }
  if (rc) {
    bg_api_store_error(req, rc);
    return 0;
  }
  return 1;
}

/* Checks the authenticated token's role and project for project_id (0: about no project in
 * particular, only the role counts; -1: server-wide, no project token fits). Returns 1, or
 * answers 403 and returns 0. */
static int permit(struct bg_req *req, long long project_id, enum bg_role need) {
  const struct bg_principal *who = &req->who;
  if (bg_auth_check(who, project_id ? project_id : who->project_id, need) == BG_OK)
    return 1;
  if (who->project_id && who->project_id != project_id)
    bg_api_error(req, 403, "forbidden", NULL, "the token belongs to another project");
  else
    bg_api_error(req, 403, "forbidden", NULL, "this needs the %s role; the token has %s",
                 bg_role_name(need), bg_role_name(who->role));
  return 0;
}

/* Loads the route's project {p} into req->project once the token is verified, then checks
 * the token on it. Returns 1, or answers 404/403/500 and returns 0. */
static int project_access(struct bg_req *req, enum bg_role need, int anon) {
  const char *slug = req->match->project;
  struct bg_project *p = &req->project;
  int rc = bg_valid_project(slug) ? bg_store_project_get(req->store, slug, p) : BG_ENOENT;
  if (rc == BG_ENOENT && !anon && req->who.project_id) {
    /* A token of one project learns nothing about which other projects exist. */
    bg_api_error(req, 403, "forbidden", NULL, "the token belongs to another project");
    return 0;
  }
  if (rc == BG_ENOENT) {
    bg_api_error(req, 404, "project_not_found", NULL, "no project '%.64s'", slug);
    return 0;
  }
  if (rc) {
    bg_api_store_error(req, rc);
    return 0;
  }
  return anon || permit(req, p->id, need);
}

/* The access the route needs (see bg_api_handle). Returns 1 when allowed; otherwise the
 * answer is set and it returns 0. */
static int route_access(struct bg_req *req, const struct bg_route *r) {
  int anon;
  if (r->check == BG_ROUTE_OPEN || r->check == BG_ROUTE_SIGNED)
    return 1;
  int public_read =
      r->role == BG_ROLE_READ && !req->cfg->private_reads && r->check != BG_ROUTE_TOKEN;
  if (!authenticate(req, public_read, &anon))
    return 0;
  if (req->match->project[0]) /* the pattern has {p}, which matches no empty segment */
    return project_access(req, r->role, anon);
  /* A route without {p}: about no project in particular, or a server-wide act such as
   * creating a project, which no project's token may do. */
  return anon || permit(req, r->check == BG_ROUTE_SERVER_WIDE ? -1 : 0, r->role);
}

/* Every endpoint of benchgated, one row each: method, path pattern ({name} is one path
 * segment), the role a token needs and the handler. bg_api_handle checks the row's access
 * before its handler runs, so adding an endpoint is a row here and its handler (declared in
 * api.h). The access is checked by the role (BG_ROUTE_BY_ROLE: reads are public unless
 * --private, otherwise a token with the role, on {p} when the pattern has one) unless the
 * row's .check says otherwise. A row's .max_body, when set, is the largest body it takes in
 * place of --max-body (http.c answers 413 beyond it). A 405's Allow header lists the methods
 * of the rows that share its path. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* .check: by role, .max_body: 0 */
const struct bg_route bg_api_routes[] = {
    /* clang-format off */
    {"GET",  "/healthz",                                   BG_ROLE_READ,  bg_api_healthz,
     .check = BG_ROUTE_OPEN},
    {"GET",  "/readyz",                                    BG_ROLE_READ,  bg_api_readyz,
     .check = BG_ROUTE_OPEN},
    {"GET",  "/metrics",                                   BG_ROLE_READ,  bg_api_metrics},
    {"GET",  "/api/v1/projects",                           BG_ROLE_READ,  bg_api_projects_list},
    {"POST", "/api/v1/projects",                           BG_ROLE_ADMIN, bg_api_projects_create,
     .check = BG_ROUTE_SERVER_WIDE},
    {"GET",  "/api/v1/projects/{p}",                       BG_ROLE_READ,  bg_api_project_get},
    {"POST", "/api/v1/projects/{p}/runs",                  BG_ROLE_AGENT, bg_api_runs_post},
    {"GET",  "/api/v1/projects/{p}/runs/{run_id}",         BG_ROLE_READ,  bg_api_run_get},
    {"GET",  "/api/v1/projects/{p}/commits",               BG_ROLE_READ,  bg_api_commits},
    {"GET",  "/api/v1/projects/{p}/commits/{sha}",         BG_ROLE_READ,  bg_api_commit},
    {"GET",  "/api/v1/projects/{p}/commits/{sha}/verdict", BG_ROLE_READ,  bg_api_verdict},
    {"GET",  "/api/v1/projects/{p}/benchmarks",            BG_ROLE_READ,  bg_api_benchmarks},
    {"GET",  "/api/v1/projects/{p}/series",                BG_ROLE_READ,  bg_api_series},
    {"GET",  "/api/v1/projects/{p}/badge.svg",             BG_ROLE_READ,  bg_api_badge_svg},
    {"GET",  "/api/v1/projects/{p}/trend.svg",             BG_ROLE_READ,  bg_api_trend_svg},
    {"GET",  "/api/v1/projects/{p}/compare",               BG_ROLE_READ,  bg_api_compare},
    {"GET",  "/api/v1/projects/{p}/alerts",                BG_ROLE_READ,  bg_api_alerts},
    {"POST", "/api/v1/projects/{p}/alerts/{id}/ack",       BG_ROLE_ADMIN, bg_api_alert_ack},
    {"POST", "/api/v1/projects/{p}/jobs",                  BG_ROLE_CI,    bg_api_jobs_post},
    {"GET",  "/api/v1/projects/{p}/jobs",                  BG_ROLE_READ,  bg_api_jobs_list},
    {"GET",  "/api/v1/jobs/{id}",                          BG_ROLE_READ,  bg_api_job_get},
    {"POST", "/api/v1/jobs/{id}/heartbeat",                BG_ROLE_AGENT, bg_api_job_heartbeat},
    {"POST", "/api/v1/jobs/{id}/fail",                     BG_ROLE_AGENT, bg_api_job_fail},
    {"POST", "/api/v1/agents/lease",                       BG_ROLE_AGENT, bg_api_agents_lease},
    {"GET",  "/api/v1/agents",                             BG_ROLE_READ,  bg_api_agents_list},
    {"GET",  "/api/v1/outbox",                             BG_ROLE_ADMIN, bg_api_outbox,
     .check = BG_ROUTE_SERVER_WIDE},
    {"GET",  "/api/v1/projects/{p}/access",                BG_ROLE_READ,  bg_api_access,
     .check = BG_ROUTE_TOKEN},
    {"POST", "/api/v1/github/webhook",                     BG_ROLE_READ,  bg_api_github_webhook,
     .check = BG_ROUTE_SIGNED, .max_body = BG_API_WEBHOOK_MAX_BODY},
    {0}, /* the end */
    /* clang-format on */
};
#pragma GCC diagnostic pop

int bg_api_authorize(struct bg_req *req) {
  const struct bg_route *r = req->match->route;
  req->who = (struct bg_principal){0, 0, BG_ROLE_READ, ""}; /* no token until one is checked */
  if (!r) {
    bg_api_error(req, 404, "not_found", NULL, "no such endpoint");
    return 0;
  }
  return route_access(req, r);
}

void bg_api_handle(struct bg_req *req) {
  const struct bg_route *r = req->match->route;
  if (!bg_api_authorize(req))
    return;
  r->handler(req);
  if (r->handler == bg_api_runs_post && req->status == 201) /* 200 is a replay, not a new run */
    bg_metrics_run_ingested(req->cfg->metrics);
}
