/* stats.c: descriptive statistics, distributions, BH, Mann-Whitney and Welch.
 *
 * The far tails matter here: the gate's first Benjamini-Hochberg cut is alpha/m, so t tail
 * probabilities are computed from the regularized incomplete beta function directly (never
 * as 1 - cdf) and keep their relative accuracy down to 1e-300.
 */
#include "stats.h"

#include "mem.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double bg_stats_mean(const double *x, size_t n) {
  if (n == 0)
    return NAN;
  double s = 0;
  for (size_t i = 0; i < n; i++)
    s += x[i];
  return s / (double)n;
}

double bg_stats_variance(const double *x, size_t n) {
  if (n < 2)
    return NAN;
  double m = bg_stats_mean(x, n), ss = 0, c = 0;
  for (size_t i = 0; i < n; i++) {
    double d = x[i] - m;
    ss += d * d;
    c += d;
  }
  /* The compensation term removes the rounding error of the mean (corrected two-pass). */
  return (ss - c * c / (double)n) / (double)(n - 1);
}

double bg_stats_variance_about(const double *x, size_t n, double m) {
  if (n < 2)
    return NAN;
  double ss = 0;
  for (size_t i = 0; i < n; i++)
    ss += (x[i] - m) * (x[i] - m);
  return ss / (double)(n - 1);
}

static void insertion_sort(double *x, size_t n) {
  for (size_t i = 1; i < n; i++) {
    double v = x[i];
    size_t j = i;
    while (j > 0 && x[j - 1] > v) {
      x[j] = x[j - 1];
      j--;
    }
    x[j] = v;
  }
}

static void swap(double *a, double *b) {
  double t = *a;
  *a = *b;
  *b = t;
}

/* Hoare partition of x[0..n-1] (n >= 3) around the median of its first, middle and last
 * values; returns p with x[0..p] <= pivot <= x[p+1..n-1], 0 <= p < n - 1. */
static size_t partition(double *x, size_t n) {
  size_t mid = n / 2;
  if (x[mid] < x[0])
    swap(&x[mid], &x[0]);
  if (x[n - 1] < x[0])
    swap(&x[n - 1], &x[0]);
  if (x[n - 1] < x[mid])
    swap(&x[n - 1], &x[mid]);
  double pivot = x[mid];
  size_t i = 0, j = n - 1;
  for (;;) {
    while (x[i] < pivot)
      i++;
    while (x[j] > pivot)
      j--;
    if (i >= j)
      return j;
    swap(&x[i], &x[j]);
    i++;
    j--;
  }
}

void bg_stats_sort(double *x, size_t n) {
  /* Quicksort without a comparison callback (qsort's made a 100-run baseline cost 3 us per
   * sort), insertion sort below 24 values; recursing into the smaller side bounds the stack
   * at log2(n) frames. */
  while (n > 24) {
    size_t p = partition(x, n) + 1;
    if (p < n - p) {
      bg_stats_sort(x, p);
      x += p;
      n -= p;
    } else {
      bg_stats_sort(x + p, n - p);
      n = p;
    }
  }
  insertion_sort(x, n);
}

double bg_stats_select(double *x, size_t n, size_t k) {
  if (k >= n)
    return NAN;
  double *base = x;
  size_t lo = 0, len = n;
  /* Quickselect: keep the side of each partition that holds position k. */
  while (len > 24) {
    size_t p = partition(base + lo, len) + 1;
    if (k - lo < p) {
      len = p;
    } else {
      lo += p;
      len -= p;
    }
  }
  insertion_sort(base + lo, len);
  return base[k];
}

double bg_stats_median_inplace(double *x, size_t n) {
  if (n == 0)
    return NAN;
  size_t lo = (n - 1) / 2;
  double a = bg_stats_select(x, n, lo);
  if (n % 2)
    return a;
  /* After the select x[lo+1..n-1] >= x[lo]: the next order statistic is their minimum. */
  double b = x[lo + 1];
  for (size_t i = lo + 2; i < n; i++)
    if (x[i] < b)
      b = x[i];
  return a + 0.5 * (b - a); /* as bg_stats_quantile_sorted(s, n, 0.5) */
}

