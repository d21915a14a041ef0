/* store_private.h: the store's connection for server modules built on it (verdict.c).
 *
 * The HTTP layer uses store.h only. Modules that keep their own SQL next to their logic (the
 * gate's baselines, verdicts and alerts) prepare it on the store's connection through these
 * calls, so every statement is still prepared once per connection and finalized at close,
 * and their writes join the store's transactions and write lock.
 */
#ifndef BG_STORE_PRIVATE_H
#define BG_STORE_PRIVATE_H

#include "store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Statement slots for modules outside store.c. Each module owns one range of them, so that
 * statements of different modules never share a slot on one connection; a module asserts at
 * compile time that its statements fit its range. */
#define BG_STORE_SLOTS_VERDICT 0       /* verdict.c: slots 0..39 */
#define BG_STORE_SLOTS_CHANGEPOINTS 40 /* changepoints.c: slots 40..63 */
#define BG_STORE_EXTRA_STMTS 64

/* The connection (owned by the store). */
sqlite3 *bg_store_db(struct bg_store *s);

/* The statement in `slot` (0 <= slot < BG_STORE_EXTRA_STMTS), prepared from `sql` on first
 * use and kept until the store closes; each slot must always get the same SQL. NULL when
 * preparing fails (the reason is in bg_store_errmsg). Reset it after use. */
sqlite3_stmt *bg_store_prepared(struct bg_store *s, int slot, const char *sql);

/* A per-connection slot for one module's cache: returns its address (initially NULL); the
 * store calls free_fn on the value when it closes. */
void **bg_store_cache(struct bg_store *s, void (*free_fn)(void *));

/* Records "what: sqlite3_errmsg" as the store's last error and returns BG_EDB. */
int bg_store_fail(struct bg_store *s, const char *what);

/* A write transaction of this process: takes the process's write lock, then BEGIN IMMEDIATE.
 * BG_OK or BG_EDB (the lock is released again on failure). */
int bg_store_write_begin(struct bg_store *s);

/* Ends it: COMMIT when `ok` (BG_OK, or BG_EDB when the commit fails, after rolling back),
 * otherwise ROLLBACK; releases the write lock. */
int bg_store_write_end(struct bg_store *s, int ok);

struct bg_run;
struct bg_verdict_row;

/* What each result's row in `results` holds, as the upload stores it: rows[i] gets result
 * i's summary and gate columns (NAN where the column is NULL) and series ids 0. */
void bg_store_result_rows(const struct bg_run *run, struct bg_verdict_row *rows);

/* The id of benchmark `name` of project `pid` as the connection's snapshot knows it (*id 0:
 * none yet), through the connection's id cache. BG_OK or BG_EDB. */
int bg_store_benchmark_id(struct bg_store *s, long long pid, const char *name, long long *id);

/* ---- small helpers every module with its own SQL uses ---- */

/* Sample i of a samples BLOB (little-endian IEEE doubles, 8 bytes each). */
static inline double bg_store_sample(const unsigned char *blob, size_t i) {
  uint64_t u = 0;
  for (int k = 0; k < 8; k++)
    u |= (uint64_t)blob[i * 8 + (size_t)k] << (8 * k);
  double v;
  memcpy(&v, &u, 8);
  return v;
}

/* Resets a statement and clears its bindings for its next use. Accepts NULL. */
static inline void bg_store_done(sqlite3_stmt *st) {
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
}

/* Column i as text (NULL for SQL NULL); valid until the statement steps or resets. */
static inline const char *bg_store_col_text(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

/* Column i as a double, NAN for SQL NULL. */
static inline double bg_store_col_or_nan(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* Copies src (NULL counts as "") into dst of n bytes, cutting it if needed. */
static inline void bg_store_copy_text(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src ? src : "");
}

/* Appends column i as a JSON number, or null for SQL NULL. */
static inline void bg_store_json_num_or_null(struct bg_buf *out, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_json_num(out, sqlite3_column_double(st, i));
}

#endif
