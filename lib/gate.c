/* gate.c: the statistical regression gate: summaries, thresholds, decision and
 * the verdict's JSON and Markdown forms.
 *
 * The method is documented in gate.h and, with its measured quality, in docs/gate.md. The
 * decision works in three passes over the items: per item estimates from its own baseline,
 * then shrinkage and pooling of the run-to-run variances across the run's items of the same
 * measure, then the tests, Benjamini-Hochberg and the classes.
 */
#include "gate.h"

#include "buf.h"
#include "mem.h"
#include "stats.h"
#include "units.h"
#include "valid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRIM 0.2           /* trimmed-mean proportion for run centres and baseline levels */
#define OUTLIER_SIGMAS 5.0 /* baseline runs this far from the median (robust sigmas) drop */
#define FEW_RUNS 5         /* below this many baseline runs, tau^2 is pooled */
#define MAX_DF 1e9
#define OWN_MIN_DF 10   /* degrees of freedom on which an item's variance may stand alone */
#define OWN_ALPHA 0.01  /* ... when the measure's prior makes it this unlikely (two-sided) */
#define PAIR_PRIOR_ALPHA 0.01 /* pairs noisier than their history's prior at this level drop it */
#define TAIL_SHARE_10 3 /* the one-sided centres average ceil(0.3 n) samples */
#define TAIL_W_RATIO                                                                               \
  1.55                   /* var(mean of the lowest 30 %) / var(20 % trimmed mean) of n             \
                          * normal samples: 1.33-1.67 for n = 2..40, 1.58 at n = 10 */
#define TAIL_MIN_RUNS 20 /* the choice of centre needs this many noise runs */
#define TAIL_MARGIN 0.8  /* and a variance below this share of the trimmed mean's */

/* ---- summaries ---------------------------------------------------------------------------- */

static void center_of_sorted(const double *s, size_t n, double *center, double *w) {
  *center = bg_stats_trimmed_mean_sorted(s, n, TRIM);
  if (n < 2) {
    *w = 0;
    return;
  }
  size_t g = (size_t)floor(TRIM * (double)n);
  while (g > 0 && 2 * g >= n)
    g--;
  double keep = 1 - 2 * (double)g / (double)n;
  *w = bg_stats_winsorized_variance_sorted(s, n, TRIM) / (keep * keep * (double)n);
}

void bg_gate_point_of(const struct bg_gate_summary *s, struct bg_gate_point *p) {
  p->log_center = s->all_positive == 1 ? s->log_center : NAN;
  p->log_w = s->log_w;
  p->raw_center = s->raw_center;
  p->raw_w = s->raw_w;
  p->equal_n = s->stddev == 0 && s->n >= 1 ? s->n : 0;
  int tails =
      s->all_positive == 1 && s->tail_n > 0 && isfinite(s->log_low) && isfinite(s->log_high);
  p->log_low = tails ? s->log_low : NAN;
  p->log_high = tails ? s->log_high : NAN;
  p->tail_n = tails ? s->tail_n : 0;
}

const char *bg_gate_centre_name(enum bg_gate_centre c) {
  return c == BG_GATE_CENTRE_BEST30 ? "best30" : "trimmed";
}

/* The means of the lowest and the highest ceil(0.3 n) of n sorted values. */
static void tails_of_sorted(const double *s, size_t n, double *low, double *high, double *k) {
  size_t m = (TAIL_SHARE_10 * n + 9) / 10, i;
  double lo = 0, hi = 0;
  for (i = 0; i < m; i++) {
    lo += s[i];
    hi += s[n - 1 - i];
  }
  *low = lo / (double)m;
  *high = hi / (double)m;
  *k = (double)m;
}