double bg_stats_quantile_sorted(const double *s, size_t n, double p) {
  if (n == 0 || !(p >= 0 && p <= 1))
    return NAN;
  double h = p * (double)(n - 1);
  size_t lo = (size_t)floor(h);
  if (lo >= n - 1)
    return s[n - 1];
  return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

double bg_stats_median_sorted(const double *s, size_t n) {
  if (n == 0)
    return NAN;
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double *sorted_copy(const double *x, size_t n) {
  double *c = bg_xmalloc(n * sizeof *c);
  memcpy(c, x, n * sizeof *c);
  bg_stats_sort(c, n);
  return c;
}

double bg_stats_quantile(const double *x, size_t n, double p) {
  if (n == 0)
    return NAN;
  double *c = sorted_copy(x, n);
  double q = bg_stats_quantile_sorted(c, n, p);
  free(c);
  return q;
}

double bg_stats_median(const double *x, size_t n) {
  return bg_stats_quantile(x, n, 0.5);
}

double bg_stats_mad(const double *x, size_t n) {
  if (n == 0)
    return NAN;
  double med = bg_stats_median(x, n);
  double *d = bg_xmalloc(n * sizeof *d);
  for (size_t i = 0; i < n; i++)
    d[i] = fabs(x[i] - med);
  double r = bg_stats_median(d, n);
  free(d);
  return r;
}

static size_t trim_count(size_t n, double prop) {
  if (!(prop > 0))
    return 0;
  size_t g = (size_t)floor(prop * (double)n);
  while (g > 0 && 2 * g >= n)
    g--;
  return g;
}

size_t bg_stats_lower_bound(const double *s, size_t n, double v) {
  size_t l = 0, r = n;
  while (l < r) {
    size_t m = l + (r - l) / 2;
    if (s[m] < v)
      l = m + 1;
    else
      r = m;
  }
  return l;
}

double bg_stats_mad_sorted(const double *s, size_t n, double c) {
  if (n == 0)
    return NAN;
  /* r: the first value >= c; the values left of r lie below c. fabs(s[i] - c) grows outward
   * on both sides (rounding is monotone), so merging the two sides yields the deviations in
   * ascending order. */
  size_t r = bg_stats_lower_bound(s, n, c), l = r;
  size_t lo = (n - 1) / 2, last = n % 2 ? lo : lo + 1;
  double a = 0, b = 0;
  for (size_t t = 0; t <= last; t++) {
    double dl = l > 0 ? fabs(s[l - 1] - c) : INFINITY, dr = r < n ? fabs(s[r] - c) : INFINITY;
    double d = dl <= dr ? dl : dr;
    if (dl <= dr)
      l--;
    else
      r++;
    if (t == lo)
      a = d;
    b = d;
  }
  return n % 2 ? a : a + 0.5 * (b - a); /* as bg_stats_median_inplace */
}

double bg_stats_trimmed_mean_sorted(const double *s, size_t n, double prop) {
  if (n == 0)
    return NAN;
  size_t g = trim_count(n, prop);
  return bg_stats_mean(s + g, n - 2 * g);
}

double bg_stats_winsorized_variance_sorted(const double *s, size_t n, double prop) {
  if (n < 2)
    return NAN;
  size_t g = trim_count(n, prop);
  double lo = s[g], hi = s[n - 1 - g], sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += i < g ? lo : i >= n - g ? hi : s[i];
  double m = sum / (double)n, ss = 0;
  for (size_t i = 0; i < n; i++) {
    double v = i < g ? lo : i >= n - g ? hi : s[i];
    ss += (v - m) * (v - m);
  }
  return ss / (double)(n - 1);
}

void bg_stats_pool_add(struct bg_stats_pool *p, long long n, double mean, double sd) {
  double m2 = sd * sd * (double)(n > 1 ? n - 1 : 0);
  if (p->n == 0) {
    p->n = n;
    p->mean = mean;
    p->m2 = m2;
    return;
  }
  double total = (double)(p->n + n), d = mean - p->mean;
  p->m2 += m2 + d * d * (double)p->n * (double)n / total;
  p->mean += d * (double)n / total;
  p->n += n;
}

double bg_stats_pool_stddev(const struct bg_stats_pool *p) {
  return p->n > 1 ? sqrt(p->m2 / (double)(p->n - 1)) : 0.0;
}

double bg_stats_norm_cdf(double z) {
  return 0.5 * erfc(-z / M_SQRT2);
}

double bg_stats_norm_sf(double z) {
  return 0.5 * erfc(z / M_SQRT2);
}

double bg_stats_norm_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                             -2.759285104469687e+02, 1.383577518672690e+02,
                             -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                             -1.556989798598866e+02, 6.680131188771972e+01,
                             -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                             -2.400758277161838e+00, -2.549732539343734e+00,
                             4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                             2.445134137142996e+00, 3.754408661907416e+00};
  if (!(p >= 0 && p <= 1))
    return NAN;
  if (p == 0)
    return -INFINITY;
  if (p == 1)
    return INFINITY;
  double x;
  if (p < 0.02425) {
    double q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    double q = sqrt(-2 * log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  /* One Halley step on the tail that is accurate (the lower tail for x < 0). */
  double e, u;
  if (x < 0) {
    e = bg_stats_norm_cdf(x) - p;
  } else {
    e = (1 - p) - bg_stats_norm_sf(x);
    if (p > 0.5 && 1 - p == 0)
      return x;
  }
  u = e * sqrt(2 * M_PI) * exp(x * x / 2);
  x = x - u / (1 + x * u / 2);
  return x;
}

/* log|Gamma(x)|. lgamma stores the sign in the global signgam: two threads deciding at once
 * (an upload's and a job's verdict) would race on it; lgamma_r keeps the sign on our stack. */
static double log_gamma(double x) {
  int sign;
  return lgamma_r(x, &sign);
}

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double betacf(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-16;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (fabs(d) < tiny)
    d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 100000; m++) {
    double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (fabs(d) < tiny)
      d = tiny;
    c = 1 + aa / c;
    if (fabs(c) < tiny)
      c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (fabs(d) < tiny)
      d = tiny;
    c = 1 + aa / c;
    if (fabs(c) < tiny)
      c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1) < eps)
      break;
  }
  return h;
}

