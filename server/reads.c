/* reads.c: the reads of runs and history (reads.h), with statements of their own.
 *
 * A run is read with its results and samples in two queries. A page of history walks the
 * project's runs newest first through the index that matches its filters: the first run met
 * of each commit is its latest, so commits come out in history order without grouping all the
 * runs of the project; each commit then costs a count, its row and its latest run's verdict
 * state.
 */
#include "reads.h"

#include "db_sql.h"
#include "json.h"
#include "store_private.h"
#include "table.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum rid {
  R_RUN_GET,
  R_RUN_RESULTS,
  R_WALK_ALL,
  R_WALK_BRANCH,
  R_WALK_TESTBED,
  R_WALK_BOTH,
  R_COMMIT_STATS,
  R_COMMIT_BY_ID,
  R_HISTORY_CURSOR,
  R_COMMIT_GET,
  R_COMMIT_PREFIX,
  R_COMMIT_RUNS,
  R_RUN_VERDICT_STATE,
  R_COUNT
};

static const char *const sql_text[R_COUNT] = {
    [R_RUN_GET] =
        "SELECT r.id, r.run_id, c.id, c.sha, b.name, c.message, c.author, c.timestamp, "
        "t.name, r.fingerprint, r.baseline_branch, r.baseline_sha, r.pull_request, r.job_id, "
        "r.agent_name, r.agent_version, r.started_at, r.finished_at, r.received_at, "
        "r.thresholds, r.warnings, r.verdict, "
        "(SELECT k.run_id FROM runs k WHERE k.id = r.confirms_id), r.confirmable "
        "FROM runs r JOIN commits c ON c.id = r.commit_id JOIN branches b ON b.id = r.branch_id "
        "JOIN testbeds t ON t.id = r.testbed_id WHERE r.project_id = ?1 AND r.run_id = ?2",
    [R_RUN_RESULTS] = "SELECT b.name, m.slug, m.unit, m.direction, x.n, x.mean, x.stddev, "
                      "x.median, x.samples FROM results x "
                      "JOIN benchmarks b ON b.id = x.benchmark_id "
                      "JOIN measures m ON m.id = x.measure_id WHERE x.run_id = ?1",
/* History: one row per run matching the filters, newest first; ?4/?5 is the cursor. */
#define WALK(filter)                                                                               \
  "SELECT commit_id, commit_epoch, id FROM runs WHERE project_id = ?1" filter                      \
  " AND (commit_epoch, id) < (?4, ?5) ORDER BY commit_epoch DESC, id DESC"
    [R_WALK_ALL] = WALK(""),
    [R_WALK_BRANCH] = WALK(" AND branch_id = ?2"),
    [R_WALK_TESTBED] = WALK(" AND testbed_id = ?3"),
    [R_WALK_BOTH] = WALK(" AND branch_id = ?2 AND testbed_id = ?3"),
    [R_COMMIT_STATS] = "SELECT count(*), max(id) FROM runs WHERE commit_id = ?1 "
                       "AND (?2 IS NULL OR branch_id = ?2) AND (?3 IS NULL OR testbed_id = ?3)",
    [R_COMMIT_BY_ID] = "SELECT sha, message, author, timestamp, epoch FROM commits WHERE id = ?1",
    [R_HISTORY_CURSOR] =
        "SELECT c.epoch, max(r.id) FROM runs r JOIN commits c ON c.id = r.commit_id "
        "WHERE r.project_id = ?1 AND c.sha = ?4 AND (?2 IS NULL OR r.branch_id = ?2) "
        "AND (?3 IS NULL OR r.testbed_id = ?3) GROUP BY c.id",
    [R_COMMIT_GET] = "SELECT id, sha, message, author, timestamp, epoch FROM commits "
                     "WHERE project_id = ?1 AND sha = ?2",
    /* Every sha that starts with ?2 lies in [?2, ?2 || 'g'): hex digits sort below 'g'. */
    [R_COMMIT_PREFIX] = "SELECT sha FROM commits WHERE project_id = ?1 AND sha >= ?2 "
                        "AND sha < ?2 || 'g' ORDER BY sha LIMIT 2",
    [R_COMMIT_RUNS] =
        "SELECT r.run_id, b.name, t.name, r.received_at, r.pull_request, r.baseline_sha, "
        "(SELECT count(*) FROM results x WHERE x.run_id = r.id), r.verdict "
        "FROM runs r JOIN branches b ON b.id = r.branch_id JOIN testbeds t ON t.id = r.testbed_id "
        "WHERE r.commit_id = ?1 ORDER BY r.id",
    [R_RUN_VERDICT_STATE] = "SELECT " BG_STORE_VERDICT_STATE("runs") ", n_regressed, n_inconclusive, n_improved, "
                            "n_missing, n_new, n_unchanged, n_ignored FROM runs WHERE id = ?1",
};

