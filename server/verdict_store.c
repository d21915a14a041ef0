/* verdict_store.c: the gate's queries on SQLite (verdict_store.h).
 *
 * A verdict costs a handful of queries: the run and its results (with their names), the
 * baseline runs (an index range on runs_baseline), their results in one query per 32 runs by
 * the results primary key (the stored gate summaries, never the samples) for the runs the
 * decision cache lacks, the series' baseline starts and the commit's acknowledgements.
 *
 * What a verdict was decided on is pinned in run_gate_inputs as a small JSON document:
 * {"runs":[...],"window":level,"ref":[epoch,commit],"thresholds_run":id|null}.
 */
#include "verdict_store.h"

#include "gate.h"
#include "mem.h"
#include "store_private.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IN_CHUNK 32 /* baseline runs per results query */
#define IN_LIST                                                                                    \
  "?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,"    \
  "?26,?27,?28,?29,?30,?31,?32"
#define SUMMARY_COLS                                                                               \
  "x.n, x.mean, x.stddev, x.median, x.log_center, x.log_w, x.raw_center, x.raw_w, "                \
  "CASE WHEN x.raw_center IS NULL THEN x.samples END, x.log_low, x.log_high"

/* A baseline leaves out a first run that confirmations re-measured (lib/confirm.h): they
 * stand for its commit, and a first run that a passing disturbance of the machine slowed is
 * what confirmations exist to set aside. */
#define NOT_CONFIRMED "NOT EXISTS (SELECT 1 FROM runs k WHERE k.confirms_id = r.id)"

