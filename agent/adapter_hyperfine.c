/* adapter_hyperfine.c: hyperfine's JSON export (hyperfine --export-json FILE).
 *
 * One entry of "results" per command. The per-run wall-clock "times" (seconds) become
 * wall_time samples in ns; "memory_usage_byte" (newer versions) becomes max_rss samples.
 * The benchmark is named after "command" (parameters are already substituted there). A
 * non-zero exit code in "exit_codes" adds a run warning. Files from versions without "times"
 * give a summary (mean, stddev) with n from "exit_codes".
 */
#include "adapter.h"
#include "adapter_util.h"

#include <stdio.h>
#include <string.h>

static int detect(const char *text, size_t len) {
  if (!bg_adapter_starts_with(text, len, '{') || !bg_adapter_has_key(text, len, "results", 0) ||
      !bg_adapter_has_key(text, len, "command", 0))
    return 0;
  int score = 40;
  if (bg_adapter_has_key(text, len, "times", 0))
    score += 30;
  if (bg_adapter_has_key(text, len, "exit_codes", 0))
    score += 20;
  if (bg_adapter_has_key(text, len, "measure", 0))
    score -= 40; /* a native run's result objects */
  return score;
}

/* Reads an array of numbers scaled by `scale` into samples of (name, measure). */
static int array(struct bg_run *run, struct bg_adapter_index *ix, const cJSON *a, const char *name,
                 const char *measure, const char *unit, double scale, const char *field,
                 struct bg_ferr *e) {
  if (!cJSON_IsArray(a))
    return bg_ferr_set(e, field, "must be an array of numbers");
  if (cJSON_GetArraySize(a) < 1)
    return bg_ferr_set(e, field, "empty");
  int created;
  struct bg_result *r = bg_adapter_result(run, ix, name, measure, unit, BG_LOWER, &created);
  if (!created)
    return bg_ferr_set(e, field, "command '%.200s' appears twice", name);
  size_t j = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, a) {
    char f[96];
    snprintf(f, sizeof f, "%s[%zu]", field, j++);
    if (!cJSON_IsNumber(x))
      return bg_ferr_set(e, f, "must be a number");
    int rc = bg_adapter_check_value(x->valuedouble, 0, f, e);
    if (rc || (rc = bg_adapter_add_sample(r, x->valuedouble * scale, 0, f, e)))
      return rc;
  }
  return BG_OK;
}

static int command(struct bg_run *run, struct bg_adapter_index *ix, const cJSON *o,
                   const char *where, struct bg_ferr *e) {
  int rc;
  char f[96];
  const char *name = NULL;
  if (!cJSON_IsObject(o))
    return bg_ferr_set(e, where, "must be an object");
  if ((rc = bg_adapter_string(o, "command", where, 1, &name, e)))
    return rc;
  const cJSON *codes = cJSON_GetObjectItemCaseSensitive(o, "exit_codes");
  long long nruns = 0;
  if (codes && !cJSON_IsNull(codes)) {
    snprintf(f, sizeof f, "%s.exit_codes", where);
    if (!cJSON_IsArray(codes))
      return bg_ferr_set(e, f, "must be an array");
    const cJSON *c;
    int failed = 0;
    cJSON_ArrayForEach(c, codes) {
      nruns++;
      /* null is hyperfine's code for a run killed by a signal. */
      if (!cJSON_IsNumber(c) || c->valuedouble != 0)
        failed++;
    }
    if (failed) {
      bg_adapter_warn(run, "hyperfine: '%.900s' failed in %d of %lld runs", name, failed, nruns);
    }
  }
  const cJSON *times = cJSON_GetObjectItemCaseSensitive(o, "times");
  if (times && !cJSON_IsNull(times)) {
    snprintf(f, sizeof f, "%s.times", where);
    if ((rc = array(run, ix, times, name, "wall_time", "ns", 1e9, f, e)))
      return rc;
  } else {
    double mean = 0, sd = 0;
    if ((rc = bg_adapter_number(o, "mean", where, 1, &mean, NULL, e)) ||
        (rc = bg_adapter_number(o, "stddev", where, 0, &sd, NULL, e)))
      return rc;
    snprintf(f, sizeof f, "%s.mean", where);
    if ((rc = bg_adapter_check_value(mean * 1e9, 0, f, e)))
      return rc;
    snprintf(f, sizeof f, "%s.stddev", where);
    if ((rc = bg_adapter_check_value(sd * 1e9, 0, f, e)))
      return rc;
    if (nruns < 1) {
      snprintf(f, sizeof f, "%s.times", where);
      return bg_ferr_set(e, f, "required (or exit_codes to count the runs of a summary)");
    }
    int created;
    struct bg_result *r = bg_adapter_result(run, ix, name, "wall_time", "ns", BG_LOWER, &created);
    if (!created)
      return bg_ferr_set(e, where, "command '%.200s' appears twice", name);
    bg_result_set_summary(r, nruns, mean * 1e9, sd * 1e9);
  }
  const cJSON *mem = cJSON_GetObjectItemCaseSensitive(o, "memory_usage_byte");
  if (mem && !cJSON_IsNull(mem)) {
    snprintf(f, sizeof f, "%s.memory_usage_byte", where);
    if ((rc = array(run, ix, mem, name, "max_rss", "bytes", 1.0, f, e)))
      return rc;
  }
  return BG_OK;
}

static int parse(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e) {
  return bg_adapter_json_each(text, len, run, "results", "commands", command, e);
}

const struct bg_adapter bg_adapter_hyperfine = {"hyperfine", detect, parse};
