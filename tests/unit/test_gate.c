/* test_gate.c: behaviour of the statistical gate (summaries, thresholds, decision, verdict).
 *
 * Synthetic suites come from a fixed-seed generator in this file, so every expectation is
 * reproducible. The end-to-end p-value and the summary values were computed independently
 * with Debian 12's python3-scipy 1.10.1 (expressions quoted next to the numbers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gate.h"
#include "stats.h"
#include "verdict_render.h"

/* The verdict object as the server renders it (server/verdict_render.c), parsed. */
static cJSON *verdict_json(const struct bg_gate_verdict *v, const struct bg_gate_context *ctx) {
  struct bg_buf out;
  bg_buf_init(&out, 0);
  bg_verdict_render(&out, v, ctx, 1);
  cJSON *j = cJSON_Parse(out.data);
  bg_buf_free(&out);
  assert_non_null(j);
  return j;
}

#define NREP 10
#define MAXB 128
#define MAXK 30

static void assert_rel(double got, double want, double rel) {
  if (!(fabs(got - want) <= rel * fabs(want) + 1e-300))
    fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, rel);
}

/* A tiny deterministic generator (splitmix64 + Box-Muller) for synthetic suites. */
static uint64_t rng_state;
static double unif(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return ((double)((z ^ (z >> 31)) >> 11) + 0.5) * 0x1.0p-53;
}
static double gauss(void) {
  return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
}

/* One run of a benchmark with typical value `level`, within-run CV `cvw`, a run offset drawn
 * with CV `cvb`, multiplied by `factor`. */
static void make_run(double level, double cvw, double cvb, double factor,
                     struct bg_gate_summary *s) {
  double x[NREP], off = cvb * gauss();
  for (int i = 0; i < NREP; i++)
    x[i] = level * factor * exp(off + cvw * gauss());
  assert_int_equal(bg_gate_summarize(x, NREP, s), BG_OK);
}

/* A suite of nb benchmarks with k baseline runs each and one candidate run; factor[b]
 * multiplies the candidate of benchmark b (NULL: all 1). */
struct suite {
  struct bg_gate_summary base[MAXB][MAXK];
  struct bg_gate_point pts[MAXB][MAXK]; /* base as the items read it: see sync_points */
  struct bg_gate_summary cand[MAXB];
  char names[MAXB][32];
  struct bg_gate_item items[MAXB];
};

/* Refreshes the items' baseline points from the summaries in base. */
static void sync_points(struct suite *s) {
  for (size_t b = 0; b < MAXB; b++)
    for (size_t j = 0; j < MAXK; j++)
      bg_gate_point_of(&s->base[b][j], &s->pts[b][j]);
}

static struct suite *make_suite(size_t nb, size_t k, double cvw, double cvb,
                                const double *factor, uint64_t seed) {
  struct suite *s = calloc(1, sizeof *s);
  assert_non_null(s);
  rng_state = seed;
  for (size_t b = 0; b < nb; b++) {
    double level = 1000.0 * (double)(b + 1);
    for (size_t j = 0; j < k; j++)
      make_run(level, cvw, cvb, 1, &s->base[b][j]);
    make_run(level, cvw, cvb, factor ? factor[b] : 1, &s->cand[b]);
    snprintf(s->names[b], sizeof s->names[b], "BM_%zu", b);
    s->items[b] = (struct bg_gate_item){.benchmark = s->names[b], .measure = "wall_time",
                                        .unit = "ns", .direction = BG_LOWER,
                                        .baseline = s->pts[b], .nbaseline = k,
                                        .candidate = &s->cand[b], .min_effect = 0.02};
  }
  sync_points(s);
  return s;
}

