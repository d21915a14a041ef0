/* verdict_render.c: the verdict object of verdict_render.h. */
#include "verdict_render.h"

#include "confirm.h"
#include "json.h"

#include <string.h>

#include <stdlib.h>

#define PUT(out, lit) BG_JSON_LIT(out, lit)

/* One outcome of the results array. */
static void put_result(struct bg_buf *buf, const struct bg_gate_outcome *r, int first) {
  bg_buf_puts(buf, first ? "{\"benchmark\":" : ",{\"benchmark\":");
  bg_json_str(buf, r->benchmark);
  PUT(buf, ",\"measure\":");
  bg_json_str(buf, r->measure);
  PUT(buf, ",\"unit\":");
  bg_json_str(buf, r->unit);
  bg_buf_puts(buf, r->direction == BG_HIGHER ? ",\"direction\":\"higher\",\"class\":"
                                             : ",\"direction\":\"lower\",\"class\":");
  bg_json_str(buf, bg_gate_class_name(r->cls));
  PUT(buf, ",\"change\":");
  bg_json_num12_int(buf, r->change);
  PUT(buf, ",\"change_ci\":[");
  bg_json_num12_int(buf, r->change_lo);
  PUT(buf, ",");
  bg_json_num12_int(buf, r->change_hi);
  PUT(buf, "],\"p\":");
  bg_json_num12_int(buf, r->p);
  PUT(buf, ",\"q\":");
  bg_json_num12_int(buf, r->q);
  PUT(buf, ",\"method\":");
  bg_json_str(buf, bg_gate_method_name(r->method));
  if (r->method == BG_GATE_METHOD_EXACT) {
    PUT(buf, ",\"resolution\":");
    bg_json_num12_int(buf, r->resolution);
  }
  if (r->has_history) {
    PUT(buf, ",\"history_class\":");
    bg_json_str(buf, bg_gate_class_name(r->history));
  }
  PUT(buf, ",\"min_effect\":");
  bg_json_num12_int(buf, r->min_effect);
  if (r->acknowledged)
    PUT(buf, ",\"acknowledged\":true");
  PUT(buf, ",\"baseline\":{\"center\":");
  bg_json_num12_int(buf, r->baseline_center);
  PUT(buf, ",\"runs\":");
  bg_json_num12_int(buf, (double)r->baseline_runs);
  PUT(buf, ",\"noise_runs\":");
  bg_json_num12_int(buf, (double)r->noise_runs);
  PUT(buf, "},\"candidate\":{\"center\":");
  bg_json_num12_int(buf, r->candidate_center);
  PUT(buf, ",\"n\":");
  bg_json_num12_int(buf, r->candidate_n);
  if (r->candidate_runs > 1)
    bg_buf_printf(buf, ",\"runs\":%zu", r->candidate_runs);
  PUT(buf, "}}");
}

/* "confirmation": what the confirmation rule decided (lib/confirm.h), with the benchmarks of
 * the doubtful results (each once), which an agent re-runs when the decision is "needed". */
static void put_confirmation(struct bg_buf *buf, const struct bg_gate_verdict *v) {
  const struct bg_gate_confirmation *c = &v->confirmation;
  if (!c->decision)
    return;
  PUT(buf, ",\"confirmation\":{\"decision\":");
  bg_json_str(buf, c->decision);
  bg_buf_printf(buf, ",\"runs\":%zu,\"max\":%zu,\"doubtful\":%zu,\"benchmarks\":[", c->runs, c->max,
                c->doubtful);
  const char *last = NULL;
  int first = 1;
  for (size_t i = 0; i < v->n; i++) {
    const struct bg_gate_outcome *o = &v->outcomes[i];
    /* A benchmark's measures are adjacent in a verdict: one name per run of them. */
    if (!bg_confirm_doubtful(o) || (last && !strcmp(last, o->benchmark)))
      continue;
    if (!first)
      PUT(buf, ",");
    bg_json_str(buf, o->benchmark);
    last = o->benchmark;
    first = 0;
  }
  PUT(buf, "]");
  if (c->rounds && c->base_sha[0] && !strcmp(c->decision, "needed")) {
    PUT(buf, ",\"interleave\":{\"base\":");
    bg_json_str(buf, c->base_sha);
    bg_buf_printf(buf, ",\"rounds\":%zu}", c->rounds);
  }
  PUT(buf, "}");
}

/* "machine_shift": a suspected shift of the machine (lib/machine_shift.h), when there is one. */
static void put_shift(struct bg_buf *buf, const struct bg_gate_shift *sh) {
  if (!sh->suspected)
    return;
  PUT(buf, ",\"machine_shift\":{\"reason\":");
  bg_json_str(buf, sh->reason);
  PUT(buf, ",\"factor\":");
  bg_json_num12_int(buf, sh->factor);
  PUT(buf, ",\"factor_ci\":[");
  bg_json_num12_int(buf, sh->lo);
  PUT(buf, ",");
  bg_json_num12_int(buf, sh->hi);
  bg_buf_printf(buf, "],\"benchmarks\":%zu,\"moved\":%zu,\"explained\":%zu}", sh->units, sh->moved,
                sh->explained);
}

