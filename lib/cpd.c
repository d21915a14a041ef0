/* cpd.c: change-point detection: robust binary segmentation, local pruning with a change-of-line
 * and a level-shift test, curvature veto.
 *
 * The method and its complexity are described in cpd.h; docs/changepoints.md has the
 * measured quality. Everything works on a compacted copy of the present points, standardised
 * by the robust noise scale, so the thresholds are in units of sigma^2 and do not depend on
 * the series' scale.
 */
#include "cpd.h"

#include "error.h"
#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Prefix sums of a weighted least-squares line fit over local positions t = 0..m-1. */
struct sums {
  double *w, *wx, *wxx, *wt, *wtt, *wtx; /* each m + 1 long, [0] = 0 */
  double shift_pen; /* shift_penalty * ln(m): how much better two flat segments must fit than
                       one line for the level-shift test (+inf: never) */
};

struct bg_cpd_config bg_cpd_config_default(void) {
  struct bg_cpd_config c = {.min_segment = 3,
                            .candidate_penalty = 1.0,
                            .penalty = 8.0,
                            .curvature_penalty = 3.0,
                            .shift_penalty = 0.5,
                            .outlier_k = 5.0};
  return c;
}

void bg_cpd_result_free(struct bg_cpd_result *r) {
  if (!r)
    return;
  free(r->points);
  memset(r, 0, sizeof *r);
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

/* k-th smallest of v[0..m-1] (k < m) by quickselect with a median-of-three pivot; reorders v.
 * Expected O(m). */
static double select_kth(double *v, size_t m, size_t k) {
  size_t lo = 0, hi = m - 1;
  while (hi > lo) {
    if (hi - lo < 16) { /* insertion sort for short ranges */
      for (size_t i = lo + 1; i <= hi; i++) {
        double t = v[i];
        size_t j = i;
        for (; j > lo && v[j - 1] > t; j--)
          v[j] = v[j - 1];
        v[j] = t;
      }
      return v[k];
    }
    size_t mid = lo + (hi - lo) / 2;
    double a = v[lo], b = v[mid], c = v[hi];
    double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    size_t i = lo, j = hi;
    while (i <= j) { /* Hoare partition around the pivot value */
      while (v[i] < pivot)
        i++;
      while (v[j] > pivot)
        j--;
      if (i <= j) {
        double t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        if (j == 0)
          break;
        j--;
      }
    }
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      return v[k];
  }
  return v[k];
}

/* Median of v[0..m-1] (m > 0); reorders v. */
static double median_inplace(double *v, size_t m) {
  double hi = select_kth(v, m, m / 2);
  if (m % 2)
    return hi;
  double lo = v[0]; /* after selection everything below m/2 is <= hi: take their maximum */
  for (size_t i = 1; i < m / 2; i++)
    if (v[i] > lo)
      lo = v[i];
  return 0.5 * (lo + hi);
}

/* Median of src[a..b-1] using scratch. */
static double median_range(const double *src, size_t a, size_t b, double *scratch) {
  memcpy(scratch, src + a, (b - a) * sizeof *src);
  return median_inplace(scratch, b - a);
}

/* Robust noise scale from first differences (see cpd.h); 0 when nothing varies. */
static double noise_scale(const double *x, size_t m, double *scratch) {
  if (m < 3)
    return 0.0;
  size_t nd = m - 1;
  for (size_t i = 0; i < nd; i++)
    scratch[i] = x[i + 1] - x[i];
  double med = median_inplace(scratch, nd);
  double sum_abs = 0.0;
  for (size_t i = 0; i < nd; i++) {
    scratch[i] = fabs(scratch[i] - med);
    sum_abs += scratch[i];
  }
  double mad = median_inplace(scratch, nd);
  if (mad > 0.0)
    return 1.4826 * mad / sqrt(2.0);
  /* Mostly tied differences: the mean absolute deviation still sees the rest. */
  return sum_abs / (double)nd * sqrt(M_PI / 2.0) / sqrt(2.0);
}

/* Weighted residual sum of squares of a straight line fitted to [a, b). */
static double seg_cost(const struct sums *s, size_t a, size_t b) {
  double w = s->w[b] - s->w[a];
  if (w <= 0.0)
    return 0.0;
  double wx = s->wx[b] - s->wx[a], wxx = s->wxx[b] - s->wxx[a];
  double wt = s->wt[b] - s->wt[a], wtt = s->wtt[b] - s->wtt[a], wtx = s->wtx[b] - s->wtx[a];
  double r = wxx - wx * wx / w;
  double vt = wtt - wt * wt / w;
  if (b - a > 2 && vt > 0.0) {
    double c = wtx - wt * wx / w;
    r -= c * c / vt;
  }
  return r > 0.0 ? r : 0.0;
}

/* Weighted residual sum of squares of the mean of [a, b). */
static double flat_cost(const struct sums *s, size_t a, size_t b) {
  double w = s->w[b] - s->w[a];
  if (w <= 0.0)
    return 0.0;
  double wx = s->wx[b] - s->wx[a], r = s->wxx[b] - s->wxx[a] - wx * wx / w;
  return r > 0.0 ? r : 0.0;
}

/* Candidates by binary segmentation; returns them sorted in *cand (caller frees). */
static size_t binseg(const struct sums *s, size_t m, size_t ms, double beta, size_t **cand) {
  size_t cap = 16, k = 0, scap = 16, top = 0;
  size_t *out = bg_xmalloc(cap * sizeof *out);
  size_t *stack = bg_xmalloc(2 * scap * sizeof *stack);
  stack[top++] = 0;
  stack[top++] = m;
  while (top) {
    size_t b = stack[--top], a = stack[--top];
    if (b - a < 2 * ms)
      continue;
    double full = seg_cost(s, a, b), best = -1.0;
    size_t at = 0;
    for (size_t t = a + ms; t + ms <= b; t++) {
      double g = full - seg_cost(s, a, t) - seg_cost(s, t, b);
      if (g > best) {
        best = g;
        at = t;
      }
    }
    if (!(best > beta))
      continue;
    bg_xgrow((void **)&out, &cap, k + 1, sizeof *out);
    out[k++] = at;
    if (top + 4 > 2 * scap) {
      size_t c2 = 2 * scap;
      bg_xgrow((void **)&stack, &c2, top + 4, sizeof *stack);
      scap = c2 / 2;
    }
    stack[top++] = a;
    stack[top++] = at;
    stack[top++] = at;
    stack[top++] = b;
  }
  free(stack);
  qsort(out, k, sizeof *out, cmp_size);
  *cand = out;
  return k;
}

/* Residual variance of a split fitted with `par` parameters over `len` points, never below
 * the series' own noise (sigma = 1 after standardising). */
static double split_var(double rss, size_t len, double par) {
  double dof = (double)len - par;
  double s2 = rss / (dof > 1.0 ? dof : 1.0);
  return s2 < 1.0 ? 1.0 : s2;
}

/* Local test of the change point c between boundaries a and e; `infl` is the persistence
 * factor that widens the noise of smooth (positively autocorrelated) series. The larger of
 * two statistics:
 *  - change of line: one line over [a, e) against one line on each side;
 *  - level shift: one mean against one mean on each side, counted only when the two flat
 *    segments also fit better than one line over both by more than shift_pen. A line through
 *    a centred step of d sigma over n points leaves only n d^2 / 16 of its n d^2 / 4 unexplained,
 *    so the first test alone misses sustained shifts that a mean model sees at once; the
 *    condition keeps a ramp (which two flat segments fit worse than one line) from counting. */
static double local_stat_model(const struct sums *s, size_t a, size_t c, size_t e, double infl,
                               int *flat) {
  *flat = 0;
  double line = seg_cost(s, a, e), split = seg_cost(s, a, c) + seg_cost(s, c, e);
  double stat = (line - split) / (split_var(split, e - a, 4.0) * infl);
  if (s->shift_pen < INFINITY) {
    double fsplit = flat_cost(s, a, c) + flat_cost(s, c, e), s2 = split_var(fsplit, e - a, 2.0);
    if ((line - fsplit) / s2 > s->shift_pen) {
      double fstat = (flat_cost(s, a, e) - fsplit) / (s2 * infl);
      if (fstat > stat) {
        stat = fstat;
        *flat = 1;
      }
    }
  }
  return stat;
}

/* The local statistic alone (see local_stat_model). */
static double local_stat(const struct sums *s, size_t a, size_t c, size_t e, double infl) {
  int flat;
  return local_stat_model(s, a, c, e, infl, &flat);
}

/* Persistence factor (1 + r) / (1 - r) of an AR(1) long-run variance, with r the lag-1
 * autocorrelation of the first differences of y clamped to [0, MAX_PERSISTENCE]. White noise
 * around levels gives r near -0.5 (factor 1); smooth, integrated series give r near 1. */
#define MAX_PERSISTENCE 0.5
static double persistence(const double *y, size_t m, double *scratch) {
  size_t nd = m - 1;
  for (size_t i = 0; i < nd; i++)
    scratch[i] = y[i + 1] - y[i];
  double *sorted = scratch + nd;
  memcpy(sorted, scratch, nd * sizeof *scratch);
  double med = median_inplace(sorted, nd), num = 0.0, den = 0.0;
  for (size_t i = 0; i < nd; i++) {
    double d = scratch[i] - med;
    den += d * d;
    if (i + 1 < nd)
      num += d * (scratch[i + 1] - med);
  }
  double r = den > 0.0 ? num / den : 0.0;
  if (!(r > 0.0))
    r = 0.0;
  if (r > MAX_PERSISTENCE)
    r = MAX_PERSISTENCE;
  return (1.0 + r) / (1.0 - r);
}

/* Removes the weakest candidate while it is below beta; returns the number kept. Their
 * statistics are left in stat[]. */
static size_t prune(const struct sums *s, size_t m, size_t *cp, size_t k, double beta, double infl,
                    double *stat) {
  for (size_t j = 0; j < k; j++)
    stat[j] = local_stat(s, j ? cp[j - 1] : 0, cp[j], j + 1 < k ? cp[j + 1] : m, infl);
  while (k) {
    size_t w = 0;
    for (size_t j = 1; j < k; j++)
      if (stat[j] < stat[w])
        w = j;
    if (stat[w] > beta)
      break;
    memmove(cp + w, cp + w + 1, (k - w - 1) * sizeof *cp);
    memmove(stat + w, stat + w + 1, (k - w - 1) * sizeof *stat);
    k--;
    for (size_t j = w ? w - 1 : 0; j <= w && j < k; j++)
      stat[j] = local_stat(s, j ? cp[j - 1] : 0, cp[j], j + 1 < k ? cp[j + 1] : m, infl);
  }
  return k;
}

/* Moves each level shift (a change point whose level-shift statistic is the larger), in order,
 * to the position between its neighbours (keeping ms points on each side) where the local
 * statistic is largest. The candidates come from lines, whose best split of a step can lie a
 * few points off it, and pruning a dense candidate set can keep two points that flank a step
 * and drop the one on it. Changes of slope stay where the lines put them. Returns whether any
 * point moved. O(m) per call. */
static int refine(const struct sums *s, size_t m, size_t ms, size_t *cp, size_t k, double infl) {
  int moved = 0;
  for (size_t j = 0; j < k; j++) {
    size_t a = j ? cp[j - 1] : 0, e = j + 1 < k ? cp[j + 1] : m, at = cp[j];
    int flat;
    double best = local_stat_model(s, a, at, e, infl, &flat);
    if (!flat)
      continue;
    for (size_t t = a + ms; t + ms <= e; t++) {
      double v = local_stat(s, a, t, e, infl);
      if (v > best + 1e-9) {
        best = v;
        at = t;
      }
    }
    moved |= at != cp[j];
    cp[j] = at;
  }
  return moved;
}

/* Replaces two neighbouring change points by one level shift between them where one shift
 * explains their three segments nearly as well: the second point gains less than beta (the
 * pruning threshold, in units of the local residual variance times infl). A line fitted to
 * the few points around a step makes a short ramp between two levels; the two ends of that
 * ramp then each pass the line test while the step itself is never tested. Returns the number
 * of change points kept. O(m) per replacement. */
static size_t merge_ramps(const struct sums *s, size_t m, size_t ms, size_t *cp, size_t k,
                          double beta, double infl) {
  for (size_t j = 0; j + 1 < k;) {
    size_t a = j ? cp[j - 1] : 0, e = j + 2 < k ? cp[j + 2] : m, at = 0;
    double pair = seg_cost(s, a, cp[j]) + seg_cost(s, cp[j], cp[j + 1]) + seg_cost(s, cp[j + 1], e);
    double best = INFINITY;
    for (size_t t = a + ms; t + ms <= e; t++) {
      double v = flat_cost(s, a, t) + flat_cost(s, t, e);
      if (v < best) {
        best = v;
        at = t;
      }
    }
    if (!(best < INFINITY) || (best - pair) / (split_var(pair, e - a, 6.0) * infl) > beta) {
      j++;
      continue;
    }
    cp[j] = at;
    memmove(cp + j + 1, cp + j + 2, (k - j - 2) * sizeof *cp);
    k--;
    if (j)
      j--;
  }
  return k;
}

/* Weighted residual sum of squares of a parabola fitted to [a, b) (at least 4 points), by a
 * direct pass with positions centred and scaled to [-1, 1] so the normal equations stay well
 * conditioned. Returns -1 when they are singular. */
static double quad_cost(const double *z, const double *w, size_t a, size_t b) {
  double mid = 0.5 * (double)(a + b - 1), half = 0.5 * (double)(b - a);
  double m[3][4] = {{0}}, wxx = 0.0;
  for (size_t i = a; i < b; i++) {
    double u = ((double)i - mid) / half, wi = w ? w[i] : 1.0, x = z[i];
    double p[3] = {1.0, u, u * u};
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 3; c++)
        m[r][c] += wi * p[r] * p[c];
      m[r][3] += wi * p[r] * x;
    }
    wxx += wi * x * x;
  }
  double rhs[3] = {m[0][3], m[1][3], m[2][3]};
  for (int c = 0; c < 3; c++) { /* Gauss-Jordan with partial pivoting */
    int piv = c;
    for (int r = c + 1; r < 3; r++)
      if (fabs(m[r][c]) > fabs(m[piv][c]))
        piv = r;
    if (fabs(m[piv][c]) < 1e-12)
      return -1.0;
    for (int k = 0; k < 4; k++) {
      double t = m[c][k];
      m[c][k] = m[piv][k];
      m[piv][k] = t;
    }
    double t = rhs[c];
    rhs[c] = rhs[piv];
    rhs[piv] = t;
    for (int r = 0; r < 3; r++) {
      if (r == c)
        continue;
      double f = m[r][c] / m[c][c];
      for (int k = c; k < 4; k++)
        m[r][k] -= f * m[c][k];
    }
  }
  double fit = 0.0;
  for (int r = 0; r < 3; r++)
    fit += m[r][3] / m[r][r] * rhs[r];
  double res = wxx - fit;
  return res > 0.0 ? res : 0.0;
}

