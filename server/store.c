/* store.c: projects, tokens, the lookups of names the other storage modules share, backup.
 *
 * How an upload's run is stored is in store_runs.c, the reads in reads.c and series.c;
 * connections, statements and transactions in db.c.
 */
#include "store.h"

#include "interleave.h"

#include "confirm.h"
#include "db_sql.h"
#include "json.h"
#include "mem.h"
#include "store_private.h"

#include <limits.h>
#include <math.h>
#include <sqlite3.h>
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
  S_TESTBED_FIND,
  S_BRANCH_FIND,
  S_MEASURE_FIND,
  S_COMMIT_FIND,
  S_RUN_PARENTS,
  S_SERIES_NAMES,
  S_TESTBED_ONLY,
  S_TOKEN_INSERT,
  S_TOKEN_FIND,
  S_TOKEN_LIST,
  S_TOKEN_REVOKE,
  S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_PING] = "SELECT count(*) FROM projects",
    [S_PROJECT_INSERT] = "INSERT INTO projects (slug, github_repo, default_branch, created_at, "
                         "alpha, gate_window, noise_window, pr_comments, confirm_runs, comparison, "
                         "interleave_rounds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [S_PROJECT_GET] = "SELECT id, slug, github_repo, default_branch, alpha, created_at, "
                      "gate_window, noise_window, pr_comments, confirm_runs, comparison, "
                      "interleave_rounds FROM projects WHERE slug = ?1",
    [S_PROJECT_LIST] = "SELECT id, slug, github_repo, default_branch, alpha, created_at, "
                       "gate_window, noise_window, pr_comments, confirm_runs, comparison, "
                       "interleave_rounds FROM projects WHERE ?1 = 0 OR id = ?1 ORDER BY slug",
    [S_TESTBED_FIND] = "SELECT id, fingerprint FROM testbeds WHERE project_id = ?1 AND name = ?2",
    [S_BRANCH_FIND] = "SELECT id FROM branches WHERE project_id = ?1 AND name = ?2",
    [S_MEASURE_FIND] =
        "SELECT id, unit, direction FROM measures WHERE project_id = ?1 AND slug = ?2",
    [S_COMMIT_FIND] = "SELECT id, epoch FROM commits WHERE project_id = ?1 AND sha = ?2",
    [S_RUN_PARENTS] =
        "SELECT parent_sha FROM commit_parents WHERE commit_id = ?1 ORDER BY position",
    [S_SERIES_NAMES] = "SELECT b.name, m.slug, m.unit, m.direction FROM benchmarks b, measures m "
                       "WHERE b.id = ?1 AND m.id = ?2",
    [S_TESTBED_ONLY] = "SELECT id, name FROM testbeds WHERE project_id = ?1 ORDER BY id LIMIT 2",
    [S_TOKEN_INSERT] = "INSERT INTO tokens (project_id, role, name, hash, created_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_TOKEN_FIND] =
        "SELECT id, project_id, role, hash, revoked_at, name FROM tokens WHERE hash = ?1",
    [S_TOKEN_LIST] = "SELECT t.id, p.slug, t.role, t.name, t.created_at, t.revoked_at "
                     "FROM tokens t LEFT JOIN projects p ON p.id = t.project_id ORDER BY t.id",
    [S_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
};

static const struct bg_store_module store_sql = {"store", sql_text, S_COUNT, NULL, NULL};

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
  p->pr_comments = sqlite3_column_int(st, 8);
  p->confirm_runs = sqlite3_column_int(st, 9);
  enum bg_compare_mode mode = BG_COMPARE_HISTORY;
  bg_compare_mode_parse(bg_store_col_text(st, 10), &mode);
  p->comparison = mode;
  p->interleave_rounds = sqlite3_column_int(st, 11);
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

/* S_PROJECT_LIST filters on ?1. */
int bg_store_project_by_id(struct bg_store *s, long long id, struct bg_project *out) {
  sqlite3_stmt *st = stmt(s, S_PROJECT_LIST);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  return one_project(s, st, out);
}

