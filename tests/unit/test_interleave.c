/* test_interleave.c: interleaved runs: their JSON form and validation, the gate's paired
 * comparison against scipy's paired t-test, and the modes (lib/interleave.h).
 *
 * Reference values were computed with Debian 12's python3-scipy 1.10.1 (expressions quoted
 * next to the numbers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gate.h"
#include "interleave.h"
#include "run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHA1 "0123456789abcdef0123456789abcdef01234567"
#define SHA2 "89abcdef0123456789abcdef0123456789abcdef"
#define UUID "0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b11"

static struct bg_gate_point point(double v) {
  struct bg_gate_point p = {log(v), 0, v, 0, 0, NAN, NAN, 0};
  if (!(v > 0))
    p.log_center = NAN;
  return p;
}

static struct bg_gate_summary present;

static struct bg_gate_item paired_item(const char *name, const struct bg_gate_pair *pairs,
                                       size_t n) {
  struct bg_gate_item it;
  memset(&it, 0, sizeof it);
  it.benchmark = name;
  it.measure = "wall_time";
  it.direction = BG_LOWER;
  it.candidate = &present;
  it.min_effect = 0.02;
  it.pairs = pairs;
  it.npairs = n;
  return it;
}

static struct bg_gate_verdict *decide_paired(const struct bg_gate_item *items, size_t n) {
  struct bg_gate_config c;
  bg_gate_config_init(&c);
  c.paired = 1;
  struct bg_gate_verdict *v = NULL;
  assert_int_equal(bg_gate_decide(items, n, &c, &v), BG_OK);
  return v;
}

/* One item (no shrinkage: fewer than 3 variances): the paired t-test of the log centres.
 * b = [100, 102, 98, 101], h = [105, 106, 104, 107]; d = log(h) - log(b);
 * st.ttest_rel(log(h), log(b), alternative='greater'): t 10.6180745303, p 0.000892497586415;
 * expm1(mean(d)) 0.0524250217264, interval expm1(mean(d) -+ t.ppf(0.975, 3) se):
 * 0.0364301430031 .. 0.0686667440476, se 0.00481227040046. */
static void paired_matches_scipy_on_logs(void **state) {
  (void)state;
  const double b[] = {100, 102, 98, 101}, h[] = {105, 106, 104, 107};
  struct bg_gate_pair pairs[4];
  for (int i = 0; i < 4; i++) {
    pairs[i].base = point(b[i]);
    pairs[i].head = point(h[i]);
  }
  struct bg_gate_item it = paired_item("parse", pairs, 4);
  struct bg_gate_verdict *v = decide_paired(&it, 1);
  const struct bg_gate_outcome *o = &v->outcomes[0];
  assert_int_equal(o->method, BG_GATE_METHOD_PAIRED);
  assert_string_equal(bg_gate_method_name(o->method), "paired");
  assert_true(o->log_scale);
  assert_float_equal(o->t, 10.6180745303, 1e-8);
  assert_float_equal(o->df, 3, 1e-12);
  assert_float_equal(o->p_worse, 0.000892497586415, 1e-10);
  assert_float_equal(o->se, 0.00481227040046, 1e-12);
  assert_float_equal(o->change, 0.0524250217264, 1e-11);
  assert_float_equal(o->change_lo, 0.0364301430031, 1e-9);
  assert_float_equal(o->change_hi, 0.0686667440476, 1e-9);
  assert_int_equal(o->cls, BG_GATE_REGRESSED);
  assert_int_equal(o->baseline_runs, 4);
  assert_int_equal(o->candidate_runs, 4);
  assert_int_equal(v->state, BG_GATE_FAIL);
  bg_gate_verdict_free(v);
}

/* The scipy case above as the one re-run result of a verdict of 16 (family 16): the 15 not
 * re-run count with p = 1, so q_worse is p_worse * 16 / 1 = 0.014279961, past the fail
 * budget (0.0075): inconclusive, where alone (family 0) it regressed. */