static struct bg_gate_verdict *decide(const struct bg_gate_item *items, size_t n,
                                      const struct bg_gate_config *cfg) {
  struct bg_gate_verdict *v = NULL;
  assert_int_equal(bg_gate_decide(items, n, cfg, &v), BG_OK);
  assert_non_null(v);
  return v;
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The level comes from the newest `window` runs, the noise from up to `noise_window`: one
 * item (no shrinkage), 60 runs whose older half is twice as spread; expected values computed
 * here with plain formulas (trimmed mean of the sorted newest 30: drop 6 at each end). */
static void level_and_noise_use_their_own_windows(void **state) {
  (void)state;
  struct bg_gate_point pts[60];
  double m[60];
  for (int j = 0; j < 60; j++) {
    m[j] = log(100.0) + (j < 30 ? 0.01 * sin(j + 1.0) : 0.02 * cos(j + 1.0));
    pts[j] = (struct bg_gate_point){m[j], 0, exp(m[j]), 0, 0, NAN, NAN, 0};
  }
  struct bg_gate_summary cand;
  double x[NREP];
  for (int i = 0; i < NREP; i++)
    x[i] = 101;
  bg_gate_summarize(x, NREP, &cand);
  struct bg_gate_item it = {.benchmark = "b", .measure = "wall_time", .direction = BG_LOWER,
                            .baseline = pts, .nbaseline = 60, .candidate = &cand,
                            .min_effect = 0.02};
  double newest[30];
  memcpy(newest, m, sizeof newest);
  qsort(newest, 30, sizeof *newest, cmp_dbl);
  double mu = 0;
  for (int j = 6; j < 24; j++)
    mu += newest[j] / 18;
  for (size_t nw = 30; nw <= 60; nw += 30) {
    double mean = 0, ss = 0;
    for (size_t j = 0; j < nw; j++)
      mean += m[j] / (double)nw;
    for (size_t j = 0; j < nw; j++)
      ss += (m[j] - mean) * (m[j] - mean);
    struct bg_gate_config cfg;
    bg_gate_config_init(&cfg);
    cfg.noise_window = nw;
    struct bg_gate_verdict *v = decide(&it, 1, &cfg);
    const struct bg_gate_outcome *o = &v->outcomes[0];
    assert_int_equal(o->baseline_runs, 30);
    assert_int_equal(o->noise_runs, nw);
    assert_int_equal(v->noise_runs, nw);
    assert_rel(o->baseline_center, exp(mu), 1e-12);
    assert_rel(o->s2, ss / (double)(nw - 1), 1e-9);
    assert_rel(o->df, (double)nw - 1, 0);
    bg_gate_verdict_free(v);
  }
  /* A noise window below the level's counts as the level's. */
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  cfg.noise_window = 10;
  struct bg_gate_verdict *v = decide(&it, 1, &cfg);
  assert_int_equal(v->outcomes[0].noise_runs, 30);
  bg_gate_verdict_free(v);
}

/* Sorted centres handed in by a caller (benchgated keeps them across uploads) decide exactly
 * as the gate's own sort: the same verdict, bit for bit, on a suite with an outlying run;
 * centres on the other scale, or missing, are not used. */
static void sorted_centres_from_the_caller_decide_as_the_gates_own(void **state) {
  (void)state;
  const double factor[] = {1.05, 1, 1, 0.97, 1, 1.2};
  struct suite *s = make_suite(6, 30, 0.01, 0.004, factor, 99);
  s->pts[2][7].log_center += 0.2; /* a disturbed run: the noise screening drops it */
  s->pts[2][7].raw_center *= exp(0.2);
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  cfg.window = 12;
  cfg.noise_window = 25;
  struct bg_gate_verdict *plain = decide(s->items, 6, &cfg);
  double lv[6][30], nv[6][30];
  for (size_t b = 0; b < 6; b++) {
    for (size_t j = 0; j < 25; j++)
      lv[b][j] = nv[b][j] = s->pts[b][j].log_center;
    qsort(lv[b], 12, sizeof **lv, cmp_dbl);
    qsort(nv[b], 25, sizeof **nv, cmp_dbl);
    assert_int_equal(bg_gate_log_scale(&s->items[b], 25), 1);
    s->items[b].level_sorted = lv[b];
    s->items[b].noise_sorted = nv[b];
    s->items[b].sorted_log = 1;
  }
  struct bg_gate_verdict *given = decide(s->items, 6, &cfg);
  cJSON *a = verdict_json(plain, NULL), *b = verdict_json(given, NULL);
  char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
  assert_string_equal(ta, tb);
  for (size_t i = 0; i < 6; i++) {
    assert_true(plain->outcomes[i].s2 == given->outcomes[i].s2);
    assert_true(plain->outcomes[i].baseline_center == given->outcomes[i].baseline_center);
  }
  assert_true(plain->outcomes[2].s2 < 4e-4); /* the disturbed run (0.2 off: 0.0016 alone) dropped */
  /* Raw-scale centres where the gate tests on the log scale are ignored: a wrong array then
   * changes nothing. */
  for (size_t j = 0; j < 25; j++)
    nv[0][j] = 0;
  s->items[0].sorted_log = 0;
  struct bg_gate_verdict *ignored = decide(s->items, 6, &cfg);
  assert_true(ignored->outcomes[0].s2 == plain->outcomes[0].s2);
  cJSON_free(ta);
  cJSON_free(tb);
  cJSON_Delete(a);
  cJSON_Delete(b);
  bg_gate_verdict_free(plain);
  bg_gate_verdict_free(given);
  bg_gate_verdict_free(ignored);
  free(s);
}

/* ---- summaries ---- */

static void summary_uses_trimmed_mean_and_its_variance(void **state) {
  (void)state;
  /* x = [10,12,11,10.5,30,10.2,9.9,10.1,10.4,10.3]; scipy: st.trim_mean(np.log(x), 0.2),
   * np.var(winsorize(sorted log x, (0.2, 0.2)), ddof=1) / (0.6**2 * 10), same on raw x. */
  double x[] = {10.0, 12.0, 11.0, 10.5, 30.0, 10.2, 9.9, 10.1, 10.4, 10.3};
  struct bg_gate_summary s;
  assert_int_equal(bg_gate_summarize(x, 10, &s), BG_OK);
  assert_rel(s.log_center, 2.3430238959137006, 1e-13);
  assert_rel(s.log_w, 0.0003765089354345107, 1e-10);
  assert_rel(s.raw_center, 10.416666666666666, 1e-13);
  assert_rel(s.raw_w, 0.0420061728395062, 1e-10);
  assert_rel(s.median, 10.35, 1e-13);
  assert_rel(s.stddev, 6.200573450182743, 1e-12);
  assert_true(s.all_positive == 1 && s.n == 10 && s.min == 9.9 && s.max == 30.0);
  /* The outlier (30) moves the mean by 2 but the centre hardly at all. */
  assert_true(s.mean > 12 && s.raw_center < 10.5);
}

static void summary_rejects_bad_samples_and_handles_signs(void **state) {
  (void)state;
  struct bg_gate_summary s;
  double bad[] = {1, NAN};
  assert_int_equal(bg_gate_summarize(bad, 2, &s), BG_EINVAL);
  assert_int_equal(bg_gate_summarize(bad, 0, &s), BG_EINVAL);
  double neg[] = {-1, 2, 3};
  assert_int_equal(bg_gate_summarize(neg, 3, &s), BG_OK);
  assert_true(s.all_positive == 0 && isnan(s.log_center));
  double one[] = {5};
  assert_int_equal(bg_gate_summarize(one, 1, &s), BG_OK);
  assert_true(s.log_w == 0 && s.raw_center == 5);
  assert_int_equal(bg_gate_summarize_moments(100, 200, 20, &s), BG_OK);
  assert_rel(s.log_center, log(200) - 0.005, 1e-14);
  assert_rel(s.log_w, 0.0001, 1e-12);
  assert_int_equal(bg_gate_summarize_moments(0, 200, 20, &s), BG_EINVAL);
  assert_int_equal(bg_gate_summarize_moments(3, 200, -1, &s), BG_EINVAL);
}

/* ---- decisions ---- */

static void detects_a_clean_regression(void **state) {
  (void)state;
  double f[40];
  for (int i = 0; i < 40; i++)
    f[i] = 1;
  f[7] = 1.10;
  struct suite *s = make_suite(40, 30, 0.01, 0.003, f, 1);
  struct bg_gate_verdict *v = decide(s->items, 40, NULL);
  assert_int_equal(v->state, BG_GATE_FAIL);
  assert_int_equal(v->counts[BG_GATE_REGRESSED], 1);
  const struct bg_gate_outcome *o = &v->outcomes[7];
  assert_int_equal(o->cls, BG_GATE_REGRESSED);
  assert_true(o->change > 0.07 && o->change < 0.13);
  assert_true(o->change_lo < o->change && o->change < o->change_hi);
  assert_true(o->q <= 0.05 && o->p_worse < 1e-6 && o->log_scale == 1);
  assert_int_equal(o->baseline_runs, 30);
  bg_gate_verdict_free(v);
  free(s);
}

static void identical_code_is_unchanged(void **state) {
  (void)state;
  struct suite *s = make_suite(60, 30, 0.01, 0.003, NULL, 2);
  struct bg_gate_verdict *v = decide(s->items, 60, NULL);
  assert_int_equal(v->state, BG_GATE_PASS);
  assert_int_equal(v->counts[BG_GATE_REGRESSED], 0);
  assert_int_equal(v->counts[BG_GATE_IMPROVED], 0);
  assert_int_equal(v->counts[BG_GATE_UNCHANGED] + v->counts[BG_GATE_INCONCLUSIVE], 60);
  /* Judging a baseline run against the others (itself excluded) passes too. */
  for (size_t b = 0; b < 60; b++) {
    s->items[b].candidate = &s->base[b][0];
    s->items[b].baseline = &s->pts[b][1];
    s->items[b].nbaseline = 29;
  }
  bg_gate_verdict_free(v);
  v = decide(s->items, 60, NULL);
  assert_int_equal(v->state, BG_GATE_PASS);
  bg_gate_verdict_free(v);
  free(s);
}

static void higher_is_better_flips_the_direction(void **state) {
  (void)state;
  double f[30];
  for (int i = 0; i < 30; i++)
    f[i] = 1;
  f[0] = 0.9; /* throughput down 10 %: worse */
  f[1] = 1.1; /* throughput up 10 %: better */
  struct suite *s = make_suite(30, 30, 0.005, 0.002, f, 3);
  for (int b = 0; b < 30; b++) {
    s->items[b].measure = "throughput";
    s->items[b].direction = BG_HIGHER;
  }
  struct bg_gate_verdict *v = decide(s->items, 30, NULL);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  assert_int_equal(v->outcomes[1].cls, BG_GATE_IMPROVED);
  assert_true(v->outcomes[0].change < -0.07 && v->outcomes[1].change > 0.07);
  assert_true(v->outcomes[0].p_worse < 1e-6 && v->outcomes[0].p_better > 0.99);
  assert_int_equal(v->state, BG_GATE_FAIL);
  bg_gate_verdict_free(v);
  /* The same data as lower-is-better: the roles swap. */
  for (int b = 0; b < 30; b++)
    s->items[b].direction = BG_LOWER;
  v = decide(s->items, 30, NULL);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_IMPROVED);
  assert_int_equal(v->outcomes[1].cls, BG_GATE_REGRESSED);
  bg_gate_verdict_free(v);
  free(s);
}

