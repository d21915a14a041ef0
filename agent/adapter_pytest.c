/* adapter_pytest.c: pytest-benchmark JSON (--benchmark-json FILE, or a --benchmark-save file).
 *
 * Each entry of "benchmarks" is one test, named by its "fullname" (file::test[param]) so
 * that tests of the same name in different files stay apart. Times are in seconds and become
 * ns. When "stats.data" holds the raw rounds (always with --benchmark-json, with
 * --benchmark-save-data for saved runs) they become wall_time samples (each already divided
 * by the iterations of its round); otherwise stats rounds, mean and stddev become a summary.
 */
#include "adapter.h"
#include "adapter_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int detect(const char *text, size_t len) {
  if (!bg_adapter_starts_with(text, len, '{') || !bg_adapter_has_key(text, len, "benchmarks", 0))
    return 0;
  int score = 0;
  if (bg_adapter_has_key(text, len, "machine_info", 0))
    score += 40;
  if (bg_adapter_has_key(text, len, "stats", 0))
    score += 30;
  if (bg_adapter_has_key(text, len, "fullname", 0) ||
      bg_adapter_has_key(text, len, "commit_info", 0))
    score += 20;
  if (bg_adapter_has_key(text, len, "real_time", 0))
    score -= 50;
  return score > 0 ? score : 0;
}

static int bench(struct bg_run *run, struct bg_adapter_index *ix, const cJSON *o, const char *where,
                 struct bg_ferr *e) {
  int rc, created;
  char f[96];
  const char *name = NULL;
  if (!cJSON_IsObject(o))
    return bg_ferr_set(e, where, "must be an object");
  if ((rc = bg_adapter_string(o, "fullname", where, 0, &name, e)))
    return rc;
  if (!name && (rc = bg_adapter_string(o, "name", where, 1, &name, e)))
    return rc;
  const cJSON *stats = cJSON_GetObjectItemCaseSensitive(o, "stats");
  snprintf(f, sizeof f, "%s.stats", where);
  if (!cJSON_IsObject(stats))
    return bg_ferr_set(e, f, "required (an object)");
  struct bg_result *r = bg_adapter_result(run, ix, name, "wall_time", "ns", BG_LOWER, &created);
  if (!created)
    return bg_ferr_set(e, where, "benchmark '%.200s' appears twice", name);
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(stats, "data");
  if (data && !cJSON_IsNull(data)) {
    snprintf(f, sizeof f, "%s.stats.data", where);
    if (!cJSON_IsArray(data))
      return bg_ferr_set(e, f, "must be an array of numbers");
    if (cJSON_GetArraySize(data) < 1)
      return bg_ferr_set(e, f, "empty");
    size_t j = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, data) {
      snprintf(f, sizeof f, "%s.stats.data[%zu]", where, j++);
      if (!cJSON_IsNumber(x))
        return bg_ferr_set(e, f, "must be a number");
      if ((rc = bg_adapter_check_value(x->valuedouble, 0, f, e)) ||
          (rc = bg_adapter_add_sample(r, x->valuedouble * 1e9, 0, f, e)))
        return rc;
    }
    return BG_OK;
  }
  double rounds = 0, mean = 0, sd = 0;
  if ((rc = bg_adapter_number(stats, "rounds", f, 1, &rounds, NULL, e)) ||
      (rc = bg_adapter_number(stats, "mean", f, 1, &mean, NULL, e)) ||
      (rc = bg_adapter_number(stats, "stddev", f, 1, &sd, NULL, e)))
    return rc;
  char g[120];
  snprintf(g, sizeof g, "%s.rounds", f);
  if (rounds < 1 || rounds > 1e12 || rounds != floor(rounds))
    return bg_ferr_set(e, g, "must be an integer >= 1");
  snprintf(g, sizeof g, "%s.mean", f);
  if ((rc = bg_adapter_check_value(mean, 0, g, e)) ||
      (rc = bg_adapter_check_value(mean * 1e9, 0, g, e)))
    return rc;
  snprintf(g, sizeof g, "%s.stddev", f);
  if ((rc = bg_adapter_check_value(sd, 0, g, e)) ||
      (rc = bg_adapter_check_value(sd * 1e9, 0, g, e)))
    return rc;
  bg_result_set_summary(r, (long long)rounds, mean * 1e9, sd * 1e9);
  return BG_OK;
}

static int parse(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e) {
  return bg_adapter_json_each(text, len, run, "benchmarks", "benchmarks", bench, e);
}

const struct bg_adapter bg_adapter_pytest = {"pytest-benchmark", detect, parse};