static void family_counts_the_results_not_re_run(void **state) {
  (void)state;
  const double b[] = {100, 102, 98, 101}, h[] = {105, 106, 104, 107};
  struct bg_gate_pair pairs[4];
  for (int i = 0; i < 4; i++) {
    pairs[i].base = point(b[i]);
    pairs[i].head = point(h[i]);
  }
  struct bg_gate_item it = paired_item("parse", pairs, 4);
  struct bg_gate_config c;
  bg_gate_config_init(&c);
  c.paired = 1;
  c.family = 16;
  struct bg_gate_verdict *v = NULL;
  assert_int_equal(bg_gate_decide(&it, 1, &c, &v), BG_OK);
  const struct bg_gate_outcome *o = &v->outcomes[0];
  assert_float_equal(o->p_worse, 0.000892497586415, 1e-10);
  assert_float_equal(o->q_worse, 0.000892497586415 * 16, 1e-9);
  assert_float_equal(o->q, 2 * 0.000892497586415 * 16, 1e-9);
  assert_int_equal(o->cls, BG_GATE_INCONCLUSIVE);
  assert_int_equal(v->state, BG_GATE_PASS);
  bg_gate_verdict_free(v);
}

/* A value <= 0 keeps the raw scale: b = [-1, 0.5, 0.2], h = [0, 1.4, 1.3];
 * st.ttest_rel(h, b, alternative='greater'): t 17.3205080757, p 0.00165837936118; change
 * mean(h - b) / |mean(b)| = 10, interval 7.51586228816 .. 12.4841377118. */
static void paired_matches_scipy_on_raw_values(void **state) {
  (void)state;
  const double b[] = {-1, 0.5, 0.2}, h[] = {0, 1.4, 1.3};
  struct bg_gate_pair pairs[3];
  for (int i = 0; i < 3; i++) {
    pairs[i].base = point(b[i]);
    pairs[i].head = point(h[i]);
  }
  struct bg_gate_item it = paired_item("offset", pairs, 3);
  struct bg_gate_verdict *v = decide_paired(&it, 1);
  const struct bg_gate_outcome *o = &v->outcomes[0];
  assert_false(o->log_scale);
  assert_float_equal(o->t, 17.3205080757, 1e-8);
  assert_float_equal(o->p_worse, 0.00165837936118, 1e-10);
  assert_float_equal(o->change, 10, 1e-9);
  assert_float_equal(o->change_lo, 7.51586228816, 1e-8);
  assert_float_equal(o->change_hi, 12.4841377118, 1e-8);
  bg_gate_verdict_free(v);
}

/* The machine drifts by up to 8 % between rounds, alike for both sides of a round: a 3 %
 * slowdown of one of 20 benchmarks is found, the others are unchanged. The head's centres
 * alone vary by several percent from round to round: compared with a history of such runs,
 * a 3 % change would drown. */
static void drift_between_rounds_cancels(void **state) {
  (void)state;
  enum { NB = 20, R = 4 };
  const double drift[R] = {1.00, 1.08, 0.95, 1.03};
  const double wobble[R][2] = {{1.001, 0.999}, {0.998, 1.002}, {1.0005, 1.0}, {1.0, 0.9985}};
  static struct bg_gate_pair pairs[NB][R];
  struct bg_gate_item items[NB];
  char names[NB][8];
  for (int b = 0; b < NB; b++) {
    for (int r = 0; r < R; r++) {
      double level = 1000.0 * (1 + b) * drift[r];
      pairs[b][r].base = point(level * wobble[(r + b) % R][0]);
      pairs[b][r].head = point(level * wobble[(r + b) % R][1] * (b == 0 ? 1.03 : 1.0));
    }
    snprintf(names[b], sizeof names[b], "b%d", b);
    items[b] = paired_item(names[b], pairs[b], R);
  }
  struct bg_gate_verdict *v = decide_paired(items, NB);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  assert_float_equal(v->outcomes[0].change, 0.03, 0.004);
  for (int b = 1; b < NB; b++)
    assert_int_equal(v->outcomes[b].cls, BG_GATE_UNCHANGED);
  assert_int_equal(v->counts[BG_GATE_REGRESSED], 1);
  assert_int_equal(v->state, BG_GATE_FAIL);
  bg_gate_verdict_free(v);
}

/* Exact readings (instruction counts) on both sides: the exact rule, not a t statistic over
 * a variance of zero. */
