/* db_sql.h: the SQL side of a connection, for the storage modules only.
 *
 * A storage module (store.c, the gate's queries, change points, ...) owns its statements: it
 * lists their SQL in a static table and describes itself once in a struct bg_store_module.
 * A connection prepares each statement of each module on first use
 * (SQLITE_PREPARE_PERSISTENT), keeps it until it closes, and finalizes it there; modules never
 * share statements, so no module can take another's. A module may also keep state per
 * connection (an id cache), created by the module and freed by the connection, with a hook
 * the connection calls when a write transaction rolls back (ids of rolled-back rows must not
 * survive).
 *
 * Use cases (upload, verdict, API) do not include this header.
 */
#ifndef BG_DB_SQL_H
#define BG_DB_SQL_H

#include "buf.h"
#include "db.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The verdict state of a runs row `t` in SQL: 'pending' while its verdict waits for a
 * confirmation run (runs.confirming, schema/012), else runs.verdict_state (NULL: no verdict
 * yet). */
#define BG_STORE_VERDICT_STATE(t)                                                                  \
  "CASE WHEN " t ".confirming THEN 'pending' ELSE " t ".verdict_state END"

/* A module's statements and per-connection state. Static, one per module. */
struct bg_store_module {
  const char *name;         /* for error messages: "<name>: prepare: ..." */
  const char *const *sql;   /* its statements' SQL, by the module's own index */
  size_t nsql;
  void (*free_state)(void *st);     /* frees the state of bg_store_state; NULL: none kept */
  void (*rolled_back)(void *st);    /* the connection rolled a write back; may be NULL */
};

#define BG_STORE_MODULES_MAX 16 /* modules with statements on one connection */

/* Statement i of module m on connection s, prepared on first use. NULL when preparing fails
 * (the reason is in bg_store_errmsg). Reset it after use (bg_store_done). */
sqlite3_stmt *bg_store_stmt(struct bg_store *s, const struct bg_store_module *m, size_t i);

/* The address of module m's state on connection s (initially NULL); the connection frees a
 * non-NULL state with m->free_state when it closes. */
void **bg_store_state(struct bg_store *s, const struct bg_store_module *m);

/* The connection's SQLite handle. */
sqlite3 *bg_store_sqlite(struct bg_store *s);

/* Records "what: sqlite3_errmsg" as the connection's last error and returns BG_EDB. */
int bg_store_fail(struct bg_store *s, const char *what);

/* Runs sql (no rows) with sqlite3_exec. BG_OK, or BG_EDB with "what: message". */
int bg_store_exec(struct bg_store *s, const char *sql, const char *what);

/* Steps a statement that returns no rows, then resets it. BG_OK, or BG_EDB naming `what`;
 * st NULL (a failed prepare) gives BG_EDB. */
int bg_store_step_done(struct bg_store *s, sqlite3_stmt *st, const char *what);

/* Runs a lookup statement of one row (?1 an id, ?2 a name) and resets it: *id is column 0 of
 * its row, or 0 when it has none. BG_OK, or BG_EDB (st NULL gives BG_EDB). */
int bg_store_lookup_id(struct bg_store *s, sqlite3_stmt *st, long long a, const char *name,
                       long long *id);

/* ---- transactions ----
 * Writes run in BEGIN IMMEDIATE transactions so two writers never deadlock on a lock
 * upgrade, and queue on the database's write lock first: SQLite's busy handler polls with
 * sleeps of up to 100 ms, the lock wakes the next writer at once. SQLite's own lock still
 * guards against other processes. */

/* BEGIN IMMEDIATE (BG_OK or BG_EDB); the caller holds the write lock. */
int bg_store_begin(struct bg_store *s);
/* BEGIN (a read snapshot from the first read on). */
int bg_store_begin_read(struct bg_store *s);
/* COMMIT. BG_OK or BG_EDB. */
int bg_store_commit(struct bg_store *s);
/* ROLLBACK when a transaction is open; tells each module's state (rolled_back). */
void bg_store_rollback(struct bg_store *s);

/* A use case's write transaction (bg_store_write_begin/end) is declared in db.h. */

/* The database's write lock, for a caller that writes through the writer. */
void bg_db_lock(struct bg_db *db);
void bg_db_unlock(struct bg_db *db);

/* The connection every upload of the process writes through, opened on first use; call with
 * the write lock held. SQLite keeps a connection's page cache only while no other connection
 * writes: with each thread writing on its own connection, every upload found its cache
 * emptied by the last one on another thread and read the ~1 000 index pages it inserts into
 * back from the file. One connection for all uploads keeps them. `own` (the caller's
 * connection) is returned when the writer cannot be opened. */
struct bg_store *bg_db_writer(struct bg_db *db, struct bg_store *own);

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

/* Binds text, or NULL when v is NULL. */
static inline void bg_store_bind_text(sqlite3_stmt *st, int i, const char *v) {
  if (v)
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

/* Binds an id, or NULL when it is 0. */
static inline void bg_store_bind_id(sqlite3_stmt *st, int i, long long v) {
  if (v)
    sqlite3_bind_int64(st, i, v);
  else
    sqlite3_bind_null(st, i);
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

#endif
