/* adapter_gbench.c: Google Benchmark JSON (--benchmark_format=json or --benchmark_out).
 *
 * Each entry of "benchmarks" is one repetition of one benchmark ("run_type": "iteration") or
 * an aggregate over the repetitions ("aggregate": mean, median, stddev, cv, BigO, RMS, or a
 * user statistic). Repetitions become samples: real_time as wall_time and cpu_time as
 * cpu_time (converted from time_unit to ns), bytes_per_second and items_per_second as
 * throughput-like measures (direction higher), and every user counter as a measure named
 * after the counter (unit "value", direction lower: the JSON does not say which way is
 * better). Aggregates are used only for a benchmark that has no repetition entries (run with
 * --benchmark_report_aggregates_only): then mean and stddev become a summary whose n is the
 * number of repetitions. Entries with "error_occurred" are skipped with a run warning.
 */
#include "adapter.h"
#include "adapter_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Members of an entry that are not user counters. */
static const char *const known_keys[] = {"name",
                                         "family_index",
                                         "per_family_instance_index",
                                         "run_name",
                                         "run_type",
                                         "repetitions",
                                         "repetition_index",
                                         "threads",
                                         "iterations",
                                         "real_time",
                                         "cpu_time",
                                         "time_unit",
                                         "aggregate_name",
                                         "aggregate_unit",
                                         "error_occurred",
                                         "error_message",
                                         "bytes_per_second",
                                         "items_per_second",
                                         "big_o",
                                         "real_coefficient",
                                         "cpu_coefficient",
                                         "rms",
                                         "complexity_n",
                                         "label"};

/* Measure names this adapter gives builtin values; a counter with one of these names gets a
 * "counter_" prefix so that it cannot mix with them. */
static const char *const builtin_measures[] = {"wall_time", "cpu_time", "bytes_per_second",
                                               "items_per_second"};

enum mode { SAMPLE, MEAN, STDDEV };

static int is_known(const char *key) {
  for (size_t i = 0; i < sizeof known_keys / sizeof *known_keys; i++)
    if (strcmp(key, known_keys[i]) == 0)
      return 1;
  return 0;
}

static int detect(const char *text, size_t len) {
  if (!bg_adapter_starts_with(text, len, '{') || !bg_adapter_has_key(text, len, "benchmarks", 0))
    return 0;
  /* "context" plus per-entry timing keys are Google Benchmark's own; pytest-benchmark also
   * has "benchmarks" but never "real_time" or "time_unit". */
  int score = 0;
  if (bg_adapter_has_key(text, len, "context", 0))
    score += 30;
  if (bg_adapter_has_key(text, len, "real_time", 0))
    score += 30;
  if (bg_adapter_has_key(text, len, "cpu_time", 0))
    score += 20;
  if (bg_adapter_has_key(text, len, "time_unit", 0) || bg_adapter_has_key(text, len, "run_type", 0))
    score += 15;
  if (bg_adapter_has_key(text, len, "machine_info", 0))
    score -= 50;
  return score > 0 ? score : 0;
}

/* Adds one value of one entry according to the pass: a sample, a summary's mean (n given),
 * or a summary's stddev. */
static int put(struct bg_run *run, struct bg_adapter_index *ix, const char *name,
               const char *measure, const char *unit, enum bg_direction dir, double v,
               int allow_negative, enum mode mode, long long n, const char *field,
               struct bg_ferr *e) {
  int rc, created;
  struct bg_result *r;
  switch (mode) {
  case SAMPLE:
    r = bg_adapter_result(run, ix, name, measure, unit, dir, &created);
    return bg_adapter_add_sample(r, v, allow_negative, field, e);
  case MEAN:
    if ((rc = bg_adapter_check_value(v, allow_negative, field, e)))
      return rc;
    r = bg_adapter_result(run, ix, name, measure, unit, dir, &created);
    if (created || r->has_summary)
      bg_result_set_summary(r, n, v, 0.0);
    return BG_OK;
  case STDDEV:
    if ((rc = bg_adapter_check_value(v, 0, field, e)))
      return rc;
    r = bg_adapter_lookup(run, ix, name, measure);
    if (r && r->has_summary)
      r->stddev = v;
    return BG_OK;
  }
  return BG_OK;
}