static void exact_pairs_use_the_exact_rule(void **state) {
  (void)state;
  struct bg_gate_pair up[3], same[3];
  for (int i = 0; i < 3; i++) {
    up[i].base = point(1000000);
    up[i].head = point(1050000);
    same[i].base = same[i].head = point(1000000);
    up[i].base.equal_n = up[i].head.equal_n = same[i].base.equal_n = same[i].head.equal_n = 5;
  }
  struct bg_gate_item items[2] = {paired_item("up", up, 3), paired_item("same", same, 3)};
  struct bg_gate_verdict *v = decide_paired(items, 2);
  assert_int_equal(v->outcomes[0].method, BG_GATE_METHOD_EXACT);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  assert_float_equal(v->outcomes[0].change, 0.05, 1e-12);
  assert_int_equal(v->outcomes[1].method, BG_GATE_METHOD_EXACT);
  assert_int_equal(v->outcomes[1].cls, BG_GATE_UNCHANGED);
  bg_gate_verdict_free(v);
}

/* Without pairs an item is new; without a candidate, missing; with neither anywhere the run
 * has no baseline. */
static void items_without_pairs_are_new_or_missing(void **state) {
  (void)state;
  struct bg_gate_item items[2] = {paired_item("added", NULL, 0), paired_item("gone", NULL, 0)};
  items[1].candidate = NULL;
  struct bg_gate_verdict *v = decide_paired(items, 2);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_NEW);
  assert_int_equal(v->outcomes[1].cls, BG_GATE_MISSING);
  assert_int_equal(v->state, BG_GATE_NO_BASELINE);
  bg_gate_verdict_free(v);
}

/* ---- the modes ---- */

/* History of 30 runs at 100 (+-0.5 %) for "a" and "b"; the candidate is 5 % slower in "a"
 * only. The pairs say "a" and "b" are both 5 % slower. */
struct modes_fixture {
  struct bg_gate_point hist[30];
  struct bg_gate_summary cand[2];
  struct bg_gate_pair pairs[2][4];
};

static size_t fixture_pairs(void *ctx, size_t outcome, const char *benchmark, const char *measure,
                            const struct bg_gate_pair **out) {
  struct modes_fixture *f = ctx;
  (void)benchmark;
  (void)measure;
  *out = f->pairs[outcome];
  return 4;
}

static struct bg_gate_verdict *history_verdict(struct modes_fixture *f) {
  for (int i = 0; i < 30; i++)
    f->hist[i] = point(100 * (1 + 0.005 * sin(i * 1.7)));
  const double a[] = {105, 105.2, 104.9}, b[] = {100.1, 99.9, 100};
  assert_int_equal(bg_gate_summarize(a, 3, &f->cand[0]), BG_OK);
  assert_int_equal(bg_gate_summarize(b, 3, &f->cand[1]), BG_OK);
  struct bg_gate_item items[2];
  const char *names[] = {"a", "b"};
  for (int k = 0; k < 2; k++) {
    memset(&items[k], 0, sizeof items[k]);
    items[k].benchmark = names[k];
    items[k].measure = "wall_time";
    items[k].direction = BG_LOWER;
    items[k].baseline = f->hist;
    items[k].nbaseline = 30;
    items[k].candidate = &f->cand[k];
    items[k].min_effect = 0.02;
    for (int r = 0; r < 4; r++) {
      f->pairs[k][r].base = point(100 + r);
      f->pairs[k][r].head = point((100 + r) * (1.05 + 0.001 * r));
    }
  }
  struct bg_gate_verdict *v = NULL;
  assert_int_equal(bg_gate_decide(items, 2, NULL, &v), BG_OK);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  assert_int_equal(v->outcomes[1].cls, BG_GATE_UNCHANGED);
  return v;
}

static void mode_interleaved_replaces_the_history(void **state) {
  (void)state;
  struct modes_fixture f;
  struct bg_gate_verdict *v = history_verdict(&f);
  assert_int_equal(
      bg_interleave_decide(&v, BG_COMPARE_INTERLEAVED, SHA2, 4, fixture_pairs, &f, NULL), BG_OK);
  assert_string_equal(v->comparison.mode, "interleaved");
  assert_string_equal(v->comparison.base_sha, SHA2);
  assert_int_equal(v->comparison.rounds, 4);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  assert_int_equal(v->outcomes[1].cls, BG_GATE_REGRESSED);
  assert_int_equal(v->outcomes[1].method, BG_GATE_METHOD_PAIRED);
  assert_false(v->outcomes[1].has_history);
  assert_string_equal(v->outcomes[1].benchmark, "b");
  bg_gate_verdict_free(v);
}

