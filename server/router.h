/* router.h: matches a request's method and path against a route table.
 *
 * A route table lists every endpoint as one row: method, path pattern, the role it needs and
 * its handler (benchgated's table is bg_api_routes in routes.c, whose dispatcher checks
 * the role and calls the handler). The router reads only the methods and patterns and does
 * no I/O: it finds the row, the path parameters, and for a path that exists with other
 * methods the Allow header of a 405. Paths outside /api/ that no row names are static files
 * of the dashboard.
 */
#ifndef BG_ROUTER_H
#define BG_ROUTER_H

#include "auth.h"

#include <stddef.h>

struct bg_req;

/* How a route's role is checked. The default fits most routes; the others name exceptions. */
enum bg_route_check {
  BG_ROUTE_BY_ROLE = 0, /* a token with the role, on {p} when the pattern has one (else on
                           any project); reads are public unless --private */
  BG_ROUTE_OPEN,        /* nothing is checked, even with --private */
  BG_ROUTE_SIGNED,      /* no token: the handler checks the request's signature (the GitHub
                           webhook's HMAC) before anything else */
  BG_ROUTE_TOKEN,       /* as BG_ROUTE_BY_ROLE, but a token even where reads are public */
  BG_ROUTE_SERVER_WIDE  /* a server-wide token with the role (a pattern without {p}) */
};

struct bg_route {
  const char *method;  /* "GET" (which HEAD matches too), "POST", ...; NULL ends a table */
  const char *pattern; /* "/api/v1/projects/{p}/runs/{run_id}": each {name} is one segment;
                          outside /api/ a pattern is a literal path */
  enum bg_role role;   /* the role a token needs */
  void (*handler)(struct bg_req *req);
  enum bg_route_check check; /* BG_ROUTE_BY_ROLE when a row leaves it out */
  size_t max_body;           /* the largest body it takes; 0 (a row leaves it out): --max-body */
};

#define BG_ROUTER_PARAM_MAX 128
#define BG_ROUTER_ALLOW_MAX 64

struct bg_route_match {
  const struct bg_route *route;          /* the row; NULL for 404, 405 and static files */
  int static_file;                       /* 1: a file of --web */
  char allow[BG_ROUTER_ALLOW_MAX];       /* the methods the path accepts, for 405 and Allow */
  char project[BG_ROUTER_PARAM_MAX + 1]; /* {p}, "" when the route has none */
  char id[BG_ROUTER_PARAM_MAX + 1];      /* the one other parameter ({run_id}, {sha}, {id}), ""
                                            when none */
};

/* Matches `method` ("GET", "HEAD" counts as GET, "POST", ...) and `path` (already
 * percent-decoded, without the query) against `table`. Returns 200 with *m filled (m->route
 * set, or m->static_file for a GET outside /api/ that no row names); 404 when no row has this
 * path under /api/; 405 when the path exists but not with this method (m->allow says which
 * methods it takes). A trailing slash is tolerated on API paths. */
int bg_router_match(const struct bg_route *table, const char *method, const char *path,
                    struct bg_route_match *m);

/* Returns 1 when the matched route reads a request body (the POST routes), 0 otherwise. */
int bg_router_takes_body(const struct bg_route_match *m);

#endif
