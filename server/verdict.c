/* verdict.c: the gate inside benchgated: baselines and verdicts.
 *
 * One verdict costs a handful of queries: the run and its results (with their names), the
 * baseline runs (an index range on runs_baseline), their results in one query per 32 runs by
 * the results primary key (the stored gate summaries, never the samples) for the runs not in
 * the cache of recent baseline runs (so an upload usually reads none), the series' baseline
 * starts and the commit's acknowledgements. Results are matched to items through a hash of
 * (benchmark id, measure id), so the work is linear in the rows read.
 *
 * An upload's verdict is decided from its payload, beside the insert, on a snapshot without
 * the run (bg_verdict_decide_payload, then bg_verdict_answer_bind and
 * bg_verdict_store_decision); its baseline summaries and each series' sorted windows come from
 * one cache shared by the process's connections (shared_acquire). Everything else decides
 * stored runs (bg_verdict_update_run, bg_verdict_run_json) with a cache per connection.
 *
 * A full verdict of 1 000 results is ~300 KB of JSON, more than the run's samples; the run
 * keeps only its head and what it was decided on (run_gate_inputs: the baseline runs, the
 * reference commit, the thresholds' run), and every read renders the full verdict again from
 * those with the commit's current acknowledgements.
 */
#include "verdict.h"

#include "alerts.h"
#include "auth.h"
#include "gate.h"
#include "mem.h"
#include "stats.h"
#include "store_private.h"
#include "valid.h"
#include "window.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IN_CHUNK 32 /* baseline runs per results query */
#define IN_LIST                                                                                    \
  "?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,"    \
  "?26,?27,?28,?29,?30,?31,?32"
#define SUMMARY_COLS                                                                               \
  "x.n, x.mean, x.stddev, x.median, x.log_center, x.log_w, x.raw_center, x.raw_w, "                \
  "CASE WHEN x.raw_center IS NULL THEN x.samples END"

enum vid {
  V_RUN,
  V_BRANCH,
  V_WINDOW,
  V_FORK,
  V_PARENTS,
  V_BASE_RUNS,
  V_THRESHOLDS,
  V_CAND,
  V_BASE,
  V_NAMES,
  V_CUTS,
  V_ACKS,
  V_UPDATE,
  V_ALERT_INSERT,
  V_TESTBED,
  V_TESTBED_ONLY,
  V_COMMIT,
  V_LATEST_RUN,
  V_COMMIT_RUNS,
  V_COMMIT_NEWEST,
  V_ALERTS,
  V_ALERT_GET,
  V_ALERT_ACK,
  V_ACK_INSERT,
  V_SERIES_START,
  V_COMMIT_EPOCH,
  V_RUNS_OF_COMMIT,
  V_THRESHOLDS_OF,
  V_RUN_BRIEF,
  V_GATE_INPUT,
  V_INPUT_SET,
  V_PENDING,
  V_MEASURE,
  V_COMMIT_FIND,
  V_COUNT
};

static const char *const sql_text[V_COUNT] = {
    [V_RUN] = "SELECT r.commit_id, r.commit_epoch, r.testbed_id, r.branch_id, r.pull_request, "
              "r.baseline_sha, c.sha, b.name, t.name FROM runs r "
              "JOIN commits c ON c.id = r.commit_id JOIN branches b ON b.id = r.branch_id "
              "JOIN testbeds t ON t.id = r.testbed_id WHERE r.id = ?1",
    [V_BRANCH] = "SELECT id FROM branches WHERE project_id = ?1 AND name = ?2",
    [V_WINDOW] = "SELECT gate_window, noise_window FROM projects WHERE id = ?1",
    [V_FORK] = "SELECT c.id, c.epoch FROM commits c WHERE c.project_id = ?1 AND c.sha = ?2 "
               "AND EXISTS (SELECT 1 FROM runs r WHERE r.commit_id = c.id AND r.branch_id = ?3 "
               "AND r.testbed_id = ?4 AND r.pull_request IS NULL)",
    [V_PARENTS] = "SELECT parent_sha FROM commit_parents WHERE commit_id = ?1 ORDER BY position",
    [V_BASE_RUNS] =
        "SELECT r.id, r.commit_epoch, c.sha FROM runs r JOIN commits c ON c.id = r.commit_id "
        "WHERE r.project_id = ?1 AND r.testbed_id = ?2 AND r.branch_id = ?3 "
        "AND r.pull_request IS NULL AND (r.commit_epoch, r.commit_id) < (?4, ?5) "
        "ORDER BY r.commit_epoch DESC, r.commit_id DESC, r.id DESC LIMIT ?6",
    /* Thresholds come from the default branch only: a branch cannot loosen its own gate. */
    [V_THRESHOLDS] = "SELECT id, commit_epoch FROM runs WHERE project_id = ?1 AND branch_id = ?2 "
                     "AND pull_request IS NULL ORDER BY commit_epoch DESC, id DESC LIMIT 1",
    [V_CAND] =
        "SELECT x.benchmark_id, x.measure_id, b.name, m.slug, m.unit, m.direction, " SUMMARY_COLS
        " FROM results x JOIN benchmarks b ON b.id = x.benchmark_id "
        "JOIN measures m ON m.id = x.measure_id WHERE x.run_id = ?1",
    [V_BASE] = "SELECT x.run_id, x.benchmark_id, x.measure_id, " SUMMARY_COLS
               " FROM results x WHERE x.run_id IN (" IN_LIST ")",
    [V_NAMES] = "SELECT b.name, m.slug, m.unit, m.direction FROM benchmarks b, measures m "
                "WHERE b.id = ?1 AND m.id = ?2",
    [V_CUTS] = "SELECT benchmark_id, measure_id, baseline_start, start_commit_id "
               "FROM series_baseline WHERE project_id = ?1 AND testbed_id = ?2",
    [V_ACKS] = "SELECT benchmark_id, measure_id FROM acknowledgements "
               "WHERE commit_id = ?1 AND testbed_id = ?2",
    [V_UPDATE] = "UPDATE runs SET verdict = ?2, verdict_state = ?3, n_regressed = ?4, "
                 "n_inconclusive = ?5, n_improved = ?6, n_missing = ?7, n_new = ?8, "
                 "n_unchanged = ?9, n_ignored = ?10, gate_input = NULL WHERE id = ?1",
    [V_ALERT_INSERT] =
        "INSERT OR IGNORE INTO alerts (project_id, kind, state, testbed_id, benchmark_id, "
        "measure_id, commit_id, run_id, change, change_lo, change_hi, created_at) "
        "VALUES (?1, 'regression', 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [V_TESTBED] = "SELECT id, name FROM testbeds WHERE project_id = ?1 AND name = ?2",
    [V_TESTBED_ONLY] = "SELECT id, name FROM testbeds WHERE project_id = ?1 ORDER BY id LIMIT 2",
    [V_COMMIT] = "SELECT id FROM commits WHERE project_id = ?1 AND sha = ?2",
    [V_LATEST_RUN] = "SELECT id FROM runs WHERE commit_id = ?1 "
                     "AND (?2 = 0 OR testbed_id = ?2) ORDER BY id DESC LIMIT 1",
    [V_COMMIT_NEWEST] = "SELECT max(id) FROM runs WHERE commit_id = ?1 GROUP BY testbed_id "
                        "ORDER BY testbed_id",
    [V_COMMIT_RUNS] = "SELECT r.id, r.commit_epoch, c.sha FROM runs r "
                      "JOIN commits c ON c.id = r.commit_id WHERE r.commit_id = ?1 "
                      "AND r.testbed_id = ?2 ORDER BY r.id DESC LIMIT ?3",
    [V_ALERTS] = BG_VERDICT_ALERT_SELECT "WHERE a.project_id = ?1 "
        "AND (?2 IS NULL OR a.state = ?2) AND (?3 = 0 OR a.id = ?3) ORDER BY a.id DESC LIMIT 1000",
    [V_ALERT_GET] = "SELECT kind, state, testbed_id, benchmark_id, measure_id, commit_id "
                    "FROM alerts WHERE id = ?1 AND project_id = ?2",
    [V_ALERT_ACK] =
        "UPDATE alerts SET state = 'acknowledged', note = ?2, acknowledged_by = ?3, "
        "acknowledged_at = ?4 WHERE id = ?1 OR (project_id = ?9 AND kind = 'regression' "
        "AND state = 'open' AND commit_id = ?5 AND testbed_id = ?6 AND benchmark_id = ?7 "
        "AND measure_id = ?8)",
    [V_ACK_INSERT] = "INSERT INTO acknowledgements (project_id, alert_id, commit_id, testbed_id, "
                     "benchmark_id, measure_id, note, who, created_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [V_SERIES_START] =
        "INSERT INTO series_baseline (project_id, testbed_id, benchmark_id, measure_id, "
        "baseline_start, start_commit_id, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (project_id, testbed_id, benchmark_id, measure_id) DO UPDATE SET "
        "baseline_start = excluded.baseline_start, start_commit_id = excluded.start_commit_id, "
        "reason = excluded.reason WHERE excluded.baseline_start >= series_baseline.baseline_start",
    [V_COMMIT_EPOCH] = "SELECT epoch FROM commits WHERE id = ?1",
    [V_RUNS_OF_COMMIT] = "SELECT id FROM runs WHERE commit_id = ?1 AND testbed_id = ?2 ORDER BY id",
    [V_THRESHOLDS_OF] = "SELECT thresholds FROM runs WHERE id = ?1",
    [V_RUN_BRIEF] = "SELECT r.commit_epoch, c.sha FROM runs r JOIN commits c ON c.id = r.commit_id "
                    "WHERE r.id = ?1",
    [V_GATE_INPUT] = "SELECT input FROM run_gate_inputs WHERE run_id = ?1",
    [V_INPUT_SET] = "INSERT OR REPLACE INTO run_gate_inputs (run_id, input) VALUES (?1, ?2)",
    [V_PENDING] = "SELECT gate_input FROM runs WHERE id = ?1",
    [V_MEASURE] = "SELECT id, unit, direction FROM measures WHERE project_id = ?1 AND slug = ?2",
    [V_COMMIT_FIND] = "SELECT id, epoch FROM commits WHERE project_id = ?1 AND sha = ?2",
};

static char public_url[1024];

void bg_verdict_set_public_url(const char *url) {
  snprintf(public_url, sizeof public_url, "%s", url ? url : "");
  size_t n = strlen(public_url);
  while (n && public_url[n - 1] == '/')
    public_url[--n] = '\0';
}

static void run_cache_free(void *p);