static void pools_tau_when_few_runs(void **state) {
  (void)state;
  /* 20 benchmarks with 30 runs show a between-run CV of 2 %; one benchmark has only two
   * baseline runs that happen to agree exactly. A +3 % candidate there is within the pooled
   * run-to-run noise and must not fail; without pooling its variance would be ~0. */
  struct suite *s = make_suite(21, 30, 0.002, 0.02, NULL, 4);
  double same[NREP];
  for (int i = 0; i < NREP; i++)
    same[i] = 5000 * (1 + 0.001 * (i % 3));
  bg_gate_summarize(same, NREP, &s->base[20][0]);
  bg_gate_summarize(same, NREP, &s->base[20][1]);
  sync_points(s);
  for (int i = 0; i < NREP; i++)
    same[i] *= 1.03;
  bg_gate_summarize(same, NREP, &s->cand[20]);
  s->items[20].nbaseline = 2;
  struct bg_gate_verdict *v = decide(s->items, 21, NULL);
  const struct bg_gate_outcome *o = &v->outcomes[20];
  assert_int_equal(o->baseline_runs, 2);
  assert_true(o->tested);
  /* The floor is mean(w) + the median tau^2 of the well-measured benchmarks (~0.02^2). */
  double tau2[20];
  for (int b = 0; b < 20; b++) {
    double m[30], w = 0;
    for (int j = 0; j < 30; j++) {
      m[j] = s->base[b][j].log_center;
      w += s->base[b][j].log_w / 30;
    }
    tau2[b] = fmax(0, bg_stats_variance(m, 30) - w);
  }
  double floor2 = bg_stats_median(tau2, 20);
  assert_true(o->s2 >= floor2 && floor2 > 0.0002);
  assert_int_not_equal(o->cls, BG_GATE_REGRESSED);
  assert_true(o->p > 0.05);
  bg_gate_verdict_free(v);
  free(s);
}

static void no_baseline_at_all_is_its_own_state(void **state) {
  (void)state;
  struct suite *s = make_suite(5, 1, 0.01, 0.01, NULL, 5);
  for (int b = 0; b < 5; b++)
    s->items[b].nbaseline = 0;
  struct bg_gate_verdict *v = decide(s->items, 5, NULL);
  assert_int_equal(v->state, BG_GATE_NO_BASELINE);
  assert_int_equal(v->counts[BG_GATE_NEW], 5);
  char *sum = bg_gate_summary_text(v);
  assert_non_null(strstr(sum, "no baseline"));
  free(sum);
  bg_gate_verdict_free(v);
  v = decide(NULL, 0, NULL);
  assert_int_equal(v->state, BG_GATE_NO_BASELINE);
  bg_gate_verdict_free(v);
  free(s);
}

static void new_and_missing_results_are_reported(void **state) {
  (void)state;
  struct suite *s = make_suite(10, 30, 0.01, 0.003, NULL, 6);
  s->items[3].nbaseline = 0;     /* new */
  s->items[4].candidate = NULL;  /* missing */
  struct bg_gate_verdict *v = decide(s->items, 10, NULL);
  assert_int_equal(v->outcomes[3].cls, BG_GATE_NEW);
  assert_int_equal(v->outcomes[4].cls, BG_GATE_MISSING);
  assert_true(isnan(v->outcomes[3].p) && isnan(v->outcomes[4].change));
  assert_int_equal(v->state, BG_GATE_PASS);
  bg_gate_verdict_free(v);
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  cfg.fail_on_missing = 1;
  v = decide(s->items, 10, &cfg);
  assert_int_equal(v->state, BG_GATE_FAIL);
  char *sum = bg_gate_summary_text(v);
  assert_non_null(strstr(sum, "missing"));
  free(sum);
  bg_gate_verdict_free(v);
  free(s);
}

static void ignored_results_are_reported_never_failed(void **state) {
  (void)state;
  double f[10] = {1, 1, 1.5, 1, 1, 1, 1, 1, 1, 1};
  struct suite *s = make_suite(10, 30, 0.01, 0.003, f, 7);
  snprintf(s->names[2], sizeof s->names[2], "flaky_io");
  cJSON *j = cJSON_Parse("{\"rules\":[{\"match\":\"flaky_*\",\"ignore\":true}]}");
  struct bg_gate_thresholds *t;
  assert_int_equal(bg_gate_thresholds_parse(j, &t, NULL), BG_OK);
  for (int b = 0; b < 10; b++)
    bg_gate_thresholds_lookup(t, s->items[b].benchmark, s->items[b].measure,
                              &s->items[b].min_effect, &s->items[b].ignored);
  assert_true(s->items[2].ignored && !s->items[1].ignored);
  struct bg_gate_verdict *v = decide(s->items, 10, NULL);
  assert_int_equal(v->outcomes[2].cls, BG_GATE_IGNORED);
  assert_true(v->outcomes[2].change > 0.4); /* still measured and shown */
  assert_int_equal(v->state, BG_GATE_PASS);
  assert_int_equal(v->counts[BG_GATE_IGNORED], 1);
  bg_gate_verdict_free(v);
  bg_gate_thresholds_free(t);
  cJSON_Delete(j);
  free(s);
}

static void min_effect_rules_override_in_order(void **state) {
  (void)state;
  cJSON *j = cJSON_Parse(
      "{\"default\":{\"min_effect\":0.03},\"rules\":["
      "{\"match\":\"BM_Parse/*\",\"measure\":\"wall_time\",\"min_effect\":0.05},"
      "{\"match\":\"BM_Parse/4?96\",\"min_effect\":0.08},"
      "{\"match\":\"flaky_*\",\"ignore\":true}]}");
  struct bg_gate_thresholds *t;
  assert_int_equal(bg_gate_thresholds_parse(j, &t, NULL), BG_OK);
  double me;
  int ig;
  bg_gate_thresholds_lookup(t, "BM_Other", "wall_time", &me, &ig);
  assert_true(me == 0.03 && !ig);
  bg_gate_thresholds_lookup(t, "BM_Parse/64", "wall_time", &me, &ig);
  assert_true(me == 0.05);
  bg_gate_thresholds_lookup(t, "BM_Parse/64", "cpu_time", &me, &ig);
  assert_true(me == 0.03); /* measure-specific rule does not apply */
  bg_gate_thresholds_lookup(t, "BM_Parse/4096", "wall_time", &me, &ig);
  assert_true(me == 0.08); /* the later rule wins */
  bg_gate_thresholds_lookup(NULL, "x", "wall_time", &me, &ig);
  assert_true(me == BG_GATE_DEFAULT_MIN_EFFECT && !ig);

  /* A 4 % regression: regressed under the default, unchanged/inconclusive under 8 %. */
  double f[30];
  for (int i = 0; i < 30; i++)
    f[i] = 1;
  f[5] = 1.04;
  struct suite *s = make_suite(30, 30, 0.003, 0.001, f, 8);
  struct bg_gate_verdict *v = decide(s->items, 30, NULL);
  assert_int_equal(v->outcomes[5].cls, BG_GATE_REGRESSED);
  bg_gate_verdict_free(v);
  s->items[5].min_effect = 0.08;
  v = decide(s->items, 30, NULL);
  assert_int_equal(v->outcomes[5].cls, BG_GATE_UNCHANGED);
  assert_int_equal(v->state, BG_GATE_PASS);
  bg_gate_verdict_free(v);
  bg_gate_thresholds_free(t);
  cJSON_Delete(j);
  free(s);
}

