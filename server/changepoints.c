/* changepoints.c: change points of default-branch series, recomputed on upload.
 *
 * An upload of a default-branch run screens every series of the run with one query that joins
 * the run's results to series_cp_state (written only when a series is recomputed). A series is
 * recomputed when the detector has not measured its noise yet (young or noiseless series),
 * when its new point lies more than BG_CP_SCREEN noise scales from the level of its last
 * segment, or on every BG_CP_EVERY-th upload (by run id, staggered by series so a suite's
 * series do not all fall due on the same upload). A late upload (an older commit) is screened
 * like any other point: concurrent agents upload out of order all the time. A point that can
 * create or move a change point is either far from the current level (a step shows at once) or
 * part of a slow drift, which the periodic recompute catches within about BG_CP_EVERY points
 * (exactly, when the testbed's runs are the only uploads).
 *
 * Recomputing a series reads its results in the tail (the newest BG_CP_TAIL default-branch runs
 * of the testbed, loaded once per upload) from one covering range of the results_series index
 * (which every upload writes anyway: the tail costs no extra write), combines the runs of each
 * commit (median of their centres), runs
 * bg_cpd_detect, replaces the series' change points from the start of that tail on (less a
 * margin whose old level is cut off), moves the baseline start to the latest one and raises
 * alerts.
 *
 * The queries are changepoints_store.c's, the alerts and baseline starts alerts.c's, the names
 * of a series store.h's, and the thresholds the gate's (baseline.h: those of the latest
 * default-branch run): this file decides, they read and write.
 */
#include "changepoints.h"

#include "alerts.h"
#include "baseline.h"
#include "changepoints_store.h"
#include "cpd.h"
#include "gate.h"
#include "mem.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What one upload shares between its series: the run and, loaded on first need, the
 * thresholds that decide min_effect and the tail's runs. */
struct ctx {
  const struct bg_project *p;
  long long rid, testbed, branch, now;
  int th_loaded;
  struct bg_gate_thresholds *th;
  int runs_loaded, runs_full;   /* runs_full: the tail holds every default-branch run */
  struct bg_changepoints_tail_run runs[BG_CP_TAIL]; /* the tail's runs, ascending by id */
  size_t nruns;
};