/* How much better two lines split at c fit [a, e) than one parabola does, in units of the
 * local residual variance (as local_stat); +inf when no parabola can be fitted, and for a
 * level shift: its test already required two flat segments to beat one line, which smooth
 * growth does not pass (a parabola fits a centred step no better than a line does, so the
 * veto would only cost weak steps). */
static double curve_stat(const struct sums *s, const double *z, const double *w, size_t a, size_t c,
                         size_t e) {
  int flat;
  local_stat_model(s, a, c, e, 1.0, &flat); /* which test wins does not depend on infl */
  if (flat)
    return INFINITY;
  double q = quad_cost(z, w, a, e);
  if (q < 0.0)
    return INFINITY;
  double split = seg_cost(s, a, c) + seg_cost(s, c, e);
  double dof = (double)(e - a) - 4.0;
  double s2 = split / (dof > 1.0 ? dof : 1.0);
  if (s2 < 1.0)
    s2 = 1.0;
  return (q - split) / s2;
}

/* Curvature veto: removes, weakest first, every change point that a single parabola over its
 * two segments explains nearly as well (statistic <= beta); returns the number kept and
 * leaves local_stat values of the survivors in stat[]. */
static size_t veto_curvature(const struct sums *s, const double *z, const double *w, size_t m,
                             size_t *cp, size_t k, double beta, double infl, double *stat) {
  double *cs = bg_xmalloc((k ? k : 1) * sizeof *cs);
  for (size_t j = 0; j < k; j++)
    cs[j] = curve_stat(s, z, w, j ? cp[j - 1] : 0, cp[j], j + 1 < k ? cp[j + 1] : m);
  while (k) {
    size_t v = 0;
    for (size_t j = 1; j < k; j++)
      if (cs[j] < cs[v])
        v = j;
    if (cs[v] > beta)
      break;
    memmove(cp + v, cp + v + 1, (k - v - 1) * sizeof *cp);
    memmove(cs + v, cs + v + 1, (k - v - 1) * sizeof *cs);
    k--;
    for (size_t j = v ? v - 1 : 0; j <= v && j < k; j++)
      cs[j] = curve_stat(s, z, w, j ? cp[j - 1] : 0, cp[j], j + 1 < k ? cp[j + 1] : m);
  }
  for (size_t j = 0; j < k; j++)
    stat[j] = local_stat(s, j ? cp[j - 1] : 0, cp[j], j + 1 < k ? cp[j + 1] : m, infl);
  free(cs);
  return k;
}

