/* store.c: benchgated's SQLite store.
 *
 * One connection per thread; each SQL statement is prepared once per connection on first
 * use (SQLITE_PREPARE_PERSISTENT) and reset with its bindings cleared after every use. Writes
 * run in BEGIN IMMEDIATE transactions so two writers never deadlock on a lock upgrade. The
 * upload path caches benchmark and measure ids per connection and stores each result as one
 * row with its samples as a BLOB of little-endian doubles.
 */
#include "store.h"

#include "changepoints.h"
#include "db_sql.h"
#include "gate.h"
#include "json.h"
#include "mem.h"
#include "store_private.h"
#include "valid.h"
#include "verdict.h"

#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every statement the store runs; prepared on first use, kept until close. */
enum sid {
  S_PING,
  S_PROJECT_INSERT,
  S_PROJECT_GET,
  S_PROJECT_LIST,
  S_RUN_FIND,
  S_TESTBED_FIND,
  S_TESTBED_INSERT,
  S_TESTBED_FP,
  S_BRANCH_FIND,
  S_BRANCH_INSERT,
  S_COMMIT_FIND,
  S_COMMIT_INSERT,
  S_COMMIT_FILL,
  S_PARENT_INSERT,
  S_RUN_INSERT,
  S_BENCH_FIND,
  S_BENCH_INSERT,
  S_MEASURE_FIND,
  S_MEASURE_INSERT,
  S_RESULT_INSERT,
  S_RUN_GET,
  S_RUN_PARENTS,
  S_RUN_RESULTS,
  S_WALK_ALL,
  S_WALK_BRANCH,
  S_WALK_TESTBED,
  S_WALK_BOTH,
  S_COMMIT_STATS,
  S_COMMIT_BY_ID,
  S_HISTORY_CURSOR,
  S_COMMIT_GET,
  S_COMMIT_PREFIX,
  S_COMMIT_RUNS,
  S_TESTBED_ONLY,
  S_LATEST_RUNS,
  S_RUN_SUMMARIES,
  S_SERIES,
  S_RUN_VERDICT_STATE,
  S_TOKEN_INSERT,
  S_TOKEN_FIND,
  S_TOKEN_LIST,
  S_TOKEN_REVOKE,
  S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_PING] = "SELECT count(*) FROM projects",
    [S_PROJECT_INSERT] = "INSERT INTO projects (slug, github_repo, default_branch, created_at, "
                         "alpha, gate_window, noise_window) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_PROJECT_GET] = "SELECT id, slug, github_repo, default_branch, alpha, created_at, "
                      "gate_window, noise_window FROM projects WHERE slug = ?1",
    [S_PROJECT_LIST] = "SELECT id, slug, github_repo, default_branch, alpha, created_at, "
                       "gate_window, noise_window "
                       "FROM projects WHERE ?1 = 0 OR id = ?1 ORDER BY slug",
    [S_RUN_FIND] = "SELECT content_hash, id FROM runs WHERE project_id = ?1 AND run_id = ?2",
    [S_TESTBED_FIND] = "SELECT id, fingerprint FROM testbeds WHERE project_id = ?1 AND name = ?2",
    [S_TESTBED_INSERT] = "INSERT INTO testbeds (project_id, name, fingerprint) VALUES (?1, ?2, ?3)",
    [S_TESTBED_FP] = "UPDATE testbeds SET fingerprint = ?2 WHERE id = ?1",
    [S_BRANCH_FIND] = "SELECT id FROM branches WHERE project_id = ?1 AND name = ?2",
    [S_BRANCH_INSERT] = "INSERT INTO branches (project_id, name) VALUES (?1, ?2)",
    [S_COMMIT_FIND] = "SELECT id, epoch FROM commits WHERE project_id = ?1 AND sha = ?2",
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
        "gate_input) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?16, ?17, ?18, ?19, '" BG_VERDICT_PENDING "')",
    [S_BENCH_FIND] = "SELECT id FROM benchmarks WHERE project_id = ?1 AND name = ?2",
    [S_BENCH_INSERT] = "INSERT INTO benchmarks (project_id, name) VALUES (?1, ?2)",
    [S_MEASURE_FIND] =
        "SELECT id, unit, direction FROM measures WHERE project_id = ?1 AND slug = ?2",
    [S_MEASURE_INSERT] = "INSERT INTO measures (project_id, slug, unit, direction) "
                         "VALUES (?1, ?2, ?3, ?4)",
    [S_RESULT_INSERT] = "INSERT INTO results (run_id, benchmark_id, measure_id, n, mean, stddev, "
                        "median, samples, log_center, log_w, raw_center, raw_w) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [S_RUN_GET] =
        "SELECT r.id, r.run_id, c.id, c.sha, b.name, c.message, c.author, c.timestamp, "
        "t.name, r.fingerprint, r.baseline_branch, r.baseline_sha, r.pull_request, r.job_id, "
        "r.agent_name, r.agent_version, r.started_at, r.finished_at, r.received_at, "
        "r.thresholds, r.warnings, r.verdict "
        "FROM runs r JOIN commits c ON c.id = r.commit_id JOIN branches b ON b.id = r.branch_id "
        "JOIN testbeds t ON t.id = r.testbed_id WHERE r.project_id = ?1 AND r.run_id = ?2",
    [S_RUN_PARENTS] =
        "SELECT parent_sha FROM commit_parents WHERE commit_id = ?1 ORDER BY position",
    [S_RUN_RESULTS] = "SELECT b.name, m.slug, m.unit, m.direction, x.n, x.mean, x.stddev, "
                      "x.median, x.samples FROM results x "
                      "JOIN benchmarks b ON b.id = x.benchmark_id "
                      "JOIN measures m ON m.id = x.measure_id WHERE x.run_id = ?1",
/* History: one row per commit with runs matching the filters; ?4/?5 is the cursor. */
#define WALK(filter)                                                                               \
  "SELECT commit_id, commit_epoch, id FROM runs WHERE project_id = ?1" filter                      \
  " AND (commit_epoch, id) < (?4, ?5) ORDER BY commit_epoch DESC, id DESC"
    [S_WALK_ALL] = WALK(""),
    [S_WALK_BRANCH] = WALK(" AND branch_id = ?2"),
    [S_WALK_TESTBED] = WALK(" AND testbed_id = ?3"),
    [S_WALK_BOTH] = WALK(" AND branch_id = ?2 AND testbed_id = ?3"),
    [S_COMMIT_STATS] = "SELECT count(*), max(id) FROM runs WHERE commit_id = ?1 "
                       "AND (?2 IS NULL OR branch_id = ?2) AND (?3 IS NULL OR testbed_id = ?3)",
    [S_COMMIT_BY_ID] = "SELECT sha, message, author, timestamp, epoch FROM commits WHERE id = ?1",
    [S_HISTORY_CURSOR] =
        "SELECT c.epoch, max(r.id) FROM runs r JOIN commits c ON c.id = r.commit_id "
        "WHERE r.project_id = ?1 AND c.sha = ?4 AND (?2 IS NULL OR r.branch_id = ?2) "
        "AND (?3 IS NULL OR r.testbed_id = ?3) GROUP BY c.id",
    [S_COMMIT_GET] = "SELECT id, sha, message, author, timestamp, epoch FROM commits "
                     "WHERE project_id = ?1 AND sha = ?2",
    /* Every sha that starts with ?2 lies in [?2, ?2 || 'g'): hex digits sort below 'g'. */
    [S_COMMIT_PREFIX] = "SELECT sha FROM commits WHERE project_id = ?1 AND sha >= ?2 "
                        "AND sha < ?2 || 'g' ORDER BY sha LIMIT 2",
    [S_COMMIT_RUNS] =
        "SELECT r.run_id, b.name, t.name, r.received_at, r.pull_request, r.baseline_sha, "
        "(SELECT count(*) FROM results x WHERE x.run_id = r.id), r.verdict "
        "FROM runs r JOIN branches b ON b.id = r.branch_id JOIN testbeds t ON t.id = r.testbed_id "
        "WHERE r.commit_id = ?1 ORDER BY r.id",
    [S_TESTBED_ONLY] = "SELECT id, name FROM testbeds WHERE project_id = ?1 ORDER BY id LIMIT 2",
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
    [S_RUN_VERDICT_STATE] = "SELECT verdict_state, n_regressed, n_inconclusive, n_improved, "
                            "n_missing, n_new, n_unchanged, n_ignored FROM runs WHERE id = ?1",
    [S_TOKEN_INSERT] = "INSERT INTO tokens (project_id, role, name, hash, created_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_TOKEN_FIND] = "SELECT id, project_id, role, hash, revoked_at FROM tokens WHERE hash = ?1",
    [S_TOKEN_LIST] = "SELECT t.id, p.slug, t.role, t.name, t.created_at, t.revoked_at "
                     "FROM tokens t LEFT JOIN projects p ON p.id = t.project_id ORDER BY t.id",
    [S_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
};

