/* test_confirm.c: confirmation runs in the gate: pooling a run with its confirmations
 * (bg_gate_summary_pool, bg_gate_item.candidate_runs) and the rule that says when a verdict
 * is not final yet and what settles it (lib/confirm.h).
 *
 * Reference values are computed here from first principles (the pooled mean and standard
 * deviation of the concatenated samples; the standard error formula of lib/gate.h), not by
 * the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "confirm.h"
#include "gate.h"
#include "verdict_render.h"

static void assert_near(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol))
    fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

/* ---- pooling ---- */

static void pool_matches_concatenated_samples(void **state) {
  (void)state;
  const double a[] = {10, 11, 12, 13, 10.5}, b[] = {20, 21, 19}, c[] = {15, 15.5, 14, 16};
  struct bg_gate_summary sa, sb, sc, acc;
  assert_int_equal(bg_gate_summarize(a, 5, &sa), BG_OK);
  assert_int_equal(bg_gate_summarize(b, 3, &sb), BG_OK);
  assert_int_equal(bg_gate_summarize(c, 4, &sc), BG_OK);
  size_t runs = 0;
  bg_gate_summary_pool(&acc, &runs, &sa);
  bg_gate_summary_pool(&acc, &runs, &sb);
  bg_gate_summary_pool(&acc, &runs, &sc);
  assert_int_equal(runs, 3);
  /* The concatenation's mean and sample standard deviation, computed directly. */
  double all[12], sum = 0, ss = 0;
  memcpy(all, a, sizeof a);
  memcpy(all + 5, b, sizeof b);
  memcpy(all + 8, c, sizeof c);
  for (int i = 0; i < 12; i++)
    sum += all[i];
  double mean = sum / 12;
  for (int i = 0; i < 12; i++)
    ss += (all[i] - mean) * (all[i] - mean);
  assert_near(acc.n, 12, 0);
  assert_near(acc.mean, mean, 1e-12);
  assert_near(acc.stddev, sqrt(ss / 11), 1e-12);
  assert_near(acc.min, 10, 0);
  assert_near(acc.max, 21, 0);
  /* Centres and within-run variances: the runs' means. */
  assert_near(acc.log_center, (sa.log_center + sb.log_center + sc.log_center) / 3, 1e-14);
  assert_near(acc.log_w, (sa.log_w + sb.log_w + sc.log_w) / 3, 1e-18);
  assert_near(acc.raw_center, (sa.raw_center + sb.raw_center + sc.raw_center) / 3, 1e-12);
  assert_near(acc.all_positive, 1, 0);
}

static void pool_keeps_exact_measures_exact(void **state) {
  (void)state;
  const double a[] = {500, 500, 500}, b[] = {500, 500};
  struct bg_gate_summary sa, sb, acc;
  bg_gate_summarize(a, 3, &sa);
  bg_gate_summarize(b, 2, &sb);
  size_t runs = 0;
  bg_gate_summary_pool(&acc, &runs, &sa);
  bg_gate_summary_pool(&acc, &runs, &sb);
  assert_near(acc.stddev, 0, 0);
  assert_near(acc.n, 5, 0);
  const double neg[] = {-1, 2};
  struct bg_gate_summary sn;
  bg_gate_summarize(neg, 2, &sn);
  bg_gate_summary_pool(&acc, &runs, &sn);
  assert_near(acc.all_positive, 0, 0); /* one run with a value <= 0: the raw scale */
}

/* ---- the pooled test ---- */

#define K 30

/* An item with K baseline runs whose log centres alternate around log(100) by +-1 %, each
 * with within-run variance w, and a candidate whose centre is 100 * (1 + change). */
struct fixture {
  struct bg_gate_point base[K];
  struct bg_gate_summary cand;
  struct bg_gate_item item;
};