static const struct bg_store_module reads_sql = {"reads", sql_text, R_COUNT, NULL, NULL};

static sqlite3_stmt *stmt(struct bg_store *s, enum rid id) {
  return bg_store_stmt(s, &reads_sql, (size_t)id);
}

/* ---- JSON of columns ---- */

/* Appends a column that holds JSON text verbatim, or null. */
static void json_raw_col(struct bg_buf *out, sqlite3_stmt *st, int i) {
  const char *t = bg_store_col_text(st, i);
  bg_buf_puts(out, t && *t ? t : "null");
}

/* Appends an integer column, or null. */
static void json_int_or_null(struct bg_buf *out, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_json_int(out, sqlite3_column_int64(st, i));
}

/* Appends a number, or null when `have` is 0. */
static void json_num_if(struct bg_buf *out, int have, double v) {
  if (have)
    bg_json_num(out, v);
  else
    bg_buf_puts(out, "null");
}

/* Appends the members "sha","message","author","timestamp","time" of a commit from columns
 * col..col+4 (sha, message, author, timestamp, epoch). */
static void commit_head_json(struct bg_buf *out, sqlite3_stmt *st, int col) {
  bg_buf_puts(out, "\"sha\":");
  bg_json_str(out, bg_store_col_text(st, col));
  bg_buf_puts(out, ",\"message\":");
  bg_json_str(out, bg_store_col_text(st, col + 1));
  bg_buf_puts(out, ",\"author\":");
  bg_json_str(out, bg_store_col_text(st, col + 2));
  bg_buf_puts(out, ",\"timestamp\":");
  bg_json_str(out, bg_store_col_text(st, col + 3));
  bg_buf_puts(out, ",\"time\":");
  bg_json_int(out, sqlite3_column_int64(st, col + 4));
}

/* ---- runs ---- */

static void samples_json(struct bg_buf *out, sqlite3_stmt *st, int col) {
  const unsigned char *b = sqlite3_column_blob(st, col);
  size_t n = (size_t)sqlite3_column_bytes(st, col) / 8;
  bg_buf_puts(out, "[");
  for (size_t i = 0; i < n; i++) {
    if (i)
      bg_buf_puts(out, ",");
    bg_json_num(out, bg_store_sample(b, i));
  }
  bg_buf_puts(out, "]");
}

/* The smallest and largest value of the sample BLOB in column `col` (results keep no min/max
 * columns), -0 as 0 as a REAL column gave it. Returns 0 when there are no samples, else 1. */
static int samples_extremes(sqlite3_stmt *st, int col, double *lo, double *hi) {
  const unsigned char *b = sqlite3_column_blob(st, col);
  size_t n = (size_t)sqlite3_column_bytes(st, col) / 8;
  if (!b || !n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    double v = bg_store_sample(b, i);
    if (!i || v < *lo)
      *lo = v;
    if (!i || v >= *hi)
      *hi = v;
  }
  *lo += 0.0; /* -0 + 0 is +0 */
  *hi += 0.0;
  return 1;
}

