/* confirm.c: confirmation runs (confirm.h). */
#include "confirm.h"

#include "machine_shift.h"
#include "mem.h"

#include <stdlib.h>

/* 1 when o was compared by a test with a p-value: the t statistic over runs, or the pairs of
 * an interleaved run (exact results have none). */
static int t_tested(const struct bg_gate_outcome *o) {
  return o->tested && (o->method == BG_GATE_METHOD_T || o->method == BG_GATE_METHOD_PAIRED);
}

/* 1 when t-tested outcome o is worse and the worse end of its interval reaches min_effect
 * with q_worse <= level: the gate's "regressed" with the fail budget relaxed to level. The
 * interval, not the point estimate: a true change of exactly min_effect has its estimate below
 * min_effect half the time, and would then never be re-run. */
static int worse_reaching(const struct bg_gate_outcome *o, double level) {
  if (!t_tested(o) || o->ignored || o->acknowledged)
    return 0;
  /* Signed so that positive is worse, as the gate's classes read it. */
  int higher = o->direction == BG_HIGHER;
  double worse = higher ? -o->change : o->change;
  double worse_hi = higher ? -o->change_lo : o->change_hi;
  return worse > 0 && worse_hi >= o->min_effect && o->q_worse <= level;
}

/* A confirmed result (re-run by confirmations) keeps its doubt at the looser level: one
 * confirmation that falls short of significance does not clear a real slowdown on a noisy
 * benchmark. Being the one rule, it is also what the next confirmation re-runs. */
int bg_confirm_doubtful(const struct bg_gate_outcome *o) {
  if (!t_tested(o) || o->ignored || o->acknowledged)
    return 0;
  return o->cls == BG_GATE_REGRESSED ||
         worse_reaching(o, o->confirmed ? BG_CONFIRM_STILL_LEVEL : BG_CONFIRM_LEVEL);
}

/* 1 when outcome o is a regression that fails the verdict: not acknowledged, not ignored. */
static int failing(const struct bg_gate_outcome *o) {
  return o->cls == BG_GATE_REGRESSED && !o->acknowledged && !o->ignored;
}

/* UNKNOWN: the regressions nothing confirmed stay unclear, inconclusive; the verdict then
 * fails only for what else failed it (a missing result with fail_on_missing). */
static void unclear(struct bg_gate_verdict *v) {
  size_t moved = 0;
  for (size_t i = 0; i < v->n; i++)
    if (failing(&v->outcomes[i])) {
      v->outcomes[i].cls = BG_GATE_INCONCLUSIVE;
      moved++;
    }
  v->counts[BG_GATE_REGRESSED] -= moved;
  v->counts[BG_GATE_INCONCLUSIVE] += moved;
  if (v->state == BG_GATE_FAIL && moved && !v->counts[BG_GATE_MISSING])
    v->state = BG_GATE_PASS;
}

/* Looks for a shift of the machine in v (machine_shift.h) and names it in v->shift.
 * *explained[i] 1 for the outcomes it excuses (owned, v->n entries), NULL when it excuses
 * none: only a shift shown by something no code change moves, the project's controls or the
 * machine's fingerprint, excuses a regression. Many benchmarks moving together by a similar
 * factor is also what a change to code they all share does (every benchmark of the real
 * suite 10 % slower looks like that); it is named, and it is what confirmations tell apart:
 * a passing shift of the machine is gone on the re-runs, code is not. */
static void find_shift(struct bg_gate_verdict *v, int fingerprint_changed,
                       const struct bg_shift_config *config, int **explained) {
  size_t n = v->n ? v->n : 1;
  int *control = bg_xcalloc(n, sizeof *control);
  struct bg_shift_item *items = bg_xcalloc(n, sizeof *items);
  for (size_t i = 0; i < v->n; i++)
    control[i] = v->outcomes[i].control;
  bg_shift_items_of_verdict(v, control, items);
  struct bg_shift_result r;
  *explained = bg_xcalloc(n, sizeof **explained);
  bg_shift_detect(items, v->n, fingerprint_changed, config, &r, *explained);
  free(items);
  free(control);
  v->shift = (struct bg_gate_shift){0};
  if (r.suspected)
    v->shift = (struct bg_gate_shift){1,           bg_shift_reason_name(r.reason),
                                      r.factor,    r.factor_lo,
                                      r.factor_hi, r.units,
                                      r.moved,     r.explained};
  if (!r.suspected || !(r.reasons & (BG_SHIFT_CONTROLS_MOVED | BG_SHIFT_FINGERPRINT))) {
    free(*explained);
    *explained = NULL;
  }
}

void bg_confirm_apply(struct bg_gate_verdict *v, size_t runs, size_t max, int confirmable,
                      int fingerprint_changed, struct bg_confirm *res) {
  bg_confirm_apply_config(v, runs, max, confirmable, fingerprint_changed, NULL, res);
}

void bg_confirm_apply_config(struct bg_gate_verdict *v, size_t runs, size_t max, int confirmable,
                             int fingerprint_changed, const struct bg_shift_config *shift,
                             struct bg_confirm *res) {
  struct bg_confirm local, *out = res ? res : &local;
  int *explained = NULL;
  find_shift(v, fingerprint_changed, shift, &explained);
  out->runs = runs ? runs : 1;
  out->max = max;
  out->doubtful = 0;
  size_t confirmed_regressions = 0;
  for (size_t i = 0; i < v->n; i++) {
    const struct bg_gate_outcome *o = &v->outcomes[i];
    out->doubtful += (size_t)bg_confirm_doubtful(o);
    /* A regression a shift of the machine explains is no evidence against the code. */
    confirmed_regressions += (size_t)(failing(o) && o->confirmed && !(explained && explained[i]));
  }
  free(explained);
  size_t confirmations = out->runs - 1;
  if (out->runs == 1)
    out->decision = out->doubtful && confirmable && max > 0 ? BG_CONFIRM_NEEDED : BG_CONFIRM_NONE;
  else if (confirmed_regressions)
    out->decision = BG_CONFIRM_DIFFERENT;
  else if (!out->doubtful)
    out->decision = BG_CONFIRM_SAME;
  else
    out->decision = confirmations < max && confirmable ? BG_CONFIRM_NEEDED : BG_CONFIRM_UNKNOWN;
  if (out->decision == BG_CONFIRM_NEEDED)
    v->state = BG_GATE_PENDING;
  if (out->decision == BG_CONFIRM_UNKNOWN)
    unclear(v);
  v->confirmation =
      (struct bg_gate_confirmation){.decision = bg_confirm_decision_name(out->decision),
                                    .runs = out->runs,
                                    .max = out->max,
                                    .doubtful = out->doubtful};
}

const char *bg_confirm_decision_name(enum bg_confirm_decision d) {
  switch (d) {
  case BG_CONFIRM_NEEDED:
    return "needed";
  case BG_CONFIRM_DIFFERENT:
    return "different";
  case BG_CONFIRM_SAME:
    return "same";
  case BG_CONFIRM_UNKNOWN:
    return "unknown";
  default:
    return "none";
  }
}