/* Per-connection cache of benchmark and measure ids: open addressing on (kind, project,
 * name). Only filled from committed rows' ids; cleared on rollback. */
struct id_entry {
  char *name; /* owned; NULL marks an empty slot */
  long long project_id;
  long long id;
  int kind;
};

struct id_cache {
  struct id_entry *slots;
  size_t cap, used;
};

#define ID_CACHE_MAX (1u << 20) /* entries before the cache starts over */

/* What store.c keeps per connection. */
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

static const struct bg_store_module store_sql = {"store", sql_text, S_COUNT, conn_state_free,
                                                 conn_rolled_back};

static struct conn_state *state(struct bg_store *s) {
  void **slot = bg_store_state(s, &store_sql);
  if (!*slot)
    *slot = bg_xcalloc(1, sizeof(struct conn_state));
  return *slot;
}

/* ---- small helpers ---- */

static int fail(struct bg_store *s, const char *what) {
  return bg_store_fail(s, what);
}

static sqlite3_stmt *stmt(struct bg_store *s, enum sid id) {
  return bg_store_stmt(s, &store_sql, (size_t)id);
}

static int exec_stmt(struct bg_store *s, sqlite3_stmt *st, const char *what) {
  return bg_store_step_done(s, st, what);
}

/* Appends a column that holds JSON text verbatim, or null. */
static void json_raw_col(struct bg_buf *out, sqlite3_stmt *st, int i) {
  const char *t = bg_store_col_text(st, i);
  bg_buf_puts(out, t && *t ? t : "null");
}

static void json_int_or_null(struct bg_buf *out, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_buf_printf(out, "%lld", (long long)sqlite3_column_int64(st, i));
}

/* ---- id cache ---- */

static uint64_t name_hash(int kind, long long project_id, const char *name) {
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)kind ^ ((uint64_t)project_id << 8);
  for (const unsigned char *p = (const unsigned char *)name; *p; p++)
    h = (h ^ *p) * 1099511628211ULL;
  return h;
}

static void id_cache_clear(struct id_cache *c) {
  for (size_t i = 0; i < c->cap; i++)
    free(c->slots[i].name);
  free(c->slots);
  c->slots = NULL;
  c->cap = c->used = 0;
}

static struct id_entry *id_cache_slot(struct id_cache *c, int kind, long long project_id,
                                      const char *name) {
  size_t i = (size_t)name_hash(kind, project_id, name) & (c->cap - 1);
  for (;; i = (i + 1) & (c->cap - 1)) {
    struct id_entry *e = &c->slots[i];
    if (!e->name || (e->kind == kind && e->project_id == project_id && !strcmp(e->name, name)))
      return e;
  }
}

static long long id_cache_get(struct id_cache *c, int kind, long long project_id,
                              const char *name) {
  if (!c->cap)
    return 0;
  struct id_entry *e = id_cache_slot(c, kind, project_id, name);
  return e->name ? e->id : 0;
}

static void id_cache_put(struct id_cache *c, int kind, long long project_id, const char *name,
                         long long id) {
  if (c->used >= ID_CACHE_MAX)
    id_cache_clear(c);
  if ((c->used + 1) * 2 > c->cap) {
    struct id_cache bigger = {bg_xcalloc(c->cap ? c->cap * 2 : 256, sizeof(struct id_entry)),
                              c->cap ? c->cap * 2 : 256, c->used};
    for (size_t i = 0; i < c->cap; i++)
      if (c->slots[i].name)
        *id_cache_slot(&bigger, c->slots[i].kind, c->slots[i].project_id, c->slots[i].name) =
            c->slots[i];
    free(c->slots);
    *c = bigger;
  }
  struct id_entry *e = id_cache_slot(c, kind, project_id, name);
  if (!e->name) {
    e->name = bg_xstrdup(name);
    e->kind = kind;
    e->project_id = project_id;
    c->used++;
  }
  e->id = id;
}

int bg_store_ping(struct bg_store *s) {
  sqlite3_stmt *st = stmt(s, S_PING);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  if (sqlite3_step(st) != SQLITE_ROW)
    rc = fail(s, "ping");
  bg_store_done(st);
  return rc;
}

/* ---- projects ---- */

static void read_project(sqlite3_stmt *st, struct bg_project *p) {
  p->id = sqlite3_column_int64(st, 0);
  bg_store_copy_text(p->slug, sizeof p->slug, bg_store_col_text(st, 1));
  bg_store_copy_text(p->github_repo, sizeof p->github_repo, bg_store_col_text(st, 2));
  bg_store_copy_text(p->default_branch, sizeof p->default_branch, bg_store_col_text(st, 3));
  p->alpha = sqlite3_column_double(st, 4);
  p->created_at = sqlite3_column_int64(st, 5);
  p->gate_window = sqlite3_column_int(st, 6);
  p->noise_window = sqlite3_column_int(st, 7);
}

/* Steps the bound project query `st` once into *out, then resets it. BG_OK, BG_ENOENT or
 * BG_EDB. */
static int one_project(struct bg_store *s, sqlite3_stmt *st, struct bg_project *out) {
  int rc = BG_OK, step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    read_project(st, out);
  else
    rc = step == SQLITE_DONE ? BG_ENOENT : fail(s, "project");
  bg_store_done(st);
  return rc;
}

int bg_store_project_get(struct bg_store *s, const char *slug, struct bg_project *out) {
  sqlite3_stmt *st = stmt(s, S_PROJECT_GET);
  if (!st)
    return BG_EDB;
  bg_store_bind_text(st, 1, slug);
  return one_project(s, st, out);
}

int bg_store_project_create(struct bg_store *s, const char *slug, const char *github_repo,
                            const char *default_branch, struct bg_project *out) {
  return bg_store_project_create_gated(s, slug, github_repo, default_branch, 0, 0, 0, out);
}

int bg_store_project_create_gated(struct bg_store *s, const char *slug, const char *github_repo,
                                  const char *default_branch, double alpha, int window,
                                  int noise_window, struct bg_project *out) {
  sqlite3_stmt *st = stmt(s, S_PROJECT_INSERT);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  bg_store_bind_text(st, 1, slug);
  bg_store_bind_text(st, 2, github_repo && *github_repo ? github_repo : NULL);
  bg_store_bind_text(st, 3, default_branch ? default_branch : "main");
  sqlite3_bind_int64(st, 4, (long long)time(NULL));
  sqlite3_bind_double(st, 5, alpha > 0 ? alpha : BG_STORE_DEFAULT_ALPHA);
  window = window > 0 ? window : BG_STORE_DEFAULT_WINDOW;
  noise_window = noise_window > 0 ? noise_window : BG_STORE_DEFAULT_NOISE_WINDOW;
  sqlite3_bind_int(st, 6, window);
  sqlite3_bind_int(st, 7, noise_window > window ? noise_window : window);
  int step = sqlite3_step(st);
  if (step == SQLITE_CONSTRAINT_UNIQUE)
    rc = BG_EEXIST;
  else if (step != SQLITE_DONE)
    rc = fail(s, "create project");
  bg_store_done(st);
  if (rc == BG_OK && out)
    rc = bg_store_project_get(s, slug, out);
  return rc;
}

void bg_store_project_json(const struct bg_project *p, struct bg_buf *out) {
  bg_buf_puts(out, "{\"slug\":");
  bg_json_str(out, p->slug);
  bg_buf_puts(out, ",\"github_repo\":");
  bg_json_str(out, p->github_repo[0] ? p->github_repo : NULL);
  bg_buf_puts(out, ",\"default_branch\":");
  bg_json_str(out, p->default_branch);
  bg_buf_puts(out, ",\"alpha\":");
  bg_json_num(out, p->alpha);
  bg_buf_printf(out, ",\"gate_window\":%d,\"noise_window\":%d", p->gate_window,
                p->noise_window);
  bg_buf_printf(out, ",\"created_at\":%lld}", p->created_at);
}

int bg_store_projects_json(struct bg_store *s, long long only_id, struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, S_PROJECT_LIST);
  int rc = BG_OK, step, n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, only_id);
  bg_buf_puts(out, "[");
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    struct bg_project p;
    read_project(st, &p);
    if (n++)
      bg_buf_puts(out, ",");
    bg_store_project_json(&p, out);
  }
  if (step != SQLITE_DONE)
    rc = fail(s, "projects");
  bg_buf_puts(out, "]");
  bg_store_done(st);
  return rc;
}

/* ---- inserting a run ---- */

