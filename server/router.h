/* router.h: maps a request's method and path to an API route and its path parameters.
 *
 * The router knows the API's shape only (no I/O): which paths exist, which methods each
 * accepts (for 405 and its Allow header), and where the {project} and {id} segments are.
 * Paths outside /api/ and /healthz are static files of the dashboard.
 */
#ifndef BG_ROUTER_H
#define BG_ROUTER_H

#include <stddef.h>

enum bg_route {
  BG_ROUTE_NONE = 0,
  BG_ROUTE_HEALTHZ,    /* GET /healthz */
  BG_ROUTE_PROJECTS,   /* GET, POST /api/v1/projects */
  BG_ROUTE_PROJECT,    /* GET /api/v1/projects/{p} */
  BG_ROUTE_RUNS,       /* POST /api/v1/projects/{p}/runs */
  BG_ROUTE_RUN,        /* GET /api/v1/projects/{p}/runs/{run_id} */
  BG_ROUTE_COMMITS,    /* GET /api/v1/projects/{p}/commits */
  BG_ROUTE_COMMIT,     /* GET /api/v1/projects/{p}/commits/{sha} */
  BG_ROUTE_BENCHMARKS, /* GET /api/v1/projects/{p}/benchmarks */
  BG_ROUTE_SERIES,     /* GET /api/v1/projects/{p}/series */
  BG_ROUTE_VERDICT,    /* GET /api/v1/projects/{p}/commits/{sha}/verdict */
  BG_ROUTE_COMPARE,    /* GET /api/v1/projects/{p}/compare */
  BG_ROUTE_ALERTS,     /* GET /api/v1/projects/{p}/alerts */
  BG_ROUTE_ALERT_ACK,  /* POST /api/v1/projects/{p}/alerts/{id}/ack */
  BG_ROUTE_ACCESS,     /* GET /api/v1/projects/{p}/access */
  BG_ROUTE_STATIC      /* GET anything else outside /api/: a file of --web */
};

#define BG_ROUTER_PARAM_MAX 128

struct bg_route_match {
  enum bg_route route;
  const char *allow;                     /* the methods the path accepts, for 405 and Allow */
  char project[BG_ROUTER_PARAM_MAX + 1]; /* {p}, "" when the route has none */
  char id[BG_ROUTER_PARAM_MAX + 1];      /* {run_id}, {sha} or {id}, "" when none */
};

/* Matches `method` ("GET", "HEAD" counts as GET, "POST", ...) and `path` (already
 * percent-decoded, without the query). Returns 200 with *m filled; 404 when no route has
 * this path (m->route is BG_ROUTE_NONE); 405 when the path exists but not with this method
 * (m->route and m->allow are set). A trailing slash is tolerated on API paths. */
int bg_router_match(const char *method, const char *path, struct bg_route_match *m);

/* Returns 1 when the route reads a request body (POST routes), 0 otherwise. */
int bg_router_takes_body(enum bg_route route, const char *method);

#endif
