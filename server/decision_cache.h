/* decision_cache.h: what verdict decisions keep from one to the next.
 *
 * What is cached, per baseline run: the gate point (bg_gate_point) of each of its results,
 * keyed by series (benchmark id, measure id), in the order a read of the run gives its rows.
 * A committed run's results never change and run ids are never reused, so an entry stays
 * valid for the life of the database object; only committed runs enter it: runs read as
 * baselines (always committed) and runs an upload puts in after its transaction committed
 * (bg_verdict_cache_run; baseline.h's bg_baseline_admits says which). An upload then reads
 * no baseline run from the store, or the one its snapshot missed.
 *
 * Size and eviction: entries are looked up by run id (lib/table.h) and evicted least
 * recently used. The cache always holds the window it serves plus a few runs: asked for a
 * baseline longer than it holds (a project with a noise window above the default), it grows
 * to fit, so every window a project sets is served from it.
 *
 * Sorted windows per series: the gate wants each series' baseline centres sorted (medians,
 * MAD, trimmed means). Each series keeps its level's and its noise's centres in a bg_window
 * (lib/window.h) brought up to date by a few insertions and deletions as the window moves on,
 * instead of sorted afresh per upload (bg_dcache_sorted). Past MAX_STATE_BYTES in all they
 * start over (bg_dcache_trim, before a decision, never during one: the decision's items
 * point into them).
 *
 * The spare matrix: a decision's (item, baseline rank) matrix of points is 3 MB at 1 000
 * items x 100 runs, which a fresh allocation maps and faults in page by page on every upload;
 * the last one is kept for the next (bg_dcache_matrix, bg_dcache_matrix_keep).
 *
 * Kept thresholds: the min_effect and ignore flag a run's results got from its thresholds'
 * rules (gate_thresholds.h), for the last KEPT_TH runs decided. A stored run is decided again
 * on every GET of its verdict, and its rules (pinned: the thresholds' run never changes) cost
 * rules x results compiled matches each time (64 rules x 50 000 results of 300-byte names: up
 * to 8 s); kept, a GET pays them once per connection (bg_dcache_th_get, bg_dcache_th_put).
 *
 * Where caches live: one per database, shared by all its connections, for upload decisions
 * (an upload may arrive on any thread; with one cache per connection every thread read again
 * the runs the others stored and rebuilt each series' window from scratch). Decisions take
 * turns on its lock (bg_dcache_lock; the inserts they overlap with do not). Decisions of
 * stored runs (re-renders, acknowledgements, recovery) use a cache of their connection
 * (bg_dcache_of), unlocked, so reads never wait for uploads.
 */
#ifndef BG_DECISION_CACHE_H
#define BG_DECISION_CACHE_H

#include "db.h"
#include "gate.h"
#include "verdict_store.h"

#include <stddef.h>
#include <stdint.h>

struct bg_dcache;

/* The cache of database db shared by its connections, locked: release it with
 * bg_dcache_unlock from the same thread. */
struct bg_dcache *bg_dcache_lock(struct bg_db *db);
void bg_dcache_unlock(struct bg_db *db);

/* The cache of connection s (for decisions of stored runs); the connection frees it. */
struct bg_dcache *bg_dcache_of(struct bg_store *s);

/* Called per baseline point: the run's rank in the baseline (0: newest) and the point of
 * series (bid, mid). */
typedef void (*bg_dcache_point_fn)(void *ctx, size_t rank, long long bid, long long mid,
                                   const struct bg_gate_point *pt);

/* Hands every point of baseline b's runs to fn, rank by rank, each run's in the order a read
 * of it gives them; runs the cache lacks are read on s and kept. BG_OK, or BG_EDB with
 * nothing kept of the runs that were being read. */
int bg_dcache_baseline(struct bg_dcache *c, struct bg_store *s, const struct bg_baseline *b,
                       bg_dcache_point_fn fn, void *ctx);

/* Keeps committed run `rid`'s rows (any order; left to the caller) as the read of the run
 * would give them (verdict_store.h's bg_vstore_as_stored). */
void bg_dcache_put(struct bg_dcache *c, long long rid, const struct bg_verdict_row *rows, size_t n);

/* Hands item g the sorted centres of its level's and its noise's runs (ids[i] is the run of
 * g->baseline[i]) from series (bid, mid)'s windows, brought up to date: the gate's estimate
 * then sorts nothing. `scratch` holds g->nbaseline doubles. The arrays stay valid until the
 * next bg_dcache_trim. */
void bg_dcache_sorted(struct bg_dcache *c, long long bid, long long mid, struct bg_gate_item *g,
                      const long long *ids, const struct bg_gate_config *cfg, double *scratch);

/* Starts the series' windows over when they hold more than their budget. Call before a
 * decision. */
void bg_dcache_trim(struct bg_dcache *c);

/* A matrix of `need` points and as many zeroed have-flags: the spare one when it is large
 * enough, else a new one. *cap gets its entries. The caller owns it. */
void bg_dcache_matrix(struct bg_dcache *c, size_t need, struct bg_gate_point **sums,
                      unsigned char **have, size_t *cap);

/* Keeps a decision's matrix (cap entries) as the spare, freeing the one kept before. */
void bg_dcache_matrix_keep(struct bg_dcache *c, struct bg_gate_point *sums, unsigned char *have,
                           size_t cap);

/* The thresholds of one decision's candidate items, in their order: kept under the key of the
 * run decided, the thresholds' run and a hash of the items' names with their count, so that
 * a different set of items never gets them. */
#define BG_DCACHE_TH_IGNORED 1
#define BG_DCACHE_TH_CONTROL 2

struct bg_dcache_th {
  long long rid, th_run;
  uint64_t names;
  size_t n;
  double *min_effect;     /* n, owned */
  unsigned char *flags;   /* n, owned: BG_DCACHE_TH_IGNORED | BG_DCACHE_TH_CONTROL */
};

/* The kept thresholds under that key, or NULL. Valid until the next bg_dcache_th_put. */
const struct bg_dcache_th *bg_dcache_th_get(struct bg_dcache *c, long long rid, long long th_run,
                                            uint64_t names, size_t n);

/* Keeps t (taking its arrays over), dropping the least recently kept entry when full. */
void bg_dcache_th_put(struct bg_dcache *c, const struct bg_dcache_th *t);

/* What the shared cache of a database served: baseline runs found in it, runs read from the
 * store, and runs it can hold now. */
struct bg_dcache_stats {
  unsigned long long hits, reads;
  size_t capacity;
};
void bg_dcache_stats(struct bg_db *db, struct bg_dcache_stats *out);

#endif