/* Appends the JSON array of commit `commit`'s parent shas. */
static int parents_json(struct bg_store *s, long long commit, struct bg_buf *out) {
  struct bg_buf shas;
  size_t n = 0;
  bg_buf_init(&shas, 0);
  int rc = bg_store_commit_parents(s, commit, &shas, &n);
  bg_buf_puts(out, "[");
  for (size_t i = 0, at = 0; i < n; i++) {
    if (i)
      bg_buf_puts(out, ",");
    bg_json_str(out, shas.data + at);
    at += strlen(shas.data + at) + 1;
  }
  bg_buf_puts(out, "]");
  bg_buf_free(&shas);
  return rc;
}

/* Appends one row of R_RUN_RESULTS as a result object (a bg_store_row_json_fn). */
static void result_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  (void)ctx;
  bg_buf_puts(out, "{\"benchmark\":");
  bg_json_str(out, bg_store_col_text(st, 0));
  bg_buf_puts(out, ",\"measure\":");
  bg_json_str(out, bg_store_col_text(st, 1));
  bg_buf_puts(out, ",\"unit\":");
  bg_json_str(out, bg_store_col_text(st, 2));
  bg_buf_puts(out, ",\"direction\":");
  bg_json_str(out, bg_store_col_text(st, 3));
  bg_buf_puts(out, ",\"n\":");
  bg_json_int(out, sqlite3_column_int64(st, 4));
  bg_buf_puts(out, ",\"mean\":");
  bg_json_num(out, sqlite3_column_double(st, 5));
  bg_buf_puts(out, ",\"stddev\":");
  bg_json_num(out, sqlite3_column_double(st, 6));
  double lo = 0, hi = 0;
  int have = samples_extremes(st, 8, &lo, &hi);
  bg_buf_puts(out, ",\"min\":");
  json_num_if(out, have, lo);
  bg_buf_puts(out, ",\"median\":");
  bg_store_json_num_or_null(out, st, 7);
  bg_buf_puts(out, ",\"max\":");
  json_num_if(out, have, hi);
  if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
    bg_buf_puts(out, ",\"samples\":");
    samples_json(out, st, 8);
  }
  bg_buf_puts(out, "}");
}

static int results_json(struct bg_store *s, long long rid, struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, R_RUN_RESULTS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  bg_buf_puts(out, "[");
  int rc = bg_store_json_rows(s, st, result_json, NULL, out, NULL, "results");
  bg_buf_puts(out, "]");
  return rc;
}

/* Appends the members after "parents" of the run in R_RUN_GET's row: testbed, baseline and
 * the run's own metadata, up to its verdict. */
static void run_rest_json(struct bg_buf *out, sqlite3_stmt *st) {
  bg_buf_puts(out, "},\"testbed\":{\"name\":");
  bg_json_str(out, bg_store_col_text(st, 8));
  bg_buf_puts(out, ",\"fingerprint\":");
  json_raw_col(out, st, 9);
  bg_buf_puts(out, "},\"baseline\":{\"branch\":");
  bg_json_str(out, bg_store_col_text(st, 10));
  bg_buf_puts(out, ",\"sha\":");
  bg_json_str(out, bg_store_col_text(st, 11));
  bg_buf_puts(out, "},\"pull_request\":");
  json_int_or_null(out, st, 12);
  bg_buf_puts(out, ",\"job_id\":");
  json_int_or_null(out, st, 13);
  bg_buf_puts(out, ",\"confirms\":");
  bg_json_str(out, bg_store_col_text(st, 22));
  bg_buf_puts(out, sqlite3_column_int(st, 23) ? ",\"confirmable\":true" : ",\"confirmable\":false");
  bg_buf_puts(out, ",\"agent\":{\"name\":");
  bg_json_str(out, bg_store_col_text(st, 14));
  bg_buf_puts(out, ",\"version\":");
  bg_json_str(out, bg_store_col_text(st, 15));
  bg_buf_puts(out, "},\"started_at\":");
  bg_json_str(out, bg_store_col_text(st, 16));
  bg_buf_puts(out, ",\"finished_at\":");
  bg_json_str(out, bg_store_col_text(st, 17));
  bg_buf_puts(out, ",\"received_at\":");
  bg_json_int(out, sqlite3_column_int64(st, 18));
  bg_buf_puts(out, ",\"thresholds\":");
  json_raw_col(out, st, 19);
  bg_buf_puts(out, ",\"warnings\":");
  const char *w = bg_store_col_text(st, 20);
  bg_buf_puts(out, w ? w : "[]");
  bg_buf_puts(out, ",\"verdict\":");
  json_raw_col(out, st, 21);
}