enum qid {
  Q_RUN,
  Q_WINDOW,
  Q_FORK,
  Q_BASE_RUNS,
  Q_COMMIT_RUNS,
  Q_LATEST,
  Q_THRESHOLDS_OF,
  Q_CAND,
  Q_BASE,
  Q_CUTS,
  Q_ACKS,
  Q_UPDATE,
  Q_INPUT_SET,
  Q_GATE_INPUT,
  Q_RUN_BRIEF,
  Q_PENDING,
  Q_NEWEST_RUN,
  Q_NEWEST_RUNS,
  Q_CONFIRMS,
  Q_CHAIN,
  Q_FINGERPRINT,
  Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
    [Q_RUN] = "SELECT r.commit_id, r.commit_epoch, r.testbed_id, r.branch_id, r.pull_request, "
              "r.baseline_sha, c.sha, b.name, t.name FROM runs r "
              "JOIN commits c ON c.id = r.commit_id JOIN branches b ON b.id = r.branch_id "
              "JOIN testbeds t ON t.id = r.testbed_id WHERE r.id = ?1",
    [Q_WINDOW] = "SELECT gate_window, noise_window FROM projects WHERE id = ?1",
    [Q_FORK] = "SELECT c.id, c.epoch FROM commits c WHERE c.project_id = ?1 AND c.sha = ?2 "
               "AND EXISTS (SELECT 1 FROM runs r WHERE r.commit_id = c.id AND r.branch_id = ?3 "
               "AND r.testbed_id = ?4 AND r.pull_request IS NULL)",
    [Q_BASE_RUNS] =
        "SELECT r.id, r.commit_epoch, c.sha FROM runs r JOIN commits c ON c.id = r.commit_id "
        "WHERE r.project_id = ?1 AND r.testbed_id = ?2 AND r.branch_id = ?3 "
        "AND r.pull_request IS NULL AND (r.commit_epoch, r.commit_id) < (?4, ?5) "
        "AND " NOT_CONFIRMED " ORDER BY r.commit_epoch DESC, r.commit_id DESC, r.id DESC LIMIT ?6",
    [Q_COMMIT_RUNS] = "SELECT r.id, r.commit_epoch, c.sha FROM runs r "
                      "JOIN commits c ON c.id = r.commit_id WHERE r.commit_id = ?1 "
                      "AND r.testbed_id = ?2 AND " NOT_CONFIRMED " ORDER BY r.id DESC LIMIT ?3",
    [Q_LATEST] = "SELECT id, commit_epoch FROM runs WHERE project_id = ?1 AND branch_id = ?2 "
                 "AND pull_request IS NULL ORDER BY commit_epoch DESC, id DESC LIMIT 1",
    [Q_THRESHOLDS_OF] = "SELECT thresholds FROM runs WHERE id = ?1",
    [Q_CAND] =
        "SELECT x.benchmark_id, x.measure_id, b.name, m.slug, m.unit, m.direction, " SUMMARY_COLS
        " FROM results x JOIN benchmarks b ON b.id = x.benchmark_id "
        "JOIN measures m ON m.id = x.measure_id WHERE x.run_id = ?1",
    [Q_BASE] = "SELECT x.run_id, x.benchmark_id, x.measure_id, " SUMMARY_COLS
               " FROM results x WHERE x.run_id IN (" IN_LIST ")",
    [Q_CUTS] = "SELECT benchmark_id, measure_id, baseline_start, start_commit_id "
               "FROM series_baseline WHERE project_id = ?1 AND testbed_id = ?2",
    [Q_ACKS] = "SELECT benchmark_id, measure_id FROM acknowledgements "
               "WHERE commit_id = ?1 AND testbed_id = ?2",
    [Q_UPDATE] = "UPDATE runs SET verdict = ?2, verdict_state = ?3, n_regressed = ?4, "
                 "n_inconclusive = ?5, n_improved = ?6, n_missing = ?7, n_new = ?8, "
                 "n_unchanged = ?9, n_ignored = ?10, gate_input = NULL, confirming = ?11 "
                 "WHERE id = ?1",
    [Q_INPUT_SET] = "INSERT OR REPLACE INTO run_gate_inputs (run_id, input) VALUES (?1, ?2)",
    [Q_GATE_INPUT] = "SELECT input FROM run_gate_inputs WHERE run_id = ?1",
    [Q_RUN_BRIEF] = "SELECT r.commit_epoch, c.sha FROM runs r JOIN commits c ON c.id = r.commit_id "
                    "WHERE r.id = ?1",
    [Q_PENDING] = "SELECT gate_input FROM runs WHERE id = ?1",
    [Q_NEWEST_RUN] = "SELECT id FROM runs WHERE commit_id = ?1 "
                     "AND (?2 = 0 OR testbed_id = ?2) ORDER BY id DESC LIMIT 1",
    [Q_NEWEST_RUNS] = "SELECT max(id) FROM runs WHERE commit_id = ?1 GROUP BY testbed_id "
                      "ORDER BY testbed_id",
    [Q_CONFIRMS] = "SELECT confirms_id, confirmable FROM runs WHERE id = ?1",
    [Q_CHAIN] = "SELECT id FROM runs WHERE confirms_id = ?1 AND id < ?2 ORDER BY id",
    [Q_FINGERPRINT] = "SELECT fingerprint FROM runs WHERE id = ?1",
};

/* What a connection keeps: one module's state (the decision cache of its verdicts). */
struct local {
  const struct bg_db_shared *kind;
  void *st;
};

static void local_free(void *p) {
  struct local *l = p;
  if (l && l->st)
    l->kind->destroy(l->st);
  free(l);
}

static const struct bg_store_module vstore_sql = {"verdict store", sql_text, Q_COUNT, local_free,
                                                  NULL};

static sqlite3_stmt *stmt(struct bg_store *s, enum qid id) {
  return bg_store_stmt(s, &vstore_sql, (size_t)id);
}

void *bg_vstore_local(struct bg_store *s, const struct bg_db_shared *kind) {
  void **slot = bg_store_state(s, &vstore_sql);
  struct local *l = *slot;
  if (!l) {
    l = *slot = bg_xcalloc(1, sizeof *l);
    l->kind = kind;
    l->st = kind->create();
  }
  return l->kind == kind ? l->st : NULL;
}

