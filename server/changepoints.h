/* changepoints.h: change points of default-branch series inside benchgated.
 *
 * lib/cpd.c finds level shifts in one series; this module decides which series to look at
 * after an upload, feeds the detector the recent tail of each (the per-commit centres of
 * default-branch runs, median of a commit's runs, log scale when every centre is positive),
 * stores what it finds (schema/003_changepoints.sql), moves the series' baseline start to the
 * latest change point (bg_alerts_series_start) and raises a 'changepoint' alert for a new
 * change point that moves a series by at least its min_effect in the worse direction. Its
 * queries are changepoints_store.h's (which also lists a series' change points for
 * GET .../series); alerts and baseline starts are alerts.h's.
 *
 * Cost (docs/changepoints.md): per upload one screening query; the detector runs only on the
 * series the screen flags (no noise measured yet, a point far from the last level, and on
 * every BG_CP_EVERY-th upload, staggered by series), each on its results in the newest
 * BG_CP_TAIL default-branch runs of the testbed.
 */
#ifndef BG_CHANGEPOINTS_H
#define BG_CHANGEPOINTS_H

#include "buf.h"
#include "error.h"
#include "store.h"

#include <stddef.h>

#define BG_CP_TAIL 128   /* default-branch runs the detector sees: the recomputed tail */
#define BG_CP_EVERY 32   /* every series is recomputed on every this-many-th upload */
#define BG_CP_SCREEN 3.0 /* a point this many noise scales from the last level is recomputed */
/* A change point counts (stored, alerted, moves the baseline) once its new level has this many
 * points: with fewer, the detector at the end of a series may still place it one commit early
 * (a 3-point segment of one old and two new points fits a line). */
#define BG_CP_CONFIRM 4
/* When the tail is cut (the series is longer than BG_CP_TAIL runs), change points within this
 * many points of its start are neither reported nor replaced: their old level is cut off. */
#define BG_CP_MARGIN 8

/* After stored run `rid` (runs.id) of project p was judged: when it is a default-branch run
 * (not a pull request), records its centres, recomputes the flagged series' change points,
 * moves their baseline starts and opens alerts. Runs inside the upload's write transaction;
 * does nothing for other runs. BG_OK, BG_ENOENT (no such run) or BG_EDB. */
int bg_changepoints_update_run(struct bg_store *s, const struct bg_project *p, long long rid);

/* Recomputes the change points of one default-branch series now (the same work as an upload
 * does for a flagged series); call inside a write transaction. Tests and tools use it.
 * BG_OK or BG_EDB. */
int bg_changepoints_recompute(struct bg_store *s, const struct bg_project *p, long long testbed_id,
                              long long benchmark_id, long long measure_id);

#endif