static void thresholds_errors_name_the_field(void **state) {
  (void)state;
  static const struct {
    const char *json, *field;
  } bad[] = {
      {"[]", "thresholds"},
      {"{\"defaults\":{}}", "thresholds.defaults"},
      {"{\"default\":{\"min_effect\":-1}}", "thresholds.default.min_effect"},
      {"{\"default\":{\"min_efect\":0.1}}", "thresholds.default.min_efect"},
      {"{\"rules\":{}}", "thresholds.rules"},
      {"{\"rules\":[{\"match\":\"a\"},{\"min_effect\":0.1}]}", "thresholds.rules[1].match"},
      {"{\"rules\":[{\"match\":\"a\",\"ignore\":1}]}", "thresholds.rules[0].ignore"},
      {"{\"rules\":[{\"match\":\"\"}]}", "thresholds.rules[0].match"},
      {"{\"rules\":[{\"match\":\"a\",\"min_effect\":\"5%\"}]}",
       "thresholds.rules[0].min_effect"},
      {"{\"rules\":[7]}", "thresholds.rules[0]"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cJSON *j = cJSON_Parse(bad[i].json);
    assert_non_null(j);
    struct bg_gate_thresholds *t = (void *)1;
    struct bg_ferr e;
    assert_int_equal(bg_gate_thresholds_parse(j, &t, &e), BG_EINVAL);
    assert_null(t);
    assert_string_equal(e.field, bad[i].field);
    assert_true(e.message[0] != '\0');
    cJSON_Delete(j);
  }
  struct bg_gate_thresholds *t;
  assert_int_equal(bg_gate_thresholds_parse(NULL, &t, NULL), BG_OK);
  assert_true(t->default_min_effect == 0.02 && t->nrules == 0);
  bg_gate_thresholds_free(t);
  bg_gate_thresholds_free(NULL);
}

static void stored_thresholds_read_under_the_rules_they_were_stored_with(void **state) {
  (void)state;
  /* Refused in a payload (a measure no result can have, a member given twice, a control
   * character in match), but readable as stored before those rules: the stored run's other
   * rules keep applying, so its verdict does not change. */
  cJSON *j = cJSON_Parse("{\"rules\":[{\"match\":\"a\",\"measure\":\"Wall Time\","
                         "\"min_effect\":0.5},{\"match\":\"b\",\"min_effect\":0.1,\"min_effect\":"
                         "0.3},{\"match\":\"c\\u0001\",\"ignore\":true}],\"rules\":7}");
  struct bg_gate_thresholds *t = (void *)1;
  struct bg_ferr e;
  assert_int_equal(bg_gate_thresholds_parse(j, &t, &e), BG_EINVAL);
  assert_null(t);
  assert_string_equal(e.field, "thresholds.rules[0].measure");
  assert_int_equal(bg_gate_thresholds_parse_stored(j, &t), BG_OK);
  double me;
  int ig;
  bg_gate_thresholds_lookup(t, "b", "wall_time", &me, &ig);
  assert_true(me == 0.3 && !ig); /* the later of the two, as cJSON iteration always read it */
  bg_gate_thresholds_lookup(t, "a", "wall_time", &me, &ig);
  assert_true(me == BG_GATE_DEFAULT_MIN_EFFECT);
  bg_gate_thresholds_free(t);
  cJSON_Delete(j);
  /* What was refused before is refused when stored too (the defaults then apply). */
  j = cJSON_Parse("{\"rules\":[{\"match\":\"b\",\"min_effect\":-1}]}");
  assert_int_equal(bg_gate_thresholds_parse_stored(j, &t), BG_EINVAL);
  assert_null(t);
  cJSON_Delete(j);
}

static void glob_matches_like_fnmatch(void **state) {
  (void)state;
  assert_true(bg_gate_glob("BM_Parse/*", "BM_Parse/4096"));
  assert_true(bg_gate_glob("BM_Parse/*", "BM_Parse/"));
  assert_false(bg_gate_glob("BM_Parse/*", "BM_Parser/1"));
  assert_true(bg_gate_glob("*", ""));
  assert_true(bg_gate_glob("a*b*c", "axxbyyc"));
  assert_false(bg_gate_glob("a*b*c", "axxbyy"));
  assert_true(bg_gate_glob("f?b", "fib"));
  assert_false(bg_gate_glob("f?b", "fb"));
  assert_true(bg_gate_glob("*/4?96", "BM_X/4096"));
  assert_true(bg_gate_glob("**a", "bba"));
  assert_false(bg_gate_glob("", "x"));
}

static void bh_runs_across_all_results(void **state) {
  (void)state;
  /* 100 benchmarks, 10 with a 2.5 % regression at varying noise. Every q must equal BH over
   * the p of the tested results; a result with p < 0.05 but q > 0.05 must not be regressed. */
  double f[100];
  for (int i = 0; i < 100; i++)
    f[i] = i < 10 ? 1.025 : 1;
  struct suite *s = make_suite(100, 30, 0.004, 0.004, f, 9);
  struct bg_gate_verdict *v = decide(s->items, 100, NULL);
  double p[100], q[100];
  for (int i = 0; i < 100; i++)
    p[i] = v->outcomes[i].p;
  size_t nrej = bg_stats_bh(p, 100, q, 0.05);
  size_t sig = 0, lonely = 0;
  for (int i = 0; i < 100; i++) {
    assert_rel(v->outcomes[i].q, q[i], 1e-12);
    if (v->outcomes[i].q <= 0.05)
      sig++;
    if (p[i] < 0.05 && q[i] > 0.05) {
      lonely++;
      assert_true(v->outcomes[i].cls == BG_GATE_UNCHANGED ||
                  v->outcomes[i].cls == BG_GATE_INCONCLUSIVE);
    }
  }
  assert_int_equal(sig, nrej);
  assert_true(lonely > 0); /* the correction matters in this suite */
  assert_true(v->counts[BG_GATE_REGRESSED] >= 5);
  for (int i = 10; i < 100; i++)
    assert_int_not_equal(v->outcomes[i].cls, BG_GATE_REGRESSED);
  bg_gate_verdict_free(v);
  free(s);
}

static void acknowledged_regressions_do_not_fail(void **state) {
  (void)state;
  double f[20];
  for (int i = 0; i < 20; i++)
    f[i] = 1;
  f[0] = 1.2;
  struct suite *s = make_suite(20, 30, 0.01, 0.003, f, 10);
  s->items[0].acknowledged = 1;
  struct bg_gate_verdict *v = decide(s->items, 20, NULL);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  assert_int_equal(v->state, BG_GATE_PASS);
  char *sum = bg_gate_summary_text(v);
  assert_non_null(strstr(sum, "acknowledged"));
  free(sum);
  bg_gate_verdict_free(v);
  free(s);
}

static void p_value_matches_independent_computation(void **state) {
  (void)state;
  /* Six baseline runs whose repetitions are identical (w = 0), centres 100, 101, 99, 102,
   * 98.5, 100.5; candidate 104. scipy: l = log(runs); mu = st.trim_mean(l, 0.2);
   * se = sqrt(var(l, ddof=1) * (1 + 1/6)); t = (log(104) - mu) / se; st.t.sf(t, 5);
   * CI expm1(d -+ st.t.ppf(0.975, 5) * se). One benchmark: no shrinkage, no pooling. */
  static const double runs[6] = {100, 101, 99, 102, 98.5, 100.5};
  struct bg_gate_summary sum, cand;
  struct bg_gate_point base[6];
  double x[NREP];
  for (int j = 0; j < 6; j++) {
    for (int i = 0; i < NREP; i++)
      x[i] = runs[j];
    bg_gate_summarize(x, NREP, &sum);
    bg_gate_point_of(&sum, &base[j]);
  }
  for (int i = 0; i < NREP; i++)
    x[i] = 104;
  bg_gate_summarize(x, NREP, &cand);
  struct bg_gate_item it = {.benchmark = "b", .measure = "wall_time", .direction = BG_LOWER,
                            .baseline = base, .nbaseline = 6, .candidate = &cand,
                            .min_effect = 0.02};
  struct bg_gate_verdict *v = decide(&it, 1, NULL);
  const struct bg_gate_outcome *o = &v->outcomes[0];
  assert_rel(o->t, 2.7302158824978857, 1e-10);
  assert_rel(o->df, 5, 0);
  assert_rel(o->p_worse, 0.02063483356506381, 1e-9);
  assert_rel(o->p, 0.04126966713012762, 1e-9);
  assert_rel(o->change, 0.03873001655153246, 1e-12);
  assert_rel(o->change_lo, 0.0022242381519276774, 1e-8);
  assert_rel(o->change_hi, 0.07656550920652032, 1e-9);
  assert_rel(o->baseline_center, exp(4.606392070115768), 1e-12);
  /* q = p <= alpha, but p_worse 0.021 exceeds the 0.75 % fail budget: inconclusive, pass. */
  assert_int_equal(o->cls, BG_GATE_INCONCLUSIVE);
  assert_int_equal(v->state, BG_GATE_PASS);
  bg_gate_verdict_free(v);
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  cfg.fail_rate = 0.03;
  v = decide(&it, 1, &cfg);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  bg_gate_verdict_free(v);
}

/* A benchmark ten times quieter than the nine others of its measure keeps its own variance
 * (gate.h: moderated, the F test against the fitted prior): 30 baseline runs each, no
 * within-run spread; the quiet one's outcome is the plain t test computed here (level the
 * 20 % trimmed mean of the 30 logs, s^2 their variance, se^2 = s^2 (1 + 1/30), df 29), and
 * its +5 % is found, where the nine noisy ones' variances are shrunk (df above 29). */
static void a_much_quieter_benchmark_keeps_its_own_variance(void **state) {
  (void)state;
  enum { NB = 10, K = 30 };
  static struct bg_gate_summary base[NB][K], cand[NB];
  static struct bg_gate_point pts[NB][K];
  struct bg_gate_item items[NB];
  char names[NB][16];
  double x[NREP], logs[K];
  rng_state = 20261207;
  for (int b = 0; b < NB; b++) {
    double cv = b == NB - 1 ? 0.01 : 0.10 * (1 + 0.1 * b);
    for (int j = 0; j < K; j++) {
      double v = 1000 * exp(cv * gauss());
      if (b == NB - 1)
        logs[j] = log(v);
      for (int i = 0; i < NREP; i++)
        x[i] = v;
      assert_int_equal(bg_gate_summarize(x, NREP, &base[b][j]), BG_OK);
      bg_gate_point_of(&base[b][j], &pts[b][j]);
    }
    for (int i = 0; i < NREP; i++)
      x[i] = b == NB - 1 ? 1050 : 1000;
    assert_int_equal(bg_gate_summarize(x, NREP, &cand[b]), BG_OK);
    snprintf(names[b], sizeof names[b], "BM_%d", b);
    items[b] = (struct bg_gate_item){.benchmark = names[b], .measure = "wall_time",
                                     .direction = BG_LOWER, .baseline = pts[b], .nbaseline = K,
                                     .candidate = &cand[b], .min_effect = 0.02};
  }
  struct bg_gate_verdict *v = decide(items, NB, NULL);
  const struct bg_gate_outcome *o = &v->outcomes[NB - 1];
  double sorted[K], mu = 0, m = 0, s2 = 0;
  memcpy(sorted, logs, sizeof sorted);
  qsort(sorted, K, sizeof *sorted, cmp_dbl);
  for (int j = 6; j < K - 6; j++)
    mu += sorted[j] / (K - 12);
  for (int j = 0; j < K; j++)
    m += logs[j] / K;
  for (int j = 0; j < K; j++)
    s2 += (logs[j] - m) * (logs[j] - m) / (K - 1);
  double t = (log(1050) - mu) / sqrt(s2 * (1 + 1.0 / K));
  assert_rel(o->df, K - 1, 0);
  assert_rel(o->t, t, 1e-9);
  assert_rel(o->p_worse, bg_stats_t_sf(t, K - 1), 1e-9);
  assert_int_equal(o->cls, BG_GATE_REGRESSED);
  for (int b = 0; b < NB - 1; b++)
    assert_true(v->outcomes[b].df > K - 1);
  bg_gate_verdict_free(v);
}

static void rejects_invalid_configuration(void **state) {
  (void)state;
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  cfg.alpha = 0;
  struct bg_gate_verdict *v = (void *)1;
  assert_int_equal(bg_gate_decide(NULL, 0, &cfg, &v), BG_EINVAL);
  assert_null(v);
  assert_int_equal(bg_gate_decide(NULL, 3, NULL, &v), BG_EINVAL);
  bg_gate_verdict_free(NULL);
}

static void verdict_json_and_markdown_have_every_field(void **state) {
  (void)state;
  double f[12] = {1, 1.15, 1, 0.85, 1, 1, 1, 1, 1, 1, 1, 1};
  struct suite *s = make_suite(12, 30, 0.005, 0.002, f, 11);
  snprintf(s->names[0], sizeof s->names[0], "a|b`c");
  s->items[11].candidate = NULL;
  struct bg_gate_verdict *v = decide(s->items, 12, NULL);
  struct bg_gate_context ctx = {.project = "acme", .commit = "abc123", .testbed = "epyc",
                                .baseline_branch = "main", .baseline_first = "f1",
                                .baseline_last = "l1", .url = "http://x/c/abc123"};
  cJSON *j = verdict_json(v, &ctx);
  static const char *top[] = {"state", "project", "commit", "testbed", "baseline", "counts",
                              "results", "summary", "markdown", "url"};
  for (size_t i = 0; i < sizeof top / sizeof *top; i++)
    assert_non_null(cJSON_GetObjectItemCaseSensitive(j, top[i]));
  assert_string_equal(cJSON_GetObjectItem(j, "state")->valuestring, "fail");
  cJSON *base = cJSON_GetObjectItem(j, "baseline");
  assert_int_equal(cJSON_GetObjectItem(base, "runs")->valueint, 30);
  assert_string_equal(cJSON_GetObjectItem(base, "first")->valuestring, "f1");
  cJSON *counts = cJSON_GetObjectItem(j, "counts");
  assert_int_equal(cJSON_GetObjectItem(counts, "regressed")->valueint, 1);
  assert_int_equal(cJSON_GetObjectItem(counts, "improved")->valueint, 1);
  assert_int_equal(cJSON_GetObjectItem(counts, "missing")->valueint, 1);
  cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 1);
  static const char *fields[] = {"benchmark", "measure",    "unit",     "direction",
                                 "class",     "change",     "change_ci", "p",
                                 "q",         "min_effect", "baseline", "candidate"};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    assert_non_null(cJSON_GetObjectItemCaseSensitive(r, fields[i]));
  assert_string_equal(cJSON_GetObjectItem(r, "class")->valuestring, "regressed");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "change_ci")), 2);
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "candidate"), "n")->valueint, 10);
  cJSON *miss = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 11);
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(miss, "change")));
  const char *sum = cJSON_GetObjectItem(j, "summary")->valuestring;
  assert_non_null(strstr(sum, "1 regression: BM_1 wall_time +1"));
  const char *md = cJSON_GetObjectItem(j, "markdown")->valuestring;
  assert_non_null(strstr(md, "### benchgate: ❌ fail"));
  const char *reg = strstr(md, "| regressed |"), *imp = strstr(md, "| improved |");
  const char *mis = strstr(md, "| missing |"), *unc = strstr(md, "<details>");
  assert_true(reg && imp && mis && unc && reg < imp && imp < mis && mis < unc);
  assert_non_null(strstr(md, "`a\\|b'c`"));
  assert_non_null(strstr(md, "http://x/c/abc123"));
  cJSON_Delete(j);
  /* No context at all still renders. */
  j = verdict_json(v, NULL);
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "project")));
  cJSON_Delete(j);
  bg_gate_verdict_free(v);
  free(s);
}

