/* project_reads.c: the reads of projects for the dashboard (project_reads.h).
 *
 * A project's latest commit is the first row of its default branch's runs newest first
 * (index runs_by_branch), joined to its commit: the commit that history lists first, with the
 * verdict of its latest run there, as GET /commits shows it. Its branches' newest runs are one
 * indexed lookup per branch inside one statement.
 */
#include "project_reads.h"

#include "db_sql.h"
#include "json.h"
#include "mem.h"
#include "store_private.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum pid { P_IDS, P_LATEST, P_TESTBEDS, P_BRANCHES, P_COUNT };

static const char *const sql_text[P_COUNT] = {
    [P_IDS] = "SELECT id FROM projects WHERE ?1 = 0 OR id = ?1 ORDER BY slug",
    [P_LATEST] = "SELECT c.sha, c.epoch, c.message, " BG_STORE_VERDICT_STATE("r") ", r.n_regressed, "
                 "r.n_inconclusive, r.n_improved, r.n_missing, r.n_new, r.n_unchanged, "
                 "r.n_ignored FROM runs r JOIN commits c ON c.id = r.commit_id "
                 "WHERE r.project_id = ?1 AND r.branch_id = "
                 "(SELECT id FROM branches WHERE project_id = ?1 AND name = ?2) "
                 "ORDER BY r.commit_epoch DESC, r.id DESC LIMIT 1",
    [P_TESTBEDS] = "SELECT name FROM testbeds WHERE project_id = ?1 ORDER BY name",
    [P_BRANCHES] = "SELECT b.name, r.pull_request, r.commit_epoch FROM branches b LEFT JOIN runs r "
                   "ON r.id = (SELECT id FROM runs WHERE project_id = ?1 AND branch_id = b.id "
                   "ORDER BY commit_epoch DESC, id DESC LIMIT 1) WHERE b.project_id = ?1 "
                   "ORDER BY b.name = ?2 DESC, r.commit_epoch IS NULL, r.commit_epoch DESC, b.name "
                   "LIMIT ?3",
};

static const struct bg_store_module project_reads_sql = {"project_reads", sql_text, P_COUNT, NULL,
                                                         NULL};

static sqlite3_stmt *stmt(struct bg_store *s, enum pid id) {
  return bg_store_stmt(s, &project_reads_sql, (size_t)id);
}

void bg_project_reads_subject_json(struct bg_buf *out, const char *message) {
  char line[BG_SUBJECT_MAX + 1];
  size_t n = 0;
  if (!message) {
    bg_buf_puts(out, "null");
    return;
  }
  while (n < BG_SUBJECT_MAX && message[n] && message[n] != '\n' && message[n] != '\r')
    n++;
  /* Cut inside a multi-byte character: drop its lead and continuation bytes. */
  if (n == BG_SUBJECT_MAX && ((unsigned char)message[n] & 0xC0) == 0x80)
    while (n > 0 && ((unsigned char)message[n] & 0xC0) != 0xC0)
      n--;
  memcpy(line, message, n);
  line[n] = '\0';
  bg_json_str(out, line);
}

/* Appends the verdict of the row's columns col.. (state, then the seven counts), or null. */
static void verdict_json(struct bg_buf *out, sqlite3_stmt *st, int col) {
  static const char *const names[] = {
      "{\"regressed\":", ",\"inconclusive\":", ",\"improved\":", ",\"missing\":",
      ",\"new\":",       ",\"unchanged\":",    ",\"ignored\":"};
  if (sqlite3_column_type(st, col) == SQLITE_NULL) {
    bg_buf_puts(out, "null");
    return;
  }
  bg_buf_puts(out, "{\"state\":");
  bg_json_str(out, bg_store_col_text(st, col));
  bg_buf_puts(out, ",\"counts\":");
  for (int k = 0; k < 7; k++) {
    bg_buf_puts(out, names[k]);
    bg_json_int(out, sqlite3_column_int64(st, col + 1 + k));
  }
  bg_buf_puts(out, "}}");
}

