/* test_cpd.c: exact behaviour of the change-point detector on constructed series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpd.h"
#include "error.h"

#include <math.h>
#include <string.h>

#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* Fixed noise in [-0.8, 0.8] (sigma from first differences about 0.63). */
static const double NZ[30] = {0.3,  -0.5, 0.1,  0.8, -0.2, -0.7, 0.4,  0.0,  -0.3, 0.6,
                              -0.1, 0.2,  -0.6, 0.5, -0.4, 0.7,  -0.8, 0.1,  0.3,  -0.2,
                              0.0,  0.4,  -0.5, 0.2, -0.1, 0.6,  -0.3, -0.7, 0.5,  0.1};

static struct bg_cpd_result detect(const double *x, const double *v, size_t n) {
  struct bg_cpd_result r;
  assert_int_equal(bg_cpd_detect(x, v, n, NULL, &r), BG_OK);
  return r;
}

static void finds_clean_step_with_magnitude(void **state) {
  (void)state;
  double x[30];
  for (int i = 0; i < 30; i++)
    x[i] = 100 + NZ[i] + (i >= 15 ? 10 : 0);
  struct bg_cpd_result r = detect(x, NULL, 30);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.points[0].index, 15);
  assert_near(r.points[0].magnitude, 10.1, 1e-9); /* medians 100.0 -> 110.1 */
  assert_near(r.points[0].relative, 0.101, 1e-9);
  assert_true(r.points[0].score > r.threshold);
  assert_int_equal(r.n_used, 30);
  bg_cpd_result_free(&r);
}

static void finds_two_steps_in_order(void **state) {
  (void)state;
  double x[30];
  for (int i = 0; i < 30; i++)
    x[i] = 100 + NZ[i] + (i >= 10 ? 10 : 0) + (i >= 20 ? -5 : 0);
  struct bg_cpd_result r = detect(x, NULL, 30);
  assert_int_equal(r.count, 2);
  assert_int_equal(r.points[0].index, 10);
  assert_int_equal(r.points[1].index, 20);
  assert_true(r.points[0].magnitude > 9.5 && r.points[0].magnitude < 10.5);
  assert_true(r.points[1].magnitude < -4.5 && r.points[1].magnitude > -5.5);
  assert_true(r.points[1].relative < 0);
  bg_cpd_result_free(&r);
}

static void single_spike_is_not_a_change_point(void **state) {
  (void)state;
  double x[30];
  for (int i = 0; i < 30; i++)
    x[i] = 100 + NZ[i] + (i == 12 ? 50 : 0);
  struct bg_cpd_result r = detect(x, NULL, 30);
  assert_int_equal(r.count, 0);
  bg_cpd_result_free(&r);
}

/* Two spikes among the first three points and two among the last three: the spike filter's
 * window at the ends is the first or last five points, whose median is not a spike, so no
 * spike starts or ends a segment. */
static void spikes_at_the_ends_are_not_change_points(void **state) {
  (void)state;
  double x[30];
  for (int i = 0; i < 30; i++)
    x[i] = 100 + NZ[i] + (i == 0 || i == 2 ? 50 : 0) + (i == 29 || i == 27 ? -50 : 0);
  struct bg_cpd_result r = detect(x, NULL, 30);
  assert_int_equal(r.count, 0);
  bg_cpd_result_free(&r);
}

/* Documented: segments are lines, so a steady ramp is one segment. A ramp that starts after a
 * flat stretch is a change of slope: reported near the kink when the series is long enough
 * that a single parabola cannot explain it (kink at 30 of 60: found at 28), not on 30 points
 * with a gentle slope (a parabola fits that nearly as well: the curvature veto). */