int bg_gate_summarize(const double *samples, size_t n, struct bg_gate_summary *out) {
  int rc = BG_OK;
  double *s = NULL;
  memset(out, 0, sizeof *out);
  if (n == 0 || !samples) {
    rc = BG_EINVAL;
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    if (!isfinite(samples[i])) {
      rc = BG_EINVAL;
      goto out;
    }
  s = bg_xmalloc(n * sizeof *s);
  memcpy(s, samples, n * sizeof *s);
  bg_stats_sort(s, n);
  out->n = (double)n;
  out->mean = bg_stats_mean(s, n);
  out->stddev = n > 1 ? sqrt(bg_stats_variance(s, n)) : 0;
  out->min = s[0];
  out->max = s[n - 1];
  out->median = bg_stats_quantile_sorted(s, n, 0.5);
  center_of_sorted(s, n, &out->raw_center, &out->raw_w);
  out->all_positive = s[0] > 0;
  if (s[0] > 0) {
    for (size_t i = 0; i < n; i++)
      s[i] = log(s[i]);
    center_of_sorted(s, n, &out->log_center, &out->log_w);
    tails_of_sorted(s, n, &out->log_low, &out->log_high, &out->tail_n);
  } else {
    out->log_center = NAN;
    out->log_w = NAN;
    out->log_low = out->log_high = NAN;
  }
out:
  free(s);
  return rc;
}

int bg_gate_summarize_moments(double n, double mean, double stddev, struct bg_gate_summary *out) {
  memset(out, 0, sizeof *out);
  if (!(n >= 1) || !isfinite(n) || !isfinite(mean) || !isfinite(stddev) || stddev < 0)
    return BG_EINVAL;
  out->n = n;
  out->mean = mean;
  out->stddev = stddev;
  out->min = out->max = out->median = mean;
  out->log_low = out->log_high = NAN; /* no samples: no one-sided centre (tail_n 0) */
  out->raw_center = mean;
  out->raw_w = stddev * stddev / n;
  out->all_positive = mean > 0;
  if (mean > 0) {
    double cv = stddev / mean;
    out->log_center = log(mean) - cv * cv / 2;
    out->log_w = cv * cv / n;
  } else {
    out->log_center = NAN;
    out->log_w = NAN;
  }
  return BG_OK;
}

int bg_gate_summarize_result(const struct bg_result *r, struct bg_gate_summary *out) {
  if (r->has_summary || !r->samples)
    return bg_gate_summarize_moments((double)r->n, r->mean, r->stddev, out);
  return bg_gate_summarize(r->samples, r->nsamples, out);
}

/* The running mean of r values at *m, with one more value x. */
static void running_mean(double *m, size_t r, double x) {
  *m += (x - *m) / (double)(r + 1);
}

void bg_gate_summary_pool(struct bg_gate_summary *acc, size_t *runs,
                          const struct bg_gate_summary *add) {
  size_t r = *runs;
  *runs = r + 1;
  if (r == 0) {
    *acc = *add;
    return;
  }
  /* The pooled second moment of the samples of both (Chan et al.'s pairwise update). */
  double n1 = acc->n, n2 = add->n, n = n1 + n2, delta = add->mean - acc->mean;
  double m2 = (n1 - 1) * acc->stddev * acc->stddev + (n2 - 1) * add->stddev * add->stddev +
              delta * delta * n1 * n2 / n;
  acc->mean += delta * n2 / n;
  acc->stddev = n > 1 ? sqrt(fmax(0, m2) / (n - 1)) : 0;
  acc->n = n;
  acc->all_positive = acc->all_positive == 1 && add->all_positive == 1 ? 1 : 0;
  acc->min = fmin(acc->min, add->min);
  acc->max = fmax(acc->max, add->max);
  running_mean(&acc->median, r, add->median);
  running_mean(&acc->log_center, r, add->log_center);
  running_mean(&acc->log_w, r, add->log_w);
  running_mean(&acc->raw_center, r, add->raw_center);
  running_mean(&acc->raw_w, r, add->raw_w);
  /* The one-sided centres pool like log_center; a run without them leaves the pool without. */
  if (acc->tail_n > 0 && add->tail_n > 0) {
    running_mean(&acc->log_low, r, add->log_low);
    running_mean(&acc->log_high, r, add->log_high);
    acc->tail_n = fmin(acc->tail_n, add->tail_n);
  } else {
    acc->log_low = acc->log_high = NAN;
    acc->tail_n = 0;
  }
}

/* ---- decision ----------------------------------------------------------------------------- */

void bg_gate_config_init(struct bg_gate_config *c) {
  c->alpha = BG_GATE_DEFAULT_ALPHA;
  c->fail_on_missing = 0;
  c->window = BG_GATE_DEFAULT_WINDOW;
  c->noise_window = BG_GATE_DEFAULT_NOISE_WINDOW;
  c->ci_level = 0.95;
  c->fail_rate = BG_GATE_DEFAULT_FAIL_RATE;
  c->noise_cv = 0;
  c->paired = 0;
  c->family = 0;
}

const char *bg_gate_class_name(enum bg_gate_class c) {
  switch (c) {
  case BG_GATE_REGRESSED:
    return "regressed";
  case BG_GATE_INCONCLUSIVE:
    return "inconclusive";
  case BG_GATE_IMPROVED:
    return "improved";
  case BG_GATE_MISSING:
    return "missing";
  case BG_GATE_NEW:
    return "new";
  case BG_GATE_UNCHANGED:
    return "unchanged";
  case BG_GATE_IGNORED:
    return "ignored";
  default:
    return "unknown";
  }
}

const char *bg_gate_state_name(enum bg_gate_state s) {
  switch (s) {
  case BG_GATE_PASS:
    return "pass";
  case BG_GATE_FAIL:
    return "fail";
  case BG_GATE_NO_BASELINE:
    return "no_baseline";
  case BG_GATE_PENDING:
    return "pending";
  default:
    return "unknown";
  }
}

/* Per-item working state of bg_gate_decide. */
struct est {
  int tested;
  int log_scale;
  int exact_base; /* every baseline sample equal (see exact_baseline) */
  int exact_cand; /* every candidate sample equal */
  int nonneg;     /* no value below 0: a relative change cannot be below -100 % */
  size_t k;       /* baseline runs the level uses */
  size_t kn;      /* baseline runs the noise uses (>= k) */
  double mu;      /* baseline level on the test scale */
  double s2;      /* run-to-run variance of a run centre (own estimate) */
  double df;      /* its degrees of freedom (0 when k < 2) */
  double wbar;    /* mean within-run variance of the baseline runs */
  double mc, wc;  /* candidate centre and within-run variance (means over its runs) */
  double runs;    /* runs the candidate pools (>= 1) */
  double s2mod;   /* after shrinkage and pooling */
  double dfmod;
  int best30; /* tested on the mean of the best 30 % of the samples (choose_centre) */
  int paired; /* compared by its pairs (estimate_paired) */
  int alone;  /* its variance stands alone: not shrunk towards the other items' */
  double exact_b, exact_c; /* the two values the exact rule compares */
};

/* Copies s (NULL stays NULL) to *w and moves *w past it; returns the copy. */
static char *arena_copy(char **w, const char *s) {
  if (!s)
    return NULL;
  size_t len = strlen(s) + 1;
  char *r = *w;
  memcpy(r, s, len);
  *w += len;
  return r;
}

void bg_gate_windows(const struct bg_gate_config *cfg, size_t nbaseline, size_t *k, size_t *kn) {
  *k = nbaseline;
  if (cfg->window && *k > cfg->window)
    *k = cfg->window;
  *kn = nbaseline;
  if (cfg->noise_window && *kn > cfg->noise_window)
    *kn = cfg->noise_window;
  if (*kn < *k)
    *kn = *k;
}

int bg_gate_log_scale(const struct bg_gate_item *it, size_t kn) {
  if (!it->candidate || it->candidate->all_positive != 1 || !isfinite(it->candidate->log_center))
    return 0;
  for (size_t i = 0; i < kn && i < it->nbaseline; i++)
    if (!isfinite(it->baseline[i].log_center))
      return 0;
  return 1;
}

/* Equal up to rounding: trimmed means of equal samples may differ from them in the last bit. */
static int same_value(double a, double b) {
  return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
}

/* 1 when every sample of baseline[0..kn-1] is the same value, shown by at least two samples
 * in all (one sample alone says nothing about the spread). */
static int exact_baseline(const struct bg_gate_point *b, size_t kn) {
  double samples = 0;
  for (size_t i = 0; i < kn; i++) {
    if (!(b[i].equal_n > 0) || !same_value(b[i].raw_center, b[0].raw_center))
      return 0;
    samples += b[i].equal_n;
  }
  return samples >= 2;
}

/* 1 when x is a whole multiple of step, up to rounding (12 significant digits). */
static int multiple_of(double x, double step) {
  return fabs(x - step * nearbyint(x / step)) <= 1e-12 * fabs(x);
}

double bg_gate_resolution(double a, double b) {
  double step = 1;
  for (int i = 0; i < 40; i++, step /= 10)
    if (multiple_of(a, step) && multiple_of(b, step))
      return step;
  return 0;
}

const char *bg_gate_method_name(enum bg_gate_method m) {
  switch (m) {
  case BG_GATE_METHOD_T:
    return "t";
  case BG_GATE_METHOD_EXACT:
    return "exact";
  case BG_GATE_METHOD_PAIRED:
    return "paired";
  default:
    return NULL;
  }
}

/* Centres of baseline[0..n-1] on the test scale and centre into out[], sorted ascending. */
static void sorted_centres(const struct bg_gate_point *b, size_t n, int log_scale, int best30,
                           enum bg_direction d, double *out);

/* The one-sided centre of a point on the side of the measure's direction: the best 30 % of
 * the samples (the lowest when lower is better). */
static double best_tail(const struct bg_gate_point *p, enum bg_direction d) {
  return d == BG_HIGHER ? p->log_high : p->log_low;
}

/* Variance of x[lo..hi-1]. */
static double variance_of(const double *x, size_t lo, size_t hi) {
  return bg_stats_variance(x + lo, hi - lo);
}

/* 1 when item it, on the log scale with kn noise runs, is to be tested on the mean of the
 * best 30 % of its samples rather than on the trimmed mean: the candidate and all kn runs
 * have it, kn >= TAIL_MIN_RUNS, and its run-to-run variance is below TAIL_MARGIN times the
 * trimmed mean's over all kn runs and over each half of them (a centre that looks steadier
 * by chance, or whose jumps between the modes of a bimodal benchmark the history happens to
 * show in one half only, does not win all three). */
static int choose_best30(const struct bg_gate_item *it, size_t kn) {
  if (kn < TAIL_MIN_RUNS || !(it->candidate->tail_n > 0) ||
      !isfinite(it->direction == BG_HIGHER ? it->candidate->log_high : it->candidate->log_low))
    return 0;
  for (size_t i = 0; i < kn; i++)
    if (!(it->baseline[i].tail_n > 0))
      return 0;
  double t_stack[128], b_stack[128];
  double *t = kn <= 128 ? t_stack : bg_xmalloc(kn * sizeof *t);
  double *b = kn <= 128 ? b_stack : bg_xmalloc(kn * sizeof *b);
  for (size_t i = 0; i < kn; i++) {
    t[i] = it->baseline[i].log_center;
    b[i] = best_tail(&it->baseline[i], it->direction);
  }
  size_t h = kn / 2;
  int win = variance_of(b, 0, kn) < TAIL_MARGIN * variance_of(t, 0, kn) &&
            variance_of(b, 0, h) < TAIL_MARGIN * variance_of(t, 0, h) &&
            variance_of(b, h, kn) < TAIL_MARGIN * variance_of(t, h, kn);
  if (t != t_stack)
    free(t);
  if (b != b_stack)
    free(b);
  return win;
}

/* A baseline run's centre and within-run variance on the item's test scale and centre. */
static double point_centre(const struct bg_gate_point *p, int log_scale, int best30,
                           enum bg_direction d) {
  return best30 ? best_tail(p, d) : log_scale ? p->log_center : p->raw_center;
}

static void sorted_centres(const struct bg_gate_point *b, size_t n, int log_scale, int best30,
                           enum bg_direction d, double *out) {
  for (size_t i = 0; i < n; i++)
    out[i] = point_centre(&b[i], log_scale, best30, d);
  bg_stats_sort(out, n);
}

static void estimate(const struct bg_gate_item *it, const struct bg_gate_config *cfg,
                     struct est *e) {
  memset(e, 0, sizeof *e);
  if (!it->candidate || it->nbaseline == 0)
    return;
  size_t k, kn;
  bg_gate_windows(cfg, it->nbaseline, &k, &kn);
  int log_scale = bg_gate_log_scale(it, kn);
  int best30 = log_scale && choose_best30(it, kn);
  double wscale = best30 ? TAIL_W_RATIO : 1;
  double wsum = 0;
  for (size_t i = 0; i < kn; i++) {
    double w = log_scale ? it->baseline[i].log_w : it->baseline[i].raw_w;
    wsum += isfinite(w) ? w * wscale : 0;
  }
  e->tested = 1;
  e->log_scale = log_scale;
  e->best30 = best30;
  e->wbar = wsum / (double)kn;
  e->runs = it->candidate_runs > 1 ? (double)it->candidate_runs : 1;
  e->mc = best30 ? (it->direction == BG_HIGHER ? it->candidate->log_high : it->candidate->log_low)
          : log_scale ? it->candidate->log_center
                      : it->candidate->raw_center;
  e->wc = (log_scale ? it->candidate->log_w : it->candidate->raw_w) * wscale;
  if (!isfinite(e->wc))
    e->wc = 0;
  e->k = k;
  e->kn = kn;
  e->exact_base = exact_baseline(it->baseline, kn);
  e->exact_cand = it->candidate->stddev == 0;
  e->exact_b = it->baseline[0].raw_center;
  e->exact_c = it->candidate->raw_center;
  e->nonneg = it->candidate->min >= 0;
  for (size_t i = 0; i < kn; i++)
    if (!(it->baseline[i].raw_center >= 0))
      e->nonneg = 0;
  /* Everything below works on sorted centres, so that a caller keeping them sorted across
   * decisions (one insertion and one deletion a run) gets the same numbers bit for bit.
   * Windows are 30 to 100 runs by default: scratch on the stack up to 128, the heap beyond. */
  double l_stack[128], m_stack[128], *l = NULL, *m = NULL;
  const double *sl = it->level_sorted, *sm = it->noise_sorted;
  if (!sl || !sm || it->sorted_log != log_scale || best30) {
    l = k <= 128 ? l_stack : bg_xmalloc(k * sizeof *l);
    m = kn <= 128 ? m_stack : bg_xmalloc(kn * sizeof *m);
    sorted_centres(it->baseline, k, log_scale, best30, it->direction, l);
    sorted_centres(it->baseline, kn, log_scale, best30, it->direction, m);
    sl = l;
    sm = m;
  }
  /* The level: the newest k runs. */
  e->mu = bg_stats_trimmed_mean_sorted(sl, k, TRIM);
  if (kn >= 2) {
    /* The noise: all kn runs. Drop baseline runs that sit far outside the others (a disturbed
     * machine), then take the plain variance of the rest: its sampling law is known, which
     * the t reference needs. On sorted centres the kept runs are one stretch. */
    size_t lo = 0, hi = kn;
    if (kn >= FEW_RUNS) {
      double med = bg_stats_quantile_sorted(sm, kn, 0.5);
      double mad = 1.4826 * bg_stats_mad_sorted(sm, kn, med);
      if (mad > 0) {
        while (lo < hi && !(fabs(sm[lo] - med) <= OUTLIER_SIGMAS * mad))
          lo++;
        while (hi > lo && !(fabs(sm[hi - 1] - med) <= OUTLIER_SIGMAS * mad))
          hi--;
      }
    }
    e->s2 = bg_stats_variance(sm + lo, hi - lo);
    e->df = (double)(hi - lo) - 1;
  }
  if (l && l != l_stack)
    free(l);
  if (m && m != m_stack)
    free(m);
}

/* 1 when every point's samples were one value, the same value in every point. */
static int exact_points(const struct bg_gate_pair *p, size_t n, int head) {
  for (size_t i = 0; i < n; i++) {
    const struct bg_gate_point *x = head ? &p[i].head : &p[i].base;
    const struct bg_gate_point *x0 = head ? &p[0].head : &p[0].base;
    if (!(x->equal_n > 0) || !same_value(x->raw_center, x0->raw_center))
      return 0;
  }
  return 1;
}

/* P(F > f) for the F distribution with (d1, d2) degrees of freedom. */
static double f_sf(double f, double d1, double d2) {
  if (!(f > 0))
    return 1;
  return bg_stats_betainc(d2 / 2, d1 / 2, d2 / (d2 + d1 * f));
}

/* The history's variance as a prior for the pairs' (gate.h, "Paired comparison"). */
static void pair_prior(const struct bg_gate_item *it, struct est *e) {
  double p2 = 2 * it->pair_prior_s2, dfp = it->pair_prior_df;
  if (!(dfp > 0) || !(p2 > 0) || !isfinite(p2) || it->pair_prior_log != e->log_scale ||
      it->pair_best30 != e->best30)
    return;
  if (f_sf(e->s2 / p2, e->df, dfp) < PAIR_PRIOR_ALPHA) {
    /* Noisier than its own history allows: the other items' variances say even less. */
    e->alone = 1;
    return;
  }
  e->s2 = (e->df * e->s2 + dfp * p2) / (e->df + dfp);
  e->df += dfp;
}

/* The paired comparison of an item's rounds (gate.h, "Paired comparison"): the level and
 * the candidate are the means of the base and the head centres, the variance that of their
 * differences; k = R and no candidate share (runs = infinity), so se^2 = s~^2 / R. */
static void estimate_paired(const struct bg_gate_item *it, struct est *e) {
  memset(e, 0, sizeof *e);
  size_t r = it->npairs;
  if (!it->candidate || r < 2)
    return;
  int log_scale = 1, best30 = it->pair_best30;
  e->nonneg = 1;
  for (size_t i = 0; i < r; i++) {
    const struct bg_gate_pair *p = &it->pairs[i];
    log_scale &= isfinite(p->base.log_center) && isfinite(p->head.log_center);
    best30 &= p->base.tail_n > 0 && p->head.tail_n > 0;
    e->nonneg &= p->base.raw_center >= 0 && p->head.raw_center >= 0;
  }
  best30 &= log_scale;
  double sb = 0, sh = 0, *d = bg_xmalloc(r * sizeof *d);
  for (size_t i = 0; i < r; i++) {
    const struct bg_gate_pair *p = &it->pairs[i];
    double b = point_centre(&p->base, log_scale, best30, it->direction);
    double h = point_centre(&p->head, log_scale, best30, it->direction);
    sb += b;
    sh += h;
    d[i] = h - b;
  }
  e->tested = e->paired = 1;
  e->log_scale = log_scale;
  e->best30 = best30;
  e->mu = sb / (double)r;
  e->mc = sh / (double)r;
  e->s2 = bg_stats_variance(d, r);
  e->df = (double)r - 1;
  pair_prior(it, e);
  e->k = e->kn = r;
  e->runs = INFINITY;
  e->exact_base = exact_points(it->pairs, r, 0);
  e->exact_cand = exact_points(it->pairs, r, 1);
  e->exact_b = it->pairs[0].base.raw_center;
  e->exact_c = it->pairs[0].head.raw_center;
  free(d);
}

/* Fits the scaled inverse-chi-square prior of limma (Smyth 2004, moment method on log s^2)
 * to the variances s2[i] with df[i] degrees of freedom. Sets *d0 (INFINITY when the spread is
 * no more than sampling noise) and *s0. Leaves *d0 = 0 when fewer than 3 usable values. */
static void fit_prior(const double *s2, const double *df, size_t n, double *d0, double *s0) {
  *d0 = 0;
  *s0 = NAN;
  if (n < 3)
    return;
  double emean = 0, tmean = 0;
  double *ev = bg_xmalloc(n * sizeof *ev);
  for (size_t i = 0; i < n; i++) {
    ev[i] = log(s2[i]) - bg_stats_digamma(df[i] / 2) + log(df[i] / 2);
    emean += ev[i];
    tmean += bg_stats_trigamma(df[i] / 2);
  }
  emean /= (double)n;
  tmean /= (double)n;
  double evar = 0;
  for (size_t i = 0; i < n; i++)
    evar += (ev[i] - emean) * (ev[i] - emean);
  evar = evar / (double)(n - 1) - tmean;
  free(ev);
  if (evar > 0) {
    *d0 = 2 * bg_stats_trigamma_inverse(evar);
    *s0 = exp(emean + bg_stats_digamma(*d0 / 2) - log(*d0 / 2));
  } else {
    *d0 = INFINITY;
    *s0 = exp(emean);
  }
}

/* 1 when item e's variance is its own (gate.h, "moderated"): it rests on at least OWN_MIN_DF
 * degrees of freedom and the measure's prior (d0, s0) could not have given it (two-sided F
 * test of s^2 / s0 on (df, d0) degrees of freedom at OWN_ALPHA). The prior speaks for the
 * typical item of the measure; an item ten times quieter than the others (a register-only
 * kernel among memory-bound ones), measured often enough to show it, is only blurred by it. */
static int own_variance(const struct est *e, double d0, double s0) {
  /* With d0 infinite the variances spread no more than sampling does: none stands out. */
  if (e->df < OWN_MIN_DF || !(e->s2 > 0) || !isfinite(e->s2) || !(s0 > 0) || !(d0 > 0) ||
      isinf(d0))
    return 0;
  double upper = f_sf(e->s2 / s0, e->df, d0);
  return 2 * fmin(upper, 1 - upper) < OWN_ALPHA;
}

/* Shrinks and pools the variances of the items of one measure (those with idx[i] set). */
static void moderate(const struct bg_gate_item *items, struct est *es, const size_t *idx, size_t n,
                     double noise_cv, double *prior_df, double *prior_s2) {
  double *s2 = bg_xmalloc((n ? n : 1) * sizeof *s2), *df = bg_xmalloc((n ? n : 1) * sizeof *df);
  double *tau_many = bg_xmalloc((n ? n : 1) * sizeof *tau_many);
  double *tau_all = bg_xmalloc((n ? n : 1) * sizeof *tau_all);
  size_t nf = 0, nmany = 0, nall = 0;
  for (size_t j = 0; j < n; j++) {
    const struct est *e = &es[idx[j]];
    if (items[idx[j]].ignored || e->alone || e->df < 1 || !(e->s2 > 0) || !isfinite(e->s2))
      continue;
    s2[nf] = e->s2;
    df[nf] = e->df;
    nf++;
    double tau2 = fmax(0, e->s2 - e->wbar);
    tau_all[nall++] = tau2;
    if (e->kn >= FEW_RUNS)
      tau_many[nmany++] = tau2;
  }
  double d0, s0;
  fit_prior(s2, df, nf, &d0, &s0);
  double tau_pool = nmany  ? bg_stats_median(tau_many, nmany)
                    : nall ? bg_stats_median(tau_all, nall)
                           : 0;
  for (size_t j = 0; j < n; j++) {
    struct est *e = &es[idx[j]];
    if (!e->tested)
      continue;
    double v = e->df >= 1 && isfinite(e->s2) ? e->s2 : 0;
    if (!e->alone && own_variance(e, d0, s0))
      e->alone = 1;
    if (e->alone) {
      e->s2mod = v;
      e->dfmod = e->df;
    } else if (d0 > 0 && isinf(d0)) {
      e->s2mod = s0;
      e->dfmod = MAX_DF;
    } else if (d0 > 0) {
      e->s2mod = (d0 * s0 + e->df * v) / (d0 + e->df);
      e->dfmod = d0 + e->df;
    } else {
      e->s2mod = v;
      e->dfmod = e->df;
    }
    if (e->kn < FEW_RUNS && !e->paired) {
      /* Partial pooling: a handful of runs cannot show tau^2, so assume at least the typical
       * between-run variance of this measure on this testbed. */
      double stated =
          e->log_scale ? log1p(noise_cv * noise_cv) : noise_cv * noise_cv * e->mu * e->mu;
      double floor2 = e->wbar + fmax(tau_pool, stated);
      if (e->s2mod < floor2) {
        e->s2mod = floor2;
        if (stated > 0 && stated >= tau_pool)
          e->dfmod = MAX_DF; /* a stated noise is known, not estimated */
      }
      if (e->dfmod < 1)
        e->dfmod = 1;
    }
  }
  *prior_df = d0;
  *prior_s2 = s0;
  free(s2);
  free(df);
  free(tau_many);
  free(tau_all);
}

/* The outcome of an item compared by the exact rule: the two values, their relative change
 * and the resolution; no p-value, q or interval. */
static void exact_outcome(const struct est *e, struct bg_gate_outcome *o) {
  double b = e->exact_b, c = e->exact_c;
  double diff = same_value(b, c) ? 0 : c - b;
  o->method = BG_GATE_METHOD_EXACT;
  o->resolution = bg_gate_resolution(b, c);
  o->change = b != 0 ? diff / fabs(b) : diff == 0 ? 0 : copysign(INFINITY, diff);
  o->baseline_center = b;
  o->candidate_center = c;
}

/* The class of an exact outcome: the change must reach min_effect, and exceed the
 * resolution (one step can be two readings of the same value on either side of a step). */
static enum bg_gate_class exact_class(const struct bg_gate_outcome *o, double min_effect) {
  double diff = same_value(o->baseline_center, o->candidate_center)
                    ? 0
                    : o->candidate_center - o->baseline_center;
  int reaches = diff != 0 && fabs(o->change) >= min_effect;
  if (!reaches)
    return BG_GATE_UNCHANGED;
  /* Both values are whole multiples of the resolution: count the steps between them. */
  double r = o->resolution;
  if (r > 0 && nearbyint(fabs(diff) / r) < 2)
    return BG_GATE_INCONCLUSIVE;
  double worse = o->direction == BG_HIGHER ? -diff : diff;
  return worse > 0 ? BG_GATE_REGRESSED : BG_GATE_IMPROVED;
}

/* 1 when the configuration and the items can be decided on. */
static int decidable(const struct bg_gate_item *items, size_t n, const struct bg_gate_config *cfg) {
  if ((n > 0 && !items) || !(cfg->alpha > 0 && cfg->alpha < 1) ||
      !(cfg->fail_rate > 0 && cfg->fail_rate < 1) || !(cfg->ci_level > 0 && cfg->ci_level < 1) ||
      !(cfg->noise_cv >= 0 && cfg->noise_cv <= 10))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!(items[i].min_effect >= 0) || !items[i].benchmark || !items[i].measure ||
        (items[i].nbaseline && !items[i].baseline) || (items[i].npairs && !items[i].pairs))
      return 0;
  return 1;
}

