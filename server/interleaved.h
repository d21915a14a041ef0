/* interleaved.h: interleaved A/B runs inside benchgated (lib/interleave.h).
 *
 * A run that carries an interleaved part (base and head measured alternately in one job) is
 * decided on its history first, like every run; in a project whose comparison is
 * "interleaved" or "both" that decision is then made again on the run's pairs, taken from
 * the upload's payload before it is stored, or from the store (interleaved_store.h) when a
 * stored run is decided again (a read, an acknowledgement, recovery). A run without pairs,
 * or a project comparing with history, keeps the history decision, and the verdict's
 * comparison says which was used. A confirmation (lib/confirm.h) measured interleaved is
 * decided on the pairs of its chain: its own rounds and those of the earlier confirmations of
 * the same first run against the same base, per series, as its history decision pools their
 * runs (decision.h).
 */
#ifndef BG_INTERLEAVED_H
#define BG_INTERLEAVED_H

#include "decision.h"
#include "run.h"
#include "store.h"

/* Decision d (of upload `run`, not stored yet) in project p's mode, on the payload's pairs.
 * BG_OK or BG_EINVAL. */
int bg_interleaved_apply_payload(const struct bg_project *p, const struct bg_run *run,
                                 struct bg_decision *d);

/* Decision d (of stored run rid) in project p's mode, on the stored pairs of rid and of the
 * earlier confirmations earlier[0..nearlier) of its chain (none for a first run). BG_OK,
 * BG_EDB or BG_EINVAL. */
int bg_interleaved_apply_stored(struct bg_store *s, const struct bg_project *p, long long rid,
                                const long long *earlier, size_t nearlier, struct bg_decision *d);

#endif
