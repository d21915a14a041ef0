/* gate_thresholds.c: the thresholds of gate_thresholds.h. */
#include "gate_thresholds.h"

#include "glob.h"
#include "mem.h"
#include "valid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bg_gate_glob(const char *pattern, const char *name) {
  struct bg_glob *g = bg_glob_compile(pattern);
  int ok = bg_glob_match(g, name, strlen(name));
  bg_glob_free(g);
  return ok;
}

/* min_effect is a relative change (0.02: 2 %). 0 lets any significant change count; 10 is a
 * change of 11x, past which a rule cannot be told from "never fail" (ignore says that), and
 * a typo such as 1e308 or a negative number is refused rather than silently disabling the
 * gate. The agent's config check uses the same range. */
static int parse_min_effect(const cJSON *v, const char *field, double *out, struct bg_ferr *e) {
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
      v->valuedouble > BG_GATE_MAX_MIN_EFFECT)
    return bg_ferr_set(e, field, "must be a number between 0 and 10 (a relative change)");
  *out = v->valuedouble;
  return BG_OK;
}

/* How a thresholds document is read. A payload must follow every rule; a stored one is read
 * with the rules it was accepted under, so that its verdicts never change (checks added since
 * are marked `strict`). */
struct th_parse {
  int strict;
  struct bg_ferr *e;
  char field[256];
};

/* Index of key in names (NULL-terminated), or -1. */
static int member_index(const char *key, const char *const *names) {
  for (int i = 0; key && names[i]; i++)
    if (strcmp(key, names[i]) == 0)
      return i;
  return -1;
}

/* Checks that member m of an object (its field name in p->field) is one of names and, when
 * strict, not given twice (seen: a bit per name). Returns its index, or -1 after an error. */
static int known_member(struct th_parse *p, const cJSON *m, const char *const *names,
                        const char *expected, unsigned *seen) {
  int k = member_index(m->string, names);
  if (k < 0) {
    bg_ferr_set(p->e, p->field, "unknown member (expected %s)", expected);
    return -1;
  }
  if (p->strict && (*seen & (1u << k))) {
    bg_ferr_set(p->e, p->field, "given more than once");
    return -1;
  }
  *seen |= 1u << k;
  return k;
}

static int parse_default(struct th_parse *p, const cJSON *def, struct bg_gate_thresholds *t) {
  static const char *const names[] = {"min_effect", NULL};
  const cJSON *m;
  unsigned seen = 0;
  if (!cJSON_IsObject(def))
    return bg_ferr_set(p->e, "thresholds.default", "must be an object");
  cJSON_ArrayForEach(m, def) {
    snprintf(p->field, sizeof p->field, "thresholds.default.%s", m->string);
    if (known_member(p, m, names, "min_effect", &seen) < 0)
      return BG_EINVAL;
    if (parse_min_effect(m, p->field, &t->default_min_effect, p->e) != BG_OK)
      return BG_EINVAL;
  }
  return BG_OK;
}

/* One member of rule i into *rule. */
static int parse_rule_member(struct th_parse *p, const cJSON *m, int k, struct bg_gate_rule *rule) {
  switch (k) {
  case 0: /* match: a benchmark name pattern, held to the rule of benchmark names */
    if (!cJSON_IsString(m) || !m->valuestring[0] ||
        strlen(m->valuestring) > (p->strict ? BG_GATE_MAX_MATCH : BG_GATE_STORED_MAX_MATCH) ||
        (p->strict && !bg_valid_benchmark(m->valuestring)))
      return bg_ferr_set(p->e, p->field,
                         "must be a glob of 1-%d bytes of UTF-8 without control characters",
                         p->strict ? BG_GATE_MAX_MATCH : BG_GATE_STORED_MAX_MATCH);
    free(rule->match);
    bg_glob_free(rule->glob);
    rule->match = bg_xstrdup(m->valuestring);
    rule->glob = bg_glob_compile(rule->match);
    return BG_OK;
  case 1: /* measure: a measure slug; another name would never match */
    if (!cJSON_IsString(m) || !m->valuestring[0] || strlen(m->valuestring) > 64 ||
        (p->strict && !bg_valid_measure(m->valuestring)))
      return bg_ferr_set(p->e, p->field, "must be a measure name [a-z0-9_]{1,64}");
    free(rule->measure);
    rule->measure = bg_xstrdup(m->valuestring);
    return BG_OK;
  case 2:
    rule->has_min_effect = 1;
    return parse_min_effect(m, p->field, &rule->min_effect, p->e);
  case 3:
    if (!cJSON_IsBool(m))
      return bg_ferr_set(p->e, p->field, "must be true or false");
    rule->has_ignore = 1;
    rule->ignore = cJSON_IsTrue(m);
    return BG_OK;
  default: /* control: a benchmark no code change touches, a witness of the machine */
    if (!cJSON_IsBool(m))
      return bg_ferr_set(p->e, p->field, "must be a boolean (true or false)");
    rule->has_control = 1;
    rule->control = cJSON_IsTrue(m);
    return BG_OK;
  }
}