static void make_item(struct fixture *f, double change, double w, size_t runs) {
  memset(f, 0, sizeof *f);
  for (int i = 0; i < K; i++) {
    double c = log(100) + (i % 2 ? 0.01 : -0.01);
    f->base[i] = (struct bg_gate_point){c, w, exp(c), NAN, 0, NAN, NAN, 0};
  }
  f->cand = (struct bg_gate_summary){10,
                                     1,
                                     100 * (1 + change),
                                     1,
                                     99,
                                     101,
                                     100 * (1 + change),
                                     log(100 * (1 + change)),
                                     w,
                                     100 * (1 + change),
                                     NAN,
                                     NAN,
                                     NAN,
                                     0};
  f->item = (struct bg_gate_item){.benchmark = "b",
                                  .measure = "wall_time",
                                  .direction = BG_LOWER,
                                  .baseline = f->base,
                                  .nbaseline = K,
                                  .candidate = &f->cand,
                                  .candidate_runs = runs,
                                  .min_effect = 0.02};
}

static const struct bg_gate_outcome *decide_one(struct fixture *f, struct bg_gate_verdict **v) {
  assert_int_equal(bg_gate_decide(&f->item, 1, NULL, v), BG_OK);
  return &(*v)->outcomes[0];
}

static void pooled_runs_shrink_the_candidates_noise(void **state) {
  (void)state;
  struct fixture f1, f3;
  struct bg_gate_verdict *v1, *v3;
  make_item(&f1, 0.03, 1e-6, 1);
  make_item(&f3, 0.03, 1e-6, 3);
  const struct bg_gate_outcome *o1 = decide_one(&f1, &v1), *o3 = decide_one(&f3, &v3);
  /* One item: no shrinkage prior, so s~^2 = s^2, the sample variance of the 30 centres (+-0.01:
   * 0.0001 * 30 / 29), and se^2 = s^2 (1/r + 1/k) with w_c = w-bar. */
  double s2 = 0.0001 * 30 / 29;
  assert_near(o1->se, sqrt(s2 * (1 + 1.0 / K)), 1e-12);
  assert_near(o3->se, sqrt(s2 * (1.0 / 3 + 1.0 / K)), 1e-12);
  assert_int_equal(o3->candidate_runs, 3);
  assert_int_equal(o1->candidate_runs, 1);
  assert_true(o3->p_worse < o1->p_worse);
  bg_gate_verdict_free(v1);
  bg_gate_verdict_free(v3);
  /* A candidate noisier than its baseline runs: the excess within-run variance is divided by
   * r as well. */
  make_item(&f3, 0.03, 1e-6, 3);
  f3.cand.log_w = 1e-6 + 3e-4;
  const struct bg_gate_outcome *o = decide_one(&f3, &v3);
  assert_near(o->se, sqrt(s2 * (1.0 / 3 + 1.0 / K) + 3e-4 / 3), 1e-12);
  bg_gate_verdict_free(v3);
}

/* ---- the rule ---- */

/* A verdict of n outcomes, all tested by the t statistic and unchanged; the caller edits them. */
static struct bg_gate_verdict *verdict_of(size_t n) {
  struct bg_gate_verdict *v = calloc(1, sizeof *v);
  v->outcomes = calloc(n, sizeof *v->outcomes);
  v->n = n;
  v->state = BG_GATE_PASS;
  for (size_t i = 0; i < n; i++) {
    struct bg_gate_outcome *o = &v->outcomes[i];
    o->benchmark = i == 0 ? "first" : i == 1 ? "second" : "other";
    o->measure = "wall_time";
    o->tested = 1;
    o->method = BG_GATE_METHOD_T;
    o->cls = BG_GATE_UNCHANGED;
    o->min_effect = 0.02;
    o->change = 0.001;
    o->change_lo = -0.01;
    o->change_hi = 0.012;
    o->q_worse = 1;
    o->candidate_runs = 1;
  }
  return v;
}

static void verdict_free(struct bg_gate_verdict *v) {
  free(v->outcomes);
  free(v);
}

/* Outcome o changed by `change` with the interval change -+ half. */
static void set_change(struct bg_gate_outcome *o, double change, double half) {
  o->change = change;
  o->change_lo = change - half;
  o->change_hi = change + half;
}

