/* db_check.c: the read-only health check of a database file (db_check.h). */
#include "db_check.h"

#include "error.h"
#include "migrations.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define FINDINGS_MAX (64 * 1024)

/* Appends a finding line while fewer than BG_DB_CHECK_LINES of this kind were written. */
static void finding(struct bg_db_check *c, long long nth, const char *kind, const char *text) {
  if (nth < BG_DB_CHECK_LINES)
    bg_buf_printf(&c->findings, "%s: %s\n", kind, text);
  else if (nth == BG_DB_CHECK_LINES)
    bg_buf_printf(&c->findings, "%s: (more not shown)\n", kind);
}

/* The first column of a one-row query as an integer; -1 when it fails. */
static long long scalar(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Sets err from the connection's last error; BG_EDB. */
static int fail(sqlite3 *db, const char *what, char *err, size_t errlen) {
  snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
  return BG_EDB;
}

/* Opens path read-only and makes sure it is a benchgate database: SQLite that answers,
 * with a schema version or the runs table. */
static int open_file(const char *path, sqlite3 **db, char *err, size_t errlen) {
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "not a regular file");
    return BG_ENOENT;
  }
  if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "out of memory");
    return BG_EINVAL;
  }
  sqlite3_extended_result_codes(*db, 1);
  sqlite3_busy_timeout(*db, 5000);
  long long tables = scalar(*db, "SELECT count(*) FROM sqlite_master");
  if (tables < 0) {
    int code = sqlite3_errcode(*db) & 0xff;
    snprintf(err, errlen, "%s: reading the schema: %s", path, sqlite3_errmsg(*db));
    return code == SQLITE_NOTADB ? BG_EINVAL : BG_EDB;
  }
  if (scalar(*db, "PRAGMA user_version") <= 0 &&
      scalar(*db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'") <=
          0) {
    snprintf(err, errlen, "%s: not a benchgate database (no schema version, no runs table)", path);
    return BG_EINVAL;
  }
  return BG_OK;
}

/* PRAGMA integrity_check: every row but a single "ok" is a problem. */
static int integrity(sqlite3 *db, struct bg_db_check *c, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
    return fail(db, "integrity_check", err, errlen);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *row = (const char *)sqlite3_column_text(st, 0);
    if (row && !strcmp(row, "ok"))
      continue;
    finding(c, c->integrity++, "integrity_check", row ? row : "(null)");
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? BG_OK : fail(db, "integrity_check", err, errlen);
}