static int cmp_trun(const void *a, const void *b) {
  const struct bg_changepoints_tail_run *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

/* Loads the tail's runs: the newest BG_CP_TAIL default-branch runs on the testbed. */
static int load_runs(struct bg_store *s, struct ctx *c) {
  if (c->runs_loaded)
    return BG_OK;
  int rc = bg_changepoints_store_tail_runs(s, c->p->id, c->testbed, c->branch, BG_CP_TAIL, c->runs,
                                           &c->nruns);
  if (rc)
    return rc;
  qsort(c->runs, c->nruns, sizeof *c->runs, cmp_trun);
  c->runs_full = c->nruns < BG_CP_TAIL;
  c->runs_loaded = 1;
  return BG_OK;
}

/* The gate's thresholds: those of the latest run of the default branch (c->branch). */
static int load_thresholds(struct bg_store *s, struct ctx *c) {
  long long run = 0, epoch;
  if (c->th_loaded)
    return BG_OK;
  int rc = bg_vstore_latest_run(s, c->p->id, c->branch, &run, &epoch);
  if (rc == BG_OK)
    rc = bg_baseline_thresholds(s, run, NULL, &c->th);
  if (rc == BG_OK)
    c->th_loaded = 1;
  return rc;
}

/* One commit of a series' tail. */
struct tpoint {
  long long epoch, commit;
  double x;
};

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One result of the tail. */
struct trow {
  long long epoch, commit, run;
  double lc, rc; /* log centre, raw centre (the mean) */
};

/* Oldest first: commit time, commit, run. */
static int cmp_trow(const void *a, const void *b) {
  const struct trow *x = a, *y = b;
  if (x->epoch != y->epoch)
    return (x->epoch > y->epoch) - (x->epoch < y->epoch);
  if (x->commit != y->commit)
    return (x->commit > y->commit) - (x->commit < y->commit);
  return (x->run > y->run) - (x->run < y->run);
}

/* The results of a series' tail as bg_changepoints_store_series_results hands them over. */
struct tail_read {
  const struct ctx *c;
  struct trow *rows; /* BG_CP_TAIL of them */
  size_t n;
  int all_log; /* 1 while every result has a log centre */
};

/* Keeps a result of run `run` when the run is in the tail. */
static void tail_row(void *arg, long long run, double lc, double mean) {
  struct tail_read *t = arg;
  const struct bg_changepoints_tail_run key = {.id = run};
  const struct bg_changepoints_tail_run *r =
      bsearch(&key, t->c->runs, t->c->nruns, sizeof *t->c->runs, cmp_trun);
  if (!r || t->n == BG_CP_TAIL)
    return; /* another testbed's, branch's or pull request's run */
  struct trow *x = &t->rows[t->n++];
  x->epoch = r->epoch;
  x->commit = r->commit;
  x->run = r->id;
  /* The robust log centre; a series with a non-positive value (no log centre) is read on
   * the raw scale through the mean of each result, the centre the index holds. */
  x->rc = mean;
  x->lc = lc;
  if (isnan(lc) && x->rc > 0)
    x->lc = log(x->rc); /* a result stored before the gate's columns */
  if (!isfinite(x->lc))
    t->all_log = 0;
}

/* The per-commit points of rows[0..nrows-1] (sorted oldest first), on the log scale when
 * `all_log`: the median of a commit's centres. Returns them (caller frees) with *n. */
static struct tpoint *commit_points(const struct trow *rows, size_t nrows, int all_log, size_t *n) {
  struct tpoint *pts = bg_xmalloc((nrows ? nrows : 1) * sizeof *pts);
  double xs[BG_CP_TAIL];
  size_t np = 0;
  for (size_t begin = 0; begin < nrows;) {
    size_t end = begin + 1;
    while (end < nrows && rows[end].commit == rows[begin].commit)
      end++;
    size_t k = 0;
    for (size_t i = begin; i < end; i++) {
      double x = all_log ? rows[i].lc : rows[i].rc;
      if (isfinite(x))
        xs[k++] = x;
    }
    if (k) {
      struct tpoint *t = &pts[np++];
      t->epoch = rows[begin].epoch;
      t->commit = rows[begin].commit;
      t->x = median(xs, k);
    }
    begin = end;
  }
  *n = np;
  return pts;
}

/* Reads the tail of series (bid, mid): its results in the tail's runs, as per-commit points
 * oldest first. *log_scale tells which scale: log when every result has a log centre. */
static int read_tail(struct bg_store *s, struct ctx *c, long long bid, long long mid,
                     struct tpoint **out, size_t *n, int *log_scale) {
  struct trow rows[BG_CP_TAIL];
  struct tail_read t = {.c = c, .rows = rows, .all_log = 1};
  int rc;
  *out = NULL;
  *n = 0;
  if ((rc = load_runs(s, c)))
    return rc;
  if (!c->nruns)
    return BG_OK;
  if ((rc = bg_changepoints_store_series_results(s, bid, mid, c->runs[0].id, tail_row, &t)))
    return rc;
  qsort(rows, t.n, sizeof *rows, cmp_trow);
  *log_scale = t.all_log;
  *out = commit_points(rows, t.n, t.all_log, n);
  return BG_OK;
}

/* *seen = 1 when a change point at commit index i of pts was already alerted for series k (at
 * that commit or within two points of it: a level found again one commit off is the same
 * change). */
static int already_alerted(struct bg_store *s, const struct bg_alert_key *k,
                           const struct tpoint *pts, size_t n, size_t i, int *seen) {
  long long near[5];
  for (int d = -2; d <= 2; d++) {
    long long j = (long long)i + d;
    near[d + 2] = j >= 0 && j < (long long)n ? pts[j].commit : -1;
  }
  return bg_alerts_changepoint_seen(s, k, near, seen);
}

/* Opens a changepoint alert for a worsening of at least min_effect. */
static int maybe_alert(struct bg_store *s, struct ctx *c, long long bid, long long mid,
                       const struct tpoint *pts, size_t n, size_t i, double change) {
  struct bg_store_series_names names;
  double min_effect = 0.02;
  int rc, ignored = 0, seen = 0;
  if (!isfinite(change) || change == 0)
    return BG_OK;
  if ((rc = bg_store_series_names(s, bid, mid, &names)) || (rc = load_thresholds(s, c)))
    return rc;
  bg_gate_thresholds_lookup(c->th, names.benchmark, names.measure, &min_effect, &ignored);
  double worse = strcmp(names.direction, "higher") == 0 ? -change : change;
  if (ignored || !(worse >= min_effect))
    return BG_OK;
  const struct bg_alert_key k = {c->p->id, c->testbed, bid, mid, pts[i].commit};
  if ((rc = already_alerted(s, &k, pts, n, i, &seen)) || seen)
    return rc;
  return bg_alerts_open_changepoint(s, &k, c->rid, pts[i - 1].commit, change, c->now);
}

/* Replaces the change points of series (bid, mid) from the tail's start on (less `margin`
 * points, whose old level is cut off) with the confirmed ones of res, found on pts[0..n-1],
 * and raises their alerts. */
static int store_points(struct bg_store *s, struct ctx *c, long long bid, long long mid,
                        const struct tpoint *pts, size_t n, int log_scale, size_t margin,
                        const struct bg_cpd_result *res) {
  /* A cut tail cannot see a change near its first point (its old level is cut off): the
   * stored change points there stay as they were found, and none is reported there now. */
  long long from_epoch = c->runs_full ? LLONG_MIN : n > margin ? pts[margin].epoch : LLONG_MAX;
  int rc = bg_changepoints_store_delete(s, c->testbed, bid, mid, from_epoch);
  for (size_t k = 0; k < res->count && rc == BG_OK; k++) {
    const struct bg_cpd_point *cp = &res->points[k];
    size_t i = cp->index;
    if (i < margin || n - i < BG_CP_CONFIRM) /* see BG_CP_CONFIRM */
      continue;
    double before = log_scale ? exp(cp->before) : cp->before;
    double after = log_scale ? exp(cp->after) : cp->after;
    double change = log_scale ? expm1(cp->after - cp->before) : cp->relative;
    const struct bg_changepoint row = {.project = c->p->id,
                                       .testbed = c->testbed,
                                       .benchmark = bid,
                                       .measure = mid,
                                       .commit = pts[i].commit,
                                       .prev_commit = pts[i - 1].commit,
                                       .epoch = pts[i].epoch,
                                       .before = before,
                                       .after = after,
                                       .magnitude = after - before,
                                       .relative = change,
                                       .score = cp->score,
                                       .detected_at = c->now};
    rc = bg_changepoints_store_insert(s, &row);
    if (rc == BG_OK)
      rc = maybe_alert(s, c, bid, mid, pts, n, i, change);
  }
  return rc;
}

/* Recomputes one series: detect on its tail, replace its stored change points from the tail's
 * start on, move its baseline start, raise alerts, remember level and noise for the screen. */
static int recompute(struct bg_store *s, struct ctx *c, long long bid, long long mid) {
  struct tpoint *pts = NULL;
  struct bg_cpd_result res = {0};
  double *x = NULL, *v = NULL;
  size_t n = 0;
  int rc, log_scale = 1;
  if ((rc = read_tail(s, c, bid, mid, &pts, &n, &log_scale)))
    goto out;
  x = bg_xmalloc((n ? n : 1) * sizeof *x);
  v = bg_xmalloc((n ? n : 1) * sizeof *v);
  for (size_t i = 0; i < n; i++)
    x[i] = pts[i].x;
  /* No per-point variances: the run-to-run noise the detector measures from the differences
   * dominates a centre's within-run variance, and the index stays narrow (docs). */
  if (bg_cpd_detect(x, NULL, n, NULL, &res) != BG_OK)
    goto out;
  size_t margin = c->runs_full ? 1 : BG_CP_MARGIN;
  rc = store_points(s, c, bid, mid, pts, n, log_scale, margin, &res);
  /* The latest confirmed change point starts the baseline and the screen's last segment. */
  size_t from = 0;
  for (size_t k = res.count; k > 0; k--) {
    size_t i = res.points[k - 1].index;
    if (i >= margin && n - i >= BG_CP_CONFIRM) {
      from = i;
      break;
    }
  }
  if (rc == BG_OK && from)
    rc = bg_alerts_series_start(s, c->p->id, c->testbed, bid, mid, pts[from].commit, "changepoint");
  if (rc)
    goto out;
  /* The screen's reference: the level of the last segment and the noise scale. */
  struct bg_changepoints_state state = {NAN, res.sigma, log_scale};
  if (n) {
    for (size_t i = from; i < n; i++)
      v[i - from] = x[i];
    state.level = median(v, n - from);
  }
  rc = bg_changepoints_store_state_set(s, c->testbed, bid, mid, &state);
out:
  bg_cpd_result_free(&res);
  free(pts);
  free(x);
  free(v);
  return rc;
}

/* The screen: 1 when the series' new point (of run `rid`; log and raw centre) may create or
 * move a change point. `state` is the series' screening state, NULL when it has none. */
static int flagged(double log_center, double raw_center, const struct bg_changepoints_state *state,
                   long long rid, long long bid, long long mid) {
  if (!state)
    return 1; /* a series the detector has not seen yet */
  double level = state->level, sigma = state->sigma;
  double x = state->scale_log ? log_center : raw_center;
  uint64_t stagger = ((uint64_t)bid * 2654435761u + (uint64_t)mid * 40503u) % BG_CP_EVERY;
  if (((uint64_t)rid + stagger) % BG_CP_EVERY == 0)
    return 1;
  if (!isfinite(x) || !isfinite(level) || !isfinite(sigma) || sigma <= 0)
    return 1; /* too young to measure its noise, or noiseless (exact counts) */
  return fabs(x - level) > BG_CP_SCREEN * sigma;
}

/* A series the screen flags. */
struct flag {
  long long bid, mid;
};

/* The series the screen flags for run `rid`. */
struct flags {
  long long rid;
  struct flag *v;
  size_t n, cap;
};

/* Screens one result of the run (bg_changepoints_store_screen). */
static void screen_result(void *arg, long long bid, long long mid, double log_center,
                          double raw_center, const struct bg_changepoints_state *state) {
  struct flags *f = arg;
  if (!flagged(log_center, raw_center, state, f->rid, bid, mid))
    return;
  bg_xgrow((void **)&f->v, &f->cap, f->n + 1, sizeof *f->v);
  f->v[f->n].bid = bid;
  f->v[f->n].mid = mid;
  f->n++;
}

int bg_changepoints_update_run(struct bg_store *s, const struct bg_project *p, long long rid) {
  struct ctx c = {.p = p, .rid = rid, .now = (long long)time(NULL)};
  struct flags f = {.rid = rid};
  struct bg_changepoints_run run;
  int rc = bg_changepoints_store_run(s, rid, p->default_branch, &run);
  if (rc || !run.on_default)
    return rc;
  c.testbed = run.testbed;
  c.branch = run.branch;
  /* Screen every series of the run against its state. */
  if ((rc = bg_changepoints_store_screen(s, rid, c.testbed, screen_result, &f)))
    goto out;
  for (size_t i = 0; i < f.n && rc == BG_OK; i++)
    rc = recompute(s, &c, f.v[i].bid, f.v[i].mid);
out:
  free(f.v);
  bg_gate_thresholds_free(c.th);
  return rc;
}

int bg_changepoints_recompute(struct bg_store *s, const struct bg_project *p, long long testbed_id,
                              long long benchmark_id, long long measure_id) {
  struct ctx c = {.p = p, .testbed = testbed_id, .now = (long long)time(NULL)};
  int rc = bg_store_branch_id(s, p->id, p->default_branch, &c.branch);
  if (rc)
    return rc;
  rc = recompute(s, &c, benchmark_id, measure_id);
  bg_gate_thresholds_free(c.th);
  return rc;
}