static void regress(struct bg_gate_verdict *v, size_t i) {
  v->outcomes[i].cls = BG_GATE_REGRESSED;
  set_change(&v->outcomes[i], 0.08, 0.03);
  v->outcomes[i].q_worse = 0.001;
  v->state = BG_GATE_FAIL;
}

/* Inconclusive: +4 % (interval +1 ... +7 %), q_worse 0.05 (passes BH at 0.1, not at the fail
 * budget). */
static void doubt(struct bg_gate_verdict *v, size_t i) {
  v->outcomes[i].cls = BG_GATE_INCONCLUSIVE;
  set_change(&v->outcomes[i], 0.04, 0.03);
  v->outcomes[i].q_worse = 0.05;
}

static void what_is_doubtful(void **state) {
  (void)state;
  struct bg_gate_verdict *v = verdict_of(1);
  struct bg_gate_outcome *o = &v->outcomes[0];
  assert_false(bg_confirm_doubtful(o)); /* unchanged */
  doubt(v, 0);
  assert_true(bg_confirm_doubtful(o));
  o->q_worse = 0.2; /* too little evidence to spend a run on */
  assert_false(bg_confirm_doubtful(o));
  o->q_worse = 0.05;
  /* The interval, not the point estimate: +1.5 % whose interval reaches +3 % is doubtful (a
   * true change of min_effect has its estimate below it half the time), +1.5 % within +-0.4 %
   * is not. */
  set_change(o, 0.015, 0.015);
  assert_true(bg_confirm_doubtful(o));
  set_change(o, 0.015, 0.004);
  assert_false(bg_confirm_doubtful(o));
  set_change(o, -0.04, 0.03); /* better, not worse */
  assert_false(bg_confirm_doubtful(o));
  o->direction = BG_HIGHER; /* for a throughput, lower is worse */
  assert_true(bg_confirm_doubtful(o));
  o->direction = BG_LOWER;
  /* A confirmed result stays doubtful with less evidence: q_worse up to 0.25. */
  set_change(o, 0.04, 0.03);
  o->q_worse = 0.2;
  assert_false(bg_confirm_doubtful(o));
  o->confirmed = 1;
  assert_true(bg_confirm_doubtful(o));
  o->q_worse = 0.3;
  assert_false(bg_confirm_doubtful(o));
  o->confirmed = 0;
  o->q_worse = 0.05;
  regress(v, 0);
  assert_true(bg_confirm_doubtful(o));
  o->acknowledged = 1;
  assert_false(bg_confirm_doubtful(o));
  o->acknowledged = 0;
  o->ignored = 1;
  assert_false(bg_confirm_doubtful(o));
  o->ignored = 0;
  o->method = BG_GATE_METHOD_EXACT; /* exact measures are not noisy: nothing to confirm */
  assert_false(bg_confirm_doubtful(o));
  verdict_free(v);
}

static void first_run_asks_when_doubtful(void **state) {
  (void)state;
  struct bg_confirm c;
  struct bg_gate_verdict *v = verdict_of(3);
  bg_confirm_apply(v, 1, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_NONE);
  assert_int_equal(v->state, BG_GATE_PASS);
  assert_string_equal(v->confirmation.decision, "none");

  regress(v, 0);
  bg_confirm_apply(v, 1, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_NEEDED);
  assert_int_equal(c.doubtful, 1);
  assert_int_equal(v->state, BG_GATE_PENDING);

  /* Without an uploader that confirms, or with confirmations off, the first run is final. */
  v->state = BG_GATE_FAIL;
  bg_confirm_apply(v, 1, 2, 0, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_NONE);
  assert_int_equal(v->state, BG_GATE_FAIL);
  bg_confirm_apply(v, 1, 0, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_NONE);
  assert_int_equal(v->state, BG_GATE_FAIL);

  /* An inconclusive worse change with evidence asks too; the state was pass. */
  verdict_free(v);
  v = verdict_of(3);
  doubt(v, 1);
  bg_confirm_apply(v, 1, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_NEEDED);
  assert_int_equal(v->state, BG_GATE_PENDING);
  verdict_free(v);
}

