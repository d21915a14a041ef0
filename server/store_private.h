/* store_private.h: what the storage modules (store.c, store_runs.c, verdict.c,
 * changepoints_store.c, alerts.c) share: the benchmark ids the run rows cache and a column
 * helper. The HTTP layer and the use cases use store.h and store_runs.h only.
 */
#ifndef BG_STORE_PRIVATE_H
#define BG_STORE_PRIVATE_H

#include "db_sql.h"
#include "json.h"
#include "store.h"

/* The id of benchmark `name` of project `pid` as the connection's snapshot knows it (*id 0:
 * none yet), through the connection's id cache (store_runs.c). BG_OK or BG_EDB. */
int bg_store_benchmark_id(struct bg_store *s, long long pid, const char *name, long long *id);

/* Appends column i as a JSON number, or null for SQL NULL. */
static inline void bg_store_json_num_or_null(struct bg_buf *out, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_json_num(out, sqlite3_column_double(st, i));
}

#endif
