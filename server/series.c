/* series.c: the reads of benchmarks and series (series.h), with statements of their own.
 *
 * A trend is one range scan of the results_series index; its rows are sorted in C and the
 * runs of each commit pooled into one point (lib/stats); a long trend asked for fewer points
 * is then decimated (lib/decimate) around the commits its markers need. The list of
 * benchmarks reads the summaries of the latest runs on the testbed and branch, newest first,
 * and stops once a few runs in a row add no (benchmark, measure) it has not seen; its sparks,
 * change points and alert counts are series_spark.h's.
 */
#include "series.h"

#include "changepoints_store.h"
#include "db_sql.h"
#include "decimate.h"
#include "json.h"
#include "mem.h"
#include "project_reads.h"
#include "series_spark.h"
#include "stats.h"
#include "store_private.h"
#include "table.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum sid { S_LATEST_RUNS, S_RUN_SUMMARIES, S_SERIES, S_MESSAGE, S_COUNT };

static const char *const sql_text[S_COUNT] = {
    [S_LATEST_RUNS] =
        "SELECT r.id, c.sha, c.epoch FROM runs r JOIN commits c ON c.id = r.commit_id "
        "WHERE r.project_id = ?1 AND r.testbed_id = ?2 AND r.branch_id = ?3 "
        "ORDER BY r.commit_epoch DESC, r.id DESC LIMIT ?4",
    [S_RUN_SUMMARIES] =
        "SELECT x.benchmark_id, x.measure_id, b.name, m.slug, m.unit, m.direction, x.n, x.mean, "
        "x.stddev FROM results x JOIN benchmarks b ON b.id = x.benchmark_id "
        "JOIN measures m ON m.id = x.measure_id WHERE x.run_id = ?1",
    /* The covering index makes the trend a range scan; CROSS JOIN keeps results outermost.
     * The rows are sorted in C, which is cheaper than SQLite's sorter for 10 000 rows. */
    [S_SERIES] = "SELECT r.commit_id, c.sha, c.epoch, x.n, x.mean, x.stddev, r.id "
                 "FROM results x INDEXED BY results_series CROSS JOIN runs r CROSS JOIN commits c "
                 "WHERE x.benchmark_id = ?1 AND x.measure_id = ?2 AND r.id = x.run_id "
                 "AND r.testbed_id = ?3 AND r.branch_id = ?4 AND c.id = r.commit_id",
    [S_MESSAGE] = "SELECT message FROM commits WHERE id = ?1",
};

static const struct bg_store_module series_sql = {"series", sql_text, S_COUNT, NULL, NULL};

static sqlite3_stmt *stmt(struct bg_store *s, enum sid id) {
  return bg_store_stmt(s, &series_sql, (size_t)id);
}

/* The testbed and branch of a read: q's names, or the only testbed and the default branch.
 * An unknown name given answers BG_ENOENT naming it; an unknown default leaves the id 0. */
struct place {
  long long tb, br;
  char tbname[80];   /* "" when the project has no testbed */
  const char *bname; /* the branch's name */
};

static int find_place(struct bg_store *s, const struct bg_project *p, const char *testbed,
                      const char *branch, struct place *pl, struct bg_ferr *e) {
  int rc = bg_store_testbed_find(s, p->id, testbed, 0, &pl->tb, pl->tbname, sizeof pl->tbname, e);
  pl->bname = branch ? branch : p->default_branch;
  if (rc == BG_OK && (rc = bg_store_branch_id(s, p->id, pl->bname, &pl->br)) == BG_OK && branch &&
      !pl->br)
    rc = bg_store_no_such(e, "branch");
  return rc;
}

/* ---- the latest value of each benchmark ---- */

#define LATEST_IDLE_RUNS 3

struct latest {
  struct bg_series_extra ex; /* its key: the benchmark and measure ids */
  long long n;
  char *benchmark, *measure, *unit, *direction, *sha;
  long long time;
  double mean, stddev;
};

static int cmp_latest(const void *a, const void *b) {
  const struct latest *x = a, *y = b;
  int c = strcmp(x->benchmark, y->benchmark);
  return c ? c : strcmp(x->measure, y->measure);
}

/* The (benchmark id, measure id) pairs met so far: the pairs in v, keyed in a table. */
struct pair_set {
  long long (*v)[2];
  size_t n, cap;
  struct bg_table by_pair; /* bg_table_pair(b, m) -> index in v */
};