int bg_vstore_run(struct bg_store *s, long long rid, struct bg_vstore_run *c) {
  sqlite3_stmt *st = stmt(s, Q_RUN);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    c->commit_id = sqlite3_column_int64(st, 0);
    c->epoch = sqlite3_column_int64(st, 1);
    c->testbed_id = sqlite3_column_int64(st, 2);
    c->branch_id = sqlite3_column_int64(st, 3);
    c->pr = sqlite3_column_int64(st, 4);
    bg_store_copy_text(c->baseline_sha, sizeof c->baseline_sha, bg_store_col_text(st, 5));
    bg_store_copy_text(c->sha, sizeof c->sha, bg_store_col_text(st, 6));
    bg_store_copy_text(c->branch, sizeof c->branch, bg_store_col_text(st, 7));
    bg_store_copy_text(c->testbed, sizeof c->testbed, bg_store_col_text(st, 8));
  } else {
    rc = step == SQLITE_DONE ? BG_ENOENT : bg_store_fail(s, "run");
  }
  bg_store_done(st);
  return rc;
}

int bg_vstore_windows(struct bg_store *s, long long pid, long long *window, long long *noise) {
  sqlite3_stmt *st = stmt(s, Q_WINDOW);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  if (sqlite3_step(st) == SQLITE_ROW) {
    *window = sqlite3_column_int64(st, 0);
    *noise = sqlite3_column_int64(st, 1);
  } else {
    rc = bg_store_fail(s, "window");
  }
  bg_store_done(st);
  return rc;
}

int bg_vstore_fork(struct bg_store *s, long long pid, const char *sha, long long branch,
                   long long testbed, long long *cid, long long *epoch) {
  sqlite3_stmt *st = stmt(s, Q_FORK);
  int rc = BG_OK;
  *cid = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, branch);
  sqlite3_bind_int64(st, 4, testbed);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    *cid = sqlite3_column_int64(st, 0);
    *epoch = sqlite3_column_int64(st, 1);
  } else if (step != SQLITE_DONE) {
    rc = bg_store_fail(s, "fork point");
  }
  bg_store_done(st);
  return rc;
}

void bg_baseline_free(struct bg_baseline *b) {
  if (!b)
    return;
  free(b->runs);
  free(b->epochs);
  free(b->shas);
  memset(b, 0, sizeof *b);
}

/* Steps `st` (bound by the caller; columns run id, commit epoch, commit sha) into b, at most
 * `limit` rows, then resets it. `what` names the query in a failure. */
static int step_runs(struct bg_store *s, sqlite3_stmt *st, long long limit, struct bg_baseline *b,
                     const char *what) {
  int rc = BG_OK, step = SQLITE_DONE;
  b->runs = bg_xcalloc((size_t)limit, sizeof *b->runs);
  b->epochs = bg_xcalloc((size_t)limit, sizeof *b->epochs);
  b->shas = bg_xcalloc((size_t)limit, sizeof *b->shas);
  while ((long long)b->n < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
    b->runs[b->n] = sqlite3_column_int64(st, 0);
    b->epochs[b->n] = sqlite3_column_int64(st, 1);
    bg_store_copy_text(b->shas[b->n], sizeof b->shas[0], bg_store_col_text(st, 2));
    b->n++;
  }
  if ((long long)b->n < limit && step != SQLITE_DONE)
    rc = bg_store_fail(s, what);
  bg_store_done(st);
  return rc;
}

int bg_vstore_base_runs(struct bg_store *s, long long pid, long long testbed, long long branch,
                        long long epoch, long long commit, long long limit, struct bg_baseline *b) {
  sqlite3_stmt *st = stmt(s, Q_BASE_RUNS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  sqlite3_bind_int64(st, 2, testbed);
  sqlite3_bind_int64(st, 3, branch);
  sqlite3_bind_int64(st, 4, epoch);
  sqlite3_bind_int64(st, 5, commit);
  sqlite3_bind_int64(st, 6, limit);
  return step_runs(s, st, limit, b, "baseline runs");
}

int bg_vstore_commit_runs(struct bg_store *s, long long cid, long long tb, long long limit,
                          struct bg_baseline *b) {
  sqlite3_stmt *st = stmt(s, Q_COMMIT_RUNS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  sqlite3_bind_int64(st, 2, tb);
  sqlite3_bind_int64(st, 3, limit);
  return step_runs(s, st, limit, b, "commit runs");
}

int bg_vstore_latest_run(struct bg_store *s, long long pid, long long branch, long long *run,
                         long long *epoch) {
  sqlite3_stmt *st = stmt(s, Q_LATEST);
  int rc = BG_OK;
  *run = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  sqlite3_bind_int64(st, 2, branch);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    *run = sqlite3_column_int64(st, 0);
    *epoch = sqlite3_column_int64(st, 1);
  } else if (step != SQLITE_DONE) {
    rc = bg_store_fail(s, "thresholds");
  }
  bg_store_done(st);
  return rc;
}

int bg_vstore_thresholds(struct bg_store *s, long long run, char **json) {
  sqlite3_stmt *st = stmt(s, Q_THRESHOLDS_OF);
  int rc = BG_OK;
  *json = NULL;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, run);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
    *json = bg_xstrdup(bg_store_col_text(st, 0));
  else if (step != SQLITE_ROW && step != SQLITE_DONE)
    rc = bg_store_fail(s, "thresholds");
  bg_store_done(st);
  return rc;
}

