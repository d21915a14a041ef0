/* test_decimate.c: lib/decimate.c, min/max decimation that keeps the special points.
 *
 * The expectations are worked out by hand from the buckets: n points fall into max_points / 2
 * buckets [b*n/B, (b+1)*n/B), each gives its first smallest and first largest value, and the
 * first, last and marked points are added.
 */
/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "decimate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void short_series_are_kept_whole(void **state) {
  (void)state;
  double v[5] = {3, 1, 4, 1, 5};
  size_t out[5];
  assert_int_equal(bg_decimate(v, 5, NULL, 5, out), 5);
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(out[i], i);
  assert_int_equal(bg_decimate(v, 0, NULL, 16, out), 0);
}

/* 20 points, budget 4: buckets [0,10) and [10,20). A spike at 3 and a dip at 15 are each
 * bucket's extreme; point 7 is marked. */
static void spikes_and_special_points_survive(void **state) {
  (void)state;
  double v[20];
  unsigned char keep[20] = {0};
  size_t out[20];
  for (int i = 0; i < 20; i++)
    v[i] = i;
  v[3] = 100;
  v[15] = -5;
  keep[7] = 1;
  size_t n = bg_decimate(v, 20, keep, 4, out);
  const size_t want[] = {0, 3, 7, 15, 19};
  assert_int_equal(n, 5);
  assert_memory_equal(out, want, sizeof want);
}

/* Equal values: each bucket gives its first point once; the last point is added. */
static void ties_take_the_first_point_of_a_bucket(void **state) {
  (void)state;
  double v[10];
  size_t out[10];
  for (int i = 0; i < 10; i++)
    v[i] = 5;
  size_t n = bg_decimate(v, 10, NULL, 4, out);
  const size_t want[] = {0, 5, 9};
  assert_int_equal(n, 3);
  assert_memory_equal(out, want, sizeof want);
}

/* NaN is never a bucket's extreme while the bucket has a number; a bucket of NaNs gives its
 * first point. Budget 4 over 8 points: buckets [0,4) and [4,8). */
static void nan_values_are_not_extremes(void **state) {
  (void)state;
  double v[8] = {NAN, 2, NAN, 1, NAN, NAN, NAN, NAN};
  size_t out[8];
  size_t n = bg_decimate(v, 8, NULL, 4, out);
  const size_t want[] = {0, 1, 3, 4, 7};
  assert_int_equal(n, 5);
  assert_memory_equal(out, want, sizeof want);
}

/* A long noisy series: the answer is sorted, within max_points + K, and holds the global
 * extremes and every marked point. */
static void long_series_respect_the_bound(void **state) {
  (void)state;
  enum { N = 10000, MAX = 50 };
  double *v = malloc(N * sizeof *v);
  unsigned char *keep = calloc(N, 1);
  size_t *out = malloc(N * sizeof *out);
  unsigned long long x = 88172645463325252ULL;
  size_t lo = 0, hi = 0;
  for (size_t i = 0; i < N; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    v[i] = (double)(x % 1000);
    lo = v[i] < v[lo] ? i : lo;
    hi = v[i] > v[hi] ? i : hi;
  }
  const size_t marked[] = {17, 4242, 9998};
  for (size_t k = 0; k < 3; k++)
    keep[marked[k]] = 1;
  size_t n = bg_decimate(v, N, keep, MAX, out);
  assert_true(n <= MAX + 2 + 3);
  assert_true(n >= MAX / 2);
  for (size_t i = 1; i < n; i++)
    assert_true(out[i - 1] < out[i]);
  assert_int_equal(out[0], 0);
  assert_int_equal(out[n - 1], N - 1);
  int seen_lo = 0, seen_hi = 0, seen_marked = 0;
  for (size_t i = 0; i < n; i++) {
    seen_lo |= out[i] == lo;
    seen_hi |= out[i] == hi;
    for (size_t k = 0; k < 3; k++)
      seen_marked += out[i] == marked[k];
  }
  assert_true(seen_lo && seen_hi);
  assert_int_equal(seen_marked, 3);
  free(v);
  free(keep);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(short_series_are_kept_whole),
      cmocka_unit_test(spikes_and_special_points_survive),
      cmocka_unit_test(ties_take_the_first_point_of_a_bucket),
      cmocka_unit_test(nan_values_are_not_extremes),
      cmocka_unit_test(long_series_respect_the_bound),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
