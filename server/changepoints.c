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
 */
#include "changepoints.h"

#include "cpd.h"
#include "gate.h"
#include "mem.h"
#include "store_private.h"
#include "verdict.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum cid {
  C_RUN,
  C_TAIL_RUNS,
  C_SCREEN,
  C_STATE_SET,
  C_TAIL,
  C_CP_DELETE,
  C_CP_INSERT,
  C_ALERTED,
  C_ALERT_INSERT,
  C_NAMES,
  C_THRESHOLDS,
  C_CP_LIST,
  C_SERIES_ALERTS,
  C_STATES,
  C_BRANCH,
  C_COUNT
};

static const char *const sql_text[C_COUNT] = {
    [C_RUN] = "SELECT r.testbed_id, r.pull_request IS NULL, b.name, r.branch_id FROM runs r "
              "JOIN branches b ON b.id = r.branch_id WHERE r.id = ?1",
    /* The tail: the newest default-branch runs of the testbed (index runs_baseline). */
    [C_TAIL_RUNS] = "SELECT id, commit_id, commit_epoch FROM runs WHERE project_id = ?1 "
                    "AND testbed_id = ?2 AND branch_id = ?3 AND pull_request IS NULL "
                    "ORDER BY commit_epoch DESC, commit_id DESC, id DESC LIMIT ?4",
    /* The screen merges the run's results with the testbed's series states, both read in
     * key order: two sequential ranges instead of a lookup per result. */
    [C_SCREEN] = "SELECT benchmark_id, measure_id, log_center, raw_center FROM results "
                 "WHERE run_id = ?1 ORDER BY benchmark_id, measure_id",
    [C_STATES] = "SELECT benchmark_id, measure_id, level, sigma, scale_log FROM series_cp_state "
                 "WHERE testbed_id = ?1 ORDER BY benchmark_id, measure_id",
    [C_STATE_SET] = "INSERT OR REPLACE INTO series_cp_state (testbed_id, benchmark_id, "
                    "measure_id, level, sigma, scale_log) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* A series' results from the tail's oldest run on: one covering range of results_series. */
    [C_TAIL] = "SELECT run_id, log_center, mean FROM results "
               "INDEXED BY results_series WHERE benchmark_id = ?1 AND measure_id = ?2 "
               "AND run_id >= ?3",
    [C_CP_DELETE] = "DELETE FROM changepoints WHERE testbed_id = ?1 AND benchmark_id = ?2 "
                    "AND measure_id = ?3 AND epoch >= ?4",
    [C_CP_INSERT] = "INSERT OR REPLACE INTO changepoints (project_id, testbed_id, benchmark_id, "
                    "measure_id, commit_id, prev_commit_id, epoch, before, after, magnitude, "
                    "relative, score, detected_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [C_ALERTED] = "SELECT count(*) FROM alerts WHERE testbed_id = ?1 AND benchmark_id = ?2 "
                  "AND measure_id = ?3 AND kind = 'changepoint' "
                  "AND commit_id IN (?4, ?5, ?6, ?7, ?8)",
    [C_ALERT_INSERT] =
        "INSERT INTO alerts (project_id, kind, state, testbed_id, benchmark_id, measure_id, "
        "commit_id, run_id, first_sha, last_sha, change, created_at) "
        "VALUES (?1, 'changepoint', 'open', ?2, ?3, ?4, ?5, ?6, "
        "(SELECT sha FROM commits WHERE id = ?7), (SELECT sha FROM commits WHERE id = ?5), "
        "?8, ?9)",
    [C_NAMES] = "SELECT b.name, m.slug, m.direction FROM benchmarks b, measures m "
                "WHERE b.id = ?1 AND m.id = ?2",
    /* As the gate: thresholds of the latest default-branch run only. */
    [C_THRESHOLDS] = "SELECT thresholds FROM runs WHERE project_id = ?1 AND branch_id = ?2 "
                     "AND pull_request IS NULL ORDER BY commit_epoch DESC, id DESC LIMIT 1",
    [C_CP_LIST] = "SELECT c.commit_id, n.sha, pc.sha, c.before, c.after, c.relative, c.score "
                  "FROM changepoints c JOIN commits n ON n.id = c.commit_id "
                  "LEFT JOIN commits pc ON pc.id = c.prev_commit_id "
                  "WHERE c.testbed_id = ?1 AND c.benchmark_id = ?2 AND c.measure_id = ?3 "
                  "ORDER BY c.epoch, c.commit_id",
    [C_SERIES_ALERTS] = BG_VERDICT_ALERT_SELECT "WHERE a.testbed_id = ?2 "
        "AND a.benchmark_id = ?3 AND a.measure_id = ?4 AND a.project_id = ?1 "
        "ORDER BY a.id DESC LIMIT 100",
    [C_BRANCH] = "SELECT id FROM branches WHERE project_id = ?1 AND name = ?2",
};

