/* db_check.h: the read-only health check of a database file (`benchgated check`).
 *
 * Opens the file read-only (it never migrates or writes it, so it is safe on a live server's
 * database and on a backup), then runs SQLite's integrity and foreign-key checks and compares
 * the schema with the one the compiled-in migrations (migrations.h) build up to the file's
 * schema version. Like every storage header it speaks of counts and text, never of SQLite.
 */
#ifndef BG_DB_CHECK_H
#define BG_DB_CHECK_H

#include "buf.h"

#include <stddef.h>

/* What bg_db_check found. Each count is of problems; findings holds a line per problem
 * (at most BG_DB_CHECK_LINES of each kind), the first naming what is wrong. */
struct bg_db_check {
  int version; /* the file's schema version (PRAGMA user_version) */
  int known;   /* the newest migration this binary has */
  long long pages, page_size, freelist;
  char journal[16];       /* "wal", "delete", ... */
  long long integrity;    /* integrity_check rows other than "ok" */
  long long foreign_keys; /* foreign_key_check rows */
  long long schema;       /* tables, indexes and triggers missing, different or extra */
  int too_new;            /* version > known: this binary cannot serve the file */
  struct bg_buf findings; /* bg_buf_free it after a BG_OK */
};

#define BG_DB_CHECK_LINES 10

/* Checks the database at path into *out. Returns BG_OK once every check ran (the problems
 * are in *out), BG_ENOENT when there is no such file, BG_EINVAL when it is not a benchgate
 * database (not SQLite, or SQLite without benchgate's tables), BG_EDB when the file is too
 * damaged for a check to finish; err says why for all but BG_OK. */
int bg_db_check(const char *path, struct bg_db_check *out, char *err, size_t errlen);

/* The number of problems in *c (0: the database is healthy). */
long long bg_db_check_problems(const struct bg_db_check *c);

#endif
