/* run.c: the run model and its validation (run_json.c reads and writes its JSON form).
 *
 * Errors name the field the way a client wrote it ("results[3].samples[7]"), which is what
 * the API returns in a 400.
 */
#include "run.h"

#include "gate_thresholds.h"
#include "run_internal.h"
#include "jdoc.h"
#include "mem.h"
#include "table.h"
#include "valid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


struct bg_run *bg_run_new(void) {
  return bg_xcalloc(1, sizeof(struct bg_run));
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

static void interleaved_free(struct bg_interleaved *iv) {
  if (!iv)
    return;
  for (size_t i = 0; i < iv->nrounds; i++) {
    bg_run_free(iv->rounds[i].base);
    bg_run_free(iv->rounds[i].head);
  }
  free(iv->rounds);
  free(iv->base_sha);
  free(iv);
}

void bg_run_free(struct bg_run *run) {
  if (!run)
    return;
  interleaved_free(run->interleaved);
  free(run->run_id);
  free(run->commit.sha);
  free(run->commit.branch);
  free_strings(run->commit.parents, run->commit.nparents);
  free(run->commit.message);
  free(run->commit.author);
  free(run->commit.timestamp);
  free(run->baseline_branch);
  free(run->baseline_sha);
  free(run->confirms);
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

struct bg_interleaved *bg_run_interleave(struct bg_run *run, const char *base_sha) {
  if (!run->interleaved)
    run->interleaved = bg_xcalloc(1, sizeof *run->interleaved);
  bg_run_set(&run->interleaved->base_sha, base_sha);
  return run->interleaved;
}

struct bg_round *bg_interleaved_add_round(struct bg_interleaved *iv) {
  bg_xgrow((void **)&iv->rounds, &iv->rounds_cap, iv->nrounds + 1, sizeof *iv->rounds);
  struct bg_round *r = &iv->rounds[iv->nrounds++];
  r->base = bg_run_new();
  r->head = bg_run_new();
  return r;
}

void bg_run_add_parent(struct bg_run *run, const char *sha) {
  push_string(&run->commit.parents, &run->commit.nparents, sha);
}

void bg_run_add_warning(struct bg_run *run, const char *text) {
  push_string(&run->warnings, &run->nwarnings, text);
}

struct bg_result *bg_run_add_result(struct bg_run *run, const char *benchmark, const char *measure,
                                    const char *unit, enum bg_direction direction) {
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
    {"wall_time", "ns", BG_LOWER},      {"cpu_time", "ns", BG_LOWER},
    {"max_rss", "bytes", BG_LOWER},     {"instructions", "count", BG_LOWER},
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

/* Field names are formatted only on the way to an error: building them for every valid
 * result cost more than the checks themselves. */
static int result_error(struct bg_ferr *e, const char *prefix, size_t i, const char *member,
                        const char *msg) {
  char f[96];
  snprintf(f, sizeof f, "%s[%zu].%s", prefix, i, member);
  return bg_ferr_set(e, f, "%s", msg);
}

static int check_result(const struct bg_result *r, const char *prefix, size_t i,
                        struct bg_ferr *e) {
  if (!bg_valid_benchmark(r->benchmark))
    return result_error(e, prefix, i, "benchmark",
                        "must be 1-1024 bytes of UTF-8 without control characters");
  if (!bg_valid_measure(r->measure))
    return result_error(e, prefix, i, "measure", "must match [a-z0-9_]{1,64}");
  if (!bg_valid_unit(r->unit))
    return result_error(e, prefix, i, "unit", "must be 1-32 printable characters without spaces");
  if (r->has_summary) {
    if (r->n < 1)
      return result_error(e, prefix, i, "summary.n", "must be at least 1");
    if (!isfinite(r->mean))
      return result_error(e, prefix, i, "summary.mean", "not a finite number");
    if (!isfinite(r->stddev) || r->stddev < 0)
      return result_error(e, prefix, i, "summary.stddev", "must be a finite number >= 0");
    return BG_OK;
  }
  if (r->nsamples < 1 || r->nsamples > BG_RUN_MAX_SAMPLES) {
    char f[96];
    snprintf(f, sizeof f, "%s[%zu].samples", prefix, i);
    return bg_ferr_set(e, f, "must hold 1 to %d samples", BG_RUN_MAX_SAMPLES);
  }
  for (size_t j = 0; j < r->nsamples; j++) {
    if (!isfinite(r->samples[j])) {
      char f[96];
      snprintf(f, sizeof f, "%s[%zu].samples[%zu]", prefix, i, j);
      return bg_ferr_set(e, f, "not a finite number");
    }
  }
  return BG_OK;
}

/* FNV-1a over "benchmark\0measure", for the duplicate check. */
static uint64_t key_hash(const struct bg_result *r) {
  uint64_t h = 1469598103934665603ULL;
  for (const char *p = r->benchmark; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  h = (h ^ 0xff) * 1099511628211ULL;
  for (const char *p = r->measure; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return h;
}

/* Reports the first (benchmark, measure) that occurs twice. A keyed table of result indices
 * keeps this linear for 100 000 results. */
static int check_duplicates(const struct bg_run *run, const char *prefix, struct bg_ferr *e) {
  struct bg_table seen = {0};
  int rc = BG_OK;
  bg_table_reserve(&seen, run->nresults);
  for (size_t i = 0; i < run->nresults && rc == BG_OK; i++) {
    const struct bg_result *r = &run->results[i];
    uint64_t key = key_hash(r);
    size_t at = 0, j;
    while (rc == BG_OK && bg_table_next(&seen, key, &at, &j)) {
      const struct bg_result *o = &run->results[j];
      if (strcmp(o->benchmark, r->benchmark) == 0 && strcmp(o->measure, r->measure) == 0) {
        char f[96];
        snprintf(f, sizeof f, "%s[%zu]", prefix, i);
        rc = bg_ferr_set(e, f, "duplicate of %s[%zu] (%s, %s)", prefix, j, r->measure,
                         "same benchmark and measure");
      }
    }
    bg_table_add(&seen, key, i);
  }
  bg_table_free(&seen);
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

/* run_internal.h */
size_t bg_run_path_push(char *path, size_t len, size_t cap, const char *key, size_t i) {
  int n = key ? snprintf(path + len, cap - len, "%s%s", len ? "." : "", key)
              : snprintf(path + len, cap - len, "[%zu]", i);
  if (n < 0 || (size_t)n >= cap - len) {
    path[len] = '\0';
    return len;
  }
  return len + (size_t)n;
}

/* Every string and member name of a value kept as JSON (testbed.fingerprint, thresholds)
 * must be UTF-8: the value is served back, and a client's JSON parser refuses anything else.
 * path[0..len) names v; cap is path's size. */
static int check_json_utf8(const cJSON *v, char *path, size_t len, size_t cap, struct bg_ferr *e) {
  if (cJSON_IsString(v))
    return bg_valid_utf8(v->valuestring, strlen(v->valuestring))
               ? BG_OK
               : bg_ferr_set(e, path, "not valid UTF-8");
  if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
    return BG_OK;
  size_t i = 0;
  for (const cJSON *c = v->child; c; c = c->next, i++) {
    const char *key = cJSON_IsObject(v) ? (c->string ? c->string : "") : NULL;
    if (key && !bg_valid_utf8(key, strlen(key)))
      return bg_ferr_set(e, path, "the name of member %zu is not valid UTF-8", i);
    int rc = check_json_utf8(c, path, bg_run_path_push(path, len, cap, key, i), cap, e);
    path[len] = '\0';
    if (rc)
      return rc;
  }
  return BG_OK;
}

/* A value kept as JSON, named `field`: UTF-8 throughout. */
static int check_kept_json(const cJSON *v, const char *field, struct bg_ferr *e) {
  char path[256];
  if (!v)
    return BG_OK;
  snprintf(path, sizeof path, "%s", field);
  return check_json_utf8(v, path, strlen(path), sizeof path, e);
}

/* Thresholds are checked by the parser the gate reads them with, so a payload is refused
 * for exactly what would make the gate fall back to its defaults. */
static int check_thresholds(const cJSON *json, struct bg_ferr *e) {
  struct bg_gate_thresholds *t = NULL;
  int rc;
  if (!json)
    return BG_OK;
  if ((rc = check_kept_json(json, "thresholds", e)) || (rc = bg_gate_thresholds_parse(json, &t, e)))
    return rc;
  bg_gate_thresholds_free(t);
  return BG_OK;
}

/* The results of run (the run's own, or one side of a round), named `prefix`. */
static int check_results(const struct bg_run *run, const char *prefix, struct bg_ferr *e) {
  int rc;
  if (run->nresults > BG_RUN_MAX_RESULTS)
    return bg_ferr_set(e, prefix, "more than %d results", BG_RUN_MAX_RESULTS);
  if (run->nresults < 1)
    return bg_ferr_set(e, prefix, "must hold at least one result");
  for (size_t i = 0; i < run->nresults; i++)
    if ((rc = check_result(&run->results[i], prefix, i, e)))
      return rc;
  return check_duplicates(run, prefix, e);
}

/* The interleaved part: a base commit and 2 to BG_RUN_MAX_ROUNDS rounds of results on both
 * sides (a pair needs two rounds for its variance). */
static int check_interleaved(const struct bg_run *run, struct bg_ferr *e) {
  const struct bg_interleaved *iv = run->interleaved;
  int rc;
  if (!iv)
    return BG_OK;
  if (!iv->base_sha)
    return bg_ferr_set(e, "interleaved.base_sha", "required");
  if (!bg_valid_sha(iv->base_sha))
    return bg_ferr_set(e, "interleaved.base_sha", "must be 40 or 64 lowercase hex digits");
  if (iv->nrounds < 2 || iv->nrounds > BG_RUN_MAX_ROUNDS)
    return bg_ferr_set(e, "interleaved.rounds", "must hold 2 to %d rounds", BG_RUN_MAX_ROUNDS);
  for (size_t i = 0; i < iv->nrounds; i++) {
    char f[64];
    snprintf(f, sizeof f, "interleaved.rounds[%zu].base", i);
    if ((rc = check_results(iv->rounds[i].base, f, e)))
      return rc;
    snprintf(f, sizeof f, "interleaved.rounds[%zu].head", i);
    if ((rc = check_results(iv->rounds[i].head, f, e)))
      return rc;
  }
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
  if (run->confirms && !bg_valid_uuid(run->confirms))
    return bg_ferr_set(e, "confirms",
                       "not a UUID (8-4-4-4-12 hex digits): the run_id of the run "
                       "this one confirms");
  if (run->confirms && run->run_id && !strcasecmp(run->confirms, run->run_id))
    return bg_ferr_set(e, "confirms", "a run cannot confirm itself");
  if (!run->testbed)
    return bg_ferr_set(e, "testbed.name", "required");
  if (!bg_valid_testbed(run->testbed))
    return bg_ferr_set(e, "testbed.name", "must match [A-Za-z0-9._-]{1,64}");
  if (run->fingerprint && !cJSON_IsObject(run->fingerprint))
    return bg_ferr_set(e, "testbed.fingerprint", "must be an object");
  if ((rc = check_kept_json(run->fingerprint, "testbed.fingerprint", e)))
    return rc;
  if ((rc = check_text(run->agent_name, "agent.name", MAX_SHORT_TEXT, 0, e)) ||
      (rc = check_text(run->agent_version, "agent.version", MAX_SHORT_TEXT, 0, e)) ||
      (rc = check_timestamp(run->started_at, "started_at", e)) ||
      (rc = check_timestamp(run->finished_at, "finished_at", e)))
    return rc;
  if (run->thresholds && !cJSON_IsObject(run->thresholds))
    return bg_ferr_set(e, "thresholds", "must be an object");
  if ((rc = check_thresholds(run->thresholds, e)))
    return rc;
  if (run->nwarnings > MAX_WARNINGS)
    return bg_ferr_set(e, "warnings", "more than %d warnings", MAX_WARNINGS);
  for (size_t i = 0; i < run->nwarnings; i++) {
    char f[32];
    snprintf(f, sizeof f, "warnings[%zu]", i);
    if ((rc = check_text(run->warnings[i], f, MAX_SHORT_TEXT, 0, e)))
      return rc;
  }
  if ((rc = check_results(run, "results", e)))
    return rc;
  return check_interleaved(run, e);
}