/* ---- exact measures ------------------------------------------------------------------------ */

/* n equal samples of value x. */
static void constant_run(double x, size_t n, struct bg_gate_summary *s) {
  double v[64];
  for (size_t i = 0; i < n; i++)
    v[i] = x;
  assert_int_equal(bg_gate_summarize(v, n, s), BG_OK);
}

/* One item: k baseline runs of nb equal samples of b, a candidate of nc equal samples of c. */
static struct bg_gate_verdict *decide_constant(double b, size_t k, size_t nb, double c, size_t nc,
                                               enum bg_direction dir, double me) {
  struct bg_gate_summary base[8], cand;
  struct bg_gate_point pts[8];
  for (size_t j = 0; j < k; j++) {
    constant_run(b, nb, &base[j]);
    bg_gate_point_of(&base[j], &pts[j]);
  }
  constant_run(c, nc, &cand);
  struct bg_gate_item it = {.benchmark = "count",
                            .measure = "instructions",
                            .unit = "",
                            .direction = dir,
                            .baseline = pts,
                            .nbaseline = k,
                            .candidate = &cand,
                            .min_effect = me};
  return decide(&it, 1, NULL);
}

static enum bg_gate_class constant_class(double b, size_t k, double c, enum bg_direction dir) {
  struct bg_gate_verdict *v = decide_constant(b, k, 10, c, 10, dir, 0.02);
  enum bg_gate_class cls = v->outcomes[0].cls;
  assert_int_equal(v->outcomes[0].method, BG_GATE_METHOD_EXACT);
  bg_gate_verdict_free(v);
  return cls;
}

