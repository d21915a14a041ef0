/* store_runs.c: the run rows: storing an uploaded run and finding it again.
 *
 * Inserting a run finds or creates its testbed, branch and commit, then writes the run's row
 * and one row per result with its samples as a BLOB of little-endian doubles. The ids of
 * benchmarks and measures are cached per connection, so an upload of 1 000 results does not
 * look 2 000 names up; the cache starts over when a write transaction rolls back, as it may
 * hold ids of rows that were never committed. The summaries each result row holds (and the
 * content hash) are computed outside the write lock, by bg_store_runs_prepare.
 */
#include "store_runs.h"

#include "db_sql.h"
#include "gate.h"
#include "mem.h"
#include "stats.h"
#include "store_private.h"
#include "table.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every statement this module runs; prepared on first use, kept until close. */
enum sid {
  S_RUN_FIND,
  S_TESTBED_INSERT,
  S_TESTBED_FP,
  S_BRANCH_INSERT,
  S_COMMIT_INSERT,
  S_COMMIT_FILL,
  S_PARENT_INSERT,
  S_RUN_INSERT,
  S_BENCH_FIND,
  S_BENCH_INSERT,
  S_MEASURE_INSERT,
  S_RESULT_INSERT,
  S_RUNS_PENDING,
  S_SNAPSHOT,
  S_CONFIRMED,
  S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_RUN_FIND] = "SELECT content_hash, id FROM runs WHERE project_id = ?1 AND run_id = ?2",
    [S_CONFIRMED] = "SELECT r.id, r.confirms_id, c.sha, t.name FROM runs r "
                    "JOIN commits c ON c.id = r.commit_id JOIN testbeds t ON t.id = r.testbed_id "
                    "WHERE r.project_id = ?1 AND r.run_id = ?2",
    [S_TESTBED_INSERT] = "INSERT INTO testbeds (project_id, name, fingerprint) VALUES (?1, ?2, ?3)",
    [S_TESTBED_FP] = "UPDATE testbeds SET fingerprint = ?2 WHERE id = ?1",
    [S_BRANCH_INSERT] = "INSERT INTO branches (project_id, name) VALUES (?1, ?2)",
    [S_COMMIT_INSERT] = "INSERT INTO commits (project_id, sha, message, author, timestamp, epoch) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_COMMIT_FILL] =
        "UPDATE commits SET message = coalesce(message, ?2), "
        "author = coalesce(author, ?3), timestamp = coalesce(timestamp, ?4) "
        "WHERE id = ?1 AND ((message IS NULL AND ?2 IS NOT NULL) OR "
        "(author IS NULL AND ?3 IS NOT NULL) OR (timestamp IS NULL AND ?4 IS NOT NULL))",
    [S_PARENT_INSERT] = "INSERT OR IGNORE INTO commit_parents (commit_id, position, parent_sha) "
                        "VALUES (?1, ?2, ?3)",
    [S_RUN_INSERT] =
        "INSERT INTO runs (project_id, run_id, commit_id, branch_id, testbed_id, commit_epoch, "
        "baseline_branch, baseline_sha, pull_request, job_id, agent_name, agent_version, "
        "started_at, finished_at, received_at, content_hash, thresholds, warnings, fingerprint, "
        "gate_input, confirms_id, confirmable) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, '" BG_VERDICT_PENDING "', ?20, ?21)",
    [S_BENCH_FIND] = "SELECT id FROM benchmarks WHERE project_id = ?1 AND name = ?2",
    [S_BENCH_INSERT] = "INSERT INTO benchmarks (project_id, name) VALUES (?1, ?2)",
    [S_MEASURE_INSERT] = "INSERT INTO measures (project_id, slug, unit, direction) "
                         "VALUES (?1, ?2, ?3, ?4)",
    [S_RESULT_INSERT] = "INSERT INTO results (run_id, benchmark_id, measure_id, n, mean, stddev, "
                        "median, samples, log_center, log_w, raw_center, raw_w, log_low, "
                        "log_high) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [S_RUNS_PENDING] =
        "SELECT id, project_id FROM runs WHERE gate_input = '" BG_VERDICT_PENDING "' ORDER BY id",
    /* Any read begins a read transaction's snapshot; this one reads one page. */
    [S_SNAPSHOT] = "SELECT 1 FROM projects LIMIT 1",
};

