/* interleaved.c: interleaved A/B runs inside benchgated (interleaved.h). */
#include "interleaved.h"

#include "interleave.h"
#include "interleaved_store.h"
#include "mem.h"
#include "table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The gate's settings of a paired decision in project p. */
static void paired_config(const struct bg_project *p, struct bg_gate_config *c) {
  bg_gate_config_init(c);
  if (p->alpha > 0 && p->alpha < 1)
    c->alpha = p->alpha;
}

/* FNV-1a over "benchmark\0measure". */
static uint64_t name_key(const char *benchmark, const char *measure) {
  uint64_t h = 1469598103934665603ULL;
  for (const char *c = benchmark; *c; c++)
    h = (h ^ (unsigned char)*c) * 1099511628211ULL;
  h = (h ^ 0xff) * 1099511628211ULL;
  for (const char *c = measure; *c; c++)
    h = (h ^ (unsigned char)*c) * 1099511628211ULL;
  return h;
}

/* The payload's pairs, by name: a keyed table of the run's result indices (each side holds
 * its results in the run's order, which makes that index the hint). */
struct payload_pairs {
  const struct bg_run *run;
  struct bg_table index;
  struct bg_gate_pair *buf; /* room for every outcome's pairs: the items keep them */
};

static size_t payload_pairs_of(void *ctx, size_t outcome, const char *benchmark,
                               const char *measure, const struct bg_gate_pair **out) {
  struct payload_pairs *pp = ctx;
  size_t at = 0, i, hint = SIZE_MAX;
  uint64_t key = name_key(benchmark, measure);
  while (bg_table_next(&pp->index, key, &at, &i)) {
    const struct bg_result *r = &pp->run->results[i];
    if (!strcmp(r->benchmark, benchmark) && !strcmp(r->measure, measure)) {
      hint = i;
      break;
    }
  }
  const struct bg_interleaved *iv = pp->run->interleaved;
  *out = pp->buf + outcome * iv->nrounds;
  return bg_interleave_pairs_of(iv, benchmark, measure, hint, pp->buf + outcome * iv->nrounds);
}

int bg_interleaved_apply_payload(const struct bg_project *p, const struct bg_run *run,
                                 struct bg_decision *d) {
  const struct bg_interleaved *iv = run->interleaved;
  enum bg_compare_mode mode = (enum bg_compare_mode)p->comparison;
  if (!iv || !iv->nrounds || mode == BG_COMPARE_HISTORY || !d->v)
    return BG_OK;
  size_t n = d->v->n ? d->v->n : 1;
  struct payload_pairs pp = {run, {0}, bg_xmalloc(n * iv->nrounds * sizeof *pp.buf)};
  bg_table_reserve(&pp.index, run->nresults);
  for (size_t i = 0; i < run->nresults; i++)
    bg_table_add(&pp.index, name_key(run->results[i].benchmark, run->results[i].measure), i);
  struct bg_gate_config c;
  paired_config(p, &c);
  int rc = bg_interleave_decide(&d->v, mode, iv->base_sha, iv->nrounds, payload_pairs_of, &pp, &c);
  bg_table_free(&pp.index);
  free(pp.buf);
  return rc;
}

/* The stored pairs of a chain, by the outcomes' series ids: runs[0] is the run decided, the
 * others the earlier confirmations measured against its base; a series' pairs are those of
 * every run that has them, concatenated into buf (room for `per` pairs per outcome). */
struct stored_pairs {
  const struct bg_istore_pairs *runs;
  size_t nruns, per;
  const struct bg_decision *d;
  struct bg_gate_pair *buf;
};

static size_t stored_pairs_of(void *ctx, size_t outcome, const char *benchmark, const char *measure,
                              const struct bg_gate_pair **out) {
  const struct stored_pairs *sp = ctx;
  (void)benchmark;
  (void)measure;
  long long bid = sp->d->bids[outcome], mid = sp->d->mids[outcome];
  if (sp->nruns == 1)
    return bg_istore_find(&sp->runs[0], bid, mid, out);
  struct bg_gate_pair *to = sp->buf + outcome * sp->per;
  size_t n = 0;
  for (size_t k = 0; k < sp->nruns; k++) {
    const struct bg_gate_pair *p;
    size_t m = bg_istore_find(&sp->runs[k], bid, mid, &p);
    memcpy(to + n, p, m * sizeof *p);
    n += m;
  }
  *out = to;
  return n;
}

/* Loads run rid's pairs into runs[0] and those of the earlier confirmations that share its
 * base after it; *nruns counts them, *per their rounds together. */
static int load_chain(struct bg_store *s, long long rid, const long long *earlier, size_t n,
                      struct bg_istore_pairs *runs, size_t *nruns, size_t *per) {
  int rc = bg_istore_load(s, rid, &runs[0]);
  *nruns = 1;
  *per = runs[0].rounds;
  for (size_t i = 0; i < n && rc == BG_OK && runs[0].rounds; i++) {
    struct bg_istore_pairs *e = &runs[*nruns];
    if ((rc = bg_istore_load(s, earlier[i], e)) != BG_OK)
      break;
    if (e->rounds && !strcmp(e->base_sha, runs[0].base_sha)) {
      *per += e->rounds;
      (*nruns)++;
    } else {
      bg_istore_free(e);
    }
  }
  return rc;
}

int bg_interleaved_apply_stored(struct bg_store *s, const struct bg_project *p, long long rid,
                                const long long *earlier, size_t nearlier, struct bg_decision *d) {
  enum bg_compare_mode mode = (enum bg_compare_mode)p->comparison;
  if (mode == BG_COMPARE_HISTORY || !d->v)
    return BG_OK;
  struct bg_istore_pairs *runs = bg_xcalloc(nearlier + 1, sizeof *runs);
  size_t nruns = 0, per = 0;
  int rc = load_chain(s, rid, earlier, nearlier, runs, &nruns, &per);
  if (rc == BG_OK && runs[0].rounds) {
    size_t n = d->v->n ? d->v->n : 1;
    struct stored_pairs sp = {runs, nruns, per, d,
                              nruns > 1 ? bg_xmalloc(n * per * sizeof *sp.buf) : NULL};
    struct bg_gate_config c;
    paired_config(p, &c);
    rc = bg_interleave_decide(&d->v, mode, runs[0].base_sha, per, stored_pairs_of, &sp, &c);
    free(sp.buf);
  }
  for (size_t k = 0; k < nearlier + 1; k++)
    bg_istore_free(&runs[k]);
  free(runs);
  return rc;
}