static const struct bg_store_module changepoints_sql = {"changepoints", sql_text, C_COUNT, NULL,
                                                        NULL};

static sqlite3_stmt *stmt(struct bg_store *s, enum cid id) {
  return bg_store_stmt(s, &changepoints_sql, (size_t)id);
}

static void bind_num(sqlite3_stmt *st, int i, double v) {
  if (isfinite(v))
    sqlite3_bind_double(st, i, v);
  else
    sqlite3_bind_null(st, i);
}

/* What one upload shares between its series: the run and, loaded on first need, the
 * thresholds that decide min_effect. */
struct trun {
  long long id, commit, epoch;
};

struct ctx {
  const struct bg_project *p;
  long long rid, testbed, branch, now;
  int th_loaded;
  struct bg_gate_thresholds *th;
  int runs_loaded, runs_full;   /* runs_full: the tail holds every default-branch run */
  struct trun runs[BG_CP_TAIL]; /* the tail's runs, ascending by id */
  size_t nruns;
};

static int cmp_trun(const void *a, const void *b) {
  const struct trun *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

/* Loads the tail's runs: the newest BG_CP_TAIL default-branch runs on the testbed. */
static int load_runs(struct bg_store *s, struct ctx *c) {
  int rc = BG_OK, step;
  if (c->runs_loaded)
    return BG_OK;
  sqlite3_stmt *st = stmt(s, C_TAIL_RUNS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, c->p->id);
  sqlite3_bind_int64(st, 2, c->testbed);
  sqlite3_bind_int64(st, 3, c->branch);
  sqlite3_bind_int64(st, 4, BG_CP_TAIL);
  c->nruns = 0;
  while ((step = sqlite3_step(st)) == SQLITE_ROW && c->nruns < BG_CP_TAIL) {
    struct trun *r = &c->runs[c->nruns++];
    r->id = sqlite3_column_int64(st, 0);
    r->commit = sqlite3_column_int64(st, 1);
    r->epoch = sqlite3_column_int64(st, 2);
  }
  if (step != SQLITE_DONE && step != SQLITE_ROW)
    rc = bg_store_fail(s, "tail runs");
  bg_store_done(st);
  if (rc)
    return rc;
  qsort(c->runs, c->nruns, sizeof *c->runs, cmp_trun);
  c->runs_full = c->nruns < BG_CP_TAIL;
  c->runs_loaded = 1;
  return BG_OK;
}

static int load_thresholds(struct bg_store *s, struct ctx *c) {
  int rc = BG_OK;
  if (c->th_loaded)
    return BG_OK;
  sqlite3_stmt *st = stmt(s, C_THRESHOLDS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, c->p->id);
  sqlite3_bind_int64(st, 2, c->branch);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
    cJSON *j = cJSON_Parse(bg_store_col_text(st, 0));
    /* A stored document that does not parse gets the defaults. */
    if (bg_gate_thresholds_parse_stored(j, &c->th) != BG_OK)
      c->th = NULL;
    cJSON_Delete(j);
  } else if (step != SQLITE_ROW && step != SQLITE_DONE) {
    rc = bg_store_fail(s, "thresholds");
  }
  bg_store_done(st);
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

/* Reads the tail of series (bid, mid): its results in the tail's runs, as per-commit points
 * oldest first. *log_scale tells which scale: log when every result has a log centre. */
static int read_tail(struct bg_store *s, struct ctx *c, long long bid, long long mid,
                     struct tpoint **out, size_t *n, int *log_scale) {
  struct trow rows[BG_CP_TAIL];
  size_t nrows = 0;
  int rc, step, all_log = 1;
  *out = NULL;
  *n = 0;
  if ((rc = load_runs(s, c)))
    return rc;
  if (!c->nruns)
    return BG_OK;
  sqlite3_stmt *st = stmt(s, C_TAIL);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, bid);
  sqlite3_bind_int64(st, 2, mid);
  sqlite3_bind_int64(st, 3, c->runs[0].id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    struct trun key = {.id = sqlite3_column_int64(st, 0)};
    const struct trun *r = bsearch(&key, c->runs, c->nruns, sizeof *c->runs, cmp_trun);
    if (!r || nrows == BG_CP_TAIL)
      continue; /* another testbed's, branch's or pull request's run */
    struct trow *x = &rows[nrows++];
    x->epoch = r->epoch;
    x->commit = r->commit;
    x->run = r->id;
    /* The robust log centre; a series with a non-positive value (no log centre) is read on
     * the raw scale through the mean of each result, the centre the index holds. */
    x->rc = bg_store_col_or_nan(st, 2);
    x->lc = bg_store_col_or_nan(st, 1);
    if (sqlite3_column_type(st, 1) == SQLITE_NULL && x->rc > 0)
      x->lc = log(x->rc); /* a result stored before the gate's columns */
    if (!isfinite(x->lc))
      all_log = 0;
  }
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "series tail");
  bg_store_done(st);
  if (rc)
    return rc;
  qsort(rows, nrows, sizeof *rows, cmp_trow);
  *log_scale = all_log;
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
  *out = pts;
  *n = np;
  return BG_OK;
}

