/* run.c: the run model and its JSON form, benchgate.run/v1.
 *
 * Parsing goes through cJSON, then every member is checked and copied into a struct bg_run,
 * so the rest of the program never touches unchecked JSON. Errors name the field the way a
 * client wrote it ("results[3].samples[7]"), which is what the API returns in a 400.
 */
#include "run.h"

#include "mem.h"
#include "valid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARENTS 64
#define MAX_MESSAGE (64 * 1024)
#define MAX_SHORT_TEXT 1024
#define MAX_WARNINGS 1000
#define MAX_ID 9007199254740991.0 /* 2^53 - 1: integers JSON numbers carry exactly */

struct bg_run *bg_run_new(void) {
  return bg_xcalloc(1, sizeof(struct bg_run));
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void bg_run_free(struct bg_run *run) {
  if (!run)
    return;
  free(run->run_id);
  free(run->commit.sha);
  free(run->commit.branch);
  free_strings(run->commit.parents, run->commit.nparents);
  free(run->commit.message);
  free(run->commit.author);
  free(run->commit.timestamp);
  free(run->baseline_branch);
  free(run->baseline_sha);
  free(run->testbed);
  cJSON_Delete(run->fingerprint);
  free(run->agent_name);
  free(run->agent_version);
  free(run->started_at);
  free(run->finished_at);
  cJSON_Delete(run->thresholds);
  free_strings(run->warnings, run->nwarnings);
  for (size_t i = 0; i < run->nresults; i++) {
    struct bg_result *r = &run->results[i];
    free(r->benchmark);
    free(r->measure);
    free(r->unit);
    free(r->samples);
  }
  free(run->results);
  free(run);
}

void bg_run_set(char **field, const char *value) {
  char *copy = bg_xstrdup(value);
  free(*field);
  *field = copy;
}

static void push_string(char ***v, size_t *n, const char *s) {
  *v = bg_xrealloc(*v, (*n + 1) * sizeof **v);
  (*v)[(*n)++] = bg_xstrdup(s);
}

void bg_run_add_parent(struct bg_run *run, const char *sha) {
  push_string(&run->commit.parents, &run->commit.nparents, sha);
}

void bg_run_add_warning(struct bg_run *run, const char *text) {
  push_string(&run->warnings, &run->nwarnings, text);
}

struct bg_result *bg_run_add_result(struct bg_run *run, const char *benchmark,
                                    const char *measure, const char *unit,
                                    enum bg_direction direction) {
  bg_xgrow((void **)&run->results, &run->results_cap, run->nresults + 1, sizeof *run->results);
  struct bg_result *r = &run->results[run->nresults++];
  memset(r, 0, sizeof *r);
  r->benchmark = bg_xstrdup(benchmark);
  r->measure = bg_xstrdup(measure);
  r->unit = bg_xstrdup(unit);
  r->direction = direction;
  return r;
}

struct bg_result *bg_run_find_result(const struct bg_run *run, const char *benchmark,
                                     const char *measure) {
  for (size_t i = 0; i < run->nresults; i++) {
    struct bg_result *r = &run->results[i];
    if (strcmp(r->benchmark, benchmark) == 0 && strcmp(r->measure, measure) == 0)
      return r;
  }
  return NULL;
}

void bg_result_add_sample(struct bg_result *r, double value) {
  bg_xgrow((void **)&r->samples, &r->samples_cap, r->nsamples + 1, sizeof *r->samples);
  r->samples[r->nsamples++] = value;
}

void bg_result_set_summary(struct bg_result *r, long long n, double mean, double stddev) {
  free(r->samples);
  r->samples = NULL;
  r->nsamples = r->samples_cap = 0;
  r->has_summary = 1;
  r->n = n;
  r->mean = mean;
  r->stddev = stddev;
}

static const struct {
  const char *measure, *unit;
  enum bg_direction direction;
} known_measures[] = {
    {"wall_time", "ns", BG_LOWER},       {"cpu_time", "ns", BG_LOWER},
    {"max_rss", "bytes", BG_LOWER},      {"instructions", "count", BG_LOWER},
    {"throughput", "ops/s", BG_HIGHER},
};

int bg_measure_lookup(const char *measure, const char **unit, enum bg_direction *direction) {
  for (size_t i = 0; measure && i < sizeof known_measures / sizeof *known_measures; i++) {
    if (strcmp(measure, known_measures[i].measure) == 0) {
      if (unit)
        *unit = known_measures[i].unit;
      if (direction)
        *direction = known_measures[i].direction;
      return 1;
    }
  }
  return 0;
}

int bg_direction_parse(const char *s, enum bg_direction *out) {
  if (s && strcmp(s, "lower") == 0)
    *out = BG_LOWER;
  else if (s && strcmp(s, "higher") == 0)
    *out = BG_HIGHER;
  else
    return 0;
  return 1;
}

const char *bg_direction_name(enum bg_direction d) {
  return d == BG_HIGHER ? "higher" : "lower";
}

/* ---- validation of the model (shared by parsing and by the agent before upload) ---- */

static int check_result(const struct bg_result *r, size_t i, struct bg_ferr *e) {
  char f[64];
  snprintf(f, sizeof f, "results[%zu].benchmark", i);
  if (!bg_valid_benchmark(r->benchmark))
    return bg_ferr_set(e, f, "must be 1-1024 bytes of UTF-8 without control characters");
  snprintf(f, sizeof f, "results[%zu].measure", i);
  if (!bg_valid_measure(r->measure))
    return bg_ferr_set(e, f, "must match [a-z0-9_]{1,64}");
  snprintf(f, sizeof f, "results[%zu].unit", i);
  if (!bg_valid_unit(r->unit))
    return bg_ferr_set(e, f, "must be 1-32 printable characters without spaces");
  if (r->has_summary) {
    snprintf(f, sizeof f, "results[%zu].summary.n", i);
    if (r->n < 1)
      return bg_ferr_set(e, f, "must be at least 1");
    snprintf(f, sizeof f, "results[%zu].summary.mean", i);
    if (!isfinite(r->mean))
      return bg_ferr_set(e, f, "not a finite number");
    snprintf(f, sizeof f, "results[%zu].summary.stddev", i);
    if (!isfinite(r->stddev) || r->stddev < 0)
      return bg_ferr_set(e, f, "must be a finite number >= 0");
    return BG_OK;
  }
  snprintf(f, sizeof f, "results[%zu].samples", i);
  if (r->nsamples < 1 || r->nsamples > BG_RUN_MAX_SAMPLES)
    return bg_ferr_set(e, f, "must hold 1 to %d samples", BG_RUN_MAX_SAMPLES);
  for (size_t j = 0; j < r->nsamples; j++) {
    if (!isfinite(r->samples[j])) {
      snprintf(f, sizeof f, "results[%zu].samples[%zu]", i, j);
      return bg_ferr_set(e, f, "not a finite number");
    }
  }
  return BG_OK;
}

/* FNV-1a over "benchmark\0measure", for the duplicate check. */
static unsigned long long key_hash(const struct bg_result *r) {
  unsigned long long h = 1469598103934665603ULL;
  for (const char *p = r->benchmark; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  h = (h ^ 0xff) * 1099511628211ULL;
  for (const char *p = r->measure; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return h;
}

/* Reports the first (benchmark, measure) that occurs twice. An open-addressing table of result
 * indices keeps this linear for 100 000 results. */
static int check_duplicates(const struct bg_run *run, struct bg_ferr *e) {
  size_t cap = 16;
  while (cap < run->nresults * 2)
    cap *= 2;
  size_t *slots = bg_xmalloc(cap * sizeof *slots);
  for (size_t i = 0; i < cap; i++)
    slots[i] = (size_t)-1;
  int rc = BG_OK;
  for (size_t i = 0; i < run->nresults; i++) {
    const struct bg_result *r = &run->results[i];
    size_t s = (size_t)key_hash(r) & (cap - 1);
    for (; slots[s] != (size_t)-1; s = (s + 1) & (cap - 1)) {
      const struct bg_result *o = &run->results[slots[s]];
      if (strcmp(o->benchmark, r->benchmark) == 0 && strcmp(o->measure, r->measure) == 0) {
        char f[64];
        snprintf(f, sizeof f, "results[%zu]", i);
        rc = bg_ferr_set(e, f, "duplicate of results[%zu] (%s, %s)", slots[s], r->measure,
                         "same benchmark and measure");
        goto out;
      }
    }
    slots[s] = i;
  }
out:
  free(slots);
  return rc;
}

static int check_text(const char *s, const char *field, size_t max, int newlines,
                      struct bg_ferr *e) {
  if (!s)
    return BG_OK;
  size_t n = strlen(s);
  if (n > max)
    return bg_ferr_set(e, field, "longer than %zu bytes", max);
  if (!bg_valid_text(s, n, newlines))
    return bg_ferr_set(e, field, "must be UTF-8 without control characters");
  return BG_OK;
}

static int check_timestamp(const char *s, const char *field, struct bg_ferr *e) {
  if (s && !bg_valid_timestamp(s, NULL))
    return bg_ferr_set(e, field, "not an RFC 3339 timestamp (e.g. 2026-11-20T12:00:00Z)");
  return BG_OK;
}

static int check_commit(const struct bg_commit *c, struct bg_ferr *e) {
  if (!c->sha)
    return bg_ferr_set(e, "commit.sha", "required");
  if (!bg_valid_sha(c->sha))
    return bg_ferr_set(e, "commit.sha", "must be 40 or 64 lowercase hex digits");
  if (!c->branch)
    return bg_ferr_set(e, "commit.branch", "required");
  if (!bg_valid_branch(c->branch))
    return bg_ferr_set(e, "commit.branch", "not a valid git branch name");
  if (c->nparents > MAX_PARENTS)
    return bg_ferr_set(e, "commit.parents", "more than %d parents", MAX_PARENTS);
  for (size_t i = 0; i < c->nparents; i++) {
    if (!bg_valid_sha(c->parents[i])) {
      char f[48];
      snprintf(f, sizeof f, "commit.parents[%zu]", i);
      return bg_ferr_set(e, f, "must be 40 or 64 lowercase hex digits");
    }
  }
  int rc;
  if ((rc = check_text(c->message, "commit.message", MAX_MESSAGE, 1, e)) ||
      (rc = check_text(c->author, "commit.author", MAX_SHORT_TEXT, 0, e)) ||
      (rc = check_timestamp(c->timestamp, "commit.timestamp", e)))
    return rc;
  return BG_OK;
}

int bg_run_validate(const struct bg_run *run, struct bg_ferr *e) {
  int rc;
  bg_ferr_clear(e);
  if (!run->run_id)
    return bg_ferr_set(e, "run_id", "required");
  if (!bg_valid_uuid(run->run_id))
    return bg_ferr_set(e, "run_id", "not a UUID (8-4-4-4-12 hex digits)");
  if ((rc = check_commit(&run->commit, e)))
    return rc;
  if (run->baseline_branch && !bg_valid_branch(run->baseline_branch))
    return bg_ferr_set(e, "baseline.branch", "not a valid git branch name");
  if (run->baseline_sha && !bg_valid_sha(run->baseline_sha))
    return bg_ferr_set(e, "baseline.sha", "must be 40 or 64 lowercase hex digits");
  if (run->pull_request < 0 || run->pull_request > MAX_ID)
    return bg_ferr_set(e, "pull_request", "must be a positive integer");
  if (run->job_id < 0 || run->job_id > MAX_ID)
    return bg_ferr_set(e, "job_id", "must be a positive integer");
  if (!run->testbed)
    return bg_ferr_set(e, "testbed.name", "required");
  if (!bg_valid_testbed(run->testbed))
    return bg_ferr_set(e, "testbed.name", "must match [A-Za-z0-9._-]{1,64}");
  if (run->fingerprint && !cJSON_IsObject(run->fingerprint))
    return bg_ferr_set(e, "testbed.fingerprint", "must be an object");
  if ((rc = check_text(run->agent_name, "agent.name", MAX_SHORT_TEXT, 0, e)) ||
      (rc = check_text(run->agent_version, "agent.version", MAX_SHORT_TEXT, 0, e)) ||
      (rc = check_timestamp(run->started_at, "started_at", e)) ||
      (rc = check_timestamp(run->finished_at, "finished_at", e)))
    return rc;
  if (run->thresholds && !cJSON_IsObject(run->thresholds))
    return bg_ferr_set(e, "thresholds", "must be an object");
  if (run->nwarnings > MAX_WARNINGS)
    return bg_ferr_set(e, "warnings", "more than %d warnings", MAX_WARNINGS);
  for (size_t i = 0; i < run->nwarnings; i++) {
    char f[32];
    snprintf(f, sizeof f, "warnings[%zu]", i);
    if ((rc = check_text(run->warnings[i], f, MAX_SHORT_TEXT, 0, e)))
      return rc;
  }
  if (run->nresults > BG_RUN_MAX_RESULTS)
    return bg_ferr_set(e, "results", "more than %d results", BG_RUN_MAX_RESULTS);
  for (size_t i = 0; i < run->nresults; i++)
    if ((rc = check_result(&run->results[i], i, e)))
      return rc;
  return check_duplicates(run, e);
}

/* ---- JSON to model ---- */

/* Reads an optional string member. Absent or null leaves *out untouched and returns BG_OK; a
 * member of another type is an error naming `field`. */
static int get_string(const cJSON *obj, const char *key, const char *field, char **out,
                      struct bg_ferr *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!v || cJSON_IsNull(v))
    return BG_OK;
  if (!cJSON_IsString(v))
    return bg_ferr_set(e, field, "must be a string");
  bg_run_set(out, v->valuestring);
  return BG_OK;
}

/* Reads an optional positive integer member into *out (0 when absent). */
static int get_id(const cJSON *obj, const char *key, long long *out, struct bg_ferr *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!v || cJSON_IsNull(v))
    return BG_OK;
  if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > MAX_ID ||
      v->valuedouble != floor(v->valuedouble))
    return bg_ferr_set(e, key, "must be a positive integer");
  *out = (long long)v->valuedouble;
  return BG_OK;
}

