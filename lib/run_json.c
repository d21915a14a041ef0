/* run_json.c: the run's JSON form, benchgate.run/v1, both ways (run.h).
 *
 * Parsing goes through lib/jdoc.c (a strict JSON reader with no allocation per value), then
 * every member is checked and copied into a struct bg_run, so the rest of the program never
 * touches unchecked JSON; bg_run_validate (run.c) then checks the model as a whole.
 * Serialising goes through cJSON.
 */
#include "run.h"

#include "jdoc.h"
#include "mem.h"
#include "run_internal.h"
#include "valid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON to model ----
 *
 * The payload is read by lib/jdoc.c into one flat document (no allocation per value; samples
 * arrive as runs of doubles), then checked member by member in a fixed order, so the first
 * error reported does not depend on the order of members in the text. A member the model
 * reads may appear once: a duplicate is an error naming it (a silent first-wins or last-wins
 * would make two readers of one payload disagree). Members the model does not know are
 * ignored (but their strings must be UTF-8 like all JSON text); inside testbed.fingerprint
 * and thresholds, which are kept as JSON, members are kept as sent. */

/* A field name "prefix[i]" or "prefix[i].member", built only when an error needs it. */
static const char *field_at(char *f, size_t n, const char *prefix, size_t i, const char *member) {
  snprintf(f, n, "%s[%zu]%s%s", prefix, i, member ? "." : "", member ? member : "");
  return f;
}

/* Looks a member up. Returns BG_OK with *out the member or NULL; a member given twice is an
 * error naming `field`. */
static int member(const struct bg_jdoc *d, const struct bg_jnode *obj, const char *key,
                  const char *field, const struct bg_jnode **out, struct bg_ferr *e) {
  if (bg_jdoc_member(d, obj, key, out) > 1)
    return bg_ferr_set(e, field, "given more than once");
  return BG_OK;
}

/* Reads a string node into a new C string; a string holding U+0000 is an error naming `field`
 * (a C string would silently end there). */
static int take_string(const struct bg_jdoc *d, const struct bg_jnode *v, const char *field,
                       char **out, struct bg_ferr *e) {
  const char *s = bg_jdoc_str(d, v);
  if (strlen(s) != bg_jdoc_strlen(v))
    return bg_ferr_set(e, field, "must not contain U+0000");
  bg_run_set(out, s);
  return BG_OK;
}

/* Reads an optional string member. Absent or null leaves *out untouched and returns BG_OK; a
 * member of another type is an error naming `field`. */
static int get_string(const struct bg_jdoc *d, const struct bg_jnode *obj, const char *key,
                      const char *field, char **out, struct bg_ferr *e) {
  const struct bg_jnode *v;
  int rc = member(d, obj, key, field, &v, e);
  if (rc || !v || v->type == BG_JNULL)
    return rc;
  if (v->type != BG_JSTR)
    return bg_ferr_set(e, field, "must be a string");
  return take_string(d, v, field, out, e);
}

/* Reads an optional positive integer member into *out (0 when absent). */
static int get_id(const struct bg_jdoc *d, const struct bg_jnode *obj, const char *key,
                  long long *out, struct bg_ferr *e) {
  const struct bg_jnode *v;
  int rc = member(d, obj, key, key, &v, e);
  if (rc || !v || v->type == BG_JNULL)
    return rc;
  if (v->type != BG_JNUM || v->v.num < 1 || v->v.num > MAX_ID || v->v.num != floor(v->v.num))
    return bg_ferr_set(e, key, "must be a positive integer");
  *out = (long long)v->v.num;
  return BG_OK;
}

/* Reads an optional boolean member into *out (0 when absent or null). */
static int get_bool(const struct bg_jdoc *d, const struct bg_jnode *obj, const char *key, int *out,
                    struct bg_ferr *e) {
  const struct bg_jnode *v;
  int rc = member(d, obj, key, key, &v, e);
  if (rc || !v || v->type == BG_JNULL)
    return rc;
  if (v->type != BG_JTRUE && v->type != BG_JFALSE)
    return bg_ferr_set(e, key, "must be true or false");
  *out = v->type == BG_JTRUE;
  return BG_OK;
}