/* Appends ,"latest":{...}|null for project p. */
static int latest_json(struct bg_store *s, const struct bg_project *p, struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, P_LATEST);
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_text(st, 2, p->default_branch);
  int step = sqlite3_step(st);
  bg_buf_puts(out, ",\"latest\":");
  if (step == SQLITE_ROW) {
    bg_buf_puts(out, "{\"sha\":");
    bg_json_str(out, bg_store_col_text(st, 0));
    bg_buf_puts(out, ",\"time\":");
    bg_json_int(out, sqlite3_column_int64(st, 1));
    bg_buf_puts(out, ",\"subject\":");
    bg_project_reads_subject_json(out, bg_store_col_text(st, 2));
    bg_buf_puts(out, ",\"verdict\":");
    verdict_json(out, st, 3);
    bg_buf_puts(out, "}");
  } else if (step == SQLITE_DONE) {
    bg_buf_puts(out, "null");
  } else {
    rc = bg_store_fail(s, "latest commit");
  }
  bg_store_done(st);
  return rc;
}

/* Appends project p's object without its closing brace, so members can follow. */
static void project_open_json(const struct bg_project *p, struct bg_buf *out) {
  bg_store_project_json(p, out);
  out->len--; /* the '}' bg_store_project_json ends with */
  out->data[out->len] = '\0';
}

int bg_project_reads_list_json(struct bg_store *s, long long only_id, struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, P_IDS);
  long long *ids = NULL;
  size_t n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, only_id);
  int rc = bg_store_id_rows(s, st, &ids, &n, "projects");
  bg_buf_puts(out, "[");
  for (size_t i = 0; i < n && rc == BG_OK; i++) {
    struct bg_project p;
    if ((rc = bg_store_project_by_id(s, ids[i], &p)))
      break;
    bg_buf_puts(out, i ? "," : "");
    project_open_json(&p, out);
    if ((rc = latest_json(s, &p, out)) == BG_OK)
      bg_buf_puts(out, "}");
  }
  bg_buf_puts(out, "]");
  free(ids);
  return rc;
}

static void testbed_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  (void)ctx;
  bg_json_str(out, bg_store_col_text(st, 0));
}

static void branch_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  (void)ctx;
  bg_buf_puts(out, "{\"name\":");
  bg_json_str(out, bg_store_col_text(st, 0));
  bg_buf_puts(out, ",\"pull_request\":");
  if (sqlite3_column_type(st, 1) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_json_int(out, sqlite3_column_int64(st, 1));
  bg_buf_puts(out, ",\"last_time\":");
  if (sqlite3_column_type(st, 2) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_json_int(out, sqlite3_column_int64(st, 2));
  bg_buf_puts(out, "}");
}

int bg_project_reads_detail_json(struct bg_store *s, const struct bg_project *p,
                                 struct bg_buf *out) {
  sqlite3_stmt *st = stmt(s, P_TESTBEDS);
  if (!st)
    return BG_EDB;
  project_open_json(p, out);
  sqlite3_bind_int64(st, 1, p->id);
  bg_buf_puts(out, ",\"testbeds\":[");
  int rc = bg_store_json_rows(s, st, testbed_json, NULL, out, NULL, "testbeds");
  if (rc)
    return rc;
  if (!(st = stmt(s, P_BRANCHES)))
    return BG_EDB;
  sqlite3_bind_int64(st, 1, p->id);
  bg_store_bind_text(st, 2, p->default_branch);
  sqlite3_bind_int(st, 3, BG_PROJECT_READS_BRANCHES);
  bg_buf_puts(out, "],\"branches\":[");
  rc = bg_store_json_rows(s, st, branch_json, NULL, out, NULL, "branches");
  bg_buf_puts(out, "]}");
  return rc;
}