static int get_object(const cJSON *obj, const char *key, const char *field, const cJSON **out,
                      struct bg_ferr *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = NULL;
  if (!v || cJSON_IsNull(v))
    return BG_OK;
  if (!cJSON_IsObject(v))
    return bg_ferr_set(e, field, "must be an object");
  *out = v;
  return BG_OK;
}

static int parse_commit(struct bg_run *run, const cJSON *root, struct bg_ferr *e) {
  const cJSON *c;
  int rc = get_object(root, "commit", "commit", &c, e);
  if (rc)
    return rc;
  if (!c)
    return bg_ferr_set(e, "commit", "required");
  if ((rc = get_string(c, "sha", "commit.sha", &run->commit.sha, e)) ||
      (rc = get_string(c, "branch", "commit.branch", &run->commit.branch, e)) ||
      (rc = get_string(c, "message", "commit.message", &run->commit.message, e)) ||
      (rc = get_string(c, "author", "commit.author", &run->commit.author, e)) ||
      (rc = get_string(c, "timestamp", "commit.timestamp", &run->commit.timestamp, e)))
    return rc;
  const cJSON *parents = cJSON_GetObjectItemCaseSensitive(c, "parents");
  if (parents && !cJSON_IsNull(parents)) {
    if (!cJSON_IsArray(parents))
      return bg_ferr_set(e, "commit.parents", "must be an array of shas");
    size_t i = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, parents) {
      if (i >= MAX_PARENTS)
        return bg_ferr_set(e, "commit.parents", "more than %d parents", MAX_PARENTS);
      if (!cJSON_IsString(p)) {
        char f[48];
        snprintf(f, sizeof f, "commit.parents[%zu]", i);
        return bg_ferr_set(e, f, "must be a string");
      }
      bg_run_add_parent(run, p->valuestring);
      i++;
    }
  }
  return BG_OK;
}

