/* cpd_metrics.c: TCPD's F1 (margin) and Cover, as TCPDBench computes them.
 *
 * Sets are small (tens of points), so the matching is a plain quadratic scan; partitions are
 * compared with a linear merge of the two sorted boundary lists.
 */
#include "cpd_metrics.h"

#include "error.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

/* Sorts v[0..k-1] and removes duplicates; returns the new count. */
static size_t sort_unique(size_t *v, size_t k) {
  if (!k)
    return 0;
  qsort(v, k, sizeof *v, cmp_size);
  size_t u = 1;
  for (size_t i = 1; i < k; i++)
    if (v[i] != v[u - 1])
      v[u++] = v[i];
  return u;
}

size_t bg_cpd_metrics_clean(const size_t *pred, size_t k, size_t n_obs, size_t *out) {
  size_t u = 0;
  for (size_t i = 0; i < k; i++)
    if (pred[i] >= 1 && n_obs >= 3 && pred[i] <= n_obs - 2)
      out[u++] = pred[i];
  return sort_unique(out, u);
}

/* A set with 0 added: sorted unique copy of v plus 0. Caller frees. */
static size_t *with_zero(const size_t *v, size_t k, size_t *count) {
  size_t *s = bg_xmalloc((k + 1) * sizeof *s);
  if (k)
    memcpy(s, v, k * sizeof *v);
  s[k] = 0;
  *count = sort_unique(s, k + 1);
  return s;
}

/* Greedy one-to-one hits of sorted t[] against sorted x[] within margin. */
static size_t true_positives(const size_t *t, size_t nt, const size_t *x, size_t nx, size_t margin,
                             unsigned char *used) {
  size_t hits = 0;
  memset(used, 0, nx);
  for (size_t i = 0; i < nt; i++) {
    size_t best = nx, bestd = 0;
    for (size_t j = 0; j < nx; j++) {
      if (used[j])
        continue;
      size_t d = t[i] > x[j] ? t[i] - x[j] : x[j] - t[i];
      if (d <= margin && (best == nx || d < bestd)) { /* ascending x: ties keep the smaller */
        best = j;
        bestd = d;
      }
    }
    if (best < nx) {
      used[best] = 1;
      hits++;
    }
  }
  return hits;
}

int bg_cpd_metrics_f1(const struct bg_cpd_annotation *ann, size_t n_ann, const size_t *pred,
                      size_t k, size_t margin, double *f1, double *precision, double *recall) {
  int rc = BG_OK;
  size_t *x = NULL, *all = NULL, *tk = NULL;
  unsigned char *used = NULL;
  if (!ann || !n_ann || !f1 || (k && !pred))
    return BG_EINVAL;
  size_t total = 0;
  for (size_t a = 0; a < n_ann; a++) {
    if (ann[a].count && !ann[a].points)
      return BG_EINVAL;
    total += ann[a].count;
  }
  size_t nx;
  x = with_zero(pred, k, &nx);
  used = bg_xmalloc(nx);
  all = bg_xmalloc((total + 1) * sizeof *all);
  size_t na = 0;
  for (size_t a = 0; a < n_ann; a++)
    for (size_t i = 0; i < ann[a].count; i++)
      all[na++] = ann[a].points[i];
  all[na++] = 0;
  na = sort_unique(all, na);
  double p = (double)true_positives(all, na, x, nx, margin, used) / (double)nx;
  double r = 0.0;
  for (size_t a = 0; a < n_ann; a++) {
    size_t nt;
    free(tk);
    tk = with_zero(ann[a].points, ann[a].count, &nt);
    r += (double)true_positives(tk, nt, x, nx, margin, used) / (double)nt;
  }
  r /= (double)n_ann;
  *f1 = p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0;
  if (precision)
    *precision = p;
  if (recall)
    *recall = r;
  free(x);
  free(all);
  free(tk);
  free(used);
  return rc;
}

/* Segment boundaries of 0..n-1 cut by cps: b[0] = 0, ..., b[count] = n. Caller frees. */
static size_t *boundaries(const size_t *cps, size_t k, size_t n, size_t *count) {
  size_t *b = bg_xmalloc((k + 2) * sizeof *b);
  size_t u = 0;
  b[u++] = 0;
  for (size_t i = 0; i < k; i++)
    if (cps[i] >= 1 && cps[i] < n)
      b[u++] = cps[i];
  u = sort_unique(b, u);
  b[u] = n;
  *count = u; /* number of segments */
  return b;
}

/* C for one annotator's boundaries a[] against the predicted boundaries p[]. */
static double cover_one(const size_t *a, size_t na, const size_t *p, size_t np, size_t n) {
  double c = 0.0;
  size_t j = 0;
  for (size_t i = 0; i < na; i++) {
    size_t a0 = a[i], a1 = a[i + 1];
    while (j < np && p[j + 1] <= a0)
      j++;
    double best = 0.0;
    for (size_t q = j; q < np && p[q] < a1; q++) {
      size_t lo = a0 > p[q] ? a0 : p[q], hi = a1 < p[q + 1] ? a1 : p[q + 1];
      size_t ulo = a0 < p[q] ? a0 : p[q], uhi = a1 > p[q + 1] ? a1 : p[q + 1];
      double jac = (double)(hi - lo) / (double)(uhi - ulo);
      if (jac > best)
        best = jac;
    }
    c += (double)(a1 - a0) * best;
  }
  return c / (double)n;
}

int bg_cpd_metrics_cover(const struct bg_cpd_annotation *ann, size_t n_ann, const size_t *pred,
                         size_t k, size_t n_obs, double *cover) {
  if (!ann || !n_ann || !n_obs || !cover || (k && !pred))
    return BG_EINVAL;
  for (size_t a = 0; a < n_ann; a++)
    if (ann[a].count && !ann[a].points)
      return BG_EINVAL;
  size_t np;
  size_t *p = boundaries(pred, k, n_obs, &np);
  double sum = 0.0;
  for (size_t a = 0; a < n_ann; a++) {
    size_t na;
    size_t *b = boundaries(ann[a].points, ann[a].count, n_obs, &na);
    sum += cover_one(b, na, p, np, n_obs);
    free(b);
  }
  free(p);
  *cover = sum / (double)n_ann;
  return BG_OK;
}
