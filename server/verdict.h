/* verdict.h: the gate inside benchgated: verdicts.
 *
 * lib/gate.c decides; this module puts a decision together and keeps its outcome. It judges
 * a run against the baseline baseline.h selects (cut per series at its baseline start: an
 * acknowledged regression or a change point) with the thresholds baseline.h says apply,
 * stores the verdict's head with its state and counts in the run's row, what it was decided
 * on, and opens a 'regression' alert per regressed result (alerts.h). The read side serves
 * verdicts and comparisons between two commits; an acknowledgement (ack.h) judges the
 * commit's runs again.
 */
#ifndef BG_VERDICT_H
#define BG_VERDICT_H

#include "buf.h"
#include "db.h"
#include "error.h"
#include "store.h"
#include "verdict_store.h"

#include <stddef.h>

struct bg_principal;

/* Sets the dashboard's public base URL (benchgated --public-url) that verdicts of database
 * db link to ("url"); NULL or "" for none (the default). Call once, before serving; the
 * string is copied. */
void bg_verdict_set_public_url(struct bg_db *db, const char *url);

/* A decided verdict waiting to be rendered (opaque). */
struct bg_verdict_answer;

/* Decides stored run `rid` against a fresh baseline selection, writing nothing: the work of
 * bg_verdict_update_run outside a write transaction (run it inside a read transaction for one
 * consistent snapshot; the tests decide every upload again this way to check the decision
 * made from the payload). BG_OK with the decision in *answer (free with
 * bg_verdict_answer_free), or BG_EDB/BG_ENOENT. */
int bg_verdict_decide_run(struct bg_store *s, const struct bg_project *p, long long rid,
                          struct bg_verdict_answer **answer);

/* Decides the verdict of upload `run` before it is stored, on the caller's read snapshot
 * (which must not include the run), writing nothing: the decision bg_verdict_update_run would
 * make once the run is stored, with the candidate's summaries taken from the payload (rows[i]:
 * result i's, from bg_store_result_rows; their series ids are not read). `now`
 * is the epoch the upload gives a commit it creates without a timestamp. Series and commit
 * the snapshot does not know get temporary ids; bg_verdict_answer_bind replaces them once the
 * run is stored. BG_OK with the decision in *answer, or BG_EDB. */
int bg_verdict_decide_payload(struct bg_store *s, const struct bg_project *p,
                              const struct bg_run *run, const struct bg_verdict_row *rows,
                              long long now, struct bg_verdict_answer **answer);

/* For tests: while a thread holds them (hold 1, then 0 from the same thread), upload
 * decisions on the database of `s` wait before they judge, so an upload's insert finishes first and its verdict
 * takes the path of a slow decision (a second transaction). */
void bg_verdict_hold_decisions(struct bg_store *s, int hold);

/* Ties a bg_verdict_decide_payload decision to its run as stored: run id, commit id and
 * epoch, branch and testbed ids, and rows[i] (the ids of result i's series). */
void bg_verdict_answer_bind(struct bg_verdict_answer *a, long long rid, long long commit_id,
                            long long epoch, long long branch_id, long long testbed_id,
                            const struct bg_verdict_row *rows, size_t nrows);

/* Inside the caller's write transaction: stores decision `a` as its run's verdict and opens
 * its alerts, as bg_verdict_update_run does, when the run's verdict is still pending (*stored
 * 1); otherwise (a replay or recovery stored one first) writes nothing (*stored 0). BG_OK or
 * BG_EDB. */
int bg_verdict_store_decision(struct bg_store *s, const struct bg_verdict_answer *a,
                              int *stored);

/* 1 when decision a is final: not pending a confirmation run (lib/confirm.h). */
int bg_verdict_answer_final(const struct bg_verdict_answer *a);

/* *pending = 1 when run `rid` is stored without its verdict (BG_VERDICT_PENDING). */
int bg_verdict_pending(struct bg_store *s, long long rid, int *pending);

/* Computes the verdict of stored run `rid`, stores its head (runs.verdict: no results, no
 * markdown), state, counts and what it was decided on (runs.gate_input), and opens a
 * regression alert per regressed, unacknowledged result. Runs inside the caller's write
 * transaction. BG_OK, with the decision in *answer (when answer is not NULL; free with
 * bg_verdict_answer_free) so the full verdict can be rendered after the transaction; or
 * BG_EDB/BG_ENOENT. */
