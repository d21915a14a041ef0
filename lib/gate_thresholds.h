/* gate_thresholds.h: how much change a project calls a regression, per benchmark.
 *
 * A run may carry thresholds: a default minimum effect and rules that set min_effect, ignore
 * or control for the benchmarks whose names match a glob. A control benchmark is one no code
 * change of the project touches (a fixed kernel, a copy of a stable release): when it moves,
 * the machine moved (machine_shift.h). The gate takes them from the latest
 * default-branch run; the run model validates a payload's thresholds with the same parser.
 * Both the gate (gate.h) and the run model (run.h) use this module, which uses neither.
 */
#ifndef BG_GATE_THRESHOLDS_H
#define BG_GATE_THRESHOLDS_H

#include "error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

struct bg_glob;

#define BG_GATE_DEFAULT_MIN_EFFECT 0.02

struct bg_gate_rule {
  char *match;          /* glob on benchmark names: '*' any run, '?' one byte; owned */
  struct bg_glob *glob; /* match compiled (glob.h), once per parse; owned */
  char *measure;        /* measure slug, or NULL for every measure; owned */
  int has_min_effect;
  double min_effect; /* relative change, >= 0 */
  int has_ignore;
  int ignore;
  int has_control;
  int control; /* a control benchmark: no code change touches it (machine_shift.h) */
};

struct bg_gate_thresholds {
  double default_min_effect;
  struct bg_gate_rule *rules; /* owned array, in payload order */
  size_t nrules;
};

#define BG_GATE_MAX_MIN_EFFECT 10.0 /* a change of 11x; larger is a typo or "ignore" */
/* Rules per payload and bytes per match: every rule is matched against every result of every
 * decision, so a payload's thresholds cost at most 64 compiled globs of 256 bytes (glob.h). */
#define BG_GATE_MAX_RULES 64
#define BG_GATE_MAX_MATCH 256
/* Stored runs were accepted with up to 1 000 rules of up to 1 024 bytes; they are read as
 * they were (bg_gate_thresholds_parse_stored). */
#define BG_GATE_STORED_MAX_MATCH 1024

/* Parses a payload's thresholds object ({"default": {"min_effect": x}, "rules": [{"match",
 * "measure"?, "min_effect"?, "ignore"?, "control"?}]}); `json` may be NULL (defaults only). The one
 * reader of thresholds: bg_run_validate refuses a payload with it, and the gate reads with it.
 * On success returns BG_OK and a new struct in *out (free with bg_gate_thresholds_free). On
 * error returns BG_EINVAL, *out NULL, and `e` (may be NULL) names the field, e.g.
 * "thresholds.rules[1].min_effect": "must be a number between 0 and 10". Refused: unknown
 * members, a member given twice, min_effect that is not a finite number in [0, 10], a rule
 * without match, match that is not 1-256 bytes (BG_GATE_MAX_MATCH) of UTF-8 without control
 * characters, measure that is not a measure slug, ignore or control that is not a boolean
 * ("thresholds.rules[3].control": "must be a boolean (true or false)"), more than
 * BG_GATE_MAX_RULES (64) rules. Each rule's match is compiled here, once (glob.h). */
int bg_gate_thresholds_parse(const cJSON *json, struct bg_gate_thresholds **out, struct bg_ferr *e);

/* The same parser for thresholds stored with an earlier run, under the rules they were
 * accepted with: a member given twice, the character rules of match and measure and the
 * number of rules are not checked and match may hold up to 1 024 bytes (the first "default" and
 * "rules" count), so a stored run's verdict never changes. BG_OK or BG_EINVAL (the caller then
 * applies the defaults). */
int bg_gate_thresholds_parse_stored(const cJSON *json, struct bg_gate_thresholds **out);

/* Frees thresholds; accepts NULL. */
void bg_gate_thresholds_free(struct bg_gate_thresholds *t);

/* What the thresholds say of one (benchmark, measure). */
struct bg_gate_threshold {
  double min_effect;
  int ignored;
  int control;
};

/* The threshold of (benchmark, measure): the default (min_effect default_min_effect, not
 * ignored, not a control), overridden by every matching rule in order (later rules win, each
 * only for the fields it sets). `t` may be NULL (defaults). Costs nrules compiled matches,
 * each linear in the benchmark's name (glob.h). */
void bg_gate_thresholds_get(const struct bg_gate_thresholds *t, const char *benchmark,
                            const char *measure, struct bg_gate_threshold *out);

/* bg_gate_thresholds_get's min_effect and ignore flag; either output may be NULL. */
void bg_gate_thresholds_lookup(const struct bg_gate_thresholds *t, const char *benchmark,
                               const char *measure, double *min_effect, int *ignored);

/* Glob match of `name` against `pattern`: '*' matches any (possibly empty) byte run, '?'
 * exactly one byte, everything else itself ('/' is not special). Returns 1 on a match.
 * Compiles the pattern for this one match: callers matching a pattern often keep a
 * bg_glob_compile'd one. */
int bg_gate_glob(const char *pattern, const char *name);

#endif
