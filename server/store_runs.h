/* store_runs.h: the run rows: how an uploaded run is stored and found again.
 *
 * A run is stored as one row in `runs` (its testbed, branch and commit found or created), one
 * row per result in `results` (summary and gate columns, samples as a BLOB of little-endian
 * doubles) and the benchmarks and measures it names, whose ids each connection caches. A run
 * is keyed by its run_id and identified by its content hash, so that an upload sent again is
 * recognised. The verdict is not decided here: the upload (upload.c) decides it and the
 * verdict's storage writes it; the rows only carry the mark of a run still waiting for it.
 *
 * Also here, for the upload: the write transaction every upload of a database goes through,
 * the read snapshot its verdict is decided on, and the connection beside the caller's that it
 * is decided on.
 */
#ifndef BG_STORE_RUNS_H
#define BG_STORE_RUNS_H

#include "run.h"
#include "store.h"

#include <stddef.h>

/* runs.gate_input of a run stored without its verdict yet: an upload whose decision was still
 * running when the insert was done commits the run with this mark and stores the verdict in a
 * second transaction; a crash in between leaves the mark, which bg_upload_recover and a replay
 * of the run resolve. What a verdict was decided on lives in run_gate_inputs (schema/006);
 * runs.gate_input keeps only this mark. */
#define BG_VERDICT_PENDING "pending"

/* A result row as the upload stores it: its series and its summary and gate columns (NAN
 * where the column is NULL). The gate reads baselines from these columns, never the samples. */
struct bg_verdict_row {
  long long bid, mid;
  double n, mean, stddev, median, log_center, log_w, raw_center, raw_w;
  double log_low, log_high; /* the gate's one-sided centres (013_run_centres.sql), or NAN */
};

/* What each result's row in `results` holds, as the upload stores it: rows[i] gets result
 * i's summary and gate columns (NAN where the column is NULL) and series ids 0. */
void bg_store_result_rows(const struct bg_run *run, struct bg_verdict_row *rows);

#define BG_STORE_RUN_HASH_LEN 32 /* SHA-256 */

/* An upload's run made ready to store, outside any transaction: everything the insert writes
 * that does not depend on what the database holds. */
struct bg_run_rows {
  const struct bg_run *run;                  /* not owned */
  struct bg_verdict_row *rows;               /* rows[i]: result i's (bg_store_result_rows); owned */
  unsigned char hash[BG_STORE_RUN_HASH_LEN]; /* the content hash (runs.content_hash) */
  char *fingerprint, *thresholds;            /* the run's JSON text of them, or NULL; owned */
  long long now; /* runs.received_at, and the epoch of a commit stored without a timestamp */
  long long confirms_id; /* runs.confirms_id: the first run this one confirms, or 0 */
};

/* Prepares `run` (validated; its run_id as it is to be stored) for bg_store_runs_insert at
 * time `now` (seconds since the epoch), in two steps, both outside any lock: first the rows
 * (what a decision from the payload needs), then, with bg_store_runs_prepare_insert, the rest
 * of what the insert writes, so that an upload can start its decision in between. Free with
 * bg_store_runs_free; `run` must outlive *out. */
void bg_store_runs_prepare(const struct bg_run *run, long long now, struct bg_run_rows *out);

/* The content hash, a SHA-256 of the run's canonical form (bg_run_to_json of its metadata,
 * then each result's names, direction and values in binary, samples as little-endian
 * doubles: equal runs hash equally), and the fingerprint's and thresholds' JSON text. */
void bg_store_runs_prepare_insert(struct bg_run_rows *r);

/* Frees what bg_store_runs_prepare allocated; accepts a zeroed struct. */
void bg_store_runs_free(struct bg_run_rows *r);

/* A stored run that an upload's `confirms` names: its id (0: no run of that run_id in the
 * project), the first run it confirms itself (0: none), its commit's sha and testbed's name. */
struct bg_store_confirmed {
  long long rid, first;
  char sha[65], testbed[80];
};

/* Looks run `run_id` of project `project_id` up into *out. BG_OK or BG_EDB. */
int bg_store_runs_confirmed(struct bg_store *s, long long project_id, const char *run_id,
                            struct bg_store_confirmed *out);

/* Looks run r->run->run_id of project `project_id` up: BG_OK with *rid its id when it is
 * stored with the same content hash (a replay), *rid 0 when it is not stored; BG_ECONFLICT
 * when it is stored with other content; BG_EDB. */
int bg_store_runs_find(struct bg_store *s, long long project_id, const struct bg_run_rows *r,
                       long long *rid);

/* What a run was stored as: its id, its commit (id and epoch), branch and testbed ids. */
struct bg_stored_run {
  long long rid, commit_id, epoch, branch_id, testbed_id;
};

/* Inside the caller's write transaction: stores run r->run of project p, not stored yet
 * (bg_store_runs_find), marked BG_VERDICT_PENDING: its testbed (keeping the latest
 * fingerprint; a changed one adds a server warning to the run), branch, commit (completing a
 * known commit's missing message, author, timestamp), benchmarks and measures when new, the
 * run's row and its results. Sets the series ids of r->rows. BG_OK with *out filled, or
 * BG_EDB. The benchmark and measure ids cached meanwhile are forgotten on rollback. */
int bg_store_runs_insert(struct bg_store *s, const struct bg_project *p, struct bg_run_rows *r,
                         struct bg_stored_run *out);

/* A run stored BG_VERDICT_PENDING. */
struct bg_pending_run {
  long long rid, project_id;
};

/* Every run marked BG_VERDICT_PENDING, oldest first. BG_OK with *out (caller frees with free;
 * NULL when *n is 0) and *n set, or BG_EDB. */
int bg_store_runs_pending(struct bg_store *s, struct bg_pending_run **out, size_t *n);

/* ---- the transactions of an upload ---- */

/* A write transaction on the connection every upload of own's database writes through
 * (bg_db_writer: one connection keeps its page cache), under the database's write lock: *w
 * receives that connection. BG_OK, or BG_EDB reported on own (nothing is then held). */
int bg_store_runs_write_begin(struct bg_store *own, struct bg_store **w);

/* Ends it: COMMIT when `ok` (BG_OK, or BG_EDB when the commit fails, after rolling back),
 * otherwise ROLLBACK (BG_OK: the caller has its own error); w's last error goes to own when
 * it does not commit; releases the write lock. */
int bg_store_runs_write_end(struct bg_store *own, struct bg_store *w, int ok);

/* A read transaction on s whose snapshot is taken before this returns: what later commits
 * write stays out of it until bg_store_runs_read_end. BG_OK or BG_EDB. */
int bg_store_runs_read_begin(struct bg_store *s);

/* Ends it (COMMIT when `ok`, else ROLLBACK). BG_OK, or BG_EDB when the commit fails. */
int bg_store_runs_read_end(struct bg_store *s, int ok);

/* The connection beside `s` (another connection of its database, kept with s and closed with
 * it) that an upload decides its verdict on while s's thread stores the run; opened on first
 * use with a small page cache (the decision reads a few hundred pages; the baseline's
 * summaries come from the verdict's cache). NULL when it cannot be opened or s's database
 * has no file name. */
struct bg_store *bg_store_runs_side(struct bg_store *s);

#endif
