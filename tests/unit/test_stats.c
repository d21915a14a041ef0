/* test_stats.c: statistics against reference values computed independently.
 *
 * Every reference value below was computed once with Debian 12's python3-scipy 1.10.1
 * (/usr/bin/python3) or Python's statistics module; the expression that produced each table is
 * quoted above it. Neither is a build or test dependency.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fails unless |got - want| <= rel * |want| (plus a tiny absolute slack for zeros). */
static void assert_rel(double got, double want, double rel) {
  double tol = rel * fabs(want) + 1e-300;
  if (!(fabs(got - want) <= tol))
    fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, rel);
}

static void descriptive_statistics_match_numpy(void **state) {
  (void)state;
  /* v = [3,1,4,1,5,9,2,6,5,3]: np.var(v, ddof=1), np.median(v), np.quantile(v, 0.9),
   * st.median_abs_deviation(v), st.trim_mean(v, 0.2),
   * np.var(st.mstats.winsorize(v, limits=(0.2, 0.2)), ddof=1) */
  double v[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
  assert_rel(bg_stats_mean(v, 10), 3.9, 1e-15);
  assert_rel(bg_stats_variance(v, 10), 6.1, 1e-14);
  assert_rel(bg_stats_median(v, 10), 3.5, 1e-15);
  assert_rel(bg_stats_quantile(v, 10, 0.9), 6.299999999999999, 1e-14);
  assert_rel(bg_stats_mad(v, 10), 1.5, 1e-15);
  double s[10];
  for (size_t i = 0; i < 10; i++)
    s[i] = v[i];
  bg_stats_sort(s, 10);
  assert_rel(bg_stats_trimmed_mean_sorted(s, 10, 0.2), 3.6666666666666665, 1e-14);
  assert_rel(bg_stats_winsorized_variance_sorted(s, 10, 0.2), 1.8222222222222224, 1e-14);
  assert_true(isnan(bg_stats_variance(v, 1)));
  assert_true(isnan(bg_stats_median(v, 0)));
}

static void variance_keeps_precision_with_large_offset(void **state) {
  (void)state;
  double v[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
  assert_rel(bg_stats_variance(v, 3), 1.0, 1e-9);
}

/* The summaries of the server's result rows and series points. References from Python 3.11's
 * statistics module, which computes in exact rational arithmetic: statistics.variance(v),
 * float((Fraction(a) + Fraction(b)) / 2), and statistics.mean/stdev of each group and of
 * their concatenation. */
static void variance_about_the_mean_matches_exact_arithmetic(void **state) {
  (void)state;
  double v[] = {0.1, 0.25, 0.3, 1.7, 2.9, 0.001};
  assert_rel(bg_stats_variance_about(v, 6, bg_stats_mean(v, 6)), 1.3734001666666666, 1e-15);
  double big[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
  assert_true(bg_stats_variance_about(big, 3, bg_stats_mean(big, 3)) == 1.0);
  assert_true(isnan(bg_stats_variance_about(v, 1, v[0])));
}

static void median_of_sorted_values_is_the_correctly_rounded_midpoint(void **state) {
  (void)state;
  const double odd[] = {1, 2, 7}, even[] = {1, 2, 3, 4};
  assert_true(bg_stats_median_sorted(odd, 3) == 2.0);
  assert_true(bg_stats_median_sorted(even, 4) == 2.5);
  /* Where the interpolation a + (b - a) / 2 rounds differently (0.4 and 0.6000000000000001). */
  const double a[] = {0.1, 0.7}, b[] = {0.3, 0.9};
  assert_true(bg_stats_median_sorted(a, 2) == 0.39999999999999997);
  assert_true(bg_stats_median_sorted(b, 2) == 0.6);
  assert_true(isnan(bg_stats_median_sorted(a, 0)));
}

static void pooled_groups_match_the_statistics_of_all_their_values(void **state) {
  (void)state;
  /* Groups {1.5, 2.5, 2.0}, {10.0} and {3.25, 4.75, 4.0, 5.5}. */
  struct bg_stats_pool p = {0};
  assert_true(bg_stats_pool_stddev(&p) == 0.0);
  bg_stats_pool_add(&p, 3, 2.0, 0.5);
  bg_stats_pool_add(&p, 1, 10.0, 0.0);
  bg_stats_pool_add(&p, 4, 4.375, 0.9682458365518543);
  assert_int_equal(p.n, 8);
  assert_rel(p.mean, 4.1875, 1e-15);
  assert_rel(bg_stats_pool_stddev(&p), 2.7148730567534303, 1e-14);
  struct bg_stats_pool one = {0};
  bg_stats_pool_add(&one, 1, 3.0, 0.0);
  assert_true(one.mean == 3.0 && bg_stats_pool_stddev(&one) == 0.0);
}

static void normal_distribution_matches_scipy(void **state) {
  (void)state;
  /* st.norm.cdf(z) */
  static const double cdf[][2] = {{-9.0, 1.1285884059538324e-19},
                                  {-3.0, 0.0013498980316300933},
                                  {0.3, 0.6179114221889526},
                                  {4.5, 0.9999966023268753}};
  for (size_t i = 0; i < ARRAY_LEN(cdf); i++)
    assert_rel(bg_stats_norm_cdf(cdf[i][0]), cdf[i][1], 1e-13);
  /* st.norm.ppf(p) */
  static const double ppf[][2] = {{1e-12, -7.034483825301131},  {0.0001, -3.7190164854556804},
                                  {0.3, -0.5244005127080409},   {0.975, 1.959963984540054},
                                  {0.999999999, 5.997807019601637}};
  for (size_t i = 0; i < ARRAY_LEN(ppf); i++)
    assert_rel(bg_stats_norm_quantile(ppf[i][0]), ppf[i][1], 1e-9);
  assert_true(isinf(bg_stats_norm_quantile(0)) && bg_stats_norm_quantile(0) < 0);
  assert_true(isnan(bg_stats_norm_quantile(1.5)));
}

static void incomplete_beta_matches_scipy(void **state) {
  (void)state;
  /* scipy.special.betainc(a, b, x) */
  static const double ref[][4] = {{2.0, 3.0, 0.4, 0.5247999999999999},
                                  {0.5, 0.5, 0.01, 0.06376856085851987},
                                  {14.5, 0.5, 0.9, 0.08307466551442909},
                                  {100.0, 50.0, 0.7, 0.8054481662277535}};
  for (size_t i = 0; i < ARRAY_LEN(ref); i++)
    assert_rel(bg_stats_betainc(ref[i][0], ref[i][1], ref[i][2]), ref[i][3], 1e-12);
  assert_true(isnan(bg_stats_betainc(-1, 1, 0.5)));
}

static void t_tail_probabilities_match_scipy_far_into_the_tail(void **state) {
  (void)state;
  /* st.t.sf(t, df) */
  static const double ref[][3] = {
      {0.5, 3, 0.3257239824240755},       {2.0, 5, 0.05096973941492914},
      {3.5, 29, 0.0007622231573273019},   {5.0, 29, 1.2683157867711627e-05},
      {8.0, 10, 5.887471394833078e-06},   {12.0, 4, 0.0001382142742514865},
      {-1.5, 7, 0.911350756505015},       {4.2, 2.5, 0.017482154362840674},
      {40.0, 29, 3.1734386648646587e-27}, {2.0, 1000000.0, 0.0227502669256596}};
  for (size_t i = 0; i < ARRAY_LEN(ref); i++) {
    assert_rel(bg_stats_t_sf(ref[i][0], ref[i][1]), ref[i][2], 1e-9);
    assert_rel(bg_stats_t_cdf(-ref[i][0], ref[i][1]), ref[i][2], 1e-9);
    /* Both tails at once: the upper tail of t, and the lower tail of -t. */
    double sf, cdf;
    bg_stats_t_tails(ref[i][0], ref[i][1], &sf, &cdf);
    assert_rel(sf, ref[i][2], 1e-9);
    assert_rel(1 - cdf, ref[i][2], ref[i][2] < 1e-6 ? 1 : 1e-9);
    bg_stats_t_tails(-ref[i][0], ref[i][1], &sf, &cdf);
    assert_rel(cdf, ref[i][2], 1e-9);
  }
  assert_true(isnan(bg_stats_t_sf(1, 0)));
  double sf, cdf;
  bg_stats_t_tails(1, 0, &sf, &cdf);
  assert_true(isnan(sf) && isnan(cdf));
}

static void t_quantiles_match_scipy_down_to_1e_minus_8(void **state) {
  (void)state;
  /* st.t.ppf(p, df) */
  static const double ref[][3] = {
      {0.975, 29, 2.045229642132703},     {0.995, 9, 3.2498355440153697},
      {0.0001, 29, -4.253894117489363},   {1e-08, 29, -7.641683132420775},
      {1e-08, 4, -131.59473694062396},    {0.501, 12, 0.0025593392850968206},
      {0.999999, 3.7, 51.64005027404128}, {0.00025, 200, -3.5386751661779456}};
  for (size_t i = 0; i < ARRAY_LEN(ref); i++)
    assert_rel(bg_stats_t_quantile(ref[i][0], ref[i][1]), ref[i][2], 1e-9);
  assert_true(bg_stats_t_quantile(0.5, 7) == 0);
}

static void polygamma_matches_scipy(void **state) {
  (void)state;
  /* scipy.special.digamma(x), scipy.special.polygamma(1, x) */
  static const double ref[][3] = {{0.3, -3.502524222200133, 12.245364546107734},
                                  {2.5, 0.7031566406452432, 0.4903577561002349},
                                  {14.5, 2.6392697253489863, 0.07139825615164695},
                                  {100.0, 4.600161852738088, 0.010050166663333573}};
  for (size_t i = 0; i < ARRAY_LEN(ref); i++) {
    assert_rel(bg_stats_digamma(ref[i][0]), ref[i][1], 1e-12);
    assert_rel(bg_stats_trigamma(ref[i][0]), ref[i][2], 1e-12);
    assert_rel(bg_stats_trigamma_inverse(ref[i][2]), ref[i][0], 1e-7);
  }
}

static void benjamini_hochberg_matches_reference(void **state) {
  (void)state;
  /* q = p[o] * m / rank, cumulative minimum from the top (numpy, as in
   * scipy.stats.false_discovery_control); checked by hand for the first two. */
  double p[] = {0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.0001, 0.049};
  static const double want[] = {0.02666666666666667, 0.064, 0.06, 0.02, 0.2285714285714286,
                                0.5, 0.0008, 0.06533333333333334};
  double q[8];
  size_t n = bg_stats_bh(p, 8, q, 0.05);
  for (size_t i = 0; i < 8; i++)
    assert_rel(q[i], want[i], 1e-14);
  assert_int_equal(n, 3);
  assert_int_equal(bg_stats_bh(p, 8, q, 0.0001), 0);
  /* NaN p-values are excluded from m. */
  double pn[] = {0.01, NAN, 0.02};
  bg_stats_bh(pn, 3, q, 0.05);
  assert_rel(q[0], 0.02, 1e-14);
  assert_rel(q[1], 1, 0);
  assert_rel(q[2], 0.02, 1e-14);
}

static void mann_whitney_matches_scipy_with_ties(void **state) {
  (void)state;
  /* st.mannwhitneyu(x, y, alternative=..., method="asymptotic", use_continuity=True) */
  double x[] = {1.1, 2.3, 2.3, 4.0, 5.5, 0.7, 3.3}, y[] = {2.3, 6.1, 7.2, 5.5, 8.8, 9.0};
  double u, pl, pg, pt;
  assert_int_equal(bg_stats_mann_whitney(x, 7, y, 6, &u, &pl, &pg, &pt), 0);
  assert_rel(u, 4.5, 1e-15);
  assert_rel(pl, 0.01067953399015804, 1e-12);
  assert_rel(pg, 0.9927659232805527, 1e-12);
  assert_rel(pt, 0.02135906798031608, 1e-12);
  assert_int_equal(bg_stats_mann_whitney(x, 0, y, 6, &u, &pl, NULL, NULL), -1);
  assert_true(isnan(pl));
}

static void welch_matches_scipy(void **state) {
  (void)state;
  /* st.ttest_ind(a, b, equal_var=False) */
  double a[] = {10.1, 10.4, 9.8, 10.0, 10.3}, b[] = {10.9, 11.2, 10.7, 11.5, 10.6, 11.0};
  double t, df, p;
  assert_int_equal(bg_stats_welch(a, 5, b, 6, &t, &df, &p), 0);
  assert_rel(t, -5.011443288491871, 1e-12);
  assert_rel(p, 0.0007604667667069475, 1e-9);
  assert_int_equal(bg_stats_welch(a, 1, b, 6, &t, &df, &p), -1);
}

/* Welch's test 2000 times on one thread, for two_threads_get_the_same_welch_p. */
static void *welch_loop(void *arg) {
  double *p = arg, a[] = {10.1, 10.4, 9.8, 10.0, 10.3}, b[] = {10.9, 11.2, 10.7, 11.5, 10.6, 11.0};
  double t, df;
  for (int i = 0; i < 2000; i++)
    if (bg_stats_welch(a, 5, b, 6, &t, &df, p) != 0)
      *p = NAN;
  return NULL;
}

/* The server decides an upload's verdict and a job's at once: the t tails share no state
 * between threads (lgamma's global signgam was such state; make test-tsan sees the race). */
static void two_threads_get_the_same_welch_p(void **state) {
  (void)state;
  double p1 = 0, p2 = 0;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, welch_loop, &p1), 0);
  welch_loop(&p2);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_rel(p1, 0.0007604667667069475, 1e-9);
  assert_rel(p2, p1, 0);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sort, select and the in-place median against libc's qsort: every size up to 300 and every
 * position, on values with many ties (drawn from 7 levels), distinct values, and sorted and
 * reversed input (the worst cases of a naive pivot). */
static void sort_select_and_median_agree_with_qsort(void **state) {
  (void)state;
  unsigned long long r = 12345;
  double x[300], ref[300], y[300];
  for (size_t n = 1; n <= 300; n++) {
    for (int shape = 0; shape < 4; shape++) {
      for (size_t i = 0; i < n; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(r >> 11) / 9007199254740992.0;
        x[i] = shape == 0 ? floor(u * 7) : shape == 1 ? u : shape == 2 ? (double)i : -(double)i;
      }
      memcpy(ref, x, n * sizeof *x);
      qsort(ref, n, sizeof *ref, cmp_double);
      memcpy(y, x, n * sizeof *x);
      bg_stats_sort(y, n);
      assert_memory_equal(y, ref, n * sizeof *y);
      for (size_t k = 0; k < n; k += n > 40 ? 7 : 1) {
        memcpy(y, x, n * sizeof *x);
        assert_true(bg_stats_select(y, n, k) == ref[k]);
        for (size_t i = 0; i < n; i++)
          assert_true(i < k ? y[i] <= y[k] : i > k ? y[i] >= y[k] : 1);
      }
      memcpy(y, x, n * sizeof *x);
      assert_true(bg_stats_median_inplace(y, n) == bg_stats_quantile_sorted(ref, n, 0.5));
    }
  }
  assert_true(isnan(bg_stats_select(x, 3, 3)));
  assert_true(isnan(bg_stats_median_inplace(x, 0)));
}

/* The MAD of sorted values by merging outward from the centre against the definition: the
 * median (bg_stats_median_inplace) of the absolute deviations. Every size up to 120, centres
 * at the median, at a value, between values and outside them, on tied and distinct values;
 * and the textbook example 1 1 2 2 4 6 9 about its median 2 (MAD 1). */
static void mad_of_sorted_values_matches_the_median_of_deviations(void **state) {
  (void)state;
  unsigned long long r = 777;
  double x[120], dev[120];
  for (size_t n = 1; n <= 120; n++) {
    for (int shape = 0; shape < 2; shape++) {
      for (size_t i = 0; i < n; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(r >> 11) / 9007199254740992.0;
        x[i] = shape == 0 ? floor(u * 5) : 10 * u - 3;
      }
      qsort(x, n, sizeof *x, cmp_double);
      const double centres[] = {bg_stats_quantile_sorted(x, n, 0.5), x[n / 3], x[0] - 1,
                                x[n - 1] + 2, 0.5 * (x[0] + x[n - 1])};
      for (size_t c = 0; c < sizeof centres / sizeof *centres; c++) {
        for (size_t i = 0; i < n; i++)
          dev[i] = fabs(x[i] - centres[c]);
        assert_true(bg_stats_mad_sorted(x, n, centres[c]) == bg_stats_median_inplace(dev, n));
      }
    }
  }
  const double book[] = {1, 1, 2, 2, 4, 6, 9};
  assert_true(bg_stats_mad_sorted(book, 7, 2) == 1.0);
  assert_true(isnan(bg_stats_mad_sorted(book, 0, 2)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mad_of_sorted_values_matches_the_median_of_deviations),
      cmocka_unit_test(sort_select_and_median_agree_with_qsort),
      cmocka_unit_test(descriptive_statistics_match_numpy),
      cmocka_unit_test(variance_keeps_precision_with_large_offset),
      cmocka_unit_test(variance_about_the_mean_matches_exact_arithmetic),
      cmocka_unit_test(median_of_sorted_values_is_the_correctly_rounded_midpoint),
      cmocka_unit_test(pooled_groups_match_the_statistics_of_all_their_values),
      cmocka_unit_test(normal_distribution_matches_scipy),
      cmocka_unit_test(incomplete_beta_matches_scipy),
      cmocka_unit_test(t_tail_probabilities_match_scipy_far_into_the_tail),
      cmocka_unit_test(t_quantiles_match_scipy_down_to_1e_minus_8),
      cmocka_unit_test(polygamma_matches_scipy),
      cmocka_unit_test(benjamini_hochberg_matches_reference),
      cmocka_unit_test(mann_whitney_matches_scipy_with_ties),
      cmocka_unit_test(welch_matches_scipy),
      cmocka_unit_test(two_threads_get_the_same_welch_p),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