/* verdict.c's statements and, per connection, the cache of stored-run decisions. */
static const struct bg_store_module verdict_sql = {"verdict", sql_text, V_COUNT, run_cache_free,
                                                   NULL};

static sqlite3_stmt *stmt(struct bg_store *s, enum vid id) {
  return bg_store_stmt(s, &verdict_sql, (size_t)id);
}

/* Runs a one-row lookup of ids: binds ?1 = a (int) and ?2 = text; *out = column 0, or 0. */
static int lookup_id(struct bg_store *s, enum vid id, long long a, const char *text,
                     long long *out) {
  sqlite3_stmt *st = stmt(s, id);
  int rc = BG_OK;
  *out = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, a);
  sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  else if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "lookup");
  bg_store_done(st);
  return rc;
}

/* ---- the candidate run ---- */

struct cand {
  long long rid, commit_id, epoch, testbed_id, branch_id, pr;
  char sha[65], branch[256], testbed[80], baseline_sha[65];
  const struct bg_run *run; /* an upload whose commit is not stored yet: its parents */
};

static int load_run(struct bg_store *s, long long rid, struct cand *c) {
  sqlite3_stmt *st = stmt(s, V_RUN);
  int rc = BG_OK;
  c->run = NULL;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    c->rid = rid;
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

static long long clamp_window(long long w) {
  return w < 1 ? 1 : w > BG_VERDICT_MAX_WINDOW ? BG_VERDICT_MAX_WINDOW : w;
}

/* The project's windows as stored now: the level's, and the noise's (never shorter). */
static int project_window(struct bg_store *s, const struct bg_project *p, long long *window,
                          long long *noise) {
  sqlite3_stmt *st = stmt(s, V_WINDOW);
  int rc = BG_OK;
  *window = BG_STORE_DEFAULT_WINDOW;
  *noise = BG_STORE_DEFAULT_NOISE_WINDOW;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    *window = sqlite3_column_int64(st, 0);
    *noise = sqlite3_column_int64(st, 1);
  } else {
    rc = bg_store_fail(s, "window");
  }
  bg_store_done(st);
  *window = clamp_window(*window);
  *noise = clamp_window(*noise > *window ? *noise : *window);
  return rc;
}

/* Finds `sha` as a default-branch commit measured on the testbed: *cid and *epoch, or 0. */
static int find_fork(struct bg_store *s, const struct bg_project *p, const char *sha,
                     long long default_branch, long long testbed, long long *cid,
                     long long *epoch) {
  sqlite3_stmt *st = stmt(s, V_FORK);
  int rc = BG_OK;
  *cid = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, default_branch);
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

/* The fork point of a branch run: baseline.sha, else the first parent that is a measured
 * default-branch commit. */
static int fork_point(struct bg_store *s, const struct bg_project *p, const struct cand *c,
                      long long default_branch, long long *cid, long long *epoch) {
  int rc = BG_OK;
  *cid = 0;
  if (c->baseline_sha[0] &&
      (rc = find_fork(s, p, c->baseline_sha, default_branch, c->testbed_id, cid, epoch)))
    return rc;
  if (*cid)
    return BG_OK;
  char parents[8][65];
  int n = 0, step;
  if (c->run) {
    for (size_t i = 0; i < c->run->commit.nparents && n < 8; i++)
      bg_store_copy_text(parents[n++], sizeof parents[0], c->run->commit.parents[i]);
  } else {
    sqlite3_stmt *st = stmt(s, V_PARENTS);
    if (!st)
      return BG_EDB;
    sqlite3_bind_int64(st, 1, c->commit_id);
    while (n < 8 && (step = sqlite3_step(st)) == SQLITE_ROW)
      bg_store_copy_text(parents[n++], sizeof parents[0], bg_store_col_text(st, 0));
    bg_store_done(st);
  }
  for (int i = 0; i < n && !*cid && rc == BG_OK; i++)
    rc = find_fork(s, p, parents[i], default_branch, c->testbed_id, cid, epoch);
  return rc;
}

void bg_verdict_baseline_free(struct bg_verdict_baseline *b) {
  if (!b)
    return;
  free(b->runs);
  free(b->epochs);
  free(b->shas);
  memset(b, 0, sizeof *b);
}

/* Steps `st` (bound by the caller; columns run id, commit epoch, commit sha) into b, at most
 * `limit` rows, then resets it. `what` names the query in a failure. */
static int step_runs(struct bg_store *s, sqlite3_stmt *st, long long limit,
                     struct bg_verdict_baseline *b, const char *what) {
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

/* Appends the default-branch runs below (epoch, commit) to b, newest first, up to `limit`. */
static int base_runs(struct bg_store *s, const struct bg_project *p, long long testbed,
                     long long branch, long long epoch, long long commit, long long limit,
                     struct bg_verdict_baseline *b) {
  sqlite3_stmt *st = stmt(s, V_BASE_RUNS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  sqlite3_bind_int64(st, 2, testbed);
  sqlite3_bind_int64(st, 3, branch);
  sqlite3_bind_int64(st, 4, epoch);
  sqlite3_bind_int64(st, 5, commit);
  sqlite3_bind_int64(st, 6, limit);
  return step_runs(s, st, limit, b, "baseline runs");
}

static int select_baseline(struct bg_store *s, const struct bg_project *p, const struct cand *c,
                           struct bg_verdict_baseline *b) {
  long long defbr, level, window, cid = 0, epoch = 0;
  int rc;
  memset(b, 0, sizeof *b);
  /* Read as many runs as the noise uses; the gate takes the level from the newest `level`. */
  if ((rc = lookup_id(s, V_BRANCH, p->id, p->default_branch, &defbr)) ||
      (rc = project_window(s, p, &level, &window)))
    return rc;
  b->level = (size_t)level;
  b->on_default = !c->pr && !strcmp(c->branch, p->default_branch);
  if (b->on_default) {
    /* Earlier default-branch commits: (epoch, commit) strictly below the candidate's. */
    b->ref_epoch = c->epoch;
    b->ref_commit = c->commit_id;
    return defbr ? base_runs(s, p, c->testbed_id, defbr, c->epoch, c->commit_id, window, b) : BG_OK;
  }
  if (!defbr)
    return BG_OK;
  if ((rc = fork_point(s, p, c, defbr, &cid, &epoch)))
    return rc;
  if (cid) {
    /* Up to and including the fork point. */
    b->ref_epoch = epoch;
    b->ref_commit = cid;
    return base_runs(s, p, c->testbed_id, defbr, epoch, cid + 1, window, b);
  }
  /* No known fork point: the default-branch history up to the candidate commit's time. */
  b->ref_epoch = c->epoch;
  b->ref_commit = 0;
  return base_runs(s, p, c->testbed_id, defbr, c->epoch, LLONG_MAX, window, b);
}

int bg_verdict_baseline(struct bg_store *s, const struct bg_project *p, long long rid,
                        struct bg_verdict_baseline *b) {
  struct cand c;
  memset(b, 0, sizeof *b);
  int rc = load_run(s, rid, &c);
  if (rc == BG_OK && (rc = select_baseline(s, p, &c, b)))
    bg_verdict_baseline_free(b);
  return rc;
}

/* ---- summaries ---- */

/* Reads the gate summary of a result row whose SUMMARY_COLS start at column c. Rows stored
 * before the gate columns existed are summarised from their samples (or n/mean/stddev). */
/* The summary of a row whose raw_center is not NULL, from its columns (NAN for NULL). */
static void cols_summary(const struct bg_verdict_row *r, struct bg_gate_summary *g) {
  g->n = r->n;
  g->mean = r->mean;
  g->stddev = r->stddev;
  g->median = isnan(r->median) ? r->mean : r->median;
  /* No min/max columns since 004_diet.sql; the gate decides on neither. */
  g->min = g->max = g->median;
  g->log_center = r->log_center;
  g->log_w = r->log_w;
  g->all_positive = isfinite(g->log_center) ? 1 : 0;
  g->raw_center = r->raw_center;
  g->raw_w = r->raw_w;
}

static void row_summary(sqlite3_stmt *st, int c, struct bg_gate_summary *g) {
  double n = sqlite3_column_double(st, c), mean = sqlite3_column_double(st, c + 1);
  double sd = sqlite3_column_double(st, c + 2);
  if (sqlite3_column_type(st, c + 6) != SQLITE_NULL) {
    const struct bg_verdict_row r = {0,
                                     0,
                                     n,
                                     mean,
                                     sd,
                                     bg_store_col_or_nan(st, c + 3),
                                     bg_store_col_or_nan(st, c + 4),
                                     bg_store_col_or_nan(st, c + 5),
                                     bg_store_col_or_nan(st, c + 6),
                                     bg_store_col_or_nan(st, c + 7)};
    cols_summary(&r, g);
    return;
  }
  const unsigned char *blob = sqlite3_column_blob(st, c + 8);
  size_t ns = (size_t)sqlite3_column_bytes(st, c + 8) / 8;
  if (blob && ns) {
    double *v = bg_xmalloc(ns * sizeof *v);
    for (size_t i = 0; i < ns; i++)
      v[i] = bg_store_sample(blob, i);
    int rc = bg_gate_summarize(v, ns, g);
    free(v);
    if (rc == BG_OK)
      return;
  }
  if (bg_gate_summarize_moments(n, mean, sd, g) != BG_OK)
    bg_gate_summarize_moments(1, mean, 0, g);
}

/* ---- items ---- */

struct item {
  long long bid, mid;
  char *benchmark, *measure, *unit;
  enum bg_direction direction;
  int has_cand, acknowledged;
  struct bg_gate_summary cand;
  long long cut_epoch, cut_commit; /* series baseline start; cut_epoch LLONG_MIN: none */
};

struct items {
  struct item *v;
  size_t n, cap;
  size_t k;                  /* baseline runs (stride of sums/have) */
  struct bg_gate_point *sums; /* [item * k + rank] */
  unsigned char *have;
  size_t sums_cap; /* entries sums and have hold */
  size_t *slots; /* hash: index + 1, 0 empty */
  size_t nslots;
  char **blocks; /* the items' names: blocks of NAME_BLOCK bytes (or one long name) */
  size_t nblocks, left;
  char *next; /* free space of the last block */
};

#define NAME_BLOCK 65536

/* A copy of s (NULL stays NULL) that lives as long as the items: a name per result would
 * otherwise be three mallocs and frees. */
static char *items_name(struct items *it, const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s) + 1;
  if (n > it->left) {
    size_t size = n > NAME_BLOCK ? n : NAME_BLOCK;
    it->blocks = bg_xrealloc(it->blocks, (it->nblocks + 1) * sizeof *it->blocks);
    it->next = it->blocks[it->nblocks++] = bg_xmalloc(size);
    it->left = size;
  }
  char *at = it->next;
  memcpy(at, s, n);
  it->next += n;
  it->left -= n;
  return at;
}

static size_t key_hash(long long bid, long long mid) {
  uint64_t h = (uint64_t)bid * 0x9E3779B97F4A7C15ULL ^ (uint64_t)mid * 0xC2B2AE3D27D4EB4FULL;
  return (size_t)(h ^ (h >> 29));
}

static size_t *find_slot(struct items *it, long long bid, long long mid) {
  size_t mask = it->nslots - 1;
  for (size_t i = key_hash(bid, mid) & mask;; i = (i + 1) & mask) {
    size_t *sl = &it->slots[i];
    if (!*sl || (it->v[*sl - 1].bid == bid && it->v[*sl - 1].mid == mid))
      return sl;
  }
}

static struct item *items_find(struct items *it, long long bid, long long mid) {
  if (!it->nslots)
    return NULL;
  size_t *sl = find_slot(it, bid, mid);
  return *sl ? &it->v[*sl - 1] : NULL;
}

/* Adds an item (zeroed but for its key); its baseline slots are empty. */
static struct item *items_add(struct items *it, long long bid, long long mid) {
  if ((it->n + 1) * 2 > it->nslots) {
    size_t ns = it->nslots ? it->nslots * 2 : 1024;
    free(it->slots);
    it->slots = bg_xcalloc(ns, sizeof *it->slots);
    it->nslots = ns;
    for (size_t i = 0; i < it->n; i++)
      *find_slot(it, it->v[i].bid, it->v[i].mid) = i + 1;
  }
  if (it->n == it->cap) {
    size_t nc = it->cap ? it->cap * 2 : 256;
    it->v = bg_xrealloc(it->v, nc * sizeof *it->v);
    if (it->k && nc * it->k > it->sums_cap) {
      it->sums = bg_xrealloc(it->sums, nc * it->k * sizeof *it->sums);
      it->have = bg_xrealloc(it->have, nc * it->k);
      it->sums_cap = nc * it->k;
    }
    if (it->k)
      memset(it->have + it->cap * it->k, 0, (nc - it->cap) * it->k);
    it->cap = nc;
  }
  struct item *x = &it->v[it->n];
  memset(x, 0, sizeof *x);
  x->bid = bid;
  x->mid = mid;
  x->cut_epoch = LLONG_MIN;
  *find_slot(it, bid, mid) = ++it->n;
  return x;
}

static void items_free(struct items *it) {
  for (size_t i = 0; i < it->nblocks; i++)
    free(it->blocks[i]);
  free(it->blocks);
  free(it->v);
  free(it->sums);
  free(it->have);
  free(it->slots);
  memset(it, 0, sizeof *it);
}

static int load_candidate(struct bg_store *s, long long rid, struct items *it) {
  sqlite3_stmt *st = stmt(s, V_CAND);
  int rc = BG_OK, step;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    struct item *x = items_add(it, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    x->benchmark = items_name(it, bg_store_col_text(st, 2));
    x->measure = items_name(it, bg_store_col_text(st, 3));
    x->unit = items_name(it, bg_store_col_text(st, 4));
    const char *d = bg_store_col_text(st, 5);
    x->direction = d && !strcmp(d, "higher") ? BG_HIGHER : BG_LOWER;
    x->has_cand = 1;
    row_summary(st, 6, &x->cand);
  }
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "candidate results");
  bg_store_done(st);
  return rc;
}