static int entry(struct bg_run *run, struct bg_adapter_index *ix, const cJSON *o, const char *name,
                 enum mode mode, long long n, const char *where, struct bg_ferr *e) {
  int rc, found;
  char f[300];
  const char *tu = "ns";
  double scale = 1, v;
  if ((rc = bg_adapter_string(o, "time_unit", where, 0, &tu, e)))
    return rc;
  if (!bg_adapter_time_scale(tu, &scale)) {
    snprintf(f, sizeof f, "%s.time_unit", where);
    return bg_ferr_set(e, f, "unknown time unit '%.32s' (ns, us, ms, s)", tu);
  }
  static const struct {
    const char *key, *measure, *unit;
    enum bg_direction dir;
    int is_time;
  } fixed[] = {{"real_time", "wall_time", "ns", BG_LOWER, 1},
               {"cpu_time", "cpu_time", "ns", BG_LOWER, 1},
               {"bytes_per_second", "bytes_per_second", "bytes/s", BG_HIGHER, 0},
               {"items_per_second", "items_per_second", "items/s", BG_HIGHER, 0}};
  int have_time = 0;
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
    if ((rc = bg_adapter_number(o, fixed[i].key, where, 0, &v, &found, e)))
      return rc;
    if (!found)
      continue;
    have_time |= fixed[i].is_time;
    snprintf(f, sizeof f, "%s.%s", where, fixed[i].key);
    if (fixed[i].is_time) {
      if ((rc = bg_adapter_check_value(v, 0, f, e)))
        return rc;
      v *= scale;
    }
    if ((rc = put(run, ix, name, fixed[i].measure, fixed[i].unit, fixed[i].dir, v, 0, mode, n, f,
                  e)))
      return rc;
  }
  if (!have_time) {
    snprintf(f, sizeof f, "%s.real_time", where);
    return bg_ferr_set(e, f, "required");
  }
  const cJSON *m;
  cJSON_ArrayForEach(m, o) {
    if (!m->string || is_known(m->string) || !cJSON_IsNumber(m))
      continue;
    char slug[80], measure[96];
    snprintf(f, sizeof f, "%s.%.64s", where, m->string);
    if (!bg_adapter_slug(m->string, slug, sizeof slug))
      return bg_ferr_set(e, f, "counter name has no letters or digits");
    snprintf(measure, sizeof measure, "%s", slug);
    for (size_t i = 0; i < sizeof builtin_measures / sizeof *builtin_measures; i++)
      if (strcmp(slug, builtin_measures[i]) == 0)
        snprintf(measure, sizeof measure, "counter_%.55s", slug);
    if ((rc = put(run, ix, name, measure, "value", BG_LOWER, m->valuedouble, 1, mode, n, f, e)))
      return rc;
  }
  return BG_OK;
}

/* Classifies an entry: 1 for an aggregate row, 0 for a repetition. Older versions of the
 * library have no run_type; their aggregates carry aggregate_name. */
static int is_aggregate(const cJSON *o) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "run_type");
  if (cJSON_IsString(t))
    return strcmp(t->valuestring, "aggregate") == 0;
  return cJSON_GetObjectItemCaseSensitive(o, "aggregate_name") != NULL;
}

static int pass(struct bg_run *run, struct bg_adapter_index *ix, const cJSON *list, enum mode mode,
                struct bg_ferr *e) {
  size_t i = 0;
  const cJSON *o;
  int rc;
  cJSON_ArrayForEach(o, list) {
    char where[48];
    snprintf(where, sizeof where, "benchmarks[%zu]", i++);
    if (!cJSON_IsObject(o))
      return bg_ferr_set(e, where, "must be an object");
    const char *name = NULL, *run_name = NULL, *agg = NULL;
    if ((rc = bg_adapter_string(o, "name", where, 1, &name, e)) ||
        (rc = bg_adapter_string(o, "run_name", where, 0, &run_name, e)) ||
        (rc = bg_adapter_string(o, "aggregate_name", where, 0, &agg, e)))
      return rc;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error_occurred");
    if (cJSON_IsTrue(err)) {
      if (mode == SAMPLE) {
        const char *msg = "";
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "error_message");
        if (cJSON_IsString(m))
          msg = m->valuestring;
        bg_adapter_warn(run, "gbench: %.300s failed: %.600s", name, msg);
      }
      continue;
    }
    int aggregate = is_aggregate(o);
    if (mode == SAMPLE) {
      if (aggregate)
        continue;
      if ((rc = entry(run, ix, o, name, SAMPLE, 0, where, e)))
        return rc;
      continue;
    }
    if (!aggregate || !agg || strcmp(agg, mode == MEAN ? "mean" : "stddev") != 0)
      continue;
    char base[1100];
    if (!run_name) {
      /* Old versions: the aggregate's name is "<run name>_mean". */
      size_t nl = strlen(name), al = strlen(agg);
      if (nl <= al + 1 || nl - al - 1 >= sizeof base || name[nl - al - 1] != '_')
        return bg_ferr_set(e, where, "aggregate without run_name");
      memcpy(base, name, nl - al - 1);
      base[nl - al - 1] = '\0';
      run_name = base;
    }
    double reps = 0;
    int found;
    if ((rc = bg_adapter_number(o, "repetitions", where, 0, &reps, &found, e)))
      return rc;
    if (!found && (rc = bg_adapter_number(o, "iterations", where, 1, &reps, &found, e)))
      return rc;
    if (reps < 1 || reps > 1e9 || reps != floor(reps)) {
      char f[64];
      snprintf(f, sizeof f, "%s.repetitions", where);
      return bg_ferr_set(e, f, "must be an integer >= 1");
    }
    if ((rc = entry(run, ix, o, run_name, mode, (long long)reps, where, e)))
      return rc;
  }
  return BG_OK;
}

static int parse(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e) {
  cJSON *root = NULL;
  struct bg_adapter_index ix = {0};
  int rc = bg_adapter_json(text, len, &root, e);
  if (rc)
    return rc;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
  if (!cJSON_IsObject(root) || !cJSON_IsArray(list)) {
    rc = bg_ferr_set(e, "benchmarks", "required (an array of benchmark entries)");
    goto out;
  }
  size_t before = run->nresults;
  /* Repetitions first; then aggregates fill in only what has no repetitions. */
  if ((rc = pass(run, &ix, list, SAMPLE, e)) || (rc = pass(run, &ix, list, MEAN, e)) ||
      (rc = pass(run, &ix, list, STDDEV, e)))
    goto out;
  if (run->nresults == before)
    rc = bg_ferr_set(e, "benchmarks", "no benchmark results");
out:
  bg_adapter_index_free(&ix);
  cJSON_Delete(root);
  return rc;
}

const struct bg_adapter bg_adapter_gbench = {"gbench", detect, parse};