/* ---- result rows ---- */

/* What a REAL column gives back of a bound value: the value, but -0 (SQLite stores it as the
 * integer 0) and NaN (stored as NULL: `null_as` is what the reader makes of NULL). */
static double as_stored(double v, double null_as) {
  return isnan(v) ? null_as : v == 0 ? 0.0 : v;
}

struct bg_verdict_row bg_vstore_as_stored(struct bg_verdict_row r) {
  /* read_row reads n, mean and stddev with sqlite3_column_double (NULL gives 0). */
  r.mean = as_stored(r.mean, 0.0);
  r.stddev = as_stored(r.stddev, 0.0);
  double *v[] = {&r.median, &r.log_center, &r.log_w,   &r.raw_center,
                 &r.raw_w,  &r.log_low,    &r.log_high};
  for (size_t k = 0; k < sizeof v / sizeof *v; k++)
    *v[k] = as_stored(*v[k], NAN);
  return r;
}

/* Reads the SUMMARY_COLS starting at column c into r; the samples of a row without its
 * summary columns go to *samples (free()). */
static void read_row(sqlite3_stmt *st, int c, struct bg_vstore_result *r, double **samples) {
  r->row.n = sqlite3_column_double(st, c);
  r->row.mean = sqlite3_column_double(st, c + 1);
  r->row.stddev = sqlite3_column_double(st, c + 2);
  r->row.median = bg_store_col_or_nan(st, c + 3);
  r->row.log_center = bg_store_col_or_nan(st, c + 4);
  r->row.log_w = bg_store_col_or_nan(st, c + 5);
  r->row.raw_center = bg_store_col_or_nan(st, c + 6);
  r->row.raw_w = bg_store_col_or_nan(st, c + 7);
  r->row.log_low = bg_store_col_or_nan(st, c + 9);
  r->row.log_high = bg_store_col_or_nan(st, c + 10);
  r->samples = NULL;
  r->nsamples = 0;
  if (!isnan(r->row.raw_center))
    return;
  const unsigned char *blob = sqlite3_column_blob(st, c + 8);
  size_t ns = (size_t)sqlite3_column_bytes(st, c + 8) / 8;
  if (blob && ns) {
    *samples = bg_xmalloc(ns * sizeof **samples);
    for (size_t i = 0; i < ns; i++)
      (*samples)[i] = bg_store_sample(blob, i);
    r->samples = *samples;
    r->nsamples = ns;
  }
}

static enum bg_direction direction_of(const char *d) {
  return d && !strcmp(d, "higher") ? BG_HIGHER : BG_LOWER;
}

/* Steps st, handing each row to fn: names from column `names` (-1: none), run id from column
 * 0 when `with_run`, series ids from the next two, SUMMARY_COLS from column `sums` (-1: none). */