/* Baselines whose samples are all equal are compared by the exact rule, from a single run on:
 * a change reaching min_effect (2 %) and beyond the resolution (1 count) regresses or improves,
 * just under it is unchanged, equal is unchanged; no p, q or interval. The expected classes
 * follow from the rule's arithmetic: 1 020 000 / 1 000 000 - 1 = 0.02 exactly. */
static void exact_baselines_are_compared_by_the_exact_rule(void **state) {
  (void)state;
  assert_int_equal(constant_class(1e6, 1, 1e6, BG_LOWER), BG_GATE_UNCHANGED);
  assert_int_equal(constant_class(1e6, 1, 1019999, BG_LOWER), BG_GATE_UNCHANGED);
  assert_int_equal(constant_class(1e6, 1, 1020000, BG_LOWER), BG_GATE_REGRESSED);
  assert_int_equal(constant_class(1e6, 1, 1020001, BG_LOWER), BG_GATE_REGRESSED);
  assert_int_equal(constant_class(1e6, 3, 1020001, BG_LOWER), BG_GATE_REGRESSED);
  assert_int_equal(constant_class(1e6, 1, 980000, BG_LOWER), BG_GATE_IMPROVED);
  assert_int_equal(constant_class(1e6, 1, 980001, BG_LOWER), BG_GATE_UNCHANGED);
  assert_int_equal(constant_class(1e6, 1, 1030000, BG_HIGHER), BG_GATE_IMPROVED);
  assert_int_equal(constant_class(1e6, 1, 970000, BG_HIGHER), BG_GATE_REGRESSED);
  struct bg_gate_verdict *v = decide_constant(1e6, 1, 10, 1030000, 10, BG_LOWER, 0.02);
  const struct bg_gate_outcome *o = &v->outcomes[0];
  assert_int_equal(v->state, BG_GATE_FAIL);
  assert_rel(o->change, 0.03, 1e-12);
  assert_rel(o->resolution, 1, 0);
  assert_true(isnan(o->p) && isnan(o->q) && isnan(o->q_worse) && isnan(o->t));
  assert_true(isnan(o->change_lo) && isnan(o->change_hi));
  assert_rel(o->baseline_center, 1e6, 0);
  assert_rel(o->candidate_center, 1030000, 0);
  bg_gate_verdict_free(v);
  /* A candidate of one sample against an exact baseline is one reading of it. */
  v = decide_constant(1e6, 1, 10, 1030000, 1, BG_LOWER, 0.02);
  assert_int_equal(v->outcomes[0].method, BG_GATE_METHOD_EXACT);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  bg_gate_verdict_free(v);
  /* min_effect 0: any change beyond the resolution counts. */
  v = decide_constant(1e6, 1, 10, 1000002, 10, BG_LOWER, 0);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  bg_gate_verdict_free(v);
}

/* What counts as exact: every baseline sample equal, shown by two samples at least. One run of
 * one sample is no evidence (the t statistic with its pooling decides, as before); two runs
 * of one equal sample each are; runs at two different values are not. */
static void exact_needs_two_equal_samples(void **state) {
  (void)state;
  struct bg_gate_verdict *v = decide_constant(1e6, 1, 1, 1030000, 10, BG_LOWER, 0.02);
  assert_int_equal(v->outcomes[0].method, BG_GATE_METHOD_T);
  bg_gate_verdict_free(v);
  v = decide_constant(1e6, 2, 1, 1030000, 10, BG_LOWER, 0.02);
  assert_int_equal(v->outcomes[0].method, BG_GATE_METHOD_EXACT);
  bg_gate_verdict_free(v);
  struct bg_gate_summary base[2], cand;
  struct bg_gate_point pts[2];
  constant_run(1e6, 10, &base[0]);
  constant_run(1000100, 10, &base[1]);
  constant_run(1e6, 10, &cand);
  for (int j = 0; j < 2; j++)
    bg_gate_point_of(&base[j], &pts[j]);
  struct bg_gate_item it = {.benchmark = "b",
                            .measure = "instructions",
                            .baseline = pts,
                            .nbaseline = 2,
                            .candidate = &cand,
                            .min_effect = 0.02};
  v = decide(&it, 1, NULL);
  assert_int_equal(v->outcomes[0].method, BG_GATE_METHOD_T);
  assert_true(isfinite(v->outcomes[0].p));
  bg_gate_verdict_free(v);
}

/* The resolution is the step of the values' last decimal place, at most 1 unit; a change of
 * one step is inconclusive (two readings of one value can straddle a step), of two steps a
 * regression: a quantised timer reading 3 ms, then 4 ms (+33 %) or 5 ms (+67 %). */
static void exact_rule_respects_the_resolution(void **state) {
  (void)state;
  assert_rel(bg_gate_resolution(1e6, 1020001), 1, 0);
  assert_rel(bg_gate_resolution(10629120, 10919936), 1, 0);
  assert_rel(bg_gate_resolution(3.25, 4.5), 0.01, 1e-12);
  assert_rel(bg_gate_resolution(0.5, 2), 0.1, 1e-12);
  assert_rel(bg_gate_resolution(1.5e-9, 1.5e-9), 1e-10, 1e-9);
  assert_int_equal(constant_class(3, 1, 4, BG_LOWER), BG_GATE_INCONCLUSIVE);
  assert_int_equal(constant_class(3, 1, 5, BG_LOWER), BG_GATE_REGRESSED);
  assert_int_equal(constant_class(3.2, 1, 3.3, BG_LOWER), BG_GATE_INCONCLUSIVE);
  assert_int_equal(constant_class(3.2, 1, 3.4, BG_LOWER), BG_GATE_REGRESSED);
  /* From zero the relative change is unbounded; the resolution still applies. */
  assert_int_equal(constant_class(0, 2, 0, BG_LOWER), BG_GATE_UNCHANGED);
  assert_int_equal(constant_class(0, 2, 3, BG_LOWER), BG_GATE_REGRESSED);
  assert_int_equal(constant_class(0, 2, 1, BG_LOWER), BG_GATE_INCONCLUSIVE);
}