static int get_object(const struct bg_jdoc *d, const struct bg_jnode *obj, const char *key,
                      const char *field, const struct bg_jnode **out, struct bg_ferr *e) {
  const struct bg_jnode *v;
  int rc = member(d, obj, key, field, &v, e);
  *out = NULL;
  if (rc || !v || v->type == BG_JNULL)
    return rc;
  if (v->type != BG_JOBJ)
    return bg_ferr_set(e, field, "must be an object");
  *out = v;
  return BG_OK;
}

/* A copy of an object kept as JSON (fingerprint, thresholds). */
static int keep_json(const struct bg_jdoc *d, const struct bg_jnode *v, const char *field,
                     cJSON **out, struct bg_ferr *e) {
  if (!v)
    return BG_OK;
  if (!(*out = bg_jdoc_to_cjson(d, v)))
    return bg_ferr_set(e, field, "strings must not contain U+0000");
  return BG_OK;
}

/* Reads an optional array of strings (commit.parents, warnings) with at most `max` entries,
 * adding each with `add`. */
static int get_strings(const struct bg_jdoc *d, const struct bg_jnode *obj, const char *key,
                       const char *field, const char *shape, const char *what, int max,
                       struct bg_run *run, void (*add)(struct bg_run *, const char *),
                       struct bg_ferr *e) {
  const struct bg_jnode *a;
  char f[64];
  int rc = member(d, obj, key, field, &a, e);
  if (rc || !a || a->type == BG_JNULL)
    return rc;
  if (a->type != BG_JARR)
    return bg_ferr_set(e, field, "%s", shape);
  if (a->packed) /* its first element is a number */
    return bg_ferr_set(e, field_at(f, sizeof f, field, 0, NULL), "must be a string");
  size_t i = 0;
  for (const struct bg_jnode *s = bg_jdoc_first(d, a); s; s = bg_jdoc_next(d, a, s), i++) {
    if (i >= (size_t)max)
      return bg_ferr_set(e, field, "more than %d %s", max, what);
    field_at(f, sizeof f, field, i, NULL);
    if (s->type != BG_JSTR)
      return bg_ferr_set(e, f, "must be a string");
    const char *v = bg_jdoc_str(d, s);
    if (strlen(v) != bg_jdoc_strlen(s))
      return bg_ferr_set(e, f, "must not contain U+0000");
    add(run, v);
  }
  return BG_OK;
}

static int parse_commit(struct bg_run *run, const struct bg_jdoc *d, const struct bg_jnode *root,
                        struct bg_ferr *e) {
  const struct bg_jnode *c;
  int rc = get_object(d, root, "commit", "commit", &c, e);
  if (rc)
    return rc;
  if (!c)
    return bg_ferr_set(e, "commit", "required");
  if ((rc = get_string(d, c, "sha", "commit.sha", &run->commit.sha, e)) ||
      (rc = get_string(d, c, "branch", "commit.branch", &run->commit.branch, e)) ||
      (rc = get_string(d, c, "message", "commit.message", &run->commit.message, e)) ||
      (rc = get_string(d, c, "author", "commit.author", &run->commit.author, e)) ||
      (rc = get_string(d, c, "timestamp", "commit.timestamp", &run->commit.timestamp, e)))
    return rc;
  return get_strings(d, c, "parents", "commit.parents", "must be an array of shas", "parents",
                     MAX_PARENTS, run, bg_run_add_parent, e);
}

static int parse_testbed(struct bg_run *run, const struct bg_jdoc *d, const struct bg_jnode *root,
                         struct bg_ferr *e) {
  const struct bg_jnode *t, *fp;
  int rc = get_object(d, root, "testbed", "testbed", &t, e);
  if (rc)
    return rc;
  if (!t)
    return bg_ferr_set(e, "testbed", "required");
  if ((rc = get_string(d, t, "name", "testbed.name", &run->testbed, e)) ||
      (rc = get_object(d, t, "fingerprint", "testbed.fingerprint", &fp, e)))
    return rc;
  return keep_json(d, fp, "testbed.fingerprint", &run->fingerprint, e);
}