enum { KIND_BENCH = 1, KIND_MEASURE = 2 };

/* Runs a find statement (?1 project, ?2 name) returning the id: *id, or 0 when none. */
static int find_named(struct bg_store *s, enum sid find, long long pid, const char *name,
                      long long *id) {
  sqlite3_stmt *st = stmt(s, find);
  int rc = BG_OK;
  *id = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  bg_store_bind_text(st, 2, name);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    *id = sqlite3_column_int64(st, 0);
  else if (step != SQLITE_DONE)
    rc = fail(s, "lookup");
  bg_store_done(st);
  return rc;
}

/* Finds or creates a named row: find_named, then an insert statement with the same first two
 * parameters and optional ?3/?4 extras. */
static int find_or_insert(struct bg_store *s, enum sid find, enum sid insert, long long pid,
                          const char *name, const char *extra3, const char *extra4, long long *id) {
  int rc = find_named(s, find, pid, name, id);
  if (rc || *id)
    return rc;
  sqlite3_stmt *st = stmt(s, insert);
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

static int cached_id(struct bg_store *s, int kind, long long pid, const char *name,
                     const char *unit, const char *direction, long long *id) {
  if ((*id = id_cache_get(&state(s)->ids, kind, pid, name)))
    return BG_OK;
  int rc =
      kind == KIND_BENCH
          ? find_or_insert(s, S_BENCH_FIND, S_BENCH_INSERT, pid, name, NULL, NULL, id)
          : find_or_insert(s, S_MEASURE_FIND, S_MEASURE_INSERT, pid, name, unit, direction, id);
  /* The id may belong to a row of this uncommitted transaction; rollback clears the cache. */
  if (rc == BG_OK)
    id_cache_put(&state(s)->ids, kind, pid, name, *id);
  return rc;
}

/* Finds or creates the run's testbed and keeps its latest fingerprint; *changed is set when
 * a known fingerprint differs from the new one. */
static int testbed_id(struct bg_store *s, long long pid, const struct bg_run *run, const char *fp,
                      long long *id, int *changed) {
  sqlite3_stmt *st = stmt(s, S_TESTBED_FIND);
  int rc = BG_OK, update = 0;
  *changed = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  bg_store_bind_text(st, 2, run->testbed);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    const char *old = bg_store_col_text(st, 1);
    update = fp && (!old || strcmp(old, fp) != 0);
    *changed = update && old;
  } else if (step != SQLITE_DONE) {
    rc = fail(s, "testbed");
  }
  bg_store_done(st);
  if (rc)
    return rc;
  if (step == SQLITE_ROW) {
    if (!update)
      return BG_OK;
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
  sqlite3_stmt *st = stmt(s, S_COMMIT_FIND);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  bg_store_bind_text(st, 2, run->commit.sha);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    *epoch = sqlite3_column_int64(st, 1);
  } else if (step != SQLITE_DONE) {
    rc = fail(s, "commit");
  }
  bg_store_done(st);
  if (rc)
    return rc;
  if (step == SQLITE_ROW) {
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

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The summary columns of one result; `tmp` is scratch space of at least r->nsamples doubles. */
static void summarise(const struct bg_result *r, double *tmp, double out[6]) {
  size_t n = r->nsamples;
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += r->samples[i];
  double mean = sum / (double)n, ss = 0;
  for (size_t i = 0; i < n; i++)
    ss += (r->samples[i] - mean) * (r->samples[i] - mean);
  memcpy(tmp, r->samples, n * sizeof *tmp);
  if (n <= 32) {
    /* Typical results hold a few dozen samples at most: insertion sort beats qsort's calls. */
    for (size_t i = 1; i < n; i++) {
      double x = tmp[i];
      size_t j = i;
      for (; j > 0 && tmp[j - 1] > x; j--)
        tmp[j] = tmp[j - 1];
      tmp[j] = x;
    }
  } else {
    qsort(tmp, n, sizeof *tmp, cmp_double);
  }
  out[0] = mean;
  out[1] = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
  out[2] = tmp[0];
  out[3] = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
  out[4] = tmp[n - 1];
}

/* What result r's row holds (NAN where a column is NULL; the series ids are left alone);
 * `tmp` is scratch of r->nsamples doubles. */
static void result_row(const struct bg_result *r, double *tmp, struct bg_verdict_row *row) {
  row->median = row->log_center = row->log_w = row->raw_center = row->raw_w = NAN;
  /* The gate's summary, so baselines never re-read the samples (NULL for NAN). */
  struct bg_gate_summary g;
  if (bg_gate_summarize_result(r, &g) == BG_OK) {
    row->log_center = g.log_center;
    row->log_w = g.log_w;
    row->raw_center = g.raw_center;
    row->raw_w = g.raw_w;
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
    const double gv[4] = {row->log_center, row->log_w, row->raw_center, row->raw_w};
    for (int k = 0; k < 4; k++)
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
  int rc = find_named(s, S_BENCH_FIND, pid, name, id);
  /* Only committed ids are read here (the caller is in a read transaction): they stay. */
  if (*id)
    id_cache_put(&state(s)->ids, KIND_BENCH, pid, name, *id);
  return rc;
}

/* The content hash that makes replays idempotent: SHA-256 over the canonical JSON of the run
 * without its results (bg_run_to_json), then each result in order as its names, direction
 * and values in binary (samples as little-endian doubles). Equal runs hash equally; printing
 * 10 000 samples as JSON only to hash them would cost more than storing them. */
static void content_hash(const struct bg_run *run, unsigned char out[SHA256_DIGEST_LENGTH]) {
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

/* The upload's answer: {"run_id":..,"verdict":..} with the verdict as text, or written from
 * decision `a` when verdict is NULL. */
static void answer_json(struct bg_buf *out, const char *run_id, const char *verdict,
                        const struct bg_verdict_answer *a) {
  bg_buf_puts(out, "{\"run_id\":");
  bg_json_str(out, run_id);
  bg_buf_puts(out, ",\"verdict\":");
  if (!verdict && a)
    bg_verdict_answer_write(a, out);
  else
    bg_buf_puts(out, verdict && *verdict ? verdict : "null");
  bg_buf_puts(out, "}");
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

/* Decides and stores the verdict of pending run `rid` and screens its change points, inside
 * the caller's write transaction (a replay of a run whose upload did not finish, recovery).
 * The decision goes to *decided. */
static int settle(struct bg_store *s, const struct bg_project *p, long long rid,
                  struct bg_verdict_answer **decided) {
  int rc = bg_verdict_update_run(s, p, rid, decided);
  if (rc == BG_OK)
    rc = bg_changepoints_update_run(s, p, rid);
  return rc;
}

/* The connection beside `s` that decides an upload's verdict while `s` stores the run,
 * opened on first use with a small page cache (the decision reads a few hundred pages; the
 * baseline's summaries come from the verdict's cache). NULL when it cannot be opened: the
 * verdict is then decided on `s`, inside the upload's transaction. */
static struct bg_store *side_of(struct bg_store *s) {
  char err[256];
  struct conn_state *cs = state(s);
  const char *path = bg_db_path(bg_store_database(s));
  if (!cs->side && *path && bg_db_connect(bg_store_database(s), &cs->side, err, sizeof err) == BG_OK &&
      bg_store_exec(cs->side, "PRAGMA cache_size = -2000", "cache_size") != BG_OK) {
    bg_store_close(cs->side);
    cs->side = NULL;
  }
  return cs->side;
}

/* The verdict of a run not stored yet, decided on the side connection's read snapshot. */
struct decide_job {
  struct bg_store *s;
  const struct bg_project *p;
  const struct bg_run *run;
  const struct bg_verdict_row *rows; /* the results' summaries (the insert sets their ids) */
  long long now;
  struct bg_verdict_answer *answer;
  struct bg_buf out; /* the upload's answer with this verdict, written beside the insert */
  int rc;
  atomic_int done; /* set last: answer, out and rc are final */
};

static void *decide_main(void *arg) {
  struct decide_job *j = arg;
  pthread_setname_np(pthread_self(), "bg-decide"); /* for top -H and perf */
  int rc = bg_store_begin_read(j->s);
  if (rc == BG_OK &&
      (rc = bg_verdict_decide_payload(j->s, j->p, j->run, j->rows, j->now, &j->answer)))
    j->answer = NULL;
  if (rc == BG_OK) {
    bg_verdict_answer_render(j->answer);
    answer_json(&j->out, j->run->run_id, NULL, j->answer);
  }
  if (rc == BG_OK)
    rc = bg_store_commit(j->s);
  if (rc)
    bg_store_rollback(j->s);
  j->rc = rc;
  atomic_store(&j->done, 1);
  return NULL;
}

/* What a run was stored as: its id, commit (id and epoch), branch and testbed. */
struct stored_run {
  long long rid, cm, epoch, br, tb;
};

/* Inserts the run's rows (marked BG_VERDICT_PENDING) inside the caller's transaction; *out
 * receives what it was stored as. */
static int insert_run_rows(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                           const unsigned char hash[SHA256_DIGEST_LENGTH], const char *fp,
                           const char *th, long long now, struct bg_verdict_row *rows,
                           struct stored_run *out) {
  int rc, fp_changed = 0;
  if ((rc = testbed_id(s, p->id, run, fp, &out->tb, &fp_changed)) ||
      (rc = find_or_insert(s, S_BRANCH_FIND, S_BRANCH_INSERT, p->id, run->commit.branch, NULL, NULL,
                           &out->br)) ||
      (rc = commit_id(s, p->id, run, now, &out->cm, &out->epoch)))
    return rc;
  sqlite3_stmt *st = stmt(s, S_RUN_INSERT);
  if (!st)
    return BG_EDB;
  char *warn = warnings_json(run, fp_changed);
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_text(st, 2, run->run_id);
  sqlite3_bind_int64(st, 3, out->cm);
  sqlite3_bind_int64(st, 4, out->br);
  sqlite3_bind_int64(st, 5, out->tb);
  sqlite3_bind_int64(st, 6, out->epoch);
  bg_store_bind_text(st, 7, run->baseline_branch);
  bg_store_bind_text(st, 8, run->baseline_sha);
  bg_store_bind_id(st, 9, run->pull_request);
  bg_store_bind_id(st, 10, run->job_id);
  bg_store_bind_text(st, 11, run->agent_name);
  bg_store_bind_text(st, 12, run->agent_version);
  bg_store_bind_text(st, 13, run->started_at);
  bg_store_bind_text(st, 14, run->finished_at);
  sqlite3_bind_int64(st, 15, now);
  sqlite3_bind_blob(st, 16, hash, SHA256_DIGEST_LENGTH, SQLITE_STATIC);
  bg_store_bind_text(st, 17, th);
  bg_store_bind_text(st, 18, warn);
  bg_store_bind_text(st, 19, fp);
  rc = exec_stmt(s, st, "insert run");
  cJSON_free(warn);
  if (rc)
    return rc;
  out->rid = sqlite3_last_insert_rowid(bg_store_sqlite(s));
  return insert_results(s, p->id, out->rid, run, rows);
}

/* Takes over the side decision of run `rid` once it is done (bg_verdict_answer_bind); on
 * failure reports its error on `s`. */
static int take_decision(struct bg_store *s, struct decide_job *job, pthread_t thread,
                         const struct stored_run *r, struct bg_verdict_answer **decided) {
  pthread_join(thread, NULL);
  if (job->rc) {
    bg_store_take_error(s, job->s);
    return job->rc;
  }
  *decided = job->answer;
  job->answer = NULL;
  bg_verdict_answer_bind(*decided, r->rid, r->cm, r->epoch, r->br, r->tb, job->rows,
                         job->run->nresults);
  return BG_OK;
}

/* Looks run `run_id` of project pid up: *rid is its id when it is stored with the same content
 * (a replay), 0 when it is not stored; BG_ECONFLICT when it is stored with other content. */
static int find_run(struct bg_store *s, long long pid, const char *run_id,
                    const unsigned char hash[SHA256_DIGEST_LENGTH], long long *rid) {
  sqlite3_stmt *st = stmt(s, S_RUN_FIND);
  int rc = BG_OK;
  *rid = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  bg_store_bind_text(st, 2, run_id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    const void *old = sqlite3_column_blob(st, 0);
    if (sqlite3_column_bytes(st, 0) == SHA256_DIGEST_LENGTH &&
        !memcmp(old, hash, SHA256_DIGEST_LENGTH))
      *rid = sqlite3_column_int64(st, 1);
    else
      rc = BG_ECONFLICT;
  } else if (step != SQLITE_DONE) {
    rc = fail(s, "find run");
  }
  bg_store_done(st);
  return rc;
}

/* The answer to a replay of stored run `rid`, inside the caller's write transaction. A run
 * whose upload did not get to store its verdict is settled now (*decided); otherwise the
 * stored verdict is rendered again from what the upload pinned (its baseline runs and
 * thresholds) with the acknowledgements made since, into `answer`. */
static int answer_replay(struct bg_store *s, const struct bg_project *p, const char *run_id,
                         long long rid, struct bg_verdict_answer **decided,
                         struct bg_buf *answer) {
  char *verdict = NULL;
  int pending, rc = bg_verdict_pending(s, rid, &pending);
  if (rc == BG_OK && pending)
    rc = settle(s, p, rid, decided);
  else if (rc == BG_OK && (rc = bg_verdict_run_json(s, p, rid, &verdict)) == BG_OK)
    answer_json(answer, run_id, verdict, NULL);
  cJSON_free(verdict);
  return rc;
}

/* The second transaction of a slow decision: stores `decided` as its run's verdict unless a
 * replay settled the run first (*stored 0). Errors are reported on `own`. */
static int store_later(struct bg_store *own, const struct bg_verdict_answer *decided,
                       int *stored) {
  bg_db_lock(bg_store_database(own));
  struct bg_store *s = bg_db_writer(bg_store_database(own), own);
  int rc = bg_store_begin(s);
  if (rc == BG_OK) {
    rc = bg_verdict_store_decision(s, decided, stored);
    rc = rc ? rc : bg_store_commit(s);
    if (rc)
      bg_store_rollback(s);
  }
  if (rc)
    bg_store_take_error(own, s);
  bg_db_unlock(bg_store_database(own));
  return rc;
}

/* An upload. The verdict is decided beside the insert: a second thread, on the side
 * connection's read snapshot, judges the run from its payload (bg_verdict_decide_payload)
 * while this thread, under the write lock, stores the run, its results and its change-point
 * screening in one transaction. The decision's snapshot is taken before that transaction
 * commits, so it sees neither the run nor its screening: it judges against the series starts
 * from before this run. When the decision is done by then, the same transaction stores it
 * (verdict, alerts, what it was decided on) and the run is never visible without its verdict.
 * When it is not (other uploads keep the cores busy), the run commits marked
 * BG_VERDICT_PENDING and the verdict follows in a short second transaction: waiting for it
 * under the write lock would hold every other upload up. A crash in between leaves the mark,
 * which a replay of the upload or bg_store_recover settles. The full verdict is rendered
 * beside the insert too. Without a side connection the verdict is decided on the stored rows
 * inside the transaction. All uploads write through one connection (bg_db_writer). */
int bg_store_insert_run(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                        int *replay, struct bg_buf *answer) {
  struct bg_store *own = s; /* the caller's connection: errors are reported on it */
  struct stored_run r = {0};
  long long now = (long long)time(NULL), replay_rid = 0;
  int rc, stored = 1, started = 0, later = 0, beside = 0;
  *replay = 0;
  /* The results' summaries once, for the insert and the decision, outside the write lock. */
  struct bg_verdict_row *rows = bg_xmalloc((run->nresults ? run->nresults : 1) * sizeof *rows);
  bg_store_result_rows(run, rows);
  struct decide_job job = {side_of(own), p, run, rows, now, NULL, {0}, BG_OK, 0};
  pthread_t thread;
  bg_buf_init(&job.out, answer->max);
  if (job.s)
    started = pthread_create(&thread, NULL, decide_main, &job) == 0;
  unsigned char hash[SHA256_DIGEST_LENGTH];
  content_hash(run, hash);
  char *fp = json_or_null(run->fingerprint), *th = json_or_null(run->thresholds);
  char *verdict = NULL;
  struct bg_verdict_answer *decided = NULL;
  bg_db_lock(bg_store_database(own));
  s = bg_db_writer(bg_store_database(own), own);
  if ((rc = bg_store_begin(s)) || (rc = find_run(s, p->id, run->run_id, hash, &replay_rid)))
    goto out;
  if ((*replay = replay_rid != 0)) {
    rc = answer_replay(s, p, run->run_id, replay_rid, &decided, answer);
    goto out;
  }
  if ((rc = insert_run_rows(s, p, run, hash, fp, th, now, rows, &r)))
    goto out;
  /* Without a side connection the verdict is decided here, before the screening it must not
   * see. */
  if (!started && (rc = bg_verdict_update_run(s, p, r.rid, &decided)))
    goto out;
  if ((rc = bg_changepoints_update_run(s, p, r.rid)))
    goto out;
  later = started && !atomic_load(&job.done);
  if (started && !later) {
    started = 0;
    beside = 1;
    if ((rc = take_decision(s, &job, thread, &r, &decided)) ||
        (rc = bg_verdict_store_decision(s, decided, &stored)))
      goto out;
  }
  rc = bg_store_commit(s);
out:
  if (rc)
    bg_store_rollback(s);
  else if (*replay)
    rc = bg_store_commit(s); /* a settled run's verdict, or nothing written (keeps the id cache) */
  if (rc)
    bg_store_take_error(own, s);
  bg_db_unlock(bg_store_database(own));
  /* A default-branch run is the next uploads' baseline: keep its summaries at hand (outside
   * the write lock; a decision that misses it meanwhile reads it from the database). */
  if (rc == BG_OK && r.rid)
    bg_verdict_cache_run(own, p, run, r.rid, rows, run->nresults);
  if (rc == BG_OK && later) {
    /* The run is stored, its verdict pending. */
    started = 0;
    beside = 1;
    if ((rc = take_decision(own, &job, thread, &r, &decided)) == BG_OK)
      rc = store_later(own, decided, &stored);
  }
  if (started)
    pthread_join(thread, NULL);
  bg_verdict_answer_free(job.answer);
  if (rc == BG_OK && !stored) {
    /* A replay settled the run first: its verdict is the run's. */
    bg_verdict_answer_free(decided);
    decided = NULL;
    if ((rc = bg_verdict_run_json(own, p, r.rid, &verdict)) == BG_OK)
      answer_json(answer, run->run_id, verdict, NULL);
  }
  if (rc == BG_OK && decided && beside) {
    /* The decision thread wrote the answer beside the insert. */
    bg_buf_free(answer);
    *answer = job.out;
    bg_buf_init(&job.out, 0);
  } else if (rc == BG_OK && decided) {
    answer_json(answer, run->run_id, NULL, decided); /* outside the write lock */
  }
  bg_buf_free(&job.out);
  bg_verdict_answer_free(decided);
  free(rows);
  cJSON_free(fp);
  cJSON_free(th);
  cJSON_free(verdict);
  return rc;
}

/* Project `id` (S_PROJECT_LIST filters on ?1). BG_OK, BG_ENOENT or BG_EDB. */
static int project_by_id(struct bg_store *s, long long id, struct bg_project *out) {
  sqlite3_stmt *st = stmt(s, S_PROJECT_LIST);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  return one_project(s, st, out);
}

int bg_store_recover(struct bg_store *s) {
  sqlite3_stmt *st = NULL;
  long long *ids = NULL, *pids = NULL;
  size_t n = 0, cap = 0, pcap = 0;
  int rc = BG_OK, step;
  if (sqlite3_prepare_v2(bg_store_sqlite(s),
                         "SELECT id, project_id FROM runs WHERE gate_input = '" BG_VERDICT_PENDING
                         "' ORDER BY id",
                         -1, &st, NULL) != SQLITE_OK)
    return fail(s, "pending runs");
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    bg_xgrow((void **)&ids, &cap, n + 1, sizeof *ids);
    bg_xgrow((void **)&pids, &pcap, n + 1, sizeof *pids);
    ids[n] = sqlite3_column_int64(st, 0);
    pids[n++] = sqlite3_column_int64(st, 1);
  }
  if (step != SQLITE_DONE)
    rc = fail(s, "pending runs");
  sqlite3_finalize(st);
  for (size_t i = 0; i < n && rc == BG_OK; i++) {
    struct bg_project p;
    struct bg_verdict_answer *decided = NULL;
    int pending = 0;
    if ((rc = project_by_id(s, pids[i], &p)) || (rc = bg_store_write_begin(s)))
      break;
    if ((rc = bg_verdict_pending(s, ids[i], &pending)) == BG_OK && pending)
      rc = settle(s, &p, ids[i], &decided);
    bg_verdict_answer_free(decided);
    rc = bg_store_write_end(s, rc == BG_OK);
  }
  free(ids);
  free(pids);
  return rc;
}

/* ---- reading runs ---- */

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
 * columns since 004_diet.sql), -0 as 0 as a REAL column gave it. Returns 0 when there are no
 * samples, else 1. */
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

static int parents_json(struct bg_store *s, long long commit, struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, S_RUN_PARENTS);
  int rc = BG_OK, step, n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, commit);
  bg_buf_puts(out, "[");
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (n++)
      bg_buf_puts(out, ",");
    bg_json_str(out, bg_store_col_text(st, 0));
  }
  bg_buf_puts(out, "]");
  if (step != SQLITE_DONE)
    rc = fail(s, "parents");
  bg_store_done(st);
  return rc;
}