/* A candidate whose samples vary against an exact baseline is tested by the t statistic on its
 * own repetitions: se^2 = w_c (w-bar and the run-to-run variance are 0, one item: no prior).
 * Candidate: 1000 * (1 + 0.01 * z_i) for fixed z; the reference se is the Tukey-McLaughlin
 * standard error of its 20 % trimmed log mean, recomputed here from the samples. */
static void noisy_candidate_against_exact_baseline_uses_its_own_variance(void **state) {
  (void)state;
  static const double z[NREP] = {0.3, -1.1, 0.8, 1.6, -0.4, -0.9, 0.1, 1.2, -1.5, 0.5};
  for (int shift = 0; shift < 2; shift++) {
    struct bg_gate_summary base[3], cand;
    struct bg_gate_point pts[3];
    for (int j = 0; j < 3; j++) {
      constant_run(1000, 10, &base[j]);
      bg_gate_point_of(&base[j], &pts[j]);
    }
    double x[NREP];
    for (int i = 0; i < NREP; i++)
      x[i] = 1000 * (shift ? 1.05 : 1) * (1 + 0.01 * z[i]);
    assert_int_equal(bg_gate_summarize(x, NREP, &cand), BG_OK);
    struct bg_gate_item it = {.benchmark = "b",
                              .measure = "max_rss",
                              .baseline = pts,
                              .nbaseline = 3,
                              .candidate = &cand,
                              .min_effect = 0.02};
    struct bg_gate_verdict *v = decide(&it, 1, NULL);
    const struct bg_gate_outcome *o = &v->outcomes[0];
    assert_int_equal(o->method, BG_GATE_METHOD_T);
    assert_rel(o->se, sqrt(cand.log_w), 1e-12);
    assert_true(o->se > 0 && isfinite(o->p) && isfinite(o->change_lo));
    assert_int_equal(o->cls, shift ? BG_GATE_REGRESSED : BG_GATE_UNCHANGED);
    bg_gate_verdict_free(v);
  }
  /* Variation only where the trimmed mean does not look (two of ten samples) leaves the
   * candidate's centre without variance: compared by the exact rule on that centre. */
  struct bg_gate_summary base, cand;
  struct bg_gate_point pt;
  constant_run(1000, 10, &base);
  bg_gate_point_of(&base, &pt);
  double x[NREP] = {1050, 1050, 1050, 1050, 1050, 1050, 1050, 1050, 990, 1400};
  assert_int_equal(bg_gate_summarize(x, NREP, &cand), BG_OK);
  struct bg_gate_item it = {.benchmark = "b",
                            .measure = "m",
                            .baseline = &pt,
                            .nbaseline = 1,
                            .candidate = &cand,
                            .min_effect = 0.02};
  struct bg_gate_verdict *v = decide(&it, 1, NULL);
  assert_int_equal(v->outcomes[0].method, BG_GATE_METHOD_EXACT);
  assert_int_equal(v->outcomes[0].cls, BG_GATE_REGRESSED);
  assert_rel(v->outcomes[0].change, 0.05, 1e-12);
  bg_gate_verdict_free(v);
}

/* Exact items stay out of both BH families and the shrinkage prior: adding exact results
 * (one regressed, one unchanged, of the same measure) leaves every other item's numbers as
 * they were, bit for bit. */
static void exact_items_do_not_move_the_others(void **state) {
  (void)state;
  const double factor[10] = {1.04, 1, 1, 0.98, 1, 1.03, 1, 1, 1, 1};
  struct suite *s = make_suite(10, 30, 0.01, 0.005, factor, 5);
  struct bg_gate_verdict *alone = decide(s->items, 8, NULL);
  struct bg_gate_summary ex[2];
  for (int b = 0; b < 2; b++) {
    for (size_t j = 0; j < 30; j++)
      constant_run(5000, 10, &s->base[8 + b][j]);
    constant_run(b ? 5000 : 6000, 10, &ex[b]);
    s->items[8 + b].candidate = &ex[b];
  }
  sync_points(s);
  struct bg_gate_verdict *with = decide(s->items, 10, NULL);
  assert_int_equal(with->outcomes[8].cls, BG_GATE_REGRESSED);
  assert_int_equal(with->outcomes[9].cls, BG_GATE_UNCHANGED);
  for (size_t i = 0; i < 8; i++) {
    assert_int_equal(with->outcomes[i].method, BG_GATE_METHOD_T);
    assert_true(with->outcomes[i].q == alone->outcomes[i].q);
    assert_true(with->outcomes[i].q_worse == alone->outcomes[i].q_worse);
    assert_true(with->outcomes[i].s2 == alone->outcomes[i].s2);
    assert_int_equal(with->outcomes[i].cls, alone->outcomes[i].cls);
  }
  /* The verdict names the rule: method and resolution in JSON, "exact" in the Markdown
   * interval column, "(exact)" in the summary. */
  cJSON *j = verdict_json(with, NULL);
  cJSON *r8 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 8);
  cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0);
  assert_string_equal(cJSON_GetObjectItem(r8, "method")->valuestring, "exact");
  assert_string_equal(cJSON_GetObjectItem(r0, "method")->valuestring, "t");
  assert_null(cJSON_GetObjectItem(r0, "resolution"));
  assert_int_equal(cJSON_GetObjectItem(r8, "resolution")->valueint, 1);
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(r8, "p")));
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(r8, "q")));
  assert_true(cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetObjectItem(r8, "change_ci"), 0)));
  const char *md = cJSON_GetObjectItem(j, "markdown")->valuestring;
  assert_non_null(strstr(md, "| `BM_8` | wall_time | +20.0 % | exact | – |"));
  assert_non_null(
      strstr(cJSON_GetObjectItem(j, "summary")->valuestring, "BM_8 wall_time +20.0 % (exact)"));
  cJSON_Delete(j);
  bg_gate_verdict_free(alone);
  bg_gate_verdict_free(with);
  free(s);
}

/* ---- numbers for people ----------------------------------------------------------------- */

/* The Markdown writes values in scaled units and runs with their plural: 61 728 300 ns is
 * "61.7 ms", one baseline run "(1 run)", 10 629 120 bytes "10.1 MiB"; no exponent anywhere. */
static void markdown_writes_numbers_for_people(void **state) {
  (void)state;
  struct bg_gate_summary base[2], cand[2];
  struct bg_gate_point pts[2];
  static const double z[NREP] = {0.3, -1.1, 0.8, 1.6, -0.4, -0.9, 0.1, 1.2, -1.5, 0.5};
  double x[NREP], y[NREP];
  for (int i = 0; i < NREP; i++) {
    x[i] = 61728300 * (1 + 0.0001 * z[i]);
    y[i] = 61728300 * (1 + 0.0001 * z[NREP - 1 - i]);
  }
  assert_int_equal(bg_gate_summarize(x, NREP, &base[0]), BG_OK);
  assert_int_equal(bg_gate_summarize(y, NREP, &cand[0]), BG_OK);
  constant_run(10629120, 10, &base[1]);
  constant_run(10629120, 10, &cand[1]);
  struct bg_gate_item it[2];
  for (int b = 0; b < 2; b++) {
    bg_gate_point_of(&base[b], &pts[b]);
    it[b] = (struct bg_gate_item){.benchmark = "count-200k", .measure = b ? "max_rss" : "wall_time",
                                  .unit = b ? "bytes" : "ns", .baseline = &pts[b],
                                  .nbaseline = 1, .candidate = &cand[b], .min_effect = 0.02};
  }
  struct bg_gate_verdict *v = decide(it, 2, NULL);
  char *md = bg_gate_markdown(v, NULL);
  assert_non_null(strstr(md, "61.7 ms (1 run) | 61.7 ms |"));
  assert_non_null(strstr(md, "| 10.1 MiB (1 run) | 10.1 MiB |"));
  assert_null(strstr(md, "e+"));
  assert_null(strstr(md, "runs)"));
  free(md);
  bg_gate_verdict_free(v);
}

