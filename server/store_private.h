/* store_private.h: what store.c shares with the other storage modules (verdict.c,
 * changepoints.c): the result rows an upload stores and the id cache of benchmarks. The HTTP
 * layer uses store.h only.
 */
#ifndef BG_STORE_PRIVATE_H
#define BG_STORE_PRIVATE_H

#include "db_sql.h"
#include "json.h"
#include "store.h"

struct bg_run;
struct bg_verdict_row;

/* What each result's row in `results` holds, as the upload stores it: rows[i] gets result
 * i's summary and gate columns (NAN where the column is NULL) and series ids 0. */
void bg_store_result_rows(const struct bg_run *run, struct bg_verdict_row *rows);

/* The id of benchmark `name` of project `pid` as the connection's snapshot knows it (*id 0:
 * none yet), through the connection's id cache. BG_OK or BG_EDB. */
int bg_store_benchmark_id(struct bg_store *s, long long pid, const char *name, long long *id);

/* Appends column i as a JSON number, or null for SQL NULL. */
static inline void bg_store_json_num_or_null(struct bg_buf *out, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_json_num(out, sqlite3_column_double(st, i));
}

#endif