/* Adds (b, m); returns 0 when it was there already. */
static int pair_add(struct pair_set *ps, long long b, long long m) {
  uint64_t key = bg_table_pair(b, m);
  size_t at = 0, i;
  while (bg_table_next(&ps->by_pair, key, &at, &i))
    if (ps->v[i][0] == b && ps->v[i][1] == m)
      return 0;
  bg_xgrow((void **)&ps->v, &ps->cap, ps->n + 1, sizeof *ps->v);
  ps->v[ps->n][0] = b;
  ps->v[ps->n][1] = m;
  bg_table_add(&ps->by_pair, key, ps->n++);
  return 1;
}

/* The latest runs on the testbed and branch, newest first. */
struct latest_runs {
  long long id[BG_SERIES_LATEST_RUNS], time[BG_SERIES_LATEST_RUNS];
  char sha[BG_SERIES_LATEST_RUNS][65];
  int n;
};

static int latest_runs(struct bg_store *s, long long pid, const struct place *pl,
                       struct latest_runs *lr) {
  sqlite3_stmt *st = stmt(s, S_LATEST_RUNS);
  int rc = BG_OK, step;
  lr->n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  sqlite3_bind_int64(st, 2, pl->tb);
  sqlite3_bind_int64(st, 3, pl->br);
  sqlite3_bind_int(st, 4, BG_SERIES_LATEST_RUNS);
  while ((step = sqlite3_step(st)) == SQLITE_ROW && lr->n < BG_SERIES_LATEST_RUNS) {
    lr->id[lr->n] = sqlite3_column_int64(st, 0);
    bg_store_copy_text(lr->sha[lr->n], sizeof lr->sha[0], bg_store_col_text(st, 1));
    lr->time[lr->n++] = sqlite3_column_int64(st, 2);
  }
  if (step != SQLITE_DONE && step != SQLITE_ROW)
    rc = bg_store_fail(s, "latest runs");
  bg_store_done(st);
  return rc;
}

/* Adds the results of run i of lr not met before to items[*n] (grown as needed). */
static int run_summaries(struct bg_store *s, struct latest_runs *lr, int i, struct pair_set *seen,
                         struct latest **items, size_t *n, size_t *cap) {
  sqlite3_stmt *st = stmt(s, S_RUN_SUMMARIES);
  int rc = BG_OK, step;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, lr->id[i]);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    long long bid = sqlite3_column_int64(st, 0), mid = sqlite3_column_int64(st, 1);
    if (!pair_add(seen, bid, mid))
      continue;
    bg_xgrow((void **)items, cap, *n + 1, sizeof **items);
    struct latest *l = &(*items)[(*n)++];
    l->ex.benchmark = bid;
    l->ex.measure = mid;
    l->benchmark = bg_xstrdup(bg_store_col_text(st, 2));
    l->measure = bg_xstrdup(bg_store_col_text(st, 3));
    l->unit = bg_xstrdup(bg_store_col_text(st, 4));
    l->direction = bg_xstrdup(bg_store_col_text(st, 5));
    l->n = sqlite3_column_int64(st, 6);
    l->mean = sqlite3_column_double(st, 7);
    l->stddev = sqlite3_column_double(st, 8);
    l->sha = lr->sha[i];
    l->time = lr->time[i];
  }
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "run summaries");
  bg_store_done(st);
  return rc;
}

static void latest_json(struct bg_buf *out, const struct latest *l, int spark_commits) {
  bg_buf_puts(out, "{\"benchmark\":");
  bg_json_str(out, l->benchmark);
  bg_buf_puts(out, ",\"measure\":");
  bg_json_str(out, l->measure);
  bg_buf_puts(out, ",\"unit\":");
  bg_json_str(out, l->unit);
  bg_buf_puts(out, ",\"direction\":");
  bg_json_str(out, l->direction);
  bg_buf_puts(out, ",\"latest\":{\"sha\":");
  bg_json_str(out, l->sha);
  bg_buf_puts(out, ",\"time\":");
  bg_json_int(out, l->time);
  bg_buf_puts(out, ",\"n\":");
  bg_json_int(out, l->n);
  bg_buf_puts(out, ",\"mean\":");
  bg_json_num(out, l->mean);
  bg_buf_puts(out, ",\"stddev\":");
  bg_json_num(out, l->stddev);
  bg_buf_puts(out, "}");
  bg_series_extra_json(out, &l->ex, spark_commits);
  bg_buf_puts(out, "}");
}

