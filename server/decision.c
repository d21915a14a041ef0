/* decision.c: one decision (decision.h). */
#include "decision.h"

#include "mem.h"
#include "table.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- items ---- */

struct item {
  long long bid, mid;
  char *benchmark, *measure, *unit;
  enum bg_direction direction;
  int has_cand, acknowledged;
  struct bg_gate_summary cand; /* pooled over cand_runs runs (confirmations of one commit) */
  size_t cand_runs;
  int confirmed; /* the candidate comes from confirmation runs, not the first run */
  long long cut_epoch, cut_commit; /* series baseline start; cut_epoch LLONG_MIN: none */
  int has_th; /* min_effect, ignored and control looked up (bg_decision_thresholds) */
  int ignored, control;
  double min_effect;
};

struct bg_decision_items {
  struct item *v;
  size_t n, cap;
  size_t k;                   /* baseline runs (stride of sums/have) */
  struct bg_gate_point *sums; /* [item * k + rank] */
  unsigned char *have;
  size_t sums_cap;        /* entries sums and have hold */
  struct bg_table by_key; /* (bid, mid) -> index in v */
  char **blocks;          /* the items' names: blocks of NAME_BLOCK bytes (or one long name) */
  size_t nblocks, left;
  char *next; /* free space of the last block */
};

#define NAME_BLOCK 65536

/* A copy of s (NULL stays NULL) that lives as long as the items: a name per result would
 * otherwise be three mallocs and frees. */
static char *items_name(struct bg_decision_items *it, const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s) + 1;
  if (n > it->left) {
    size_t size = n > NAME_BLOCK ? n : NAME_BLOCK;
    it->blocks = bg_xrealloc(it->blocks, (it->nblocks + 1) * sizeof *it->blocks);
    it->next = it->blocks[it->nblocks++] = bg_xmalloc(size);
    it->left = size;
  }
  char *at = it->next;
  memcpy(at, s, n);
  it->next += n;
  it->left -= n;
  return at;
}

static struct item *items_find(struct bg_decision_items *it, long long bid, long long mid) {
  size_t at = 0, i;
  uint64_t key = bg_table_pair(bid, mid);
  while (bg_table_next(&it->by_key, key, &at, &i))
    if (it->v[i].bid == bid && it->v[i].mid == mid)
      return &it->v[i];
  return NULL;
}

/* Adds an item (zeroed but for its key); its baseline slots are empty. want: the items
 * expected in all (0: unknown), so that a payload's 100 000 results take one allocation of
 * their size, not doublings to 131 072 with both copies held at the last. */
static struct item *items_add_n(struct bg_decision_items *it, long long bid, long long mid,
                                size_t want) {
  if (it->n == it->cap) {
    size_t nc = it->cap ? it->cap * 2 : want > 256 ? want : 256;
    it->v = bg_xrealloc(it->v, nc * sizeof *it->v);
    if (it->k && nc * it->k > it->sums_cap) {
      it->sums = bg_xrealloc(it->sums, nc * it->k * sizeof *it->sums);
      it->have = bg_xrealloc(it->have, nc * it->k);
      it->sums_cap = nc * it->k;
    }
    if (it->k)
      memset(it->have + it->cap * it->k, 0, (nc - it->cap) * it->k);
    it->cap = nc;
  }
  struct item *x = &it->v[it->n];
  memset(x, 0, sizeof *x);
  x->bid = bid;
  x->mid = mid;
  x->cut_epoch = LLONG_MIN;
  bg_table_add(&it->by_key, bg_table_pair(bid, mid), it->n++);
  return x;
}

static struct item *items_add(struct bg_decision_items *it, long long bid, long long mid) {
  return items_add_n(it, bid, mid, 0);
}

void bg_decision_items_free(struct bg_decision_items *it) {
  if (!it)
    return;
  for (size_t i = 0; i < it->nblocks; i++)
    free(it->blocks[i]);
  free(it->blocks);
  free(it->v);
  free(it->sums);
  free(it->have);
  bg_table_free(&it->by_key);
  free(it);
}

/* An item per row of the candidate run. */
static int cand_row(void *ctx, const struct bg_vstore_result *r) {
  struct bg_decision_items *it = ctx;
  struct item *x = items_add(it, r->row.bid, r->row.mid);
  x->benchmark = items_name(it, r->benchmark);
  x->measure = items_name(it, r->measure);
  x->unit = items_name(it, r->unit);
  x->direction = r->direction;
  x->has_cand = 1;
  x->cand_runs = 1;
  bg_baseline_row_summary(r, &x->cand);
  return BG_OK;
}

