/* window.c: a window of runs' values that stays sorted as it moves on (window.h). */
#include "window.h"

#include "mem.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>

/* The first i with !(s[i] < v). */
static size_t lower_bound(const double *s, size_t n, double v) {
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

/* The number of runs w moved on by to become ids[0..n-1] (new runs in front of the newest of
 * the old ones, at most BG_WINDOW_MAX_STEPS in and out), or 0 when it did not merely move on. */
static size_t steps_to(const struct bg_window *w, const long long *ids, size_t n) {
  for (size_t j = 1; j <= BG_WINDOW_MAX_STEPS && j < n; j++)
    if (n - j <= w->n && ids[j] == w->ids[0] && w->n - (n - j) <= BG_WINDOW_MAX_STEPS &&
        !memcmp(ids + j, w->ids, (n - j) * sizeof *ids))
      return j;
  return 0;
}

void bg_window_set(struct bg_window *w, const long long *ids, const double *v, size_t n) {
  if (n == w->n && (!n || !memcmp(ids, w->ids, n * sizeof *ids)))
    return;
  size_t steps = w->n ? steps_to(w, ids, n) : 0, len = w->n;
  if (n > w->cap) {
    w->cap = n;
    w->ids = bg_xrealloc(w->ids, n * sizeof *w->ids);
    w->vals = bg_xrealloc(w->vals, n * sizeof *w->vals);
    w->sorted = bg_xrealloc(w->sorted, n * sizeof *w->sorted);
  }
  if (steps) {
    for (size_t d = n - steps; d < w->n; d++) { /* the oldest leave */
      size_t at = lower_bound(w->sorted, len, w->vals[d]);
      memmove(w->sorted + at, w->sorted + at + 1, (len - at - 1) * sizeof *w->sorted);
      len--;
    }
    for (size_t i = 0; i < steps; i++) { /* the new come in */
      size_t at = lower_bound(w->sorted, len, v[i]);
      memmove(w->sorted + at + 1, w->sorted + at, (len - at) * sizeof *w->sorted);
      w->sorted[at] = v[i];
      len++;
    }
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
