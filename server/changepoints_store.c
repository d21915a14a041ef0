/* changepoints_store.c: the SQLite storage of change-point detection (changepoints_store.h).
 *
 * The screen merges the run's results with the testbed's series states, both read in key
 * order: two sequential ranges instead of a lookup per result. A series' tail is one covering
 * range of the results_series index, which every upload writes anyway.
 */
#include "changepoints_store.h"

#include "alerts.h"
#include "mem.h"
#include "store_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cid {
  C_RUN,
  C_TAIL_RUNS,
  C_SCREEN,
  C_STATE_SET,
  C_TAIL,
  C_CP_DELETE,
  C_CP_INSERT,
  C_CP_LIST,
  C_STATES,
  C_SERIES_COMMITS,
  C_COUNT
};

static const char *const sql_text[C_COUNT] = {
    [C_RUN] = "SELECT r.testbed_id, r.pull_request IS NULL, b.name, r.branch_id FROM runs r "
              "JOIN branches b ON b.id = r.branch_id WHERE r.id = ?1",
    /* The tail: the newest default-branch runs of the testbed (index runs_baseline). */
    [C_TAIL_RUNS] = "SELECT id, commit_id, commit_epoch FROM runs WHERE project_id = ?1 "
                    "AND testbed_id = ?2 AND branch_id = ?3 AND pull_request IS NULL "
                    "ORDER BY commit_epoch DESC, commit_id DESC, id DESC LIMIT ?4",
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
    [C_CP_LIST] = "SELECT c.commit_id, n.sha, pc.sha, c.before, c.after, c.relative, c.score "
                  "FROM changepoints c JOIN commits n ON n.id = c.commit_id "
                  "LEFT JOIN commits pc ON pc.id = c.prev_commit_id "
                  "WHERE c.testbed_id = ?1 AND c.benchmark_id = ?2 AND c.measure_id = ?3 "
                  "ORDER BY c.epoch, c.commit_id",
    /* The commits a decimated trend keeps: change points' both sides (?4: the default
     * branch's series) and regression alerts. */
    [C_SERIES_COMMITS] =
        "SELECT commit_id FROM changepoints WHERE ?4 AND testbed_id = ?1 AND benchmark_id = ?2 "
        "AND measure_id = ?3 UNION SELECT prev_commit_id FROM changepoints WHERE ?4 "
        "AND testbed_id = ?1 AND benchmark_id = ?2 AND measure_id = ?3 "
        "AND prev_commit_id IS NOT NULL UNION SELECT commit_id FROM alerts "
        "WHERE testbed_id = ?1 AND benchmark_id = ?2 AND measure_id = ?3 "
        "AND kind = 'regression' AND commit_id IS NOT NULL AND project_id = ?5",
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

/* Binds series (testbed, benchmark, measure) to ?1, ?2, ?3. */
static void bind_series(sqlite3_stmt *st, long long testbed, long long benchmark,
                        long long measure) {
  sqlite3_bind_int64(st, 1, testbed);
  sqlite3_bind_int64(st, 2, benchmark);
  sqlite3_bind_int64(st, 3, measure);
}

int bg_changepoints_store_run(struct bg_store *s, long long rid, const char *default_branch,
                              struct bg_changepoints_run *r) {
  int rc = BG_OK, step;
  memset(r, 0, sizeof *r);
  sqlite3_stmt *st = stmt(s, C_RUN);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  if ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *branch = bg_store_col_text(st, 2);
    r->testbed = sqlite3_column_int64(st, 0);
    r->on_default = sqlite3_column_int(st, 1) && branch && !strcmp(branch, default_branch);
    r->branch = sqlite3_column_int64(st, 3);
  } else {
    rc = step == SQLITE_DONE ? BG_ENOENT : bg_store_fail(s, "run");
  }
  bg_store_done(st);
  return rc;
}