static void pooled_runs_settle_it(void **state) {
  (void)state;
  struct bg_confirm c;
  /* DIFFERENT: the regression holds on the confirmation runs. */
  struct bg_gate_verdict *v = verdict_of(3);
  regress(v, 0);
  v->outcomes[0].confirmed = 1;
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_DIFFERENT);
  assert_int_equal(v->state, BG_GATE_FAIL);
  assert_int_equal(c.runs, 2);
  verdict_free(v);
  /* SAME: nothing doubtful left. */
  v = verdict_of(3);
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_SAME);
  assert_int_equal(v->state, BG_GATE_PASS);
  verdict_free(v);
  /* Still doubtful: another run while fewer than max confirmations ran, then UNKNOWN. */
  v = verdict_of(3);
  doubt(v, 2);
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_NEEDED);
  assert_int_equal(v->state, BG_GATE_PENDING);
  v->state = BG_GATE_PASS;
  bg_confirm_apply(v, 3, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_UNKNOWN);
  assert_int_equal(v->state, BG_GATE_PASS);
  assert_int_equal(v->outcomes[2].cls, BG_GATE_INCONCLUSIVE);
  /* A regression only the first run holds (no confirmation re-ran its suite) is doubtful:
   * another run while one may come, else unclear: inconclusive, and the verdict passes. */
  verdict_free(v);
  v = verdict_of(3);
  regress(v, 1);
  v->counts[BG_GATE_REGRESSED] = 1;
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_NEEDED);
  v->state = BG_GATE_FAIL;
  bg_confirm_apply(v, 3, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_UNKNOWN);
  assert_int_equal(v->outcomes[1].cls, BG_GATE_INCONCLUSIVE);
  assert_int_equal(v->counts[BG_GATE_REGRESSED], 0);
  assert_int_equal(v->counts[BG_GATE_INCONCLUSIVE], 1);
  assert_int_equal(v->state, BG_GATE_PASS);
  assert_string_equal(v->confirmation.decision, "unknown");
  /* A server that allows fewer runs than an agent sent never asks for more. */
  doubt(v, 2);
  v->state = BG_GATE_PASS;
  bg_confirm_apply(v, 5, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_UNKNOWN);
  verdict_free(v);
}

/* A verdict of n benchmarks all `change` worse, regressed (confirmed when `confirmed`), with the
 * standard error of a quiet benchmark; benchmark k of them `extra` worse instead. */
static struct bg_gate_verdict *shifted(size_t n, double change, size_t k, double extra,
                                       int confirmed) {
  static const char *names[] = {"b0", "b1", "b2",  "b3",  "b4",  "b5",  "b6",  "b7",
                                "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15"};
  struct bg_gate_verdict *v = verdict_of(n);
  for (size_t i = 0; i < n; i++) {
    struct bg_gate_outcome *o = &v->outcomes[i];
    double c = i == k ? extra : change;
    o->benchmark = (char *)names[i];
    o->log_scale = 1;
    o->change = c;
    o->se = 0.004;
    o->df = 40;
    o->change_lo = expm1(log1p(c) - 2 * o->se);
    o->change_hi = expm1(log1p(c) + 2 * o->se);
    o->p_worse = 1e-6;
    o->q_worse = 1e-5;
    o->cls = BG_GATE_REGRESSED;
    o->confirmed = confirmed;
  }
  v->counts[BG_GATE_REGRESSED] = n;
  v->state = BG_GATE_FAIL;
  return v;
}

/* Every benchmark 4 % slower, through the confirmations too, controls included: a shift of
 * the machine (code does not move controls), not a confirmed regression: another run, then
 * unknown, named. */
