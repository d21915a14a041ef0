/* decision_cache.c: the decision cache of decision_cache.h. */
#include "decision_cache.h"

#include "baseline.h"
#include "mem.h"
#include "table.h"
#include "window.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SPARE_RUNS 10 /* runs held beyond the longest baseline served */
#define MIN_RUNS (BG_STORE_DEFAULT_NOISE_WINDOW + SPARE_RUNS)

/* The series' sorted windows take (level + noise window) x 24 bytes each: 3 KB with the
 * default windows, 3 MB for a suite of 1 000 results. Past this many bytes they start over. */
#define MAX_STATE_BYTES (48u << 20)
#define BYTES_PER_RUN (2 * sizeof(double) + sizeof(long long))
#define KEPT_TH 2 /* runs whose thresholds are kept: the GETs of a commit's verdict repeat */

struct cached_run {
  long long rid; /* 0: empty */
  unsigned long long used;
  size_t n, cap;
  long long *bids, *mids;
  struct bg_gate_point *sums;
};

/* A series' baseline centres, kept sorted from one decision to the next. */
struct series_state {
  long long bid, mid;
  int log_scale;
  struct bg_window level, noise;
};

struct bg_dcache {
  struct cached_run *e;
  size_t ne;              /* entries */
  struct bg_table by_run; /* rid -> entry index */
  unsigned long long clock;
  struct series_state **states;
  size_t nstates, states_cap;
  struct bg_table by_series; /* (bid, mid) -> index in states */
  size_t state_bytes;        /* what the windows of all states hold (their capacities) */
  struct bg_gate_point *spare_sums;
  unsigned char *spare_have;
  size_t spare_cap; /* entries of both */
  unsigned long long hits, reads;
  struct bg_dcache_th th[KEPT_TH]; /* th[0]: the last kept */
};

static void *cache_new(void) {
  return bg_xcalloc(1, sizeof(struct bg_dcache));
}

static void cached_run_clear(struct bg_dcache *c, size_t i) {
  struct cached_run *r = &c->e[i];
  if (r->rid)
    bg_table_remove(&c->by_run, (uint64_t)r->rid, i);
  free(r->bids);
  free(r->mids);
  free(r->sums);
  memset(r, 0, sizeof *r);
}

static void states_clear(struct bg_dcache *c) {
  for (size_t i = 0; i < c->nstates; i++) {
    bg_window_free(&c->states[i]->level);
    bg_window_free(&c->states[i]->noise);
    free(c->states[i]);
  }
  c->nstates = 0;
  c->state_bytes = 0;
  bg_table_clear(&c->by_series);
}

static void cache_free(void *p) {
  struct bg_dcache *c = p;
  if (!c)
    return;
  for (size_t i = 0; i < c->ne; i++)
    cached_run_clear(c, i);
  free(c->e);
  bg_table_free(&c->by_run);
  states_clear(c);
  free(c->states);
  bg_table_free(&c->by_series);
  free(c->spare_sums);
  free(c->spare_have);
  for (size_t i = 0; i < KEPT_TH; i++) {
    free(c->th[i].min_effect);
    free(c->th[i].flags);
  }
  free(c);
}

/* ---- where caches live ---- */

struct shared {
  pthread_mutex_t lock;
  struct bg_dcache *c;
};

static void *shared_create(void) {
  struct shared *sh = bg_xcalloc(1, sizeof *sh);
  pthread_mutex_init(&sh->lock, NULL);
  sh->c = cache_new();
  return sh;
}

static void shared_destroy(void *p) {
  struct shared *sh = p;
  pthread_mutex_destroy(&sh->lock);
  cache_free(sh->c);
  free(sh);
}

static const struct bg_db_shared shared_kind = {"decision cache", shared_create, shared_destroy};
static const struct bg_db_shared local_kind = {"decision cache of a connection", cache_new,
                                               cache_free};

static struct shared *shared_of(struct bg_db *db) {
  return bg_db_shared(db, &shared_kind);
}

struct bg_dcache *bg_dcache_lock(struct bg_db *db) {
  struct shared *sh = shared_of(db);
  pthread_mutex_lock(&sh->lock);
  return sh->c;
}

void bg_dcache_unlock(struct bg_db *db) {
  pthread_mutex_unlock(&shared_of(db)->lock);
}

struct bg_dcache *bg_dcache_of(struct bg_store *s) {
  return bg_vstore_local(s, &local_kind);
}

void bg_dcache_stats(struct bg_db *db, struct bg_dcache_stats *out) {
  struct bg_dcache *c = bg_dcache_lock(db);
  out->hits = c->hits;
  out->reads = c->reads;
  out->capacity = c->ne;
  bg_dcache_unlock(db);
}

/* ---- cached runs ---- */