/* Puts one baseline summary of series (bid, mid) at `rank`; a series the candidate lacks
 * becomes an item too (maybe missing). */
static void add_baseline(struct items *it, size_t rank, long long bid, long long mid,
                         const struct bg_gate_point *g, size_t *guess) {
  /* Runs of one suite hold the same series in the same (key) order as the candidate: try the
   * item after the previous one before hashing. */
  struct item *x = *guess < it->n && it->v[*guess].bid == bid && it->v[*guess].mid == mid
                       ? &it->v[*guess]
                       : items_find(it, bid, mid);
  if (!x)
    x = items_add(it, bid, mid);
  size_t i = (size_t)(x - it->v);
  *guess = i + 1;
  it->sums[i * it->k + rank] = *g;
  it->have[i * it->k + rank] = 1;
}

/* Per-connection cache of baseline runs' summaries. A committed run's results never change
 * and run ids are never reused, so an entry stays valid as long as the connection; only runs
 * read as baselines (always committed) enter it. Most uploads then read one new run. */
#define CACHE_RUNS (BG_STORE_DEFAULT_NOISE_WINDOW + 10)
struct cached_run {
  long long rid; /* 0: empty */
  unsigned long long used;
  size_t n, cap;
  long long *bids, *mids;
  struct bg_gate_point *sums;
};

/* A series' baseline centres, kept sorted from one decision to the next (see keep_sorted). */
struct series_state {
  long long bid, mid;
  int log_scale;
  struct bg_window level, noise;
};

/* The series' sorted windows take (level + noise window) x 24 bytes each: 3 KB with the
 * default windows, 3 MB for a suite of 1 000 results. Past this many bytes they start over. */
#define MAX_STATE_BYTES (48u << 20)
#define BYTES_PER_RUN (2 * sizeof(double) + sizeof(long long))

struct run_cache {
  struct cached_run e[CACHE_RUNS];
  unsigned long long clock;
  struct series_state **states; /* open addressing on (bid, mid); NULL: empty */
  size_t nstates, state_slots;
  size_t state_bytes; /* what the windows of all states hold (their capacities) */
  /* The last decision's (item, rank) matrix, kept for the next: at 1 000 items x 100 runs it
   * is 3 MB, which a fresh allocation maps and faults in page by page on every upload. */
  struct bg_gate_point *spare_sums;
  unsigned char *spare_have;
  size_t spare_cap; /* entries of both */
};

static void cached_run_clear(struct cached_run *c) {
  free(c->bids);
  free(c->mids);
  free(c->sums);
  memset(c, 0, sizeof *c);
}

static void states_clear(struct run_cache *rc) {
  for (size_t i = 0; i < rc->state_slots; i++)
    if (rc->states[i]) {
      bg_window_free(&rc->states[i]->level);
      bg_window_free(&rc->states[i]->noise);
      free(rc->states[i]);
      rc->states[i] = NULL;
    }
  rc->nstates = 0;
  rc->state_bytes = 0;
}

/* The state of series (bid, mid), created empty when there is none. */
static struct series_state *state_of(struct run_cache *rc, long long bid, long long mid) {
  if ((rc->nstates + 1) * 2 > rc->state_slots) {
    size_t ns = rc->state_slots ? rc->state_slots * 2 : 1024;
    struct series_state **t = bg_xcalloc(ns, sizeof *t);
    for (size_t i = 0; i < rc->state_slots; i++)
      if (rc->states[i]) {
        size_t j = key_hash(rc->states[i]->bid, rc->states[i]->mid) & (ns - 1);
        while (t[j])
          j = (j + 1) & (ns - 1);
        t[j] = rc->states[i];
      }
    free(rc->states);
    rc->states = t;
    rc->state_slots = ns;
  }
  size_t mask = rc->state_slots - 1, j = key_hash(bid, mid) & mask;
  for (; rc->states[j]; j = (j + 1) & mask)
    if (rc->states[j]->bid == bid && rc->states[j]->mid == mid)
      return rc->states[j];
  struct series_state *st = bg_xcalloc(1, sizeof *st);
  st->bid = bid;
  st->mid = mid;
  rc->states[j] = st;
  rc->nstates++;
  return st;
}

/* Hands item g the sorted centres of its level's and its noise's runs (ids[i] is the run of
 * g->baseline[i]) from the series' state, brought up to date: the gate's estimate then sorts
 * nothing. `scratch` holds nbaseline doubles. */
static void keep_sorted(struct run_cache *rc, long long bid, long long mid, struct bg_gate_item *g,
                        const long long *ids, const struct bg_gate_config *cfg, double *scratch) {
  size_t k, kn;
  bg_gate_windows(cfg, g->nbaseline, &k, &kn);
  int log_scale = bg_gate_log_scale(g, kn);
  for (size_t i = 0; i < kn; i++) {
    scratch[i] = log_scale ? g->baseline[i].log_center : g->baseline[i].raw_center;
    if (isnan(scratch[i]))
      return; /* cannot be sorted: the gate copes on its own */
  }
  struct series_state *st = state_of(rc, bid, mid);
  if (st->log_scale != log_scale) {
    st->level.n = st->noise.n = 0; /* centres on the other scale: start over */
    st->log_scale = log_scale;
  }
  size_t before = st->level.cap + st->noise.cap;
  bg_window_set(&st->level, ids, scratch, k);
  bg_window_set(&st->noise, ids, scratch, kn);
  rc->state_bytes += (st->level.cap + st->noise.cap - before) * BYTES_PER_RUN;
  g->level_sorted = st->level.sorted;
  g->noise_sorted = st->noise.sorted;
  g->sorted_log = log_scale;
}

static void run_cache_free(void *p) {
  struct run_cache *rc = p;
  if (!rc)
    return;
  for (int i = 0; i < CACHE_RUNS; i++)
    cached_run_clear(&rc->e[i]);
  free(rc->spare_sums);
  free(rc->spare_have);
  states_clear(rc);
  free(rc->states);
  free(rc);
}

static struct run_cache *run_cache_get(struct bg_store *s) {
  void **slot = bg_store_state(s, &verdict_sql);
  if (!*slot)
    *slot = bg_xcalloc(1, sizeof(struct run_cache));
  return *slot;
}

/* The cache of upload decisions, one per database, shared by its connections: an upload may
 * arrive on any thread, and with a cache per connection every thread read again the runs
 * the others stored, and rebuilt each series' sorted window from scratch. Decisions take
 * turns on its lock (the inserts they overlap with do not). */
struct shared_cache {
  pthread_mutex_t lock;
  struct run_cache *rc;
};

static void *shared_create(void) {
  struct shared_cache *c = bg_xcalloc(1, sizeof *c);
  pthread_mutex_init(&c->lock, NULL);
  c->rc = bg_xcalloc(1, sizeof *c->rc);
  return c;
}

static void shared_destroy(void *p) {
  struct shared_cache *c = p;
  pthread_mutex_destroy(&c->lock);
  run_cache_free(c->rc);
  free(c);
}

