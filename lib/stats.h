/* stats.h: the statistics benchgate's gate and quality programs are built from.
 *
 * Descriptive statistics (mean, variance, median, quantiles, trimmed and winsorized moments,
 * MAD), the normal and Student t distributions (accurate far into the tails, through the
 * regularized incomplete beta function), digamma/trigamma for empirical-Bayes variance
 * shrinkage, Benjamini-Hochberg, Mann-Whitney U and Welch's t-test. Pure functions: no I/O,
 * no global state. Functions that take arrays never modify them unless they say so.
 */
#ifndef BG_STATS_H
#define BG_STATS_H

#include <stddef.h>

/* Arithmetic mean of x[0..n-1]; NAN when n == 0. */
double bg_stats_mean(const double *x, size_t n);

/* Sample variance (divisor n-1) of x[0..n-1]; NAN when n < 2. Two-pass, so it stays accurate
 * for values with a large common offset. */
double bg_stats_variance(const double *x, size_t n);

/* Sample variance (divisor n-1) of x[0..n-1] about its mean m, as the plain two-pass sum
 * sum((x[i] - m)^2) / (n - 1) in index order; NAN when n < 2. The server's stored result
 * summaries are computed this way: bg_stats_variance's correction term can change the last
 * bit. */
double bg_stats_variance_about(const double *x, size_t n, double m);

/* Sorts x[0..n-1] ascending in place (NaN-free input expected). */
void bg_stats_sort(double *x, size_t n);

/* Rearranges x[0..n-1] (NaN-free) so that x[k] is the value a sort would put there, with no
 * larger value before it and no smaller one after; returns x[k] (NAN when k >= n). O(n)
 * expected. */
double bg_stats_select(double *x, size_t n, size_t k);

/* The median of x[0..n-1] (NaN-free) exactly as bg_stats_quantile_sorted(sorted x, n, 0.5),
 * found in O(n) by rearranging x. NAN when n == 0. */
double bg_stats_median_inplace(double *x, size_t n);

/* Quantile of already SORTED data s[0..n-1] at probability p in [0, 1], by linear
 * interpolation between order statistics (Hyndman-Fan type 7, numpy's default). NAN when
 * n == 0 or p is outside [0, 1]. */
double bg_stats_quantile_sorted(const double *s, size_t n, double p);

/* The median of SORTED s[0..n-1]: the middle value, or the two middle values' midpoint
 * (a + b) / 2 when n is even (correctly rounded, unlike the interpolation a + (b - a) / 2 of
 * bg_stats_quantile_sorted, which can differ in the last bit). NAN when n == 0. */
double bg_stats_median_sorted(const double *s, size_t n);

/* The first i with !(s[i] < v) in ascending s[0..n-1] (n when every value is below v). */
size_t bg_stats_lower_bound(const double *s, size_t n, double v);

/* The median of |s[i] - c| over ascending s[0..n-1] (NaN-free), exactly as
 * bg_stats_median_inplace of those deviations gives it, in O(n/2 + log n): the deviations
 * are merged outward from c in ascending order. NAN when n is 0. */
double bg_stats_mad_sorted(const double *s, size_t n, double c);

/* Median of x[0..n-1] (x is not modified; a copy is sorted). NAN when n == 0. */
double bg_stats_median(const double *x, size_t n);

/* Quantile of x[0..n-1] as bg_stats_quantile_sorted, on an internal sorted copy. */
double bg_stats_quantile(const double *x, size_t n, double p);

/* Median absolute deviation from the median, unscaled (multiply by 1.4826 for a normal
 * sigma). NAN when n == 0. */
double bg_stats_mad(const double *x, size_t n);

/* Trimmed mean of SORTED data: drops g = floor(prop * n) values at each end (prop in
 * [0, 0.5)), averages the rest. NAN when n == 0. */
double bg_stats_trimmed_mean_sorted(const double *s, size_t n, double prop);

/* Winsorized sample variance (divisor n-1) of SORTED data with the same g as the trimmed
 * mean: the g lowest values are replaced by s[g], the g highest by s[n-1-g]. The
 * Tukey-McLaughlin standard error of the trimmed mean is sqrt(wvar / ((1-2g/n)^2 n)).
 * NAN when n < 2. */
