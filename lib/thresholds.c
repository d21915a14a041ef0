/* thresholds.c: parsing and lookup of a run's thresholds (see thresholds.h). */
#include "thresholds.h"

#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- thresholds --------------------------------------------------------------------------- */

int bg_thresholds_glob(const char *pattern, const char *name) {
  const char *star = NULL, *resume = NULL;
  while (*name) {
    if (*pattern == '*') {
      star = pattern++;
      resume = name;
    } else if (*pattern == '?' || *pattern == *name) {
      pattern++;
      name++;
    } else if (star) {
      /* Let the last '*' swallow one more byte and retry. */
      pattern = star + 1;
      name = ++resume;
    } else {
      return 0;
    }
  }
  while (*pattern == '*')
    pattern++;
  return *pattern == '\0';
}

static int parse_min_effect(const cJSON *v, const char *field, double *out, struct bg_ferr *e) {
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 || v->valuedouble > 10)
    return bg_ferr_set(e, field, "must be a number between 0 and 10 (a relative change)");
  *out = v->valuedouble;
  return BG_OK;
}

int bg_thresholds_parse(const cJSON *json, struct bg_thresholds **out, struct bg_ferr *e) {
  int rc = BG_OK;
  char field[256];
  struct bg_thresholds *t = bg_xcalloc(1, sizeof *t);
  t->default_min_effect = BG_THRESHOLDS_DEFAULT_MIN_EFFECT;
  *out = NULL;
  if (!json || cJSON_IsNull(json))
    goto out;
  if (!cJSON_IsObject(json)) {
    rc = bg_ferr_set(e, "thresholds", "must be an object");
    goto out;
  }
  const cJSON *m;
  cJSON_ArrayForEach(m, json) {
    if (strcmp(m->string, "default") != 0 && strcmp(m->string, "rules") != 0) {
      snprintf(field, sizeof field, "thresholds.%s", m->string);
      rc = bg_ferr_set(e, field, "unknown member (expected default or rules)");
      goto out;
    }
  }
  const cJSON *def = cJSON_GetObjectItemCaseSensitive(json, "default");
  if (def) {
    if (!cJSON_IsObject(def)) {
      rc = bg_ferr_set(e, "thresholds.default", "must be an object");
      goto out;
    }
    cJSON_ArrayForEach(m, def) {
      snprintf(field, sizeof field, "thresholds.default.%s", m->string);
      if (strcmp(m->string, "min_effect") != 0) {
        rc = bg_ferr_set(e, field, "unknown member (expected min_effect)");
        goto out;
      }
      if ((rc = parse_min_effect(m, field, &t->default_min_effect, e)) != BG_OK)
        goto out;
    }
  }
  const cJSON *rules = cJSON_GetObjectItemCaseSensitive(json, "rules");
  if (rules) {
    if (!cJSON_IsArray(rules)) {
      rc = bg_ferr_set(e, "thresholds.rules", "must be an array");
      goto out;
    }
    size_t nr = (size_t)cJSON_GetArraySize(rules), i = 0;
    t->rules = bg_xcalloc(nr ? nr : 1, sizeof *t->rules);
    const cJSON *r;
    cJSON_ArrayForEach(r, rules) {
      struct bg_threshold_rule *rule = &t->rules[i];
      t->nrules = ++i;
      if (!cJSON_IsObject(r)) {
        snprintf(field, sizeof field, "thresholds.rules[%zu]", i - 1);
        rc = bg_ferr_set(e, field, "must be an object");
        goto out;
      }
      cJSON_ArrayForEach(m, r) {
        snprintf(field, sizeof field, "thresholds.rules[%zu].%s", i - 1, m->string);
        if (strcmp(m->string, "match") == 0) {
          if (!cJSON_IsString(m) || !m->valuestring[0] || strlen(m->valuestring) > 1024) {
            rc = bg_ferr_set(e, field, "must be a glob of 1-1024 bytes");
            goto out;
          }
          rule->match = bg_xstrdup(m->valuestring);
        } else if (strcmp(m->string, "measure") == 0) {
          if (!cJSON_IsString(m) || !m->valuestring[0] || strlen(m->valuestring) > 64) {
            rc = bg_ferr_set(e, field, "must be a measure name of 1-64 bytes");
            goto out;
          }
          rule->measure = bg_xstrdup(m->valuestring);
        } else if (strcmp(m->string, "min_effect") == 0) {
          if ((rc = parse_min_effect(m, field, &rule->min_effect, e)) != BG_OK)
            goto out;
          rule->has_min_effect = 1;
        } else if (strcmp(m->string, "ignore") == 0) {
          if (!cJSON_IsBool(m)) {
            rc = bg_ferr_set(e, field, "must be true or false");
            goto out;
          }
          rule->has_ignore = 1;
          rule->ignore = cJSON_IsTrue(m);
        } else {
          rc = bg_ferr_set(e, field,
                           "unknown member (expected match, measure, min_effect, "
                           "ignore)");
          goto out;
        }
      }
      if (!rule->match) {
        snprintf(field, sizeof field, "thresholds.rules[%zu].match", i - 1);
        rc = bg_ferr_set(e, field, "is required");
        goto out;
      }
    }
  }
out:
  if (rc != BG_OK) {
    bg_thresholds_free(t);
    t = NULL;
  }
  *out = t;
  return rc;
}

void bg_thresholds_free(struct bg_thresholds *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->nrules; i++) {
    free(t->rules[i].match);
    free(t->rules[i].measure);
  }
  free(t->rules);
  free(t);
}

void bg_thresholds_lookup(const struct bg_thresholds *t, const char *benchmark, const char *measure,
                          double *min_effect, int *ignored) {
  double me = t ? t->default_min_effect : BG_THRESHOLDS_DEFAULT_MIN_EFFECT;
  int ig = 0;
  for (size_t i = 0; t && i < t->nrules; i++) {
    const struct bg_threshold_rule *r = &t->rules[i];
    if (r->measure && (!measure || strcmp(r->measure, measure) != 0))
      continue;
    if (!bg_thresholds_glob(r->match, benchmark ? benchmark : ""))
      continue;
    if (r->has_min_effect)
      me = r->min_effect;
    if (r->has_ignore)
      ig = r->ignore;
  }
  if (min_effect)
    *min_effect = me;
  if (ignored)
    *ignored = ig;
}