static int each_row(struct bg_store *s, sqlite3_stmt *st, int with_run, int names, int sums,
                    bg_vstore_result_fn fn, void *ctx, const char *what) {
  int rc = BG_OK, step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    struct bg_vstore_result r = {0};
    double *samples = NULL;
    int c = with_run ? 1 : 0;
    r.run = with_run ? sqlite3_column_int64(st, 0) : 0;
    if (sums >= 0) {
      r.row.bid = sqlite3_column_int64(st, c);
      r.row.mid = sqlite3_column_int64(st, c + 1);
      read_row(st, sums, &r, &samples);
    }
    if (names >= 0) {
      r.benchmark = bg_store_col_text(st, names);
      r.measure = bg_store_col_text(st, names + 1);
      r.unit = bg_store_col_text(st, names + 2);
      r.direction = direction_of(bg_store_col_text(st, names + 3));
    }
    rc = fn(ctx, &r);
    free(samples);
    if (rc)
      break;
  }
  if (rc == BG_OK && step != SQLITE_DONE)
    rc = bg_store_fail(s, what);
  bg_store_done(st);
  return rc;
}

int bg_vstore_candidate(struct bg_store *s, long long rid, bg_vstore_result_fn fn, void *ctx) {
  sqlite3_stmt *st = stmt(s, Q_CAND);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  return each_row(s, st, 0, 2, 6, fn, ctx, "candidate results");
}

int bg_vstore_baseline_results(struct bg_store *s, const long long *runs, size_t n,
                               bg_vstore_result_fn fn, void *ctx) {
  int rc = BG_OK;
  for (size_t from = 0; from < n && rc == BG_OK; from += IN_CHUNK) {
    sqlite3_stmt *st = stmt(s, Q_BASE);
    if (!st)
      return BG_EDB;
    for (size_t j = 0; j < IN_CHUNK && from + j < n; j++)
      sqlite3_bind_int64(st, (int)j + 1, runs[from + j]);
    rc = each_row(s, st, 1, -1, 3, fn, ctx, "baseline results");
  }
  return rc;
}

int bg_vstore_cuts(struct bg_store *s, long long pid, long long tb,
                   void (*fn)(void *ctx, long long bid, long long mid, long long epoch,
                              long long commit),
                   void *ctx) {
  sqlite3_stmt *st = stmt(s, Q_CUTS);
  int rc = BG_OK, step;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  sqlite3_bind_int64(st, 2, tb);
  while ((step = sqlite3_step(st)) == SQLITE_ROW)
    fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
       sqlite3_column_int64(st, 3));
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "series baselines");
  bg_store_done(st);
  return rc;
}

int bg_vstore_acks(struct bg_store *s, long long cid, long long tb,
                   void (*fn)(void *ctx, long long bid, long long mid), void *ctx) {
  sqlite3_stmt *st = stmt(s, Q_ACKS);
  int rc = BG_OK, step;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  sqlite3_bind_int64(st, 2, tb);
  while ((step = sqlite3_step(st)) == SQLITE_ROW)
    fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "acknowledgements");
  bg_store_done(st);
  return rc;
}

/* ---- verdicts ---- */

int bg_vstore_set_verdict(struct bg_store *s, long long rid, const char *head, const char *state,
                          const size_t *counts) {
  sqlite3_stmt *st = stmt(s, Q_UPDATE);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  sqlite3_bind_text(st, 2, head, -1, SQLITE_STATIC);
  int confirming = !strcmp(state, "pending");
  if (confirming)
    sqlite3_bind_null(st, 3); /* see schema/012: the CHECK of verdict_state predates it */
  else
    sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
  for (int k = 0; k < BG_GATE_NCLASSES; k++)
    sqlite3_bind_int64(st, 4 + k, (long long)counts[k]);
  sqlite3_bind_int(st, 11, confirming);
  int rc = sqlite3_step(st) == SQLITE_DONE ? BG_OK : bg_store_fail(s, "store verdict");
  bg_store_done(st);
  return rc;
}

/* The pinned input as text. A stretch of three or more consecutive ids, newest first (a
 * default branch without interleaved branch runs), is written [first, count]: up to 100 ids
 * in each run row made the rows, and the series reads that walk them, a fifth slower. */