static int parse_testbed(struct bg_run *run, const cJSON *root, struct bg_ferr *e) {
  const cJSON *t, *fp;
  int rc = get_object(root, "testbed", "testbed", &t, e);
  if (rc)
    return rc;
  if (!t)
    return bg_ferr_set(e, "testbed", "required");
  if ((rc = get_string(t, "name", "testbed.name", &run->testbed, e)) ||
      (rc = get_object(t, "fingerprint", "testbed.fingerprint", &fp, e)))
    return rc;
  if (fp)
    run->fingerprint = cJSON_Duplicate(fp, 1);
  return BG_OK;
}

static int parse_samples(struct bg_result *r, const cJSON *samples, const char *prefix,
                         size_t i, struct bg_ferr *e) {
  char f[96];
  if (!cJSON_IsArray(samples)) {
    snprintf(f, sizeof f, "%s[%zu].samples", prefix, i);
    return bg_ferr_set(e, f, "must be an array of numbers");
  }
  int count = cJSON_GetArraySize(samples);
  if (count < 1 || count > BG_RUN_MAX_SAMPLES) {
    snprintf(f, sizeof f, "%s[%zu].samples", prefix, i);
    return bg_ferr_set(e, f, "must hold 1 to %d samples", BG_RUN_MAX_SAMPLES);
  }
  r->samples = bg_xmalloc((size_t)count * sizeof *r->samples);
  r->samples_cap = (size_t)count;
  const cJSON *s;
  size_t j = 0;
  cJSON_ArrayForEach(s, samples) {
    if (!cJSON_IsNumber(s) || !isfinite(s->valuedouble)) {
      snprintf(f, sizeof f, "%s[%zu].samples[%zu]", prefix, i, j);
      return bg_ferr_set(e, f, "not a finite number");
    }
    r->samples[r->nsamples++] = s->valuedouble;
    j++;
  }
  return BG_OK;
}