/* Fills the extras (series_spark.h) of items[0..n-1]: their change, alerts and spark. */
static int latest_extras(struct bg_store *s, const struct bg_project *p, const struct place *pl,
                         int spark, struct latest *items, size_t n, int *spark_commits) {
  struct bg_series_where w = {p->id, pl->tb, pl->br, strcmp(pl->bname, p->default_branch) == 0};
  struct bg_series_extra *ex = bg_xmalloc((n ? n : 1) * sizeof *ex);
  for (size_t i = 0; i < n; i++)
    ex[i] = items[i].ex;
  int rc = bg_series_extras(s, &w, spark, ex, n, spark_commits);
  for (size_t i = 0; i < n; i++)
    items[i].ex = ex[i];
  free(ex);
  return rc;
}

int bg_series_benchmarks_json(struct bg_store *s, const struct bg_project *p, const char *testbed,
                              const char *branch, int spark, struct bg_buf *out,
                              struct bg_ferr *e) {
  struct place pl;
  struct latest_runs lr;
  struct latest *items = NULL;
  size_t nitems = 0, cap = 0;
  struct pair_set seen = {0};
  int rc;
  if ((rc = find_place(s, p, testbed, branch, &pl, e)) || (rc = latest_runs(s, p->id, &pl, &lr)))
    return rc;
  /* Runs usually carry the same benchmarks, so stop once a few runs in a row add nothing. */
  for (int i = 0, idle = 0; i < lr.n && rc == BG_OK && idle < LATEST_IDLE_RUNS; i++) {
    size_t before = nitems;
    rc = run_summaries(s, &lr, i, &seen, &items, &nitems, &cap);
    idle = nitems == before ? idle + 1 : 0;
  }
  int spark_commits = 0;
  if (rc == BG_OK && pl.tb && pl.br)
    rc = latest_extras(s, p, &pl, spark, items, nitems, &spark_commits);
  if (nitems)
    qsort(items, nitems, sizeof *items, cmp_latest);
  bg_buf_puts(out, "{\"testbed\":");
  bg_json_str(out, pl.tbname[0] ? pl.tbname : NULL);
  bg_buf_puts(out, ",\"branch\":");
  bg_json_str(out, pl.bname);
  if (spark) {
    bg_buf_puts(out, ",\"spark_commits\":");
    bg_json_int(out, spark_commits);
  }
  bg_buf_puts(out, ",\"benchmarks\":[");
  for (size_t i = 0; i < nitems; i++) {
    struct latest *l = &items[i];
    if (i)
      bg_buf_puts(out, ",");
    latest_json(out, l, spark_commits);
    free(l->ex.spark);
    free(l->benchmark);
    free(l->measure);
    free(l->unit);
    free(l->direction);
  }
  bg_buf_puts(out, "]}");
  free(items);
  free(seen.v);
  bg_table_free(&seen.by_pair);
  return rc;
}

/* ---- one series ---- */

/* One run's result for a series, before sorting and pooling. */
struct series_row {
  long long time, commit, run, n;
  size_t sha_off;
  double mean, sd;
};

/* One commit's point: its runs pooled. */
struct point {
  long long commit, time;
  size_t sha_off;
  struct bg_stats_pool pool;
};

/* What a series read works on. */
struct series {
  struct place pl;
  long long bid;
  struct bg_store_measure m;
  struct series_row *rows;
  size_t nrows;
  struct point *pts;
  size_t npts;
  struct bg_buf shas; /* the rows' shas, NUL-terminated, at their sha_off */
};

/* Newest first: commit time, then commit, then run (all descending). */
static int cmp_series_row(const void *a, const void *b) {
  const struct series_row *x = a, *y = b;
  if (x->time != y->time)
    return x->time < y->time ? 1 : -1;
  if (x->commit != y->commit)
    return x->commit < y->commit ? 1 : -1;
  return (x->run < y->run) - (x->run > y->run);
}

/* The testbed, branch, benchmark and measure of q; BG_ENOENT naming one the project does not
 * have. */