/* I_x(a, b) with y = 1 - x given separately, so callers that know 1 - x more accurately than
 * the subtraction would give (t tails) lose no digits. */
static double betainc_xy(double a, double b, double x, double y) {
  if (x <= 0)
    return 0;
  if (y <= 0)
    return 1;
  double lbt = log_gamma(a + b) - log_gamma(a) - log_gamma(b) + a * log(x) + b * log(y);
  if (x < (a + 1) / (a + b + 2))
    return exp(lbt) * betacf(a, b, x) / a;
  return 1 - exp(lbt) * betacf(b, a, y) / b;
}

double bg_stats_betainc(double a, double b, double x) {
  if (!(a > 0 && b > 0 && x >= 0 && x <= 1))
    return NAN;
  return betainc_xy(a, b, x, 1 - x);
}

double bg_stats_t_sf(double t, double df) {
  if (!(df > 0) || isnan(t))
    return NAN;
  if (isinf(df) || df > 1e10)
    return bg_stats_norm_sf(t);
  if (isinf(t))
    return t > 0 ? 0 : 1;
  double t2 = t * t;
  /* x = df / (df + t^2), 1 - x = t^2 / (df + t^2); both computed directly. */
  double tail = 0.5 * betainc_xy(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
  return t >= 0 ? tail : 1 - tail;
}

void bg_stats_t_tails(double t, double df, double *sf, double *cdf) {
  if (!(df > 0) || isnan(t) || isinf(df) || df > 1e10 || isinf(t)) {
    *sf = bg_stats_t_sf(t, df);
    *cdf = bg_stats_t_cdf(t, df);
    return;
  }
  double t2 = t * t;
  double tail = 0.5 * betainc_xy(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
  *sf = t >= 0 ? tail : 1 - tail;
  *cdf = t <= 0 ? tail : 1 - tail;
}

double bg_stats_t_cdf(double t, double df) {
  if (!(df > 0) || isnan(t))
    return NAN;
  return bg_stats_t_sf(-t, df);
}

static double t_logpdf(double t, double df) {
  return log_gamma((df + 1) / 2) - log_gamma(df / 2) - 0.5 * log(df * M_PI) -
         (df + 1) / 2 * log1p(t * t / df);
}

double bg_stats_t_quantile(double p, double df) {
  if (!(p >= 0 && p <= 1) || !(df > 0))
    return NAN;
  if (p == 0)
    return -INFINITY;
  if (p == 1)
    return INFINITY;
  if (isinf(df) || df > 1e10)
    return bg_stats_norm_quantile(p);
  if (p == 0.5)
    return 0;
  /* Solve sf(t) = q for t > 0 with q the smaller tail, then restore the sign. */
  double q = p < 0.5 ? p : 1 - p;
  double lq = log(q);
  double lo = 0, hi = fmax(1, -bg_stats_norm_quantile(q));
  while (bg_stats_t_sf(hi, df) > q && hi < 1e300)
    hi *= 2;
  double t = fmin(fmax(-bg_stats_norm_quantile(q), lo), hi);
  if (t <= lo)
    t = (lo + hi) / 2;
  for (int it = 0; it < 200; it++) {
    double sf = bg_stats_t_sf(t, df);
    if (sf > q)
      lo = t;
    else
      hi = t;
    /* Newton on log sf(t) - log q: d/dt log sf = -pdf / sf. */
    double f = log(sf) - lq;
    double step = f / exp(t_logpdf(t, df) - log(sf));
    double next = t + step;
    if (!(next > lo && next < hi))
      next = (lo + hi) / 2;
    if (fabs(next - t) <= 1e-13 * fabs(t) || hi - lo <= 1e-14 * hi) {
      t = next;
      break;
    }
    t = next;
  }
  return p < 0.5 ? -t : t;
}

double bg_stats_digamma(double x) {
  double r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  double f = 1 / (x * x);
  return r + log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

double bg_stats_trigamma(double x) {
  double r = 0;
  while (x < 10) {
    r += 1 / (x * x);
    x += 1;
  }
  double f = 1 / (x * x);
  return r + 1 / x + f / 2 +
         f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30 - f * 5.0 / 66))));
}