static int parse_summary(struct bg_result *r, const cJSON *sum, const char *prefix, size_t i,
                         struct bg_ferr *e) {
  char f[96];
  if (!cJSON_IsObject(sum)) {
    snprintf(f, sizeof f, "%s[%zu].summary", prefix, i);
    return bg_ferr_set(e, f, "must be an object with n, mean and stddev");
  }
  const char *keys[] = {"n", "mean", "stddev"};
  double v[3];
  for (int k = 0; k < 3; k++) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(sum, keys[k]);
    snprintf(f, sizeof f, "%s[%zu].summary.%s", prefix, i, keys[k]);
    if (!x)
      return bg_ferr_set(e, f, "required");
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
      return bg_ferr_set(e, f, "not a finite number");
    v[k] = x->valuedouble;
  }
  snprintf(f, sizeof f, "%s[%zu].summary.n", prefix, i);
  if (v[0] < 1 || v[0] != floor(v[0]) || v[0] > MAX_ID)
    return bg_ferr_set(e, f, "must be an integer >= 1");
  snprintf(f, sizeof f, "%s[%zu].summary.stddev", prefix, i);
  if (v[2] < 0)
    return bg_ferr_set(e, f, "must be >= 0");
  bg_result_set_summary(r, (long long)v[0], v[1], v[2]);
  return BG_OK;
}