/* Room for `runs` runs at least. */
static void ensure_runs(struct bg_dcache *c, size_t runs) {
  if (runs < MIN_RUNS)
    runs = MIN_RUNS;
  if (c->ne >= runs)
    return;
  c->e = bg_xrealloc(c->e, runs * sizeof *c->e);
  memset(c->e + c->ne, 0, (runs - c->ne) * sizeof *c->e);
  c->ne = runs;
  bg_table_reserve(&c->by_run, runs);
}

static struct cached_run *cache_find(struct bg_dcache *c, long long rid) {
  size_t i;
  return bg_table_get(&c->by_run, (uint64_t)rid, &i) ? &c->e[i] : NULL;
}

/* An entry for `rid`: the least recently used one not used by this call (stamp). */
static struct cached_run *cache_claim(struct bg_dcache *c, long long rid,
                                      unsigned long long stamp) {
  size_t best = c->ne;
  for (size_t i = 0; i < c->ne; i++) {
    if (c->e[i].used >= stamp)
      continue;
    if (best == c->ne || c->e[i].used < c->e[best].used)
      best = i;
  }
  if (best == c->ne)
    return NULL;
  cached_run_clear(c, best);
  c->e[best].rid = rid;
  c->e[best].used = stamp;
  bg_table_add(&c->by_run, (uint64_t)rid, best);
  return &c->e[best];
}

static void cached_run_add(struct cached_run *r, long long bid, long long mid,
                           const struct bg_gate_point *g) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 1024;
    r->bids = bg_xrealloc(r->bids, r->cap * sizeof *r->bids);
    r->mids = bg_xrealloc(r->mids, r->cap * sizeof *r->mids);
    r->sums = bg_xrealloc(r->sums, r->cap * sizeof *r->sums);
  }
  r->bids[r->n] = bid;
  r->mids[r->n] = mid;
  r->sums[r->n++] = *g;
}

/* Results primary key order: (benchmark id, measure id) within a run. */
static int cmp_row(const void *a, const void *b) {
  const struct bg_verdict_row *x = a, *y = b;
  if (x->bid != y->bid)
    return (x->bid > y->bid) - (x->bid < y->bid);
  return (x->mid > y->mid) - (x->mid < y->mid);
}

void bg_dcache_put(struct bg_dcache *c, long long rid, const struct bg_verdict_row *rows,
                   size_t n) {
  struct cached_run *r = cache_find(c, rid);
  ensure_runs(c, 0);
  if (r)
    cached_run_clear(c, (size_t)(r - c->e));
  if (!(r = cache_claim(c, rid, ++c->clock)))
    return;
  /* In the order a read of the run yields its rows, so the verdict's items come out the same;
   * sorted in a copy: the upload's decision may still read the rows. */
  struct bg_verdict_row *sorted = bg_xmalloc((n ? n : 1) * sizeof *sorted);
  memcpy(sorted, rows, n * sizeof *rows);
  qsort(sorted, n, sizeof *sorted, cmp_row);
  for (size_t i = 0; i < n; i++) {
    struct bg_vstore_result res = {0};
    struct bg_gate_summary g;
    struct bg_gate_point pt;
    res.row = bg_vstore_as_stored(sorted[i]);
    bg_baseline_row_summary(&res, &g);
    bg_gate_point_of(&g, &pt);
    cached_run_add(r, res.row.bid, res.row.mid, &pt);
  }
  free(sorted);
}

/* Reading runs the cache lacks into new entries. */
struct reader {
  struct bg_dcache *c;
  unsigned long long stamp;
  long long last_run;
  struct cached_run *entry;
};

static int read_row(void *ctx, const struct bg_vstore_result *r) {
  struct reader *rd = ctx;
  if (r->run != rd->last_run) {
    rd->last_run = r->run;
    if (!(rd->entry = cache_claim(rd->c, r->run, rd->stamp)))
      return BG_EINVAL; /* cannot happen: ensure_runs leaves room */
  }
  struct bg_gate_summary g;
  struct bg_gate_point pt;
  bg_baseline_row_summary(r, &g);
  bg_gate_point_of(&g, &pt);
  cached_run_add(rd->entry, r->row.bid, r->row.mid, &pt);
  return BG_OK;
}

