/* alerts.c: the SQLite storage of alerts, acknowledgements and series baseline starts.
 *
 * Every list of alerts reads the same columns (ALERT_SELECT) and renders a row with
 * alert_json, so the API's list, an acknowledgement's answer and a series' alerts give one
 * object. A series' alerts and "was this change point alerted already?" read the index
 * alerts_by_series; the project's list reads alerts_by_state.
 */
#include "alerts.h"

#include "store_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The columns of an alert row, in the order alert_json reads them, with the joins they need;
 * the statements append their WHERE clause. */
#define ALERT_SELECT                                                                               \
  "SELECT a.id, a.kind, a.state, b.name, m.slug, t.name, c.sha, r.run_id, a.first_sha, "           \
  "a.last_sha, a.change, a.change_lo, a.change_hi, a.created_at, a.note, "                         \
  "a.acknowledged_by, a.acknowledged_at FROM alerts a "                                            \
  "JOIN benchmarks b ON b.id = a.benchmark_id JOIN measures m ON m.id = a.measure_id "             \
  "JOIN testbeds t ON t.id = a.testbed_id LEFT JOIN commits c ON c.id = a.commit_id "              \
  "LEFT JOIN runs r ON r.id = a.run_id "

enum aid {
  A_LIST,
  A_SERIES,
  A_GET,
  A_CP_SEEN,
  A_COMMIT_RUNS,
  A_OPEN_REGRESSION,
  A_OPEN_CHANGEPOINT,
  A_ACKNOWLEDGE,
  A_ACK_INSERT,
  A_COMMIT_EPOCH,
  A_SERIES_START,
  A_COUNT
};

static const char *const sql_text[A_COUNT] = {
    [A_LIST] = ALERT_SELECT "WHERE a.project_id = ?1 AND (?2 IS NULL OR a.state = ?2) "
                            "AND (?3 = 0 OR a.id = ?3) ORDER BY a.id DESC LIMIT 1000",
    [A_SERIES] = ALERT_SELECT "WHERE a.testbed_id = ?2 AND a.benchmark_id = ?3 "
                              "AND a.measure_id = ?4 AND a.project_id = ?1 "
                              "ORDER BY a.id DESC LIMIT 100",
    [A_GET] = "SELECT kind, state, testbed_id, benchmark_id, measure_id, commit_id "
              "FROM alerts WHERE id = ?1 AND project_id = ?2",
    [A_CP_SEEN] = "SELECT count(*) FROM alerts WHERE testbed_id = ?1 AND benchmark_id = ?2 "
                  "AND measure_id = ?3 AND kind = 'changepoint' "
                  "AND commit_id IN (?4, ?5, ?6, ?7, ?8)",
    [A_COMMIT_RUNS] = "SELECT id FROM runs WHERE commit_id = ?1 AND testbed_id = ?2 ORDER BY id",
    [A_OPEN_REGRESSION] =
        "INSERT OR IGNORE INTO alerts (project_id, kind, state, testbed_id, benchmark_id, "
        "measure_id, commit_id, run_id, change, change_lo, change_hi, created_at) "
        "VALUES (?1, 'regression', 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [A_OPEN_CHANGEPOINT] =
        "INSERT INTO alerts (project_id, kind, state, testbed_id, benchmark_id, measure_id, "
        "commit_id, run_id, first_sha, last_sha, change, created_at) "
        "VALUES (?1, 'changepoint', 'open', ?2, ?3, ?4, ?5, ?6, "
        "(SELECT sha FROM commits WHERE id = ?7), (SELECT sha FROM commits WHERE id = ?5), "
        "?8, ?9)",
    [A_ACKNOWLEDGE] =
        "UPDATE alerts SET state = 'acknowledged', note = ?2, acknowledged_by = ?3, "
        "acknowledged_at = ?4 WHERE id = ?1 OR (project_id = ?9 AND kind = 'regression' "
        "AND state = 'open' AND commit_id = ?5 AND testbed_id = ?6 AND benchmark_id = ?7 "
        "AND measure_id = ?8)",
    [A_ACK_INSERT] = "INSERT INTO acknowledgements (project_id, alert_id, commit_id, testbed_id, "
                     "benchmark_id, measure_id, note, who, created_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [A_COMMIT_EPOCH] = "SELECT epoch FROM commits WHERE id = ?1",
    [A_SERIES_START] =
        "INSERT INTO series_baseline (project_id, testbed_id, benchmark_id, measure_id, "
        "baseline_start, start_commit_id, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (project_id, testbed_id, benchmark_id, measure_id) DO UPDATE SET "
        "baseline_start = excluded.baseline_start, start_commit_id = excluded.start_commit_id, "
        "reason = excluded.reason WHERE excluded.baseline_start >= series_baseline.baseline_start",
};

static const struct bg_store_module alerts_sql = {"alerts", sql_text, A_COUNT, NULL, NULL};

static sqlite3_stmt *stmt(struct bg_store *s, enum aid id) {
  return bg_store_stmt(s, &alerts_sql, (size_t)id);
}

