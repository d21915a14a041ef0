/* interleave.c: the interleaved A/B comparison (interleave.h). */
#include "interleave.h"

#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"history", "interleaved", "both"};

int bg_compare_mode_parse(const char *s, enum bg_compare_mode *out) {
  for (int m = BG_COMPARE_HISTORY; m <= BG_COMPARE_BOTH; m++)
    if (s && !strcmp(s, mode_names[m])) {
      *out = (enum bg_compare_mode)m;
      return 1;
    }
  return 0;
}

const char *bg_compare_mode_name(enum bg_compare_mode m) {
  return m >= BG_COMPARE_HISTORY && m <= BG_COMPARE_BOTH ? mode_names[m] : "history";
}

/* Result (benchmark, measure) of side, looked for at `hint` first. */
static const struct bg_result *find(const struct bg_run *side, const char *benchmark,
                                    const char *measure, size_t hint) {
  if (hint < side->nresults) {
    const struct bg_result *r = &side->results[hint];
    if (!strcmp(r->benchmark, benchmark) && !strcmp(r->measure, measure))
      return r;
  }
  return bg_run_find_result(side, benchmark, measure);
}

static int point_of(const struct bg_result *r, struct bg_gate_point *p) {
  struct bg_gate_summary s;
  if (!r || bg_gate_summarize_result(r, &s) != BG_OK)
    return 0;
  bg_gate_point_of(&s, p);
  return 1;
}

size_t bg_interleave_pairs_of(const struct bg_interleaved *iv, const char *benchmark,
                              const char *measure, size_t hint, struct bg_gate_pair *out) {
  for (size_t i = 0; i < iv->nrounds; i++) {
    const struct bg_round *r = &iv->rounds[i];
    if (!point_of(find(r->base, benchmark, measure, hint), &out[i].base) ||
        !point_of(find(r->head, benchmark, measure, hint), &out[i].head))
      return 0;
  }
  return iv->nrounds;
}

/* The class of a result in mode both: see interleave.h. */
static enum bg_gate_class combined(enum bg_gate_class paired, enum bg_gate_class history) {
  if (paired == BG_GATE_REGRESSED && history == BG_GATE_REGRESSED)
    return BG_GATE_REGRESSED;
  if (paired == BG_GATE_REGRESSED || paired == BG_GATE_INCONCLUSIVE ||
      history == BG_GATE_REGRESSED || history == BG_GATE_INCONCLUSIVE)
    return BG_GATE_INCONCLUSIVE;
  if (paired == BG_GATE_IMPROVED)
    return history == BG_GATE_IMPROVED ? BG_GATE_IMPROVED : BG_GATE_UNCHANGED;
  return paired;
}

/* A result the pairs could not test (a round lacks it) keeps the history's outcome (its
 * names stay pv's); in mode both (`both`) each tested result of pv takes the class combined
 * with hv's (same order). Then the counts and the state again. */
static void combine(struct bg_gate_verdict *pv, const struct bg_gate_verdict *hv,
                    const struct bg_gate_config *cfg, int both) {
  int fail = 0;
  memset(pv->counts, 0, sizeof pv->counts);
  for (size_t i = 0; i < pv->n; i++) {
    struct bg_gate_outcome *o = &pv->outcomes[i];
    const struct bg_gate_outcome *h = &hv->outcomes[i];
    if (!o->tested && h->tested) {
      char *b = o->benchmark, *m = o->measure, *u = o->unit;
      *o = *h;
      o->benchmark = b;
      o->measure = m;
      o->unit = u;
    } else if (o->tested && both) {
      o->has_history = 1;
      o->history = h->cls;
      o->cls = combined(o->cls, h->cls);
    }
    if ((o->cls == BG_GATE_REGRESSED || (o->cls == BG_GATE_MISSING && cfg->fail_on_missing)) &&
        !o->acknowledged)
      fail = 1;
    pv->counts[o->cls]++;
  }
  int none = pv->state == BG_GATE_NO_BASELINE && hv->state == BG_GATE_NO_BASELINE;
  pv->state = fail ? BG_GATE_FAIL : none ? BG_GATE_NO_BASELINE : BG_GATE_PASS;
}