int bg_reads_run_json(struct bg_store *s, const struct bg_project *p, const char *run_id,
                      struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, R_RUN_GET);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_text(st, 2, run_id);
  int step = sqlite3_step(st);
  if (step != SQLITE_ROW) {
    rc = step == SQLITE_DONE ? BG_ENOENT : bg_store_fail(s, "run");
    bg_store_done(st);
    return rc;
  }
  long long rid = sqlite3_column_int64(st, 0), cid = sqlite3_column_int64(st, 2);
  bg_buf_puts(out, "{\"run_id\":");
  bg_json_str(out, bg_store_col_text(st, 1));
  bg_buf_puts(out, ",\"commit\":{\"sha\":");
  bg_json_str(out, bg_store_col_text(st, 3));
  bg_buf_puts(out, ",\"branch\":");
  bg_json_str(out, bg_store_col_text(st, 4));
  bg_buf_puts(out, ",\"message\":");
  bg_json_str(out, bg_store_col_text(st, 5));
  bg_buf_puts(out, ",\"author\":");
  bg_json_str(out, bg_store_col_text(st, 6));
  bg_buf_puts(out, ",\"timestamp\":");
  bg_json_str(out, bg_store_col_text(st, 7));
  bg_buf_puts(out, ",\"parents\":");
  /* The parents statement is another one, so this row stays readable meanwhile. */
  if ((rc = parents_json(s, cid, out)) == BG_OK) {
    run_rest_json(out, st);
    bg_buf_puts(out, ",\"results\":");
    if ((rc = results_json(s, rid, out)) == BG_OK)
      bg_buf_puts(out, "}");
  }
  bg_store_done(st);
  return rc;
}

/* ---- history ---- */

/* Count and latest run id of a commit's runs matching the filters (0: none). */
static int commit_stats(struct bg_store *s, long long cid, long long br, long long tb,
                        long long *runs, long long *latest) {
  sqlite3_stmt *st = stmt(s, R_COMMIT_STATS);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  bg_store_bind_id(st, 2, br);
  bg_store_bind_id(st, 3, tb);
  if (sqlite3_step(st) == SQLITE_ROW) {
    *runs = sqlite3_column_int64(st, 0);
    *latest = sqlite3_column_int64(st, 1);
  } else {
    rc = bg_store_fail(s, "commit stats");
  }
  bg_store_done(st);
  return rc;
}

/* Appends the state and counts of run `rid`'s verdict, or null when it has none. */
static int verdict_state_json(struct bg_store *s, long long rid, struct bg_buf *out) {
  static const char *const names[] = {
      "{\"regressed\":", ",\"inconclusive\":", ",\"improved\":", ",\"missing\":",
      ",\"new\":",       ",\"unchanged\":",    ",\"ignored\":"};
  sqlite3_stmt *st = stmt(s, R_RUN_VERDICT_STATE);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
    bg_buf_puts(out, "{\"state\":");
    bg_json_str(out, bg_store_col_text(st, 0));
    bg_buf_puts(out, ",\"counts\":");
    for (int k = 0; k < 7; k++) {
      bg_buf_puts(out, names[k]);
      bg_json_int(out, sqlite3_column_int64(st, 1 + k));
    }
    bg_buf_puts(out, "}}");
  } else if (step == SQLITE_ROW || step == SQLITE_DONE) {
    bg_buf_puts(out, "null");
  } else {
    rc = bg_store_fail(s, "verdict state");
  }
  bg_store_done(st);
  return rc;
}

/* Appends one commit of the history with the verdict of its latest matching run `latest`;
 * its sha also goes to `last` (the page cursor). */