/* Binds the series of k to ?first .. ?first+2 (testbed, benchmark, measure). */
static void bind_series(sqlite3_stmt *st, int first, const struct bg_alert_key *k) {
  sqlite3_bind_int64(st, first, k->testbed);
  sqlite3_bind_int64(st, first + 1, k->benchmark);
  sqlite3_bind_int64(st, first + 2, k->measure);
}

/* Appends the alert in the current row of `st` (a statement that selects ALERT_SELECT) as one
 * JSON object (a bg_store_row_json_fn). */
static void alert_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  (void)ctx;
  bg_buf_puts(out, "{\"id\":");
  bg_json_int(out, sqlite3_column_int64(st, 0));
  bg_buf_puts(out, ",\"kind\":");
  bg_json_str(out, bg_store_col_text(st, 1));
  bg_buf_puts(out, ",\"state\":");
  bg_json_str(out, bg_store_col_text(st, 2));
  bg_buf_puts(out, ",\"benchmark\":");
  bg_json_str(out, bg_store_col_text(st, 3));
  bg_buf_puts(out, ",\"measure\":");
  bg_json_str(out, bg_store_col_text(st, 4));
  bg_buf_puts(out, ",\"testbed\":");
  bg_json_str(out, bg_store_col_text(st, 5));
  bg_buf_puts(out, ",\"commit\":");
  bg_json_str(out, bg_store_col_text(st, 6));
  bg_buf_puts(out, ",\"run_id\":");
  bg_json_str(out, bg_store_col_text(st, 7));
  bg_buf_puts(out, ",\"first\":");
  bg_json_str(out, bg_store_col_text(st, 8));
  bg_buf_puts(out, ",\"last\":");
  bg_json_str(out, bg_store_col_text(st, 9));
  bg_buf_puts(out, ",\"change\":");
  bg_store_json_num_or_null(out, st, 10);
  bg_buf_puts(out, ",\"change_ci\":[");
  bg_store_json_num_or_null(out, st, 11);
  bg_buf_puts(out, ",");
  bg_store_json_num_or_null(out, st, 12);
  bg_buf_puts(out, "],\"created_at\":");
  bg_json_int(out, sqlite3_column_int64(st, 13));
  bg_buf_puts(out, ",\"note\":");
  bg_json_str(out, bg_store_col_text(st, 14));
  bg_buf_puts(out, ",\"acknowledged_by\":");
  bg_json_str(out, bg_store_col_text(st, 15));
  bg_buf_puts(out, ",\"acknowledged_at\":");
  if (sqlite3_column_type(st, 16) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_json_int(out, sqlite3_column_int64(st, 16));
  bg_buf_puts(out, "}");
}

/* Appends the alerts of project p matching (state, id) as JSON objects separated by commas;
 * *count gets how many. */
static int list_rows(struct bg_store *s, const struct bg_project *p, const char *state,
                     long long id, struct bg_buf *out, int *count) {
  sqlite3_stmt *st = stmt(s, A_LIST);
  if (count)
    *count = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  if (state)
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, id);
  return bg_store_json_rows(s, st, alert_json, NULL, out, count, "alerts");
}

int bg_alerts_json(struct bg_store *s, const struct bg_project *p, const char *state,
                   struct bg_buf *out) {
  bg_buf_puts(out, "{\"alerts\":[");
  int rc = list_rows(s, p, state, 0, out, NULL);
  bg_buf_puts(out, "]}");
  return rc;
}

int bg_alerts_alert_json(struct bg_store *s, const struct bg_project *p, long long id,
                         struct bg_buf *out) {
  int n = 0;
  int rc = list_rows(s, p, NULL, id, out, &n);
  if (!n)
    bg_buf_puts(out, "null");
  return rc;
}

int bg_alerts_series_json(struct bg_store *s, long long project_id, long long testbed_id,
                          long long benchmark_id, long long measure_id, struct bg_buf *out) {
  const struct bg_alert_key k = {project_id, testbed_id, benchmark_id, measure_id, 0};
  bg_buf_puts(out, "[");
  sqlite3_stmt *st = stmt(s, A_SERIES);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bind_series(st, 2, &k);
  int rc = bg_store_json_rows(s, st, alert_json, NULL, out, NULL, "series alerts");
  bg_buf_puts(out, "]");
  return rc;
}

int bg_alerts_get(struct bg_store *s, long long project_id, long long id, struct bg_alert *a) {
  sqlite3_stmt *st = stmt(s, A_GET);
  int rc = BG_OK;
  memset(a, 0, sizeof *a);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, project_id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    a->regression = !strcmp(bg_store_col_text(st, 0), "regression");
    a->open = !strcmp(bg_store_col_text(st, 1), "open");
    a->key.project = project_id;
    a->key.testbed = sqlite3_column_int64(st, 2);
    a->key.benchmark = sqlite3_column_int64(st, 3);
    a->key.measure = sqlite3_column_int64(st, 4);
    a->key.commit = sqlite3_column_int64(st, 5);
  } else {
    rc = step == SQLITE_DONE ? BG_ENOENT : bg_store_fail(s, "alert");
  }
  bg_store_done(st);
  return rc;
}

