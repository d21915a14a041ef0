/* adapter_jmh.c: JMH's JSON result format (-rf json -rff FILE).
 *
 * The file is an array with one object per (benchmark, mode, params). The benchmark is named
 * "<benchmark>" or, with parameters, "<benchmark>:<k>=<v>,<k>=<v>" in the file's order.
 * "primaryMetric.rawData" holds one array per fork with one score per measurement iteration:
 * every score is a sample. The mode picks the measure: thrpt is throughput (ops/s, higher;
 * scoreUnit ops/ns, ops/us, ops/ms, ops/s or ops/min), avgt is wall_time, sample is
 * sample_time and ss is single_shot_time (ns, lower; scoreUnit ns/op, us/op, ms/op, s/op,
 * min/op). Sample mode writes "rawDataHistogram" (per fork and iteration, [value, count]
 * pairs) instead: it becomes a summary (n, mean, stddev). Without either, the score is one
 * sample. Secondary metrics (profilers) are not read.
 */
#include "adapter.h"
#include "adapter_util.h"

#include "buf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int detect(const char *text, size_t len) {
  if (!bg_adapter_starts_with(text, len, '['))
    return 0;
  if (!bg_adapter_has_key(text, len, "primaryMetric", 0))
    return 0;
  return bg_adapter_has_key(text, len, "benchmark", 0) ? 95 : 60;
}

/* The measure and scale to benchgate's unit for a mode and a score unit; 0 when unknown. */
static int mode_unit(const char *mode, const char *unit, const char **measure,
                     const char **out_unit, enum bg_direction *dir, double *scale) {
  static const struct {
    const char *unit;
    double scale;
  } rates[] = {{"ops/ns", 1e9}, {"ops/us", 1e6}, {"ops/\xc2\xb5s", 1e6},
               {"ops/ms", 1e3}, {"ops/s", 1.0},  {"ops/min", 1.0 / 60}},
    times[] = {{"ns/op", 1.0}, {"us/op", 1e3}, {"\xc2\xb5s/op", 1e3},
               {"ms/op", 1e6}, {"s/op", 1e9},  {"min/op", 60e9}};
  if (strcmp(mode, "thrpt") == 0) {
    *measure = "throughput";
    *out_unit = "ops/s";
    *dir = BG_HIGHER;
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++)
      if (strcmp(unit, rates[i].unit) == 0)
        return *scale = rates[i].scale, 1;
    return 0;
  }
  if (strcmp(mode, "avgt") == 0)
    *measure = "wall_time";
  else if (strcmp(mode, "sample") == 0)
    *measure = "sample_time";
  else if (strcmp(mode, "ss") == 0)
    *measure = "single_shot_time";
  else
    return 0;
  *out_unit = "ns";
  *dir = BG_LOWER;
  for (size_t i = 0; i < sizeof times / sizeof *times; i++)
    if (strcmp(unit, times[i].unit) == 0)
      return *scale = times[i].scale, 1;
  return 0;
}

static int histogram(struct bg_result *r, const cJSON *h, double scale, const char *where,
                     struct bg_ferr *e) {
  char f[160];
  double n = 0;
  /* Weighted Welford update: one pass, numerically stable. */
  double mean = 0, m2 = 0;
  size_t i = 0;
  const cJSON *fork;
  snprintf(f, sizeof f, "%s.primaryMetric.rawDataHistogram", where);
  if (!cJSON_IsArray(h))
    return bg_ferr_set(e, f, "must be an array");
  cJSON_ArrayForEach(fork, h) {
    size_t j = 0;
    const cJSON *iter;
    snprintf(f, sizeof f, "%s.primaryMetric.rawDataHistogram[%zu]", where, i);
    if (!cJSON_IsArray(fork))
      return bg_ferr_set(e, f, "must be an array");
    cJSON_ArrayForEach(iter, fork) {
      size_t k = 0;
      const cJSON *pair;
      snprintf(f, sizeof f, "%s.primaryMetric.rawDataHistogram[%zu][%zu]", where, i, j);
      if (!cJSON_IsArray(iter))
        return bg_ferr_set(e, f, "must be an array of [value, count]");
      cJSON_ArrayForEach(pair, iter) {
        snprintf(f, sizeof f, "%s.primaryMetric.rawDataHistogram[%zu][%zu][%zu]", where, i, j, k++);
        const cJSON *v = cJSON_GetArrayItem(pair, 0), *c = cJSON_GetArrayItem(pair, 1);
        if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(v) ||
            !cJSON_IsNumber(c))
          return bg_ferr_set(e, f, "must be [value, count]");
        int rc = bg_adapter_check_value(v->valuedouble * scale, 0, f, e);
        if (rc)
          return rc;
        double cnt = c->valuedouble;
        if (!(cnt >= 1) || cnt > 1e15 || cnt != floor(cnt))
          return bg_ferr_set(e, f, "count must be an integer >= 1");
        double x = v->valuedouble * scale;
        double n2 = n + cnt, d = x - mean;
        mean += d * cnt / n2;
        m2 += d * (x - mean) * cnt;
        n = n2;
      }
      j++;
    }
    i++;
  }
  snprintf(f, sizeof f, "%s.primaryMetric.rawDataHistogram", where);
  if (n < 1 || n > 9e15)
    return bg_ferr_set(e, f, "no measurements");
  double sd = n > 1 ? sqrt(m2 / (n - 1)) : 0.0;
  if (!isfinite(mean) || !isfinite(sd))
    return bg_ferr_set(e, f, "values overflow");
  bg_result_set_summary(r, (long long)n, mean, sd);
  return BG_OK;
}