static const struct bg_db_shared decision_cache = {"decision cache", shared_create,
                                                   shared_destroy};

static struct shared_cache *shared_of(struct bg_store *s) {
  return bg_db_shared(bg_store_database(s), &decision_cache);
}

/* The shared cache of the database of `s`, locked (release with shared_release). */
static struct run_cache *shared_acquire(struct bg_store *s) {
  struct shared_cache *c = shared_of(s);
  pthread_mutex_lock(&c->lock);
  return c->rc;
}

static void shared_release(struct bg_store *s) {
  pthread_mutex_unlock(&shared_of(s)->lock);
}

void bg_verdict_hold_decisions(struct bg_store *s, int hold) {
  if (hold)
    pthread_mutex_lock(&shared_of(s)->lock);
  else
    pthread_mutex_unlock(&shared_of(s)->lock);
}

static struct cached_run *cache_find(struct run_cache *rc, long long rid) {
  for (int i = 0; i < CACHE_RUNS; i++)
    if (rc->e[i].rid == rid)
      return &rc->e[i];
  return NULL;
}

/* An entry for `rid`: the least recently used one not used by this call (stamp). */
static struct cached_run *cache_claim(struct run_cache *rc, long long rid,
                                      unsigned long long stamp) {
  struct cached_run *best = NULL;
  for (int i = 0; i < CACHE_RUNS; i++) {
    struct cached_run *c = &rc->e[i];
    if (c->used >= stamp)
      continue;
    if (!best || c->used < best->used)
      best = c;
  }
  if (!best)
    return NULL;
  cached_run_clear(best);
  best->rid = rid;
  best->used = stamp;
  return best;
}

static void cached_run_add(struct cached_run *c, long long bid, long long mid,
                           const struct bg_gate_point *g) {
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 1024;
    c->bids = bg_xrealloc(c->bids, c->cap * sizeof *c->bids);
    c->mids = bg_xrealloc(c->mids, c->cap * sizeof *c->mids);
    c->sums = bg_xrealloc(c->sums, c->cap * sizeof *c->sums);
  }
  c->bids[c->n] = bid;
  c->mids[c->n] = mid;
  c->sums[c->n++] = *g;
}

/* Results primary key order: (benchmark id, measure id) within a run. */
static int cmp_row(const void *a, const void *b) {
  const struct bg_verdict_row *x = a, *y = b;
  if (x->bid != y->bid)
    return (x->bid > y->bid) - (x->bid < y->bid);
  return (x->mid > y->mid) - (x->mid < y->mid);
}

/* What a REAL column gives back of a bound value: the value, but -0 (SQLite stores it as the
 * integer 0) and NaN (stored as NULL: `null_as` is what the reader makes of NULL). */
static double as_stored(double v, double null_as) {
  return isnan(v) ? null_as : v == 0 ? 0.0 : v;
}

/* Row r as a read of its stored columns gives it back (see as_stored). */
static struct bg_verdict_row stored_row(struct bg_verdict_row r) {
  /* row_summary reads n, mean and stddev with sqlite3_column_double (NULL gives 0). */
  r.mean = as_stored(r.mean, 0.0);
  r.stddev = as_stored(r.stddev, 0.0);
  double *v[] = {&r.median, &r.log_center, &r.log_w, &r.raw_center, &r.raw_w};
  for (size_t k = 0; k < sizeof v / sizeof *v; k++)
    *v[k] = as_stored(*v[k], NAN);
  return r;
}

/* Puts committed run `rid`'s rows into cache (see bg_verdict_cache_run). */
static void cache_put(struct run_cache *cache, long long rid, const struct bg_verdict_row *rows,
                      size_t n) {
  struct cached_run *c = cache_find(cache, rid);
  if (c)
    cached_run_clear(c);
  if (!(c = cache_claim(cache, rid, ++cache->clock)))
    return;
  /* In the order a read of the run yields its rows, so the verdict's items come out the same;
   * sorted in a copy: the upload's decision may still read the rows. */
  struct bg_verdict_row *sorted = bg_xmalloc((n ? n : 1) * sizeof *sorted);
  memcpy(sorted, rows, n * sizeof *rows);
  qsort(sorted, n, sizeof *sorted, cmp_row);
  for (size_t i = 0; i < n; i++) {
    struct bg_verdict_row r = stored_row(sorted[i]);
    struct bg_gate_summary g;
    struct bg_gate_point pt;
    cols_summary(&r, &g);
    bg_gate_point_of(&g, &pt);
    cached_run_add(c, r.bid, r.mid, &pt);
  }
  free(sorted);
}

void bg_verdict_cache_run(struct bg_store *s, long long rid, const struct bg_verdict_row *rows,
                          size_t n) {
  for (size_t i = 0; i < n; i++)
    if (isnan(rows[i].raw_center))
      return;
  struct run_cache *cache = shared_acquire(s);
  cache_put(cache, rid, rows, n);
  shared_release(s);
}

/* Reads the results of runs[0..n-1] (ranks given by `ranks`) in queries of IN_CHUNK runs;
 * each row goes to the items (cache NULL) or into a new cache entry. */
static int read_runs(struct bg_store *s, const long long *runs, const size_t *ranks, size_t n,
                     struct items *it, struct run_cache *cache, unsigned long long stamp) {
  int rc = BG_OK, step;
  for (size_t from = 0; from < n && rc == BG_OK; from += IN_CHUNK) {
    sqlite3_stmt *st = stmt(s, V_BASE);
    if (!st)
      return BG_EDB;
    for (size_t j = 0; j < IN_CHUNK && from + j < n; j++)
      sqlite3_bind_int64(st, (int)j + 1, runs[from + j]);
    long long last_run = 0;
    size_t at = n, guess = 0;
    struct cached_run *entry = NULL;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
      long long run = sqlite3_column_int64(st, 0);
      if (run != last_run) {
        for (at = from; at < n && runs[at] != run; at++)
          ;
        last_run = run;
        guess = 0;
        entry = cache && at < n ? cache_claim(cache, run, stamp) : NULL;
        if (cache && at < n && !entry) {
          rc = BG_EINVAL; /* cannot happen: the caller leaves room */
          break;
        }
      }
      if (at >= n)
        continue;
      struct bg_gate_summary g;
      struct bg_gate_point pt;
      row_summary(st, 3, &g);
      bg_gate_point_of(&g, &pt);
      long long bid = sqlite3_column_int64(st, 1), mid = sqlite3_column_int64(st, 2);
      if (entry)
        cached_run_add(entry, bid, mid, &pt);
      else
        add_baseline(it, ranks[at], bid, mid, &pt, &guess);
    }
    if (rc == BG_OK && step != SQLITE_DONE)
      rc = bg_store_fail(s, "baseline results");
    bg_store_done(st);
  }
  return rc;
}

/* Swaps the items' (item, rank) matrix with the cache's spare one. */
static void matrix_swap(struct run_cache *c, struct items *it) {
  struct bg_gate_point *sums = it->sums;
  unsigned char *have = it->have;
  size_t cap = it->sums_cap;
  it->sums = c->spare_sums;
  it->have = c->spare_have;
  it->sums_cap = c->spare_cap;
  c->spare_sums = sums;
  c->spare_have = have;
  c->spare_cap = cap;
}

/* Hands the items' matrix to the cache for the next decision (freeing the older spare). */
static void items_recycle(struct run_cache *c, struct items *it) {
  if (!it->sums)
    return;
  matrix_swap(c, it);
  free(it->sums);
  free(it->have);
  it->sums = NULL;
  it->have = NULL;
  it->sums_cap = 0;
}

/* Reads the summaries of the baseline runs into their (item, rank) slots, through the
 * connection's cache when the window fits in it. */
static int load_baseline(struct bg_store *s, struct run_cache *cache,
                         const struct bg_verdict_baseline *b, struct items *it) {
  int rc = BG_OK;
  it->k = b->n;
  if (!b->n)
    return BG_OK;
  size_t need = (it->cap ? it->cap : 1) * it->k;
  if (cache->spare_cap >= need) {
    matrix_swap(cache, it); /* the items had none: the cache is left without a spare */
    memset(it->have, 0, need);
  } else {
    it->sums = bg_xmalloc(need * sizeof *it->sums);
    it->have = bg_xcalloc(need, 1);
    it->sums_cap = need;
  }
  size_t *ranks = bg_xcalloc(b->n, sizeof *ranks);
  long long *missing = bg_xcalloc(b->n, sizeof *missing);
  size_t nmissing = 0;
  for (size_t r = 0; r < b->n; r++)
    ranks[r] = r;
  if (b->n > CACHE_RUNS) {
    rc = read_runs(s, b->runs, ranks, b->n, it, NULL, 0);
    goto out;
  }
  unsigned long long stamp = ++cache->clock;
  for (size_t r = 0; r < b->n; r++) {
    struct cached_run *c = cache_find(cache, b->runs[r]);
    if (c)
      c->used = stamp;
    else
      missing[nmissing++] = b->runs[r];
  }
  if (nmissing && (rc = read_runs(s, missing, ranks, nmissing, it, cache, stamp))) {
    /* Entries filled halfway must not survive. */
    for (size_t m = 0; m < nmissing; m++) {
      struct cached_run *c = cache_find(cache, missing[m]);
      if (c)
        cached_run_clear(c);
    }
    goto out;
  }
  for (size_t r = 0; r < b->n; r++) {
    struct cached_run *c = cache_find(cache, b->runs[r]);
    size_t guess = 0;
    for (size_t i = 0; c && i < c->n; i++)
      add_baseline(it, r, c->bids[i], c->mids[i], &c->sums[i], &guess);
  }
out:
  free(ranks);
  free(missing);
  return rc;
}

/* Names of items that are only in the baseline. */
static int load_names(struct bg_store *s, struct items *it, struct item *x) {
  sqlite3_stmt *st = stmt(s, V_NAMES);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, x->bid);
  sqlite3_bind_int64(st, 2, x->mid);
  if (sqlite3_step(st) == SQLITE_ROW) {
    x->benchmark = items_name(it, bg_store_col_text(st, 0));
    x->measure = items_name(it, bg_store_col_text(st, 1));
    x->unit = items_name(it, bg_store_col_text(st, 2));
    const char *d = bg_store_col_text(st, 3);
    x->direction = d && !strcmp(d, "higher") ? BG_HIGHER : BG_LOWER;
  } else {
    rc = bg_store_fail(s, "names");
  }
  bg_store_done(st);
  return rc;
}

/* Series baseline starts (acknowledged regressions, change points) and the commit's
 * acknowledgements. */