/* Shrinkage and pooling per measure: wall times and instruction counts of one suite have
 * nothing in common. Quadratic in the number of distinct measures only. The verdict reports
 * the prior of the first item's measure. */
static void moderate_by_measure(const struct bg_gate_item *items, size_t n, struct est *es,
                                double noise_cv, struct bg_gate_verdict *v) {
  size_t *idx = bg_xmalloc((n ? n : 1) * sizeof *idx);
  char *done = bg_xcalloc(n ? n : 1, 1);
  for (size_t i = 0; i < n; i++) {
    if (done[i])
      continue;
    size_t cnt = 0;
    for (size_t j = i; j < n; j++)
      if (!done[j] && strcmp(items[j].measure, items[i].measure) == 0) {
        idx[cnt++] = j;
        done[j] = 1;
      }
    double d0, s0;
    moderate(items, es, idx, cnt, noise_cv, &d0, &s0);
    if (strcmp(items[i].measure, items[0].measure) == 0) {
      v->prior_df = d0;
      v->prior_s2 = s0;
    }
  }
  free(idx);
  free(done);
}

/* An outcome before any test: the item's names (copied into the verdict's block at *names),
 * settings and windows, every statistic NAN. */
static void outcome_init(const struct bg_gate_item *it, const struct bg_gate_config *cfg,
                         char **names, struct bg_gate_verdict *v, struct bg_gate_outcome *o) {
  o->benchmark = arena_copy(names, it->benchmark);
  o->measure = arena_copy(names, it->measure);
  o->unit = arena_copy(names, it->unit);
  o->direction = it->direction;
  o->acknowledged = it->acknowledged;
  o->ignored = it->ignored;
  o->min_effect = it->min_effect;
  o->change = o->change_lo = o->change_hi = NAN;
  o->p = o->q = o->q_worse = o->p_worse = o->p_better = NAN;
  o->t = o->df = o->se = o->s2 = o->resolution = NAN;
  o->baseline_center = o->candidate_center = NAN;
  o->candidate_n = it->candidate ? it->candidate->n : 0;
  o->candidate_runs = it->candidate ? (it->candidate_runs > 1 ? it->candidate_runs : 1) : 0;
  o->confirmed = it->confirmed;
  o->control = it->control;
  bg_gate_windows(cfg, it->nbaseline, &o->baseline_runs, &o->noise_runs);
  if (cfg->paired) {
    o->baseline_runs = o->noise_runs = it->npairs;
    o->candidate_runs = it->candidate ? it->npairs : 0;
  }
  if (o->baseline_runs > v->baseline_runs)
    v->baseline_runs = o->baseline_runs;
  if (o->noise_runs > v->noise_runs)
    v->noise_runs = o->noise_runs;
  if (it->candidate)
    o->candidate_center = it->candidate->median;
}