int bg_store_project_create(struct bg_store *s, const char *slug, const char *github_repo,
                            const char *default_branch, struct bg_project *out) {
  const struct bg_project_settings none = {0};
  return bg_store_project_create_gated(s, slug, github_repo, default_branch, &none, out);
}

int bg_store_project_create_gated(struct bg_store *s, const char *slug, const char *github_repo,
                                  const char *default_branch, const struct bg_project_settings *set,
                                  struct bg_project *out) {
  sqlite3_stmt *st = stmt(s, S_PROJECT_INSERT);
  double alpha = set->alpha;
  int rc = BG_OK, window = set->window, noise_window = set->noise_window;
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
  sqlite3_bind_int(st, 8, set->pr_comments != 0);
  sqlite3_bind_int(st, 9,
                   set->confirm_runs < 0   ? 0
                   : set->confirm_runs > 0 ? set->confirm_runs
                                           : BG_CONFIRM_DEFAULT_RUNS);
  bg_store_bind_text(st, 10, bg_compare_mode_name(set->comparison));
  sqlite3_bind_int(st, 11,
                   set->interleave_rounds > 0 ? set->interleave_rounds : BG_INTERLEAVE_DEFAULT_ROUNDS);
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
  bg_buf_puts(out, ",\"gate_window\":");
  bg_json_int(out, p->gate_window);
  bg_buf_puts(out, ",\"noise_window\":");
  bg_json_int(out, p->noise_window);
  bg_buf_puts(out, p->pr_comments ? ",\"pr_comments\":true" : ",\"pr_comments\":false");
  bg_buf_puts(out, ",\"confirm_runs\":");
  bg_json_int(out, p->confirm_runs);
  bg_buf_puts(out, ",\"comparison\":");
  bg_json_str(out, bg_compare_mode_name(p->comparison));
  bg_buf_puts(out, ",\"interleave_rounds\":");
  bg_json_int(out, p->interleave_rounds);
  bg_buf_puts(out, ",\"created_at\":");
  bg_json_int(out, p->created_at);
  bg_buf_puts(out, "}");
}

int bg_store_json_rows(struct bg_store *s, sqlite3_stmt *st, bg_store_row_json_fn row, void *ctx,
                       struct bg_buf *out, int *count, const char *what) {
  int rc = BG_OK, step, n = 0;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (n++)
      bg_buf_puts(out, ",");
    row(ctx, out, st);
  }
  if (step != SQLITE_DONE)
    rc = fail(s, what);
  bg_store_done(st);
  if (count)
    *count = n;
  return rc;
}

int bg_store_id_rows(struct bg_store *s, sqlite3_stmt *st, long long **ids, size_t *n,
                     const char *what) {
  size_t cap = 0;
  int rc = BG_OK, step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    bg_xgrow((void **)ids, &cap, *n + 1, sizeof **ids);
    (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
  }
  if (step != SQLITE_DONE)
    rc = fail(s, what);
  bg_store_done(st);
  return rc;
}

static void project_row_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  struct bg_project p;
  (void)ctx;
  read_project(st, &p);
  bg_store_project_json(&p, out);
}

int bg_store_projects_json(struct bg_store *s, long long only_id, struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, S_PROJECT_LIST);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, only_id);
  bg_buf_puts(out, "[");
  int rc = bg_store_json_rows(s, st, project_row_json, NULL, out, NULL, "projects");
  bg_buf_puts(out, "]");
  return rc;
}

/* ---- the lookups of names: testbeds, branches, commits, measures, parents ---- */

int bg_store_testbed_id(struct bg_store *s, long long project_id, const char *name, long long *id,
                        char **fingerprint) {
  sqlite3_stmt *st = stmt(s, S_TESTBED_FIND);
  if (!fingerprint)
    return bg_store_lookup_id(s, st, project_id, name, id);
  int rc = BG_OK;
  *id = 0;
  *fingerprint = NULL;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bg_store_bind_text(st, 2, name);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    const char *fp = bg_store_col_text(st, 1);
    *id = sqlite3_column_int64(st, 0);
    *fingerprint = fp ? bg_xstrdup(fp) : NULL;
  } else if (step != SQLITE_DONE) {
    rc = fail(s, "testbed");
  }
  bg_store_done(st);
  return rc;
}