static int load_cuts_and_acks(struct bg_store *s, const struct bg_project *p, long long testbed,
                              long long ack_commit, struct items *it) {
  sqlite3_stmt *st = stmt(s, V_CUTS);
  int rc = BG_OK, step;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  sqlite3_bind_int64(st, 2, testbed);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    struct item *x = items_find(it, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    if (x) {
      x->cut_epoch = sqlite3_column_int64(st, 2);
      x->cut_commit = sqlite3_column_int64(st, 3);
    }
  }
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "series baselines");
  bg_store_done(st);
  if (rc || !ack_commit)
    return rc;
  if (!(st = stmt(s, V_ACKS)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, ack_commit);
  sqlite3_bind_int64(st, 2, testbed);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    struct item *x = items_find(it, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    if (x)
      x->acknowledged = 1;
  }
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "acknowledgements");
  bg_store_done(st);
  return rc;
}

/* The run whose thresholds apply: the latest default-branch run (*run 0: none, defaults);
 * *epoch gets its commit's epoch. */
static int thresholds_run(struct bg_store *s, const struct bg_project *p, long long *run,
                          long long *epoch) {
  long long defbr;
  int rc;
  *run = 0;
  if ((rc = lookup_id(s, V_BRANCH, p->id, p->default_branch, &defbr)) || !defbr)
    return rc;
  sqlite3_stmt *st = stmt(s, V_THRESHOLDS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  sqlite3_bind_int64(st, 2, defbr);
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

/* The thresholds of run `run` (NULL: defaults). */
static int load_thresholds(struct bg_store *s, long long run, struct bg_gate_thresholds **th) {
  int rc = BG_OK;
  *th = NULL;
  if (!run)
    return BG_OK;
  sqlite3_stmt *st = stmt(s, V_THRESHOLDS_OF);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, run);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
    cJSON *j = cJSON_Parse(bg_store_col_text(st, 0));
    /* A stored document that does not parse gets the defaults. */
    if (bg_gate_thresholds_parse_stored(j, th) != BG_OK)
      *th = NULL;
    cJSON_Delete(j);
  } else if (step != SQLITE_ROW && step != SQLITE_DONE) {
    rc = bg_store_fail(s, "thresholds");
  }
  bg_store_done(st);
  return rc;
}

/* What one decision produced, with the ids of each outcome's series. */
struct decision {
  struct bg_gate_verdict *v;
  long long *bids, *mids; /* per outcome */
};

static void decision_free(struct decision *d) {
  bg_gate_verdict_free(d->v);
  free(d->bids);
  free(d->mids);
  memset(d, 0, sizeof *d);
}

/* Decides the candidate in `it` (loaded, its baseline not yet) against baseline b with
 * thresholds th (NULL: defaults). Series starts are applied when `cuts` is set and the
 * baseline reaches past them; `ack_commit` (0: none) names the commit whose acknowledgements
 * count. */
static int decide_items(struct bg_store *s, struct run_cache *cache, const struct bg_project *p,
                        struct items *it, long long testbed, const struct bg_verdict_baseline *b,
                        int cuts, long long ack_commit, const struct bg_gate_thresholds *th,
                        struct decision *d) {
  struct bg_gate_item *gi = NULL;
  long long *ids = NULL; /* the run of each packed baseline point of an item */
  double *scratch = NULL;
  int rc;
  memset(d, 0, sizeof *d);
  if ((rc = load_baseline(s, cache, b, it)) ||
      (rc = load_cuts_and_acks(s, p, testbed, ack_commit, it)))
    goto out;
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  if (p->alpha > 0 && p->alpha < 1)
    cfg.alpha = p->alpha;
  cfg.window = b->level;
  cfg.noise_window = 0; /* the baseline is already the noise's window */
  cfg.noise_cv = b->noise_cv;
  /* Over its budget the states start over here, never inside the loop below: the items
   * point into them until the decision is made. */
  if (cache->state_bytes >= MAX_STATE_BYTES)
    states_clear(cache);
  ids = bg_xmalloc((it->k ? it->k : 1) * sizeof *ids);
  scratch = bg_xmalloc((it->k ? it->k : 1) * sizeof *scratch);
  gi = bg_xcalloc(it->n ? it->n : 1, sizeof *gi);
  d->bids = bg_xcalloc(it->n ? it->n : 1, sizeof *d->bids);
  d->mids = bg_xcalloc(it->n ? it->n : 1, sizeof *d->mids);
  size_t ng = 0;
  for (size_t i = 0; i < it->n; i++) {
    struct item *x = &it->v[i];
    /* A series only counts as missing when the newest baseline run still had it. */
    if (!x->has_cand && !(it->k && it->have[i * it->k]))
      continue;
    if (!x->benchmark && (rc = load_names(s, it, x)))
      goto out;
    /* The series' baseline starts at its start commit for later commits only: the start
     * commit itself, and branches forked before it, keep the older runs. */
    int cut = cuts && x->cut_epoch != LLONG_MIN && b->ref_commit != x->cut_commit &&
              b->ref_epoch >= x->cut_epoch;
    /* Packed in place: the kept runs move to the front of the item's row (nb <= r). */
    struct bg_gate_point *dst = &it->sums[i * it->k];
    size_t nb = 0;
    for (size_t r = 0; r < it->k; r++)
      if (it->have[i * it->k + r] && !(cut && b->epochs[r] < x->cut_epoch)) {
        ids[nb] = b->runs[r];
        dst[nb++] = dst[r];
      }
    struct bg_gate_item *g = &gi[ng];
    g->benchmark = x->benchmark;
    g->measure = x->measure;
    g->unit = x->unit;
    g->direction = x->direction;
    g->baseline = nb ? dst : NULL;
    g->nbaseline = nb;
    g->candidate = x->has_cand ? &x->cand : NULL;
    g->acknowledged = x->acknowledged;
    bg_gate_thresholds_lookup(th, x->benchmark, x->measure, &g->min_effect, &g->ignored);
    if (g->candidate && nb)
      keep_sorted(cache, x->bid, x->mid, g, ids, &cfg, scratch);
    d->bids[ng] = x->bid;
    d->mids[ng] = x->mid;
    ng++;
  }
  if (bg_gate_decide(gi, ng, &cfg, &d->v) != BG_OK)
    rc = BG_EINVAL;
out:
  if (rc)
    decision_free(d);
  free(gi);
  free(ids);
  free(scratch);
  return rc;
}

/* Decides stored run `rid` against baseline b; the thresholds are those of run `th_run` (0:
 * defaults). See decide_items. */
static int decide(struct bg_store *s, const struct bg_project *p, long long rid, long long testbed,
                  const struct bg_verdict_baseline *b, int cuts, long long ack_commit,
                  long long th_run, struct decision *d) {
  struct items it = {0};
  struct bg_gate_thresholds *th = NULL;
  int rc;
  memset(d, 0, sizeof *d);
  struct run_cache *cache = run_cache_get(s);
  if ((rc = load_candidate(s, rid, &it)) == BG_OK &&
      (rc = load_thresholds(s, th_run, &th)) == BG_OK)
    rc = decide_items(s, cache, p, &it, testbed, b, cuts, ack_commit, th, d);
  bg_gate_thresholds_free(th);
  items_recycle(cache, &it);
  items_free(&it);
  return rc;
}

static void put_verdict(struct bg_buf *buf, const struct bg_project *p, const char *sha,
                        const char *testbed, const char *base_branch,
                        const struct bg_verdict_baseline *b, const struct bg_gate_verdict *v,
                        int full);

static char *buf_text(struct bg_buf *b) {
  char *text = cJSON_malloc(b->len + 1);
  memcpy(text, b->data ? b->data : "", b->len + 1);
  return text;
}

/* The verdict object as text into *full, and (when head is not NULL) its head
 * without results and markdown into *head; the caller frees both with cJSON_free. */
static void verdict_text(const struct bg_project *p, const char *sha, const char *testbed,
                         const char *base_branch, const struct bg_verdict_baseline *b,
                         const struct bg_gate_verdict *v, char **full, char **head) {
  struct bg_buf buf;
  bg_buf_init(&buf, 0);
  put_verdict(&buf, p, sha, testbed, base_branch, b, v, 1);
  *full = buf_text(&buf);
  if (head) {
    bg_buf_reset(&buf);
    put_verdict(&buf, p, sha, testbed, base_branch, b, v, 0);
    *head = buf_text(&buf);
  }
  bg_buf_free(&buf);
}

/* What a decision was made on, as stored in run_gate_inputs. A stretch of three or more
 * consecutive ids, newest first (a default branch without interleaved branch runs), is written
 * [first, count]: up to 100 ids in each run row made the rows, and the series reads that walk
 * them, a fifth slower. */
static char *gate_input_text(const struct bg_verdict_baseline *b, long long th_run) {
  struct bg_buf buf;
  bg_buf_init(&buf, 0);
  bg_buf_puts(&buf, "{\"runs\":[");
  for (size_t i = 0, len; i < b->n; i += len) {
    for (len = 1; i + len < b->n && b->runs[i + len] == b->runs[i] - (long long)len; len++)
      ;
    if (len < 3) {
      len = 1;
      bg_buf_printf(&buf, "%s%lld", i ? "," : "", b->runs[i]);
    } else {
      bg_buf_printf(&buf, "%s[%lld,%zu]", i ? "," : "", b->runs[i], len);
    }
  }
  bg_buf_printf(&buf, "],\"window\":%zu,\"ref\":[%lld,%lld],\"thresholds_run\":", b->level,
                b->ref_epoch, b->ref_commit);
  if (th_run)
    bg_buf_printf(&buf, "%lld}", th_run);
  else
    bg_buf_puts(&buf, "null}");
  char *text = buf_text(&buf);
  bg_buf_free(&buf);
  return text;
}

