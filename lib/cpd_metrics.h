/* cpd_metrics.h: the Turing Change Point Dataset's evaluation metrics (F1 with a margin, Cover).
 *
 * Reimplements what TCPDBench computes (van den Burg and Williams 2020; see
 * ../shared/data/tcpd/README.md) so benchgate's detector is scored with the published
 * method's own yardstick. Change points are indices of the first point of a new segment.
 * Predictions are cleaned first with bg_cpd_metrics_clean (duplicates removed, only
 * 1 <= x <= n-2 kept); annotations are used as given.
 */
#ifndef BG_CPD_METRICS_H
#define BG_CPD_METRICS_H

#include <stddef.h>

/* One annotator's change points (any order, duplicates allowed). */
struct bg_cpd_annotation {
  const size_t *points;
  size_t count;
};

/* Writes the cleaned predictions of pred[0..k-1] for a series of n_obs points into out
 * (room for k): sorted, duplicates removed, only 1 <= x <= n_obs - 2 kept. Returns how many
 * were written. `out` may alias `pred`. */
size_t bg_cpd_metrics_clean(const size_t *pred, size_t k, size_t n_obs, size_t *out);

/* TCPD F1: index 0 is added to every annotator's set and to the prediction set; true
 * positives are counted greedily one-to-one (annotated points in ascending order, each takes
 * the closest still unused prediction within `margin`, the smaller one on a tie). Precision
 * is the hits against the union of all annotators' sets over |X|, recall the mean over
 * annotators of their hits over their set size; F1 = 2PR / (P + R). Writes F1 and, when not
 * NULL, precision and recall. Returns BG_OK, or BG_EINVAL (no annotator, NULL arrays with a
 * non-zero count, NULL f1). */
int bg_cpd_metrics_f1(const struct bg_cpd_annotation *ann, size_t n_ann, const size_t *pred,
                      size_t k, size_t margin, double *f1, double *precision, double *recall);

/* TCPD Cover for a series of n_obs points: per annotator C = (1/n) sum over its segments A of
 * |A| * max over predicted segments P of |A n P| / |A u P|; the result is the mean of C over
 * annotators. Change points outside 1..n_obs-1 do not cut anything. Returns BG_OK or
 * BG_EINVAL (no annotator, n_obs == 0, NULL arrays with a non-zero count, NULL cover). */
int bg_cpd_metrics_cover(const struct bg_cpd_annotation *ann, size_t n_ann, const size_t *pred,
                         size_t k, size_t n_obs, double *cover);

#endif