static void controls_that_moved_excuse_a_shift(void **state) {
  (void)state;
  struct bg_confirm c;
  struct bg_gate_verdict *v = shifted(12, 0.04, 99, 0, 1);
  for (size_t i = 9; i < 12; i++)
    v->outcomes[i].control = 1;
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_true(v->shift.suspected);
  assert_string_equal(v->shift.reason, "controls_moved");
  assert_near(v->shift.factor, 0.04, 0.005);
  assert_int_equal(c.decision, BG_CONFIRM_NEEDED);
  v->state = BG_GATE_FAIL;
  bg_confirm_apply(v, 3, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_UNKNOWN);
  assert_int_equal(v->state, BG_GATE_PASS);
  assert_int_equal(v->counts[BG_GATE_REGRESSED], 0);
  char *sum = bg_gate_summary_text(v);
  assert_non_null(strstr(sum, "machine shift suspected (controls_moved: +4."));
  free(sum);
  verdict_free(v);
}

/* Every benchmark 4 % slower and no controls: a machine shift or code they all share. On the
 * first run it is named (and the verdict asks for a confirmation); when the confirmations show
 * it too it is the code's: it fails, named. */
static void a_common_factor_that_stays_fails(void **state) {
  (void)state;
  struct bg_confirm c;
  struct bg_gate_verdict *v = shifted(12, 0.04, 99, 0, 0);
  bg_confirm_apply(v, 1, 2, 1, 0, &c);
  assert_true(v->shift.suspected);
  assert_string_equal(v->shift.reason, "common_factor");
  assert_int_equal(v->shift.explained, 12);
  assert_int_equal(c.decision, BG_CONFIRM_NEEDED);
  verdict_free(v);
  v = shifted(12, 0.04, 99, 0, 1);
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_true(v->shift.suspected);
  assert_int_equal(c.decision, BG_CONFIRM_DIFFERENT);
  assert_int_equal(v->state, BG_GATE_FAIL);
  char *sum = bg_gate_summary_text(v);
  assert_non_null(strstr(sum, "machine shift suspected (common_factor: +4."));
  free(sum);
  verdict_free(v);
  /* Without confirmations the first run is final: it fails, and the shift is named. */
  v = shifted(12, 0.04, 99, 0, 0);
  bg_confirm_apply(v, 1, 2, 0, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_NONE);
  assert_int_equal(v->state, BG_GATE_FAIL);
  assert_true(v->shift.suspected);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  bg_verdict_render(&out, v, NULL, 0);
  cJSON *j = cJSON_Parse(out.data);
  const cJSON *ms = cJSON_GetObjectItem(j, "machine_shift");
  assert_non_null(ms);
  assert_string_equal(cJSON_GetObjectItem(ms, "reason")->valuestring, "common_factor");
  assert_int_equal(cJSON_GetObjectItem(ms, "benchmarks")->valueint, 12);
  cJSON_Delete(j);
  bg_buf_free(&out);
  verdict_free(v);
}

/* One confirmation that shows a re-run result still worse by min_effect with some evidence
 * (q_worse 0.2) does not clear it: another run. */
static void a_weak_confirmation_does_not_clear(void **state) {
  (void)state;
  struct bg_confirm c;
  struct bg_gate_verdict *v = verdict_of(3);
  v->outcomes[0].confirmed = 1;
  v->outcomes[0].cls = BG_GATE_INCONCLUSIVE;
  set_change(&v->outcomes[0], 0.06, 0.05);
  v->outcomes[0].q_worse = 0.2;
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_NEEDED);
  v->outcomes[0].q_worse = 0.4; /* no evidence left: cleared */
  v->state = BG_GATE_PASS;
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_int_equal(c.decision, BG_CONFIRM_SAME);
  verdict_free(v);
}