static int results_json(struct bg_store *s, long long rid, struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, S_RUN_RESULTS);
  int rc = BG_OK, step, n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  bg_buf_puts(out, "[");
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    bg_buf_puts(out, n++ ? ",{\"benchmark\":" : "{\"benchmark\":");
    bg_json_str(out, bg_store_col_text(st, 0));
    bg_buf_puts(out, ",\"measure\":");
    bg_json_str(out, bg_store_col_text(st, 1));
    bg_buf_puts(out, ",\"unit\":");
    bg_json_str(out, bg_store_col_text(st, 2));
    bg_buf_puts(out, ",\"direction\":");
    bg_json_str(out, bg_store_col_text(st, 3));
    bg_buf_printf(out, ",\"n\":%lld,\"mean\":", (long long)sqlite3_column_int64(st, 4));
    bg_json_num(out, sqlite3_column_double(st, 5));
    bg_buf_puts(out, ",\"stddev\":");
    bg_json_num(out, sqlite3_column_double(st, 6));
    double lo = 0, hi = 0;
    int have = samples_extremes(st, 8, &lo, &hi);
    bg_buf_puts(out, ",\"min\":");
    if (have)
      bg_json_num(out, lo);
    else
      bg_buf_puts(out, "null");
    bg_buf_puts(out, ",\"median\":");
    bg_store_json_num_or_null(out, st, 7);
    bg_buf_puts(out, ",\"max\":");
    if (have)
      bg_json_num(out, hi);
    else
      bg_buf_puts(out, "null");
    if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
      bg_buf_puts(out, ",\"samples\":");
      samples_json(out, st, 8);
    }
    bg_buf_puts(out, "}");
  }
  bg_buf_puts(out, "]");
  if (step != SQLITE_DONE)
    rc = fail(s, "results");
  bg_store_done(st);
  return rc;
}