static int entry(struct bg_run *run, struct bg_adapter_index *ix, const cJSON *o, const char *where,
                 struct bg_ferr *e) {
  int rc, created;
  char f[160];
  const char *bench = NULL, *mode = NULL, *unit = NULL;
  if (!cJSON_IsObject(o))
    return bg_ferr_set(e, where, "must be an object");
  if ((rc = bg_adapter_string(o, "benchmark", where, 1, &bench, e)) ||
      (rc = bg_adapter_string(o, "mode", where, 1, &mode, e)))
    return rc;
  const cJSON *pm = cJSON_GetObjectItemCaseSensitive(o, "primaryMetric");
  snprintf(f, sizeof f, "%s.primaryMetric", where);
  if (!cJSON_IsObject(pm))
    return bg_ferr_set(e, f, "required (an object)");
  if ((rc = bg_adapter_string(pm, "scoreUnit", f, 1, &unit, e)))
    return rc;
  const char *measure, *out_unit;
  enum bg_direction dir;
  double scale;
  if (!mode_unit(mode, unit, &measure, &out_unit, &dir, &scale)) {
    snprintf(f, sizeof f, "%s.primaryMetric.scoreUnit", where);
    return bg_ferr_set(e, f,
                       "unknown unit '%.32s' for mode '%.32s' (modes thrpt, avgt, "
                       "sample, ss)",
                       unit, mode);
  }
  /* The name: benchmark, then parameters in file order. */
  struct bg_buf name;
  bg_buf_init(&name, 1024);
  rc = bg_buf_puts(&name, bench);
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(o, "params"), *p;
  if (params && !cJSON_IsNull(params)) {
    snprintf(f, sizeof f, "%s.params", where);
    if (!cJSON_IsObject(params)) {
      rc = bg_ferr_set(e, f, "must be an object");
      goto out;
    }
    int first = 1;
    cJSON_ArrayForEach(p, params) {
      if (!cJSON_IsString(p)) {
        snprintf(f, sizeof f, "%s.params.%.64s", where, p->string);
        rc = bg_ferr_set(e, f, "must be a string");
        goto out;
      }
      if (rc == BG_OK)
        rc = bg_buf_printf(&name, "%c%s=%s", first ? ':' : ',', p->string, p->valuestring);
      first = 0;
    }
  }
  if (rc) {
    rc = bg_ferr_set(e, where, "benchmark name with parameters is longer than 1024 bytes");
    goto out;
  }
  struct bg_result *r = bg_adapter_result(run, ix, name.data, measure, out_unit, dir, &created);
  if (!created) {
    rc = bg_ferr_set(e, where, "'%.200s' in mode %s appears twice", name.data, mode);
    goto out;
  }
  const cJSON *raw = cJSON_GetObjectItemCaseSensitive(pm, "rawData");
  const cJSON *hist = cJSON_GetObjectItemCaseSensitive(pm, "rawDataHistogram");
  if (raw && !cJSON_IsNull(raw)) {
    snprintf(f, sizeof f, "%s.primaryMetric.rawData", where);
    if (!cJSON_IsArray(raw)) {
      rc = bg_ferr_set(e, f, "must be an array of arrays");
      goto out;
    }
    size_t i = 0;
    const cJSON *fork, *x;
    cJSON_ArrayForEach(fork, raw) {
      snprintf(f, sizeof f, "%s.primaryMetric.rawData[%zu]", where, i);
      if (!cJSON_IsArray(fork)) {
        rc = bg_ferr_set(e, f, "must be an array of numbers");
        goto out;
      }
      size_t j = 0;
      cJSON_ArrayForEach(x, fork) {
        snprintf(f, sizeof f, "%s.primaryMetric.rawData[%zu][%zu]", where, i, j++);
        if (!cJSON_IsNumber(x)) {
          rc = bg_ferr_set(e, f, "must be a number");
          goto out;
        }
        if ((rc = bg_adapter_check_value(x->valuedouble, 0, f, e)) ||
            (rc = bg_adapter_add_sample(r, x->valuedouble * scale, 0, f, e)))
          goto out;
      }
      i++;
    }
    if (r->nsamples == 0) {
      snprintf(f, sizeof f, "%s.primaryMetric.rawData", where);
      rc = bg_ferr_set(e, f, "no measurements");
    }
  } else if (hist && !cJSON_IsNull(hist)) {
    rc = histogram(r, hist, scale, where, e);
  } else {
    double score = 0;
    if ((rc = bg_adapter_number(pm, "score", f, 1, &score, NULL, e)))
      goto out;
    snprintf(f, sizeof f, "%s.primaryMetric.score", where);
    if ((rc = bg_adapter_check_value(score, 0, f, e)))
      goto out;
    rc = bg_adapter_add_sample(r, score * scale, 0, f, e);
  }
out:
  bg_buf_free(&name);
  return rc;
}

static int parse(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e) {
  return bg_adapter_json_each(text, len, run, NULL, "JMH results", entry, e);
}

const struct bg_adapter bg_adapter_jmh = {"jmh", detect, parse};