/* Per-connection cache of benchmark and measure ids: entries keyed in a table by (kind,
 * project, name). Only filled from committed rows' ids or those of the open write
 * transaction; cleared on rollback. */
struct id_entry {
  char *name; /* owned */
  long long project_id;
  long long id;
  int kind;
};

struct id_cache {
  struct id_entry *v;
  size_t n, cap;
  struct bg_table by_key; /* id_key(kind, project, name) -> index in v */
};

#define ID_CACHE_MAX (1u << 20) /* entries before the cache starts over */

/* What this module keeps per connection. */
struct conn_state {
  struct id_cache ids;
  struct bg_store *side; /* the connection an upload decides its verdict on; NULL: none yet */
};

static void id_cache_clear(struct id_cache *c);

static void conn_state_free(void *p) {
  struct conn_state *cs = p;
  id_cache_clear(&cs->ids);
  bg_store_close(cs->side);
  free(cs);
}

/* The id cache may hold ids of rows a rolled-back transaction created: it starts over. */
static void conn_rolled_back(void *p) {
  id_cache_clear(&((struct conn_state *)p)->ids);
}

static const struct bg_store_module runs_sql = {"runs", sql_text, S_COUNT, conn_state_free,
                                                conn_rolled_back};

static struct conn_state *state(struct bg_store *s) {
  void **slot = bg_store_state(s, &runs_sql);
  if (!*slot)
    *slot = bg_xcalloc(1, sizeof(struct conn_state));
  return *slot;
}

static int fail(struct bg_store *s, const char *what) {
  return bg_store_fail(s, what);
}

static sqlite3_stmt *stmt(struct bg_store *s, enum sid id) {
  return bg_store_stmt(s, &runs_sql, (size_t)id);
}

static int exec_stmt(struct bg_store *s, sqlite3_stmt *st, const char *what) {
  return bg_store_step_done(s, st, what);
}

/* ---- id cache ---- */

static uint64_t id_key(int kind, long long project_id, const char *name) {
  return bg_table_pair(project_id * 4 + kind, (long long)bg_table_str(name));
}

static void id_cache_clear(struct id_cache *c) {
  for (size_t i = 0; i < c->n; i++)
    free(c->v[i].name);
  free(c->v);
  bg_table_free(&c->by_key);
  memset(c, 0, sizeof *c);
}

/* The entry of (kind, project, name), or NULL. */
static struct id_entry *id_cache_find(struct id_cache *c, uint64_t key, int kind,
                                      long long project_id, const char *name) {
  size_t at = 0, i;
  while (bg_table_next(&c->by_key, key, &at, &i)) {
    struct id_entry *e = &c->v[i];
    if (e->kind == kind && e->project_id == project_id && !strcmp(e->name, name))
      return e;
  }
  return NULL;
}

static long long id_cache_get(struct id_cache *c, int kind, long long project_id,
                              const char *name) {
  struct id_entry *e = id_cache_find(c, id_key(kind, project_id, name), kind, project_id, name);
  return e ? e->id : 0;
}

static void id_cache_put(struct id_cache *c, int kind, long long project_id, const char *name,
                         long long id) {
  uint64_t key = id_key(kind, project_id, name);
  struct id_entry *e = id_cache_find(c, key, kind, project_id, name);
  if (!e) {
    if (c->n >= ID_CACHE_MAX)
      id_cache_clear(c);
    bg_xgrow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v);
    bg_table_add(&c->by_key, key, c->n);
    e = &c->v[c->n++];
    e->name = bg_xstrdup(name);
    e->kind = kind;
    e->project_id = project_id;
  }
  e->id = id;
}

/* ---- inserting a run ---- */

enum { KIND_BENCH = 1, KIND_MEASURE = 2 };

/* Creates a named row with an insert statement of ?1 project, ?2 name and optional ?3/?4
 * extras: *id its id. */