int bg_store_run_json(struct bg_store *s, const struct bg_project *p, const char *run_id,
                      struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, S_RUN_GET);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_text(st, 2, run_id);
  int step = sqlite3_step(st);
  if (step != SQLITE_ROW) {
    rc = step == SQLITE_DONE ? BG_ENOENT : fail(s, "run");
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
  /* The parents statement is a different one, so this row stays readable meanwhile. */
  if ((rc = parents_json(s, cid, out)))
    goto out;
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
  bg_buf_puts(out, ",\"agent\":{\"name\":");
  bg_json_str(out, bg_store_col_text(st, 14));
  bg_buf_puts(out, ",\"version\":");
  bg_json_str(out, bg_store_col_text(st, 15));
  bg_buf_puts(out, "},\"started_at\":");
  bg_json_str(out, bg_store_col_text(st, 16));
  bg_buf_puts(out, ",\"finished_at\":");
  bg_json_str(out, bg_store_col_text(st, 17));
  bg_buf_printf(out,
                ",\"received_at\":%lld,\"thresholds\":", (long long)sqlite3_column_int64(st, 18));
  json_raw_col(out, st, 19);
  bg_buf_puts(out, ",\"warnings\":");
  const char *w = bg_store_col_text(st, 20);
  bg_buf_puts(out, w ? w : "[]");
  bg_buf_puts(out, ",\"verdict\":");
  json_raw_col(out, st, 21);
  bg_buf_puts(out, ",\"results\":");
  if ((rc = results_json(s, rid, out)))
    goto out;
  bg_buf_puts(out, "}");
out:
  bg_store_done(st);
  return rc;
}

/* ---- history ---- */

/* Resolves a branch or testbed name to its id: 0 when name is NULL, -1 when unknown (so
 * that filters on it match nothing). */
static int name_id(struct bg_store *s, enum sid find, long long pid, const char *name,
                   long long *id) {
  *id = 0;
  if (!name)
    return BG_OK;
  sqlite3_stmt *st = stmt(s, find);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, pid);
  bg_store_bind_text(st, 2, name);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    *id = sqlite3_column_int64(st, 0);
  else if (step == SQLITE_DONE)
    *id = -1;
  else
    rc = fail(s, "lookup");
  bg_store_done(st);
  return rc;
}