/* A row of an earlier confirmation of the candidate's commit: pooled into its series' item,
 * or an item of its own for a series this confirmation did not re-run. */
static int pool_row(void *ctx, const struct bg_vstore_result *r) {
  struct bg_decision_items *it = ctx;
  struct item *x = items_find(it, r->row.bid, r->row.mid);
  struct bg_gate_summary sum;
  bg_baseline_row_summary(r, &sum);
  if (!x) {
    x = items_add(it, r->row.bid, r->row.mid);
    x->benchmark = items_name(it, r->benchmark);
    x->measure = items_name(it, r->measure);
    x->unit = items_name(it, r->unit);
    x->direction = r->direction;
    x->has_cand = 1;
    x->confirmed = 1;
  }
  bg_gate_summary_pool(&x->cand, &x->cand_runs, &sum);
  return BG_OK;
}

/* A row of the first run: an item for a series no confirmation re-ran (its suite held
 * nothing doubtful), unconfirmed; the confirmations' series keep their own evidence. */
static int first_row(void *ctx, const struct bg_vstore_result *r) {
  struct bg_decision_items *it = ctx;
  if (items_find(it, r->row.bid, r->row.mid))
    return BG_OK;
  return cand_row(ctx, r);
}

static int cmp_item(const void *a, const void *b);

/* Re-sorts the items by series and rebuilds their table, the order a stored run's read gives. */
static void items_sort(struct bg_decision_items *it) {
  qsort(it->v, it->n, sizeof *it->v, cmp_item);
  bg_table_clear(&it->by_key);
  for (size_t i = 0; i < it->n; i++)
    bg_table_add(&it->by_key, bg_table_pair(it->v[i].bid, it->v[i].mid), i);
}

int bg_decision_pool(struct bg_store *s, struct bg_decision_items *it, long long first,
                     const long long *earlier, size_t n) {
  size_t before = it->n;
  int rc = BG_OK;
  for (size_t i = 0; i < it->n; i++)
    it->v[i].confirmed = 1; /* the confirmation being decided */
  for (size_t i = 0; i < n && rc == BG_OK; i++)
    rc = bg_vstore_candidate(s, earlier[i], pool_row, it);
  if (rc == BG_OK)
    rc = bg_vstore_candidate(s, first, first_row, it);
  if (rc == BG_OK && it->n != before)
    items_sort(it);
  return rc;
}

/* Where baseline points go: the item of their series, created when the candidate lacks it
 * (maybe missing). */
struct placing {
  struct bg_decision_items *it;
  size_t rank, guess;
};

static void add_baseline(void *ctx, size_t rank, long long bid, long long mid,
                         const struct bg_gate_point *g) {
  struct placing *pl = ctx;
  struct bg_decision_items *it = pl->it;
  if (rank != pl->rank) {
    pl->rank = rank;
    pl->guess = 0;
  }
  /* Runs of one suite hold the same series in the same (key) order as the candidate: try the
   * item after the previous one before the table. */
  size_t guess = pl->guess;
  struct item *x = guess < it->n && it->v[guess].bid == bid && it->v[guess].mid == mid
                       ? &it->v[guess]
                       : items_find(it, bid, mid);
  if (!x)
    x = items_add(it, bid, mid);
  size_t i = (size_t)(x - it->v);
  pl->guess = i + 1;
  it->sums[i * it->k + rank] = *g;
  it->have[i * it->k + rank] = 1;
}

void bg_decision_items_recycle(struct bg_decision_items *it, struct bg_dcache *c) {
  if (!it->sums)
    return;
  bg_dcache_matrix_keep(c, it->sums, it->have, it->sums_cap);
  it->sums = NULL;
  it->have = NULL;
  it->sums_cap = 0;
}

/* Reads the points of the baseline runs into their (item, rank) slots through `cache`. */
static int load_baseline(struct bg_store *s, struct bg_dcache *cache, const struct bg_baseline *b,
                         struct bg_decision_items *it) {
  it->k = b->n;
  if (!b->n)
    return BG_OK;
  bg_dcache_matrix(cache, (it->cap ? it->cap : 1) * it->k, &it->sums, &it->have, &it->sums_cap);
  struct placing pl = {it, SIZE_MAX, 0};
  return bg_dcache_baseline(cache, s, b, add_baseline, &pl);
}