static void ramp_is_one_segment_and_kink_is_a_change(void **state) {
  (void)state;
  double x[60];
  for (int i = 0; i < 30; i++)
    x[i] = 100 + NZ[i] + 0.5 * i;
  struct bg_cpd_result r = detect(x, NULL, 30);
  assert_int_equal(r.count, 0);
  bg_cpd_result_free(&r);
  for (int i = 0; i < 60; i++)
    x[i] = 100 + NZ[(7 * i) % 30] + 0.5 * i;
  r = detect(x, NULL, 60);
  assert_int_equal(r.count, 0);
  bg_cpd_result_free(&r);
  for (int i = 0; i < 60; i++)
    x[i] = 100 + NZ[(7 * i) % 30] + (i >= 30 ? 0.5 * (i - 30) : 0);
  r = detect(x, NULL, 60);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.points[0].index, 28);
  bg_cpd_result_free(&r);
  for (int i = 0; i < 30; i++)
    x[i] = 100 + NZ[(7 * i) % 30] + (i >= 15 ? 0.5 * (i - 15) : 0);
  r = detect(x, NULL, 30);
  assert_int_equal(r.count, 0);
  bg_cpd_result_free(&r);
}

static void constant_series_has_no_change_and_no_noise(void **state) {
  (void)state;
  double x[30];
  for (int i = 0; i < 30; i++)
    x[i] = 7.0;
  struct bg_cpd_result r = detect(x, NULL, 30);
  assert_int_equal(r.count, 0);
  assert_near(r.sigma, 0.0, 0.0);
  bg_cpd_result_free(&r);
}

/* Fewer than 2 * min_segment points: nothing. Six points of a noiseless step (3 + 3, the
 * minimum segment on each side) are a level shift: two flat segments fit it exactly and one
 * line does not. */
static void very_short_series_have_no_change(void **state) {
  (void)state;
  const double s5[] = {1, 1, 1, 9, 9}, s6[] = {1, 1, 1, 9, 9, 9};
  for (size_t n = 0; n <= 5; n++) {
    struct bg_cpd_result r = detect(s5, NULL, n);
    assert_int_equal(r.count, 0);
    bg_cpd_result_free(&r);
  }
  struct bg_cpd_result r = detect(s6, NULL, 6);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.points[0].index, 3);
  assert_near(r.points[0].magnitude, 8.0, 1e-12);
  bg_cpd_result_free(&r);
  double x[20];
  for (int i = 0; i < 20; i++)
    x[i] = i >= 10;
  r = detect(x, NULL, 20);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.points[0].index, 10);
  assert_near(r.points[0].magnitude, 1.0, 1e-12);
  assert_true(isnan(r.points[0].relative)); /* level before is 0 */
  bg_cpd_result_free(&r);
}

/* Missing values are skipped; indices are the caller's: with 15 and 16 missing the first
 * point of the new level is 17. */
static void skips_missing_values_and_keeps_indices(void **state) {
  (void)state;
  double x[30];
  for (int i = 0; i < 30; i++)
    x[i] = 100 + NZ[i] + (i >= 15 ? 10 : 0);
  x[3] = NAN;
  x[15] = NAN;
  x[16] = INFINITY;
  struct bg_cpd_result r = detect(x, NULL, 30);
  assert_int_equal(r.n_used, 27);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.points[0].index, 17);
  bg_cpd_result_free(&r);
}

static void same_input_gives_same_output(void **state) {
  (void)state;
  double x[300];
  for (int i = 0; i < 300; i++)
    x[i] = 50 + NZ[(7 * i) % 30] + (i >= 100 ? 5 : 0) + (i >= 210 ? -8 : 0);
  struct bg_cpd_result a = detect(x, NULL, 300), b = detect(x, NULL, 300);
  assert_int_equal(a.count, 2);
  assert_int_equal(a.count, b.count);
  assert_memory_equal(a.points, b.points, a.count * sizeof *a.points);
  bg_cpd_result_free(&a);
  bg_cpd_result_free(&b);
}

/* Equal variances change nothing; a point with a huge variance hardly counts. */
static void uses_per_point_variances_as_weights(void **state) {
  (void)state;
  double x[30], v[30];
  for (int i = 0; i < 30; i++) {
    x[i] = 100 + NZ[i] + (i >= 15 ? 10 : 0);
    v[i] = 0.04;
  }
  struct bg_cpd_result a = detect(x, NULL, 30), b = detect(x, v, 30);
  assert_int_equal(b.count, 1);
  assert_int_equal(b.points[0].index, a.points[0].index);
  assert_near(b.points[0].score, a.points[0].score, 1e-9);
  bg_cpd_result_free(&a);
  bg_cpd_result_free(&b);
}