/* Count and latest run id of a commit's runs matching the filters (0: none). */
static int commit_stats(struct bg_store *s, long long cid, long long br, long long tb,
                        long long *runs, long long *latest) {
  sqlite3_stmt *st = stmt(s, S_COMMIT_STATS);
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
    rc = fail(s, "commit stats");
  }
  bg_store_done(st);
  return rc;
}

/* Appends the state and counts of run `rid`'s verdict, or null when it has none. */
static int verdict_state_json(struct bg_store *s, long long rid, struct bg_buf *out) {
  static const char *const names[] = {"regressed", "inconclusive", "improved", "missing",
                                      "new",       "unchanged",    "ignored"};
  sqlite3_stmt *st = stmt(s, S_RUN_VERDICT_STATE);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, rid);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
    bg_buf_puts(out, "{\"state\":");
    bg_json_str(out, bg_store_col_text(st, 0));
    bg_buf_puts(out, ",\"counts\":{");
    for (int k = 0; k < 7; k++) {
      bg_buf_printf(out, "%s\"%s\":", k ? "," : "", names[k]);
      bg_json_int(out, sqlite3_column_int64(st, 1 + k));
    }
    bg_buf_puts(out, "}}");
  } else if (step == SQLITE_ROW || step == SQLITE_DONE) {
    bg_buf_puts(out, "null");
  } else {
    rc = fail(s, "verdict state");
  }
  bg_store_done(st);
  return rc;
}

/* Appends one commit of the history with the verdict of its latest matching run `latest`;
 * its sha also goes to `last` (the page cursor). */
static int commit_summary_json(struct bg_store *s, long long cid, long long runs, long long latest,
                               struct bg_buf *out, struct bg_buf *last) {
  sqlite3_stmt *st = stmt(s, S_COMMIT_BY_ID);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  if (sqlite3_step(st) == SQLITE_ROW) {
    bg_buf_puts(out, "{\"sha\":");
    bg_json_str(out, bg_store_col_text(st, 0));
    bg_buf_puts(out, ",\"message\":");
    bg_json_str(out, bg_store_col_text(st, 1));
    bg_buf_puts(out, ",\"author\":");
    bg_json_str(out, bg_store_col_text(st, 2));
    bg_buf_puts(out, ",\"timestamp\":");
    bg_json_str(out, bg_store_col_text(st, 3));
    bg_buf_puts(out, ",\"time\":");
    bg_json_int(out, sqlite3_column_int64(st, 4));
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
    rc = fail(s, "commit");
  }
  bg_store_done(st);
  return rc;
}

/* A name the client gave that name_id did not find (id -1): 404 naming the parameter. */
static int known(long long id, const char *given, const char *param, struct bg_ferr *e) {
  if (!given || id >= 0)
    return BG_OK;
  bg_ferr_set(e, param, "no such %s in this project", param);
  return BG_ENOENT;
}

int bg_store_commits_json(struct bg_store *s, const struct bg_project *p,
                          const struct bg_history_query *q, struct bg_buf *out, struct bg_ferr *e) {
  long long br, tb, cur_epoch = 0, cur_run = 0;
  int rc, step = SQLITE_DONE, n = 0;
  if ((rc = name_id(s, S_BRANCH_FIND, p->id, q->branch, &br)) ||
      (rc = known(br, q->branch, "branch", e)) ||
      (rc = name_id(s, S_TESTBED_FIND, p->id, q->testbed, &tb)) ||
      (rc = known(tb, q->testbed, "testbed", e)))
    return rc;
  sqlite3_stmt *st;
  if (q->before) {
    if (!(st = stmt(s, S_HISTORY_CURSOR)))
      return BG_EDB;
    sqlite3_bind_int64(st, 1, p->id);
    bg_store_bind_id(st, 2, br);
    bg_store_bind_id(st, 3, tb);
    bg_store_bind_text(st, 4, q->before);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      cur_epoch = sqlite3_column_int64(st, 0);
      cur_run = sqlite3_column_int64(st, 1);
    } else if (step == SQLITE_DONE) {
      rc = bg_ferr_set(e, "before", "not a commit of this history");
    } else {
      rc = fail(s, "history cursor");
    }
    bg_store_done(st);
    if (rc)
      return rc;
  }
  /* Walk the runs newest first through an index that matches the filters; the first run met
   * of each commit is its latest, so commits come out in history order without grouping all
   * runs of the project. */
  enum sid walk = br && tb ? S_WALK_BOTH : br ? S_WALK_BRANCH : tb ? S_WALK_TESTBED : S_WALK_ALL;
  if (!(st = stmt(s, walk)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  if (br)
    sqlite3_bind_int64(st, 2, br);
  if (tb)
    sqlite3_bind_int64(st, 3, tb);
  sqlite3_bind_int64(st, 4, q->before ? cur_epoch : LLONG_MAX);
  sqlite3_bind_int64(st, 5, q->before ? cur_run : LLONG_MAX);
  long long *seen = NULL;
  size_t nseen = 0, cap = 0;
  struct bg_buf last;
  bg_buf_init(&last, 0);
  bg_buf_puts(out, "{\"commits\":[");
  while (n < q->limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
    long long cid = sqlite3_column_int64(st, 0), epoch = sqlite3_column_int64(st, 1);
    size_t k = 0;
    while (k < nseen && seen[k] != cid)
      k++;
    if (k < nseen)
      continue;
    bg_xgrow((void **)&seen, &cap, nseen + 1, sizeof *seen);
    seen[nseen++] = cid;
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
    rc = fail(s, "history");
  bg_store_done(st);
  bg_buf_puts(out, "],\"next\":");
  bg_json_str(out, n == q->limit && last.data ? last.data : NULL);
  bg_buf_puts(out, "}");
  bg_buf_free(&last);
  free(seen);
  return rc;
}

int bg_store_commit_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                         struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, S_COMMIT_GET);
  int rc = BG_OK, step, n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_text(st, 2, sha);
  step = sqlite3_step(st);
  if (step != SQLITE_ROW) {
    rc = step == SQLITE_DONE ? BG_ENOENT : fail(s, "commit");
    bg_store_done(st);
    return rc;
  }
  long long cid = sqlite3_column_int64(st, 0);
  bg_buf_puts(out, "\"commit\":{\"sha\":");
  bg_json_str(out, bg_store_col_text(st, 1));
  bg_buf_puts(out, ",\"message\":");
  bg_json_str(out, bg_store_col_text(st, 2));
  bg_buf_puts(out, ",\"author\":");
  bg_json_str(out, bg_store_col_text(st, 3));
  bg_buf_puts(out, ",\"timestamp\":");
  bg_json_str(out, bg_store_col_text(st, 4));
  bg_buf_printf(out, ",\"time\":%lld,\"parents\":", (long long)sqlite3_column_int64(st, 5));
  bg_store_done(st);
  if ((rc = parents_json(s, cid, out)))
    return rc;
  bg_buf_puts(out, "},\"runs\":[");
  if (!(st = stmt(s, S_COMMIT_RUNS)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, cid);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    bg_buf_puts(out, n++ ? ",{\"run_id\":" : "{\"run_id\":");
    bg_json_str(out, bg_store_col_text(st, 0));
    bg_buf_puts(out, ",\"branch\":");
    bg_json_str(out, bg_store_col_text(st, 1));
    bg_buf_puts(out, ",\"testbed\":");
    bg_json_str(out, bg_store_col_text(st, 2));
    bg_buf_printf(
        out, ",\"received_at\":%lld,\"pull_request\":", (long long)sqlite3_column_int64(st, 3));
    json_int_or_null(out, st, 4);
    bg_buf_puts(out, ",\"baseline_sha\":");
    bg_json_str(out, bg_store_col_text(st, 5));
    bg_buf_printf(out, ",\"results\":%lld,\"verdict\":", (long long)sqlite3_column_int64(st, 6));
    json_raw_col(out, st, 7);
    bg_buf_puts(out, "}");
  }
  if (step != SQLITE_DONE)
    rc = fail(s, "commit runs");
  bg_store_done(st);
  bg_buf_puts(out, "]");
  return rc;
}

int bg_store_commit_resolve(struct bg_store *s, long long project_id, const char *prefix, char *sha,
                            size_t shalen, char *other, size_t otherlen) {
  sqlite3_stmt *st = stmt(s, S_COMMIT_PREFIX);
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
    rc = fail(s, "commit prefix");
  else if (rows == 0)
    rc = BG_ENOENT;
  bg_store_done(st);
  return rc;
}

/* ---- benchmarks and series ---- */

/* Resolves the testbed of a read: the named one (id -1 when unknown), or the project's only
 * testbed when name is NULL (id -1 when it has none). Sets *name_out to the name used. */
