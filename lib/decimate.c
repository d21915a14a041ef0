/* decimate.c: min/max decimation with kept special points (decimate.h). */
#include "decimate.h"

#include "mem.h"

#include <math.h>
#include <stdlib.h>

/* Marks in `take` the smallest and the largest value of v[lo..hi-1] (the first of equal
 * ones); a bucket of NaNs only gives its first point. */
static void bucket_extremes(const double *v, size_t lo, size_t hi, unsigned char *take) {
  size_t min = hi, max = hi;
  for (size_t i = lo; i < hi; i++) {
    if (isnan(v[i]))
      continue;
    if (min == hi || v[i] < v[min])
      min = i;
    if (max == hi || v[i] > v[max])
      max = i;
  }
  if (min == hi) {
    take[lo] = 1;
    return;
  }
  take[min] = 1;
  take[max] = 1;
}

size_t bg_decimate(const double *v, size_t n, const unsigned char *keep, size_t max_points,
                   size_t *out) {
  size_t count = 0;
  if (n <= max_points) {
    for (size_t i = 0; i < n; i++)
      out[i] = i;
    return n;
  }
  unsigned char *take = bg_xcalloc(n, 1);
  size_t buckets = max_points / 2; /* 0 when max_points < 2: the special points only */
  take[0] = take[n - 1] = 1;
  for (size_t b = 0; b < buckets; b++)
    bucket_extremes(v, b * n / buckets, (b + 1) * n / buckets, take);
  count = 0;
  for (size_t i = 0; i < n; i++)
    if (take[i] || (keep && keep[i]))
      out[count++] = i;
  free(take);
  return count;
}