int bg_alerts_changepoint_seen(struct bg_store *s, const struct bg_alert_key *k,
                               const long long commits[5], int *seen) {
  sqlite3_stmt *st = stmt(s, A_CP_SEEN);
  int rc = BG_OK;
  *seen = 0;
  if (!st)
    return BG_EDB;
  bind_series(st, 1, k);
  for (int i = 0; i < 5; i++)
    sqlite3_bind_int64(st, 4 + i, commits[i]);
  if (sqlite3_step(st) == SQLITE_ROW)
    *seen = sqlite3_column_int64(st, 0) > 0;
  else
    rc = bg_store_fail(s, "alerted");
  bg_store_done(st);
  return rc;
}

int bg_alerts_commit_runs(struct bg_store *s, long long commit_id, long long testbed_id,
                          long long **ids, size_t *n) {
  sqlite3_stmt *st = stmt(s, A_COMMIT_RUNS);
  *ids = NULL;
  *n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, commit_id);
  sqlite3_bind_int64(st, 2, testbed_id);
  return bg_store_id_rows(s, st, ids, n, "runs of commit");
}

int bg_alerts_open_regression(struct bg_store *s, const struct bg_alert_key *k, long long rid,
                              double change, double change_lo, double change_hi, long long now) {
  sqlite3_stmt *st = stmt(s, A_OPEN_REGRESSION);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, k->project);
  bind_series(st, 2, k);
  sqlite3_bind_int64(st, 5, k->commit);
  sqlite3_bind_int64(st, 6, rid);
  const double ch[3] = {change, change_lo, change_hi};
  for (int i = 0; i < 3; i++)
    if (isfinite(ch[i]))
      sqlite3_bind_double(st, 7 + i, ch[i]);
  sqlite3_bind_int64(st, 10, now);
  return bg_store_step_done(s, st, "open alert");
}

int bg_alerts_open_changepoint(struct bg_store *s, const struct bg_alert_key *k, long long rid,
                               long long prev_commit, double change, long long now) {
  sqlite3_stmt *st = stmt(s, A_OPEN_CHANGEPOINT);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, k->project);
  bind_series(st, 2, k);
  sqlite3_bind_int64(st, 5, k->commit);
  if (rid)
    sqlite3_bind_int64(st, 6, rid);
  sqlite3_bind_int64(st, 7, prev_commit);
  sqlite3_bind_double(st, 8, change);
  sqlite3_bind_int64(st, 9, now);
  return bg_store_step_done(s, st, "changepoint alert");
}

int bg_alerts_acknowledge(struct bg_store *s, long long id, const struct bg_alert *a,
                          const char *note, const char *who, long long now) {
  sqlite3_stmt *st = stmt(s, A_ACKNOWLEDGE);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, note, -1, SQLITE_STATIC);
  if (who)
    sqlite3_bind_text(st, 3, who, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, now);
  /* Commit -1 matches no alert: a changepoint alert is acknowledged alone. */
  sqlite3_bind_int64(st, 5, a->regression ? a->key.commit : -1);
  bind_series(st, 6, &a->key);
  sqlite3_bind_int64(st, 9, a->key.project);
  return bg_store_step_done(s, st, "acknowledge");
}

int bg_alerts_record_ack(struct bg_store *s, long long id, const struct bg_alert *a,
                         const char *note, const char *who, long long now) {
  sqlite3_stmt *st = stmt(s, A_ACK_INSERT);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, a->key.project);
  sqlite3_bind_int64(st, 2, id);
  sqlite3_bind_int64(st, 3, a->key.commit);
  bind_series(st, 4, &a->key);
  sqlite3_bind_text(st, 7, note, -1, SQLITE_STATIC);
  if (who)
    sqlite3_bind_text(st, 8, who, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 9, now);
  return bg_store_step_done(s, st, "acknowledgement");
}

int bg_alerts_series_start(struct bg_store *s, long long project_id, long long testbed_id,
                           long long benchmark_id, long long measure_id, long long commit_id,
                           const char *reason) {
  const struct bg_alert_key k = {project_id, testbed_id, benchmark_id, measure_id, commit_id};
  long long epoch = 0;
  int rc = BG_OK;
  if (strcmp(reason, "acknowledged") && strcmp(reason, "changepoint"))
    return BG_EINVAL;
  sqlite3_stmt *st = stmt(s, A_COMMIT_EPOCH);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, commit_id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    epoch = sqlite3_column_int64(st, 0);
  else
    rc = step == SQLITE_DONE ? BG_ENOENT : bg_store_fail(s, "commit epoch");
  bg_store_done(st);
  if (rc)
    return rc;
  if (!(st = stmt(s, A_SERIES_START)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bind_series(st, 2, &k);
  sqlite3_bind_int64(st, 5, epoch);
  sqlite3_bind_int64(st, 6, commit_id);
  sqlite3_bind_text(st, 7, reason, -1, SQLITE_STATIC);
  return bg_store_step_done(s, st, "series baseline");
}