static int pick_testbed(struct bg_store *s, const struct bg_project *p, const char *name,
                        long long *id, char *name_out, size_t n, struct bg_ferr *e) {
  if (name) {
    bg_store_copy_text(name_out, n, name);
    return name_id(s, S_TESTBED_FIND, p->id, name, id);
  }
  sqlite3_stmt *st = stmt(s, S_TESTBED_ONLY);
  int rc = BG_OK, step, rows = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  *id = -1;
  name_out[0] = '\0';
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (rows++ == 0) {
      *id = sqlite3_column_int64(st, 0);
      bg_store_copy_text(name_out, n, bg_store_col_text(st, 1));
    }
  }
  if (step != SQLITE_DONE)
    rc = fail(s, "testbeds");
  else if (rows > 1)
    rc = bg_ferr_set(e, "testbed", "required: the project has several testbeds");
  bg_store_done(st);
  return rc;
}

#define LATEST_IDLE_RUNS 3

struct latest {
  long long bid, mid, n;
  char *benchmark, *measure, *unit, *direction, *sha;
  long long time;
  double mean, stddev;
};

static int cmp_latest(const void *a, const void *b) {
  const struct latest *x = a, *y = b;
  int c = strcmp(x->benchmark, y->benchmark);
  return c ? c : strcmp(x->measure, y->measure);
}

int bg_store_benchmarks_json(struct bg_store *s, const struct bg_project *p, const char *testbed,
                             const char *branch, struct bg_buf *out, struct bg_ferr *e) {
  char tbname[80];
  long long tb, br, runs[BG_STORE_LATEST_RUNS], times[BG_STORE_LATEST_RUNS];
  char shas[BG_STORE_LATEST_RUNS][65];
  int rc, step, nruns = 0;
  const char *bname = branch ? branch : p->default_branch;
  struct latest *items = NULL;
  size_t nitems = 0, cap = 0;
  struct id_cache seen = {0};
  if ((rc = pick_testbed(s, p, testbed, &tb, tbname, sizeof tbname, e)) ||
      (rc = known(tb, testbed, "testbed", e)) ||
      (rc = name_id(s, S_BRANCH_FIND, p->id, bname, &br)) || (rc = known(br, branch, "branch", e)))
    return rc;
  sqlite3_stmt *st = stmt(s, S_LATEST_RUNS);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  sqlite3_bind_int64(st, 2, tb);
  sqlite3_bind_int64(st, 3, br);
  sqlite3_bind_int(st, 4, BG_STORE_LATEST_RUNS);
  while ((step = sqlite3_step(st)) == SQLITE_ROW && nruns < BG_STORE_LATEST_RUNS) {
    runs[nruns] = sqlite3_column_int64(st, 0);
    bg_store_copy_text(shas[nruns], sizeof shas[nruns], bg_store_col_text(st, 1));
    times[nruns++] = sqlite3_column_int64(st, 2);
  }
  if (step != SQLITE_DONE && step != SQLITE_ROW)
    rc = fail(s, "latest runs");
  bg_store_done(st);
  /* Runs usually carry the same benchmarks, so stop once a few runs in a row add nothing. */
  for (int i = 0, idle = 0; i < nruns && rc == BG_OK && idle < LATEST_IDLE_RUNS; i++) {
    size_t before = nitems;
    if (!(st = stmt(s, S_RUN_SUMMARIES))) {
      rc = BG_EDB;
      break;
    }
    sqlite3_bind_int64(st, 1, runs[i]);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
      long long bid = sqlite3_column_int64(st, 0), mid = sqlite3_column_int64(st, 1);
      char key[48];
      snprintf(key, sizeof key, "%lld/%lld", bid, mid);
      if (id_cache_get(&seen, 0, 0, key))
        continue;
      id_cache_put(&seen, 0, 0, key, 1);
      bg_xgrow((void **)&items, &cap, nitems + 1, sizeof *items);
      struct latest *l = &items[nitems++];
      l->bid = bid;
      l->mid = mid;
      l->benchmark = bg_xstrdup(bg_store_col_text(st, 2));
      l->measure = bg_xstrdup(bg_store_col_text(st, 3));
      l->unit = bg_xstrdup(bg_store_col_text(st, 4));
      l->direction = bg_xstrdup(bg_store_col_text(st, 5));
      l->n = sqlite3_column_int64(st, 6);
      l->mean = sqlite3_column_double(st, 7);
      l->stddev = sqlite3_column_double(st, 8);
      l->sha = shas[i];
      l->time = times[i];
    }
    if (step != SQLITE_DONE)
      rc = fail(s, "run summaries");
    bg_store_done(st);
    idle = nitems == before ? idle + 1 : 0;
  }
  if (nitems)
    qsort(items, nitems, sizeof *items, cmp_latest);
  bg_buf_puts(out, "{\"testbed\":");
  bg_json_str(out, tbname[0] ? tbname : NULL);
  bg_buf_puts(out, ",\"branch\":");
  bg_json_str(out, bname);
  bg_buf_puts(out, ",\"benchmarks\":[");
  for (size_t i = 0; i < nitems; i++) {
    struct latest *l = &items[i];
    bg_buf_puts(out, i ? ",{\"benchmark\":" : "{\"benchmark\":");
    bg_json_str(out, l->benchmark);
    bg_buf_puts(out, ",\"measure\":");
    bg_json_str(out, l->measure);
    bg_buf_puts(out, ",\"unit\":");
    bg_json_str(out, l->unit);
    bg_buf_puts(out, ",\"direction\":");
    bg_json_str(out, l->direction);
    bg_buf_puts(out, ",\"latest\":{\"sha\":");
    bg_json_str(out, l->sha);
    bg_buf_printf(out, ",\"time\":%lld,\"n\":%lld,\"mean\":", l->time, l->n);
    bg_json_num(out, l->mean);
    bg_buf_puts(out, ",\"stddev\":");
    bg_json_num(out, l->stddev);
    bg_buf_puts(out, "},\"change\":null}");
    free(l->benchmark);
    free(l->measure);
    free(l->unit);
    free(l->direction);
  }
  bg_buf_puts(out, "]}");
  free(items);
  id_cache_clear(&seen);
  return rc;
}

struct point {
  long long commit, time, n;
  size_t sha_off;
  double mean, m2; /* pooled mean and sum of squared deviations */
};