/* On the raw scale (zero readings rule out logs), a change interval of values that cannot
 * be negative stops at -100 %: baseline centres 100, 300 and 50 with a candidate at 10 give
 * (d - half) / mu far below -1 unclamped (d = -140, half > 400 with 2 degrees of freedom). */
static void raw_scale_interval_of_nonnegative_values_stops_at_minus_100(void **state) {
  (void)state;
  static const double levels[3] = {100, 300, 50};
  struct bg_gate_summary base[3], cand;
  struct bg_gate_point pts[3];
  for (int j = 0; j < 3; j++) {
    double x[NREP] = {0};
    for (int i = 0; i < NREP; i++)
      x[i] = i % 2 ? 2 * levels[j] : 0;
    assert_int_equal(bg_gate_summarize(x, NREP, &base[j]), BG_OK);
    bg_gate_point_of(&base[j], &pts[j]);
  }
  double y[NREP] = {0, 20, 0, 20, 0, 20, 0, 20, 0, 20};
  assert_int_equal(bg_gate_summarize(y, NREP, &cand), BG_OK);
  struct bg_gate_item it = {.benchmark = "sleep", .measure = "cpu_time", .unit = "ns",
                            .baseline = pts, .nbaseline = 3, .candidate = &cand,
                            .min_effect = 0.02};
  struct bg_gate_verdict *v = decide(&it, 1, NULL);
  const struct bg_gate_outcome *o = &v->outcomes[0];
  assert_int_equal(o->log_scale, 0);
  assert_true(o->change > -1 && o->change < 0);
  assert_true(o->change_lo == -1);
  assert_true(o->change_hi > o->change);
  bg_gate_verdict_free(v);
}

/* A stated noise (noise_cv, benchgate compare --noise) is the tau^2 floor of items with fewer
 * than 5 runs, taken as known: one baseline run, se^2 = 2 (w + log(1 + cv^2)) + max(0, w_c - w)
 * and a normal reference (p from erfc, not the gate's t code). A larger pooled tau^2 from the
 * other items wins and keeps its estimated degrees of freedom. */
static void stated_noise_floors_few_run_items_as_known(void **state) {
  (void)state;
  static const double z[NREP] = {0.3, -1.1, 0.8, 1.6, -0.4, -0.9, 0.1, 1.2, -1.5, 0.5};
  struct bg_gate_summary base, cand;
  struct bg_gate_point pt;
  double x[NREP], y[NREP];
  for (int i = 0; i < NREP; i++) {
    x[i] = 1000 * (1 + 0.01 * z[i]);
    y[i] = 1200 * (1 + 0.01 * z[NREP - 1 - i]);
  }
  assert_int_equal(bg_gate_summarize(x, NREP, &base), BG_OK);
  assert_int_equal(bg_gate_summarize(y, NREP, &cand), BG_OK);
  bg_gate_point_of(&base, &pt);
  struct bg_gate_item it = {.benchmark = "b",
                            .measure = "wall_time",
                            .baseline = &pt,
                            .nbaseline = 1,
                            .candidate = &cand,
                            .min_effect = 0.02};
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  cfg.noise_cv = 0.03;
  struct bg_gate_verdict *v = decide(&it, 1, &cfg);
  const struct bg_gate_outcome *o = &v->outcomes[0];
  double se = sqrt(2 * (base.log_w + log1p(0.03 * 0.03)) + fmax(0, cand.log_w - base.log_w));
  double d = cand.log_center - base.log_center;
  assert_rel(o->se, se, 1e-12);
  assert_true(o->df >= 1e9);
  assert_rel(o->p_worse, 0.5 * erfc(d / se / sqrt(2)), 1e-6);
  assert_int_equal(o->cls, BG_GATE_REGRESSED); /* +20 %: z = log(1.2) / se, about 4.3 */
  bg_gate_verdict_free(v);
  /* Without it, one run against one run has no noise to go by but w (the old behaviour). */
  cfg.noise_cv = 0;
  v = decide(&it, 1, &cfg);
  assert_true(v->outcomes[0].se < se / 2);
  bg_gate_verdict_free(v);
  /* Pooled from items with 5+ runs (between-run CV 5 %): a tau^2 above the stated one wins. */
  struct suite *s = make_suite(6, 8, 0.005, 0.05, NULL, 3);
  s->items[0].nbaseline = 1;
  cfg.noise_cv = 0.001;
  v = decide(s->items, 6, &cfg);
  assert_true(v->outcomes[0].s2 > 100 * log1p(0.001 * 0.001));
  bg_gate_verdict_free(v);
  cfg.noise_cv = -1;
  assert_int_equal(bg_gate_decide(&it, 1, &cfg, &v), BG_EINVAL);
  free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(level_and_noise_use_their_own_windows),
      cmocka_unit_test(sorted_centres_from_the_caller_decide_as_the_gates_own),
      cmocka_unit_test(summary_uses_trimmed_mean_and_its_variance),
      cmocka_unit_test(summary_rejects_bad_samples_and_handles_signs),
      cmocka_unit_test(detects_a_clean_regression),
      cmocka_unit_test(identical_code_is_unchanged),
      cmocka_unit_test(higher_is_better_flips_the_direction),
      cmocka_unit_test(pools_tau_when_few_runs),
      cmocka_unit_test(no_baseline_at_all_is_its_own_state),
      cmocka_unit_test(new_and_missing_results_are_reported),
      cmocka_unit_test(ignored_results_are_reported_never_failed),
      cmocka_unit_test(min_effect_rules_override_in_order),
      cmocka_unit_test(thresholds_errors_name_the_field),
      cmocka_unit_test(stored_thresholds_read_under_the_rules_they_were_stored_with),
      cmocka_unit_test(glob_matches_like_fnmatch),
      cmocka_unit_test(bh_runs_across_all_results),
      cmocka_unit_test(acknowledged_regressions_do_not_fail),
      cmocka_unit_test(p_value_matches_independent_computation),
      cmocka_unit_test(a_much_quieter_benchmark_keeps_its_own_variance),
      cmocka_unit_test(rejects_invalid_configuration),
      cmocka_unit_test(verdict_json_and_markdown_have_every_field),
      cmocka_unit_test(exact_baselines_are_compared_by_the_exact_rule),
      cmocka_unit_test(exact_needs_two_equal_samples),
      cmocka_unit_test(exact_rule_respects_the_resolution),
      cmocka_unit_test(noisy_candidate_against_exact_baseline_uses_its_own_variance),
      cmocka_unit_test(exact_items_do_not_move_the_others),
      cmocka_unit_test(markdown_writes_numbers_for_people),
      cmocka_unit_test(stated_noise_floors_few_run_items_as_known),
      cmocka_unit_test(raw_scale_interval_of_nonnegative_values_stops_at_minus_100),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