/* The interval's t quantile, kept for the last df: items of one measure share their degrees
 * of freedom, and the quantile (a root search over the t distribution) is the dearest call
 * of a decision. */
struct t_quantile {
  double level, df, t;
};

/* The moderated t-test of a tested item: change, interval, t, df and the two one-sided
 * p-values into o. d is the candidate's centre minus the baseline's, se2 its variance. */
static void t_outcome(const struct bg_gate_item *it, const struct est *e, double d, double se2,
                      struct t_quantile *tq, struct bg_gate_outcome *o) {
  o->method = BG_GATE_METHOD_T;
  double df = fmin(fmax(e->dfmod, 1), MAX_DF);
  double t, pup, pdown, se = sqrt(se2);
  if (se2 > 0) {
    t = d / se;
    bg_stats_t_tails(t, df, &pup, &pdown);
  } else {
    t = d > 0 ? INFINITY : d < 0 ? -INFINITY : 0;
    pup = d > 0 ? 0 : 1;
    pdown = d < 0 ? 0 : 1;
  }
  if (se2 > 0 && df != tq->df) {
    tq->df = df;
    tq->t = bg_stats_t_quantile(tq->level, df);
  }
  double half = se2 > 0 ? tq->t * se : 0;
  o->t = t;
  o->df = df;
  o->se = se;
  o->s2 = e->s2mod;
  o->p_worse = it->direction == BG_HIGHER ? pdown : pup;
  o->p_better = it->direction == BG_HIGHER ? pup : pdown;
  o->p = fmin(1, 2 * fmin(pup, pdown));
  if (e->log_scale) {
    o->change = expm1(d);
    o->change_lo = expm1(d - half);
    o->change_hi = expm1(d + half);
    o->baseline_center = exp(e->mu);
    o->candidate_center = exp(e->mc);
  } else {
    double scale = fabs(e->mu) > 0 ? fabs(e->mu) : NAN;
    o->change = d / scale;
    o->change_lo = (d - half) / scale;
    o->change_hi = (d + half) / scale;
    if (e->nonneg) {
      /* Values that cannot be negative (times with zero readings, say) cannot fall by more
       * than all of it; the log scale has this bound built in. */
      o->change_lo = fmax(o->change_lo, -1);
      o->change_hi = fmax(o->change_hi, -1);
    }
    o->baseline_center = e->mu;
    o->candidate_center = e->mc;
  }
}

