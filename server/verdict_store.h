/* verdict_store.h: the gate's storage: what verdicts are decided on and where they are kept.
 *
 * The gate's domain code (verdict.c, baseline.c, decision.c, decision_cache.c) finds names
 * (testbeds, branches, commits, benchmarks, measures) and a commit's parents through store.h,
 * the lookups every storage reader shares; its other queries are here: the run being judged,
 * the project's windows, default-branch runs below a commit, fork points, the thresholds'
 * run, the summaries stored with each result (never the samples, but for rows stored before
 * the summary columns existed), series baseline starts, a commit's acknowledgements, and on
 * the write side a run's verdict, what it was decided on and its
 * regression alerts. This header is the seam a second backend implements (PostgreSQL via
 * libpq): it speaks of ids, rows and texts, never of SQLite. Functions are bg_vstore_*; they
 * return BG_OK, BG_EDB (the reason in bg_store_errmsg) or what each says.
 */
#ifndef BG_VERDICT_STORE_H
#define BG_VERDICT_STORE_H

#include "db.h"
#include "error.h"
#include "run.h"
#include "store_runs.h" /* struct bg_verdict_row, BG_VERDICT_PENDING */

#include <stddef.h>


/* What a read of row r's stored columns gives back: -0 comes back as 0 (SQLite stores it as
 * the integer 0) and NaN as NULL, which n, mean and stddev read as 0 and the other columns
 * as NAN. */
struct bg_verdict_row bg_vstore_as_stored(struct bg_verdict_row r);

/* Runs, newest first: a verdict's baseline (baseline.h selects them) and what the verdict
 * was decided on, as pinned in the store. */
#define BG_VERDICT_MAX_WINDOW 1000
struct bg_baseline {
  long long *runs;   /* runs.id, newest first; owned */
  long long *epochs; /* their commit epochs */
  char (*shas)[65];  /* their commit shas */
  size_t n;
  size_t level; /* the newest runs the level uses (the project's gate_window; 0: all); the
                 * noise uses all n (up to its noise_window) */
  long long ref_epoch, ref_commit; /* the commit the baseline reaches up to: the candidate's own
                                    * commit on the default branch, else the fork point
                                    * (ref_commit 0 when no fork point was found) */
  int on_default;                  /* 1: a default-branch run (not a pull request) */
  double noise_cv; /* the run-to-run noise stated for items with fewer than 5 runs (the gate's
                    * noise_cv); 0 for uploads, BG_GATE_COMPARE_NOISE_CV for compare */
};

/* Frees what a baseline owns; accepts NULL and zeroed structs. */
void bg_baseline_free(struct bg_baseline *b);

/* ---- the run being judged ---- */

/* A stored run as the gate sees it. */
struct bg_vstore_run {
  long long commit_id, epoch, testbed_id, branch_id, pr;
  char sha[65], branch[256], testbed[80], baseline_sha[65];
};

/* Stored run `rid`. BG_ENOENT when there is none. */
int bg_vstore_run(struct bg_store *s, long long rid, struct bg_vstore_run *out);

/* ---- what a baseline is made of ---- */

/* The project's windows as stored now (not clamped). */
int bg_vstore_windows(struct bg_store *s, long long pid, long long *window, long long *noise);

/* `sha` as a commit of project pid with a run on branch `branch` and testbed `testbed` that
 * is not a pull request: *cid and *epoch, or *cid 0. */
int bg_vstore_fork(struct bg_store *s, long long pid, const char *sha, long long branch,
                   long long testbed, long long *cid, long long *epoch);

/* Appends to b (its arrays allocated for `limit` runs) the runs of project pid on `testbed`
 * and `branch` that are not pull requests with (commit epoch, commit id) below (epoch,
 * commit), newest first (by epoch, commit, run id), at most `limit`. */
int bg_vstore_base_runs(struct bg_store *s, long long pid, long long testbed, long long branch,
                        long long epoch, long long commit, long long limit, struct bg_baseline *b);

/* The newest runs of commit `cid` on testbed `tb` (at most `limit`, newest first) into b. */
int bg_vstore_commit_runs(struct bg_store *s, long long cid, long long tb, long long limit,
                          struct bg_baseline *b);

/* The latest run of project pid on branch `branch` that is not a pull request (by commit
 * epoch, then run id): *run and its *epoch, or *run 0. */
int bg_vstore_latest_run(struct bg_store *s, long long pid, long long branch, long long *run,
                         long long *epoch);

