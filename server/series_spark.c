/* series_spark.c: the spark, change point and alert count of each benchmark of the list
 * (series_spark.h).
 *
 * The list's pairs are keyed in a table once; each of the three reads then walks its rows
 * in one statement and looks the pair up: the testbed's change points (their primary key
 * range, newest per series first), the project's open alerts (index alerts_by_state), and for
 * the spark the latest runs of the testbed and branch (index runs_history) with each run's
 * results (their primary key range). A spark of 50 commits over 200 benchmarks is 50 range
 * reads of 200 rows, not 200 series reads.
 */
#include "series_spark.h"

#include "db_sql.h"
#include "json.h"
#include "mem.h"
#include "store_private.h"
#include "table.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum xid { X_CHANGES, X_ALERTS, X_RUNS, X_RESULTS, X_COUNT };

static const char *const sql_text[X_COUNT] = {
    [X_CHANGES] = "SELECT c.benchmark_id, c.measure_id, n.sha, c.epoch, c.relative "
                  "FROM changepoints c JOIN commits n ON n.id = c.commit_id "
                  "WHERE c.testbed_id = ?1 "
                  "ORDER BY c.benchmark_id, c.measure_id, c.epoch DESC, c.commit_id DESC",
    [X_ALERTS] = "SELECT benchmark_id, measure_id, count(*) FROM alerts "
                 "WHERE project_id = ?1 AND state = 'open' AND testbed_id = ?2 "
                 "GROUP BY benchmark_id, measure_id",
    [X_RUNS] = "SELECT id, commit_id FROM runs WHERE project_id = ?1 AND testbed_id = ?2 "
               "AND branch_id = ?3 ORDER BY commit_epoch DESC, id DESC LIMIT ?4",
    [X_RESULTS] = "SELECT benchmark_id, measure_id, n, mean FROM results WHERE run_id = ?1",
};

static const struct bg_store_module spark_sql = {"series_spark", sql_text, X_COUNT, NULL, NULL};

static sqlite3_stmt *stmt(struct bg_store *s, enum xid id) {
  return bg_store_stmt(s, &spark_sql, (size_t)id);
}

/* The runs scanned for a spark of n commits: a commit rarely has more than a few runs on one
 * testbed and branch, and a bound keeps a commit with thousands of reruns from costing more. */
#define RUNS_PER_COMMIT 8

/* The list's pairs, keyed. */
struct keys {
  struct bg_series_extra *ex;
  size_t n;
  struct bg_table by_pair; /* bg_table_pair(benchmark, measure) -> index in ex */
};

/* The index of (b, m) in k->ex, or -1 when the list does not hold it. */
static long find(const struct keys *k, long long b, long long m) {
  uint64_t key = bg_table_pair(b, m);
  size_t at = 0, i;
  while (bg_table_next(&k->by_pair, key, &at, &i))
    if (k->ex[i].benchmark == b && k->ex[i].measure == m)
      return (long)i;
  return -1;
}

static int changes(struct bg_store *s, const struct bg_series_where *w, struct keys *k) {
  sqlite3_stmt *st = stmt(s, X_CHANGES);
  int step;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, w->testbed);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    long i = find(k, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    if (i < 0 || k->ex[i].has_change)
      continue; /* not listed, or an older change point of a series already met */
    struct bg_series_extra *x = &k->ex[i];
    x->has_change = 1;
    bg_store_copy_text(x->change_sha, sizeof x->change_sha, bg_store_col_text(st, 2));
    x->change_time = sqlite3_column_int64(st, 3);
    x->change_relative = bg_store_col_or_nan(st, 4);
  }
  bg_store_done(st);
  return step == SQLITE_DONE ? BG_OK : bg_store_fail(s, "latest change points");
}

static int open_alerts(struct bg_store *s, const struct bg_series_where *w, struct keys *k) {
  sqlite3_stmt *st = stmt(s, X_ALERTS);
  int step;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, w->project);
  sqlite3_bind_int64(st, 2, w->testbed);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    long i = find(k, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    if (i >= 0)
      k->ex[i].open_alerts = sqlite3_column_int64(st, 2);
  }
  bg_store_done(st);
  return step == SQLITE_DONE ? BG_OK : bg_store_fail(s, "open alerts");
}

/* The latest runs for a spark of up to n commits, newest first: run ids and the slot (commit
 * position, 0 the newest) of each. */
struct spark_runs {
  struct {
    long long id;
    size_t slot;
  } * run;
  size_t nruns;
  int commits;
};

