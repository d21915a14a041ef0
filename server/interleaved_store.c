/* interleaved_store.c: the SQLite storage of interleaved runs (interleaved_store.h). */
#include "interleaved_store.h"

#include "interleave.h"
#include "mem.h"
#include "store_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum iid { I_RUN_SET, I_POINT_INSERT, I_RUN_GET, I_POINTS, I_COUNT };

static const char *const sql_text[I_COUNT] = {
    [I_RUN_SET] = "UPDATE runs SET interleaved_base = ?2, interleaved_rounds = ?3 WHERE id = ?1",
    [I_POINT_INSERT] = "INSERT OR REPLACE INTO interleaved_points (run_id, benchmark_id, "
                       "measure_id, round, side, log_center, log_w, raw_center, raw_w, equal_n, "
                       "log_low, log_high, tail_n) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [I_RUN_GET] = "SELECT interleaved_base, interleaved_rounds FROM runs WHERE id = ?1",
    [I_POINTS] =
        "SELECT benchmark_id, measure_id, round, side, log_center, log_w, raw_center, "
        "raw_w, equal_n, log_low, log_high, tail_n FROM interleaved_points WHERE run_id = ?1 "
        "ORDER BY benchmark_id, measure_id, round, side",
};

static const struct bg_store_module interleaved_sql = {"interleaved", sql_text, I_COUNT, NULL,
                                                       NULL};

static sqlite3_stmt *stmt(struct bg_store *s, enum iid id) {
  return bg_store_stmt(s, &interleaved_sql, (size_t)id);
}

static void bind_num(sqlite3_stmt *st, int i, double v) {
  if (isfinite(v))
    sqlite3_bind_double(st, i, v);
  else
    sqlite3_bind_null(st, i);
}

