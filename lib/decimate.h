/* decimate.h: choosing the points of a long series a chart draws.
 *
 * A trend of 10 000 points drawn 800 pixels wide shows no more than a few hundred points, so
 * the server sends at most about max_points of them. Which ones matters more than how many:
 *
 * - the special points the caller marks (the first and last point, the commits of change
 *   points and of regression alerts) are always kept, so a marker never points at a point
 *   that is not there;
 * - the rest are chosen per bucket: the points, in order, fall into max_points / 2 buckets of
 *   equal count, and each bucket gives its smallest and its largest value (min/max
 *   decimation). A single-commit spike therefore survives, which averaging or taking every
 *   k-th point would hide, and the line keeps the envelope of the series.
 *
 * The result is a sorted list of indexes into the input: at most (max_points / 2) * 2 bucket
 * points plus the special points (a special point that is also a bucket's min or max counts
 * once). One pass over the input, no allocation beyond a flag per point. Pure: no store, no
 * I/O, so it is tested on hand-computed series (tests/unit/test_decimate.c).
 */
#ifndef BG_DECIMATE_H
#define BG_DECIMATE_H

#include <stddef.h>

/* Chooses the points of v[0..n-1] to keep: keep[i] != 0 marks a special point (keep may be
 * NULL), max_points the budget of bucket points (below 2: none). Writes the kept indexes,
 * ascending, to out[] (room for n) and returns their count. When n <= max_points every index is
 * kept. A NaN value is kept only when special or when its bucket has no other value. */
size_t bg_decimate(const double *v, size_t n, const unsigned char *keep, size_t max_points,
                   size_t *out);

#endif