static int check_config(const struct bg_cpd_config *c) {
  if (c->min_segment < 2 || !isfinite(c->candidate_penalty) || c->candidate_penalty < 0.0 ||
      !isfinite(c->penalty) || c->penalty < 0.0 || !isfinite(c->curvature_penalty) ||
      c->curvature_penalty < 0.0 || !(c->shift_penalty >= 0.0) || !isfinite(c->outlier_k) ||
      c->outlier_k < 0.0)
    return BG_EINVAL;
  return BG_OK;
}

/* Keeps the finite points of x in xs, their variances (0 without var) in vs and their indexes
 * in map; *m counts them. BG_EINVAL when a kept point's variance is not finite and >= 0. */
static int finite_points(const double *x, const double *var, size_t n, double *xs, double *vs,
                         size_t *map, size_t *m) {
  *m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i]))
      continue;
    if (var && (!isfinite(var[i]) || var[i] < 0.0))
      return BG_EINVAL;
    xs[*m] = x[i];
    vs[*m] = var ? var[i] : 0.0;
    map[(*m)++] = i;
  }
  return BG_OK;
}

/* Spike filter: each point further than outlier_k * sigma from the median of the 5-point
 * window around it (at the ends: the first or last five) is replaced by that median. */
static void despike(const double *xs, size_t m, double sigma, double outlier_k, double *scratch,
                    double *y) {
  for (size_t i = 0; i < m; i++) {
    /* a full 5-point window, shifted inward at the ends: two spikes among the first three
     * points must not become the median */
    size_t a = i >= 2 ? i - 2 : 0;
    if (m >= 5 && a + 5 > m)
      a = m - 5;
    size_t b = a + 5 <= m ? a + 5 : m;
    double med = median_range(xs, a, b, scratch);
    y[i] = outlier_k > 0.0 && fabs(xs[i] - med) > outlier_k * sigma ? med : xs[i];
  }
}

