/* interleave.h: the interleaved A/B comparison (DESIGN 6.6).
 *
 * An interleaved run (run.h, struct bg_interleaved) measured the base commit and the head
 * alternately on one machine within one job. Each round gives a pair: the base's run centre
 * and the head's, measured minutes apart. The gate compares the pairs directly (gate.h,
 * "Paired comparison") instead of the head against the history, so a machine that is slower
 * for the length of the job slows both sides alike and no longer looks like slower code.
 *
 * A project chooses the mode:
 *   history      the head against the baseline runs; pairs, if any, are kept but not used;
 *   interleaved  the pairs alone (a run without them is compared with the history, and the
 *                verdict says so; so is a result that not every round measured);
 *   both         both comparisons: a result regresses only when both find it regressed (an
 *                intersection-union test: it fails unchanged code no more often than either
 *                alone), a regression that only one finds is inconclusive, an improvement
 *                needs both; each result also shows the class the history gave.
 */
#ifndef BG_INTERLEAVE_H
#define BG_INTERLEAVE_H

#include "gate.h"
#include "run.h"

#include <stddef.h>

enum bg_compare_mode { BG_COMPARE_HISTORY = 0, BG_COMPARE_INTERLEAVED, BG_COMPARE_BOTH };

#define BG_INTERLEAVE_DEFAULT_ROUNDS 3 /* rounds an agent runs when the project says none */
#define BG_INTERLEAVE_MAX_ROUNDS                                                                   \
  20 /* what a project may ask for (BG_RUN_MAX_ROUNDS accepts more) */

/* "history", "interleaved", "both" to the mode and back; parse returns 1 when known. */
int bg_compare_mode_parse(const char *s, enum bg_compare_mode *out);
const char *bg_compare_mode_name(enum bg_compare_mode m);

/* The pairs of result (benchmark, measure) of interleaved run iv into out (room for
 * iv->nrounds): each round's base and head results summarised (bg_gate_summarize_result,
 * bg_gate_point_of). Returns iv->nrounds when every round has the result on both sides, else
 * 0: rounds that did not all measure it are not compared. `hint` is where the result is
 * expected in each side's results (the agent writes every side in one order); a miss falls
 * back to a search. */
size_t bg_interleave_pairs_of(const struct bg_interleaved *iv, const char *benchmark,
                              const char *measure, size_t hint, struct bg_gate_pair *out);

/* Where the pairs of one result (outcome `outcome` of the verdict) come from: sets *out
 * (borrowed until the decision is made: each item keeps its own) and returns their number,
 * 0 for none. */
typedef size_t (*bg_interleave_pairs_fn)(void *ctx, size_t outcome, const char *benchmark,
                                         const char *measure, const struct bg_gate_pair **out);

/* Decides *v, the history decision of an interleaved run's head, again in mode `mode`, and
 * replaces it: one item per outcome of *v, in its order (names, direction, thresholds,
 * acknowledgements and flags come from the outcomes), compared on the pairs that `pairs`
 * gives (gate.h, paired) under cfg (NULL: defaults; its paired flag is set here). history
 * leaves the decision as it is; both combines the two per result as above. The verdict's
 * comparison says what was used (mode, base_sha, rounds). BG_OK, or BG_EINVAL (then *v is
 * unchanged). */
int bg_interleave_decide(struct bg_gate_verdict **v, enum bg_compare_mode mode,
                         const char *base_sha, size_t rounds, bg_interleave_pairs_fn pairs,
                         void *ctx, const struct bg_gate_config *cfg);

#endif