int bg_dcache_baseline(struct bg_dcache *c, struct bg_store *s, const struct bg_baseline *b,
                       bg_dcache_point_fn fn, void *ctx) {
  int rc = BG_OK;
  if (!b->n)
    return BG_OK;
  ensure_runs(c, b->n + SPARE_RUNS);
  long long *missing = bg_xcalloc(b->n, sizeof *missing);
  size_t nmissing = 0;
  unsigned long long stamp = ++c->clock;
  for (size_t r = 0; r < b->n; r++) {
    struct cached_run *e = cache_find(c, b->runs[r]);
    if (e)
      e->used = stamp;
    else
      missing[nmissing++] = b->runs[r];
  }
  c->hits += b->n - nmissing;
  c->reads += nmissing;
  struct reader rd = {c, stamp, 0, NULL};
  if (nmissing && (rc = bg_vstore_baseline_results(s, missing, nmissing, read_row, &rd))) {
    /* Entries filled halfway must not survive. */
    for (size_t m = 0; m < nmissing; m++) {
      struct cached_run *e = cache_find(c, missing[m]);
      if (e)
        cached_run_clear(c, (size_t)(e - c->e));
    }
    goto out;
  }
  for (size_t r = 0; r < b->n; r++) {
    const struct cached_run *e = cache_find(c, b->runs[r]);
    for (size_t i = 0; e && i < e->n; i++)
      fn(ctx, r, e->bids[i], e->mids[i], &e->sums[i]);
  }
out:
  free(missing);
  return rc;
}

/* ---- sorted windows ---- */

/* The state of series (bid, mid), created empty when there is none. */
static struct series_state *state_of(struct bg_dcache *c, long long bid, long long mid) {
  uint64_t key = bg_table_pair(bid, mid);
  size_t at = 0, i;
  while (bg_table_next(&c->by_series, key, &at, &i))
    if (c->states[i]->bid == bid && c->states[i]->mid == mid)
      return c->states[i];
  bg_xgrow((void **)&c->states, &c->states_cap, c->nstates + 1, sizeof *c->states);
  struct series_state *st = bg_xcalloc(1, sizeof *st);
  st->bid = bid;
  st->mid = mid;
  c->states[c->nstates] = st;
  bg_table_add(&c->by_series, key, c->nstates++);
  return st;
}

void bg_dcache_sorted(struct bg_dcache *c, long long bid, long long mid, struct bg_gate_item *g,
                      const long long *ids, const struct bg_gate_config *cfg, double *scratch) {
  size_t k, kn;
  bg_gate_windows(cfg, g->nbaseline, &k, &kn);
  int log_scale = bg_gate_log_scale(g, kn);
  for (size_t i = 0; i < kn; i++) {
    scratch[i] = log_scale ? g->baseline[i].log_center : g->baseline[i].raw_center;
    if (isnan(scratch[i]))
      return; /* cannot be sorted: the gate copes on its own */
  }
  struct series_state *st = state_of(c, bid, mid);
  if (st->log_scale != log_scale) {
    st->level.n = st->noise.n = 0; /* centres on the other scale: start over */
    st->log_scale = log_scale;
  }
  size_t before = st->level.cap + st->noise.cap;
  bg_window_set(&st->level, ids, scratch, k);
  bg_window_set(&st->noise, ids, scratch, kn);
  c->state_bytes += (st->level.cap + st->noise.cap - before) * BYTES_PER_RUN;
  g->level_sorted = st->level.sorted;
  g->noise_sorted = st->noise.sorted;
  g->sorted_log = log_scale;
}

void bg_dcache_trim(struct bg_dcache *c) {
  if (c->state_bytes >= MAX_STATE_BYTES)
    states_clear(c);
}

/* ---- the spare matrix ---- */

void bg_dcache_matrix(struct bg_dcache *c, size_t need, struct bg_gate_point **sums,
                      unsigned char **have, size_t *cap) {
  if (c->spare_cap >= need) {
    *sums = c->spare_sums;
    *have = c->spare_have;
    *cap = c->spare_cap;
    c->spare_sums = NULL;
    c->spare_have = NULL;
    c->spare_cap = 0;
    memset(*have, 0, need);
    return;
  }
  *sums = bg_xmalloc(need * sizeof **sums);
  *have = bg_xcalloc(need, 1);
  *cap = need;
}

void bg_dcache_matrix_keep(struct bg_dcache *c, struct bg_gate_point *sums, unsigned char *have,
                           size_t cap) {
  free(c->spare_sums);
  free(c->spare_have);
  c->spare_sums = sums;
  c->spare_have = have;
  c->spare_cap = cap;
}

/* ---- kept thresholds ---- */

const struct bg_dcache_th *bg_dcache_th_get(struct bg_dcache *c, long long rid, long long th_run,
                                            uint64_t names, size_t n) {
  for (size_t i = 0; i < KEPT_TH; i++) {
    const struct bg_dcache_th *t = &c->th[i];
    if (t->min_effect && t->rid == rid && t->th_run == th_run && t->names == names && t->n == n)
      return t;
  }
  return NULL;
}

void bg_dcache_th_put(struct bg_dcache *c, const struct bg_dcache_th *t) {
  free(c->th[KEPT_TH - 1].min_effect);
  free(c->th[KEPT_TH - 1].flags);
  memmove(&c->th[1], &c->th[0], (KEPT_TH - 1) * sizeof *c->th);
  c->th[0] = *t;
}