/* Both: "a" regressed in both comparisons stays regressed; "b" regressed in the pairs only is
 * inconclusive and shows the history's class. */
static void mode_both_needs_both(void **state) {
  (void)state;
  struct modes_fixture f;
  struct bg_gate_verdict *v = history_verdict(&f);
  assert_int_equal(bg_interleave_decide(&v, BG_COMPARE_BOTH, SHA2, 4, fixture_pairs, &f, NULL),
                   BG_OK);
  assert_string_equal(v->comparison.mode, "both");
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  assert_true(v->outcomes[0].has_history);
  assert_int_equal(v->outcomes[0].history, BG_GATE_REGRESSED);
  assert_int_equal(v->outcomes[1].cls, BG_GATE_INCONCLUSIVE);
  assert_int_equal(v->outcomes[1].history, BG_GATE_UNCHANGED);
  assert_int_equal(v->counts[BG_GATE_REGRESSED], 1);
  assert_int_equal(v->counts[BG_GATE_INCONCLUSIVE], 1);
  assert_int_equal(v->state, BG_GATE_FAIL);
  bg_gate_verdict_free(v);
}

static void mode_history_keeps_the_decision(void **state) {
  (void)state;
  struct modes_fixture f;
  struct bg_gate_verdict *v = history_verdict(&f), *before = v;
  assert_int_equal(bg_interleave_decide(&v, BG_COMPARE_HISTORY, SHA2, 4, fixture_pairs, &f, NULL),
                   BG_OK);
  assert_ptr_equal(v, before);
  assert_string_equal(v->comparison.mode, "history");
  assert_int_equal(v->outcomes[1].cls, BG_GATE_UNCHANGED);
  bg_gate_verdict_free(v);
}

static void mode_names_round_trip(void **state) {
  (void)state;
  enum bg_compare_mode m;
  const char *names[] = {"history", "interleaved", "both"};
  for (int i = 0; i < 3; i++) {
    assert_true(bg_compare_mode_parse(names[i], &m));
    assert_int_equal(m, i);
    assert_string_equal(bg_compare_mode_name(m), names[i]);
  }
  assert_false(bg_compare_mode_parse("sometimes", &m));
  assert_false(bg_compare_mode_parse(NULL, &m));
}

/* ---- the run's interleaved part ---- */

static const char *result_json(const char *name, double x) {
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k],
           "{\"benchmark\":\"%s\",\"measure\":\"wall_time\",\"samples\":[%g,%g,%g]}", name, x,
           x * 1.01, x * 0.99);
  return buf[k];
}

/* A payload with `rounds` (JSON text of the "rounds" member, or NULL to leave it out) and
 * base_sha `base` (NULL: left out). */
static char *payload(const char *base, const char *rounds) {
  size_t n = 4096 + (rounds ? strlen(rounds) : 0);
  char *p = malloc(n);
  snprintf(p, n,
           "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"" UUID "\",\"commit\":{\"sha\":\"" SHA1
           "\",\"branch\":\"pr\"},\"testbed\":{\"name\":\"tb\"},\"results\":[%s]"
           ",\"interleaved\":{%s%s%s%s%s%s}}",
           result_json("x", 10), base ? "\"base_sha\":\"" : "", base ? base : "", base ? "\"" : "",
           base && rounds ? "," : "", rounds ? "\"rounds\":" : "", rounds ? rounds : "");
  return p;
}

static char *rounds_json(int n) {
  static char buf[2048];
  size_t len = 0;
  len += (size_t)snprintf(buf + len, sizeof buf - len, "[");
  for (int i = 0; i < n; i++)
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%s{\"base\":[%s],\"head\":[%s]}",
                            i ? "," : "", result_json("x", 10 + i), result_json("x", 11 + i));
  snprintf(buf + len, sizeof buf - len, "]");
  return buf;
}