int bg_changepoints_store_tail_runs(struct bg_store *s, long long project_id, long long testbed,
                                    long long branch, size_t max,
                                    struct bg_changepoints_tail_run *runs, size_t *n) {
  int rc = BG_OK, step;
  *n = 0;
  sqlite3_stmt *st = stmt(s, C_TAIL_RUNS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  sqlite3_bind_int64(st, 2, testbed);
  sqlite3_bind_int64(st, 3, branch);
  sqlite3_bind_int64(st, 4, (long long)max);
  while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
    struct bg_changepoints_tail_run *r = &runs[(*n)++];
    r->id = sqlite3_column_int64(st, 0);
    r->commit = sqlite3_column_int64(st, 1);
    r->epoch = sqlite3_column_int64(st, 2);
  }
  if (step != SQLITE_DONE && step != SQLITE_ROW)
    rc = bg_store_fail(s, "tail runs");
  bg_store_done(st);
  return rc;
}

int bg_changepoints_store_series_results(
    struct bg_store *s, long long benchmark, long long measure, long long from_run,
    void (*row)(void *arg, long long run, double log_center, double mean), void *arg) {
  int rc = BG_OK, step;
  sqlite3_stmt *st = stmt(s, C_TAIL);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, benchmark);
  sqlite3_bind_int64(st, 2, measure);
  sqlite3_bind_int64(st, 3, from_run);
  while ((step = sqlite3_step(st)) == SQLITE_ROW)
    row(arg, sqlite3_column_int64(st, 0), bg_store_col_or_nan(st, 1), bg_store_col_or_nan(st, 2));
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "series tail");
  bg_store_done(st);
  return rc;
}

/* -1, 0, 1 as key (b1, m1) sorts before, with, after (b2, m2). */
static int key_cmp(long long b1, long long m1, long long b2, long long m2) {
  if (b1 != b2)
    return b1 < b2 ? -1 : 1;
  return m1 < m2 ? -1 : m1 > m2;
}

int bg_changepoints_store_screen(struct bg_store *s, long long rid, long long testbed,
                                 void (*result)(void *arg, long long benchmark, long long measure,
                                                double log_center, double raw_center,
                                                const struct bg_changepoints_state *state),
                                 void *arg) {
  int rc = BG_OK, step;
  sqlite3_stmt *sv = stmt(s, C_STATES), *st;
  if (!sv || !(st = stmt(s, C_SCREEN)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  sqlite3_bind_int64(sv, 1, testbed);
  int sstep = sqlite3_step(sv);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    long long bid = sqlite3_column_int64(st, 0), mid = sqlite3_column_int64(st, 1);
    int order = 1;
    while (sstep == SQLITE_ROW && (order = key_cmp(sqlite3_column_int64(sv, 0),
                                                   sqlite3_column_int64(sv, 1), bid, mid)) < 0)
      sstep = sqlite3_step(sv);
    /* A state without a scale is one the detector has not measured: none yet. */
    int known = sstep == SQLITE_ROW && order == 0 && sqlite3_column_type(sv, 4) != SQLITE_NULL;
    struct bg_changepoints_state state = {NAN, NAN, 0};
    if (known) {
      state.level = bg_store_col_or_nan(sv, 2);
      state.sigma = bg_store_col_or_nan(sv, 3);
      state.scale_log = sqlite3_column_int(sv, 4);
    }
    result(arg, bid, mid, bg_store_col_or_nan(st, 2), bg_store_col_or_nan(st, 3),
           known ? &state : NULL);
  }
  if (step != SQLITE_DONE || (sstep != SQLITE_ROW && sstep != SQLITE_DONE))
    rc = bg_store_fail(s, "screen");
  bg_store_done(st);
  bg_store_done(sv);
  return rc;
}

int bg_changepoints_store_state_set(struct bg_store *s, long long testbed, long long benchmark,
                                    long long measure, const struct bg_changepoints_state *state) {
  sqlite3_stmt *st = stmt(s, C_STATE_SET);
  if (!st)
    return BG_EDB;
  bind_series(st, testbed, benchmark, measure);
  bind_num(st, 4, state->level);
  bind_num(st, 5, state->sigma);
  sqlite3_bind_int(st, 6, state->scale_log);
  return bg_store_step_done(s, st, "screen state");
}

int bg_changepoints_store_delete(struct bg_store *s, long long testbed, long long benchmark,
                                 long long measure, long long from_epoch) {
  sqlite3_stmt *st = stmt(s, C_CP_DELETE);
  if (!st)
    return BG_EDB;
  bind_series(st, testbed, benchmark, measure);
  sqlite3_bind_int64(st, 4, from_epoch);
  return bg_store_step_done(s, st, "delete change points");
}

int bg_changepoints_store_insert(struct bg_store *s, const struct bg_changepoint *cp) {
  sqlite3_stmt *st = stmt(s, C_CP_INSERT);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cp->project);
  sqlite3_bind_int64(st, 2, cp->testbed);
  sqlite3_bind_int64(st, 3, cp->benchmark);
  sqlite3_bind_int64(st, 4, cp->measure);
  sqlite3_bind_int64(st, 5, cp->commit);
  sqlite3_bind_int64(st, 6, cp->prev_commit);
  sqlite3_bind_int64(st, 7, cp->epoch);
  bind_num(st, 8, cp->before);
  bind_num(st, 9, cp->after);
  bind_num(st, 10, cp->magnitude);
  bind_num(st, 11, cp->relative);
  bind_num(st, 12, cp->score);
  sqlite3_bind_int64(st, 13, cp->detected_at);
  return bg_store_step_done(s, st, "change point");
}

