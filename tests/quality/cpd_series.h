/* cpd_series.h: reading the change-point quality data (TCPD series and annotations, the
 * perf-series reference outputs) for the tests/quality programs q_tcpd.c and q_cpd_cv.c.
 * Header-only: each quality program is one translation unit. */
#ifndef BG_Q_CPD_SERIES_H
#define BG_Q_CPD_SERIES_H

#include "buf.h"
#include "error.h"
#include "mem.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>

static cJSON *cpd_load_json(const char *path) {
  struct bg_buf b;
  bg_buf_init(&b, 64u << 20);
  cJSON *j = NULL;
  if (bg_buf_read_file(&b, path) == BG_OK)
    j = cJSON_Parse(b.data);
  if (!j)
    fprintf(stderr, "cannot read or parse %s\n", path);
  bg_buf_free(&b);
  return j;
}

/* Values of a JSON array of numbers/nulls (null -> NAN). Caller frees. */
static double *cpd_json_values(const cJSON *arr, size_t *n) {
  size_t k = (size_t)cJSON_GetArraySize(arr), i = 0;
  double *v = bg_xmalloc((k ? k : 1) * sizeof *v);
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) v[i++] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
  *n = k;
  return v;
}

/* Non-negative indices of a JSON array. Caller frees. */
static size_t *cpd_json_indices(const cJSON *arr, size_t *n) {
  size_t k = (size_t)cJSON_GetArraySize(arr), i = 0;
  size_t *v = bg_xmalloc((k ? k : 1) * sizeof *v);
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    if (cJSON_IsNumber(e) && e->valuedouble >= 0)
      v[i++] = (size_t)e->valuedouble;
  }
  *n = i;
  return v;
}

#endif