/* The cumulative sums of the standardised series z = (y - median) / sigma over buf (6 (m+1)
 * doubles), weighted by the per-point variances vs relative to the noise the series shows
 * (has_var; otherwise every weight is 1). z goes to zs, the weights to ws (when not NULL). */
static void fill_sums(const double *y, const double *vs, int has_var, size_t m, double sigma,
                      double *scratch, double *buf, double *zs, double *ws, struct sums *s) {
  double tau2 = 0.0, s2 = sigma * sigma;
  if (has_var) {
    memcpy(scratch, vs, m * sizeof *vs);
    double mv = median_inplace(scratch, m);
    tau2 = s2 - mv > 0.0 ? s2 - mv : 0.0;
  }
  memcpy(scratch, y, m * sizeof *y);
  double centre = median_inplace(scratch, m);
  s->w = buf;
  s->wx = buf + (m + 1);
  s->wxx = buf + 2 * (m + 1);
  s->wt = buf + 3 * (m + 1);
  s->wtt = buf + 4 * (m + 1);
  s->wtx = buf + 5 * (m + 1);
  for (size_t i = 0; i < m; i++) {
    double w = 1.0;
    if (has_var) {
      double d = tau2 + vs[i];
      w = s2 / (d > 1e-12 * s2 ? d : 1e-12 * s2);
    }
    double z = (y[i] - centre) / sigma, t = (double)i;
    zs[i] = z;
    if (ws)
      ws[i] = w;
    s->w[i + 1] = s->w[i] + w;
    s->wx[i + 1] = s->wx[i] + w * z;
    s->wxx[i + 1] = s->wxx[i] + w * z * z;
    s->wt[i + 1] = s->wt[i] + w * t;
    s->wtt[i + 1] = s->wtt[i] + w * t * t;
    s->wtx[i + 1] = s->wtx[i] + w * t * z;
  }
}

