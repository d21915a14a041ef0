/* router.c: matches a request's method and path against a route table.
 *
 * An API path is split into at most ten segments, which are compared with each row's
 * pattern, "{name}" standing for any one segment. Every row whose pattern fits contributes
 * its method to the Allow header; the first whose method fits is the route. A path outside
 * /api/ is compared literally, and is a static file when no row names it.
 */
#include "router.h"

#include <stdio.h>
#include <string.h>

#define MAX_SEGS 10

static int is_api(const char *path) {
  return !strncmp(path, "/api/", 5) || !strcmp(path, "/api");
}

/* Splits `path` (without its leading '/') into segments of at most BG_ROUTER_PARAM_MAX
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

/* Compares the segments with `pattern` ("/api/v1/projects/{p}"). When they fit and m is not
 * NULL, copies the parameters: {p} into m->project, any other into m->id. */
static int fits(const char *pattern, const char *seg[], const size_t len[], int n,
                struct bg_route_match *m) {
  int i = 0;
  for (const char *p = pattern + 1; *p; i++) {
    const char *slash = strchr(p, '/');
    size_t plen = slash ? (size_t)(slash - p) : strlen(p);
    int param = plen >= 2 && p[0] == '{' && p[plen - 1] == '}';
    if (i >= n || (!param && (plen != len[i] || memcmp(p, seg[i], plen) != 0)))
      return 0;
    if (param && m) {
      int project = plen == 3 && p[1] == 'p';
      char *to = project ? m->project : m->id;
      snprintf(to, BG_ROUTER_PARAM_MAX + 1, "%.*s", (int)len[i], seg[i]);
    }
    p += plen + (slash ? 1 : 0);
  }
  return i == n;
}

static int method_fits(const char *row, const char *method) {
  return !strcmp(row, method) || (!strcmp(row, "GET") && !strcmp(method, "HEAD"));
}

/* Appends a row's method to m->allow, GET with HEAD. */
static void allow(struct bg_route_match *m, const char *method) {
  size_t n = strlen(m->allow);
  snprintf(m->allow + n, sizeof m->allow - n, "%s%s%s", n ? ", " : "", method,
           strcmp(method, "GET") ? "" : ", HEAD");
}

int bg_router_match(const struct bg_route *table, const char *method, const char *path,
                    struct bg_route_match *m) {
  memset(m, 0, sizeof *m);
  int api = is_api(path);
  const char *seg[MAX_SEGS];
  size_t len[MAX_SEGS];
  int n = api ? split(path + 1, seg, len) : 0;
  if (n < 0)
    return 404;
  const struct bg_route *first = NULL;
  for (const struct bg_route *r = table; r->method; r++) {
    if (api ? !fits(r->pattern, seg, len, n, NULL) : strcmp(r->pattern, path) != 0)
      continue;
    allow(m, r->method);
    if (!first)
      first = r;
    if (!m->route && method_fits(r->method, method))
      m->route = r;
  }
  if (api && (m->route || first))
    fits((m->route ? m->route : first)->pattern, seg, len, n, m);
  if (m->route)
    return 200;
  if (first)
    return 405;
  if (api)
    return 404;
  m->static_file = 1;
  snprintf(m->allow, sizeof m->allow, "GET, HEAD");
  return method_fits("GET", method) ? 200 : 405;
}

int bg_router_takes_body(const struct bg_route_match *m) {
  return m->route && !strcmp(m->route->method, "POST");
}