/* The run ids of a gate input's "runs" (ids and [first, count] stretches), at most
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

/* Reads run `rid`'s pinned gate input into b and *th_run; *found 0 when the run has none. */
static int load_pinned(struct bg_store *s, long long rid, struct bg_verdict_baseline *b,
                       long long *th_run, int *found) {
  sqlite3_stmt *st = stmt(s, V_GATE_INPUT);
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
  b->runs = bg_xcalloc(n ? n : 1, sizeof *b->runs);
  b->epochs = bg_xcalloc(n ? n : 1, sizeof *b->epochs);
  b->shas = bg_xcalloc(n ? n : 1, sizeof *b->shas);
  b->ref_epoch = (long long)cJSON_GetArrayItem(ref, 0)->valuedouble;
  b->ref_commit = (long long)cJSON_GetArrayItem(ref, 1)->valuedouble;
  *th_run = cJSON_IsNumber(th) ? (long long)th->valuedouble : 0;
  b->level = cJSON_IsNumber(level) && level->valuedouble >= 0 ? (size_t)level->valuedouble : 0;
  for (size_t i = 0; i < n; i++) {
    if (!(st = stmt(s, V_RUN_BRIEF))) {
      rc = BG_EDB;
      break;
    }
    sqlite3_bind_int64(st, 1, ids[i]);
    if (sqlite3_step(st) == SQLITE_ROW) {
      b->runs[b->n] = ids[i];
      b->epochs[b->n] = sqlite3_column_int64(st, 0);
      bg_store_copy_text(b->shas[b->n], sizeof b->shas[0], bg_store_col_text(st, 1));
      b->n++;
    }
    bg_store_done(st);
  }
  free(ids);
out:
  cJSON_Delete(in);
  return rc;
}

static int store_verdict(struct bg_store *s, const struct bg_project *p, const struct cand *c,
                         const struct decision *d, const char *head, const char *input) {
  sqlite3_stmt *st = stmt(s, V_UPDATE);
  int rc;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, c->rid);
  sqlite3_bind_text(st, 2, head, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, bg_gate_state_name(d->v->state), -1, SQLITE_STATIC);
  for (int k = 0; k < BG_GATE_NCLASSES; k++)
    sqlite3_bind_int64(st, 4 + k, (long long)d->v->counts[k]);
  rc = sqlite3_step(st) == SQLITE_DONE ? BG_OK : bg_store_fail(s, "store verdict");
  bg_store_done(st);
  if (rc)
    return rc;
  if (!(st = stmt(s, V_INPUT_SET)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, c->rid);
  sqlite3_bind_text(st, 2, input, -1, SQLITE_STATIC);
  rc = sqlite3_step(st) == SQLITE_DONE ? BG_OK : bg_store_fail(s, "store gate input");
  bg_store_done(st);
  if (rc)
    return rc;
  long long now = (long long)time(NULL);
  for (size_t i = 0; i < d->v->n && rc == BG_OK; i++) {
    const struct bg_gate_outcome *o = &d->v->outcomes[i];
    if (o->cls != BG_GATE_REGRESSED || o->acknowledged || o->ignored)
      continue;
    const struct bg_alert_key k = {p->id, c->testbed_id, d->bids[i], d->mids[i], c->commit_id};
    rc = bg_alerts_open_regression(s, &k, c->rid, o->change, o->change_lo, o->change_hi, now);
  }
  return rc;
}

/* A number as print_json writes a cJSON number: integers below 1e15 in full ("%.0f", here
 * without printf), anything else with 12 significant digits, null when not finite. */
static void put_num(struct bg_buf *out, double d) {
  if (!(d == floor(d) && fabs(d) < 1e15)) {
    bg_json_num12(out, d);
    return;
  }
  char digits[24], *e = digits + sizeof digits, *q = e;
  long long k = (long long)d;
  unsigned long long u = k < 0 ? 0ULL - (unsigned long long)k : (unsigned long long)k;
  do {
    *--q = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (k < 0 || (k == 0 && signbit(d)))
    *--q = '-';
  bg_buf_append(out, q, (size_t)(e - q));
}

/* Appends a string literal: its length is known, so the copy is inlined when it fits (a
 * 1 000-result verdict is ~30 000 appends). */
#define PUT(out, lit) put_lit((out), (lit), sizeof(lit) - 1)
static inline void put_lit(struct bg_buf *out, const char *s, size_t n) {
  if (out->data && out->len + n < out->cap && (!out->max || out->len + n <= out->max)) {
    memcpy(out->data + out->len, s, n);
    out->len += n;
    out->data[out->len] = '\0';
  } else {
    bg_buf_append(out, s, n);
  }
}

/* Writes the verdict object of bg_gate_verdict_to_cjson as print_json would print it, without
 * building the tree (a 1 000-result verdict is ~20 000 cJSON nodes: a malloc and a free each).
 * full 0 leaves out results and markdown: the head that runs.verdict keeps. */
/* The oldest commit of the level's window. */
static const char *first_sha(const struct bg_verdict_baseline *b) {
  size_t k = b->level && b->level < b->n ? b->level : b->n;
  return k ? b->shas[k - 1] : NULL;
}

static void put_verdict(struct bg_buf *buf, const struct bg_project *p, const char *sha,
                        const char *testbed, const char *base_branch,
                        const struct bg_verdict_baseline *b, const struct bg_gate_verdict *v,
                        int full) {
  static const enum bg_gate_class order[] = {
      BG_GATE_REGRESSED, BG_GATE_IMPROVED, BG_GATE_UNCHANGED, BG_GATE_INCONCLUSIVE,
      BG_GATE_NEW,       BG_GATE_MISSING,  BG_GATE_IGNORED};
  char url[1400] = "";
  if (public_url[0])
    snprintf(url, sizeof url, "%s/#/p/%s/c/%s", public_url, p->slug, sha);
  PUT(buf, "{\"state\":");
  bg_json_str(buf, bg_gate_state_name(v->state));
  PUT(buf, ",\"project\":");
  bg_json_str(buf, p->slug);
  PUT(buf, ",\"commit\":");
  bg_json_str(buf, sha);
  PUT(buf, ",\"testbed\":");
  bg_json_str(buf, testbed);
  PUT(buf, ",\"baseline\":{\"branch\":");
  bg_json_str(buf, base_branch);
  bg_buf_printf(buf, ",\"runs\":%zu,\"noise_runs\":%zu,\"first\":", v->baseline_runs,
                v->noise_runs);
  bg_json_str(buf, first_sha(b));
  PUT(buf, ",\"last\":");
  bg_json_str(buf, b->n ? b->shas[0] : NULL);
  PUT(buf, "},\"counts\":{");
  for (size_t i = 0; i < sizeof order / sizeof *order; i++)
    bg_buf_printf(buf, "%s\"%s\":%zu", i ? "," : "", bg_gate_class_name(order[i]),
                  v->counts[order[i]]);
  PUT(buf, "}");
  if (full) {
    PUT(buf, ",\"results\":[");
    for (size_t i = 0; i < v->n; i++) {
      const struct bg_gate_outcome *r = &v->outcomes[i];
      bg_buf_puts(buf, i ? ",{\"benchmark\":" : "{\"benchmark\":");
      bg_json_str(buf, r->benchmark);
      PUT(buf, ",\"measure\":");
      bg_json_str(buf, r->measure);
      PUT(buf, ",\"unit\":");
      bg_json_str(buf, r->unit);
      bg_buf_puts(buf, r->direction == BG_HIGHER ? ",\"direction\":\"higher\",\"class\":"
                                                 : ",\"direction\":\"lower\",\"class\":");
      bg_json_str(buf, bg_gate_class_name(r->cls));
      PUT(buf, ",\"change\":");
      put_num(buf, r->change);
      PUT(buf, ",\"change_ci\":[");
      put_num(buf, r->change_lo);
      PUT(buf, ",");
      put_num(buf, r->change_hi);
      PUT(buf, "],\"p\":");
      put_num(buf, r->p);
      PUT(buf, ",\"q\":");
      put_num(buf, r->q);
      PUT(buf, ",\"method\":");
      bg_json_str(buf, bg_gate_method_name(r->method));
      if (r->method == BG_GATE_METHOD_EXACT) {
        PUT(buf, ",\"resolution\":");
        put_num(buf, r->resolution);
      }
      PUT(buf, ",\"min_effect\":");
      put_num(buf, r->min_effect);
      if (r->acknowledged)
        PUT(buf, ",\"acknowledged\":true");
      PUT(buf, ",\"baseline\":{\"center\":");
      put_num(buf, r->baseline_center);
      PUT(buf, ",\"runs\":");
      put_num(buf, (double)r->baseline_runs);
      PUT(buf, ",\"noise_runs\":");
      put_num(buf, (double)r->noise_runs);
      PUT(buf, "},\"candidate\":{\"center\":");
      put_num(buf, r->candidate_center);
      PUT(buf, ",\"n\":");
      put_num(buf, r->candidate_n);
      PUT(buf, "}}");
    }
    PUT(buf, "]");
  }
  char *summary = bg_gate_summary_text(v);
  PUT(buf, ",\"summary\":");
  bg_json_str(buf, summary);
  free(summary);
  if (full) {
    struct bg_gate_context ctx = {p->slug,
                                  sha,
                                  testbed,
                                  base_branch,
                                  first_sha(b),
                                  b->n ? b->shas[0] : NULL,
                                  url[0] ? url : NULL};
    char *md = bg_gate_markdown(v, &ctx);
    PUT(buf, ",\"markdown\":");
    bg_json_str(buf, md);
    free(md);
  }
  PUT(buf, ",\"url\":");
  bg_json_str(buf, url[0] ? url : NULL);
  PUT(buf, "}");
}

/* The head of a verdict (what runs.verdict keeps): the members of bg_gate_verdict_to_cjson's
 * object but results and markdown, written directly so an upload does not build the full
 * object inside its transaction. Caller frees with cJSON_free. */
static char *head_text(const struct bg_project *p, const char *sha, const char *testbed,
                       const char *base_branch, const struct bg_verdict_baseline *b,
                       const struct bg_gate_verdict *v) {
  struct bg_buf buf;
  bg_buf_init(&buf, 0);
  put_verdict(&buf, p, sha, testbed, base_branch, b, v, 0);
  char *text = buf_text(&buf);
  bg_buf_free(&buf);
  return text;
}

/* Series a payload names that its decision's snapshot did not know: temporary id
 * TEMP_ID + k stands for the series of result bench[k] (measure[k]). */
struct temps {
  size_t *bench, *measure;
  size_t nbench, nmeasure;
};

/* A decision kept for storing and rendering after the upload's transaction. */
struct bg_verdict_answer {
  struct bg_project p;
  char sha[65], testbed[80];
  struct cand c;
  long long th_run; /* TH_SELF: the run's own thresholds, before it has an id */
  struct bg_verdict_baseline b;
  struct decision d;
  struct temps t;
  char *head; /* rendered ahead by bg_verdict_answer_render, or NULL */
};

/* A decision kept for its run: takes over b and d (left zeroed). */
static struct bg_verdict_answer *answer_of(const struct bg_project *p, const struct cand *c,
                                           long long th_run, struct bg_verdict_baseline *b,
                                           struct decision *d) {
  struct bg_verdict_answer *a = bg_xcalloc(1, sizeof *a);
  a->p = *p;
  a->c = *c;
  a->th_run = th_run;
  bg_store_copy_text(a->sha, sizeof a->sha, c->sha);
  bg_store_copy_text(a->testbed, sizeof a->testbed, c->testbed);
  a->b = *b;
  a->d = *d;
  memset(b, 0, sizeof *b);
  memset(d, 0, sizeof *d);
  return a;
}

void bg_verdict_answer_render(struct bg_verdict_answer *a) {
  if (!a->head)
    a->head = head_text(&a->p, a->sha, a->testbed, a->p.default_branch, &a->b, a->d.v);
}

void bg_verdict_answer_write(const struct bg_verdict_answer *a, struct bg_buf *out) {
  put_verdict(out, &a->p, a->sha, a->testbed, a->p.default_branch, &a->b, a->d.v, 1);
}

char *bg_verdict_answer_text(const struct bg_verdict_answer *a) {
  char *full = NULL;
  verdict_text(&a->p, a->sha, a->testbed, a->p.default_branch, &a->b, a->d.v, &full, NULL);
  return full;
}

void bg_verdict_answer_free(struct bg_verdict_answer *a) {
  if (!a)
    return;
  decision_free(&a->d);
  bg_verdict_baseline_free(&a->b);
  free(a->t.bench);
  free(a->t.measure);
  cJSON_free(a->head);
  free(a);
}

/* Judges stored run `rid`: with a fresh baseline selection (`select`, at upload) or with the
 * baseline and thresholds pinned at upload; stores the result when `keep`. The full verdict
 * text goes to *json when json is not NULL; with `later` (keep only) the decision is handed
 * over for bg_verdict_answer_text instead of rendered here. */
static int judge(struct bg_store *s, const struct bg_project *p, long long rid, int select,
                 int keep, char **json, struct bg_verdict_answer **later) {
  struct cand c;
  struct bg_verdict_baseline b = {0};
  struct decision d = {0};
  char *full = NULL, *head = NULL, *input = NULL;
  long long th_run = 0;
  int rc, found = 1;
  if (json)
    *json = NULL;
  if ((rc = load_run(s, rid, &c)))
    goto out;
  if (select) {
    long long th_epoch;
    if ((rc = select_baseline(s, p, &c, &b)) || (rc = thresholds_run(s, p, &th_run, &th_epoch)))
      goto out;
  } else if ((rc = load_pinned(s, rid, &b, &th_run, &found))) {
    goto out;
  }
  if (!found) {
    /* A run stored before the gate existed. */
    struct bg_buf buf;
    bg_buf_init(&buf, 0);
    bg_buf_puts(&buf, "{\"state\":\"pending\",\"commit\":");
    bg_json_str(&buf, c.sha);
    bg_buf_puts(&buf, "}");
    if (json)
      *json = buf_text(&buf);
    bg_buf_free(&buf);
    goto out;
  }
  if ((rc = decide(s, p, rid, c.testbed_id, &b, 1, c.commit_id, th_run, &d)))
    goto out;
  if (!keep && !json)
    ; /* decided only: bg_verdict_store_decision stores it */
  else if (keep && !json)
    head = head_text(p, c.sha, c.testbed, p->default_branch, &b, d.v);
  else
    verdict_text(p, c.sha, c.testbed, p->default_branch, &b, d.v, &full, keep ? &head : NULL);
  if (keep) {
    input = gate_input_text(&b, th_run);
    if ((rc = store_verdict(s, p, &c, &d, head, input)))
      goto out;
  }
  if (json) {
    *json = full;
    full = NULL;
  }
  if (later)
    *later = answer_of(p, &c, th_run, &b, &d);
out:
  cJSON_free(full);
  cJSON_free(head);
  cJSON_free(input);
  decision_free(&d);
  bg_verdict_baseline_free(&b);
  return rc;
}

int bg_verdict_update_run(struct bg_store *s, const struct bg_project *p, long long rid,
                          struct bg_verdict_answer **answer) {
  if (answer)
    *answer = NULL;
  return judge(s, p, rid, 1, 1, NULL, answer);
}

int bg_verdict_run_json(struct bg_store *s, const struct bg_project *p, long long rid,
                        char **json) {
  return judge(s, p, rid, 0, 0, json, NULL);
}

int bg_verdict_decide_run(struct bg_store *s, const struct bg_project *p, long long rid,
                          struct bg_verdict_answer **answer) {
  *answer = NULL;
  return judge(s, p, rid, 1, 0, NULL, answer);
}

int bg_verdict_rejudge_run(struct bg_store *s, const struct bg_project *p, long long rid,
                           char **json) {
  return judge(s, p, rid, 0, 1, json, NULL);
}

/* ---- an upload's decision, made from its payload before it is stored ---- */

/* Temporary ids sit above every real id, in the order of first appearance in the payload,
 * which is the order the insert gives out the real ones: the items then sort as a read of
 * the stored run would give them. */
#define TEMP_ID (1LL << 62)
#define TH_SELF (-1)

/* A name of the payload (benchmark or measure) and what the snapshot knows of it. */
struct name_id {
  const char *name; /* NULL: empty slot */
  long long id;
  char *unit; /* measures: as stored, or as the payload gives a new one */
  enum bg_direction direction;
};

struct name_ids {
  struct name_id *slots;
  size_t mask;
};

static void name_ids_init(struct name_ids *t, size_t n) {
  size_t cap = 16;
  while (cap < 2 * n)
    cap *= 2;
  t->slots = bg_xcalloc(cap, sizeof *t->slots);
  t->mask = cap - 1;
}

/* The slot of `name`, claimed for it when empty (*fresh 1: the caller fills it in). */
static struct name_id *name_slot(struct name_ids *t, const char *name, int *fresh) {
  uint64_t h = 1469598103934665603ULL;
  for (const unsigned char *c = (const unsigned char *)name; *c; c++)
    h = (h ^ *c) * 1099511628211ULL;
  for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
    struct name_id *e = &t->slots[i];
    *fresh = !e->name;
    if (*fresh)
      e->name = name;
    if (*fresh || !strcmp(e->name, name))
      return e;
  }
}

