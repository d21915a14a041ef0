/* cpd.h: change-point detection: level shifts in one series of doubles.
 *
 * Used on the per-commit centres of one benchmark on the default branch: markers on trend
 * charts, the start of the gate's baseline window and post-merge alerts. Pure
 * computation, no I/O. One default configuration serves every series; nothing is tuned per
 * series.
 *
 * Method ("robust binary segmentation with local pruning", details in docs/changepoints.md):
 *  1. Missing values (any non-finite x) are dropped; detection runs on the remaining points
 *     and every reported index is mapped back to the caller's index space.
 *  2. Noise scale sigma = 1.4826 * MAD(first differences) / sqrt(2), robust to level shifts
 *     and spikes; when that is 0 (many tied differences) the mean absolute deviation of the
 *     differences is used; when that is 0 too (constant or perfectly linear series) no change
 *     point is reported.
 *  3. Spikes: a point farther than outlier_k * sigma from the median of the 5-point window
 *     around it (the first or last five at the ends) is replaced by that median, so a one- or
 *     two-point spike never starts a segment.
 *  4. Candidates by binary segmentation: each segment is a straight line (level and slope)
 *     fitted by least squares; a segment is split at the point that most reduces the residual
 *     sum of squares, in units of sigma^2, while the reduction exceeds
 *     candidate_penalty * ln(n) and both parts keep min_segment points.
 *  5. Pruning: every candidate is re-tested against its two neighbouring segments with the
 *     residual variance of those segments (floored at sigma^2) as the noise, widened by a
 *     persistence factor (1 + r) / (1 - r), r = lag-1 autocorrelation of the first
 *     differences clamped to [0, 0.5] (1 for white noise around levels, up to 3 for smooth
 *     integrated series). The weakest candidate whose statistic is below penalty * ln(n) is
 *     removed, its neighbours re-tested, until every change point passes. Local noise and
 *     persistence make one default hold across series whose noise is not white (sawtooth,
 *     autocorrelated, heavy-tailed). The statistic is the larger of two tests: change of line
 *     (one line over both segments against one line each) and level shift (one mean against
 *     one mean each), the latter counted only when the two flat segments fit better than one
 *     line over both by shift_penalty * ln(n). A line through a step explains 3/4 of its
 *     variance, so without the second test a sustained 2 sigma shift in 100 points would be
 *     missed; the condition keeps a ramp from reading as steps. Level shifts are then moved
 *     to their best position between their neighbours and the pruning repeated, and two
 *     neighbouring change points (the ends of the short ramp a line makes around a step) are
 *     replaced by one level shift when it fits their three segments within penalty * ln(n).
 *  6. Curvature veto: a change of line must also fit its two segments better than one
 *     parabola over both, by more than curvature_penalty * ln(n) (the BIC price of the extra
 *     parameters); otherwise the weakest such point is removed and its neighbours re-tested.
 *     Smooth growth (populations, GDP) is then not cut into many steps. Level shifts are not
 *     vetoed: their test already required two flat segments to beat one line.
 * A ramp (linear drift) is therefore one segment: no change point; a change of slope is one
 * when the series around it is long enough that a parabola cannot explain it. Per-point
 * variances (within-run variance of each centre), when given, weight the least-squares fits
 * by sigma^2 / (tau^2 + v_i) with tau^2 = max(0, sigma^2 - median(v)).
 *
 * Complexity: O(n log n) for the noise estimate (sorting), O(n) for the spike filter, binary
 * segmentation O(n * depth) = O(n log n) for balanced splits (O(n k) worst case for k
 * candidates), pruning O(k^2) with k candidates, placing level shifts O(n) per round (at most
 * 4), merging ramps O(n) per merge, the curvature veto O(n) per removal (one pass over two
 * segments). In the common case (few change points) the total is O(n log n); 10 000 points take 0.6
 * to 4 ms on the 2-core development VM (docs/changepoints.md). Memory O(n).
 */
#ifndef BG_CPD_H
#define BG_CPD_H

#include <stddef.h>

/* Settings; bg_cpd_config_default() gives the one configuration used everywhere. */
struct bg_cpd_config {
  size_t min_segment;       /* fewest points in a segment; default 3, at least 2 */
  double candidate_penalty; /* binary segmentation threshold, times ln(n); default 1 */
  double penalty;           /* final threshold of the local test, times ln(n); default 8 */
  double curvature_penalty; /* how much better than one parabola, times ln(n); default 3 */
  double shift_penalty;     /* level-shift test: how much better two flat segments must fit
                               than one line, times ln(n); default 0.5; +inf disables the
                               test (lines only) */
  double outlier_k;         /* spike filter threshold in sigmas; default 5; 0 disables it */
};

/* One change point. */
struct bg_cpd_point {
  size_t index;     /* first point of the new level, in the caller's index space */
  double before;    /* level before: median of the previous segment (spike-filtered values) */
  double after;     /* level after: median of the following segment */
  double magnitude; /* after - before */
  double relative;  /* after / before - 1 when both levels are > 0, else NAN */
  double score;     /* local test statistic against one line (for a level shift: one mean)
                       over both neighbouring segments (chi-square-like, larger = stronger);
                       every reported point has score > penalty * ln(n_used) */
};

/* The detector's answer; owned by the caller, released with bg_cpd_result_free. */
struct bg_cpd_result {
  struct bg_cpd_point *points; /* ascending by index; NULL when count == 0 */
  size_t count;
  size_t n_used;      /* points that were not missing */
  double sigma;       /* the noise scale used (0 when nothing could be measured) */
  double threshold;   /* penalty * ln(n_used): the score every reported point exceeds */
  double persistence; /* noise widening factor for smooth series, 1..3 (method step 5 above) */
};

/* Returns the default configuration (min_segment 3, candidate_penalty 1, penalty 8,
 * curvature_penalty 3, shift_penalty 0.5, outlier_k 5), chosen by leave-one-series-out
 * cross-validation (tests/quality/q_cpd_cv.c, docs/changepoints.md). */
struct bg_cpd_config bg_cpd_config_default(void);

/* Detects level shifts in x[0..n-1]. `var` (may be NULL) gives each point's variance (for
 * a run centre: s^2/n); `cfg` NULL means the default. Non-finite x are missing and skipped.
 * Series with fewer than 2 * min_segment present points have no change point; neither has a
 * series whose first differences are all equal (constant or a perfect line: sigma is 0). Fills
 * `out` (which the caller frees with bg_cpd_result_free, also after an error). Deterministic.
 * Returns BG_OK, or BG_EINVAL when x/out is NULL with n > 0, a variance of a present point
 * is negative or not finite, or the configuration is invalid (min_segment < 2, a negative
 * or non-finite penalty, curvature_penalty or outlier_k, a negative or NaN shift_penalty). */
int bg_cpd_detect(const double *x, const double *var, size_t n, const struct bg_cpd_config *cfg,
                  struct bg_cpd_result *out);

/* Releases the points of `r` and zeroes it. Accepts NULL. */
void bg_cpd_result_free(struct bg_cpd_result *r);

#endif