static double tetragamma(double x) {
  double r = 0;
  while (x < 10) {
    r -= 2 / (x * x * x);
    x += 1;
  }
  double f = 1 / (x * x);
  return r - f - f / x -
         f * f * (0.5 - f * (1.0 / 6 - f * (1.0 / 6 - f * (3.0 / 10 - f * 5.0 / 6))));
}

double bg_stats_trigamma_inverse(double y) {
  if (!(y > 0))
    return NAN;
  if (y > 1e7)
    return 1 / sqrt(y);
  if (y < 1e-6)
    return 1 / y;
  double x = 0.5 + 1 / y;
  for (int i = 0; i < 50; i++) {
    double tri = bg_stats_trigamma(x);
    double dif = tri * (1 - tri / y) / tetragamma(x);
    x += dif;
    if (-dif / x < 1e-8)
      break;
  }
  return x;
}

struct pidx {
  double p;
  size_t i;
};

static int cmp_pidx(const void *a, const void *b) {
  const struct pidx *x = a, *y = b;
  if (x->p != y->p)
    return (x->p > y->p) - (x->p < y->p);
  return (x->i > y->i) - (x->i < y->i);
}

size_t bg_stats_bh(const double *p, size_t m, double *q, double alpha) {
  struct pidx *v = bg_xmalloc((m ? m : 1) * sizeof *v);
  size_t mv = 0;
  for (size_t i = 0; i < m; i++) {
    if (isnan(p[i]))
      continue;
    v[mv].p = p[i];
    v[mv].i = i;
    mv++;
  }
  for (size_t i = 0; i < m; i++)
    if (isnan(p[i]))
      q[i] = 1;
  qsort(v, mv, sizeof *v, cmp_pidx);
  double run = 1;
  size_t nrej = 0;
  for (size_t j = mv; j-- > 0;) {
    double adj = v[j].p * (double)mv / (double)(j + 1);
    if (adj < run)
      run = adj;
    q[v[j].i] = run;
    if (run <= alpha)
      nrej++;
  }
  free(v);
  return nrej;
}