int bg_store_testbed_find(struct bg_store *s, long long project_id, const char *name, int required,
                          long long *id, char *name_out, size_t n, struct bg_ferr *e) {
  *id = 0;
  if (name) {
    int rc = bg_store_testbed_id(s, project_id, name, id, NULL);
    if (rc == BG_OK && !*id)
      return bg_store_no_such(e, "testbed");
    if (rc == BG_OK)
      bg_store_copy_text(name_out, n, name);
    return rc;
  }
  sqlite3_stmt *st = stmt(s, S_TESTBED_ONLY);
  int rc = BG_OK, step, rows = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
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
  else if (rows == 0 && required)
    rc = bg_store_no_such(e, "testbed");
  bg_store_done(st);
  return rc;
}

int bg_store_branch_id(struct bg_store *s, long long project_id, const char *name, long long *id) {
  return bg_store_lookup_id(s, stmt(s, S_BRANCH_FIND), project_id, name, id);
}

int bg_store_commit_find(struct bg_store *s, long long project_id, const char *sha, long long *id,
                         long long *epoch) {
  sqlite3_stmt *st = stmt(s, S_COMMIT_FIND);
  int rc = BG_OK;
  *id = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bg_store_bind_text(st, 2, sha);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    if (epoch)
      *epoch = sqlite3_column_int64(st, 1);
  } else if (step != SQLITE_DONE) {
    rc = fail(s, "commit");
  }
  bg_store_done(st);
  return rc;
}

int bg_store_measure_find(struct bg_store *s, long long project_id, const char *slug,
                          struct bg_store_measure *out) {
  sqlite3_stmt *st = stmt(s, S_MEASURE_FIND);
  int rc = BG_OK;
  memset(out, 0, sizeof *out);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bg_store_bind_text(st, 2, slug);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    out->id = sqlite3_column_int64(st, 0);
    bg_store_copy_text(out->unit, sizeof out->unit, bg_store_col_text(st, 1));
    bg_store_copy_text(out->direction, sizeof out->direction, bg_store_col_text(st, 2));
  } else if (step != SQLITE_DONE) {
    rc = fail(s, "measure");
  }
  bg_store_done(st);
  return rc;
}

int bg_store_commit_parents(struct bg_store *s, long long commit_id, struct bg_buf *shas,
                            size_t *n) {
  sqlite3_stmt *st = stmt(s, S_RUN_PARENTS);
  int rc = BG_OK, step;
  *n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, commit_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *sha = bg_store_col_text(st, 0);
    bg_buf_append(shas, sha, strlen(sha) + 1);
    (*n)++;
  }
  if (step != SQLITE_DONE)
    rc = fail(s, "parents");
  bg_store_done(st);
  return rc;
}

int bg_store_series_names(struct bg_store *s, long long benchmark_id, long long measure_id,
                          struct bg_store_series_names *out) {
  sqlite3_stmt *st = stmt(s, S_SERIES_NAMES);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, benchmark_id);
  sqlite3_bind_int64(st, 2, measure_id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    bg_store_copy_text(out->benchmark, sizeof out->benchmark, bg_store_col_text(st, 0));
    bg_store_copy_text(out->measure, sizeof out->measure, bg_store_col_text(st, 1));
    bg_store_copy_text(out->unit, sizeof out->unit, bg_store_col_text(st, 2));
    bg_store_copy_text(out->direction, sizeof out->direction, bg_store_col_text(st, 3));
  } else {
    rc = fail(s, "names");
  }
  bg_store_done(st);
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
    const unsigned char *name = sqlite3_column_text(st, 5);
    snprintf(out->name, sizeof out->name, "%s", name ? (const char *)name : "");
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
  /* One step, in one read transaction: in WAL mode a reader does not block the server's
   * writers (they go on appending to the WAL), and the copy is the snapshot of its start. A
   * copy in several steps would start over each time another connection wrote between two
   * of them, which under steady uploads is never done. */
  int step;
  while ((step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED)
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