static int series_ids(struct bg_store *s, const struct bg_project *p,
                      const struct bg_series_query *q, struct series *se, struct bg_ferr *e) {
  int rc;
  if ((rc = find_place(s, p, q->testbed, q->branch, &se->pl, e)) ||
      (q->benchmark && (rc = bg_store_benchmark_id(s, p->id, q->benchmark, &se->bid))))
    return rc;
  if (q->benchmark && !se->bid)
    return bg_store_no_such(e, "benchmark");
  if ((rc = bg_store_measure_find(s, p->id, q->measure, &se->m)))
    return rc;
  return se->m.id ? BG_OK : bg_store_no_such(e, "measure");
}

/* Reads the series' rows (every run's result) into se->rows. */
static int series_rows(struct bg_store *s, struct series *se) {
  sqlite3_stmt *st = stmt(s, S_SERIES);
  int rc = BG_OK, step;
  size_t cap = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, se->bid);
  sqlite3_bind_int64(st, 2, se->m.id);
  sqlite3_bind_int64(st, 3, se->pl.tb);
  sqlite3_bind_int64(st, 4, se->pl.br);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    bg_xgrow((void **)&se->rows, &cap, se->nrows + 1, sizeof *se->rows);
    struct series_row *r = &se->rows[se->nrows++];
    r->commit = sqlite3_column_int64(st, 0);
    r->sha_off = se->shas.len;
    bg_buf_append(&se->shas, bg_store_col_text(st, 1), (size_t)sqlite3_column_bytes(st, 1) + 1);
    r->time = sqlite3_column_int64(st, 2);
    r->n = sqlite3_column_int64(st, 3);
    r->mean = sqlite3_column_double(st, 4);
    r->sd = sqlite3_column_double(st, 5);
    r->run = sqlite3_column_int64(st, 6);
  }
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "series");
  bg_store_done(st);
  return rc;
}

/* Sorts the rows newest first and pools the runs of each commit into se->pts until `limit`
 * commits are in. */
static void series_points(struct series *se, int limit) {
  size_t cap = 0;
  if (se->nrows)
    qsort(se->rows, se->nrows, sizeof *se->rows, cmp_series_row);
  for (size_t i = 0; i < se->nrows; i++) {
    const struct series_row *r = &se->rows[i];
    if (!se->npts || se->pts[se->npts - 1].commit != r->commit) {
      if ((int)se->npts == limit)
        break;
      bg_xgrow((void **)&se->pts, &cap, se->npts + 1, sizeof *se->pts);
      struct point *pt = &se->pts[se->npts++];
      memset(pt, 0, sizeof *pt);
      pt->commit = r->commit;
      pt->sha_off = r->sha_off;
      pt->time = r->time;
    }
    bg_stats_pool_add(&se->pts[se->npts - 1].pool, r->n, r->mean, r->sd);
  }
}

/* Appends the subject of commit `cid`'s message as the member ,"subject". */
static int subject_json(struct bg_store *s, long long cid, struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, S_MESSAGE);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  int step = sqlite3_step(st);
  bg_buf_puts(out, ",\"subject\":");
  bg_project_reads_subject_json(out, step == SQLITE_ROW ? bg_store_col_text(st, 0) : NULL);
  bg_store_done(st);
  return step == SQLITE_ROW || step == SQLITE_DONE ? BG_OK : bg_store_fail(s, "subject");
}

/* Appends the points, oldest first, with their intervals (and subjects when asked). */
static int points_json(struct bg_store *s, struct bg_buf *out, const struct series *se,
                       int subjects) {
  int rc = BG_OK;
  bg_buf_puts(out, ",\"points\":[");
  for (size_t k = 0; k < se->npts; k++) {
    const struct point *pt = &se->pts[se->npts - 1 - k];
    double half = 1.96 * bg_stats_pool_stddev(&pt->pool) / sqrt((double)pt->pool.n);
    bg_buf_puts(out, k ? ",{\"sha\":" : "{\"sha\":");
    bg_json_str(out, se->shas.data + pt->sha_off);
    bg_buf_puts(out, ",\"time\":");
    bg_json_int(out, pt->time);
    bg_buf_puts(out, ",\"n\":");
    bg_json_int(out, pt->pool.n);
    bg_buf_puts(out, ",\"mean\":");
    bg_json_num12(out, pt->pool.mean);
    bg_buf_puts(out, ",\"lower\":");
    bg_json_num12(out, pt->pool.mean - half);
    bg_buf_puts(out, ",\"upper\":");
    bg_json_num12(out, pt->pool.mean + half);
    if (subjects && (rc = subject_json(s, pt->commit, out)))
      return rc;
    bg_buf_puts(out, "}");
  }
  bg_buf_puts(out, "],");
  return rc;
}

