/* baseline.h: the baseline rule: which runs a candidate is judged against, and with which
 * thresholds.
 *
 * A candidate is the run being judged, described by its identity (struct bg_baseline_cand):
 * project, testbed, branch, commit (id, epoch, sha, parents), pull request and the baseline
 * sha it names. The stored path fills it from a stored run's row
 * (bg_baseline_cand_stored); an upload fills it from its payload before the run is stored
 * (bg_baseline_cand_payload), on a snapshot that does not hold the run. Everything else reads
 * only the identity, so each rule below is written once for both:
 *
 *  - the runs (bg_baseline_select): on the default branch, earlier default-branch commits on
 *    the same testbed, newest first, as many as the project's noise window (the level uses
 *    the newest gate_window of them); on other branches and pull requests, the default-branch
 *    history up to and including the fork point (the payload's baseline sha, else the first
 *    parent that is a measured default-branch commit), else up to the candidate's time;
 *  - the thresholds (bg_baseline_thresholds_run): those of the latest default-branch run
 *    only, so a branch cannot loosen its own gate; an upload that will be that run once stored
 *    uses its own (BG_BASELINE_TH_SELF);
 *  - temporary ids: a commit the snapshot does not know gets BG_BASELINE_TEMP_COMMIT, above
 *    every real id; a benchmark or measure it does not know gets BG_BASELINE_TEMP_ID + k in
 *    order of first appearance, the order the insert numbers them, so items sort as a read of
 *    the stored run sorts them; bg_baseline_cand_bind and bg_baseline_temps_resolve put the
 *    real ids in once the run is stored;
 *  - the summaries: a candidate's from its payload (bg_baseline_payload_summary) is the one a
 *    read of its stored row gives (bg_baseline_row_summary);
 *  - the decision cache's admission (bg_baseline_admits): a run enters it when it is a
 *    default-branch run, the next uploads' baseline.
 *
 * The invariant: a decision from the payload equals the decision from the stored rows, byte
 * for byte in the verdict's text (tests/unit/test_baseline.c decides every upload again from
 * its stored run on a fresh connection and compares).
 */
#ifndef BG_BASELINE_H
#define BG_BASELINE_H

#include "gate.h"
#include "run.h"
#include "store.h"
#include "verdict_store.h"

#include <limits.h>
#include <stddef.h>

#define BG_BASELINE_TEMP_ID (1LL << 62)   /* + k: the k-th series name the store lacks */
#define BG_BASELINE_TEMP_COMMIT LLONG_MAX /* a commit the store lacks */
#define BG_BASELINE_TH_SELF (-1)          /* thresholds_run: the candidate's own */

/* The identity of a candidate run. */
struct bg_baseline_cand {
  long long rid; /* runs.id; 0 until the run is stored */
  long long commit_id, epoch, testbed_id, branch_id, pr;
  char sha[65], branch[256], testbed[80], baseline_sha[65];
  const struct bg_run *run; /* an upload whose commit is not stored yet: its parents */
  int on_default;           /* a run of the default branch, not a pull request */
};

/* 1 when a run of `branch` (pull request pr, 0: none) is a default-branch run of p. */
int bg_baseline_on_default(const struct bg_project *p, const char *branch, long long pr);

/* The candidate of stored run `rid`. BG_OK, BG_ENOENT, BG_EDB. */
int bg_baseline_cand_stored(struct bg_store *s, const struct bg_project *p, long long rid,
                            struct bg_baseline_cand *c);

/* The candidate of upload `run` as the insert will store it, on the caller's snapshot: its
 * commit's id and epoch when the snapshot has the commit, else BG_BASELINE_TEMP_COMMIT and
 * the epoch the insert will give it (its timestamp, else `now`). BG_OK or BG_EDB. */
int bg_baseline_cand_payload(struct bg_store *s, const struct bg_project *p,
                             const struct bg_run *run, long long now, struct bg_baseline_cand *c);

