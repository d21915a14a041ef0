/* test_cpd_metrics.c: TCPD F1 and Cover against TCPDBench's reference values and hand-computed
 * cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpd_metrics.h"
#include "error.h"

#include <math.h>

/* cmocka 1.1 has no double comparison. */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

#define ANN(...) ((const size_t[]){__VA_ARGS__})
#define A(arr, n)                                                                                  \
  { (arr), (n) }

static double f1_of(const struct bg_cpd_annotation *a, size_t na, const size_t *p, size_t k) {
  double f = -1;
  assert_int_equal(bg_cpd_metrics_f1(a, na, p, k, 5, &f, NULL, NULL), BG_OK);
  return f;
}

static double cover_of(const struct bg_cpd_annotation *a, size_t na, const size_t *p, size_t k,
                       size_t n) {
  double c = -1;
  assert_int_equal(bg_cpd_metrics_cover(a, na, p, k, n, &c), BG_OK);
  return c;
}

/* The six reference values of TCPDBench's tests, as listed in shared/data/tcpd/README.md. */
static void f1_matches_tcpdbench_reference_values(void **state) {
  (void)state;
  struct bg_cpd_annotation a1[] = {A(ANN(10, 20), 2), A(ANN(11, 20), 2), A(ANN(10), 1),
                                   A(ANN(0, 5), 2)};
  assert_near(f1_of(a1, 4, ANN(10, 20), 2), 1.0, 1e-12);
  struct bg_cpd_annotation a2[] = {A(NULL, 0), A(ANN(10), 1), A(ANN(50), 1)};
  assert_near(f1_of(a2, 3, ANN(10), 1), 0.9090909090909091, 1e-12);
  assert_near(f1_of(a2, 3, NULL, 0), 0.8, 1e-12);
}

static void cover_matches_tcpdbench_reference_values(void **state) {
  (void)state;
  struct bg_cpd_annotation a1[] = {A(ANN(10, 20), 2), A(ANN(10), 1), A(ANN(0, 5), 2)};
  assert_near(cover_of(a1, 3, ANN(10, 20), 2, 45), 0.7962962962962963, 1e-12);
  struct bg_cpd_annotation a2[] = {A(NULL, 0), A(ANN(10), 1), A(ANN(40), 1)};
  assert_near(cover_of(a2, 3, ANN(10), 1, 45), 0.7954144620811286, 1e-12);
  assert_near(cover_of(a2, 3, NULL, 0, 45), 0.8189300411522634, 1e-12);
}

/* By hand: T = {0,10}, X = {0,12}: both hit, P = R = 1. With 16 the distance 6 exceeds the
 * margin: only 0 hits, P = R = 1/2. */
static void f1_counts_hits_within_margin_only(void **state) {
  (void)state;
  struct bg_cpd_annotation a[] = {A(ANN(10), 1)};
  assert_near(f1_of(a, 1, ANN(12), 1), 1.0, 1e-12);
  assert_near(f1_of(a, 1, ANN(15), 1), 1.0, 1e-12);
  assert_near(f1_of(a, 1, ANN(16), 1), 0.5, 1e-12);
}

/* By hand: T = {0,10,12}, X = {0,11}: 0->0, 10->11, 12 finds 11 used: 2 hits. P = 2/2,
 * R = 2/3, F1 = 2 * (2/3) / (5/3) = 0.8. One prediction never counts twice. */
static void f1_matches_one_to_one(void **state) {
  (void)state;
  struct bg_cpd_annotation a[] = {A(ANN(12, 10), 2)};
  double p, r, f;
  assert_int_equal(bg_cpd_metrics_f1(a, 1, ANN(11), 1, 5, &f, &p, &r), BG_OK);
  assert_near(p, 1.0, 1e-12);
  assert_near(r, 2.0 / 3.0, 1e-12);
  assert_near(f, 0.8, 1e-12);
}

/* By hand: X = {0,8,12} against T = {0,10}: 2 hits; P = 2/3, R = 1, F1 = 0.8. Duplicated
 * predictions count once. */
static void f1_ignores_duplicate_predictions(void **state) {
  (void)state;
  struct bg_cpd_annotation a[] = {A(ANN(10), 1)};
  assert_near(f1_of(a, 1, ANN(8, 12, 12, 8), 4), 0.8, 1e-12);
}

/* By hand, n = 10, annotation [5] (segments [0,5) [5,10)): no prediction gives Jaccard 1/2
 * for both: C = 0.5. Prediction [4]: [0,5) best with [0,4) = 4/5, [5,10) with [4,10) = 5/6:
 * C = (5 * 0.8 + 5 * 5/6) / 10 = 0.8166... */
static void cover_matches_hand_computed_values(void **state) {
  (void)state;
  struct bg_cpd_annotation a[] = {A(ANN(5), 1)};
  assert_near(cover_of(a, 1, NULL, 0, 10), 0.5, 1e-12);
  assert_near(cover_of(a, 1, ANN(4), 1, 10), (4.0 + 25.0 / 6.0) / 10.0, 1e-12);
  assert_near(cover_of(a, 1, ANN(5), 1, 10), 1.0, 1e-12);
}

static void clean_keeps_sorted_unique_inner_indices(void **state) {
  (void)state;
  size_t p[] = {0, 5, 5, 9, 8, 3, 42};
  size_t k = bg_cpd_metrics_clean(p, 7, 10, p);
  assert_int_equal(k, 3);
  assert_int_equal(p[0], 3);
  assert_int_equal(p[1], 5);
  assert_int_equal(p[2], 8);
}

static void rejects_missing_annotators(void **state) {
  (void)state;
  double f;
  assert_int_equal(bg_cpd_metrics_f1(NULL, 0, NULL, 0, 5, &f, NULL, NULL), BG_EINVAL);
  struct bg_cpd_annotation a[] = {A(ANN(5), 1)};
  assert_int_equal(bg_cpd_metrics_cover(a, 1, NULL, 0, 0, &f), BG_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(f1_matches_tcpdbench_reference_values),
      cmocka_unit_test(cover_matches_tcpdbench_reference_values),
      cmocka_unit_test(f1_counts_hits_within_margin_only),
      cmocka_unit_test(f1_matches_one_to_one),
      cmocka_unit_test(f1_ignores_duplicate_predictions),
      cmocka_unit_test(cover_matches_hand_computed_values),
      cmocka_unit_test(clean_keeps_sorted_unique_inner_indices),
      cmocka_unit_test(rejects_missing_annotators),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