static char *input_text(const struct bg_baseline *b, long long th_run) {
  struct bg_buf buf;
  bg_buf_init(&buf, 0);
  bg_buf_puts(&buf, "{\"runs\":[");
  for (size_t i = 0, len; i < b->n; i += len) {
    for (len = 1; i + len < b->n && b->runs[i + len] == b->runs[i] - (long long)len; len++)
      ;
    if (i)
      bg_buf_puts(&buf, ",");
    if (len < 3) {
      len = 1;
      bg_json_int(&buf, b->runs[i]);
    } else {
      bg_buf_puts(&buf, "[");
      bg_json_int(&buf, b->runs[i]);
      bg_buf_puts(&buf, ",");
      bg_json_int(&buf, (long long)len);
      bg_buf_puts(&buf, "]");
    }
  }
  bg_buf_puts(&buf, "],\"window\":");
  bg_json_int(&buf, (long long)b->level);
  bg_buf_puts(&buf, ",\"ref\":[");
  bg_json_int(&buf, b->ref_epoch);
  bg_buf_puts(&buf, ",");
  bg_json_int(&buf, b->ref_commit);
  bg_buf_puts(&buf, "],\"thresholds_run\":");
  if (th_run)
    bg_json_int(&buf, th_run);
  else
    bg_buf_puts(&buf, "null");
  bg_buf_puts(&buf, "}");
  return bg_buf_steal(&buf);
}

int bg_vstore_pin(struct bg_store *s, long long rid, const struct bg_baseline *b,
                  long long th_run) {
  sqlite3_stmt *st = stmt(s, Q_INPUT_SET);
  if (!st)
    return BG_EDB;
  char *input = input_text(b, th_run);
  sqlite3_bind_int64(st, 1, rid);
  sqlite3_bind_text(st, 2, input, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st) == SQLITE_DONE ? BG_OK : bg_store_fail(s, "store gate input");
  bg_store_done(st);
  free(input);
  return rc;
}

/* The run ids of a pinned input's "runs" (ids and [first, count] stretches), at most
 * BG_VERDICT_MAX_WINDOW; NULL with *n 0 when there are none or they are malformed. */
static long long *pinned_ids(const cJSON *runs, size_t *n) {
  long long *ids = bg_xcalloc(BG_VERDICT_MAX_WINDOW, sizeof *ids);
  const cJSON *r;
  *n = 0;
  cJSON_ArrayForEach(r, runs) {
    long long first = (long long)cJSON_GetNumberValue(r), count = 1;
    if (cJSON_IsArray(r) && cJSON_GetArraySize(r) == 2) {
      first = (long long)cJSON_GetNumberValue(cJSON_GetArrayItem(r, 0));
      count = (long long)cJSON_GetNumberValue(cJSON_GetArrayItem(r, 1));
    } else if (!cJSON_IsNumber(r)) {
      count = 0;
    }
    if (count < 1 || count > BG_VERDICT_MAX_WINDOW - (long long)*n) {
      free(ids);
      *n = 0;
      return NULL;
    }
    for (long long k = 0; k < count; k++)
      ids[(*n)++] = first - k;
  }
  return ids;
}

/* The epochs and shas of runs ids[0..n-1] into b (runs that are gone are left out). */
static int pinned_runs(struct bg_store *s, const long long *ids, size_t n, struct bg_baseline *b) {
  b->runs = bg_xcalloc(n ? n : 1, sizeof *b->runs);
  b->epochs = bg_xcalloc(n ? n : 1, sizeof *b->epochs);
  b->shas = bg_xcalloc(n ? n : 1, sizeof *b->shas);
  for (size_t i = 0; i < n; i++) {
    sqlite3_stmt *st = stmt(s, Q_RUN_BRIEF);
    if (!st)
      return BG_EDB;
    sqlite3_bind_int64(st, 1, ids[i]);
    if (sqlite3_step(st) == SQLITE_ROW) {
      b->runs[b->n] = ids[i];
      b->epochs[b->n] = sqlite3_column_int64(st, 0);
      bg_store_copy_text(b->shas[b->n], sizeof b->shas[0], bg_store_col_text(st, 1));
      b->n++;
    }
    bg_store_done(st);
  }
  return BG_OK;
}