/* A direction as stored ("lower" or "higher"). */
static enum bg_direction stored_direction(const char *d) {
  enum bg_direction dir = BG_LOWER;
  bg_direction_parse(d, &dir);
  return dir;
}

/* Names of an item that is only in the baseline. */
static int item_names(struct bg_store *s, struct bg_decision_items *it, struct item *x) {
  struct bg_store_series_names n;
  int rc = bg_store_series_names(s, x->bid, x->mid, &n);
  if (rc == BG_OK) {
    x->benchmark = items_name(it, n.benchmark);
    x->measure = items_name(it, n.measure);
    x->unit = items_name(it, n.unit);
    x->direction = stored_direction(n.direction);
  }
  return rc;
}

static void cut_series(void *ctx, long long bid, long long mid, long long epoch, long long commit) {
  struct item *x = items_find(ctx, bid, mid);
  if (x) {
    x->cut_epoch = epoch;
    x->cut_commit = commit;
  }
}

static void ack_series(void *ctx, long long bid, long long mid) {
  struct item *x = items_find(ctx, bid, mid);
  if (x)
    x->acknowledged = 1;
}

/* Series baseline starts (acknowledged regressions, change points) and the commit's
 * acknowledgements (ack_commit 0: none). */
static int load_cuts_and_acks(struct bg_store *s, const struct bg_project *p, long long testbed,
                              long long ack_commit, struct bg_decision_items *it) {
  int rc = bg_vstore_cuts(s, p->id, testbed, cut_series, it);
  if (rc == BG_OK && ack_commit)
    rc = bg_vstore_acks(s, ack_commit, testbed, ack_series, it);
  return rc;
}

void bg_decision_free(struct bg_decision *d) {
  bg_gate_verdict_free(d->v);
  free(d->bids);
  free(d->mids);
  memset(d, 0, sizeof *d);
}

/* Item x's threshold: min_effect, ignored, control. */
static void item_threshold(const struct bg_gate_thresholds *th, struct item *x) {
  struct bg_gate_threshold t;
  bg_gate_thresholds_get(th, x->benchmark, x->measure, &t);
  x->min_effect = t.min_effect;
  x->ignored = t.ignored;
  x->control = t.control;
}

/* The gate item of item i, its baseline packed in place: the kept runs move to the front of
 * the item's row, their run ids into ids. With `cut`, runs older than the series' baseline
 * start are left out. */
static void gate_item(struct bg_decision_items *it, size_t i, const struct bg_baseline *b, int cut,
                      const struct bg_gate_thresholds *th, long long *ids, struct bg_gate_item *g) {
  struct item *x = &it->v[i];
  struct bg_gate_point *dst = &it->sums[i * it->k];
  size_t nb = 0;
  for (size_t r = 0; r < it->k; r++)
    if (it->have[i * it->k + r] && !(cut && b->epochs[r] < x->cut_epoch)) {
      ids[nb] = b->runs[r];
      dst[nb++] = dst[r]; /* nb <= r */
    }
  g->benchmark = x->benchmark;
  g->measure = x->measure;
  g->unit = x->unit;
  g->direction = x->direction;
  g->baseline = nb ? dst : NULL;
  g->nbaseline = nb;
  g->candidate = x->has_cand ? &x->cand : NULL;
  g->candidate_runs = x->cand_runs;
  g->confirmed = x->confirmed;
  g->acknowledged = x->acknowledged;
  if (!x->has_th)
    item_threshold(th, x);
  g->min_effect = x->min_effect;
  g->ignored = x->ignored;
  g->control = x->control;
}

void bg_decision_thresholds(struct bg_decision_items *it, const struct bg_gate_thresholds *th) {
  for (size_t i = 0; i < it->n; i++) {
    struct item *x = &it->v[i];
    if (x->benchmark) {
      item_threshold(th, x);
      x->has_th = 1;
    }
  }
}

