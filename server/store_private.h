/* store_private.h: what the SQLite storage modules (store.c, store_runs.c, reads.c,
 * series.c, verdict_store.c, changepoints_store.c, alerts.c) share beyond db_sql.h: a column
 * helper. The HTTP layer and the use cases use store.h and the storage headers only.
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

#endif