/* Reads one result object; unit and direction default from well-known measures. */
static int parse_result(struct bg_run *run, const cJSON *item, const char *prefix, size_t i,
                        struct bg_ferr *e) {
  char f[96];
  if (!cJSON_IsObject(item)) {
    snprintf(f, sizeof f, "%s[%zu]", prefix, i);
    return bg_ferr_set(e, f, "must be an object");
  }
  const char *names[] = {"benchmark", "measure", "unit", "direction"};
  const char *vals[4] = {NULL, NULL, NULL, NULL};
  for (int k = 0; k < 4; k++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, names[k]);
    snprintf(f, sizeof f, "%s[%zu].%s", prefix, i, names[k]);
    if (v && !cJSON_IsNull(v) && !cJSON_IsString(v))
      return bg_ferr_set(e, f, "must be a string");
    vals[k] = v && cJSON_IsString(v) ? v->valuestring : NULL;
    if (k < 2 && !vals[k])
      return bg_ferr_set(e, f, "required");
  }
  snprintf(f, sizeof f, "%s[%zu].benchmark", prefix, i);
  if (!bg_valid_benchmark(vals[0]))
    return bg_ferr_set(e, f, "must be 1-1024 bytes of UTF-8 without control characters");
  snprintf(f, sizeof f, "%s[%zu].measure", prefix, i);
  if (!bg_valid_measure(vals[1]))
    return bg_ferr_set(e, f, "must match [a-z0-9_]{1,64}");
  const char *unit = vals[2];
  enum bg_direction dir = BG_LOWER;
  int known = bg_measure_lookup(vals[1], unit ? NULL : &unit, &dir);
  if (vals[3]) {
    if (!bg_direction_parse(vals[3], &dir)) {
      snprintf(f, sizeof f, "%s[%zu].direction", prefix, i);
      return bg_ferr_set(e, f, "must be \"lower\" or \"higher\"");
    }
  } else if (!known) {
    snprintf(f, sizeof f, "%s[%zu].direction", prefix, i);
    return bg_ferr_set(e, f, "required for measure '%.64s'", vals[1]);
  }
  if (!unit) {
    snprintf(f, sizeof f, "%s[%zu].unit", prefix, i);
    return bg_ferr_set(e, f, "required for measure '%.64s'", vals[1]);
  }
  struct bg_result *r = bg_run_add_result(run, vals[0], vals[1], unit, dir);
  const cJSON *samples = cJSON_GetObjectItemCaseSensitive(item, "samples");
  const cJSON *summary = cJSON_GetObjectItemCaseSensitive(item, "summary");
  if (samples && summary) {
    snprintf(f, sizeof f, "%s[%zu]", prefix, i);
    return bg_ferr_set(e, f, "has both samples and summary; give one");
  }
  if (samples)
    return parse_samples(r, samples, prefix, i, e);
  if (summary)
    return parse_summary(r, summary, prefix, i, e);
  snprintf(f, sizeof f, "%s[%zu]", prefix, i);
  return bg_ferr_set(e, f, "needs samples or a summary");
}

