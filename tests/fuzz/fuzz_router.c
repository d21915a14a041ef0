/* fuzz_router.c: libFuzzer target for the server's router.
 *
 * Input is "METHOD\npath". The router must answer 200, 404 or 405, never read past its
 * input, and keep path parameters within their bounds and free of '/'.
 */
#include "router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
  int status = bg_router_match(method, path, &m);
  if (status != 200 && status != 404 && status != 405)
    abort();
  if (strlen(m.project) > BG_ROUTER_PARAM_MAX || strlen(m.id) > BG_ROUTER_PARAM_MAX)
    abort();
  if (status == 200 && (strchr(m.project, '/') || strchr(m.id, '/')))
    abort();
  free(text);
  return 0;
}