int bg_vstore_pinned(struct bg_store *s, long long rid, struct bg_baseline *b, long long *th_run,
                     int *found) {
  sqlite3_stmt *st = stmt(s, Q_GATE_INPUT);
  cJSON *in = NULL;
  int rc = BG_OK;
  memset(b, 0, sizeof *b);
  *th_run = 0;
  *found = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
    in = cJSON_Parse(bg_store_col_text(st, 0));
  else if (step != SQLITE_ROW && step != SQLITE_DONE)
    rc = bg_store_fail(s, "gate input");
  bg_store_done(st);
  const cJSON *runs = cJSON_GetObjectItemCaseSensitive(in, "runs");
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(in, "ref");
  const cJSON *th = cJSON_GetObjectItemCaseSensitive(in, "thresholds_run");
  /* Inputs pinned before the noise window existed have none: their runs were the level's. */
  const cJSON *level = cJSON_GetObjectItemCaseSensitive(in, "window");
  if (rc || !cJSON_IsArray(runs) || cJSON_GetArraySize(ref) != 2)
    goto out;
  *found = 1;
  size_t n;
  long long *ids = pinned_ids(runs, &n);
  b->ref_epoch = (long long)cJSON_GetArrayItem(ref, 0)->valuedouble;
  b->ref_commit = (long long)cJSON_GetArrayItem(ref, 1)->valuedouble;
  *th_run = cJSON_IsNumber(th) ? (long long)th->valuedouble : 0;
  b->level = cJSON_IsNumber(level) && level->valuedouble >= 0 ? (size_t)level->valuedouble : 0;
  rc = pinned_runs(s, ids, n, b);
  free(ids);
out:
  cJSON_Delete(in);
  return rc;
}

int bg_vstore_pending(struct bg_store *s, long long rid, int *pending) {
  sqlite3_stmt *st = stmt(s, Q_PENDING);
  int rc = BG_OK;
  *pending = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    *pending = sqlite3_column_type(st, 0) == SQLITE_TEXT &&
               !strcmp(bg_store_col_text(st, 0), BG_VERDICT_PENDING);
  else if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "gate input");
  bg_store_done(st);
  return rc;
}

int bg_vstore_newest_run(struct bg_store *s, long long cid, long long tb, long long *rid) {
  sqlite3_stmt *st = stmt(s, Q_NEWEST_RUN);
  int rc = BG_OK;
  *rid = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  sqlite3_bind_int64(st, 2, tb);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    *rid = sqlite3_column_int64(st, 0);
  else if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "verdict");
  bg_store_done(st);
  return rc;
}

int bg_vstore_newest_runs(struct bg_store *s, long long cid, long long **rids, size_t *n) {
  sqlite3_stmt *st = stmt(s, Q_NEWEST_RUNS);
  *rids = NULL;
  *n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  return bg_store_id_rows(s, st, rids, n, "commit verdicts");
}

int bg_vstore_chain(struct bg_store *s, long long rid, struct bg_vstore_chain *c) {
  sqlite3_stmt *st = stmt(s, Q_CONFIRMS);
  int rc = BG_OK, step;
  memset(c, 0, sizeof *c);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  if ((step = sqlite3_step(st)) == SQLITE_ROW) {
    c->first = sqlite3_column_int64(st, 0);
    c->confirmable = sqlite3_column_int(st, 1);
  } else if (step != SQLITE_DONE) {
    rc = bg_store_fail(s, "confirmation of run");
  }
  bg_store_done(st);
  if (rc || !c->first)
    return rc; /* not a confirmation: its chain is itself */
  if (!(st = stmt(s, Q_CHAIN)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, c->first);
  sqlite3_bind_int64(st, 2, rid);
  size_t cap = 0;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    bg_xgrow((void **)&c->earlier, &cap, c->n + 1, sizeof *c->earlier);
    c->earlier[c->n++] = sqlite3_column_int64(st, 0);
  }
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "confirmation runs");
  bg_store_done(st);
  return rc;
}

int bg_vstore_fingerprint(struct bg_store *s, long long rid, char **fp) {
  sqlite3_stmt *st = stmt(s, Q_FINGERPRINT);
  int rc = BG_OK, step;
  *fp = NULL;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  if ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *t = bg_store_col_text(st, 0);
    *fp = t ? bg_xstrdup(t) : NULL;
  } else if (step != SQLITE_DONE) {
    rc = bg_store_fail(s, "run fingerprint");
  }
  bg_store_done(st);
  return rc;
}