/* The thresholds document run `run` was uploaded with: *json (free()) or NULL for none. */
int bg_vstore_thresholds(struct bg_store *s, long long run, char **json);

/* ---- result rows ---- */

/* A result row handed to a reader: its run and series with their summary columns
 * (bg_vstore_as_stored), its samples when its summary columns are NULL (a row stored before
 * they existed), and the series' names where the query says so. Valid during the call. */
struct bg_vstore_result {
  long long run;
  struct bg_verdict_row row;
  const double *samples; /* NULL unless row.raw_center is NAN and the row has samples */
  size_t nsamples;
  const char *benchmark, *measure, *unit;
  enum bg_direction direction;
};

/* Called per row; a non-zero return ends the read with that code. */
typedef int (*bg_vstore_result_fn)(void *ctx, const struct bg_vstore_result *r);

/* The results of run `rid`, with names, in primary key order (benchmark id, measure id). */
int bg_vstore_candidate(struct bg_store *s, long long rid, bg_vstore_result_fn fn, void *ctx);

/* The results of runs[0..n-1] without names, by run in ascending id order, each run's in
 * primary key order. */
int bg_vstore_baseline_results(struct bg_store *s, const long long *runs, size_t n,
                               bg_vstore_result_fn fn, void *ctx);

/* The series baseline starts of project pid on testbed `tb`: fn(ctx, bid, mid, start epoch,
 * start commit) per series. */
int bg_vstore_cuts(struct bg_store *s, long long pid, long long tb,
                   void (*fn)(void *ctx, long long bid, long long mid, long long epoch,
                              long long commit),
                   void *ctx);

/* The acknowledged series of commit `cid` on testbed `tb`: fn(ctx, bid, mid) each. */
int bg_vstore_acks(struct bg_store *s, long long cid, long long tb,
                   void (*fn)(void *ctx, long long bid, long long mid), void *ctx);

/* ---- verdicts ---- */

/* Inside a write transaction: stores run `rid`'s verdict head (JSON text), its state name and
 * its class counts (BG_GATE_NCLASSES, in class order), clearing the pending mark. */
int bg_vstore_set_verdict(struct bg_store *s, long long rid, const char *head, const char *state,
                          const size_t *counts);

/* Inside a write transaction: pins what run `rid`'s verdict was decided on: the baseline's
 * runs, level and reference commit, and the thresholds' run (0: defaults). */
int bg_vstore_pin(struct bg_store *s, long long rid, const struct bg_baseline *b, long long th_run);

/* What run `rid`'s verdict was decided on, as bg_vstore_pin stored it, into b (runs that no
 * longer exist are left out) and *th_run; *found 0 when the run has nothing pinned. */
int bg_vstore_pinned(struct bg_store *s, long long rid, struct bg_baseline *b, long long *th_run,
                     int *found);

/* *pending 1 when run `rid` is stored with BG_VERDICT_PENDING as its gate input. */
int bg_vstore_pending(struct bg_store *s, long long rid, int *pending);

/* The confirmation chain of a run (lib/confirm.h): the first run it confirms (0: it is a
 * first run), the confirmations of that first run stored before it (oldest first; owned:
 * free()), and whether its uploader confirms. */
struct bg_vstore_chain {
  long long first;
  long long *earlier;
  size_t n;
  int confirmable;
};

/* Run `rid`'s testbed fingerprint as stored (JSON text; NULL: none) into *fp (free()). BG_OK or
 * BG_EDB. */
int bg_vstore_fingerprint(struct bg_store *s, long long rid, char **fp);

/* The chain of run `rid` into *c. BG_OK or BG_EDB. */
int bg_vstore_chain(struct bg_store *s, long long rid, struct bg_vstore_chain *c);

/* The newest run of commit `cid` on testbed `tb` (0: any testbed); *rid 0 when none. */
int bg_vstore_newest_run(struct bg_store *s, long long cid, long long tb, long long *rid);

/* The newest run of commit `cid` on each testbed it has runs on, by testbed id: *rids
 * (free()) and *n. */
int bg_vstore_newest_runs(struct bg_store *s, long long cid, long long **rids, size_t *n);

/* ---- per connection ---- */

/* The state of `kind` kept for connection s (one kind per connection: the decision cache of
 * stored-run verdicts), created on first use and destroyed when the connection closes. */
void *bg_vstore_local(struct bg_store *s, const struct bg_db_shared *kind);

#endif
