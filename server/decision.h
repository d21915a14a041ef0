/* decision.h: one decision: a candidate's items judged against a baseline.
 *
 * The candidate's results become items (one per series, keyed by benchmark and measure id
 * in a keyed table), read from a stored run or taken from an upload's payload (temporary ids
 * for series the store lacks, baseline.h). The baseline's points go into an (item, rank)
 * matrix through the decision cache; series that only the baseline has become items too
 * (missing, when the newest baseline run still had them). With the series' baseline starts
 * and the commit's acknowledgements applied, bg_gate_decide gives the verdict; the outcome of
 * each item keeps its series ids for the alerts.
 */
#ifndef BG_DECISION_H
#define BG_DECISION_H

#include "baseline.h"
#include "decision_cache.h"
#include "gate.h"
#include "store.h"
#include "verdict_store.h"

/* What one decision produced, with the ids of each outcome's series. */
struct bg_decision {
  struct bg_gate_verdict *v;
  long long *bids, *mids; /* per outcome */
};

/* Frees what d owns and zeroes it; accepts a zeroed struct. */
void bg_decision_free(struct bg_decision *d);

/* A candidate's items (opaque). */
struct bg_decision_items;

/* The items of stored run `rid`. BG_OK with *it (free with bg_decision_items_free), BG_EDB. */
int bg_decision_stored(struct bg_store *s, long long rid, struct bg_decision_items **it);

/* Makes items `it` (fresh from bg_decision_stored of a confirmation, before any decision) the
 * candidate of the confirmation chain: the confirmations decide (lib/confirm.h), so each
 * series' candidate is the pool (bg_gate_summary_pool) of this run and the earlier
 * confirmations earlier[0..n-1] that have it, marked confirmed; a series that no
 * confirmation re-ran keeps the first run's summary, unconfirmed. BG_OK or BG_EDB. */
int bg_decision_pool(struct bg_store *s, struct bg_decision_items *it, long long first,
                     const long long *earlier, size_t n);

/* The items of upload `run` before it is stored (rows[i]: result i's row from
 * bg_store_result_rows), on the caller's snapshot, in the order a read of the stored run
 * gives them; names the snapshot lacks get temporary ids recorded in t (initialised here).
 * BG_OK with *it, or BG_EDB. The items point at run's names: run must outlive them. */
int bg_decision_payload(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                        const struct bg_verdict_row *rows, struct bg_baseline_temps *t,
                        struct bg_decision_items **it);

/* Decides items `it` (fresh from the above) against baseline b through `cache`, with
 * thresholds th (NULL: defaults). Series starts on `testbed` are applied when `cuts` is set
 * and the baseline reaches past them; `ack_commit` (0: none) names the commit whose
 * acknowledgements count. BG_OK with *d, BG_EDB, BG_EINVAL. */
int bg_decision_make(struct bg_store *s, struct bg_dcache *cache, const struct bg_project *p,
                     struct bg_decision_items *it, long long testbed, const struct bg_baseline *b,
                     int cuts, long long ack_commit, const struct bg_gate_thresholds *th,
                     struct bg_decision *d);

/* Looks the thresholds th (NULL: defaults) up for every item that has its names, so that
 * bg_decision_make, which runs under the decision cache's lock for uploads, only looks up
 * the few series that only the baseline has. Call before taking any lock; th must be the
 * thresholds later given to bg_decision_make. */
void bg_decision_thresholds(struct bg_decision_items *it, const struct bg_gate_thresholds *th);

/* bg_decision_thresholds for the items of stored run `rid` (fresh from bg_decision_stored),
 * whose thresholds are those of run th_run: kept in `cache` (decision_cache.h), so that the
 * next decision of the same run with the same thresholds matches no rule again. */
void bg_decision_thresholds_kept(struct bg_decision_items *it, const struct bg_gate_thresholds *th,
                                 struct bg_dcache *cache, long long rid, long long th_run);

/* Hands the items' matrix to `cache` for the next decision (call while holding it). */
void bg_decision_items_recycle(struct bg_decision_items *it, struct bg_dcache *cache);

/* Frees items; accepts NULL. */
void bg_decision_items_free(struct bg_decision_items *it);

#endif
