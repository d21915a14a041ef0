/* store_private.h: what the storage modules (store.c, store_runs.c, reads.c, series.c,
 * verdict.c, changepoints_store.c, alerts.c) share: the benchmark ids the run rows cache,
 * the lookups of testbeds, branches and measures by name and of a commit's parents, and a
 * column helper. The HTTP layer and the use cases use store.h and store_runs.h only.
 */
#ifndef BG_STORE_PRIVATE_H
#define BG_STORE_PRIVATE_H

#include "db_sql.h"
#include "json.h"
#include "store.h"

/* The id of benchmark `name` of project `pid` as the connection's snapshot knows it (*id 0:
 * none yet), through the connection's id cache (store_runs.c). BG_OK or BG_EDB. */
int bg_store_benchmark_id(struct bg_store *s, long long pid, const char *name, long long *id);

/* ---- lookups for the reads and the gate ---- */

/* A name the client gave that the project does not have: e names `what` ("no such testbed in
 * this project"). Returns BG_ENOENT. */
static inline int bg_store_no_such(struct bg_ferr *e, const char *what) {
  bg_ferr_set(e, what, "no such %s in this project", what);
  return BG_ENOENT;
}

/* The testbed a read names: `name`, or the project's only testbed when name is NULL. BG_OK
 * with its id in *id and its name in name_out[n]; when name is NULL and the project has no
 * testbed, BG_OK with *id 0 and name_out "" unless `required`. Errors naming "testbed":
 * BG_ENOENT (no testbed `name`, or none at all when required), BG_EINVAL (name NULL and the
 * project has several); BG_EDB. */
int bg_store_testbed_find(struct bg_store *s, long long project_id, const char *name, int required,
                          long long *id, char *name_out, size_t n, struct bg_ferr *e);

/* The id of branch `name` of the project (*id 0: none). BG_OK or BG_EDB. */
int bg_store_branch_id(struct bg_store *s, long long project_id, const char *name, long long *id);

/* A measure as stored. */
struct bg_store_measure {
  long long id; /* 0: the project has no such measure */
  char unit[40];
  char direction[8]; /* "lower" or "higher" */
};

/* Measure `slug` of the project into *out. BG_OK or BG_EDB. */
int bg_store_measure_find(struct bg_store *s, long long project_id, const char *slug,
                          struct bg_store_measure *out);

/* The parents of commit `commit_id` in order: appends each sha with its NUL to `shas` and
 * counts them in *n. BG_OK or BG_EDB. */
int bg_store_commit_parents(struct bg_store *s, long long commit_id, struct bg_buf *shas,
                            size_t *n);

/* Appends column i as a JSON number, or null for SQL NULL. */
static inline void bg_store_json_num_or_null(struct bg_buf *out, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    bg_buf_puts(out, "null");
  else
    bg_json_num(out, sqlite3_column_double(st, i));
}

#endif