/* PRAGMA foreign_key_check: each row is a child row whose parent is missing. */
static int foreign_keys(sqlite3 *db, struct bg_db_check *c, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc;
  char line[512];
  if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
    return fail(db, "foreign_key_check", err, errlen);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    snprintf(line, sizeof line, "%s row %lld refers to a missing %s row",
             (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
             (const char *)sqlite3_column_text(st, 2));
    finding(c, c->foreign_keys++, "foreign_key_check", line);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? BG_OK : fail(db, "foreign_key_check", err, errlen);
}

/* Copies the file's schema into the temp table file_schema of ref. */
static int copy_schema(sqlite3 *db, sqlite3 *ref, char *err, size_t errlen) {
  sqlite3_stmt *from = NULL, *to = NULL;
  int rc = BG_OK, step;
  if (sqlite3_exec(ref, "CREATE TEMP TABLE file_schema(type TEXT, name TEXT, sql TEXT)", NULL, NULL,
                   NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(ref, "INSERT INTO temp.file_schema VALUES (?1, ?2, ?3)", -1, &to, NULL) !=
          SQLITE_OK)
    return fail(ref, "schema", err, errlen);
  if (sqlite3_prepare_v2(db,
                         "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE "
                         "'sqlite\\_%' ESCAPE '\\'",
                         -1, &from, NULL) != SQLITE_OK) {
    sqlite3_finalize(to);
    return fail(db, "schema", err, errlen);
  }
  while (rc == BG_OK && (step = sqlite3_step(from)) == SQLITE_ROW) {
    for (int i = 0; i < 3; i++)
      sqlite3_bind_value(to, i + 1, sqlite3_column_value(from, i));
    if (sqlite3_step(to) != SQLITE_DONE)
      rc = fail(ref, "schema", err, errlen);
    sqlite3_reset(to);
  }
  if (rc == BG_OK && step != SQLITE_DONE)
    rc = fail(db, "schema", err, errlen);
  sqlite3_finalize(from);
  sqlite3_finalize(to);
  return rc;
}

/* The differences between the file's schema and ref's (the migrations up to its version):
 * each object missing, different or extra is a problem. */
static int compare_schema(sqlite3 *ref, struct bg_db_check *c, char *err, size_t errlen) {
  static const char sql[] =
      "SELECT 'missing', m.type, m.name FROM main.sqlite_master m WHERE m.name NOT LIKE "
      "'sqlite\\_%' ESCAPE '\\' AND NOT EXISTS (SELECT 1 FROM temp.file_schema f "
      "WHERE f.type = m.type AND f.name = m.name) "
      "UNION ALL SELECT 'different', m.type, m.name FROM main.sqlite_master m JOIN "
      "temp.file_schema f ON f.type = m.type AND f.name = m.name WHERE f.sql IS NOT m.sql "
      "UNION ALL SELECT 'unexpected', f.type, f.name FROM temp.file_schema f WHERE NOT EXISTS "
      "(SELECT 1 FROM main.sqlite_master m WHERE m.type = f.type AND m.name = f.name) "
      "ORDER BY 2, 3";
  sqlite3_stmt *st = NULL;
  char line[512];
  int rc;
  if (sqlite3_prepare_v2(ref, sql, -1, &st, NULL) != SQLITE_OK)
    return fail(ref, "schema", err, errlen);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    snprintf(line, sizeof line, "%s %s %s", (const char *)sqlite3_column_text(st, 0),
             (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
    finding(c, c->schema++, "schema", line);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? BG_OK : fail(ref, "schema", err, errlen);
}

/* Builds, in memory, the schema the migrations up to c->version make, and compares. */
static int schema(sqlite3 *db, struct bg_db_check *c, char *err, size_t errlen) {
  sqlite3 *ref = NULL;
  int rc = BG_OK;
  if (sqlite3_open(":memory:", &ref) != SQLITE_OK) {
    snprintf(err, errlen, "schema: cannot open an in-memory database");
    sqlite3_close(ref);
    return BG_ENOMEM;
  }
  for (size_t i = 0; rc == BG_OK && i < bg_migrations_count; i++) {
    if (bg_migrations[i].version > c->version)
      break;
    if (sqlite3_exec(ref, bg_migrations[i].sql, NULL, NULL, NULL) != SQLITE_OK)
      rc = fail(ref, bg_migrations[i].name, err, errlen);
  }
  if (rc == BG_OK && (rc = copy_schema(db, ref, err, errlen)) == BG_OK)
    rc = compare_schema(ref, c, err, errlen);
  sqlite3_close(ref);
  return rc;
}

/* The file's size, journal mode and schema version into *c. */
static void describe(sqlite3 *db, struct bg_db_check *c) {
  sqlite3_stmt *st = NULL;
  c->version = (int)scalar(db, "PRAGMA user_version");
  c->known = bg_migrations_count ? bg_migrations[bg_migrations_count - 1].version : 0;
  c->too_new = c->version > c->known;
  c->pages = scalar(db, "PRAGMA page_count");
  c->page_size = scalar(db, "PRAGMA page_size");
  c->freelist = scalar(db, "PRAGMA freelist_count");
  snprintf(c->journal, sizeof c->journal, "?");
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(c->journal, sizeof c->journal, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
}

int bg_db_check(const char *path, struct bg_db_check *c, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  memset(c, 0, sizeof *c);
  bg_buf_init(&c->findings, FINDINGS_MAX);
  int rc = open_file(path, &db, err, errlen);
  /* query_only: a second guard, beside the read-only open, that nothing here writes. */
  if (rc == BG_OK && sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK)
    rc = fail(db, path, err, errlen);
  if (rc == BG_OK) {
    describe(db, c);
    if (c->too_new)
      bg_buf_printf(&c->findings,
                    "schema: version %d is newer than this benchgated (%d); use a newer one\n",
                    c->version, c->known);
    if ((rc = integrity(db, c, err, errlen)) == BG_OK &&
        (rc = foreign_keys(db, c, err, errlen)) == BG_OK && !c->too_new)
      rc = schema(db, c, err, errlen);
  }
  sqlite3_close(db);
  if (rc != BG_OK)
    bg_buf_free(&c->findings);
  return rc;
}

long long bg_db_check_problems(const struct bg_db_check *c) {
  return c->integrity + c->foreign_keys + c->schema + c->too_new;
}
