/* fuzz_run.c: libFuzzer target for the run payload parser (bg_run_from_json).
 *
 * Any input must be accepted or rejected with a named field, never crash; an accepted run
 * must serialise to JSON that parses back to a run with the same results.
 */
#include "run.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct bg_run *run = NULL, *back = NULL;
  struct bg_ferr e;
  int rc = bg_run_from_json((const char *)data, size, &run, &e);
  if (rc != BG_OK) {
    if (run || !e.message[0] || (rc != BG_EPARSE && rc != BG_EINVAL))
      abort();
    return 0;
  }
  char *json = bg_run_to_json(run, 0);
  if (bg_run_from_json(json, strlen(json), &back, &e) != BG_OK) {
    fprintf(stderr, "round trip failed: %s: %s\n", e.field, e.message);
    abort();
  }
  if (back->nresults != run->nresults)
    abort();
  for (size_t i = 0; i < run->nresults; i++) {
    const struct bg_result *a = &run->results[i], *b = &back->results[i];
    if (strcmp(a->benchmark, b->benchmark) || strcmp(a->measure, b->measure) ||
        a->nsamples != b->nsamples || a->has_summary != b->has_summary)
      abort();
  }
  cJSON_free(json);
  bg_run_free(back);
  bg_run_free(run);
  return 0;
}
