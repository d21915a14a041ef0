/* test_machine_shift.c: lib/machine_shift.c, a machine shift told from a change of the code.
 *
 * Suites are generated with a fixed seed (splitmix64, no libc randomness): each item's log
 * change is log1p(effect) plus a normal error of its own se (log-uniform 0.5-3 %), as the gate
 * reports them with 30 degrees of freedom.
 */
/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "gate.h"
#include "machine_shift.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAXN 100

struct rng {
  uint64_t s;
};

static uint64_t next_u64(struct rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double unif(struct rng *r) {
  return ((double)(next_u64(r) >> 11) + 0.5) * 0x1.0p-53;
}

static double gauss(struct rng *r) {
  return sqrt(-2 * log(unif(r))) * cos(2 * M_PI * unif(r));
}

/* A suite of n items: effect[i] (relative, worse positive), control[i] (may be NULL). */
struct suite {
  struct bg_shift_item it[MAXN];
  char names[MAXN][32]; /* "bm_" and any size_t */
  int explained[MAXN];
  size_t n;
  struct bg_shift_result res;
};

static void make(struct suite *s, uint64_t seed, size_t n, const double *effect,
                 const int *control) {
  struct rng r = {seed};
  memset(s, 0, sizeof *s);
  s->n = n;
  for (size_t i = 0; i < n; i++) {
    double se = exp(log(0.005) + (log(0.03) - log(0.005)) * unif(&r));
    snprintf(s->names[i], sizeof s->names[i], "bm_%02zu", i);
    s->it[i] = (struct bg_shift_item){.d = log1p(effect[i]) + se * gauss(&r),
                                      .se = se,
                                      .df = 30,
                                      .tested = 1,
                                      .is_control = control ? control[i] : 0,
                                      .group = s->names[i]};
  }
}

static void detect(struct suite *s, int fingerprint) {
  bg_shift_detect(s->it, s->n, fingerprint, NULL, &s->res, s->explained);
}

static void fill(double *e, size_t n, double v) {
  for (size_t i = 0; i < n; i++)
    e[i] = v;
}

static size_t count_explained(const struct suite *s) {
  size_t k = 0;
  for (size_t i = 0; i < s->n; i++)
    k += (size_t)s->explained[i];
  return k;
}

/* Every benchmark 4 % slower: a shift, its factor near 4 %, nearly every item explained. */
static void all_slower_is_a_shift(void **state) {
  (void)state;
  static struct suite s;
  double e[40];
  fill(e, 40, 0.04);
  for (uint64_t seed = 1; seed <= 20; seed++) {
    make(&s, seed, 40, e, NULL);
    detect(&s, 0);
    assert_int_equal(s.res.suspected, 1);
    assert_int_equal(s.res.reason, BG_SHIFT_COMMON_FACTOR);
    assert_string_equal(bg_shift_reason_name(s.res.reason), "common_factor");
    assert_true(fabs(s.res.factor - 0.04) < 0.01);
    assert_true(s.res.factor_lo <= 0.04 && s.res.factor_hi >= 0.04);
    assert_true(s.res.factor_lo < s.res.factor && s.res.factor < s.res.factor_hi);
    assert_int_equal(s.res.units, 40);
    assert_true(s.res.same_side >= 36);
    assert_true(s.res.moved >= 36);
    assert_true(count_explained(&s) >= 36);
    assert_int_equal(s.res.explained, count_explained(&s));
  }
}

/* A faster machine is a shift too, in the other direction. */
static void all_faster_is_a_shift(void **state) {
  (void)state;
  static struct suite s;
  double e[40];
  fill(e, 40, -0.04);
  make(&s, 7, 40, e, NULL);
  detect(&s, 0);
  assert_int_equal(s.res.suspected, 1);
  assert_true(fabs(s.res.factor + 0.04) < 0.01);
}

/* One regression of 10 % (or of 1000 %) among 39 unchanged benchmarks is never a shift. */
static void one_regression_is_not_a_shift(void **state) {
  (void)state;
  static struct suite s;
  double e[40] = {0};
  for (uint64_t seed = 1; seed <= 50; seed++) {
    e[17] = seed % 2 ? 0.10 : 10.0;
    make(&s, seed, 40, e, NULL);
    s.it[17].se = 0.005;
    detect(&s, 0);
    assert_int_equal(s.res.suspected, 0);
    assert_int_equal(s.res.reason, BG_SHIFT_NONE);
    assert_int_equal(s.explained[17], 0);
    assert_int_equal(count_explained(&s), 0);
    assert_true(fabs(s.res.common) < 0.01);
  }
}

/* A regression landing during a shift: the shift is seen, the regression is not explained
 * by it, the rest are. */
static void regression_during_a_shift_stays(void **state) {
  (void)state;
  static struct suite s;
  double e[41];
  fill(e, 41, 0.04);
  e[40] = 0.15;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    make(&s, seed, 41, e, NULL);
    s.it[40].se = 0.01;
    s.it[40].d = log1p(0.15);
    detect(&s, 0);
    assert_int_equal(s.res.suspected, 1);
    assert_int_equal(s.explained[40], 0);
    assert_true(count_explained(&s) >= 36);
  }
}