double bg_stats_winsorized_variance_sorted(const double *s, size_t n, double prop);

/* A sample pooled from groups known only by their size, mean and standard deviation: n
 * values with mean `mean` and m2, the sum of their squared deviations from it. Starts as
 * {0}. */
struct bg_stats_pool {
  long long n;
  double mean, m2;
};

/* Adds a group of n >= 1 values with mean `mean` and sample standard deviation sd (divisor
 * n - 1) to the pool: Chan, Golub and LeVeque's pairwise update of the mean and m2. */
void bg_stats_pool_add(struct bg_stats_pool *p, long long n, double mean, double sd);

/* The pooled values' sample standard deviation, sqrt(m2 / (n - 1)); 0 when n < 2. */
double bg_stats_pool_stddev(const struct bg_stats_pool *p);

/* Standard normal CDF and survival function (upper tail), accurate in both tails (erfc). */
double bg_stats_norm_cdf(double z);
double bg_stats_norm_sf(double z);

/* Standard normal quantile for p in (0, 1): Acklam's rational approximation refined by one
 * Halley step, relative error about 1e-15. -INFINITY at 0, INFINITY at 1, NAN outside. */
double bg_stats_norm_quantile(double p);

/* Regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1] (continued
 * fraction, modified Lentz). NAN on invalid arguments. */
double bg_stats_betainc(double a, double b, double x);

/* Student t with df > 0 degrees of freedom (df may be fractional; df = INFINITY is the
 * normal): CDF and survival function. Computed from the incomplete beta function so that
 * tail probabilities far below 1e-8 keep their relative accuracy. NAN when df <= 0. */
double bg_stats_t_cdf(double t, double df);

/* Both tails of Student's t at once, P(T >= t) into *sf and P(T <= t) into *cdf, from one
 * incomplete-beta evaluation (half the cost of bg_stats_t_sf plus bg_stats_t_cdf, with the
 * same values). NAN into both for df <= 0 or NaN t. */
void bg_stats_t_tails(double t, double df, double *sf, double *cdf);
double bg_stats_t_sf(double t, double df);

/* Student t quantile for p in (0, 1): the t with bg_stats_t_cdf(t, df) == p, to about
 * 1e-12 relative (safeguarded Newton on the tail probability). +-INFINITY at 1 and 0. */
double bg_stats_t_quantile(double p, double df);

/* Digamma and trigamma functions for x > 0 (recurrence then asymptotic series). */
double bg_stats_digamma(double x);
double bg_stats_trigamma(double x);

/* The inverse of trigamma for y > 0: the x > 0 with trigamma(x) == y (Smyth's Newton
 * iteration, as in limma). */
double bg_stats_trigamma_inverse(double y);

/* Benjamini-Hochberg: writes the adjusted p-values (q-values, monotone, capped at 1) of
 * p[0..m-1] into q[0..m-1] (q may alias p). NaN p-values are treated as 1 and excluded from
 * m. Returns how many q-values are <= alpha, which is exactly the set BH rejects at level
 * alpha. */
size_t bg_stats_bh(const double *p, size_t m, double *q, double alpha);

/* Mann-Whitney U test of x[0..nx-1] against y[0..ny-1], normal approximation with tie
 * correction and continuity correction (scipy.stats.mannwhitneyu with
 * method="asymptotic"). *u gets U of x; *p_less is the p-value for "x tends to be smaller
 * than y", *p_greater for "larger", *p_two the two-sided one; any may be NULL. Returns 0, or
 * -1 when nx or ny is 0 (outputs NAN). */
int bg_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u,
                          double *p_less, double *p_greater, double *p_two);

/* Welch's two-sample t-test of x against y: *t = (mean(x) - mean(y)) / se, *df the
 * Welch-Satterthwaite degrees of freedom, *p_two the two-sided p-value; any may be NULL.
 * Returns 0, or -1 when a sample has fewer than 2 values (outputs NAN). When both variances
 * are 0 the statistic is +-INFINITY (or 0 for equal means). */
int bg_stats_welch(const double *x, size_t nx, const double *y, size_t ny, double *t,
                   double *df, double *p_two);

#endif
