/* window.h: a window of runs' values that stays sorted as it moves on.
 *
 * A baseline window holds the newest N runs of a series. From one upload to the next it moves
 * on by a run: the newest comes in, the oldest leaves. The gate needs the window's values
 * sorted (medians, MAD, trimmed means); sorting 100 values per series per upload was most of
 * a verdict's time. A bg_window keeps them sorted and updates them by a few insertions and
 * deletions when it merely moved on by a few runs (or back: concurrent uploads may decide on
 * snapshots out of order), and sorts afresh otherwise. Either way `sorted` holds
 * exactly the values, ascending, so what is computed from it does not depend on the path.
 */
#ifndef BG_WINDOW_H
#define BG_WINDOW_H

#include <stddef.h>

#define BG_WINDOW_MAX_STEPS 8 /* runs that may leave, and come in, for an update in place */

struct bg_window {
  size_t n, cap;
  long long *ids; /* the runs, newest first */
  double *vals;   /* their values, in the same order */
  double *sorted; /* the same values, ascending */
};

/* Makes w hold runs ids[0..n-1] (newest first, distinct) with values v[0..n-1] (NaN-free;
 * a run's value must never change). A zeroed struct is an empty window. */
void bg_window_set(struct bg_window *w, const long long *ids, const double *v, size_t n);

/* Frees what w owns and empties it; accepts a zeroed struct. */
void bg_window_free(struct bg_window *w);

#endif