static int parse_samples(struct bg_result *r, const struct bg_jdoc *d,
                         const struct bg_jnode *samples, const char *prefix, size_t i,
                         struct bg_ferr *e) {
  char f[96], g[128];
  if (samples->type != BG_JARR)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "samples"),
                       "must be an array of numbers");
  size_t count = samples->count;
  if (count < 1 || count > BG_RUN_MAX_SAMPLES)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "samples"), "must hold 1 to %d samples",
                       BG_RUN_MAX_SAMPLES);
  r->samples = bg_xmalloc(count * sizeof *r->samples);
  r->samples_cap = count;
  if (samples->packed) {
    const double *v = d->nums + samples->v.nums;
    for (size_t j = 0; j < count; j++) {
      if (!isfinite(v[j])) {
        snprintf(g, sizeof g, "%s[%zu]", field_at(f, sizeof f, prefix, i, "samples"), j);
        return bg_ferr_set(e, g, "not a finite number");
      }
    }
    memcpy(r->samples, v, count * sizeof *v);
    r->nsamples = count;
    return BG_OK;
  }
  size_t j = 0;
  for (const struct bg_jnode *s = bg_jdoc_first(d, samples); s;
       s = bg_jdoc_next(d, samples, s), j++) {
    if (s->type != BG_JNUM || !isfinite(s->v.num)) {
      snprintf(g, sizeof g, "%s[%zu]", field_at(f, sizeof f, prefix, i, "samples"), j);
      return bg_ferr_set(e, g, "not a finite number");
    }
    r->samples[r->nsamples++] = s->v.num;
  }
  return BG_OK;
}

static int parse_summary(struct bg_result *r, const struct bg_jdoc *d, const struct bg_jnode *sum,
                         const char *prefix, size_t i, struct bg_ferr *e) {
  char f[96], g[128];
  if (sum->type != BG_JOBJ)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "summary"),
                       "must be an object with n, mean and stddev");
  const char *keys[] = {"n", "mean", "stddev"};
  double v[3];
  for (int k = 0; k < 3; k++) {
    const struct bg_jnode *x;
    snprintf(g, sizeof g, "%s.%s", field_at(f, sizeof f, prefix, i, "summary"), keys[k]);
    int rc = member(d, sum, keys[k], g, &x, e);
    if (rc)
      return rc;
    if (!x)
      return bg_ferr_set(e, g, "required");
    if (x->type != BG_JNUM || !isfinite(x->v.num))
      return bg_ferr_set(e, g, "not a finite number");
    v[k] = x->v.num;
  }
  if (v[0] < 1 || v[0] != floor(v[0]) || v[0] > MAX_ID)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "summary.n"), "must be an integer >= 1");
  if (v[2] < 0)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "summary.stddev"), "must be >= 0");
  bg_result_set_summary(r, (long long)v[0], v[1], v[2]);
  return BG_OK;
}

/* Reads one result object; unit and direction default from well-known measures. */
static int parse_result(struct bg_run *run, const struct bg_jdoc *d, const struct bg_jnode *item,
                        const char *prefix, size_t i, struct bg_ferr *e) {
  char f[96];
  if (item->type != BG_JOBJ)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, NULL), "must be an object");
  const char *names[] = {"benchmark", "measure", "unit", "direction"};
  const char *vals[4] = {NULL, NULL, NULL, NULL};
  for (int k = 0; k < 4; k++) {
    const struct bg_jnode *v;
    /* The field name is only formatted when something is wrong with this member. */
    if (bg_jdoc_member(d, item, names[k], &v) > 1)
      return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, names[k]), "given more than once");
    if (v && v->type != BG_JNULL && v->type != BG_JSTR)
      return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, names[k]), "must be a string");
    if (v && v->type == BG_JSTR) {
      vals[k] = bg_jdoc_str(d, v);
      if (strlen(vals[k]) != bg_jdoc_strlen(v))
        return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, names[k]),
                           "must not contain U+0000");
    }
    if (k < 2 && !vals[k])
      return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, names[k]), "required");
  }
  if (!bg_valid_benchmark(vals[0]))
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "benchmark"),
                       "must be 1-1024 bytes of UTF-8 without control characters");
  if (!bg_valid_measure(vals[1]))
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "measure"),
                       "must match [a-z0-9_]{1,64}");
  const char *unit = vals[2];
  enum bg_direction dir = BG_LOWER;
  int known = bg_measure_lookup(vals[1], unit ? NULL : &unit, &dir);
  if (vals[3]) {
    if (!bg_direction_parse(vals[3], &dir))
      return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "direction"),
                         "must be \"lower\" or \"higher\"");
  } else if (!known) {
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "direction"),
                       "required for measure '%.64s'", vals[1]);
  }
  if (!unit)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "unit"), "required for measure '%.64s'",
                       vals[1]);
  struct bg_result *r = bg_run_add_result(run, vals[0], vals[1], unit, dir);
  const struct bg_jnode *samples, *summary;
  if (bg_jdoc_member(d, item, "samples", &samples) > 1)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "samples"), "given more than once");
  if (bg_jdoc_member(d, item, "summary", &summary) > 1)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, "summary"), "given more than once");
  if (samples && summary)
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, NULL),
                       "has both samples and summary; give one");
  if (samples)
    return parse_samples(r, d, samples, prefix, i, e);
  if (summary)
    return parse_summary(r, d, summary, prefix, i, e);
  return bg_ferr_set(e, field_at(f, sizeof f, prefix, i, NULL), "needs samples or a summary");
}

