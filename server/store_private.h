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

#include <sqlite3.h>

#define BG_STORE_EXTRA_STMTS 48 /* statement slots for modules outside store.c */

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

#endif
