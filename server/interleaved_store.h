/* interleaved_store.h: the SQLite storage of interleaved runs (lib/interleave.h).
 *
 * An interleaved run keeps, beside its results, its base commit and round count (runs row)
 * and, per result of the head and round, the gate's point of each side (interleaved_points,
 * schema/014_interleaved.sql). A decision reads them back as one table of pairs per run,
 * ordered by series, so that a stored run is decided again exactly as its upload was.
 */
#ifndef BG_INTERLEAVED_STORE_H
#define BG_INTERLEAVED_STORE_H

#include "gate.h"
#include "run.h"
#include "store.h"
#include "store_runs.h"

#include <stddef.h>

/* The pairs of one stored run: for each series (bid, mid) with pairs, `rounds` of them. */
struct bg_istore_pairs {
  char base_sha[65];
  size_t rounds; /* 0: the run is not interleaved */
  size_t nseries;
  long long *bids, *mids;     /* per series, ascending by (bid, mid) */
  struct bg_gate_pair *pairs; /* rounds per series, series after series */
};

/* Inside the caller's write transaction: stores the interleaved part of run (stored as
 * `rid`, its results' series ids in rows[0..run->nresults)): the base and round count, and
 * the pairs of every result that every round has on both sides. Nothing for a run without
 * one. BG_OK or BG_EDB. */
int bg_istore_insert(struct bg_store *s, long long rid, const struct bg_run *run,
                     const struct bg_verdict_row *rows);

/* Reads run rid's pairs into *out (rounds 0 when it has none). Free with bg_istore_free.
 * BG_OK or BG_EDB. */
int bg_istore_load(struct bg_store *s, long long rid, struct bg_istore_pairs *out);

/* The pairs of series (bid, mid) in p: their number (p->rounds) with *out set, or 0. */
size_t bg_istore_find(const struct bg_istore_pairs *p, long long bid, long long mid,
                      const struct bg_gate_pair **out);

void bg_istore_free(struct bg_istore_pairs *p);

#endif