/* One run's result for a series, before sorting and pooling. */
struct series_row {
  long long time, commit, run, n;
  size_t sha_off;
  double mean, sd;
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

/* Pools one run's (n, mean, stddev) into a point (parallel-variance formula). */
static void pool(struct point *pt, long long n, double mean, double sd) {
  double m2 = sd * sd * (double)(n > 1 ? n - 1 : 0);
  if (pt->n == 0) {
    pt->n = n;
    pt->mean = mean;
    pt->m2 = m2;
    return;
  }
  double total = (double)(pt->n + n), d = mean - pt->mean;
  pt->m2 += m2 + d * d * (double)pt->n * (double)n / total;
  pt->mean += d * (double)n / total;
  pt->n += n;
}

int bg_store_series_json(struct bg_store *s, const struct bg_project *p,
                         const struct bg_series_query *q, struct bg_buf *out, struct bg_ferr *e) {
  char tbname[80], unit[40] = "", direction[8] = "";
  long long tb, br, bid = 0, mid = 0;
  const char *bname = q->branch ? q->branch : p->default_branch;
  int rc, step;
  struct point *pts = NULL;
  struct series_row *rows = NULL;
  size_t npts = 0, cap = 0, nrows = 0, rcap = 0;
  struct bg_buf shas;
  bg_buf_init(&shas, 0);
  if ((rc = pick_testbed(s, p, q->testbed, &tb, tbname, sizeof tbname, e)) ||
      (rc = known(tb, q->testbed, "testbed", e)) ||
      (rc = name_id(s, S_BRANCH_FIND, p->id, bname, &br)) ||
      (rc = known(br, q->branch, "branch", e)) ||
      (rc = name_id(s, S_BENCH_FIND, p->id, q->benchmark, &bid)))
    goto out;
  if (bid < 0) {
    bg_ferr_set(e, "benchmark", "no such benchmark in this project");
    rc = BG_ENOENT;
    goto out;
  }
  sqlite3_stmt *st = stmt(s, S_MEASURE_FIND);
  if (!st) {
    rc = BG_EDB;
    goto out;
  }
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_text(st, 2, q->measure);
  step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    mid = sqlite3_column_int64(st, 0);
    bg_store_copy_text(unit, sizeof unit, bg_store_col_text(st, 1));
    bg_store_copy_text(direction, sizeof direction, bg_store_col_text(st, 2));
  } else if (step != SQLITE_DONE)
    rc = fail(s, "measure");
  bg_store_done(st);
  if (rc)
    goto out;
  if (!mid) {
    bg_ferr_set(e, "measure", "no such measure in this project");
    rc = BG_ENOENT;
    goto out;
  }
  if (!(st = stmt(s, S_SERIES))) {
    rc = BG_EDB;
    goto out;
  }
  sqlite3_bind_int64(st, 1, bid);
  sqlite3_bind_int64(st, 2, mid);
  sqlite3_bind_int64(st, 3, tb);
  sqlite3_bind_int64(st, 4, br);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    bg_xgrow((void **)&rows, &rcap, nrows + 1, sizeof *rows);
    struct series_row *r = &rows[nrows++];
    r->commit = sqlite3_column_int64(st, 0);
    r->sha_off = shas.len;
    bg_buf_append(&shas, bg_store_col_text(st, 1), (size_t)sqlite3_column_bytes(st, 1) + 1);
    r->time = sqlite3_column_int64(st, 2);
    r->n = sqlite3_column_int64(st, 3);
    r->mean = sqlite3_column_double(st, 4);
    r->sd = sqlite3_column_double(st, 5);
    r->run = sqlite3_column_int64(st, 6);
  }
  if (step != SQLITE_DONE)
    rc = fail(s, "series");
  bg_store_done(st);
  if (nrows)
    qsort(rows, nrows, sizeof *rows, cmp_series_row);
  /* Newest first: pool the runs of each commit until `limit` commits are in. */
  for (size_t i = 0; i < nrows && rc == BG_OK; i++) {
    const struct series_row *r = &rows[i];
    if (!npts || pts[npts - 1].commit != r->commit) {
      if ((int)npts == q->limit)
        break;
      bg_xgrow((void **)&pts, &cap, npts + 1, sizeof *pts);
      struct point *pt = &pts[npts++];
      memset(pt, 0, sizeof *pt);
      pt->commit = r->commit;
      pt->sha_off = r->sha_off;
      pt->time = r->time;
    }
    pool(&pts[npts - 1], r->n, r->mean, r->sd);
  }
  if (rc)
    goto out;
  bg_buf_puts(out, "{\"benchmark\":");
  bg_json_str(out, q->benchmark);
  bg_buf_puts(out, ",\"measure\":");
  bg_json_str(out, q->measure);
  bg_buf_puts(out, ",\"unit\":");
  bg_json_str(out, unit);
  bg_buf_puts(out, ",\"direction\":");
  bg_json_str(out, direction);
  bg_buf_puts(out, ",\"testbed\":");
  bg_json_str(out, tbname[0] ? tbname : NULL);
  bg_buf_puts(out, ",\"branch\":");
  bg_json_str(out, bname);
  bg_buf_puts(out, ",\"points\":[");
  for (size_t k = 0; k < npts; k++) {
    const struct point *pt = &pts[npts - 1 - k];
    double sd = pt->n > 1 ? sqrt(pt->m2 / (double)(pt->n - 1)) : 0.0;
    double half = 1.96 * sd / sqrt((double)pt->n);
    bg_buf_puts(out, k ? ",{\"sha\":" : "{\"sha\":");
    bg_json_str(out, shas.data + pt->sha_off);
    bg_buf_puts(out, ",\"time\":");
    bg_json_int(out, pt->time);
    bg_buf_puts(out, ",\"n\":");
    bg_json_int(out, pt->n);
    bg_buf_puts(out, ",\"mean\":");
    bg_json_num12(out, pt->mean);
    bg_buf_puts(out, ",\"lower\":");
    bg_json_num12(out, pt->mean - half);
    bg_buf_puts(out, ",\"upper\":");
    bg_json_num12(out, pt->mean + half);
    bg_buf_puts(out, "}");
  }
  bg_buf_puts(out, "],");
  /* Change points and alerts take the points' commits oldest first. */
  long long *cids = bg_xmalloc((npts ? npts : 1) * sizeof *cids);
  for (size_t k = 0; k < npts; k++)
    cids[k] = pts[npts - 1 - k].commit;
  rc = bg_changepoints_series_json(s, p->id, tb, bid, mid, cids, npts,
                                   strcmp(bname, p->default_branch) == 0, out);
  free(cids);
  bg_buf_puts(out, "}");
out:
  free(pts);
  free(rows);
  bg_buf_free(&shas);
  return rc;
}

/* ---- tokens ---- */

int bg_store_token_insert(struct bg_store *s, long long project_id, const char *role,
                          const char *name, const unsigned char hash[32], long long *id) {
  sqlite3_stmt *st = stmt(s, S_TOKEN_INSERT);
  int rc;
  if (!st)
    return BG_EDB;
  bg_store_bind_id(st, 1, project_id);
  bg_store_bind_text(st, 2, role);
  bg_store_bind_text(st, 3, name);
  sqlite3_bind_blob(st, 4, hash, 32, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, (long long)time(NULL));
  if ((rc = exec_stmt(s, st, "insert token")) == BG_OK)
    *id = sqlite3_last_insert_rowid(bg_store_sqlite(s));
  return rc;
}

int bg_store_token_find(struct bg_store *s, const unsigned char hash[32],
                        struct bg_token_row *out) {
  sqlite3_stmt *st = stmt(s, S_TOKEN_FIND);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW && sqlite3_column_bytes(st, 3) == 32) {
    out->id = sqlite3_column_int64(st, 0);
    out->project_id = sqlite3_column_int64(st, 1);
    bg_store_copy_text(out->role, sizeof out->role, bg_store_col_text(st, 2));
    memcpy(out->hash, sqlite3_column_blob(st, 3), 32);
    out->revoked = sqlite3_column_type(st, 4) != SQLITE_NULL;
  } else if (step == SQLITE_ROW || step == SQLITE_DONE) {
    rc = BG_ENOENT;
  } else {
    rc = fail(s, "token");
  }
  bg_store_done(st);
  return rc;
}

int bg_store_token_list(struct bg_store *s, struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, S_TOKEN_LIST);
  int rc = BG_OK, step;
  if (!st)
    return BG_EDB;
  bg_buf_puts(out, "ID\tPROJECT\tROLE\tNAME\tCREATED\tREVOKED\n");
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    char created[32] = "-", revoked[32] = "-";
    for (int k = 0; k < 2; k++) {
      if (sqlite3_column_type(st, 4 + k) == SQLITE_NULL)
        continue;
      time_t t = (time_t)sqlite3_column_int64(st, 4 + k);
      struct tm tm;
      gmtime_r(&t, &tm);
      strftime(k ? revoked : created, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    const char *proj = bg_store_col_text(st, 1), *name = bg_store_col_text(st, 3);
    bg_buf_printf(out, "%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)sqlite3_column_int64(st, 0),
                  proj ? proj : "*", bg_store_col_text(st, 2), name ? name : "-", created, revoked);
  }
  if (step != SQLITE_DONE)
    rc = fail(s, "tokens");
  bg_store_done(st);
  return rc;
}

int bg_store_token_revoke(struct bg_store *s, long long id) {
  sqlite3_stmt *st = stmt(s, S_TOKEN_REVOKE);
  int rc;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, (long long)time(NULL));
  if ((rc = exec_stmt(s, st, "revoke token")) == BG_OK && sqlite3_changes(bg_store_sqlite(s)) == 0)
    rc = BG_ENOENT;
  return rc;
}

/* ---- backup ---- */

int bg_store_backup(const char *db_path, const char *out_path, char *err, size_t errlen) {
  sqlite3 *src = NULL, *dst = NULL;
  int rc = BG_OK;
  if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "%s: %s", db_path, src ? sqlite3_errmsg(src) : "out of memory");
    rc = BG_EDB;
    goto out;
  }
  sqlite3_busy_timeout(src, BG_DB_BUSY_MS);
  if (sqlite3_open_v2(out_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK) {
    snprintf(err, errlen, "%s: %s", out_path, dst ? sqlite3_errmsg(dst) : "out of memory");
    rc = BG_EIO;
    goto out;
  }
  sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) {
    snprintf(err, errlen, "%s: %s", out_path, sqlite3_errmsg(dst));
    rc = BG_EDB;
    goto out;
  }
  /* Copy in steps so writers of the live database are not blocked for the whole copy. */
  int step;
  while ((step = sqlite3_backup_step(b, 1024)) == SQLITE_OK || step == SQLITE_BUSY ||
         step == SQLITE_LOCKED)
    if (step != SQLITE_OK)
      sqlite3_sleep(10);
  sqlite3_backup_finish(b);
  if (step != SQLITE_DONE) {
    snprintf(err, errlen, "backup: %s", sqlite3_errstr(step));
    rc = BG_EDB;
  }
out:
  sqlite3_close(src);
  sqlite3_close(dst);
  return rc;
}