/* Smooth growth (a parabola plus noise) is not cut into steps: the curvature veto. */
static void smooth_growth_is_not_cut_into_steps(void **state) {
  (void)state;
  double x[300];
  for (int i = 0; i < 300; i++)
    x[i] = 100 + 0.002 * i * i + NZ[(7 * i) % 30];
  struct bg_cpd_result r = detect(x, NULL, 300);
  assert_int_equal(r.count, 0);
  bg_cpd_result_free(&r);
}

/* Levels alternating by about 6 sigma every 50 points: every shift is found exactly. */
static void finds_every_shift_of_alternating_levels(void **state) {
  (void)state;
  double x[500];
  for (int i = 0; i < 500; i++)
    x[i] = 100 + NZ[(7 * i) % 30] + ((i / 50) % 2 ? 4.0 : 0.0);
  struct bg_cpd_result r = detect(x, NULL, 500);
  assert_int_equal(r.count, 9);
  for (size_t j = 0; j < r.count; j++)
    assert_int_equal(r.points[j].index, 50 * (j + 1));
  bg_cpd_result_free(&r);
}

static void rejects_bad_arguments(void **state) {
  (void)state;
  double x[10] = {0}, v[10] = {0};
  struct bg_cpd_result r;
  v[4] = -1;
  assert_int_equal(bg_cpd_detect(x, v, 10, NULL, &r), BG_EINVAL);
  bg_cpd_result_free(&r);
  struct bg_cpd_config c = bg_cpd_config_default();
  c.min_segment = 1;
  assert_int_equal(bg_cpd_detect(x, NULL, 10, &c, &r), BG_EINVAL);
  c = bg_cpd_config_default();
  c.penalty = NAN;
  assert_int_equal(bg_cpd_detect(x, NULL, 10, &c, &r), BG_EINVAL);
  c = bg_cpd_config_default();
  c.shift_penalty = -1;
  assert_int_equal(bg_cpd_detect(x, NULL, 10, &c, &r), BG_EINVAL);
  c.shift_penalty = NAN;
  assert_int_equal(bg_cpd_detect(x, NULL, 10, &c, &r), BG_EINVAL);
  assert_int_equal(bg_cpd_detect(NULL, NULL, 10, NULL, &r), BG_EINVAL);
  assert_int_equal(bg_cpd_detect(x, NULL, 10, NULL, NULL), BG_EINVAL);
  bg_cpd_result_free(NULL);
}

static void default_config_is_documented_one(void **state) {
  (void)state;
  struct bg_cpd_config c = bg_cpd_config_default();
  assert_int_equal(c.min_segment, 3);
  assert_near(c.candidate_penalty, 1.0, 0);
  assert_near(c.penalty, 8.0, 0);
  assert_near(c.curvature_penalty, 3.0, 0);
  assert_near(c.shift_penalty, 0.5, 0);
  assert_near(c.outlier_k, 5.0, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(finds_clean_step_with_magnitude),
      cmocka_unit_test(finds_two_steps_in_order),
      cmocka_unit_test(single_spike_is_not_a_change_point),
      cmocka_unit_test(spikes_at_the_ends_are_not_change_points),
      cmocka_unit_test(ramp_is_one_segment_and_kink_is_a_change),
      cmocka_unit_test(constant_series_has_no_change_and_no_noise),
      cmocka_unit_test(very_short_series_have_no_change),
      cmocka_unit_test(skips_missing_values_and_keeps_indices),
      cmocka_unit_test(same_input_gives_same_output),
      cmocka_unit_test(uses_per_point_variances_as_weights),
      cmocka_unit_test(smooth_growth_is_not_cut_into_steps),
      cmocka_unit_test(finds_every_shift_of_alternating_levels),
      cmocka_unit_test(rejects_bad_arguments),
      cmocka_unit_test(default_config_is_documented_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