static int parse_results(struct bg_run *run, const struct bg_jdoc *d, const struct bg_jnode *array,
                         const char *prefix, struct bg_ferr *e) {
  char f[96];
  if (array->type != BG_JARR)
    return bg_ferr_set(e, prefix, "must be an array");
  if (array->packed) /* its first element is a number */
    return bg_ferr_set(e, field_at(f, sizeof f, prefix, 0, NULL), "must be an object");
  size_t i = 0;
  for (const struct bg_jnode *item = bg_jdoc_first(d, array); item;
       item = bg_jdoc_next(d, array, item), i++) {
    if (i >= BG_RUN_MAX_RESULTS)
      return bg_ferr_set(e, prefix, "more than %d results", BG_RUN_MAX_RESULTS);
    int rc = parse_result(run, d, item, prefix, i, e);
    if (rc)
      return rc;
  }
  return BG_OK;
}

int bg_run_results_from_cjson(struct bg_run *run, const cJSON *array, const char *prefix,
                              struct bg_ferr *e) {
  if (!cJSON_IsArray(array))
    return bg_ferr_set(e, prefix, "must be an array");
  /* One reader for both forms: the array goes through its JSON text (cJSON prints numbers so
   * that they read back exactly, and non-finite ones as null, which is then "not a finite
   * number" as before). Adapters call this once per harness file, never per sample. */
  char *text = cJSON_PrintUnformatted(array);
  if (!text) {
    fprintf(stderr, "benchgate: out of memory printing results\n");
    abort();
  }
  struct bg_jdoc d;
  char why[128];
  bg_jdoc_init(&d);
  int rc = bg_jdoc_parse(&d, text, strlen(text), NULL, why, sizeof why)
               ? bg_ferr_set(e, prefix, "%s", why)
               : parse_results(run, &d, bg_jdoc_root(&d), prefix, e);
  bg_jdoc_free(&d);
  cJSON_free(text);
  return rc;
}

/* One side ("base" or "head") of round i: an array of results. */
static int parse_side(struct bg_run *side, const struct bg_jdoc *d, const struct bg_jnode *round,
                      const char *key, size_t i, struct bg_ferr *e) {
  char f[64];
  const struct bg_jnode *v;
  snprintf(f, sizeof f, "interleaved.rounds[%zu].%s", i, key);
  int rc = member(d, round, key, f, &v, e);
  if (rc)
    return rc;
  if (!v)
    return bg_ferr_set(e, f, "required");
  return parse_results(side, d, v, f, e);
}