/* Keeps at most about max_points of se's points (lib/decimate): the first and last, those
 * at the commits of the series' change points and regression alerts, and each bucket's
 * smallest and largest mean. The points stay newest first. */
static int decimate(struct bg_store *s, const struct bg_project *p, struct series *se,
                    int max_points, int on_default) {
  long long *ids;
  size_t nids, n = se->npts;
  int rc = bg_changepoints_store_series_commits(s, p->id, se->pl.tb, se->bid, se->m.id, on_default,
                                                &ids, &nids);
  if (rc)
    return rc;
  struct bg_table special = {0};
  for (size_t i = 0; i < nids; i++)
    bg_table_add(&special, (uint64_t)ids[i], i);
  double *v = bg_xmalloc(n * sizeof *v);
  unsigned char *keep = bg_xmalloc(n);
  size_t *kept = bg_xmalloc(n * sizeof *kept), at;
  for (size_t k = 0; k < n; k++) { /* oldest first */
    const struct point *pt = &se->pts[n - 1 - k];
    v[k] = pt->pool.mean;
    keep[k] = (unsigned char)bg_table_get(&special, (uint64_t)pt->commit, &at);
  }
  size_t m = bg_decimate(v, n, keep, (size_t)max_points, kept);
  /* kept[] ascends oldest first, so walking it backwards reads se->pts forwards: every
   * source lies at or after its destination and the copy is in place. */
  for (size_t j = 0; j < m; j++)
    se->pts[j] = se->pts[n - 1 - kept[m - 1 - j]];
  se->npts = m;
  free(v);
  free(keep);
  free(kept);
  free(ids);
  bg_table_free(&special);
  return BG_OK;
}

/* Appends the series' opening members, up to "decimated"; `total` points before decimation. */
static void series_head_json(struct bg_buf *out, const struct bg_series_query *q,
                             const struct series *se, size_t total) {
  bg_buf_puts(out, "{\"benchmark\":");
  bg_json_str(out, q->benchmark);
  bg_buf_puts(out, ",\"measure\":");
  bg_json_str(out, q->measure);
  bg_buf_puts(out, ",\"unit\":");
  bg_json_str(out, se->m.unit);
  bg_buf_puts(out, ",\"direction\":");
  bg_json_str(out, se->m.direction);
  bg_buf_puts(out, ",\"testbed\":");
  bg_json_str(out, se->pl.tbname[0] ? se->pl.tbname : NULL);
  bg_buf_puts(out, ",\"branch\":");
  bg_json_str(out, se->pl.bname);
  bg_buf_puts(out, ",\"total_points\":");
  bg_json_int(out, (long long)total);
  bg_buf_puts(out, se->npts < total ? ",\"decimated\":true" : ",\"decimated\":false");
}

int bg_series_json(struct bg_store *s, const struct bg_project *p, const struct bg_series_query *q,
                   struct bg_buf *out, struct bg_ferr *e) {
  struct series se;
  memset(&se, 0, sizeof se);
  bg_buf_init(&se.shas, 0);
  int rc = series_ids(s, p, q, &se, e);
  if (rc == BG_OK)
    rc = series_rows(s, &se);
  int on_default = rc == BG_OK && strcmp(se.pl.bname, p->default_branch) == 0;
  size_t total = 0;
  if (rc == BG_OK) {
    series_points(&se, q->limit);
    total = se.npts;
    if (q->max_points > 0 && se.npts > (size_t)q->max_points)
      rc = decimate(s, p, &se, q->max_points, on_default);
  }
  if (rc == BG_OK) {
    series_head_json(out, q, &se, total);
    rc = points_json(s, out, &se, q->subjects);
  }
  if (rc == BG_OK) {
    /* Change points and alerts take the points' commits oldest first. */
    long long *cids = bg_xmalloc((se.npts ? se.npts : 1) * sizeof *cids);
    for (size_t k = 0; k < se.npts; k++)
      cids[k] = se.pts[se.npts - 1 - k].commit;
    rc = bg_changepoints_store_series_json(s, p->id, se.pl.tb, se.bid, se.m.id, cids, se.npts,
                                           on_default, out);
    free(cids);
    bg_buf_puts(out, "}");
  }
  free(se.pts);
  free(se.rows);
  bg_buf_free(&se.shas);
  return rc;
}