static int parse_rule(struct th_parse *p, const cJSON *r, size_t i, struct bg_gate_rule *rule) {
  static const char *const names[] = {"match", "measure", "min_effect", "ignore", "control", NULL};
  const cJSON *m;
  unsigned seen = 0;
  if (!cJSON_IsObject(r)) {
    snprintf(p->field, sizeof p->field, "thresholds.rules[%zu]", i);
    return bg_ferr_set(p->e, p->field, "must be an object");
  }
  cJSON_ArrayForEach(m, r) {
    snprintf(p->field, sizeof p->field, "thresholds.rules[%zu].%s", i, m->string);
    int k = known_member(p, m, names, "match, measure, min_effect, ignore, control", &seen);
    if (k < 0 || parse_rule_member(p, m, k, rule) != BG_OK)
      return BG_EINVAL;
  }
  if (!rule->match) {
    snprintf(p->field, sizeof p->field, "thresholds.rules[%zu].match", i);
    return bg_ferr_set(p->e, p->field, "is required");
  }
  return BG_OK;
}

static int parse_rules(struct th_parse *p, const cJSON *rules, struct bg_gate_thresholds *t) {
  if (!cJSON_IsArray(rules))
    return bg_ferr_set(p->e, "thresholds.rules", "must be an array");
  size_t nr = (size_t)cJSON_GetArraySize(rules), i = 0;
  /* Each rule is matched against every result of every upload. */
  if (p->strict && nr > BG_GATE_MAX_RULES)
    return bg_ferr_set(p->e, "thresholds.rules", "more than %d rules", BG_GATE_MAX_RULES);
  t->rules = bg_xcalloc(nr ? nr : 1, sizeof *t->rules);
  const cJSON *r;
  cJSON_ArrayForEach(r, rules) {
    t->nrules = i + 1;
    if (parse_rule(p, r, i, &t->rules[i]) != BG_OK)
      return BG_EINVAL;
    i++;
  }
  return BG_OK;
}

static int parse_thresholds(const cJSON *json, int strict, struct bg_gate_thresholds **out,
                            struct bg_ferr *e) {
  static const char *const names[] = {"default", "rules", NULL};
  struct th_parse p = {strict, e, ""};
  struct bg_gate_thresholds *t = bg_xcalloc(1, sizeof *t);
  const cJSON *m;
  unsigned seen = 0;
  int rc = BG_OK;
  t->default_min_effect = BG_GATE_DEFAULT_MIN_EFFECT;
  *out = NULL;
  if (!json || cJSON_IsNull(json))
    goto out;
  if (!cJSON_IsObject(json)) {
    rc = bg_ferr_set(e, "thresholds", "must be an object");
    goto out;
  }
  cJSON_ArrayForEach(m, json) {
    int k = member_index(m->string, names);
    if (!strict && k >= 0 && (seen & (1u << k)))
      continue; /* a stored document: its first default or rules count, as they always did */
    snprintf(p.field, sizeof p.field, "thresholds.%s", m->string);
    k = known_member(&p, m, names, "default or rules", &seen);
    if (k < 0 || (rc = k == 0 ? parse_default(&p, m, t) : parse_rules(&p, m, t)) != BG_OK) {
      rc = BG_EINVAL;
      goto out;
    }
  }
out:
  if (rc != BG_OK) {
    bg_gate_thresholds_free(t);
    t = NULL;
  }
  *out = t;
  return rc;
}

int bg_gate_thresholds_parse(const cJSON *json, struct bg_gate_thresholds **out,
                             struct bg_ferr *e) {
  return parse_thresholds(json, 1, out, e);
}

int bg_gate_thresholds_parse_stored(const cJSON *json, struct bg_gate_thresholds **out) {
  return parse_thresholds(json, 0, out, NULL);
}

void bg_gate_thresholds_free(struct bg_gate_thresholds *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->nrules; i++) {
    free(t->rules[i].match);
    bg_glob_free(t->rules[i].glob);
    free(t->rules[i].measure);
  }
  free(t->rules);
  free(t);
}

void bg_gate_thresholds_get(const struct bg_gate_thresholds *t, const char *benchmark,
                            const char *measure, struct bg_gate_threshold *out) {
  out->min_effect = t ? t->default_min_effect : BG_GATE_DEFAULT_MIN_EFFECT;
  out->ignored = out->control = 0;
  const char *name = benchmark ? benchmark : "";
  size_t len = strlen(name);
  for (size_t i = 0; t && i < t->nrules; i++) {
    const struct bg_gate_rule *r = &t->rules[i];
    if (r->measure && (!measure || strcmp(r->measure, measure) != 0))
      continue;
    if (!bg_glob_match(r->glob, name, len))
      continue;
    if (r->has_min_effect)
      out->min_effect = r->min_effect;
    if (r->has_ignore)
      out->ignored = r->ignore;
    if (r->has_control)
      out->control = r->control;
  }
}

void bg_gate_thresholds_lookup(const struct bg_gate_thresholds *t, const char *benchmark,
                               const char *measure, double *min_effect, int *ignored) {
  struct bg_gate_threshold th;
  bg_gate_thresholds_get(t, benchmark, measure, &th);
  if (min_effect)
    *min_effect = th.min_effect;
  if (ignored)
    *ignored = th.ignored;
}