/* Measure r->measure of result i: its stored id, unit and direction, or a temporary id and
 * the payload's unit and direction (what the insert will store). */
static int find_measure(struct bg_store *s, long long pid, struct items *it,
                        const struct bg_result *r, size_t i, struct name_id *m, struct temps *t) {
  sqlite3_stmt *st = stmt(s, V_MEASURE);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  sqlite3_bind_text(st, 2, r->measure, -1, SQLITE_STATIC);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    m->id = sqlite3_column_int64(st, 0);
    m->unit = items_name(it, bg_store_col_text(st, 1));
    const char *d = bg_store_col_text(st, 2);
    m->direction = d && !strcmp(d, "higher") ? BG_HIGHER : BG_LOWER;
  } else if (step == SQLITE_DONE) {
    m->id = TEMP_ID + (long long)t->nmeasure;
    t->measure[t->nmeasure++] = i;
    m->unit = items_name(it, r->unit);
    m->direction = r->direction;
  } else {
    rc = bg_store_fail(s, "measure");
  }
  bg_store_done(st);
  return rc;
}

/* The summary a read of result r's stored row would give (row_summary). */
static void payload_summary(const struct bg_result *r, const struct bg_verdict_row *row,
                            struct bg_gate_summary *g) {
  struct bg_verdict_row st = stored_row(*row);
  if (!isnan(st.raw_center)) {
    cols_summary(&st, g);
    return;
  }
  if (!r->has_summary && r->nsamples && bg_gate_summarize(r->samples, r->nsamples, g) == BG_OK)
    return;
  if (bg_gate_summarize_moments(st.n, st.mean, st.stddev, g) != BG_OK)
    bg_gate_summarize_moments(1, st.mean, 0, g);
}

static int cmp_item(const void *a, const void *b) {
  const struct item *x = a, *y = b;
  if (x->bid != y->bid)
    return (x->bid > y->bid) - (x->bid < y->bid);
  return (x->mid > y->mid) - (x->mid < y->mid);
}

/* The candidate's items from the payload, in the order load_candidate reads them. */
static int load_payload(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                        const struct bg_verdict_row *rows, struct items *it, struct temps *t) {
  struct name_ids benches, measures;
  size_t n = run->nresults ? run->nresults : 1;
  name_ids_init(&benches, n);
  name_ids_init(&measures, n);
  t->bench = bg_xcalloc(n, sizeof *t->bench);
  t->measure = bg_xcalloc(n, sizeof *t->measure);
  int rc = BG_OK, fresh;
  for (size_t i = 0; i < run->nresults && rc == BG_OK; i++) {
    const struct bg_result *r = &run->results[i];
    struct name_id *m = name_slot(&measures, r->measure, &fresh);
    if (fresh && (rc = find_measure(s, p->id, it, r, i, m, t)))
      break;
    struct name_id *b = name_slot(&benches, r->benchmark, &fresh);
    if (fresh && (rc = bg_store_benchmark_id(s, p->id, r->benchmark, &b->id)))
      break;
    if (fresh && !b->id) {
      b->id = TEMP_ID + (long long)t->nbench;
      t->bench[t->nbench++] = i;
    }
    struct item *x = items_add(it, b->id, m->id);
    x->benchmark = items_name(it, r->benchmark);
    x->measure = items_name(it, r->measure);
    x->unit = m->unit;
    x->direction = m->direction;
    x->has_cand = 1;
    payload_summary(r, &rows[i], &x->cand);
  }
  free(benches.slots);
  free(measures.slots);
  if (rc == BG_OK) {
    qsort(it->v, it->n, sizeof *it->v, cmp_item);
    memset(it->slots, 0, it->nslots * sizeof *it->slots);
    for (size_t i = 0; i < it->n; i++)
      *find_slot(it, it->v[i].bid, it->v[i].mid) = i + 1;
  }
  return rc;
}

/* The candidate as the upload will store it: its commit's id and epoch when the snapshot has
 * the commit, otherwise an id above every other and the epoch the insert will give it. */