int bg_verdict_update_run(struct bg_store *s, const struct bg_project *p, long long rid,
                          struct bg_verdict_answer **answer);

/* Renders the decision's head (what runs.verdict keeps) now, so that
 * bg_verdict_store_decision only stores it: an upload renders beside its insert. */
void bg_verdict_answer_render(struct bg_verdict_answer *a);

/* Appends the verdict JSON of a decision as an upload answers it to out: the full verdict up
 * to BG_VERDICT_ANSWER_FULL_MAX results, else its summary with verdict_url
 * (bg_verdict_render_answer). The text does not depend on the run's ids: an upload writes
 * its answer beside the insert. */
void bg_verdict_answer_write(const struct bg_verdict_answer *a, struct bg_buf *out);

/* The full verdict JSON of a decision; caller frees with cJSON_free. Needs no
 * store: call it after the upload's transaction. */
char *bg_verdict_answer_text(const struct bg_verdict_answer *a);

/* Frees a decision; accepts NULL. */
void bg_verdict_answer_free(struct bg_verdict_answer *a);

/* Puts committed run `rid` (upload `run` of project p, stored with rows[0..n-1], any order)
 * into the decision cache upload decisions share (decision_cache.h; `s` names the database)
 * when the cache admits it (baseline.h: a default-branch run whose rows carry their
 * summaries), so that the next uploads need not read the run back. Call only after the
 * run's transaction committed (a rolled-back run id can be reused). */
void bg_verdict_cache_run(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                          long long rid, const struct bg_verdict_row *rows, size_t n);

/* Renders the full verdict of stored run `rid` again from what its upload pinned (baseline
 * runs, thresholds run) and the commit's acknowledgements now; a run stored before the gate
 * gives {"state":"pending"}. Read-only. BG_OK with the text in *json (caller frees with
 * cJSON_free), BG_ENOENT, BG_EDB. */
int bg_verdict_run_json(struct bg_store *s, const struct bg_project *p, long long rid, char **json);

/* The same verdict as an upload answers it
 * (bg_verdict_answer_write), from what its upload pinned (baseline runs, thresholds run) and
 * the commit's acknowledgements now; a run stored before the gate gives {"state":"pending"}.
 * Read-only. BG_OK with the text in *json (caller frees with cJSON_free), BG_ENOENT,
 * BG_EDB. */
int bg_verdict_run_answer(struct bg_store *s, const struct bg_project *p, long long rid,
                          char **json);

/* Judges stored run `rid` again on what its upload pinned (baseline runs, thresholds run) and
 * the commit's acknowledgements now, and stores the outcome as bg_verdict_update_run does
 * (head, state, counts, regression alerts): what an acknowledgement does to the commit's runs.
 * Runs inside the caller's write transaction. BG_OK with the full verdict text in *json
 * (caller frees with cJSON_free; {"state":"pending",...} for a run stored before the gate),
 * BG_ENOENT, BG_EDB. */
int bg_verdict_rejudge_run(struct bg_store *s, const struct bg_project *p, long long rid,
                           char **json);

/* Appends the verdict of the newest run of commit `sha` on `testbed` (NULL: on any testbed).
 * BG_OK; BG_ENOENT when the commit has no such run (e->field "sha" or "testbed"); BG_EDB. */
int bg_verdict_commit_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                           const char *testbed, struct bg_buf *out, struct bg_ferr *e);

/* Appends a JSON array of the full verdicts of commit `sha`, one per testbed it has runs on
 * (in the order the testbeds were first seen): on each, the verdict of its newest run there,
 * the same object bg_verdict_commit_json gives. BG_OK; BG_ENOENT (no such commit); BG_EDB. */
int bg_verdict_commit_verdicts_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                                    struct bg_buf *out);

/* Appends the gate between two commits: the runs of `base` on the testbed (newest first, at
 * most the window) as baseline, the newest run of `head` as candidate; thresholds of the
 * latest default-branch run. testbed NULL: the project's only testbed. BG_OK; BG_ENOENT with
 * e->field "base", "head" or "testbed"; BG_EINVAL (ambiguous testbed); BG_EDB. */
int bg_verdict_compare_json(struct bg_store *s, const struct bg_project *p, const char *base,
                            const char *head, const char *testbed, struct bg_buf *out,
                            struct bg_ferr *e);

#endif