void bg_decision_thresholds_kept(struct bg_decision_items *it, const struct bg_gate_thresholds *th,
                                 struct bg_dcache *cache, long long rid, long long th_run) {
  if (!th || !th->nrules || !it->n) {
    bg_decision_thresholds(it, th); /* the defaults: nothing to match */
    return;
  }
  uint64_t names = 0;
  for (size_t i = 0; i < it->n; i++)
    names = names * 31 + bg_table_str(it->v[i].benchmark ? it->v[i].benchmark : "") +
            bg_table_str(it->v[i].measure ? it->v[i].measure : "");
  const struct bg_dcache_th *kept = bg_dcache_th_get(cache, rid, th_run, names, it->n);
  if (!kept) {
    bg_decision_thresholds(it, th);
    struct bg_dcache_th t = {
        rid, th_run, names, it->n, bg_xmalloc(it->n * sizeof(double)), bg_xmalloc(it->n)};
    for (size_t i = 0; i < it->n; i++) {
      t.min_effect[i] = it->v[i].min_effect;
      t.flags[i] = (unsigned char)((it->v[i].ignored ? BG_DCACHE_TH_IGNORED : 0) |
                                   (it->v[i].control ? BG_DCACHE_TH_CONTROL : 0));
    }
    bg_dcache_th_put(cache, &t);
    return;
  }
  for (size_t i = 0; i < it->n; i++) {
    it->v[i].min_effect = kept->min_effect[i];
    it->v[i].ignored = (kept->flags[i] & BG_DCACHE_TH_IGNORED) != 0;
    it->v[i].control = (kept->flags[i] & BG_DCACHE_TH_CONTROL) != 0;
    it->v[i].has_th = it->v[i].benchmark != NULL;
  }
}

/* Decides the candidate in `it` (loaded, its baseline not yet) against baseline b with
 * thresholds th (NULL: defaults). Series starts are applied when `cuts` is set and the
 * baseline reaches past them; `ack_commit` (0: none) names the commit whose acknowledgements
 * count. */
int bg_decision_make(struct bg_store *s, struct bg_dcache *cache, const struct bg_project *p,
                     struct bg_decision_items *it, long long testbed, const struct bg_baseline *b,
                     int cuts, long long ack_commit, const struct bg_gate_thresholds *th,
                     struct bg_decision *d) {
  struct bg_gate_item *gi = NULL;
  long long *ids = NULL; /* the run of each packed baseline point of an item */
  double *scratch = NULL;
  int rc;
  memset(d, 0, sizeof *d);
  if ((rc = load_baseline(s, cache, b, it)) ||
      (rc = load_cuts_and_acks(s, p, testbed, ack_commit, it)))
    goto out;
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  if (p->alpha > 0 && p->alpha < 1)
    cfg.alpha = p->alpha;
  cfg.window = b->level;
  cfg.noise_window = 0; /* the baseline is already the noise's window */
  cfg.noise_cv = b->noise_cv;
  bg_dcache_trim(cache);
  ids = bg_xmalloc((it->k ? it->k : 1) * sizeof *ids);
  scratch = bg_xmalloc((it->k ? it->k : 1) * sizeof *scratch);
  gi = bg_xcalloc(it->n ? it->n : 1, sizeof *gi);
  d->bids = bg_xcalloc(it->n ? it->n : 1, sizeof *d->bids);
  d->mids = bg_xcalloc(it->n ? it->n : 1, sizeof *d->mids);
  size_t ng = 0;
  for (size_t i = 0; i < it->n; i++) {
    struct item *x = &it->v[i];
    /* A series only counts as missing when the newest baseline run still had it. */
    if (!x->has_cand && !(it->k && it->have[i * it->k]))
      continue;
    if (!x->benchmark && (rc = item_names(s, it, x)))
      goto out;
    /* The series' baseline starts at its start commit for later commits only: the start
     * commit itself, and branches forked before it, keep the older runs. */
    int cut = cuts && x->cut_epoch != LLONG_MIN && b->ref_commit != x->cut_commit &&
              b->ref_epoch >= x->cut_epoch;
    struct bg_gate_item *g = &gi[ng];
    gate_item(it, i, b, cut, th, ids, g);
    if (g->candidate && g->nbaseline)
      bg_dcache_sorted(cache, x->bid, x->mid, g, ids, &cfg, scratch);
    d->bids[ng] = x->bid;
    d->mids[ng] = x->mid;
    ng++;
  }
  if (bg_gate_decide(gi, ng, &cfg, &d->v) != BG_OK)
    rc = BG_EINVAL;
out:
  if (rc)
    bg_decision_free(d);
  free(gi);
  free(ids);
  free(scratch);
  return rc;
}

/* A name of the payload (benchmark or measure) and what the snapshot knows of it. */
struct name_id {
  const char *name;
  long long id;
  char *unit; /* measures: as stored, or as the payload gives a new one */
  enum bg_direction direction;
};

struct name_ids {
  struct name_id *v; /* room for every result's name */
  size_t n;
  struct bg_table by_name; /* bg_table_str(name) -> index in v */
};