static int insert_named(struct bg_store *s, enum sid insert, long long pid, const char *name,
                        const char *extra3, const char *extra4, long long *id) {
  sqlite3_stmt *st = stmt(s, insert);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  bg_store_bind_text(st, 2, name);
  if (extra3)
    bg_store_bind_text(st, 3, extra3);
  if (extra4)
    bg_store_bind_text(st, 4, extra4);
  if (sqlite3_step(st) != SQLITE_DONE)
    rc = fail(s, "insert");
  else
    *id = sqlite3_last_insert_rowid(bg_store_sqlite(s));
  bg_store_done(st);
  return rc;
}

/* The id of benchmark or measure `name`, created when new (a measure with its unit and
 * direction), through the id cache. */
static int cached_id(struct bg_store *s, int kind, long long pid, const char *name,
                     const char *unit, const char *direction, long long *id) {
  if ((*id = id_cache_get(&state(s)->ids, kind, pid, name)))
    return BG_OK;
  struct bg_store_measure m;
  int rc = kind == KIND_BENCH ? bg_store_lookup_id(s, stmt(s, S_BENCH_FIND), pid, name, id)
                              : bg_store_measure_find(s, pid, name, &m);
  if (rc == BG_OK && kind == KIND_MEASURE)
    *id = m.id;
  if (rc == BG_OK && !*id)
    rc = kind == KIND_BENCH ? insert_named(s, S_BENCH_INSERT, pid, name, NULL, NULL, id)
                            : insert_named(s, S_MEASURE_INSERT, pid, name, unit, direction, id);
  /* The id may belong to a row of this uncommitted transaction; rollback clears the cache. */
  if (rc == BG_OK)
    id_cache_put(&state(s)->ids, kind, pid, name, *id);
  return rc;
}

/* Finds or creates branch `name`. */
static int branch_id(struct bg_store *s, long long pid, const char *name, long long *id) {
  int rc = bg_store_branch_id(s, pid, name, id);
  return rc || *id ? rc : insert_named(s, S_BRANCH_INSERT, pid, name, NULL, NULL, id);
}

/* Finds or creates the run's testbed and keeps its latest fingerprint; *changed is set when
 * a known fingerprint differs from the new one. */