/* The items of a paired decision, one per outcome of hv. Their summaries only say whether
 * the run has the item and its repetitions (the paired estimate reads the pairs). */
static struct bg_gate_item *paired_items(const struct bg_gate_verdict *hv,
                                         bg_interleave_pairs_fn pairs, void *ctx,
                                         struct bg_gate_summary *present) {
  struct bg_gate_item *items = bg_xcalloc(hv->n ? hv->n : 1, sizeof *items);
  for (size_t i = 0; i < hv->n; i++) {
    const struct bg_gate_outcome *o = &hv->outcomes[i];
    struct bg_gate_item *it = &items[i];
    it->benchmark = o->benchmark;
    it->measure = o->measure;
    it->unit = o->unit;
    it->direction = o->direction;
    present[i].n = o->candidate_n;
    it->candidate = o->cls == BG_GATE_MISSING ? NULL : &present[i];
    it->ignored = o->ignored;
    it->control = o->control;
    it->min_effect = o->min_effect;
    it->acknowledged = o->acknowledged;
    it->confirmed = o->confirmed;
    it->npairs = it->candidate ? pairs(ctx, i, o->benchmark, o->measure, &it->pairs) : 0;
    if (o->tested && o->method == BG_GATE_METHOD_T && o->s2 > 0 && isfinite(o->s2)) {
      /* The history's noise as the pairs' prior; its degrees of freedom are at most what
       * its runs give (a fully pooled variance says MAX_DF). */
      it->pair_prior_s2 = o->s2;
      it->pair_prior_df = fmin(o->df, o->noise_runs > 1 ? (double)o->noise_runs - 1 : 0);
      it->pair_prior_log = o->log_scale;
      it->pair_best30 = o->centre == BG_GATE_CENTRE_BEST30;
    }
    if (!it->npairs)
      it->pairs = NULL;
  }
  return items;
}

int bg_interleave_decide(struct bg_gate_verdict **v, enum bg_compare_mode mode,
                         const char *base_sha, size_t rounds, bg_interleave_pairs_fn pairs,
                         void *ctx, const struct bg_gate_config *cfg) {
  struct bg_gate_verdict *hv = *v, *pv = NULL;
  struct bg_gate_config c;
  if (cfg)
    c = *cfg;
  else
    bg_gate_config_init(&c);
  if (mode == BG_COMPARE_HISTORY) {
    hv->comparison.mode = bg_compare_mode_name(mode);
    return BG_OK;
  }
  c.paired = 1;
  /* Pairs of only some results (a confirmation that re-ran the doubtful ones) are still
   * tested as one verdict's worth of hypotheses. */
  size_t tested = 0;
  for (size_t i = 0; i < hv->n; i++)
    tested += !isnan(hv->outcomes[i].p);
  if (c.family < tested)
    c.family = tested;
  struct bg_gate_summary *present = bg_xcalloc(hv->n ? hv->n : 1, sizeof *present);
  struct bg_gate_item *items = paired_items(hv, pairs, ctx, present);
  int rc = bg_gate_decide(items, hv->n, &c, &pv);
  free(items);
  free(present);
  if (rc != BG_OK)
    return rc;
  /* What the history decision found beyond the classes stays: the confirmation rule and the
   * machine-shift check run after this, on the verdict that decides. */
  combine(pv, hv, &c, mode == BG_COMPARE_BOTH);
  pv->comparison.mode = bg_compare_mode_name(mode);
  snprintf(pv->comparison.base_sha, sizeof pv->comparison.base_sha, "%s", base_sha ? base_sha : "");
  pv->comparison.rounds = rounds;
  bg_gate_verdict_free(hv);
  *v = pv;
  return BG_OK;
}