/* A regression that lands during a shift, worse than the shift explains, still fails. */
static void a_regression_during_a_shift_fails(void **state) {
  (void)state;
  struct bg_confirm c;
  struct bg_gate_verdict *v = shifted(12, 0.04, 5, 0.20, 1);
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_true(v->shift.suspected);
  assert_int_equal(v->shift.explained, 11);
  assert_int_equal(c.decision, BG_CONFIRM_DIFFERENT);
  assert_int_equal(v->state, BG_GATE_FAIL);
  verdict_free(v);
  /* One regression among unchanged benchmarks is no shift. */
  v = verdict_of(12);
  regress(v, 3);
  v->outcomes[3].confirmed = 1;
  for (size_t i = 0; i < 12; i++) {
    v->outcomes[i].log_scale = 1;
    v->outcomes[i].se = 0.004;
    v->outcomes[i].df = 40;
  }
  bg_confirm_apply(v, 2, 2, 1, 0, &c);
  assert_false(v->shift.suspected);
  assert_int_equal(c.decision, BG_CONFIRM_DIFFERENT);
  /* A changed fingerprint is named as the reason, and does not excuse that regression. */
  bg_confirm_apply(v, 2, 2, 1, 1, &c);
  assert_true(v->shift.suspected);
  assert_string_equal(v->shift.reason, "fingerprint");
  assert_int_equal(c.decision, BG_CONFIRM_DIFFERENT);
  verdict_free(v);
}

/* The verdict object and the summary say what the rule decided, with the doubtful benchmarks
 * an agent re-runs. */
static void the_verdict_says_so(void **state) {
  (void)state;
  struct bg_gate_verdict *v = verdict_of(3);
  regress(v, 0);
  doubt(v, 1);
  v->counts[BG_GATE_REGRESSED] = 1;
  v->counts[BG_GATE_INCONCLUSIVE] = 1;
  v->counts[BG_GATE_UNCHANGED] = 1;
  bg_confirm_apply(v, 1, 2, 1, 0, NULL);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  bg_verdict_render(&out, v, NULL, 0);
  cJSON *j = cJSON_Parse(out.data);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "state")->valuestring, "pending");
  const cJSON *c = cJSON_GetObjectItem(j, "confirmation");
  assert_non_null(c);
  assert_string_equal(cJSON_GetObjectItem(c, "decision")->valuestring, "needed");
  assert_int_equal(cJSON_GetObjectItem(c, "runs")->valueint, 1);
  assert_int_equal(cJSON_GetObjectItem(c, "max")->valueint, 2);
  assert_int_equal(cJSON_GetObjectItem(c, "doubtful")->valueint, 2);
  const cJSON *b = cJSON_GetObjectItem(c, "benchmarks");
  assert_int_equal(cJSON_GetArraySize(b), 2);
  assert_string_equal(cJSON_GetArrayItem(b, 0)->valuestring, "first");
  assert_string_equal(cJSON_GetArrayItem(b, 1)->valuestring, "second");
  const char *summary = cJSON_GetObjectItem(j, "summary")->valuestring;
  assert_non_null(strstr(summary, "pending: 2 doubtful results, confirmation run 1 of 2 to come"));
  cJSON_Delete(j);
  bg_buf_free(&out);
  /* A verdict the rule was not applied to has no confirmation member. */
  struct bg_gate_verdict *plain = verdict_of(1);
  bg_buf_init(&out, 0);
  bg_verdict_render(&out, plain, NULL, 0);
  assert_null(strstr(out.data, "confirmation"));
  bg_buf_free(&out);
  verdict_free(plain);
  verdict_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pool_matches_concatenated_samples),
      cmocka_unit_test(pool_keeps_exact_measures_exact),
      cmocka_unit_test(pooled_runs_shrink_the_candidates_noise),
      cmocka_unit_test(what_is_doubtful),
      cmocka_unit_test(first_run_asks_when_doubtful),
      cmocka_unit_test(pooled_runs_settle_it),
      cmocka_unit_test(the_verdict_says_so),
      cmocka_unit_test(controls_that_moved_excuse_a_shift),
      cmocka_unit_test(a_common_factor_that_stays_fails),
      cmocka_unit_test(a_weak_confirmation_does_not_clear),
      cmocka_unit_test(a_regression_during_a_shift_fails),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