/* "comparison": what the candidate was compared with (lib/interleave.h). */
static void put_comparison(struct bg_buf *buf, const struct bg_gate_comparison *c) {
  PUT(buf, ",\"comparison\":{\"mode\":");
  bg_json_str(buf, c->mode ? c->mode : "history");
  if (c->rounds) {
    PUT(buf, ",\"base\":");
    bg_json_str(buf, c->base_sha);
    bg_buf_printf(buf, ",\"rounds\":%zu", c->rounds);
  }
  PUT(buf, "}");
}

/* The members every form starts with: state ... counts, comparison, confirmation,
 * machine_shift. */
static void put_head(struct bg_buf *buf, const struct bg_gate_verdict *v,
                     const struct bg_gate_context *ctx) {
  static const enum bg_gate_class order[] = {
      BG_GATE_REGRESSED, BG_GATE_IMPROVED, BG_GATE_UNCHANGED, BG_GATE_INCONCLUSIVE,
      BG_GATE_NEW,       BG_GATE_MISSING,  BG_GATE_IGNORED};
  PUT(buf, "{\"state\":");
  bg_json_str(buf, bg_gate_state_name(v->state));
  PUT(buf, ",\"project\":");
  bg_json_str(buf, ctx->project);
  PUT(buf, ",\"commit\":");
  bg_json_str(buf, ctx->commit);
  PUT(buf, ",\"testbed\":");
  bg_json_str(buf, ctx->testbed);
  PUT(buf, ",\"baseline\":{\"branch\":");
  bg_json_str(buf, ctx->baseline_branch);
  bg_buf_printf(buf, ",\"runs\":%zu,\"noise_runs\":%zu,\"first\":", v->baseline_runs,
                v->noise_runs);
  bg_json_str(buf, ctx->baseline_first);
  PUT(buf, ",\"last\":");
  bg_json_str(buf, ctx->baseline_last);
  PUT(buf, "},\"counts\":{");
  for (size_t i = 0; i < sizeof order / sizeof *order; i++)
    bg_buf_printf(buf, "%s\"%s\":%zu", i ? "," : "", bg_gate_class_name(order[i]),
                  v->counts[order[i]]);
  PUT(buf, "}");
  put_comparison(buf, &v->comparison);
  put_confirmation(buf, v);
  put_shift(buf, &v->shift);
}

static void put_summary(struct bg_buf *buf, const struct bg_gate_verdict *v) {
  char *summary = bg_gate_summary_text(v);
  PUT(buf, ",\"summary\":");
  bg_json_str(buf, summary);
  free(summary);
}

void bg_verdict_render(struct bg_buf *buf, const struct bg_gate_verdict *v,
                       const struct bg_gate_context *ctx, int full) {
  const struct bg_gate_context none = {0};
  if (!ctx)
    ctx = &none;
  put_head(buf, v, ctx);
  if (full) {
    PUT(buf, ",\"results\":[");
    for (size_t i = 0; i < v->n; i++)
      put_result(buf, &v->outcomes[i], i == 0);
    PUT(buf, "]");
  }
  put_summary(buf, v);
  if (full) {
    char *md = bg_gate_markdown(v, ctx);
    PUT(buf, ",\"markdown\":");
    bg_json_str(buf, md);
    free(md);
  }
  PUT(buf, ",\"url\":");
  bg_json_str(buf, ctx->url);
  PUT(buf, "}");
}

void bg_verdict_render_answer(struct bg_buf *buf, const struct bg_gate_verdict *v,
                              const struct bg_gate_context *ctx, const char *verdict_url) {
  const struct bg_gate_context none = {0};
  if (v->n <= BG_VERDICT_ANSWER_FULL_MAX) {
    bg_verdict_render(buf, v, ctx, 1);
    return;
  }
  if (!ctx)
    ctx = &none;
  put_head(buf, v, ctx);
  bg_buf_printf(buf, ",\"summarized\":true,\"results_total\":%zu,\"worst\":[", v->n);
  size_t *ord = bg_gate_severity_order(v);
  for (size_t i = 0; i < v->n && i < BG_VERDICT_ANSWER_WORST; i++)
    put_result(buf, &v->outcomes[ord[i]], i == 0);
  free(ord);
  PUT(buf, "]");
  put_summary(buf, v);
  PUT(buf, ",\"url\":");
  bg_json_str(buf, ctx->url);
  PUT(buf, ",\"verdict_url\":");
  bg_json_str(buf, verdict_url);
  PUT(buf, "}");
}