/* Ties a payload candidate, its baseline b and its thresholds' run to the run as stored. */
void bg_baseline_cand_bind(struct bg_baseline_cand *c, struct bg_baseline *b, long long *th_run,
                           long long rid, long long commit_id, long long epoch, long long branch_id,
                           long long testbed_id);

/* The project's windows as stored now, clamped to 1..BG_VERDICT_MAX_WINDOW: the level's,
 * and the noise's (never shorter). BG_OK or BG_EDB. */
int bg_baseline_windows(struct bg_store *s, const struct bg_project *p, long long *window,
                        long long *noise);

/* Selects the baseline of candidate c of project p into *b (free with bg_baseline_free).
 * BG_OK or BG_EDB. */
int bg_baseline_select(struct bg_store *s, const struct bg_project *p,
                       const struct bg_baseline_cand *c, struct bg_baseline *b);

/* Selects the baseline of stored run `rid` of project p. BG_OK with *b filled (free with
 * bg_baseline_free), BG_ENOENT for no such run, BG_EDB. */
int bg_baseline_of_run(struct bg_store *s, const struct bg_project *p, long long rid,
                       struct bg_baseline *b);

/* The run whose thresholds apply to candidate c (NULL: a stored run): the latest
 * default-branch run (*th_run 0: none, defaults), or BG_BASELINE_TH_SELF for an upload that
 * will be it. BG_OK or BG_EDB. */
int bg_baseline_thresholds_run(struct bg_store *s, const struct bg_project *p,
                               const struct bg_baseline_cand *c, long long *th_run);

/* The thresholds of run `th_run` (0: defaults, *th NULL; BG_BASELINE_TH_SELF: upload
 * `run`'s own), parsed (free with bg_gate_thresholds_free); a document that does not parse
 * gives the defaults. BG_OK or BG_EDB. */
int bg_baseline_thresholds(struct bg_store *s, long long th_run, const struct bg_run *run,
                           struct bg_gate_thresholds **th);

/* 1 when committed run `rid` of `branch` (pull request pr) enters the decision cache with
 * rows[0..n-1]: a default-branch run, the next uploads' baseline, whose rows all carry their
 * summary columns (a row needing its samples is read from the store instead). */
int bg_baseline_admits(const struct bg_project *p, const char *branch, long long pr,
                       const struct bg_verdict_row *rows, size_t n);

/* ---- summaries ---- */

/* The summary of a stored result row (its columns; for rows stored before the summary
 * columns existed, its samples or n/mean/stddev). */
void bg_baseline_row_summary(const struct bg_vstore_result *r, struct bg_gate_summary *g);

/* The summary a read of result r's stored row (`row`, from bg_store_result_rows) gives. */
void bg_baseline_payload_summary(const struct bg_result *r, const struct bg_verdict_row *row,
                                 struct bg_gate_summary *g);

/* ---- temporary series ids ---- */

/* The series names an upload's payload has that its snapshot does not know. */
struct bg_baseline_temps {
  size_t *bench, *measure; /* result index of each temporary id's first appearance */
  size_t nbench, nmeasure;
};

/* Room for n results' names. */
void bg_baseline_temps_init(struct bg_baseline_temps *t, size_t n);

/* A temporary benchmark (or measure) id for the name of result i. */
long long bg_baseline_temp_bench(struct bg_baseline_temps *t, size_t i);
long long bg_baseline_temp_measure(struct bg_baseline_temps *t, size_t i);

/* Replaces temporary ids in *bid and *mid by the real ones of rows[0..nrows-1] (the rows of
 * the stored run, in the payload's order). */
void bg_baseline_temps_resolve(const struct bg_baseline_temps *t, long long *bid, long long *mid,
                               const struct bg_verdict_row *rows, size_t nrows);

/* Frees what t owns; accepts a zeroed struct. */
void bg_baseline_temps_free(struct bg_baseline_temps *t);

#endif