/* The optional "interleaved": {"base_sha": S, "rounds": [{"base": [...], "head": [...]}]}. */
static int parse_interleaved(struct bg_run *run, const struct bg_jdoc *d,
                             const struct bg_jnode *root, struct bg_ferr *e) {
  const struct bg_jnode *o, *rounds;
  char *base = NULL;
  int rc;
  if ((rc = get_object(d, root, "interleaved", "interleaved", &o, e)) || !o)
    return rc;
  if ((rc = get_string(d, o, "base_sha", "interleaved.base_sha", &base, e)) ||
      (rc = member(d, o, "rounds", "interleaved.rounds", &rounds, e))) {
    free(base);
    return rc;
  }
  struct bg_interleaved *iv = bg_run_interleave(run, base);
  free(base);
  if (!rounds)
    return bg_ferr_set(e, "interleaved.rounds", "required");
  if (rounds->type != BG_JARR || rounds->packed)
    return bg_ferr_set(e, "interleaved.rounds", "must be an array of objects");
  size_t i = 0;
  for (const struct bg_jnode *r = bg_jdoc_first(d, rounds); r; r = bg_jdoc_next(d, rounds, r), i++) {
    char f[48];
    snprintf(f, sizeof f, "interleaved.rounds[%zu]", i);
    if (i >= BG_RUN_MAX_ROUNDS)
      return bg_ferr_set(e, "interleaved.rounds", "more than %d rounds", BG_RUN_MAX_ROUNDS);
    if (r->type != BG_JOBJ)
      return bg_ferr_set(e, f, "must be an object");
    struct bg_round *round = bg_interleaved_add_round(iv);
    if ((rc = parse_side(round->base, d, r, "base", i, e)) ||
        (rc = parse_side(round->head, d, r, "head", i, e)))
      return rc;
  }
  return BG_OK;
}

/* Finds the first string or member name under node that is not UTF-8, in document order, and
 * names it. path[0..len) names node; cap is path's size. */
static int find_bad_utf8(const struct bg_jdoc *d, const struct bg_jnode *node, char *path,
                         size_t len, size_t cap, struct bg_ferr *e) {
  if (node->type == BG_JSTR)
    return bg_valid_utf8(bg_jdoc_str(d, node), bg_jdoc_strlen(node))
               ? BG_OK
               : bg_ferr_set(e, path, "not valid UTF-8");
  if ((node->type != BG_JARR && node->type != BG_JOBJ) || node->packed)
    return BG_OK;
  size_t i = 0;
  for (const struct bg_jnode *c = bg_jdoc_first(d, node); c; c = bg_jdoc_next(d, node, c), i++) {
    const char *key = node->type == BG_JOBJ ? bg_jdoc_key(d, c) : NULL;
    if (key && !bg_valid_utf8(key, c->keylen))
      return bg_ferr_set(e, path, "the name of member %zu is not valid UTF-8", i);
    int rc = find_bad_utf8(d, c, path, bg_run_path_push(path, len, cap, key, i), cap, e);
    path[len] = '\0';
    if (rc)
      return rc;
  }
  return BG_OK;
}

/* JSON text is UTF-8 (RFC 8259 section 8.1), members the model does not read included: one
 * pass over the document's decoded strings and member names, and a walk to name the
 * offender only when that pass fails. */
static int check_doc_utf8(const struct bg_jdoc *d, struct bg_ferr *e) {
  char path[256] = "";
  if (!d->slen || bg_valid_utf8(d->strs, d->slen))
    return BG_OK;
  return find_bad_utf8(d, bg_jdoc_root(d), path, 0, sizeof path, e);
}

static int parse_root(struct bg_run *run, const struct bg_jdoc *d, const struct bg_jnode *root,
                      struct bg_ferr *e) {
  int rc;
  if (root->type != BG_JOBJ)
    return bg_ferr_set(e, "", "the payload must be a JSON object");
  const struct bg_jnode *schema;
  if ((rc = member(d, root, "schema", "schema", &schema, e)))
    return rc;
  if (!schema)
    return bg_ferr_set(e, "schema", "required (\"%s\")", BG_RUN_SCHEMA);
  if (schema->type != BG_JSTR || bg_jdoc_strlen(schema) != strlen(BG_RUN_SCHEMA) ||
      memcmp(bg_jdoc_str(d, schema), BG_RUN_SCHEMA, strlen(BG_RUN_SCHEMA)) != 0)
    return bg_ferr_set(e, "schema", "must be \"%s\"", BG_RUN_SCHEMA);
  const struct bg_jnode *base, *agent;
  if ((rc = get_string(d, root, "run_id", "run_id", &run->run_id, e)) ||
      (rc = parse_commit(run, d, root, e)) ||
      (rc = get_object(d, root, "baseline", "baseline", &base, e)))
    return rc;
  if (base && ((rc = get_string(d, base, "branch", "baseline.branch", &run->baseline_branch, e)) ||
               (rc = get_string(d, base, "sha", "baseline.sha", &run->baseline_sha, e))))
    return rc;
  if ((rc = get_id(d, root, "pull_request", &run->pull_request, e)) ||
      (rc = get_id(d, root, "job_id", &run->job_id, e)) ||
      (rc = get_string(d, root, "confirms", "confirms", &run->confirms, e)) ||
      (rc = get_bool(d, root, "confirmable", &run->confirmable, e)) ||
      (rc = parse_testbed(run, d, root, e)) ||
      (rc = get_object(d, root, "agent", "agent", &agent, e)))
    return rc;
  if (agent && ((rc = get_string(d, agent, "name", "agent.name", &run->agent_name, e)) ||
                (rc = get_string(d, agent, "version", "agent.version", &run->agent_version, e))))
    return rc;
  const struct bg_jnode *th, *results;
  if ((rc = get_string(d, root, "started_at", "started_at", &run->started_at, e)) ||
      (rc = get_string(d, root, "finished_at", "finished_at", &run->finished_at, e)) ||
      (rc = get_object(d, root, "thresholds", "thresholds", &th, e)) ||
      (rc = get_strings(d, root, "warnings", "warnings", "must be an array of strings", "warnings",
                        MAX_WARNINGS, run, bg_run_add_warning, e)) ||
      (rc = keep_json(d, th, "thresholds", &run->thresholds, e)) ||
      (rc = member(d, root, "results", "results", &results, e)))
    return rc;
  if (!results)
    return bg_ferr_set(e, "results", "required");
  if ((rc = parse_results(run, d, results, "results", e)) ||
      (rc = parse_interleaved(run, d, root, e)) || (rc = bg_run_validate(run, e)))
    return rc;
  return check_doc_utf8(d, e);
}