/* Three controls 5 % slower while the others look unchanged: the controls speak. And with
 * everything 4 % slower both reasons hold, the controls' the stronger. */
static void controls_moved(void **state) {
  (void)state;
  static struct suite s;
  double e[40] = {0};
  int ctl[40] = {0};
  ctl[0] = ctl[1] = ctl[2] = 1;
  e[0] = e[1] = e[2] = 0.05;
  make(&s, 3, 40, e, ctl);
  for (int i = 0; i < 3; i++)
    s.it[i].se = 0.01;
  detect(&s, 0);
  assert_int_equal(s.res.suspected, 1);
  assert_int_equal(s.res.reason, BG_SHIFT_CONTROLS_MOVED);
  assert_int_equal(s.res.reasons & BG_SHIFT_COMMON_FACTOR, 0);
  assert_int_equal(s.res.controls, 3);
  assert_int_equal(s.res.units, 37);
  assert_true(fabs(s.res.factor - 0.05) < 0.025);
  assert_true(s.res.control_p < 1e-3);

  fill(e, 40, 0.04);
  make(&s, 4, 40, e, ctl);
  for (int i = 0; i < 3; i++)
    s.it[i].se = 0.01;
  detect(&s, 0);
  assert_int_equal(s.res.reason, BG_SHIFT_CONTROLS_MOVED);
  assert_int_equal(s.res.reasons, BG_SHIFT_CONTROLS_MOVED | BG_SHIFT_COMMON_FACTOR);
  assert_int_equal(s.res.controls_flat, 0);
}

/* 30 of 40 benchmarks 5 % slower: with controls that stayed put it is a change of the code;
 * without controls it is ambiguous: three quarters of the suite moving by one factor is what
 * a shift that misses some benchmarks looks like, and it is mostly reported as a suspected
 * shift (confirm by re-run); when it is not, the gate's verdict stands. Half the suite moving
 * is two factors, not a similar one, and is not a shift. */
static void broad_code_change(void **state) {
  (void)state;
  static struct suite s;
  double e[43] = {0};
  int ctl[43] = {0};
  for (int i = 0; i < 30; i++)
    e[i] = 0.05;
  ctl[40] = ctl[41] = ctl[42] = 1;
  int suspected = 0;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    make(&s, seed, 43, e, ctl);
    for (int i = 40; i < 43; i++)
      s.it[i].se = 0.01;
    detect(&s, 0);
    assert_int_equal(s.res.suspected, 0);
    assert_int_equal(s.res.controls_flat, 1);
    assert_true(s.res.common > 0.02);
    assert_int_equal(count_explained(&s), 0);

    make(&s, seed, 40, e, NULL);
    detect(&s, 0);
    suspected += s.res.suspected;
    assert_true(!s.res.suspected || s.res.reason == BG_SHIFT_COMMON_FACTOR);
  }
  assert_true(suspected >= 15);
  for (int i = 0; i < 40; i++)
    e[i] = i % 2 ? 0.05 : 0;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    make(&s, seed, 40, e, NULL);
    detect(&s, 0);
    assert_int_equal(s.res.suspected, 0);
    assert_true(s.res.common_spread > 0.5 * log1p(s.res.common));
  }
}

/* Controls too noisy to tell leave the call to the others. */
static void noisy_controls_do_not_veto(void **state) {
  (void)state;
  static struct suite s;
  double e[41];
  int ctl[41] = {0};
  fill(e, 41, 0.04);
  e[40] = 0;
  ctl[40] = 1;
  make(&s, 11, 41, e, ctl);
  s.it[40].se = 0.2;
  s.it[40].d = 0;
  detect(&s, 0);
  assert_int_equal(s.res.suspected, 1);
  assert_int_equal(s.res.controls_flat, 0);
}

/* A changed fingerprint alone suspects a shift; the factor is measured all the same. */
static void fingerprint_changed(void **state) {
  (void)state;
  static struct suite s;
  double e[40] = {0};
  make(&s, 5, 40, e, NULL);
  detect(&s, 1);
  assert_int_equal(s.res.suspected, 1);
  assert_int_equal(s.res.reason, BG_SHIFT_FINGERPRINT);
  assert_int_equal(s.res.reasons, BG_SHIFT_FINGERPRINT);
  assert_string_equal(bg_shift_reason_name(s.res.reason), "fingerprint");
  assert_true(fabs(s.res.factor) < 0.01);
  assert_true(count_explained(&s) >= 36);
  detect(&s, 0);
  assert_int_equal(s.res.suspected, 0);
}

