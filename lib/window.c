/* window.c: a window of runs' values that stays sorted as it moves on (window.h). */
#include "window.h"

#include "mem.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>

/* Whether ids[0..n-1] is w's runs shifted by d (new index = old index + d) where they
 * overlap, with at most BG_WINDOW_MAX_STEPS runs leaving and as many coming in. */
static int shifted_by(const struct bg_window *w, const long long *ids, size_t n, long d) {
  long m = (long)w->n, lo = d < 0 ? -d : 0, hi = m < (long)n - d ? m : (long)n - d;
  if (hi - lo < 1 || m - (hi - lo) > BG_WINDOW_MAX_STEPS ||
      (long)n - (hi - lo) > BG_WINDOW_MAX_STEPS)
    return 0;
  return !memcmp(ids + lo + d, w->ids + lo, (size_t)(hi - lo) * sizeof *ids);
}

/* The shift that turns w into ids[0..n-1] (see shifted_by): positive when the window moved on
 * to newer runs, negative when an older snapshot's decision comes after a newer one's;
 * *found 0 when there is none. */
static long shift_to(const struct bg_window *w, const long long *ids, size_t n, int *found) {
  *found = 1;
  for (long d = 0; d <= BG_WINDOW_MAX_STEPS && d < (long)n; d++)
    if (ids[d] == w->ids[0] && shifted_by(w, ids, n, d))
      return d;
  for (long d = 1; d <= BG_WINDOW_MAX_STEPS && d < (long)w->n; d++)
    if (w->ids[d] == ids[0] && shifted_by(w, ids, n, -d))
      return -d;
  *found = 0;
  return 0;
}

static void remove_value(double *sorted, size_t *len, double v) {
  size_t at = bg_stats_lower_bound(sorted, *len, v);
  memmove(sorted + at, sorted + at + 1, (*len - at - 1) * sizeof *sorted);
  (*len)--;
}

static void insert_value(double *sorted, size_t *len, double v) {
  size_t at = bg_stats_lower_bound(sorted, *len, v);
  memmove(sorted + at + 1, sorted + at, (*len - at) * sizeof *sorted);
  sorted[at] = v;
  (*len)++;
}

void bg_window_set(struct bg_window *w, const long long *ids, const double *v, size_t n) {
  if (n == w->n && (!n || !memcmp(ids, w->ids, n * sizeof *ids)))
    return;
  int found = 0;
  long d = w->n && n ? shift_to(w, ids, n, &found) : 0;
  size_t len = w->n, cap = n > w->n ? n : w->n;
  if (cap > w->cap) {
    w->cap = cap;
    w->ids = bg_xrealloc(w->ids, cap * sizeof *w->ids);
    w->vals = bg_xrealloc(w->vals, cap * sizeof *w->vals);
    w->sorted = bg_xrealloc(w->sorted, cap * sizeof *w->sorted);
  }
  if (found) {
    /* Old runs [lo, hi) stay (at new index + d); the others leave, the new ones come in. */
    long m = (long)w->n, lo = d < 0 ? -d : 0, hi = m < (long)n - d ? m : (long)n - d;
    for (long i = 0; i < m; i++)
      if (i < lo || i >= hi)
        remove_value(w->sorted, &len, w->vals[i]);
    for (long i = 0; i < (long)n; i++)
      if (i < lo + d || i >= hi + d)
        insert_value(w->sorted, &len, v[i]);
  } else {
    memcpy(w->sorted, v, n * sizeof *v);
    bg_stats_sort(w->sorted, n);
  }
  memcpy(w->ids, ids, n * sizeof *ids);
  memcpy(w->vals, v, n * sizeof *v);
  w->n = n;
}

void bg_window_free(struct bg_window *w) {
  free(w->ids);
  free(w->vals);
  free(w->sorted);
  memset(w, 0, sizeof *w);
}