int bg_run_from_json(const char *text, size_t len, struct bg_run **out, struct bg_ferr *e) {
  *out = NULL;
  bg_ferr_clear(e);
  struct bg_jdoc d;
  char why[128];
  size_t at = 0;
  bg_jdoc_init(&d);
  if (bg_jdoc_parse(&d, text, len, &at, why, sizeof why)) {
    bg_jdoc_free(&d);
    bg_ferr_set(e, "", "malformed JSON near byte %zu: %s", at, why);
    return BG_EPARSE;
  }
  struct bg_run *run = bg_run_new();
  int rc = parse_root(run, &d, bg_jdoc_root(&d), e);
  bg_jdoc_free(&d);
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

static cJSON *results_to_cjson(const struct bg_run *run) {
  cJSON *rs = cJSON_CreateArray();
  for (size_t i = 0; i < run->nresults; i++)
    cJSON_AddItemToArray(rs, result_to_cjson(&run->results[i]));
  return rs;
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
  add_string(o, "confirms", run->confirms);
  if (run->confirmable)
    cJSON_AddTrueToObject(o, "confirmable");
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
  cJSON_AddItemToObject(o, "results", results_to_cjson(run));
  if (run->interleaved) {
    const struct bg_interleaved *iv = run->interleaved;
    cJSON *x = cJSON_AddObjectToObject(o, "interleaved");
    add_string(x, "base_sha", iv->base_sha);
    cJSON *rounds = cJSON_AddArrayToObject(x, "rounds");
    for (size_t i = 0; i < iv->nrounds; i++) {
      cJSON *r = cJSON_CreateObject();
      cJSON_AddItemToObject(r, "base", results_to_cjson(iv->rounds[i].base));
      cJSON_AddItemToObject(r, "head", results_to_cjson(iv->rounds[i].head));
      cJSON_AddItemToArray(rounds, r);
    }
  }
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

/* 1 when member m of object o has no equal in object other (load_avg_1m ignored). */
static int member_differs(const cJSON *m, const cJSON *other) {
  if (!strcmp(m->string, "load_avg_1m"))
    return 0;
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(other, m->string);
  return !x || !cJSON_Compare(m, x, 1);
}

int bg_run_fingerprints_differ(const char *a, const char *b) {
  cJSON *x = cJSON_Parse(a ? a : ""), *y = cJSON_Parse(b ? b : "");
  int differ = 0;
  if (cJSON_IsObject(x) && cJSON_IsObject(y)) {
    const cJSON *m;
    cJSON_ArrayForEach(m, x) differ |= member_differs(m, y);
    cJSON_ArrayForEach(m, y) differ |= member_differs(m, x);
  }
  cJSON_Delete(x);
  cJSON_Delete(y);
  return differ;
}
