/* fuzz_router.c: libFuzzer target for the server's router.
 *
 * Input is "METHOD\npath". The router must answer 200, 404 or 405, never read past its
 * input, and keep path parameters within their bounds and free of '/'. The router reads only
 * the methods and patterns of its table, so the table here has the shapes of benchgated's
 * (api.c, whose handlers need the whole server): literal and parameter segments, several
 * methods on one path, a literal path outside /api/.
 */
#include "router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The router reads a row's method and pattern only. */
#define ROW(method, pattern)                                                                       \
  { method, pattern, BG_ROLE_READ, NULL, BG_ROUTE_BY_ROLE, 0 }

static const struct bg_route table[] = {
    ROW("GET", "/healthz"),
    ROW("GET", "/api/v1/projects"),
    ROW("POST", "/api/v1/projects"),
    ROW("GET", "/api/v1/projects/{p}"),
    ROW("GET", "/api/v1/projects/{p}/runs/{run_id}"),
    ROW("GET", "/api/v1/projects/{p}/commits/{sha}/verdict"),
    ROW("POST", "/api/v1/projects/{p}/alerts/{id}/ack"),
    {0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  char *nl = strchr(text, '\n');
  const char *method = "GET", *path = text;
  if (nl) {
    *nl = '\0';
    method = text;
    path = nl + 1;
  }
  struct bg_route_match m;
  int status = bg_router_match(table, method, path, &m);
  if (status != 200 && status != 404 && status != 405)
    abort();
  if (strlen(m.project) > BG_ROUTER_PARAM_MAX || strlen(m.id) > BG_ROUTER_PARAM_MAX)
    abort();
  if (status == 200 && (strchr(m.project, '/') || strchr(m.id, '/')))
    abort();
  free(text);
  return 0;
}
