/* fuzz_adapters.c: libFuzzer target for every harness adapter.
 *
 * The first byte picks the format: 0 lets detection choose, 1.. force one adapter (modulo the
 * number of formats); the rest is the harness file. Any input must give BG_OK or an error with
 * a message, never a crash, a leak or undefined behaviour; an accepted input must also pass
 * the run model's result rules (bg_adapter_parse checks them) and survive a JSON round trip.
 */
#include "adapter.h"
#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const formats[] = {NULL, "native", "gbench",           "hyperfine", "criterion",
                                      "go", "catch2", "pytest-benchmark", "bmf",       "jmh"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const char *format = formats[data[0] % (sizeof formats / sizeof *formats)];
  size_t len = size - 1;
  /* Adapters get NUL-terminated text, as bg_buf_read_file gives them. */
  char *text = bg_xmalloc(len + 1);
  memcpy(text, data + 1, len);
  text[len] = '\0';
  struct bg_run *run = bg_run_new();
  struct bg_ferr e;
  int rc = bg_adapter_parse(format, text, len, run, &e);
  if (rc != BG_OK && (!e.message[0] || rc >= 0))
    abort(); /* an error must say what is wrong */
  if (rc == BG_OK) {
    /* What an adapter accepts must serialise and parse back as a valid run. */
    bg_run_set(&run->run_id, "00000000-0000-0000-0000-000000000000");
    bg_run_set(&run->commit.sha, "0000000000000000000000000000000000000000");
    bg_run_set(&run->commit.branch, "main");
    bg_run_set(&run->testbed, "fuzz");
    char *json = bg_run_to_json(run, 0);
    struct bg_run *back = NULL;
    if (bg_run_from_json(json, strlen(json), &back, &e) != BG_OK) {
      fprintf(stderr, "round trip failed: %s: %s\n", e.field, e.message);
      abort();
    }
    if (back->nresults != run->nresults)
      abort();
    bg_run_free(back);
    cJSON_free(json);
  }
  bg_run_free(run);
  free(text);
  return 0;
}
