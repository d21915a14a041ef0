/* router.c: maps a request's method and path to an API route and its path parameters.
 *
 * API paths are split into at most eight segments and compared with a small table of
 * patterns, "*" standing for a parameter. Anything not under /api/ is a static file.
 */
#include "router.h"

#include <stdio.h>
#include <string.h>

enum { M_GET = 1, M_POST = 2 };

static const struct {
  enum bg_route route;
  const char *pattern; /* segments after /api/v1, '*' for a parameter */
  int methods;
  const char *allow;
} routes[] = {
    {BG_ROUTE_PROJECTS, "projects", M_GET | M_POST, "GET, HEAD, POST"},
    {BG_ROUTE_PROJECT, "projects/*", M_GET, "GET, HEAD"},
    {BG_ROUTE_RUNS, "projects/*/runs", M_POST, "POST"},
    {BG_ROUTE_RUN, "projects/*/runs/*", M_GET, "GET, HEAD"},
    {BG_ROUTE_COMMITS, "projects/*/commits", M_GET, "GET, HEAD"},
    {BG_ROUTE_COMMIT, "projects/*/commits/*", M_GET, "GET, HEAD"},
    {BG_ROUTE_BENCHMARKS, "projects/*/benchmarks", M_GET, "GET, HEAD"},
    {BG_ROUTE_SERIES, "projects/*/series", M_GET, "GET, HEAD"},
    {BG_ROUTE_VERDICT, "projects/*/commits/*/verdict", M_GET, "GET, HEAD"},
    {BG_ROUTE_COMPARE, "projects/*/compare", M_GET, "GET, HEAD"},
    {BG_ROUTE_ALERTS, "projects/*/alerts", M_GET, "GET, HEAD"},
    {BG_ROUTE_ALERT_ACK, "projects/*/alerts/*/ack", M_POST, "POST"},
    {BG_ROUTE_ACCESS, "projects/*/access", M_GET, "GET, HEAD"},
};

#define MAX_SEGS 8

static int method_bit(const char *method) {
  if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
    return M_GET;
  if (!strcmp(method, "POST"))
    return M_POST;
  return 0;
}

/* Splits `path` (after the /api/v1/ prefix) into segments of at most BG_ROUTER_PARAM_MAX
 * bytes. Returns the count, or -1 for too many, empty or too long segments. */
static int split(const char *path, const char *seg[MAX_SEGS], size_t len[MAX_SEGS]) {
  int n = 0;
  const char *p = path;
  size_t total = strlen(path);
  if (total && path[total - 1] == '/')
    total--; /* tolerate one trailing slash */
  const char *end = path + total;
  while (p < end) {
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *stop = slash ? slash : end;
    if (n == MAX_SEGS || stop == p || (size_t)(stop - p) > BG_ROUTER_PARAM_MAX)
      return -1;
    seg[n] = p;
    len[n++] = (size_t)(stop - p);
    p = slash ? slash + 1 : end;
  }
  return n;
}

static int matches(const char *pattern, const char *seg[], const size_t len[], int n) {
  int i = 0;
  for (const char *p = pattern; *p; i++) {
    const char *slash = strchr(p, '/');
    size_t plen = slash ? (size_t)(slash - p) : strlen(p);
    if (i >= n)
      return 0;
    if (!(plen == 1 && p[0] == '*') && (plen != len[i] || memcmp(p, seg[i], plen) != 0))
      return 0;
    p += plen + (slash ? 1 : 0);
  }
  return i == n;
}

int bg_router_match(const char *method, const char *path, struct bg_route_match *m) {
  memset(m, 0, sizeof *m);
  int bit = method_bit(method);
  if (!strcmp(path, "/healthz")) {
    m->route = BG_ROUTE_HEALTHZ;
    m->allow = "GET, HEAD";
    return bit == M_GET ? 200 : 405;
  }
  if (strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0) {
    m->route = BG_ROUTE_STATIC;
    m->allow = "GET, HEAD";
    return bit == M_GET ? 200 : 405;
  }
  if (strncmp(path, "/api/v1/", 8) != 0)
    return 404;
  const char *seg[MAX_SEGS];
  size_t len[MAX_SEGS];
  int n = split(path + 8, seg, len);
  if (n <= 0)
    return 404;
  for (size_t r = 0; r < sizeof routes / sizeof *routes; r++) {
    if (!matches(routes[r].pattern, seg, len, n))
      continue;
    m->route = routes[r].route;
    m->allow = routes[r].allow;
    if (n >= 2)
      snprintf(m->project, sizeof m->project, "%.*s", (int)len[1], seg[1]);
    if (n >= 4)
      snprintf(m->id, sizeof m->id, "%.*s", (int)len[3], seg[3]);
    return (routes[r].methods & bit) ? 200 : 405;
  }
  return 404;
}

int bg_router_takes_body(enum bg_route route, const char *method) {
  return !strcmp(method, "POST") &&
         (route == BG_ROUTE_PROJECTS || route == BG_ROUTE_RUNS || route == BG_ROUTE_ALERT_ACK);
}
