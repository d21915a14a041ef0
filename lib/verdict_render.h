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

/* An upload's answer carries the full verdict up to this many results; beyond, a summary:
 * a verdict of 100 000 results is ~40 MB of JSON that the agent does not read. */
#define BG_VERDICT_ANSWER_FULL_MAX 1000
#define BG_VERDICT_ANSWER_WORST 20 /* results a summary lists */

/* The verdict of an upload's answer: bg_verdict_render's full verdict for up to
 * BG_VERDICT_ANSWER_FULL_MAX results. Beyond, a summary: the head's members (state, project,
 * commit, testbed, baseline, counts), then "summarized":true, "results_total" (the results
 * the full verdict holds), "worst" (the BG_VERDICT_ANSWER_WORST most severe results, as
 * "results" writes them, bg_gate_severity_order), summary, url, and "verdict_url": the path
 * whose GET answers the full verdict, results and markdown included. */
void bg_verdict_render_answer(struct bg_buf *out, const struct bg_gate_verdict *v,
                              const struct bg_gate_context *ctx, const char *verdict_url);

#endif