/* Three benchmarks cannot show "many unrelated benchmarks": measured, never called a shift
 * by themselves; one benchmark alone neither. */
static void few_items(void **state) {
  (void)state;
  static struct suite s;
  double e[3];
  fill(e, 3, 0.04);
  make(&s, 9, 3, e, NULL);
  for (int i = 0; i < 3; i++) { /* 4 % slower, each within 1 se of it */
    s.it[i].se = 0.005;
    s.it[i].d = log1p(0.04) + 0.004 * (i - 1);
  }
  detect(&s, 0);
  assert_int_equal(s.res.suspected, 0);
  assert_int_equal(s.res.units, 3);
  assert_true(isfinite(s.res.common) && s.res.common > 0.02);
  assert_true(s.res.common_lo <= s.res.common && s.res.common <= s.res.common_hi);
  assert_true(s.res.common_p < 0.01);
  detect(&s, 1);
  assert_int_equal(s.res.suspected, 1);
  assert_int_equal(count_explained(&s), 3);
  make(&s, 9, 1, e, NULL);
  detect(&s, 0);
  assert_int_equal(s.res.suspected, 0);
  assert_int_equal(s.res.units, 1);
}

/* wall_time and cpu_time of one benchmark are one witness, not two. */
static void measures_of_a_benchmark_are_one_unit(void **state) {
  (void)state;
  static struct suite s;
  double e[40];
  fill(e, 40, 0.04);
  make(&s, 13, 40, e, NULL);
  for (size_t i = 0; i < 40; i++)
    s.it[i].group = s.names[i / 2];
  detect(&s, 0);
  assert_int_equal(s.res.units, 20);
  assert_int_equal(s.res.suspected, 1);
  s.it[5].group = NULL; /* its own unit */
  s.it[7].group = NULL;
  detect(&s, 0);
  assert_int_equal(s.res.units, 22);
}

/* Bad input has a defined result. */
static void bad_input(void **state) {
  (void)state;
  static struct suite s;
  struct bg_shift_result r;
  bg_shift_detect(NULL, 0, 0, NULL, &r, NULL);
  assert_int_equal(r.suspected, 0);
  assert_int_equal(r.units, 0);
  assert_true(isnan(r.factor) && isnan(r.common_p) && isnan(r.control_factor));
  bg_shift_detect(NULL, 5, 1, NULL, &r, NULL);
  assert_int_equal(r.suspected, 1);
  assert_int_equal(r.reason, BG_SHIFT_FINGERPRINT);
  assert_int_equal(r.explained, 0);
  assert_true(isnan(r.factor));

  double e[40];
  fill(e, 40, 0.04);
  make(&s, 17, 40, e, NULL);
  for (size_t i = 0; i < 40; i++)
    s.it[i].d = NAN;
  memset(s.explained, 0x55, sizeof s.explained);
  detect(&s, 0);
  assert_int_equal(s.res.suspected, 0);
  assert_int_equal(s.res.units, 0);
  assert_int_equal(count_explained(&s), 0);

  /* Broken items among good ones are skipped, never explained. */
  make(&s, 17, 40, e, NULL);
  s.it[0].d = INFINITY;
  s.it[1].se = 0;
  s.it[2].se = -1;
  s.it[3].se = NAN;
  s.it[4].tested = 0;
  s.it[5].df = NAN; /* the normal */
  s.it[6].df = -3;
  detect(&s, 0);
  assert_int_equal(s.res.units, 35);
  assert_int_equal(s.res.suspected, 1);
  for (int i = 0; i < 5; i++)
    assert_int_equal(s.explained[i], 0);

  /* Every change equal: a spread of zero and no division by it. */
  for (size_t i = 0; i < 40; i++)
    s.it[i] = (struct bg_shift_item){log1p(0.04), 0.01, 30, 1, 0, NULL};
  detect(&s, 0);
  assert_int_equal(s.res.suspected, 1);
  assert_true(fabs(s.res.factor - 0.04) < 1e-12);
  assert_int_equal(count_explained(&s), 40);
}

