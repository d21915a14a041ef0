/* thresholds.h: a run's thresholds (minimum effects and ignore rules per benchmark).
 *
 * A payload's "thresholds" object is parsed once, by bg_thresholds_parse, for two callers:
 * bg_run_validate rejects a malformed object at upload (400 naming the member), and the gate
 * looks up each item's min_effect and ignore flag in the parsed rules. One parser for both
 * means a run the server accepted is judged by exactly the rules it sent.
 */
#ifndef BG_THRESHOLDS_H
#define BG_THRESHOLDS_H

#include "error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define BG_THRESHOLDS_DEFAULT_MIN_EFFECT 0.02

struct bg_threshold_rule {
  char *match;   /* glob on benchmark names: '*' any run, '?' one byte; owned */
  char *measure; /* measure slug, or NULL for every measure; owned */
  int has_min_effect;
  double min_effect; /* relative change, >= 0 */
  int has_ignore;
  int ignore;
};

struct bg_thresholds {
  double default_min_effect;
  struct bg_threshold_rule *rules; /* owned array, in payload order */
  size_t nrules;
};

/* Parses a payload's thresholds object ({"default": {"min_effect": x}, "rules": [{"match",
 * "measure"?, "min_effect"?, "ignore"?}]}); `json` may be NULL (defaults only). On success
 * returns BG_OK and a new struct in *out (free with bg_thresholds_free). On error returns
 * BG_EINVAL, *out NULL, and `e` (may be NULL) names the field, e.g. "thresholds.rules[1]
 * .min_effect": "must be a number between 0 and 10". Unknown members are rejected too. */
int bg_thresholds_parse(const cJSON *json, struct bg_thresholds **out, struct bg_ferr *e);

/* Frees thresholds; accepts NULL. */
void bg_thresholds_free(struct bg_thresholds *t);

/* The min_effect and ignore flag for (benchmark, measure): the default, overridden by every
 * matching rule in order (later rules win, each only for the fields it sets). `t` may be NULL
 * (defaults). Either output may be NULL. */
void bg_thresholds_lookup(const struct bg_thresholds *t, const char *benchmark, const char *measure,
                          double *min_effect, int *ignored);

/* Glob match of `name` against `pattern`: '*' matches any (possibly empty) byte run, '?'
 * exactly one byte, everything else itself ('/' is not special). Returns 1 on a match. */
int bg_thresholds_glob(const char *pattern, const char *name);

#endif