static int payload_cand(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                        long long now, struct cand *c) {
  sqlite3_stmt *st = stmt(s, V_COMMIT_FIND);
  int rc = BG_OK;
  memset(c, 0, sizeof *c);
  if (!st)
    return BG_EDB;
  bg_store_copy_text(c->sha, sizeof c->sha, run->commit.sha);
  bg_store_copy_text(c->branch, sizeof c->branch, run->commit.branch);
  bg_store_copy_text(c->testbed, sizeof c->testbed, run->testbed);
  bg_store_copy_text(c->baseline_sha, sizeof c->baseline_sha, run->baseline_sha);
  c->pr = run->pull_request;
  sqlite3_bind_int64(st, 1, p->id);
  sqlite3_bind_text(st, 2, c->sha, -1, SQLITE_STATIC);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    c->commit_id = sqlite3_column_int64(st, 0);
    c->epoch = sqlite3_column_int64(st, 1);
  } else if (step == SQLITE_DONE) {
    long long t;
    c->commit_id = LLONG_MAX;
    c->epoch = run->commit.timestamp && bg_valid_timestamp(run->commit.timestamp, &t) ? t : now;
    c->run = run;
  } else {
    rc = bg_store_fail(s, "commit");
  }
  bg_store_done(st);
  if (rc == BG_OK && (rc = lookup_id(s, V_TESTBED, p->id, c->testbed, &c->testbed_id)) == BG_OK)
    rc = lookup_id(s, V_BRANCH, p->id, c->branch, &c->branch_id);
  return rc;
}

/* The thresholds that apply to the upload: its own when it will be the latest default-branch
 * run (as thresholds_run finds it once stored), else the latest default-branch run's. */
static int payload_thresholds(struct bg_store *s, const struct bg_project *p,
                              const struct bg_run *run, const struct cand *c, long long *th_run,
                              struct bg_gate_thresholds **th) {
  long long epoch = 0;
  int rc = thresholds_run(s, p, th_run, &epoch);
  *th = NULL;
  if (rc)
    return rc;
  if (!c->pr && !strcmp(c->branch, p->default_branch) && (!*th_run || c->epoch >= epoch)) {
    *th_run = TH_SELF;
    /* Thresholds were validated at upload; should they not parse, defaults apply. */
    if (run->thresholds && bg_gate_thresholds_parse(run->thresholds, th, NULL) != BG_OK)
      *th = NULL;
    return BG_OK;
  }
  return load_thresholds(s, *th_run, th);
}

int bg_verdict_decide_payload(struct bg_store *s, const struct bg_project *p,
                              const struct bg_run *run, const struct bg_verdict_row *rows,
                              long long now, struct bg_verdict_answer **answer) {
  struct cand c;
  struct bg_verdict_baseline b = {0};
  struct items it = {0};
  struct temps t = {0};
  struct decision d = {0};
  struct bg_gate_thresholds *th = NULL;
  long long th_run = 0;
  int rc;
  *answer = NULL;
  if ((rc = payload_cand(s, p, run, now, &c)) || (rc = select_baseline(s, p, &c, &b)) ||
      (rc = payload_thresholds(s, p, run, &c, &th_run, &th)) ||
      (rc = load_payload(s, p, run, rows, &it, &t)))
    goto out;
  struct run_cache *cache = shared_acquire(s);
  rc = decide_items(s, cache, p, &it, c.testbed_id, &b, 1, c.commit_id, th, &d);
  items_recycle(cache, &it);
  shared_release(s);
  if (rc)
    goto out;
  *answer = answer_of(p, &c, th_run, &b, &d);
  (*answer)->t = t;
  memset(&t, 0, sizeof t);
out:
  decision_free(&d);
  bg_verdict_baseline_free(&b);
  bg_gate_thresholds_free(th);
  items_free(&it);
  free(t.bench);
  free(t.measure);
  return rc;
}

void bg_verdict_answer_bind(struct bg_verdict_answer *a, long long rid, long long commit_id,
                            long long epoch, long long branch_id, long long testbed_id,
                            const struct bg_verdict_row *rows, size_t nrows) {
  a->c.rid = rid;
  a->c.commit_id = commit_id;
  a->c.epoch = epoch;
  a->c.branch_id = branch_id;
  a->c.testbed_id = testbed_id;
  a->c.run = NULL;
  if (a->th_run == TH_SELF)
    a->th_run = rid;
  if (a->b.on_default) {
    a->b.ref_epoch = epoch;
    a->b.ref_commit = commit_id;
  }
  for (size_t k = 0; a->d.v && k < a->d.v->n; k++) {
    long long tb = a->d.bids[k] - TEMP_ID, tm = a->d.mids[k] - TEMP_ID;
    if (tb >= 0 && (size_t)tb < a->t.nbench && a->t.bench[tb] < nrows)
      a->d.bids[k] = rows[a->t.bench[tb]].bid;
    if (tm >= 0 && (size_t)tm < a->t.nmeasure && a->t.measure[tm] < nrows)
      a->d.mids[k] = rows[a->t.measure[tm]].mid;
  }
}

int bg_verdict_pending(struct bg_store *s, long long rid, int *pending) {
  sqlite3_stmt *st = stmt(s, V_PENDING);
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

int bg_verdict_store_decision(struct bg_store *s, const struct bg_verdict_answer *a,
                              int *stored) {
  int rc, pending;
  *stored = 0;
  if ((rc = bg_verdict_pending(s, a->c.rid, &pending)) || !pending)
    return rc;
  char *head =
      a->head ? NULL : head_text(&a->p, a->sha, a->testbed, a->p.default_branch, &a->b, a->d.v);
  char *input = gate_input_text(&a->b, a->th_run);
  if ((rc = store_verdict(s, &a->p, &a->c, &a->d, a->head ? a->head : head, input)) == BG_OK)
    *stored = 1;
  cJSON_free(head);
  cJSON_free(input);
  return rc;
}

/* ---- reads ---- */

/* Resolves a testbed name (or the only testbed when NULL) to its id and name. */
static int resolve_testbed(struct bg_store *s, const struct bg_project *p, const char *name,
                           long long *id, char *name_out, size_t n, struct bg_ferr *e) {
  return bg_store_testbed_find(s, p->id, name, 1, id, name_out, n, e);
}

int bg_verdict_commit_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                           const char *testbed, struct bg_buf *out, struct bg_ferr *e) {
  long long cid, tb = 0;
  char tbname[80];
  int rc;
  if ((rc = lookup_id(s, V_COMMIT, p->id, sha, &cid)))
    return rc;
  if (!cid) {
    bg_ferr_set(e, "sha", "no run of this commit");
    return BG_ENOENT;
  }
  if (testbed && (rc = resolve_testbed(s, p, testbed, &tb, tbname, sizeof tbname, e)))
    return rc;
  sqlite3_stmt *st = stmt(s, V_LATEST_RUN);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  sqlite3_bind_int64(st, 2, tb);
  int step = sqlite3_step(st);
  long long rid = 0;
  if (step == SQLITE_ROW) {
    rid = sqlite3_column_int64(st, 0);
  } else if (step == SQLITE_DONE) {
    bg_ferr_set(e, testbed ? "testbed" : "sha", "no run of this commit%s",
                testbed ? " on this testbed" : "");
    rc = BG_ENOENT;
  } else {
    rc = bg_store_fail(s, "verdict");
  }
  bg_store_done(st);
  if (rid) {
    char *text = NULL;
    if ((rc = bg_verdict_run_json(s, p, rid, &text)) == BG_OK)
      bg_buf_puts(out, text);
    cJSON_free(text);
  }
  return rc;
}

int bg_verdict_commit_verdicts_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                                    struct bg_buf *out) {
  long long cid, *rids = NULL;
  size_t n = 0, cap = 0;
  int rc, step;
  if ((rc = lookup_id(s, V_COMMIT, p->id, sha, &cid)))
    return rc;
  if (!cid)
    return BG_ENOENT;
  sqlite3_stmt *st = stmt(s, V_COMMIT_NEWEST);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  /* Collected first: rendering a verdict uses statements of its own. */
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    bg_xgrow((void **)&rids, &cap, n + 1, sizeof *rids);
    rids[n++] = sqlite3_column_int64(st, 0);
  }
  if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "commit verdicts");
  bg_store_done(st);
  bg_buf_puts(out, "[");
  for (size_t i = 0; i < n && rc == BG_OK; i++) {
    char *text = NULL;
    if ((rc = bg_verdict_run_json(s, p, rids[i], &text)) == BG_OK) {
      bg_buf_puts(out, i ? "," : "");
      bg_buf_puts(out, text);
    }
    cJSON_free(text);
  }
  bg_buf_puts(out, "]");
  free(rids);
  return rc;
}

/* The newest runs of commit `cid` on testbed `tb` (at most `limit`) into b. */
static int commit_runs(struct bg_store *s, long long cid, long long tb, long long limit,
                       struct bg_verdict_baseline *b) {
  sqlite3_stmt *st = stmt(s, V_COMMIT_RUNS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  sqlite3_bind_int64(st, 2, tb);
  sqlite3_bind_int64(st, 3, limit);
  return step_runs(s, st, limit, b, "commit runs");
}

int bg_verdict_compare_json(struct bg_store *s, const struct bg_project *p, const char *base,
                            const char *head, const char *testbed, struct bg_buf *out,
                            struct bg_ferr *e) {
  long long tb, bcid, hcid, window, noise;
  char tbname[80] = "";
  struct bg_verdict_baseline b = {0}, h = {0};
  struct decision d = {0};
  char *text = NULL;
  int rc;
  if ((rc = resolve_testbed(s, p, testbed, &tb, tbname, sizeof tbname, e)) ||
      (rc = project_window(s, p, &window, &noise)) ||
      (rc = lookup_id(s, V_COMMIT, p->id, base, &bcid)) ||
      (rc = lookup_id(s, V_COMMIT, p->id, head, &hcid)))
    goto out;
  if (bcid && (rc = commit_runs(s, bcid, tb, window, &b)))
    goto out;
  if (hcid && (rc = commit_runs(s, hcid, tb, 1, &h)))
    goto out;
  if (!b.n || !h.n) {
    bg_ferr_set(e, b.n ? "head" : "base", "no run of this commit on testbed %s", tbname);
    rc = BG_ENOENT;
    goto out;
  }
  b.ref_epoch = b.epochs[0];
  b.ref_commit = bcid;
  /* Two commits with a run or two each cannot show the run-to-run noise: the same stated
   * noise as `benchgate compare` with one BASE. */
  b.noise_cv = BG_GATE_COMPARE_NOISE_CV;
  long long th_run, th_epoch;
  if ((rc = thresholds_run(s, p, &th_run, &th_epoch)) ||
      (rc = decide(s, p, h.runs[0], tb, &b, 0, hcid, th_run, &d)))
    goto out;
  verdict_text(p, head, tbname, NULL, &b, d.v, &text, NULL);
  bg_buf_puts(out, text);
out:
  cJSON_free(text);
  decision_free(&d);
  bg_verdict_baseline_free(&b);
  bg_verdict_baseline_free(&h);
  return rc;
}
