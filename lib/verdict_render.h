/* verdict_render.h: the verdict object as JSON text, the one renderer of it.
 *
 * Every verdict the API answers (an upload's, GET …/verdict, a comparison, an
 * acknowledgement's) and the head each run keeps in runs.verdict are written here, member by
 * member, straight into a buffer: a verdict of 1 000 results is ~20 000 members, which a cJSON
 * tree would malloc and free one by one. It reads a struct bg_gate_verdict and its context
 * only (lib/gate.h), so it renders verdicts the tests decide without a store as well.
 */
#ifndef BG_VERDICT_RENDER_H
#define BG_VERDICT_RENDER_H

#include "buf.h"
#include "gate.h"

/* Appends the verdict object of v: state, project, commit, testbed, baseline (branch, runs,
 * noise_runs, first, last), counts, results (in the verdict's order), summary, markdown
 * (lib/gate_render.c), url. Members of ctx (NULL: none) that are NULL are null. Numbers
 * that were not tested are null; integral ones are written in full, others with 12
 * significant digits. full 0 leaves out results and markdown: the head runs.verdict keeps. */
void bg_verdict_render(struct bg_buf *out, const struct bg_gate_verdict *v,
                       const struct bg_gate_context *ctx, int full);

#endif