static double col_num(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int insert_point(struct bg_store *s, long long rid, const struct bg_verdict_row *row,
                        size_t round, int side, const struct bg_gate_point *p) {
  sqlite3_stmt *st = stmt(s, I_POINT_INSERT);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  sqlite3_bind_int64(st, 2, row->bid);
  sqlite3_bind_int64(st, 3, row->mid);
  sqlite3_bind_int64(st, 4, (long long)round);
  sqlite3_bind_int(st, 5, side);
  bind_num(st, 6, p->log_center);
  bind_num(st, 7, p->log_w);
  sqlite3_bind_double(st, 8, p->raw_center);
  sqlite3_bind_double(st, 9, p->raw_w);
  sqlite3_bind_double(st, 10, p->equal_n);
  bind_num(st, 11, p->log_low);
  bind_num(st, 12, p->log_high);
  sqlite3_bind_double(st, 13, p->tail_n);
  return bg_store_step_done(s, st, "store an interleaved point");
}

int bg_istore_insert(struct bg_store *s, long long rid, const struct bg_run *run,
                     const struct bg_verdict_row *rows) {
  const struct bg_interleaved *iv = run->interleaved;
  if (!iv)
    return BG_OK;
  sqlite3_stmt *st = stmt(s, I_RUN_SET);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  bg_store_bind_text(st, 2, iv->base_sha);
  sqlite3_bind_int64(st, 3, (long long)iv->nrounds);
  int rc = bg_store_step_done(s, st, "mark an interleaved run");
  struct bg_gate_pair *pairs = bg_xmalloc(iv->nrounds * sizeof *pairs);
  for (size_t i = 0; i < run->nresults && rc == BG_OK; i++) {
    const struct bg_result *r = &run->results[i];
    size_t n = bg_interleave_pairs_of(iv, r->benchmark, r->measure, i, pairs);
    for (size_t k = 0; k < n && rc == BG_OK; k++)
      if ((rc = insert_point(s, rid, &rows[i], k, 0, &pairs[k].base)) == BG_OK)
        rc = insert_point(s, rid, &rows[i], k, 1, &pairs[k].head);
  }
  free(pairs);
  return rc;
}

/* Reads the run's base and round count into p. */
static int load_run(struct bg_store *s, long long rid, struct bg_istore_pairs *p) {
  sqlite3_stmt *st = stmt(s, I_RUN_GET);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  int step = sqlite3_step(st), rc = BG_OK;
  if (step == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL) {
    bg_store_copy_text(p->base_sha, sizeof p->base_sha, bg_store_col_text(st, 0));
    long long r = sqlite3_column_int64(st, 1);
    p->rounds = r > 0 && r <= BG_RUN_MAX_ROUNDS ? (size_t)r : 0;
  } else if (step != SQLITE_ROW && step != SQLITE_DONE) {
    rc = bg_store_fail(s, "read an interleaved run");
  }
  bg_store_done(st);
  return rc;
}

/* One point row into the pairs: a new series when (bid, mid) changes. A series whose rows
 * are not exactly rounds x 2 is left out (cannot happen through bg_istore_insert). */
static void add_point(struct bg_istore_pairs *p, size_t *cap, sqlite3_stmt *st, size_t *filled) {
  long long bid = sqlite3_column_int64(st, 0), mid = sqlite3_column_int64(st, 1);
  long long round = sqlite3_column_int64(st, 2);
  int side = sqlite3_column_int(st, 3);
  size_t n = p->nseries;
  if (!n || p->bids[n - 1] != bid || p->mids[n - 1] != mid) {
    if (n && *filled != 2 * p->rounds)
      n = --p->nseries; /* drop an incomplete series */
    bg_xgrow((void **)&p->bids, cap, n + 1, sizeof *p->bids);
    p->mids = bg_xrealloc(p->mids, *cap * sizeof *p->mids);
    p->pairs = bg_xrealloc(p->pairs, *cap * p->rounds * sizeof *p->pairs);
    p->bids[n] = bid;
    p->mids[n] = mid;
    p->nseries = n + 1;
    *filled = 0;
  }
  if (round < 0 || (size_t)round >= p->rounds)
    return;
  struct bg_gate_pair *pair = &p->pairs[(p->nseries - 1) * p->rounds + (size_t)round];
  struct bg_gate_point *x = side ? &pair->head : &pair->base;
  memset(x, 0, sizeof *x);
  x->log_center = col_num(st, 4);
  x->log_w = col_num(st, 5);
  x->raw_center = col_num(st, 6);
  x->raw_w = col_num(st, 7);
  x->equal_n = col_num(st, 8);
  x->log_low = col_num(st, 9);
  x->log_high = col_num(st, 10);
  x->tail_n = col_num(st, 11);
  ++*filled;
}

int bg_istore_load(struct bg_store *s, long long rid, struct bg_istore_pairs *out) {
  memset(out, 0, sizeof *out);
  int rc = load_run(s, rid, out);
  if (rc || !out->rounds)
    return rc;
  sqlite3_stmt *st = stmt(s, I_POINTS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  size_t cap = 0, filled = 0;
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW)
    add_point(out, &cap, st, &filled);
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "read interleaved points");
  if (out->nseries && filled != 2 * out->rounds)
    out->nseries--;
  bg_store_done(st);
  return rc;
}

size_t bg_istore_find(const struct bg_istore_pairs *p, long long bid, long long mid,
                      const struct bg_gate_pair **out) {
  size_t lo = 0, hi = p->nseries;
  while (lo < hi) {
    size_t m = lo + (hi - lo) / 2;
    if (p->bids[m] < bid || (p->bids[m] == bid && p->mids[m] < mid))
      lo = m + 1;
    else
      hi = m;
  }
  if (lo == p->nseries || p->bids[lo] != bid || p->mids[lo] != mid)
    return 0;
  *out = &p->pairs[lo * p->rounds];
  return p->rounds;
}

void bg_istore_free(struct bg_istore_pairs *p) {
  free(p->bids);
  free(p->mids);
  free(p->pairs);
  memset(p, 0, sizeof *p);
}