static int commit_summary_json(struct bg_store *s, long long cid, long long runs, long long latest,
                               struct bg_buf *out, struct bg_buf *last) {
  sqlite3_stmt *st = stmt(s, R_COMMIT_BY_ID);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  if (sqlite3_step(st) == SQLITE_ROW) {
    bg_buf_puts(out, "{");
    commit_head_json(out, st, 0);
    bg_buf_puts(out, ",\"runs\":");
    bg_json_int(out, runs);
    bg_buf_puts(out, ",\"verdict\":");
    bg_buf_reset(last);
    bg_buf_puts(last, bg_store_col_text(st, 0));
    bg_store_done(st);
    st = NULL;
    if ((rc = verdict_state_json(s, latest, out)) == BG_OK)
      bg_buf_puts(out, "}");
  } else {
    rc = bg_store_fail(s, "commit");
  }
  bg_store_done(st);
  return rc;
}

/* The history's filters: the ids of q's branch and testbed (0 when not given). BG_ENOENT
 * naming the one the project does not have. */
static int history_filters(struct bg_store *s, const struct bg_project *p,
                           const struct bg_history_query *q, long long *br, long long *tb,
                           struct bg_ferr *e) {
  char name[80];
  int rc = BG_OK;
  *br = *tb = 0;
  if (q->branch && (rc = bg_store_branch_id(s, p->id, q->branch, br)) == BG_OK && !*br)
    rc = bg_store_no_such(e, "branch");
  if (rc == BG_OK && q->testbed)
    rc = bg_store_testbed_find(s, p->id, q->testbed, 1, tb, name, sizeof name, e);
  return rc;
}

/* The page cursor: the commit time and latest matching run of commit `before`. BG_EINVAL
 * naming "before" when it is not a commit of this history. */
static int history_cursor(struct bg_store *s, const struct bg_project *p, long long br,
                          long long tb, const char *before, long long *epoch, long long *run,
                          struct bg_ferr *e) {
  sqlite3_stmt *st = stmt(s, R_HISTORY_CURSOR);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_id(st, 2, br);
  bg_store_bind_id(st, 3, tb);
  bg_store_bind_text(st, 4, before);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    *epoch = sqlite3_column_int64(st, 0);
    *run = sqlite3_column_int64(st, 1);
  } else if (step == SQLITE_DONE) {
    rc = bg_ferr_set(e, "before", "not a commit of this history");
  } else {
    rc = bg_store_fail(s, "history cursor");
  }
  bg_store_done(st);
  return rc;
}

int bg_reads_commits_json(struct bg_store *s, const struct bg_project *p,
                          const struct bg_history_query *q, struct bg_buf *out, struct bg_ferr *e) {
  long long br, tb, cur_epoch = LLONG_MAX, cur_run = LLONG_MAX;
  int rc, step = SQLITE_DONE, n = 0;
  if ((rc = history_filters(s, p, q, &br, &tb, e)) ||
      (q->before && (rc = history_cursor(s, p, br, tb, q->before, &cur_epoch, &cur_run, e))))
    return rc;
  enum rid walk = br && tb ? R_WALK_BOTH : br ? R_WALK_BRANCH : tb ? R_WALK_TESTBED : R_WALK_ALL;
  sqlite3_stmt *st = stmt(s, walk);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  if (br)
    sqlite3_bind_int64(st, 2, br);
  if (tb)
    sqlite3_bind_int64(st, 3, tb);
  sqlite3_bind_int64(st, 4, cur_epoch);
  sqlite3_bind_int64(st, 5, cur_run);
  struct bg_table seen = {0}; /* the commits met: their ids */
  struct bg_buf last;
  bg_buf_init(&last, 0);
  bg_buf_puts(out, "{\"commits\":[");
  while (n < q->limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
    long long cid = sqlite3_column_int64(st, 0), epoch = sqlite3_column_int64(st, 1);
    size_t k;
    if (bg_table_get(&seen, (uint64_t)cid, &k))
      continue;
    bg_table_add(&seen, (uint64_t)cid, 0);
    long long runs = 0, latest = 0;
    if ((rc = commit_stats(s, cid, br, tb, &runs, &latest)))
      break;
    /* A commit at the cursor's time whose latest run is newer was on an earlier page. */
    if (q->before && epoch == cur_epoch && latest >= cur_run)
      continue;
    bg_buf_puts(out, n++ ? "," : "");
    if ((rc = commit_summary_json(s, cid, runs, latest, out, &last)))
      break;
  }
  if (rc == BG_OK && n < q->limit && step != SQLITE_DONE)
    rc = bg_store_fail(s, "history");
  bg_store_done(st);
  bg_buf_puts(out, "],\"next\":");
  bg_json_str(out, n == q->limit && last.data ? last.data : NULL);
  bg_buf_puts(out, "}");
  bg_buf_free(&last);
  bg_table_free(&seen);
  return rc;
}