static void expect_error(const char *text, const char *field) {
  struct bg_run *run = NULL;
  struct bg_ferr e;
  assert_int_equal(bg_run_from_json(text, strlen(text), &run, &e), BG_EINVAL);
  assert_null(run);
  if (strcmp(e.field, field))
    fail_msg("field '%s' (%s), expected '%s'", e.field, e.message, field);
}

static void run_round_trips_with_its_rounds(void **state) {
  (void)state;
  char *text = payload(SHA2, rounds_json(3));
  struct bg_run *run = NULL;
  struct bg_ferr e;
  assert_int_equal(bg_run_from_json(text, strlen(text), &run, &e), BG_OK);
  assert_non_null(run->interleaved);
  assert_string_equal(run->interleaved->base_sha, SHA2);
  assert_int_equal(run->interleaved->nrounds, 3);
  assert_float_equal(run->interleaved->rounds[2].head->results[0].samples[0], 13, 0);
  assert_float_equal(run->interleaved->rounds[1].base->results[0].samples[0], 11, 0);
  char *again = bg_run_to_json(run, 0);
  struct bg_run *back = NULL;
  assert_int_equal(bg_run_from_json(again, strlen(again), &back, &e), BG_OK);
  char *third = bg_run_to_json(back, 0);
  assert_string_equal(again, third);
  /* The pairs of "x": one per round, the head 10 % above the base in round 0. */
  struct bg_gate_pair pairs[3];
  assert_int_equal(bg_interleave_pairs_of(back->interleaved, "x", "wall_time", 0, pairs), 3);
  assert_float_equal(pairs[0].head.raw_center / pairs[0].base.raw_center, 1.1, 1e-12);
  assert_int_equal(bg_interleave_pairs_of(back->interleaved, "y", "wall_time", 7, pairs), 0);
  cJSON_free(again);
  cJSON_free(third);
  bg_run_free(run);
  bg_run_free(back);
  free(text);
}

static void run_rounds_are_validated(void **state) {
  (void)state;
  char *p;
  expect_error(p = payload(SHA2, rounds_json(1)), "interleaved.rounds");
  free(p);
  expect_error(p = payload(NULL, rounds_json(2)), "interleaved.base_sha");
  free(p);
  expect_error(p = payload("abc", rounds_json(2)), "interleaved.base_sha");
  free(p);
  expect_error(p = payload(SHA2, NULL), "interleaved.rounds");
  free(p);
  expect_error(p = payload(SHA2, "[{\"base\":[]}]"), "interleaved.rounds[0].head");
  free(p);
  expect_error(p = payload(SHA2, "[1,2]"), "interleaved.rounds");
  free(p);
  char bad[1024];
  snprintf(bad, sizeof bad, "[{\"base\":[%s],\"head\":[%s]},{\"base\":[%s],\"head\":[%s]}]",
           result_json("x", 1), result_json("x", 1), result_json("x", 1),
           "{\"benchmark\":\"x\",\"measure\":\"wall_time\",\"samples\":[1,null]}");
  expect_error(p = payload(SHA2, bad), "interleaved.rounds[1].head[0].samples[1]");
  free(p);
  snprintf(bad, sizeof bad, "[{\"base\":[%s,%s],\"head\":[%s]},{\"base\":[%s],\"head\":[%s]}]",
           result_json("x", 1), result_json("x", 2), result_json("x", 1), result_json("x", 1),
           result_json("x", 1));
  expect_error(p = payload(SHA2, bad), "interleaved.rounds[0].base[1]");
  free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(paired_matches_scipy_on_logs),
      cmocka_unit_test(family_counts_the_results_not_re_run),
      cmocka_unit_test(paired_matches_scipy_on_raw_values),
      cmocka_unit_test(drift_between_rounds_cancels),
      cmocka_unit_test(exact_pairs_use_the_exact_rule),
      cmocka_unit_test(items_without_pairs_are_new_or_missing),
      cmocka_unit_test(mode_interleaved_replaces_the_history),
      cmocka_unit_test(mode_both_needs_both),
      cmocka_unit_test(mode_history_keeps_the_decision),
      cmocka_unit_test(mode_names_round_trip),
      cmocka_unit_test(run_round_trips_with_its_rounds),
      cmocka_unit_test(run_rounds_are_validated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
