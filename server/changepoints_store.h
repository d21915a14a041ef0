/* changepoints_store.h: the storage change-point detection reads and writes.
 *
 * changepoints.c decides which series to recompute and what the detector found means; this
 * module is every query it needs: the run an upload stored, the tail of default-branch runs
 * of a testbed, a series' results in it, the screening state each recompute leaves
 * (series_cp_state), the change points found (changepoints, schema/003_changepoints.sql), and
 * the change points and alerts a series read lists. Alerts and baseline starts are alerts.h's.
 */
#ifndef BG_CHANGEPOINTS_STORE_H
#define BG_CHANGEPOINTS_STORE_H

#include "buf.h"
#include "error.h"
#include "store.h"

#include <stddef.h>

/* A stored run as change-point detection sees it. */
struct bg_changepoints_run {
  long long testbed, branch; /* ids */
  int on_default;            /* 1: a run of the default branch, not of a pull request */
};

/* Reads run `rid` (runs.id); on_default compares its branch with `default_branch`. BG_OK,
 * BG_ENOENT (no such run), BG_EDB. */
int bg_changepoints_store_run(struct bg_store *s, long long rid, const char *default_branch,
                              struct bg_changepoints_run *r);

/* One run of a testbed's tail. */
struct bg_changepoints_tail_run {
  long long id, commit, epoch;
};

/* The newest `max` runs (by commit time, commit, run) of branch `branch` (pull requests left
 * out) on testbed `testbed` of project project_id, newest first, in runs[*n]. BG_OK or
 * BG_EDB. */
int bg_changepoints_store_tail_runs(struct bg_store *s, long long project_id, long long testbed,
                                    long long branch, size_t max,
                                    struct bg_changepoints_tail_run *runs, size_t *n);

/* Calls row(arg, run, log_center, mean) for each result of series (benchmark, measure) in a
 * run with id >= from_run, on any testbed or branch (the caller keeps the runs of its tail);
 * NAN where a column is NULL. BG_OK or BG_EDB. */
int bg_changepoints_store_series_results(
    struct bg_store *s, long long benchmark, long long measure, long long from_run,
    void (*row)(void *arg, long long run, double log_center, double mean), void *arg);

/* The screening state of a series, as its last recompute left it. */
struct bg_changepoints_state {
  double level, sigma; /* the last segment's level and the noise scale; NAN where not known */
  int scale_log;       /* 1: on the log scale */
};

/* Calls result(arg, benchmark, measure, log_center, raw_center, state) for each result of run
 * `rid`, by benchmark and measure, with the series' state on testbed `testbed` (NULL when the
 * series has none yet); the centres are NAN where NULL. BG_OK or BG_EDB. */
int bg_changepoints_store_screen(struct bg_store *s, long long rid, long long testbed,
                                 void (*result)(void *arg, long long benchmark, long long measure,
                                                double log_center, double raw_center,
                                                const struct bg_changepoints_state *state),
                                 void *arg);

/* Replaces the screening state of series (testbed, benchmark, measure). BG_OK or BG_EDB. */
int bg_changepoints_store_state_set(struct bg_store *s, long long testbed, long long benchmark,
                                    long long measure, const struct bg_changepoints_state *st);

/* A change point as stored. */
struct bg_changepoint {
  long long project, testbed, benchmark, measure;
  long long commit, prev_commit; /* the first commit of the new level, the last of the old */
  long long epoch;               /* the commit's */
  double before, after, magnitude, relative, score; /* NAN: stored as NULL */
  long long detected_at;
};

/* Deletes the change points of series (testbed, benchmark, measure) at commits of epoch
 * `from_epoch` or later. BG_OK or BG_EDB. */
int bg_changepoints_store_delete(struct bg_store *s, long long testbed, long long benchmark,
                                 long long measure, long long from_epoch);

/* Stores change point *cp, replacing one of the series at that commit. BG_OK or BG_EDB. */
int bg_changepoints_store_insert(struct bg_store *s, const struct bg_changepoint *cp);

/* Appends `"change_points":[...],"alerts":[...]` for series (testbed, benchmark, measure) of
 * project project_id. commits[0..n-1] are the commit ids of the points the caller returns,
 * oldest first; a change point's "index" is its commit's position there (null when outside).
 * Change points are listed only when `on_default` (the series of the default branch); alerts
 * (bg_alerts_series_json) always. BG_OK or BG_EDB. */
int bg_changepoints_store_series_json(struct bg_store *s, long long project_id,
                                      long long testbed_id, long long benchmark_id,
                                      long long measure_id, const long long *commits, size_t n,
                                      int on_default, struct bg_buf *out);

/* The commit ids a series read must keep when it decimates (in *ids, *n of them, malloc'd,
 * in no order): each change point's commit and the last commit before it (only when
 * `on_default`, as series_json lists change points), and every commit with a regression
 * alert of the series. BG_OK or BG_EDB. */
int bg_changepoints_store_series_commits(struct bg_store *s, long long project_id,
                                         long long testbed_id, long long benchmark_id,
                                         long long measure_id, int on_default, long long **ids,
                                         size_t *n);

#endif