/* The points' commits, oldest first, and where the next change point's search starts. */
struct cp_commits {
  const long long *v;
  size_t n, from;
};

/* Appends the change point in the current row of `st` (C_CP_LIST); its "index" is the
 * position of its commit in c->v[c->from..c->n-1] (a bg_store_row_json_fn). */
static void changepoint_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  struct cp_commits *c = ctx;
  long long cid = sqlite3_column_int64(st, 0);
  bg_buf_puts(out, "{\"sha\":");
  bg_json_str(out, bg_store_col_text(st, 1));
  /* Change points come oldest first, as the points: search onwards from the last one. */
  size_t at = c->from;
  while (at < c->n && c->v[at] != cid)
    at++;
  if (at < c->n) {
    bg_buf_puts(out, ",\"index\":");
    bg_json_int(out, (long long)at);
    c->from = at;
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

int bg_changepoints_store_series_json(struct bg_store *s, long long project_id,
                                      long long testbed_id, long long benchmark_id,
                                      long long measure_id, const long long *commits, size_t n,
                                      int on_default, struct bg_buf *out) {
  bg_buf_puts(out, "\"change_points\":[");
  if (on_default) {
    sqlite3_stmt *st = stmt(s, C_CP_LIST);
    if (!st)
      return BG_EDB;
    bind_series(st, testbed_id, benchmark_id, measure_id);
    struct cp_commits c = {commits, n, 0};
    int rc = bg_store_json_rows(s, st, changepoint_json, &c, out, NULL, "change points");
    if (rc)
      return rc;
  }
  bg_buf_puts(out, "],\"alerts\":");
  return bg_alerts_series_json(s, project_id, testbed_id, benchmark_id, measure_id, out);
}

int bg_changepoints_store_series_commits(struct bg_store *s, long long project_id,
                                         long long testbed_id, long long benchmark_id,
                                         long long measure_id, int on_default, long long **ids,
                                         size_t *n) {
  sqlite3_stmt *st = stmt(s, C_SERIES_COMMITS);
  *ids = NULL;
  *n = 0;
  if (!st)
    return BG_EDB;
  bind_series(st, testbed_id, benchmark_id, measure_id);
  sqlite3_bind_int(st, 4, on_default != 0);
  sqlite3_bind_int64(st, 5, project_id);
  return bg_store_id_rows(s, st, ids, n, "series commits");
}
