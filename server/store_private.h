/* store_private.h: what the SQLite storage modules (store.c, store_runs.c, reads.c,
 * series.c, verdict_store.c, changepoints_store.c, alerts.c, interleaved_store.c and the
 * others of test_layers.sh's STORAGE) share beyond db_sql.h: a column helper and the loop
 * that renders a statement's rows as JSON. The HTTP layer and the use cases use store.h and
 * the storage headers only.
 */
#ifndef BG_STORE_PRIVATE_H
#define BG_STORE_PRIVATE_H

#include "db_sql.h"
#include "json.h"
#include "store.h"

/* Appends column i as a JSON number, or null for SQL NULL. */
static inline void bg_store_json_num_or_null(struct bg_buf *out, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_json_num(out, sqlite3_column_double(st, i));
}

/* Appends the current row of `st` as one JSON value; ctx is the caller's. */
typedef void (*bg_store_row_json_fn)(void *ctx, struct bg_buf *out, sqlite3_stmt *st);

/* Steps `st` (bound by the caller) to its end, appending each row with row(ctx, out, st), the
 * rows separated by commas, then resets it; *count (when not NULL) gets how many rows. BG_OK,
 * or BG_EDB naming `what`. */
int bg_store_json_rows(struct bg_store *s, sqlite3_stmt *st, bg_store_row_json_fn row, void *ctx,
                       struct bg_buf *out, int *count, const char *what);

/* Steps `st` (bound by the caller) to its end, collecting column 0 of each row into *ids
 * (grown as needed; free()) and counting them in *n, then resets it. BG_OK, or BG_EDB naming
 * `what`. */
int bg_store_id_rows(struct bg_store *s, sqlite3_stmt *st, long long **ids, size_t *n,
                     const char *what);

#endif
