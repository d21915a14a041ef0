/* api.c: what the REST handlers share: errors, authorization, project lookup, dispatch. */
#include "api.h"

#include "valid.h"

#include <ctype.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void bg_api_error(struct bg_req *req, int status, const char *code, const char *field,
                  const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  req->status = status;
  bg_buf_reset(&req->out);
  bg_buf_puts(&req->out, "{\"error\":{\"code\":");
  bg_json_str(&req->out, code);
  bg_buf_puts(&req->out, ",\"message\":");
  bg_json_str(&req->out, msg);
  if (field) {
    bg_buf_puts(&req->out, ",\"field\":");
    bg_json_str(&req->out, field);
  }
  bg_buf_puts(&req->out, "}}");
}

const char *bg_api_query(struct bg_req *req, const char *name) {
  return req->conn ? MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

const char *bg_api_header(struct bg_req *req, const char *name) {
  return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

void bg_api_store_error(struct bg_req *req, int rc) {
  if (rc == BG_EDB) {
    fprintf(stderr, "benchgated: database error: %s\n", bg_store_errmsg(req->store));
    bg_api_error(req, 500, "database_error", NULL, "the database failed; see the server log");
  } else if (rc == BG_ENOENT) {
    bg_api_error(req, 404, "not_found", NULL, "not found");
  } else {
    bg_api_error(req, 500, "internal_error", NULL, "%s", bg_strerror(rc));
  }
}

/* Verifies the bearer token when the route needs one (or one is sent). Returns 1 with *who
 * filled, or with *anon set for a public read without a token; otherwise answers 401/500 and
 * returns 0. Nothing about a project is looked up before this. */
static int authenticate(struct bg_req *req, enum bg_role need, struct bg_principal *who,
                        int *anon) {
  const char *h = bg_api_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
  *anon = 0;
  if (need == BG_ROLE_READ && !req->cfg->private_reads && !h) {
    *anon = 1;
    return 1;
  }
  int rc = bg_auth_verify(req->store, h, who);
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

/* Checks an authenticated token's role and project for project_id (0: about no project in
 * particular, only the role counts). Returns 1, or answers 403 and returns 0. */
static int permit(struct bg_req *req, const struct bg_principal *who, long long project_id,
                  enum bg_role need) {
  if (bg_auth_check(who, project_id ? project_id : who->project_id, need) == BG_OK)
    return 1;
  if (who->project_id && who->project_id != project_id)
    bg_api_error(req, 403, "forbidden", NULL, "the token belongs to another project");
  else
    bg_api_error(req, 403, "forbidden", NULL, "this needs the %s role; the token has %s",
                 bg_role_name(need), bg_role_name(who->role));
  return 0;
}

int bg_api_authorize(struct bg_req *req, long long project_id, enum bg_role need,
                     struct bg_principal *who) {
  struct bg_principal local;
  int anon;
  if (!who)
    who = &local;
  if (!authenticate(req, need, who, &anon))
    return 0;
  return anon || permit(req, who, project_id, need);
}

int bg_api_project_access(struct bg_req *req, enum bg_role need, struct bg_project *p,
                          struct bg_principal *who) {
  struct bg_principal local;
  int anon;
  if (!who)
    who = &local;
  if (!authenticate(req, need, who, &anon))
    return 0;
  const char *slug = req->match->project;
  int rc = bg_valid_project(slug) ? bg_store_project_get(req->store, slug, p) : BG_ENOENT;
  if (rc == BG_ENOENT && !anon && who->project_id) {
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
  return anon || permit(req, who, p->id, need);
}

int bg_api_commit_sha(struct bg_req *req, const struct bg_project *p, const char *text,
                      const char *param, char sha[65]) {
  char prefix[65], other[65] = "";
  size_t n = text ? strlen(text) : 0;
  int hex = n >= BG_API_SHA_PREFIX_MIN && n <= 64;
  for (size_t i = 0; hex && i < n; i++) {
    char c = (char)tolower((unsigned char)text[i]);
    hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    prefix[i] = c;
  }
  if (!hex) {
    if (param)
      bg_api_error(req, 400, "invalid_param", param,
                   "required: a commit sha or a unique prefix of it (7 to 64 hex digits)");
    else
      bg_api_error(req, 404, "commit_not_found", NULL, "no commit %.64s in project %s",
                   text ? text : "", p->slug);
    return 0;
  }
  prefix[n] = '\0';
  int rc = bg_store_commit_resolve(req->store, p->id, prefix, sha, 65, other, sizeof other);
  if (rc == BG_ENOENT)
    bg_api_error(req, 404, "commit_not_found", param ? param : "sha", "no commit %s in project %s",
                 prefix, p->slug);
  else if (rc == BG_ECONFLICT)
    bg_api_error(req, 409, "ambiguous_commit", param ? param : "sha",
                 "%s names several commits (%s, %s, ...): give more digits", prefix, sha, other);
  else if (rc)
    bg_api_store_error(req, rc);
  return rc == BG_OK;
}

void bg_api_healthz(struct bg_req *req) {
  if (bg_store_ping(req->store) != BG_OK) {
    fprintf(stderr, "benchgated: health check: %s\n", bg_store_errmsg(req->store));
    bg_api_error(req, 503, "database_unavailable", NULL, "the database does not answer");
    return;
  }
  req->status = 200;
  bg_buf_puts(&req->out, "{\"status\":\"ok\",\"database\":\"ok\"}");
}

void bg_api_handle(struct bg_req *req) {
  int post = !strcmp(req->method, "POST");
  switch (req->match->route) {
  case BG_ROUTE_HEALTHZ:
    bg_api_healthz(req);
    break;
  case BG_ROUTE_PROJECTS:
    if (post)
      bg_api_projects_create(req);
    else
      bg_api_projects_list(req);
    break;
  case BG_ROUTE_PROJECT:
    bg_api_project_get(req);
    break;
  case BG_ROUTE_RUNS:
    bg_api_runs_post(req);
    break;
  case BG_ROUTE_RUN:
    bg_api_run_get(req);
    break;
  case BG_ROUTE_COMMITS:
    bg_api_commits(req);
    break;
  case BG_ROUTE_COMMIT:
    bg_api_commit(req);
    break;
  case BG_ROUTE_BENCHMARKS:
    bg_api_benchmarks(req);
    break;
  case BG_ROUTE_SERIES:
    bg_api_series(req);
    break;
  case BG_ROUTE_VERDICT:
    bg_api_verdict(req);
    break;
  case BG_ROUTE_COMPARE:
    bg_api_compare(req);
    break;
  case BG_ROUTE_ALERTS:
    bg_api_alerts(req);
    break;
  case BG_ROUTE_ALERT_ACK:
    bg_api_alert_ack(req);
    break;
  case BG_ROUTE_ACCESS:
    bg_api_access(req);
    break;
  default:
    bg_api_error(req, 404, "not_found", NULL, "no such endpoint");
    break;
  }
}