/* ---- one commit ---- */

/* Appends one row of R_COMMIT_RUNS as a run object (a bg_store_row_json_fn). */
static void commit_run_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  (void)ctx;
  bg_buf_puts(out, "{\"run_id\":");
  bg_json_str(out, bg_store_col_text(st, 0));
  bg_buf_puts(out, ",\"branch\":");
  bg_json_str(out, bg_store_col_text(st, 1));
  bg_buf_puts(out, ",\"testbed\":");
  bg_json_str(out, bg_store_col_text(st, 2));
  bg_buf_puts(out, ",\"received_at\":");
  bg_json_int(out, sqlite3_column_int64(st, 3));
  bg_buf_puts(out, ",\"pull_request\":");
  json_int_or_null(out, st, 4);
  bg_buf_puts(out, ",\"baseline_sha\":");
  bg_json_str(out, bg_store_col_text(st, 5));
  bg_buf_puts(out, ",\"results\":");
  bg_json_int(out, sqlite3_column_int64(st, 6));
  bg_buf_puts(out, ",\"verdict\":");
  json_raw_col(out, st, 7);
  bg_buf_puts(out, "}");
}

int bg_reads_commit_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                         struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, R_COMMIT_GET);
  int rc = BG_OK, step;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_text(st, 2, sha);
  step = sqlite3_step(st);
  if (step != SQLITE_ROW) {
    rc = step == SQLITE_DONE ? BG_ENOENT : bg_store_fail(s, "commit");
    bg_store_done(st);
    return rc;
  }
  long long cid = sqlite3_column_int64(st, 0);
  bg_buf_puts(out, "\"commit\":{");
  commit_head_json(out, st, 1);
  bg_buf_puts(out, ",\"parents\":");
  bg_store_done(st);
  if ((rc = parents_json(s, cid, out)))
    return rc;
  bg_buf_puts(out, "},\"runs\":[");
  if (!(st = stmt(s, R_COMMIT_RUNS)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  rc = bg_store_json_rows(s, st, commit_run_json, NULL, out, NULL, "commit runs");
  bg_buf_puts(out, "]");
  return rc;
}

int bg_reads_commit_resolve(struct bg_store *s, long long project_id, const char *prefix, char *sha,
                            size_t shalen, char *other, size_t otherlen) {
  sqlite3_stmt *st = stmt(s, R_COMMIT_PREFIX);
  int rc = BG_OK, step, rows = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bg_store_bind_text(st, 2, prefix);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *v = bg_store_col_text(st, 0);
    /* Sorted by sha, an exact match comes first: a full sha that is also the prefix of a
     * longer one (SHA-1 and SHA-256 repositories) names itself. */
    if (rows++ == 0) {
      bg_store_copy_text(sha, shalen, v);
      if (!strcmp(v, prefix))
        break;
    } else {
      bg_store_copy_text(other, otherlen, v);
      rc = BG_ECONFLICT;
    }
  }
  if (step != SQLITE_DONE && step != SQLITE_ROW)
    rc = bg_store_fail(s, "commit prefix");
  else if (rows == 0)
    rc = BG_ENOENT;
  bg_store_done(st);
  return rc;
}