/* Tests item i into its outcome; its two-sided p-value for BH, NAN when it takes no part
 * (untested, exact, or ignored). */
static double test_item(const struct bg_gate_item *it, const struct est *e, struct t_quantile *tq,
                        struct bg_gate_outcome *o) {
  if (!e->tested)
    return NAN;
  o->tested = 1;
  o->log_scale = e->log_scale;
  o->centre = e->best30 ? BG_GATE_CENTRE_BEST30 : BG_GATE_CENTRE_TRIMMED;
  double d = e->mc - e->mu;
  /* r runs of the candidate average r draws of the run-to-run noise (s~^2 / r) and of any
   * excess within-run noise; the level's k runs contribute s~^2 / k. */
  double se2 = e->s2mod * (1 / e->runs + 1 / (double)e->k) + fmax(0, e->wc - e->wbar) / e->runs;
  if (e->exact_base && (e->exact_cand || !(se2 > 0))) {
    exact_outcome(e, o); /* p stays NAN: outside both BH families */
    return NAN;
  }
  t_outcome(it, e, d, se2, tq, o);
  if (e->paired)
    o->method = BG_GATE_METHOD_PAIRED;
  return it->ignored ? NAN : o->p;
}

/* The class of a tested, not exact, item from its q-values; see gate.h. */
static enum bg_gate_class t_class(const struct bg_gate_item *it, const struct bg_gate_outcome *o,
                                  const struct bg_gate_config *cfg) {
  /* Signed so that positive is worse, for both directions. */
  double sgn = it->direction == BG_HIGHER ? -1 : 1;
  double worse = sgn * o->change;
  double worse_hi = sgn > 0 ? o->change_hi : -o->change_lo;
  double better_hi = sgn > 0 ? -o->change_lo : o->change_hi;
  double me = it->min_effect;
  int sig = o->q <= cfg->alpha;
  if (sig && worse > 0 && worse_hi >= me)
    return o->q_worse <= cfg->fail_rate ? BG_GATE_REGRESSED : BG_GATE_INCONCLUSIVE;
  if (sig && worse < 0 && better_hi >= me)
    return BG_GATE_IMPROVED;
  if (!sig && fabs(o->change) >= me && me > 0)
    return BG_GATE_INCONCLUSIVE;
  return BG_GATE_UNCHANGED;
}

