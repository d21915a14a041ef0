/* db.h: one benchgate database, opened once and passed down.
 *
 * A struct bg_db is the database file and everything the process keeps for it: the
 * connections of its threads (struct bg_store, one per thread, opened on first use), the one
 * connection all uploads write through, the write lock they queue on, the checkpointer, and
 * the state modules share across connections (the decision cache). benchgated's main opens
 * it, hands it to the HTTP layer and closes it after the last request; the command-line
 * subcommands and the tests open a connection of their own with bg_store_open, which gives
 * the connection a private bg_db.
 *
 * Nothing here is file-static: two databases open in one process (the tests do that) share
 * no lock, writer or cache.
 *
 * The SQL side of a connection (statements, transactions, errors) is in db_sql.h, for the
 * storage modules only; a use case that writes through several of them opens its write
 * transaction with bg_store_write_begin below.
 */
#ifndef BG_DB_H
#define BG_DB_H

#include "error.h"

#include <stddef.h>

struct bg_db;
struct bg_store;

#define BG_DB_BUSY_MS 10000 /* how long every connection waits for a lock (db.c: busy_wait) */

/* Opens the database at `path` (creating it when absent) and applies pending migrations on a
 * first connection, so that errors show before the server listens. BG_OK with *out set (free
 * with bg_db_close), or BG_EDB/BG_ENOMEM with the reason in err. */
int bg_db_open(const char *path, struct bg_db **out, char *err, size_t errlen);

/* Stops the checkpointer, closes the writer and the calling thread's connection, and frees
 * the database object. Other threads' connections must be closed first (their threads ended
 * or called bg_db_thread_release). Accepts NULL. */
void bg_db_close(struct bg_db *db);

/* The file name the database was opened with. */
const char *bg_db_path(const struct bg_db *db);

/* Opens a new connection of `db` (WAL, busy timeout, foreign keys). BG_OK with *out set
 * (close with bg_store_close), or BG_EDB with err. */
int bg_db_connect(struct bg_db *db, struct bg_store **out, char *err, size_t errlen);

/* This thread's connection of `db`, opened on first use and closed when the thread exits or
 * calls bg_db_thread_release. NULL on failure, with the reason in err. */
struct bg_store *bg_db_thread(struct bg_db *db, char *err, size_t errlen);

/* Closes the calling thread's connection of `db`, if any. */
void bg_db_thread_release(struct bg_db *db);

/* Opens a connection of its own to the database at `path` (creating it when absent, applying
 * pending migrations from schema/, tracked with PRAGMA user_version): a private bg_db that
 * closes with the connection. For the command line and tests. BG_OK with *out set, or BG_EDB
 * with the reason in err. */
int bg_store_open(const char *path, struct bg_store **out, char *err, size_t errlen);

/* Closes a connection: finalizes its statements, frees its modules' state, and closes its
 * private database when it has one. Accepts NULL. */
void bg_store_close(struct bg_store *s);

/* The message of the connection's last failure (a copy of sqlite3_errmsg); "" when none. */
const char *bg_store_errmsg(const struct bg_store *s);

/* The schema versions before and after the migrations bg_db_open applied; both 0 when it
 * applied none. */
void bg_db_migrated(const struct bg_db *db, int *from, int *to);

/* 1 when the connection's last failure was for want of disk space (SQLITE_FULL, or an I/O
 * error writing, syncing or growing a file): the answer is 507, not 500. */
int bg_store_no_space(const struct bg_store *s);

/* Whether `db` can be written, as far as disk space goes: BG_OK, unless a write failed for
 * want of space and BG_DB_SPACE_PROBE bytes still cannot be allocated in the database's
 * directory (BG_EIO, with the reason in why). A successful commit or probe clears the mark,
 * so the probe costs nothing while writes succeed. */
#define BG_DB_SPACE_PROBE (1024 * 1024)
int bg_db_space_probe(struct bg_db *db, char *why, size_t whylen);

/* Copies another connection's last error into s (errors are reported on the caller's own
 * connection even when the work ran on the writer or a side connection). */
void bg_store_take_error(struct bg_store *s, const struct bg_store *from);

/* The schema version of the open database (its PRAGMA user_version). */
int bg_store_version(struct bg_store *s);

/* The database a connection belongs to. */
struct bg_db *bg_store_database(const struct bg_store *s);

/* ---- a write transaction ---- */

/* A write transaction on s: takes the database's write lock, then BEGIN IMMEDIATE. BG_OK or
 * BG_EDB (the lock is released again on failure). */
int bg_store_write_begin(struct bg_store *s);

/* Ends it: COMMIT when `ok` (BG_OK, or BG_EDB when the commit fails, after rolling back),
 * otherwise ROLLBACK; releases the write lock. */
int bg_store_write_end(struct bg_store *s, int ok);

/* ---- the checkpointer ----
 * A background thread that checkpoints the WAL every `interval_ms`, so the fsync of a
 * checkpoint never lands inside a request. Connections only checkpoint by themselves once the
 * WAL passes BG_DB_WAL_PAGES pages, a safety net the checkpointer keeps them below: past
 * BG_DB_WAL_RESET pages it makes the WAL start over (checkpoint.c). An upload of 1 000
 * results writes ~1 100 pages. */
#define BG_DB_WAL_PAGES 30000
#define BG_DB_WAL_RESET 10000
#define BG_DB_WAL_LEFT 600 /* frames the locked pass may have to copy (about half an upload) */

/* Starts the checkpointer of `db` on a connection of its own. BG_OK, or BG_EDB with err. */
int bg_db_checkpointer_start(struct bg_db *db, int interval_ms, char *err, size_t errlen);

/* ---- what modules keep per database ----
 * A module that keeps state across all connections of a database (the decision cache)
 * describes it once, statically; the database creates it on first use and frees it at close.
 * The database knows nothing of what the state is. */
struct bg_db_shared {
  const char *name;          /* for readers of a debugger */
  void *(*create)(void);     /* a new, empty state */
  void (*destroy)(void *st); /* frees it */
};

/* The state `kind` of `db`, created on first use. The caller synchronises its use. */
void *bg_db_shared(struct bg_db *db, const struct bg_db_shared *kind);

#endif