/* The entry of `name`, added for it when there is none (*fresh 1: the caller fills it in). */
static struct name_id *name_slot(struct name_ids *t, const char *name, int *fresh) {
  uint64_t key = bg_table_str(name);
  size_t at = 0, i;
  while (bg_table_next(&t->by_name, key, &at, &i))
    if (!strcmp(t->v[i].name, name)) {
      *fresh = 0;
      return &t->v[i];
    }
  *fresh = 1;
  t->v[t->n].name = name;
  bg_table_add(&t->by_name, key, t->n);
  return &t->v[t->n++];
}

/* Measure r->measure of result i: its stored id, unit and direction, or a temporary id and
 * the payload's unit and direction (what the insert will store). */
static int find_measure(struct bg_store *s, long long pid, struct bg_decision_items *it,
                        const struct bg_result *r, size_t i, struct name_id *m,
                        struct bg_baseline_temps *t) {
  struct bg_store_measure sm;
  int rc = bg_store_measure_find(s, pid, r->measure, &sm);
  if (rc == BG_OK && sm.id) {
    m->id = sm.id;
    m->unit = items_name(it, sm.unit);
    m->direction = stored_direction(sm.direction);
  } else if (rc == BG_OK) {
    m->id = bg_baseline_temp_measure(t, i);
    m->unit = items_name(it, r->unit);
    m->direction = r->direction;
  }
  return rc;
}

/* Benchmark r->benchmark of result i: its stored id, or a temporary one. */
static int find_benchmark(struct bg_store *s, long long pid, const struct bg_result *r, size_t i,
                          struct name_id *b, struct bg_baseline_temps *t) {
  int rc = bg_store_benchmark_id(s, pid, r->benchmark, &b->id);
  if (rc == BG_OK && !b->id)
    b->id = bg_baseline_temp_bench(t, i);
  return rc;
}

static int cmp_item(const void *a, const void *b) {
  const struct item *x = a, *y = b;
  if (x->bid != y->bid)
    return (x->bid > y->bid) - (x->bid < y->bid);
  return (x->mid > y->mid) - (x->mid < y->mid);
}

/* The candidate's items from the payload, in the order a read of the stored run gives them. */
static int load_payload(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                        const struct bg_verdict_row *rows, struct bg_decision_items *it,
                        struct bg_baseline_temps *t) {
  size_t n = run->nresults ? run->nresults : 1;
  struct name_ids benches = {bg_xcalloc(n, sizeof(struct name_id)), 0, {0}};
  struct name_ids measures = {bg_xcalloc(n, sizeof(struct name_id)), 0, {0}};
  bg_table_reserve(&benches.by_name, n);
  bg_table_reserve(&measures.by_name, n);
  bg_baseline_temps_init(t, n);
  int rc = BG_OK, fresh;
  for (size_t i = 0; i < run->nresults && rc == BG_OK; i++) {
    const struct bg_result *r = &run->results[i];
    struct name_id *m = name_slot(&measures, r->measure, &fresh);
    if (fresh && (rc = find_measure(s, p->id, it, r, i, m, t)))
      break;
    struct name_id *b = name_slot(&benches, r->benchmark, &fresh);
    if (fresh && (rc = find_benchmark(s, p->id, r, i, b, t)))
      break;
    struct item *x = items_add_n(it, b->id, m->id, run->nresults);
    /* The run outlives its decision: its names need no copies (100 000 results: 6 MB). */
    x->benchmark = r->benchmark;
    x->measure = r->measure;
    x->unit = m->unit;
    x->direction = m->direction;
    x->has_cand = 1;
    x->cand_runs = 1;
    bg_baseline_payload_summary(r, &rows[i], &x->cand);
  }
  free(benches.v);
  free(measures.v);
  bg_table_free(&benches.by_name);
  bg_table_free(&measures.by_name);
  if (rc == BG_OK)
    items_sort(it);
  return rc;
}

int bg_decision_stored(struct bg_store *s, long long rid, struct bg_decision_items **it) {
  *it = bg_xcalloc(1, sizeof **it);
  return bg_vstore_candidate(s, rid, cand_row, *it);
}

int bg_decision_payload(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                        const struct bg_verdict_row *rows, struct bg_baseline_temps *t,
                        struct bg_decision_items **it) {
  *it = bg_xcalloc(1, sizeof **it);
  return load_payload(s, p, run, rows, *it, t);
}