/* The k change points cp[] of the m kept points (map: their indexes in the input) into out,
 * each with the medians of its two segments of y and its statistic stat[j]. */
static void report_points(const size_t *cp, size_t k, size_t m, const size_t *map, const double *y,
                          const double *stat, double *scratch, struct bg_cpd_result *out) {
  out->points = bg_xcalloc(k, sizeof *out->points);
  out->count = k;
  for (size_t j = 0; j < k; j++) {
    size_t a = j ? cp[j - 1] : 0, e = j + 1 < k ? cp[j + 1] : m;
    struct bg_cpd_point *p = &out->points[j];
    p->index = map[cp[j]];
    p->before = median_range(y, a, cp[j], scratch);
    p->after = median_range(y, cp[j], e, scratch);
    p->magnitude = p->after - p->before;
    p->relative = p->before > 0.0 && p->after > 0.0 ? p->after / p->before - 1.0 : NAN;
    p->score = stat[j];
  }
}

int bg_cpd_detect(const double *x, const double *var, size_t n, const struct bg_cpd_config *cfg,
                  struct bg_cpd_result *out) {
  int rc = BG_OK;
  struct bg_cpd_config c = cfg ? *cfg : bg_cpd_config_default();
  double *y = NULL, *scratch = NULL, *stat = NULL, *buf = NULL, *zs = NULL, *ws = NULL;
  size_t *cp = NULL, m = 0;
  struct sums s = {0};
  if (!out)
    return BG_EINVAL;
  memset(out, 0, sizeof *out);
  if (n > 0 && !x)
    return BG_EINVAL;
  if ((rc = check_config(&c)) != BG_OK)
    return rc;
  double *xs = bg_xmalloc((n ? n : 1) * sizeof *xs), *vs = bg_xmalloc((n ? n : 1) * sizeof *vs);
  size_t *map = bg_xmalloc((n ? n : 1) * sizeof *map);
  if ((rc = finite_points(x, var, n, xs, vs, map, &m)) != BG_OK)
    goto out;
  out->n_used = m;
  if (m < 2 * c.min_segment)
    goto out;
  scratch = bg_xmalloc(m * sizeof *scratch);
  double sigma = noise_scale(xs, m, scratch);
  if (!(sigma > 0.0) || !isfinite(sigma))
    goto out;
  out->sigma = sigma;
  y = bg_xmalloc(m * sizeof *y);
  despike(xs, m, sigma, c.outlier_k, scratch, y);
  double *pscratch = bg_xmalloc(2 * m * sizeof *pscratch);
  double infl = persistence(y, m, pscratch);
  free(pscratch);
  out->persistence = infl;
  buf = bg_xcalloc(6 * (m + 1), sizeof *buf);
  zs = bg_xmalloc(m * sizeof *zs);
  ws = var ? bg_xmalloc(m * sizeof *ws) : NULL;
  fill_sums(y, vs, var != NULL, m, sigma, scratch, buf, zs, ws, &s);
  double lnm = log((double)m);
  s.shift_pen = c.shift_penalty * lnm;
  size_t k = binseg(&s, m, c.min_segment, c.candidate_penalty * lnm, &cp);
  stat = bg_xmalloc((k ? k : 1) * sizeof *stat);
  out->threshold = c.penalty * lnm;
  k = prune(&s, m, cp, k, out->threshold, infl, stat);
  for (int round = 0; round < 4 && refine(&s, m, c.min_segment, cp, k, infl); round++)
    k = prune(&s, m, cp, k, out->threshold, infl, stat);
  if (s.shift_pen < INFINITY) {
    size_t k0 = k;
    k = merge_ramps(&s, m, c.min_segment, cp, k, out->threshold, infl);
    if (k != k0)
      k = prune(&s, m, cp, k, out->threshold, infl, stat);
  }
  k = veto_curvature(&s, zs, ws, m, cp, k, c.curvature_penalty * lnm, infl, stat);
  if (k)
    report_points(cp, k, m, map, y, stat, scratch, out);
out:
  free(xs);
  free(vs);
  free(map);
  free(y);
  free(scratch);
  free(stat);
  free(buf);
  free(zs);
  free(ws);
  free(cp);
  return rc;
}