/* The items of a verdict: oriented by direction, raw se made relative, untested skipped. */
static void items_of_a_verdict(void **state) {
  (void)state;
  struct bg_gate_outcome o[4];
  memset(o, 0, sizeof o);
  char *names[4] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; i++) {
    o[i].benchmark = names[i];
    o[i].tested = 1;
    o[i].method = BG_GATE_METHOD_T;
    o[i].log_scale = 1;
    o[i].change = 0.05;
    o[i].se = 0.01;
    o[i].df = 20;
  }
  o[1].direction = BG_HIGHER;
  o[2].log_scale = 0;
  o[2].se = 2;
  o[2].baseline_center = -100;
  o[3].method = BG_GATE_METHOD_EXACT;
  struct bg_gate_verdict v = {.outcomes = o, .n = 4};
  int ctl[4] = {0, 1, 0, 0};
  struct bg_shift_item it[4];
  bg_shift_items_of_verdict(&v, ctl, it);
  assert_true(fabs(it[0].d - log1p(0.05)) < 1e-15);
  assert_true(fabs(it[1].d + log1p(0.05)) < 1e-15);
  assert_int_equal(it[1].is_control, 1);
  assert_true(fabs(it[2].d - 0.05) < 1e-15 && fabs(it[2].se - 0.02) < 1e-15);
  assert_int_equal(it[3].tested, 0);
  assert_string_equal(it[2].group, "c");
  o[0].ignored = 1;
  bg_shift_items_of_verdict(&v, NULL, it);
  assert_int_equal(it[0].tested, 0);
  assert_int_equal(it[1].is_control, 0);
}

/* 60 benchmarks 4 % slower, one of them 2.6 se worse than the rest: a per-result test at 1 %
 * would call it a regression the shift does not explain; suite-wide (BH over the 60) it is
 * what one of 60 results moved by the machine shows, and it is explained. 30 % worse than the
 * rest stays unexplained, and so do three of 60 worse by 4 se each (BH lowers their bar
 * together). */
static void explained_is_decided_suite_wide(void **state) {
  (void)state;
  static struct suite s;
  double e[60];
  fill(e, 60, 0.04);
  for (uint64_t seed = 1; seed <= 20; seed++) {
    make(&s, seed, 60, e, NULL);
    for (size_t i = 0; i < 60; i++) {
      s.it[i].se = 0.005;
      s.it[i].d = log1p(0.04) + 0.001 * gauss(&(struct rng){seed * 100 + i});
    }
    s.it[7].d = log1p(0.04) + 2.6 * sqrt(0.005 * 0.005 + 0.004 * 0.004);
    detect(&s, 0);
    assert_int_equal(s.res.suspected, 1);
    assert_int_equal(s.explained[7], 1);
    s.it[7].d = log1p(0.34);
    detect(&s, 0);
    assert_int_equal(s.explained[7], 0);
    assert_int_equal(count_explained(&s), 59);
    for (size_t i = 7; i < 10; i++)
      s.it[i].d = log1p(0.04) + 4 * sqrt(0.005 * 0.005 + s.res.spread * s.res.spread);
    detect(&s, 0);
    for (size_t i = 7; i < 10; i++)
      assert_int_equal(s.explained[i], 0);
  }
}

/* 40 benchmarks 4 % slower and 3 noisy controls (se 2 %) 4 % slower too: on their own the
 * controls prove nothing (p > 1e-3), but they side with the others' common factor rather
 * than with 0 (one-sided p <= 0.05), so the controls moved with the machine. Controls at 0
 * with that noise do not. */
static void noisy_controls_side_with_the_machine(void **state) {
  (void)state;
  static struct suite s;
  double e[43];
  int ctl[43] = {0};
  fill(e, 43, 0.04);
  ctl[40] = ctl[41] = ctl[42] = 1;
  make(&s, 11, 43, e, ctl);
  for (int i = 40; i < 43; i++) {
    s.it[i].se = 0.02;
    s.it[i].d = log1p(0.04) + 0.01 * (i - 41);
  }
  detect(&s, 0);
  assert_true(s.res.control_p > 1e-3);
  assert_true(s.res.reasons & BG_SHIFT_COMMON_FACTOR);
  assert_true(s.res.reasons & BG_SHIFT_CONTROLS_MOVED);
  for (int i = 40; i < 43; i++)
    s.it[i].d = 0.005 * (i - 41);
  detect(&s, 0);
  assert_int_equal(s.res.reasons & BG_SHIFT_CONTROLS_MOVED, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(all_slower_is_a_shift),
      cmocka_unit_test(all_faster_is_a_shift),
      cmocka_unit_test(one_regression_is_not_a_shift),
      cmocka_unit_test(regression_during_a_shift_stays),
      cmocka_unit_test(controls_moved),
      cmocka_unit_test(broad_code_change),
      cmocka_unit_test(noisy_controls_do_not_veto),
      cmocka_unit_test(fingerprint_changed),
      cmocka_unit_test(few_items),
      cmocka_unit_test(measures_of_a_benchmark_are_one_unit),
      cmocka_unit_test(bad_input),
      cmocka_unit_test(items_of_a_verdict),
      cmocka_unit_test(explained_is_decided_suite_wide),
      cmocka_unit_test(noisy_controls_side_with_the_machine),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
