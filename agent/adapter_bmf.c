/* adapter_bmf.c: Bencher Metric Format JSON, so Bencher users can move over.
 *
 * BMF is {"<benchmark>": {"<measure>": {"value": v, "lower_value": l, "upper_value": u}}}
 * (https://bencher.dev/docs/reference/bencher-metric-format). Each metric's "value" becomes
 * one sample of its (benchmark, measure): BMF carries no repetitions, and lower_value and
 * upper_value are bounds whose meaning depends on the adapter that wrote them, so they are
 * checked (finite, lower <= value <= upper) but not used. Bencher's built-in measures map to
 * benchgate's: "latency" to wall_time (ns, lower), "throughput" to throughput (ops/s,
 * higher), "build-time" to build_time (s), "file-size" to file_size (bytes); any other
 * measure becomes a slug of its name ("l1-hits" -> l1_hits) with unit "value", lower better.
 */
#include "adapter.h"
#include "adapter_util.h"

#include <stdio.h>
#include <string.h>

/* Largest input the detector parses to check the shape; beyond, key probes decide. */
#define DETECT_PARSE_MAX (8u << 20)

static const struct {
  const char *bmf, *measure, *unit;
  enum bg_direction dir;
} known[] = {{"latency", "wall_time", "ns", BG_LOWER},
             {"throughput", "throughput", "ops/s", BG_HIGHER},
             {"build-time", "build_time", "s", BG_LOWER},
             {"file-size", "file_size", "bytes", BG_LOWER}};

/* Returns 1 when root has BMF's shape: non-empty object of objects of objects with a
 * numeric "value". */
static int shaped(const cJSON *root) {
  if (!cJSON_IsObject(root) || !root->child)
    return 0;
  const cJSON *b, *m;
  cJSON_ArrayForEach(b, root) {
    if (!cJSON_IsObject(b) || !b->child)
      return 0;
    cJSON_ArrayForEach(m, b) {
      if (!cJSON_IsObject(m) || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, "value")))
        return 0;
    }
  }
  return 1;
}

static int detect(const char *text, size_t len) {
  if (!bg_adapter_starts_with(text, len, '{') || !bg_adapter_has_key(text, len, "value", 0))
    return 0;
  if (len > DETECT_PARSE_MAX)
    return 30;
  cJSON *root = cJSON_ParseWithLength(text, len);
  int ok = shaped(root);
  cJSON_Delete(root);
  return ok ? 80 : 0;
}

static int parse(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e) {
  cJSON *root = NULL;
  struct bg_adapter_index ix = {0};
  int rc = bg_adapter_json(text, len, &root, e);
  if (rc)
    return rc;
  if (!cJSON_IsObject(root) || !root->child) {
    rc = bg_ferr_set(e, "", "BMF must be a non-empty object of benchmarks");
    goto out;
  }
  const cJSON *b, *m;
  cJSON_ArrayForEach(b, root) {
    char where[1100];
    snprintf(where, sizeof where, "%.1024s", b->string);
    if (!cJSON_IsObject(b) || !b->child) {
      rc = bg_ferr_set(e, where, "must be a non-empty object of measures");
      goto out;
    }
    cJSON_ArrayForEach(m, b) {
      char f[1200], slug[80];
      snprintf(f, sizeof f, "%.1024s.%.64s", b->string, m->string);
      if (!cJSON_IsObject(m)) {
        rc = bg_ferr_set(e, f, "must be an object with a value");
        goto out;
      }
      double v = 0, lo = 0, hi = 0;
      int has_lo, has_hi;
      if ((rc = bg_adapter_number(m, "value", f, 1, &v, NULL, e)) ||
          (rc = bg_adapter_number(m, "lower_value", f, 0, &lo, &has_lo, e)) ||
          (rc = bg_adapter_number(m, "upper_value", f, 0, &hi, &has_hi, e)))
        goto out;
      if ((has_lo && lo > v) || (has_hi && hi < v)) {
        rc = bg_ferr_set(e, f, "value %g is outside [lower_value, upper_value]", v);
        goto out;
      }
      const char *measure = NULL, *unit = "value";
      enum bg_direction dir = BG_LOWER;
      for (size_t k = 0; k < sizeof known / sizeof *known; k++) {
        if (strcmp(m->string, known[k].bmf) == 0) {
          measure = known[k].measure;
          unit = known[k].unit;
          dir = known[k].dir;
        }
      }
      if (!measure) {
        if (!bg_adapter_slug(m->string, slug, sizeof slug)) {
          rc = bg_ferr_set(e, f, "measure name has no letters or digits");
          goto out;
        }
        measure = slug;
      }
      /* Values may be negative for custom measures; times and sizes may not. */
      int created;
      struct bg_result *r = bg_adapter_result(run, &ix, b->string, measure, unit, dir, &created);
      if (!created) {
        rc = bg_ferr_set(e, f, "measure '%s' appears twice for this benchmark", measure);
        goto out;
      }
      if ((rc = bg_adapter_add_sample(r, v, strcmp(unit, "value") == 0, f, e)))
        goto out;
    }
  }
out:
  bg_adapter_index_free(&ix);
  cJSON_Delete(root);
  return rc;
}

const struct bg_adapter bg_adapter_bmf = {"bmf", detect, parse};