int bg_run_results_from_cjson(struct bg_run *run, const cJSON *array, const char *prefix,
                              struct bg_ferr *e) {
  if (!cJSON_IsArray(array))
    return bg_ferr_set(e, prefix, "must be an array");
  size_t i = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, array) {
    if (i >= BG_RUN_MAX_RESULTS)
      return bg_ferr_set(e, prefix, "more than %d results", BG_RUN_MAX_RESULTS);
    int rc = parse_result(run, item, prefix, i, e);
    if (rc)
      return rc;
    i++;
  }
  return BG_OK;
}

static int parse_warnings(struct bg_run *run, const cJSON *root, struct bg_ferr *e) {
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "warnings");
  if (!w || cJSON_IsNull(w))
    return BG_OK;
  if (!cJSON_IsArray(w))
    return bg_ferr_set(e, "warnings", "must be an array of strings");
  size_t i = 0;
  const cJSON *s;
  cJSON_ArrayForEach(s, w) {
    if (i >= MAX_WARNINGS)
      return bg_ferr_set(e, "warnings", "more than %d warnings", MAX_WARNINGS);
    if (!cJSON_IsString(s)) {
      char f[32];
      snprintf(f, sizeof f, "warnings[%zu]", i);
      return bg_ferr_set(e, f, "must be a string");
    }
    bg_run_add_warning(run, s->valuestring);
    i++;
  }
  return BG_OK;
}

static int parse_root(struct bg_run *run, const cJSON *root, struct bg_ferr *e) {
  int rc;
  if (!cJSON_IsObject(root))
    return bg_ferr_set(e, "", "the payload must be a JSON object");
  const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
  if (!schema)
    return bg_ferr_set(e, "schema", "required (\"%s\")", BG_RUN_SCHEMA);
  if (!cJSON_IsString(schema) || strcmp(schema->valuestring, BG_RUN_SCHEMA) != 0)
    return bg_ferr_set(e, "schema", "must be \"%s\"", BG_RUN_SCHEMA);
  const cJSON *base, *agent;
  if ((rc = get_string(root, "run_id", "run_id", &run->run_id, e)) ||
      (rc = parse_commit(run, root, e)) ||
      (rc = get_object(root, "baseline", "baseline", &base, e)))
    return rc;
  if (base && ((rc = get_string(base, "branch", "baseline.branch", &run->baseline_branch, e)) ||
               (rc = get_string(base, "sha", "baseline.sha", &run->baseline_sha, e))))
    return rc;
  if ((rc = get_id(root, "pull_request", &run->pull_request, e)) ||
      (rc = get_id(root, "job_id", &run->job_id, e)) || (rc = parse_testbed(run, root, e)) ||
      (rc = get_object(root, "agent", "agent", &agent, e)))
    return rc;
  if (agent && ((rc = get_string(agent, "name", "agent.name", &run->agent_name, e)) ||
                (rc = get_string(agent, "version", "agent.version", &run->agent_version, e))))
    return rc;
  const cJSON *th;
  if ((rc = get_string(root, "started_at", "started_at", &run->started_at, e)) ||
      (rc = get_string(root, "finished_at", "finished_at", &run->finished_at, e)) ||
      (rc = get_object(root, "thresholds", "thresholds", &th, e)) ||
      (rc = parse_warnings(run, root, e)))
    return rc;
  if (th)
    run->thresholds = cJSON_Duplicate(th, 1);
  const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
  if (!results)
    return bg_ferr_set(e, "results", "required");
  if ((rc = bg_run_results_from_cjson(run, results, "results", e)))
    return rc;
  return bg_run_validate(run, e);
}