/* Benjamini-Hochberg q-values of p[0..n) (NAN: not tested) as one family of at least
 * `family` hypotheses (bg_gate_config.family): the ones not tested here count with p = 1. */
static void bh_family(const double *p, size_t n, size_t family, double *q) {
  size_t tested = 0;
  for (size_t i = 0; i < n; i++)
    tested += !isnan(p[i]);
  if (family <= tested) {
    bg_stats_bh(p, n, q, 1);
    return;
  }
  size_t m = n + (family - tested);
  double *pp = bg_xmalloc(m * sizeof *pp), *qq = bg_xmalloc(m * sizeof *qq);
  memcpy(pp, p, n * sizeof *pp);
  for (size_t i = n; i < m; i++)
    pp[i] = 1;
  bg_stats_bh(pp, m, qq, 1);
  memcpy(q, qq, n * sizeof *q);
  free(pp);
  free(qq);
}

/* Classifies every outcome (q[i], qw[i]: item i's BH q-values of both families), counts the
 * classes and sets the run's state. */
static void classify(const struct bg_gate_item *items, size_t n, const double *q, const double *qw,
                     const struct bg_gate_config *cfg, struct bg_gate_verdict *v) {
  int any_baseline = 0, fail = 0;
  for (size_t i = 0; i < n; i++) {
    const struct bg_gate_item *it = &items[i];
    struct bg_gate_outcome *o = &v->outcomes[i];
    size_t based = cfg->paired ? it->npairs : it->nbaseline;
    if (based > 0)
      any_baseline = 1;
    if (it->ignored) {
      o->cls = BG_GATE_IGNORED;
    } else if (!it->candidate) {
      o->cls = BG_GATE_MISSING;
      if (cfg->fail_on_missing && !it->acknowledged)
        fail = 1;
    } else if (based == 0) {
      o->cls = BG_GATE_NEW;
    } else if (o->method == BG_GATE_METHOD_EXACT) {
      o->cls = exact_class(o, it->min_effect);
    } else {
      o->q = q[i];
      o->q_worse = qw[i];
      o->cls = t_class(it, o, cfg);
    }
    if (o->cls == BG_GATE_REGRESSED && !it->acknowledged)
      fail = 1;
    v->counts[o->cls]++;
  }
  v->state = !any_baseline ? BG_GATE_NO_BASELINE : fail ? BG_GATE_FAIL : BG_GATE_PASS;
}