/* 1 when a change point at commit index i of pts was already alerted for this series (at that
 * commit or within two points of it: a level found again one commit off is the same change). */
static int already_alerted(struct bg_store *s, long long tb, long long bid, long long mid,
                           const struct tpoint *pts, size_t n, size_t i, int *rc) {
  sqlite3_stmt *st = stmt(s, C_ALERTED);
  int found = 0;
  if (!st) {
    *rc = BG_EDB;
    return 0;
  }
  sqlite3_bind_int64(st, 1, tb);
  sqlite3_bind_int64(st, 2, bid);
  sqlite3_bind_int64(st, 3, mid);
  for (int k = -2; k <= 2; k++) {
    long long j = (long long)i + k;
    sqlite3_bind_int64(st, 6 + k, j >= 0 && j < (long long)n ? pts[j].commit : -1);
  }
  if (sqlite3_step(st) == SQLITE_ROW)
    found = sqlite3_column_int64(st, 0) > 0;
  else
    *rc = bg_store_fail(s, "alerted");
  bg_store_done(st);
  return found;
}

/* Opens a changepoint alert for a worsening of at least min_effect. */
static int maybe_alert(struct bg_store *s, struct ctx *c, long long bid, long long mid,
                       const struct tpoint *pts, size_t n, size_t i, double change) {
  char bench[512] = "", measure[128] = "", direction[8] = "";
  double min_effect = 0.02;
  int rc = BG_OK, ignored = 0;
  if (!isfinite(change) || change == 0)
    return BG_OK;
  sqlite3_stmt *st = stmt(s, C_NAMES);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, bid);
  sqlite3_bind_int64(st, 2, mid);
  if (sqlite3_step(st) == SQLITE_ROW) {
    snprintf(bench, sizeof bench, "%s", bg_store_col_text(st, 0) ? bg_store_col_text(st, 0) : "");
    snprintf(measure, sizeof measure, "%s", bg_store_col_text(st, 1) ? bg_store_col_text(st, 1) : "");
    snprintf(direction, sizeof direction, "%s", bg_store_col_text(st, 2) ? bg_store_col_text(st, 2) : "");
  } else {
    rc = bg_store_fail(s, "names");
  }
  bg_store_done(st);
  if (rc || (rc = load_thresholds(s, c)))
    return rc;
  bg_gate_thresholds_lookup(c->th, bench, measure, &min_effect, &ignored);
  double worse = strcmp(direction, "higher") == 0 ? -change : change;
  if (ignored || !(worse >= min_effect))
    return BG_OK;
  if (already_alerted(s, c->testbed, bid, mid, pts, n, i, &rc) || rc)
    return rc;
  if (!(st = stmt(s, C_ALERT_INSERT)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, c->p->id);
  sqlite3_bind_int64(st, 2, c->testbed);
  sqlite3_bind_int64(st, 3, bid);
  sqlite3_bind_int64(st, 4, mid);
  sqlite3_bind_int64(st, 5, pts[i].commit);
  if (c->rid)
    sqlite3_bind_int64(st, 6, c->rid);
  sqlite3_bind_int64(st, 7, pts[i - 1].commit);
  sqlite3_bind_double(st, 8, change);
  sqlite3_bind_int64(st, 9, c->now);
  rc = sqlite3_step(st) == SQLITE_DONE ? BG_OK : bg_store_fail(s, "changepoint alert");
  bg_store_done(st);
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
  int full = c->runs_full;
  x = bg_xmalloc((n ? n : 1) * sizeof *x);
  v = bg_xmalloc((n ? n : 1) * sizeof *v);
  for (size_t i = 0; i < n; i++)
    x[i] = pts[i].x;
  /* No per-point variances: the run-to-run noise the detector measures from the differences
   * dominates a centre's within-run variance, and the index stays narrow (docs). */
  if (bg_cpd_detect(x, NULL, n, NULL, &res) != BG_OK)
    goto out;
  sqlite3_stmt *st = stmt(s, C_CP_DELETE);
  if (!st) {
    rc = BG_EDB;
    goto out;
  }
  sqlite3_bind_int64(st, 1, c->testbed);
  sqlite3_bind_int64(st, 2, bid);
  sqlite3_bind_int64(st, 3, mid);
  /* A cut tail cannot see a change near its first point (its old level is cut off): the
   * stored change points there stay as they were found, and none is reported there now. */
  size_t margin = full ? 1 : BG_CP_MARGIN;
  sqlite3_bind_int64(st, 4, full ? LLONG_MIN : n > margin ? pts[margin].epoch : LLONG_MAX);
  rc = sqlite3_step(st) == SQLITE_DONE ? BG_OK : bg_store_fail(s, "delete change points");
  bg_store_done(st);
  for (size_t k = 0; k < res.count && rc == BG_OK; k++) {
    const struct bg_cpd_point *cp = &res.points[k];
    size_t i = cp->index;
    if (i < margin || n - i < BG_CP_CONFIRM) /* see BG_CP_CONFIRM */
      continue;
    double before = log_scale ? exp(cp->before) : cp->before;
    double after = log_scale ? exp(cp->after) : cp->after;
    double change = log_scale ? expm1(cp->after - cp->before) : cp->relative;
    if (!(st = stmt(s, C_CP_INSERT))) {
      rc = BG_EDB;
      break;
    }
    sqlite3_bind_int64(st, 1, c->p->id);
    sqlite3_bind_int64(st, 2, c->testbed);
    sqlite3_bind_int64(st, 3, bid);
    sqlite3_bind_int64(st, 4, mid);
    sqlite3_bind_int64(st, 5, pts[i].commit);
    sqlite3_bind_int64(st, 6, pts[i - 1].commit);
    sqlite3_bind_int64(st, 7, pts[i].epoch);
    bind_num(st, 8, before);
    bind_num(st, 9, after);
    bind_num(st, 10, after - before);
    bind_num(st, 11, change);
    bind_num(st, 12, cp->score);
    sqlite3_bind_int64(st, 13, c->now);
    rc = sqlite3_step(st) == SQLITE_DONE ? BG_OK : bg_store_fail(s, "change point");
    bg_store_done(st);
    if (rc == BG_OK)
      rc = maybe_alert(s, c, bid, mid, pts, n, i, change);
  }
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
    rc =
        bg_verdict_series_start(s, c->p->id, c->testbed, bid, mid, pts[from].commit, "changepoint");
  if (rc)
    goto out;
  /* The screen's reference: the level of the last segment and the noise scale. */
  double level = NAN;
  if (n) {
    for (size_t i = from; i < n; i++)
      v[i - from] = x[i];
    level = median(v, n - from);
  }
  if (!(st = stmt(s, C_STATE_SET))) {
    rc = BG_EDB;
    goto out;
  }
  sqlite3_bind_int64(st, 1, c->testbed);
  sqlite3_bind_int64(st, 2, bid);
  sqlite3_bind_int64(st, 3, mid);
  bind_num(st, 4, level);
  bind_num(st, 5, res.sigma);
  sqlite3_bind_int(st, 6, log_scale);
  rc = sqlite3_step(st) == SQLITE_DONE ? BG_OK : bg_store_fail(s, "screen state");
  bg_store_done(st);
out:
  bg_cpd_result_free(&res);
  free(pts);
  free(x);
  free(v);
  return rc;
}