static int testbed_id(struct bg_store *s, long long pid, const struct bg_run *run, const char *fp,
                      long long *id, int *changed) {
  char *old = NULL;
  int rc = bg_store_testbed_id(s, pid, run->testbed, id, &old);
  int update = fp && (!old || strcmp(old, fp) != 0);
  /* The load average changes with every run: only the machine's own description counts. */
  *changed = update && old && bg_run_fingerprints_differ(old, fp);
  free(old);
  if (rc || (*id && !update))
    return rc;
  sqlite3_stmt *st;
  if (*id) {
    if (!(st = stmt(s, S_TESTBED_FP)))
      return BG_EDB;
    sqlite3_bind_int64(st, 1, *id);
    bg_store_bind_text(st, 2, fp);
    return exec_stmt(s, st, "testbed fingerprint");
  }
  if (!(st = stmt(s, S_TESTBED_INSERT)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  bg_store_bind_text(st, 2, run->testbed);
  bg_store_bind_text(st, 3, fp);
  if ((rc = exec_stmt(s, st, "insert testbed")) == BG_OK)
    *id = sqlite3_last_insert_rowid(bg_store_sqlite(s));
  return rc;
}

static int commit_id(struct bg_store *s, long long pid, const struct bg_run *run, long long now,
                     long long *id, long long *epoch) {
  sqlite3_stmt *st;
  int rc = bg_store_commit_find(s, pid, run->commit.sha, id, epoch);
  if (rc)
    return rc;
  if (*id) {
    /* A later run may know what the first one left out; the commit's time stays as first
     * stored so that runs already ordered by it keep their place. */
    if (!run->commit.message && !run->commit.author && !run->commit.timestamp)
      return BG_OK;
    if (!(st = stmt(s, S_COMMIT_FILL)))
      return BG_EDB;
    sqlite3_bind_int64(st, 1, *id);
    bg_store_bind_text(st, 2, run->commit.message);
    bg_store_bind_text(st, 3, run->commit.author);
    bg_store_bind_text(st, 4, run->commit.timestamp);
    return exec_stmt(s, st, "complete commit");
  }
  long long t;
  *epoch = run->commit.timestamp && bg_valid_timestamp(run->commit.timestamp, &t) ? t : now;
  if (!(st = stmt(s, S_COMMIT_INSERT)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  bg_store_bind_text(st, 2, run->commit.sha);
  bg_store_bind_text(st, 3, run->commit.message);
  bg_store_bind_text(st, 4, run->commit.author);
  bg_store_bind_text(st, 5, run->commit.timestamp);
  sqlite3_bind_int64(st, 6, *epoch);
  if ((rc = exec_stmt(s, st, "insert commit")))
    return rc;
  *id = sqlite3_last_insert_rowid(bg_store_sqlite(s));
  for (size_t i = 0; i < run->commit.nparents; i++) {
    if (!(st = stmt(s, S_PARENT_INSERT)))
      return BG_EDB;
    sqlite3_bind_int64(st, 1, *id);
    sqlite3_bind_int64(st, 2, (long long)i);
    bg_store_bind_text(st, 3, run->commit.parents[i]);
    if ((rc = exec_stmt(s, st, "insert parent")))
      return rc;
  }
  return BG_OK;
}

/* The summary columns of one result; `tmp` is scratch space of at least r->nsamples doubles. */
static void summarise(const struct bg_result *r, double *tmp, double out[6]) {
  size_t n = r->nsamples;
  double mean = bg_stats_mean(r->samples, n);
  memcpy(tmp, r->samples, n * sizeof *tmp);
  bg_stats_sort(tmp, n);
  out[0] = mean;
  out[1] = n > 1 ? sqrt(bg_stats_variance_about(r->samples, n, mean)) : 0.0;
  out[2] = tmp[0];
  out[3] = bg_stats_median_sorted(tmp, n);
  out[4] = tmp[n - 1];
}

/* What result r's row holds (NAN where a column is NULL; the series ids are left alone);
 * `tmp` is scratch of r->nsamples doubles. */
static void result_row(const struct bg_result *r, double *tmp, struct bg_verdict_row *row) {
  row->median = row->log_center = row->log_w = row->raw_center = row->raw_w = NAN;
  row->log_low = row->log_high = NAN;
  /* The gate's summary, so baselines never re-read the samples (NULL for NAN). */
  struct bg_gate_summary g;
  if (bg_gate_summarize_result(r, &g) == BG_OK) {
    row->log_center = g.log_center;
    row->log_w = g.log_w;
    row->raw_center = g.raw_center;
    row->raw_w = g.raw_w;
    if (g.tail_n > 0) {
      row->log_low = g.log_low;
      row->log_high = g.log_high;
    }
  }
  if (r->has_summary) {
    row->n = (double)r->n;
    row->mean = r->mean;
    row->stddev = r->stddev;
    return;
  }
  double sum[6];
  summarise(r, tmp, sum);
  row->n = (double)r->nsamples;
  row->mean = sum[0];
  row->stddev = sum[1];
  row->median = sum[3];
}

/* v[0..n-1] as little-endian IEEE doubles (the samples BLOB; bg_store_sample reads it). */
static void le_doubles(const double *v, size_t n, unsigned char *out) {
  for (size_t i = 0; i < n; i++) {
    uint64_t u;
    memcpy(&u, &v[i], 8);
    for (int b = 0; b < 8; b++)
      out[i * 8 + (size_t)b] = (unsigned char)(u >> (8 * b));
  }
}

/* The most samples one result of the run holds (at least 1): the size of scratch buffers. */
static size_t most_samples(const struct bg_run *run) {
  size_t most = 1;
  for (size_t i = 0; i < run->nresults; i++)
    if (run->results[i].nsamples > most)
      most = run->results[i].nsamples;
  return most;
}

void bg_store_result_rows(const struct bg_run *run, struct bg_verdict_row *rows) {
  double *tmp = bg_xmalloc(most_samples(run) * sizeof *tmp);
  for (size_t i = 0; i < run->nresults; i++) {
    rows[i].bid = rows[i].mid = 0;
    result_row(&run->results[i], tmp, &rows[i]);
  }
  free(tmp);
}

/* Inserts the run's results from their rows (bg_store_result_rows), setting each row's
 * series ids. */
static int insert_results(struct bg_store *s, long long pid, long long rid,
                          const struct bg_run *run, struct bg_verdict_row *rows) {
  unsigned char *blob = bg_xmalloc(most_samples(run) * 8);
  int rc = BG_OK;
  for (size_t i = 0; i < run->nresults; i++) {
    const struct bg_result *r = &run->results[i];
    struct bg_verdict_row *row = &rows[i];
    if ((rc = cached_id(s, KIND_MEASURE, pid, r->measure, r->unit, bg_direction_name(r->direction),
                        &row->mid)) ||
        (rc = cached_id(s, KIND_BENCH, pid, r->benchmark, NULL, NULL, &row->bid)))
      break;
    sqlite3_stmt *st = stmt(s, S_RESULT_INSERT);
    if (!st) {
      rc = BG_EDB;
      break;
    }
    sqlite3_bind_int64(st, 1, rid);
    sqlite3_bind_int64(st, 2, row->bid);
    sqlite3_bind_int64(st, 3, row->mid);
    sqlite3_bind_int64(st, 4, (long long)row->n);
    sqlite3_bind_double(st, 5, row->mean);
    sqlite3_bind_double(st, 6, row->stddev);
    if (!r->has_summary) {
      le_doubles(r->samples, r->nsamples, blob);
      sqlite3_bind_double(st, 7, row->median);
      sqlite3_bind_blob(st, 8, blob, (int)(r->nsamples * 8), SQLITE_STATIC);
    }
    const double gv[6] = {row->log_center, row->log_w,   row->raw_center,
                          row->raw_w,      row->log_low, row->log_high};
    for (int k = 0; k < 6; k++)
      if (isfinite(gv[k]))
        sqlite3_bind_double(st, 9 + k, gv[k]);
    if ((rc = exec_stmt(s, st, "insert result")))
      break;
  }
  free(blob);
  return rc;
}

int bg_store_benchmark_id(struct bg_store *s, long long pid, const char *name, long long *id) {
  if ((*id = id_cache_get(&state(s)->ids, KIND_BENCH, pid, name)))
    return BG_OK;
  int rc = bg_store_lookup_id(s, stmt(s, S_BENCH_FIND), pid, name, id);
  /* Only committed ids are read here (the caller is in a read transaction): they stay. */
  if (*id)
    id_cache_put(&state(s)->ids, KIND_BENCH, pid, name, *id);
  return rc;
}

/* The content hash that makes replays idempotent: SHA-256 over the canonical JSON of the run
 * without its results (bg_run_to_json), then each result in order as its names, direction
 * and values in binary (samples as little-endian doubles). Equal runs hash equally; printing
 * 10 000 samples as JSON only to hash them would cost more than storing them. */
static void content_hash(const struct bg_run *run, unsigned char out[BG_STORE_RUN_HASH_LEN]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  struct bg_run meta = *run;
  meta.nresults = 0;
  char *canon = bg_run_to_json(&meta, 0);
  if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
    fprintf(stderr, "benchgated: cannot initialise SHA-256\n");
    abort();
  }
  EVP_DigestUpdate(ctx, canon, strlen(canon) + 1);
  cJSON_free(canon);
  unsigned char le[8 * 64];
  for (size_t i = 0; i < run->nresults; i++) {
    const struct bg_result *r = &run->results[i];
    unsigned char kind = (unsigned char)(r->has_summary ? 's' : 'v');
    EVP_DigestUpdate(ctx, r->benchmark, strlen(r->benchmark) + 1);
    EVP_DigestUpdate(ctx, r->measure, strlen(r->measure) + 1);
    EVP_DigestUpdate(ctx, r->unit, strlen(r->unit) + 1);
    EVP_DigestUpdate(ctx, bg_direction_name(r->direction), 1);
    EVP_DigestUpdate(ctx, &kind, 1);
    double head[3] = {(double)(r->has_summary ? r->n : (long long)r->nsamples), r->mean, r->stddev};
    size_t nvals = r->has_summary ? 3 : r->nsamples;
    const double *vals = r->has_summary ? head : r->samples;
    for (size_t j = 0; j < nvals; j += 64) {
      size_t m = nvals - j < 64 ? nvals - j : 64;
      le_doubles(vals + j, m, le);
      EVP_DigestUpdate(ctx, le, m * 8);
    }
  }
  EVP_DigestFinal_ex(ctx, out, NULL);
  EVP_MD_CTX_free(ctx);
}

static char *json_or_null(const cJSON *v) {
  return v ? cJSON_PrintUnformatted(v) : NULL;
}

/* The run's warnings plus the server's own (a changed testbed fingerprint). */
static char *warnings_json(const struct bg_run *run, int fingerprint_changed) {
  if (!run->nwarnings && !fingerprint_changed)
    return NULL;
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < run->nwarnings; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(run->warnings[i]));
  if (fingerprint_changed)
    cJSON_AddItemToArray(a, cJSON_CreateString("server: the testbed's fingerprint changed since "
                                               "its previous run; results may not compare"));
  char *t = cJSON_PrintUnformatted(a);
  cJSON_Delete(a);
  return t;
}

void bg_store_runs_prepare(const struct bg_run *run, long long now, struct bg_run_rows *out) {
  out->run = run;
  out->rows = bg_xmalloc((run->nresults ? run->nresults : 1) * sizeof *out->rows);
  bg_store_result_rows(run, out->rows);
  out->fingerprint = out->thresholds = NULL;
  out->now = now;
}

void bg_store_runs_prepare_insert(struct bg_run_rows *r) {
  content_hash(r->run, r->hash);
  r->fingerprint = json_or_null(r->run->fingerprint);
  r->thresholds = json_or_null(r->run->thresholds);
}

void bg_store_runs_free(struct bg_run_rows *r) {
  free(r->rows);
  cJSON_free(r->fingerprint);
  cJSON_free(r->thresholds);
  r->rows = NULL;
  r->fingerprint = r->thresholds = NULL;
}

int bg_store_runs_confirmed(struct bg_store *s, long long project_id, const char *run_id,
                            struct bg_store_confirmed *out) {
  sqlite3_stmt *st = stmt(s, S_CONFIRMED);
  int rc = BG_OK;
  memset(out, 0, sizeof *out);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bg_store_bind_text(st, 2, run_id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    out->rid = sqlite3_column_int64(st, 0);
    out->first = sqlite3_column_int64(st, 1);
    bg_store_copy_text(out->sha, sizeof out->sha, bg_store_col_text(st, 2));
    bg_store_copy_text(out->testbed, sizeof out->testbed, bg_store_col_text(st, 3));
  } else if (step != SQLITE_DONE) {
    rc = fail(s, "confirmed run");
  }
  bg_store_done(st);
  return rc;
}

int bg_store_runs_find(struct bg_store *s, long long project_id, const struct bg_run_rows *r,
                       long long *rid) {
  sqlite3_stmt *st = stmt(s, S_RUN_FIND);
  int rc = BG_OK;
  *rid = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bg_store_bind_text(st, 2, r->run->run_id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    const void *old = sqlite3_column_blob(st, 0);
    if (sqlite3_column_bytes(st, 0) == BG_STORE_RUN_HASH_LEN &&
        !memcmp(old, r->hash, BG_STORE_RUN_HASH_LEN))
      *rid = sqlite3_column_int64(st, 1);
    else
      rc = BG_ECONFLICT;
  } else if (step != SQLITE_DONE) {
    rc = fail(s, "find run");
  }
  bg_store_done(st);
  return rc;
}

int bg_store_runs_insert(struct bg_store *s, const struct bg_project *p, struct bg_run_rows *r,
                         struct bg_stored_run *out) {
  const struct bg_run *run = r->run;
  int rc, fp_changed = 0;
  if ((rc = testbed_id(s, p->id, run, r->fingerprint, &out->testbed_id, &fp_changed)) ||
      (rc = branch_id(s, p->id, run->commit.branch, &out->branch_id)) ||
      (rc = commit_id(s, p->id, run, r->now, &out->commit_id, &out->epoch)))
    return rc;
  sqlite3_stmt *st = stmt(s, S_RUN_INSERT);
  if (!st)
    return BG_EDB;
  char *warn = warnings_json(run, fp_changed);
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_text(st, 2, run->run_id);
  sqlite3_bind_int64(st, 3, out->commit_id);
  sqlite3_bind_int64(st, 4, out->branch_id);
  sqlite3_bind_int64(st, 5, out->testbed_id);
  sqlite3_bind_int64(st, 6, out->epoch);
  bg_store_bind_text(st, 7, run->baseline_branch);
  bg_store_bind_text(st, 8, run->baseline_sha);
  bg_store_bind_id(st, 9, run->pull_request);
  bg_store_bind_id(st, 10, run->job_id);
  bg_store_bind_text(st, 11, run->agent_name);
  bg_store_bind_text(st, 12, run->agent_version);
  bg_store_bind_text(st, 13, run->started_at);
  bg_store_bind_text(st, 14, run->finished_at);
  sqlite3_bind_int64(st, 15, r->now);
  sqlite3_bind_blob(st, 16, r->hash, BG_STORE_RUN_HASH_LEN, SQLITE_STATIC);
  bg_store_bind_text(st, 17, r->thresholds);
  bg_store_bind_text(st, 18, warn);
  bg_store_bind_text(st, 19, r->fingerprint);
  bg_store_bind_id(st, 20, r->confirms_id);
  sqlite3_bind_int(st, 21, run->confirmable != 0);
  rc = exec_stmt(s, st, "insert run");
  cJSON_free(warn);
  if (rc)
    return rc;
  out->rid = sqlite3_last_insert_rowid(bg_store_sqlite(s));
  return insert_results(s, p->id, out->rid, run, r->rows);
}

int bg_store_runs_pending(struct bg_store *s, struct bg_pending_run **out, size_t *n) {
  sqlite3_stmt *st = stmt(s, S_RUNS_PENDING);
  size_t cap = 0;
  int rc = BG_OK, step;
  *out = NULL;
  *n = 0;
  if (!st)
    return BG_EDB;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    bg_xgrow((void **)out, &cap, *n + 1, sizeof **out);
    (*out)[*n].rid = sqlite3_column_int64(st, 0);
    (*out)[(*n)++].project_id = sqlite3_column_int64(st, 1);
  }
  if (step != SQLITE_DONE)
    rc = fail(s, "pending runs");
  bg_store_done(st);
  return rc;
}

/* ---- the transactions of an upload ---- */

int bg_store_runs_write_begin(struct bg_store *own, struct bg_store **w) {
  struct bg_db *db = bg_store_database(own);
  bg_db_lock(db);
  *w = bg_db_writer(db, own);
  int rc = bg_store_begin(*w);
  if (rc) {
    bg_store_take_error(own, *w);
    bg_db_unlock(db);
  }
  return rc;
}

int bg_store_runs_write_end(struct bg_store *own, struct bg_store *w, int ok) {
  int rc = BG_OK;
  if (!ok || (rc = bg_store_commit(w)) != BG_OK) {
    bg_store_rollback(w);
    bg_store_take_error(own, w);
  }
  bg_db_unlock(bg_store_database(own));
  return rc;
}

int bg_store_runs_read_begin(struct bg_store *s) {
  int rc = bg_store_begin_read(s);
  sqlite3_stmt *st = rc ? NULL : stmt(s, S_SNAPSHOT);
  if (rc || !st)
    return rc ? rc : BG_EDB;
  int step = sqlite3_step(st);
  bg_store_done(st);
  if (step != SQLITE_ROW && step != SQLITE_DONE) {
    rc = bg_store_fail(s, "read snapshot");
    bg_store_rollback(s);
  }
  return rc;
}

int bg_store_runs_read_end(struct bg_store *s, int ok) {
  int rc = BG_OK;
  if (!ok || (rc = bg_store_commit(s)) != BG_OK)
    bg_store_rollback(s);
  return rc;
}

struct bg_store *bg_store_runs_side(struct bg_store *s) {
  char err[256];
  struct conn_state *cs = state(s);
  struct bg_db *db = bg_store_database(s);
  if (!cs->side && *bg_db_path(db) && bg_db_connect(db, &cs->side, err, sizeof err) == BG_OK &&
      bg_store_exec(cs->side, "PRAGMA cache_size = -2000", "cache_size") != BG_OK) {
    bg_store_close(cs->side);
    cs->side = NULL;
  }
  return cs->side;
}