int bg_gate_decide(const struct bg_gate_item *items, size_t n, const struct bg_gate_config *config,
                   struct bg_gate_verdict **out) {
  struct bg_gate_config cfg;
  *out = NULL;
  if (config)
    cfg = *config;
  else
    bg_gate_config_init(&cfg);
  if (!decidable(items, n, &cfg))
    return BG_EINVAL;
  size_t n1 = n ? n : 1;
  struct est *es = bg_xcalloc(n1, sizeof *es);
  double *p = bg_xmalloc(n1 * sizeof *p), *q = bg_xmalloc(n1 * sizeof *q);
  double *pw = bg_xmalloc(n1 * sizeof *pw), *qw = bg_xmalloc(n1 * sizeof *qw);
  struct bg_gate_verdict *v = bg_xcalloc(1, sizeof *v);
  v->outcomes = bg_xcalloc(n1, sizeof *v->outcomes);
  v->n = n;
  v->alpha = cfg.alpha;
  v->prior_df = 0;
  v->prior_s2 = NAN;
  for (size_t i = 0; i < n; i++) {
    if (cfg.paired)
      estimate_paired(&items[i], &es[i]);
    else
      estimate(&items[i], &cfg, &es[i]);
  }
  moderate_by_measure(items, n, es, cfg.noise_cv, v);
  /* The outcomes' names live in one block (a 1 000-result verdict held 3 000 strdups). */
  size_t names_len = 1;
  for (size_t i = 0; i < n; i++)
    names_len += strlen(items[i].benchmark) + strlen(items[i].measure) + 2 +
                 (items[i].unit ? strlen(items[i].unit) + 1 : 0);
  char *names = v->strings = bg_xmalloc(names_len);
  struct t_quantile tq = {1 - (1 - cfg.ci_level) / 2, NAN, NAN};
  for (size_t i = 0; i < n; i++) {
    outcome_init(&items[i], &cfg, &names, v, &v->outcomes[i]);
    p[i] = test_item(&items[i], &es[i], &tq, &v->outcomes[i]);
  }
  bh_family(p, n, cfg.family, q);
  /* The fail budget: BH over the one-sided "worse" p-values at fail_rate. Under an unchanged
   * commit every hypothesis is null and BH rejects anything with probability at most its
   * level, so this bounds the suite false-fail rate by construction. */
  for (size_t i = 0; i < n; i++)
    pw[i] = isnan(p[i]) ? NAN : v->outcomes[i].p_worse;
  bh_family(pw, n, cfg.family, qw);
  classify(items, n, q, qw, &cfg, v);
  *out = v;
  free(es);
  free(p);
  free(q);
  free(pw);
  free(qw);
  return BG_OK;
}

void bg_gate_verdict_free(struct bg_gate_verdict *v) {
  if (!v)
    return;
  free(v->strings);
  free(v->outcomes);
  free(v);
}