static int spark_runs(struct bg_store *s, const struct bg_series_where *w, int n,
                      struct spark_runs *sr) {
  sqlite3_stmt *st = stmt(s, X_RUNS);
  struct bg_table slots = {0}; /* commit id -> slot */
  size_t cap = 0, slot;
  int step;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, w->project);
  sqlite3_bind_int64(st, 2, w->testbed);
  sqlite3_bind_int64(st, 3, w->branch);
  sqlite3_bind_int64(st, 4, (long long)n * RUNS_PER_COMMIT);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    uint64_t commit = (uint64_t)sqlite3_column_int64(st, 1);
    if (!bg_table_get(&slots, commit, &slot)) {
      if (sr->commits == n)
        continue; /* a run of an older commit: the later rows may still be of kept ones */
      slot = (size_t)sr->commits++;
      bg_table_add(&slots, commit, slot);
    }
    bg_xgrow((void **)&sr->run, &cap, sr->nruns + 1, sizeof *sr->run);
    sr->run[sr->nruns].id = sqlite3_column_int64(st, 0);
    sr->run[sr->nruns++].slot = slot;
  }
  bg_store_done(st);
  bg_table_free(&slots);
  return step == SQLITE_DONE ? BG_OK : bg_store_fail(s, "spark runs");
}

/* Pools the results of the spark's runs: sum[i * n + slot] and cnt[...] per listed pair. */
static int spark_pool(struct bg_store *s, const struct spark_runs *sr, const struct keys *k, int n,
                      double *sum, double *cnt) {
  for (size_t r = 0; r < sr->nruns; r++) {
    sqlite3_stmt *st = stmt(s, X_RESULTS);
    int step;
    if (!st)
      return BG_EDB;
    sqlite3_bind_int64(st, 1, sr->run[r].id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
      long i = find(k, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
      if (i < 0)
        continue;
      double c = (double)sqlite3_column_int64(st, 2);
      size_t at = (size_t)i * (size_t)n + sr->run[r].slot;
      sum[at] += c * sqlite3_column_double(st, 3);
      cnt[at] += c;
    }
    bg_store_done(st);
    if (step != SQLITE_DONE)
      return bg_store_fail(s, "spark results");
  }
  return BG_OK;
}

static int sparks(struct bg_store *s, const struct bg_series_where *w, int n, struct keys *k,
                  int *spark_commits) {
  struct spark_runs sr = {0};
  int rc = spark_runs(s, w, n, &sr);
  size_t cells = k->n * (size_t)n;
  double *sum = bg_xcalloc(cells ? cells : 1, sizeof *sum);
  double *cnt = bg_xcalloc(cells ? cells : 1, sizeof *cnt);
  if (rc == BG_OK)
    rc = spark_pool(s, &sr, k, n, sum, cnt);
  *spark_commits = sr.commits;
  for (size_t i = 0; i < k->n && rc == BG_OK; i++) {
    double *v = bg_xmalloc((size_t)(sr.commits ? sr.commits : 1) * sizeof *v);
    for (int j = 0; j < sr.commits; j++) { /* oldest first: slot commits-1 .. 0 */
      size_t at = i * (size_t)n + (size_t)(sr.commits - 1 - j);
      v[j] = cnt[at] > 0 ? sum[at] / cnt[at] : NAN;
    }
    k->ex[i].spark = v;
  }
  free(sum);
  free(cnt);
  free(sr.run);
  return rc;
}

int bg_series_extras(struct bg_store *s, const struct bg_series_where *w, int spark_n,
                     struct bg_series_extra *ex, size_t n, int *spark_commits) {
  struct keys k = {ex, n, {0}};
  int rc = BG_OK;
  *spark_commits = 0;
  for (size_t i = 0; i < n; i++) {
    ex[i].has_change = 0;
    ex[i].open_alerts = 0;
    ex[i].spark = NULL;
    bg_table_add(&k.by_pair, bg_table_pair(ex[i].benchmark, ex[i].measure), i);
  }
  if (n && w->on_default)
    rc = changes(s, w, &k);
  if (n && rc == BG_OK)
    rc = open_alerts(s, w, &k);
  if (n && rc == BG_OK && spark_n > 0)
    rc = sparks(s, w, spark_n, &k, spark_commits);
  bg_table_free(&k.by_pair);
  return rc;
}

void bg_series_extra_json(struct bg_buf *out, const struct bg_series_extra *ex, int spark_commits) {
  if (ex->has_change) {
    bg_buf_puts(out, ",\"change\":{\"sha\":");
    bg_json_str(out, ex->change_sha);
    bg_buf_puts(out, ",\"time\":");
    bg_json_int(out, ex->change_time);
    bg_buf_puts(out, ",\"change\":");
    bg_json_num(out, ex->change_relative); /* null when NAN */
    bg_buf_puts(out, "}");
  } else {
    bg_buf_puts(out, ",\"change\":null");
  }
  bg_buf_puts(out, ",\"open_alerts\":");
  bg_json_int(out, ex->open_alerts);
  if (!ex->spark)
    return;
  bg_buf_puts(out, ",\"spark\":[");
  for (int j = 0; j < spark_commits; j++) {
    if (j)
      bg_buf_puts(out, ",");
    bg_json_num12(out, ex->spark[j]); /* null when NAN */
  }
  bg_buf_puts(out, "]");
}

void bg_series_extras_free(struct bg_series_extra *ex, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(ex[i].spark);
    ex[i].spark = NULL;
  }
}
