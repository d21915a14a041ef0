/* fuzz_run.c: libFuzzer target for the upload path's JSON reader and run parser.
 *
 * Checks, for any input: bg_run_from_json accepts it or rejects it with BG_EPARSE/BG_EINVAL and
 * a message, never crashes; an accepted run serialises to JSON that parses back to the same
 * results, samples bit for bit; the flat reader (lib/jdoc.c) accepts only what cJSON also
 * accepts (the reader is the stricter of the two), and every number it reads equals strtod's
 * reading of the same bytes. Build with clang -fsanitize=fuzzer,address,undefined and every
 * source of lib/ (tests/fuzz/CMakeLists.txt lists the fuzz build's targets).
 */
#include "jdoc.h"
#include "run.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_numbers(const char *text, size_t size) {
  /* Every position that starts a JSON number: the reader must agree with strtod bit for bit. */
  for (size_t i = 0; i < size && i < 4096; i++) {
    if (text[i] != '-' && (text[i] < '0' || text[i] > '9'))
      continue;
    double v;
    size_t used = bg_jdoc_number(text + i, size - i, &v);
    if (!used)
      continue;
    char buf[512];
    if (used >= sizeof buf)
      continue;
    memcpy(buf, text + i, used);
    buf[used] = '\0';
    double w = strtod(buf, NULL);
    if (memcmp(&v, &w, sizeof v) != 0) {
      fprintf(stderr, "number %s: reader %.17g, strtod %.17g\n", buf, v, w);
      abort();
    }
  }
}

/* Whether the text holds 60 or more characters in a row that may belong to a number. */
static int long_number(const char *text, size_t size) {
  size_t run = 0;
  for (size_t i = 0; i < size; i++) {
    run = strchr("0123456789.eE+-", text[i]) && text[i] ? run + 1 : 0;
    if (run >= 60)
      return 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  check_numbers(text, size);

  struct bg_jdoc d;
  bg_jdoc_init(&d);
  int strict_ok = bg_jdoc_parse(&d, text, size, NULL, NULL, 0) == 0;
  if (strict_ok) {
    /* Whatever the strict reader takes, cJSON takes too (it is the more lenient parser), except
     * numbers of 64 characters and more, which cJSON 1.7.15 cannot read. */
    cJSON *c = cJSON_ParseWithLength(text, size);
    if (!c && !long_number(text, size)) {
      fprintf(stderr, "jdoc accepted what cJSON rejects\n");
      abort();
    }
    cJSON_Delete(c);
    cJSON *copy = bg_jdoc_to_cjson(&d, bg_jdoc_root(&d));
    cJSON_Delete(copy);
  }
  bg_jdoc_free(&d);

  struct bg_run *run = NULL, *back = NULL;
  struct bg_ferr e;
  int rc = bg_run_from_json(text, size, &run, &e);
  if (rc != BG_OK) {
    if (run || !e.message[0] || (rc != BG_EPARSE && rc != BG_EINVAL))
      abort();
    if (rc == BG_EPARSE && strict_ok)
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
        a->nsamples != b->nsamples || a->has_summary != b->has_summary ||
        (a->nsamples && memcmp(a->samples, b->samples, a->nsamples * sizeof *a->samples)))
      abort();
  }
  cJSON_free(json);
  bg_run_free(back);
  bg_run_free(run);
  return 0;
}