int bg_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u,
                          double *p_less, double *p_greater, double *p_two) {
  double U = NAN, pl = NAN, pg = NAN, pt = NAN;
  int rc = -1;
  if (nx == 0 || ny == 0)
    goto out;
  size_t n = nx + ny;
  struct pidx *v = bg_xmalloc(n * sizeof *v);
  for (size_t i = 0; i < nx; i++)
    v[i] = (struct pidx){x[i], i};
  for (size_t i = 0; i < ny; i++)
    v[nx + i] = (struct pidx){y[i], nx + i};
  qsort(v, n, sizeof *v, cmp_pidx);
  double rx = 0, ties = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && v[j + 1].p == v[i].p)
      j++;
    double rank = (double)(i + j + 2) / 2, t = (double)(j - i + 1);
    ties += t * t * t - t;
    for (size_t k = i; k <= j; k++)
      if (v[k].i < nx)
        rx += rank;
    i = j + 1;
  }
  free(v);
  double dx = (double)nx, dy = (double)ny, dn = (double)n;
  U = rx - dx * (dx + 1) / 2;
  double U2 = dx * dy - U, mu = dx * dy / 2;
  double s = sqrt(dx * dy / 12 * ((dn + 1) - ties / (dn * (dn - 1))));
  if (!(s > 0)) {
    pl = pg = pt = 1;
  } else {
    pg = bg_stats_norm_sf((U - mu - 0.5) / s);
    pl = bg_stats_norm_sf((U2 - mu - 0.5) / s);
    pt = fmin(1, 2 * bg_stats_norm_sf((fmax(U, U2) - mu - 0.5) / s));
  }
  rc = 0;
out:
  if (u)
    *u = U;
  if (p_less)
    *p_less = pl;
  if (p_greater)
    *p_greater = pg;
  if (p_two)
    *p_two = pt;
  return rc;
}

int bg_stats_welch(const double *x, size_t nx, const double *y, size_t ny, double *t,
                   double *df, double *p_two) {
  double T = NAN, D = NAN, P = NAN;
  int rc = -1;
  if (nx < 2 || ny < 2)
    goto out;
  double vx = bg_stats_variance(x, nx) / (double)nx, vy = bg_stats_variance(y, ny) / (double)ny;
  double diff = bg_stats_mean(x, nx) - bg_stats_mean(y, ny);
  double se2 = vx + vy;
  if (se2 > 0) {
    T = diff / sqrt(se2);
    D = se2 * se2 / (vx * vx / (double)(nx - 1) + vy * vy / (double)(ny - 1));
    P = fmin(1, 2 * bg_stats_t_sf(fabs(T), D));
  } else {
    T = diff > 0 ? INFINITY : diff < 0 ? -INFINITY : 0;
    D = (double)(nx + ny - 2);
    P = diff != 0 ? 0 : 1;
  }
  rc = 0;
out:
  if (t)
    *t = T;
  if (df)
    *df = D;
  if (p_two)
    *p_two = P;
  return rc;
}