int bg_run_from_json(const char *text, size_t len, struct bg_run **out, struct bg_ferr *e) {
  *out = NULL;
  bg_ferr_clear(e);
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!root) {
    size_t at = end && end >= text ? (size_t)(end - text) : 0;
    bg_ferr_set(e, "", "malformed JSON near byte %zu", at);
    return BG_EPARSE;
  }
  struct bg_run *run = bg_run_new();
  int rc = parse_root(run, root, e);
  cJSON_Delete(root);
  if (rc) {
    bg_run_free(run);
    return rc;
  }
  *out = run;
  return BG_OK;
}

/* ---- model to JSON ---- */

static void add_string(cJSON *obj, const char *key, const char *s) {
  if (s)
    cJSON_AddStringToObject(obj, key, s);
}

static cJSON *result_to_cjson(const struct bg_result *r) {
  cJSON *o = cJSON_CreateObject();
  add_string(o, "benchmark", r->benchmark);
  add_string(o, "measure", r->measure);
  add_string(o, "unit", r->unit);
  cJSON_AddStringToObject(o, "direction", bg_direction_name(r->direction));
  if (r->has_summary) {
    cJSON *s = cJSON_AddObjectToObject(o, "summary");
    cJSON_AddNumberToObject(s, "n", (double)r->n);
    cJSON_AddNumberToObject(s, "mean", r->mean);
    cJSON_AddNumberToObject(s, "stddev", r->stddev);
  } else {
    cJSON_AddItemToObject(o, "samples", cJSON_CreateDoubleArray(r->samples, (int)r->nsamples));
  }
  return o;
}

cJSON *bg_run_to_cjson(const struct bg_run *run) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "schema", BG_RUN_SCHEMA);
  add_string(o, "run_id", run->run_id);
  cJSON *c = cJSON_AddObjectToObject(o, "commit");
  add_string(c, "sha", run->commit.sha);
  add_string(c, "branch", run->commit.branch);
  if (run->commit.nparents) {
    cJSON *p = cJSON_AddArrayToObject(c, "parents");
    for (size_t i = 0; i < run->commit.nparents; i++)
      cJSON_AddItemToArray(p, cJSON_CreateString(run->commit.parents[i]));
  }
  add_string(c, "message", run->commit.message);
  add_string(c, "author", run->commit.author);
  add_string(c, "timestamp", run->commit.timestamp);
  if (run->baseline_branch || run->baseline_sha) {
    cJSON *b = cJSON_AddObjectToObject(o, "baseline");
    add_string(b, "branch", run->baseline_branch);
    add_string(b, "sha", run->baseline_sha);
  }
  if (run->pull_request)
    cJSON_AddNumberToObject(o, "pull_request", (double)run->pull_request);
  if (run->job_id)
    cJSON_AddNumberToObject(o, "job_id", (double)run->job_id);
  cJSON *t = cJSON_AddObjectToObject(o, "testbed");
  add_string(t, "name", run->testbed);
  if (run->fingerprint)
    cJSON_AddItemToObject(t, "fingerprint", cJSON_Duplicate(run->fingerprint, 1));
  if (run->agent_name || run->agent_version) {
    cJSON *a = cJSON_AddObjectToObject(o, "agent");
    add_string(a, "name", run->agent_name);
    add_string(a, "version", run->agent_version);
  }
  add_string(o, "started_at", run->started_at);
  add_string(o, "finished_at", run->finished_at);
  if (run->thresholds)
    cJSON_AddItemToObject(o, "thresholds", cJSON_Duplicate(run->thresholds, 1));
  if (run->nwarnings) {
    cJSON *w = cJSON_AddArrayToObject(o, "warnings");
    for (size_t i = 0; i < run->nwarnings; i++)
      cJSON_AddItemToArray(w, cJSON_CreateString(run->warnings[i]));
  }
  cJSON *rs = cJSON_AddArrayToObject(o, "results");
  for (size_t i = 0; i < run->nresults; i++)
    cJSON_AddItemToArray(rs, result_to_cjson(&run->results[i]));
  return o;
}

char *bg_run_to_json(const struct bg_run *run, int pretty) {
  cJSON *o = bg_run_to_cjson(run);
  char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!s) {
    fprintf(stderr, "benchgate: out of memory printing a run\n");
    abort();
  }
  return s;
}