/* The screen: 1 when the series' new point (of run `rid`) may create or move a change point.
 * `state` is the series' row of C_STATES, NULL when it has none. */
static int flagged(sqlite3_stmt *res, sqlite3_stmt *state, long long rid, long long bid,
                   long long mid) {
  if (!state || sqlite3_column_type(state, 4) == SQLITE_NULL)
    return 1; /* a series the detector has not seen yet */
  double level = bg_store_col_or_nan(state, 2), sigma = bg_store_col_or_nan(state, 3);
  int scale_log = sqlite3_column_int(state, 4);
  double x = scale_log ? bg_store_col_or_nan(res, 2) : bg_store_col_or_nan(res, 3);
  uint64_t stagger = ((uint64_t)bid * 2654435761u + (uint64_t)mid * 40503u) % BG_CP_EVERY;
  if (((uint64_t)rid + stagger) % BG_CP_EVERY == 0)
    return 1;
  if (!isfinite(x) || !isfinite(level) || !isfinite(sigma) || sigma <= 0)
    return 1; /* too young to measure its noise, or noiseless (exact counts) */
  return fabs(x - level) > BG_CP_SCREEN * sigma;
}

/* -1, 0, 1 as key (b1, m1) sorts before, with, after (b2, m2). */
static int key_cmp(long long b1, long long m1, long long b2, long long m2) {
  if (b1 != b2)
    return b1 < b2 ? -1 : 1;
  return m1 < m2 ? -1 : m1 > m2;
}

int bg_changepoints_update_run(struct bg_store *s, const struct bg_project *p, long long rid) {
  struct ctx c = {.p = p, .rid = rid, .now = (long long)time(NULL)};
  struct flag {
    long long bid, mid;
  } *flags = NULL;
  size_t nflag = 0, cap = 0;
  int rc = BG_OK, step, on_default = 0;
  sqlite3_stmt *st = stmt(s, C_RUN);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  if ((step = sqlite3_step(st)) == SQLITE_ROW) {
    c.testbed = sqlite3_column_int64(st, 0);
    on_default =
        sqlite3_column_int(st, 1) && bg_store_col_text(st, 2) && !strcmp(bg_store_col_text(st, 2), p->default_branch);
    c.branch = sqlite3_column_int64(st, 3);
  } else {
    rc = step == SQLITE_DONE ? BG_ENOENT : bg_store_fail(s, "run");
  }
  bg_store_done(st);
  if (rc || !on_default)
    return rc;
  /* Screen every series of the run against its state. */
  sqlite3_stmt *sv = stmt(s, C_STATES);
  if (!sv || !(st = stmt(s, C_SCREEN)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  sqlite3_bind_int64(sv, 1, c.testbed);
  int sstep = sqlite3_step(sv);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    long long bid = sqlite3_column_int64(st, 0), mid = sqlite3_column_int64(st, 1);
    int order = 1;
    while (sstep == SQLITE_ROW && (order = key_cmp(sqlite3_column_int64(sv, 0),
                                                   sqlite3_column_int64(sv, 1), bid, mid)) < 0)
      sstep = sqlite3_step(sv);
    if (flagged(st, sstep == SQLITE_ROW && order == 0 ? sv : NULL, rid, bid, mid)) {
      bg_xgrow((void **)&flags, &cap, nflag + 1, sizeof *flags);
      flags[nflag].bid = bid;
      flags[nflag].mid = mid;
      nflag++;
    }
  }
  if (step != SQLITE_DONE || (sstep != SQLITE_ROW && sstep != SQLITE_DONE))
    rc = bg_store_fail(s, "screen");
  bg_store_done(st);
  bg_store_done(sv);
  if (rc)
    goto out;
  for (size_t i = 0; i < nflag && rc == BG_OK; i++)
    rc = recompute(s, &c, flags[i].bid, flags[i].mid);
out:
  free(flags);
  bg_gate_thresholds_free(c.th);
  return rc;
}

int bg_changepoints_recompute(struct bg_store *s, const struct bg_project *p, long long testbed_id,
                              long long benchmark_id, long long measure_id) {
  struct ctx c = {.p = p, .testbed = testbed_id, .now = (long long)time(NULL)};
  long long defbr = 0;
  sqlite3_stmt *st = stmt(s, C_BRANCH);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  sqlite3_bind_text(st, 2, p->default_branch, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    defbr = sqlite3_column_int64(st, 0);
  bg_store_done(st);
  c.branch = defbr;
  int rc = recompute(s, &c, benchmark_id, measure_id);
  bg_gate_thresholds_free(c.th);
  return rc;
}

/* ---- reads ---- */

int bg_changepoints_series_json(struct bg_store *s, long long project_id, long long testbed_id,
                                long long benchmark_id, long long measure_id,
                                const long long *commits, size_t n, int on_default,
                                struct bg_buf *out) {
  int rc = BG_OK, step, k = 0;
  sqlite3_stmt *st;
  bg_buf_puts(out, "\"change_points\":[");
  if (on_default) {
    if (!(st = stmt(s, C_CP_LIST)))
      return BG_EDB;
    sqlite3_bind_int64(st, 1, testbed_id);
    sqlite3_bind_int64(st, 2, benchmark_id);
    sqlite3_bind_int64(st, 3, measure_id);
    size_t from = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
      long long cid = sqlite3_column_int64(st, 0);
      bg_buf_puts(out, k++ ? ",{\"sha\":" : "{\"sha\":");
      bg_json_str(out, bg_store_col_text(st, 1));
      /* Change points come oldest first, as the points: search onwards from the last one. */
      size_t at = from;
      while (at < n && commits[at] != cid)
        at++;
      if (at < n) {
        bg_buf_printf(out, ",\"index\":%zu", at);
        from = at;
      } else {
        bg_buf_puts(out, ",\"index\":null");
      }
      bg_buf_puts(out, ",\"before\":");
      bg_store_json_num_or_null(out, st, 3);
      bg_buf_puts(out, ",\"after\":");
      bg_store_json_num_or_null(out, st, 4);
      bg_buf_puts(out, ",\"change\":");
      bg_store_json_num_or_null(out, st, 5);
      bg_buf_puts(out, ",\"score\":");
      bg_store_json_num_or_null(out, st, 6);
      bg_buf_puts(out, ",\"first_sha\":");
      bg_json_str(out, bg_store_col_text(st, 2));
      bg_buf_puts(out, ",\"last_sha\":");
      bg_json_str(out, bg_store_col_text(st, 1));
      bg_buf_puts(out, "}");
    }
    if (step != SQLITE_DONE)
      rc = bg_store_fail(s, "change points");
    bg_store_done(st);
    if (rc)
      return rc;
  }
  bg_buf_puts(out, "],\"alerts\":[");
  if (!(st = stmt(s, C_SERIES_ALERTS)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  sqlite3_bind_int64(st, 2, testbed_id);
  sqlite3_bind_int64(st, 3, benchmark_id);
  sqlite3_bind_int64(st, 4, measure_id);
  k = 0;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (k++)
      bg_buf_puts(out, ",");
    bg_verdict_alert_json(st, out);
  }
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "series alerts");
  bg_store_done(st);
  bg_buf_puts(out, "]");
  return rc;
}
