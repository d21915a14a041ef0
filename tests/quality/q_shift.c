/* q_shift.c: how often the machine-shift detector (lib/machine_shift.c) is right.
 *
 * Seeded and reproducible (xoshiro256** seeded by splitmix64, as in q_gate.c; no libc
 * randomness). Suites are generated like q_gate's: within-run CV log-uniform 0.2-5 %,
 * between-run CV log-uniform 0.1-3 %, 2 % of samples slowed x1.2-3, 10 % of benchmarks
 * bimodal, a slow random-walk drift on 10 %; 10 repetitions per run, 30 baseline runs. Two
 * suite sizes: 40 benchmarks plus 3 controls, and 8 plus 2 (a small real suite, such as
 * examples/ on the development VM). Controls are ordinary benchmarks that no code change
 * touches; every scenario is judged twice, with the controls marked (threshold rule control:
 * true) and with nothing marked (the project has no controls: they count as benchmarks).
 *
 * Scenarios, each candidate judged by the gate (lib/gate.c, defaults) and then the detector:
 *  - unchanged: the candidate is one more run of the same code on the same machine;
 *  - shift: the machine is slower by F ~ U(1.02, 1.06), each benchmark (controls too) by
 *    1 + (F - 1) U(0.75, 1.25) (a shift moves benchmarks by a similar, not an equal factor);
 *  - regression: 5 % of the benchmarks (at least one) slower by 5, 10 or 20 %;
 *  - broad: a shared function slower: 50 % (and, the harder case, 75 %) of the benchmarks
 *    slower by U(3 %, 8 %);
 *  - shift+regression: a shift as above, and 5 % of the benchmarks (at least one) slower by
 *    5, 10 or 20 % on top of it.
 * Reported: how often a shift is suspected per scenario (detection rate for shifts, false
 * detection rate for the others), how often the gate itself fails the candidate, and for
 * shift+regression how many of the injected regressions stay unexplained (by effect size;
 * all of them, and those on quiet benchmarks, whose se in the verdict is at most 1 %) and how
 * many of the other benchmarks are explained.
 *
 * Usage: q_shift [--smoke] [--seed N] [--trials N]. Exits 1 when a bound below is missed.
 */
#include "gate.h"
#include "machine_shift.h"
#include "mem.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXB 48 /* benchmarks per suite, controls included */
#define NREP 10 /* repetitions per run */
#define HIST 30 /* baseline runs */
#define NSIZE 2 /* suite sizes */
#define NEFF 3  /* regression sizes */
#define MIN_EFFECT 0.02

static const int size_bench[NSIZE] = {40, 8}, size_ctl[NSIZE] = {3, 2};
static const double effects[NEFF] = {0.05, 0.10, 0.20};

enum { S_UNCHANGED, S_SHIFT, S_REGRESSION, S_BROAD, S_BROAD75, S_SHIFT_REG, NSCEN };
static const char *scen_names[NSCEN] = {"unchanged",    "shift x1.02-1.06", "regression (5 %)",
                                        "broad (50 %)", "broad (75 %)",     "shift+regression"};

/* ---- PRNG (the construction of q_gate.c) ------------------------------------------------ */

struct rng {
  uint64_t s[4];
  int has_spare;
  double spare;
};

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix(&seed);
  r->has_spare = 0;
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(struct rng *r) {
  uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

static double unif(struct rng *r) {
  return (double)(next_u64(r) >> 11) * 0x1.0p-53;
}

static double unif_ab(struct rng *r, double a, double b) {
  return a + (b - a) * unif(r);
}

static double logunif(struct rng *r, double a, double b) {
  return exp(unif_ab(r, log(a), log(b)));
}

static double gauss(struct rng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  double u, v, s;
  do {
    u = 2 * unif(r) - 1;
    v = 2 * unif(r) - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  double f = sqrt(-2 * log(s) / s);
  r->spare = v * f;
  r->has_spare = 1;
  return u * f;
}

/* ---- the simulated suite ---------------------------------------------------------------- */

struct bench {
  double level, cv_w, cv_b;
  int bimodal; /* 0 no, 1 by run, 2 by sample */
  double bi_p, bi_gap, drift;
};

static void gen_run(struct rng *r, const struct bench *b, double walk, double logf, double *x) {
  double off = b->level + walk + b->cv_b * gauss(r) + logf;
  if (b->bimodal == 1 && unif(r) < b->bi_p)
    off += b->bi_gap;
  for (int i = 0; i < NREP; i++) {
    double lv = off + b->cv_w * gauss(r);
    if (b->bimodal == 2 && unif(r) < b->bi_p)
      lv += b->bi_gap;
    double v = exp(lv);
    if (unif(r) < 0.02)
      v *= unif_ab(r, 1.2, 3.0);
    x[i] = v;
  }
}

static void make_bench(struct rng *r, struct bench *b) {
  memset(b, 0, sizeof *b);
  b->level = unif_ab(r, log(50), log(5e7));
  b->cv_w = logunif(r, 0.002, 0.05);
  b->cv_b = logunif(r, 0.001, 0.03);
  double u = unif(r);
  if (u < 0.05) {
    b->bimodal = 1;
    b->bi_p = unif_ab(r, 0.1, 0.5);
    b->bi_gap = b->cv_b * unif_ab(r, 1, 3);
  } else if (u < 0.10) {
    b->bimodal = 2;
    b->bi_p = unif_ab(r, 0.05, 0.3);
    b->bi_gap = unif_ab(r, 0.02, 0.08);
  }
  if (unif(r) < 0.10)
    b->drift = b->cv_b * unif_ab(r, 0.05, 0.2);
}

/* ---- tallies ---------------------------------------------------------------------------- */

struct tally {
  long n, suspected, gate_fail, fail_suspected;
  long reg_tot[NEFF], reg_unexpl[NEFF];     /* injected regressions in suspected shift+reg */
  long quiet_tot[NEFF], quiet_unexpl[NEFF]; /* those on benchmarks with se <= 1 % */
  long other_tot, other_expl;               /* the other benchmarks of those */
};

/* [size][controls marked][scenario] */
static struct tally tallies[NSIZE][2][NSCEN];

/* One trial's history and what it needs to judge candidates. */
struct trial {
  int nb, nctl; /* benchmarks, of which the last nctl are controls */
  struct bench bs[MAXB];
  struct bg_gate_summary hist[MAXB][HIST];
  struct bg_gate_point pts[MAXB][HIST];
  double walk[MAXB];
  char names[MAXB][16];
};

static void make_history(struct rng *r, struct trial *t) {
  int nb = t->nb + t->nctl;
  for (int b = 0; b < nb; b++) {
    make_bench(r, &t->bs[b]);
    snprintf(t->names[b], sizeof t->names[b], b < t->nb ? "bm_%02d" : "ctl_%02d", b);
    t->walk[b] = 0;
    for (int j = HIST - 1; j >= 0; j--) {
      double x[NREP];
      t->walk[b] += t->bs[b].drift * gauss(r);
      gen_run(r, &t->bs[b], t->walk[b], 0, x);
      bg_gate_summarize(x, NREP, &t->hist[b][j]);
      bg_gate_point_of(&t->hist[b][j], &t->pts[b][j]);
    }
    t->walk[b] += t->bs[b].drift * gauss(r);
  }
}

/* The per-benchmark log factor of scenario sc into logf[], regression sizes into eff[] (-1
 * none). Code changes touch only the first nb benchmarks, never the controls. */
static void make_scenario(struct rng *r, const struct trial *t, int sc, double *logf, int *eff) {
  int nall = t->nb + t->nctl;
  double f = unif_ab(r, 0.02, 0.06);
  for (int b = 0; b < nall; b++) {
    eff[b] = -1;
    logf[b] = 0;
    if (sc == S_SHIFT || sc == S_SHIFT_REG)
      logf[b] = log1p(f * unif_ab(r, 0.75, 1.25));
    if ((sc == S_BROAD || sc == S_BROAD75) && b < t->nb && unif(r) < (sc == S_BROAD ? 0.5 : 0.75))
      logf[b] += log1p(unif_ab(r, 0.03, 0.08));
  }
  if (sc == S_REGRESSION || sc == S_SHIFT_REG) {
    int k = t->nb / 20 > 0 ? t->nb / 20 : 1;
    for (int i = 0; i < k;) {
      int b = (int)(unif(r) * t->nb);
      if (eff[b] >= 0)
        continue;
      eff[b] = (int)(next_u64(r) % NEFF);
      logf[b] += log1p(effects[eff[b]]);
      i++;
    }
  }
}

static void tally_one(struct tally *ta, const struct trial *t, int sc, const int *eff,
                      const struct bg_gate_verdict *v, const struct bg_shift_result *res,
                      const int *explained) {
  int nall = t->nb + t->nctl;
  ta->n++;
  ta->suspected += res->suspected;
  ta->gate_fail += v->state == BG_GATE_FAIL;
  ta->fail_suspected += v->state == BG_GATE_FAIL && res->suspected;
  if (sc != S_SHIFT_REG || !res->suspected)
    return;
  for (int b = 0; b < nall; b++) {
    if (eff[b] >= 0) {
      ta->reg_tot[eff[b]]++;
      ta->reg_unexpl[eff[b]] += !explained[b];
      if (v->outcomes[b].se <= 0.01) {
        ta->quiet_tot[eff[b]]++;
        ta->quiet_unexpl[eff[b]] += !explained[b];
      }
    } else {
      ta->other_tot++;
      ta->other_expl += explained[b];
    }
  }
}

/* Judges one candidate with and without the controls marked. */
static int judge(struct rng *r, struct trial *t, int size, int sc) {
  int nall = t->nb + t->nctl, eff[MAXB], ctl[MAXB], explained[MAXB];
  double logf[MAXB];
  struct bg_gate_summary cand[MAXB];
  struct bg_gate_item items[MAXB];
  make_scenario(r, t, sc, logf, eff);
  for (int b = 0; b < nall; b++) {
    double x[NREP];
    gen_run(r, &t->bs[b], t->walk[b], logf[b], x);
    bg_gate_summarize(x, NREP, &cand[b]);
    items[b] = (struct bg_gate_item){.benchmark = t->names[b],
                                     .measure = "wall_time",
                                     .unit = "ns",
                                     .direction = BG_LOWER,
                                     .baseline = t->pts[b],
                                     .nbaseline = HIST,
                                     .candidate = &cand[b],
                                     .min_effect = MIN_EFFECT};
  }
  struct bg_gate_verdict *v;
  if (bg_gate_decide(items, (size_t)nall, NULL, &v) != BG_OK)
    return -1;
  struct bg_shift_item si[MAXB];
  for (int marked = 0; marked < 2; marked++) {
    for (int b = 0; b < nall; b++)
      ctl[b] = marked && b >= t->nb;
    bg_shift_items_of_verdict(v, ctl, si);
    struct bg_shift_result res;
    bg_shift_detect(si, (size_t)nall, 0, NULL, &res, explained);
    tally_one(&tallies[size][marked][sc], t, sc, eff, v, &res, explained);
  }
  bg_gate_verdict_free(v);
  return 0;
}

/* ---- report ----------------------------------------------------------------------------- */

static double rate(long a, long n) {
  return n ? (double)a / (double)n : NAN;
}

static void print_size(int size) {
  printf("\n%d benchmarks + %d controls (suspected: share of candidates the detector calls a "
         "machine shift; gate fails: share the gate fails; of those, share suspected)\n",
         size_bench[size], size_ctl[size]);
  printf("%-18s %8s | %12s %12s | %12s %12s %10s\n", "scenario", "trials", "susp. (ctl)",
         "susp. (none)", "gate fails", "fails susp.", "(none)");
  for (int sc = 0; sc < NSCEN; sc++) {
    const struct tally *c = &tallies[size][1][sc], *u = &tallies[size][0][sc];
    printf("%-18s %8ld | %11.2f%% %11.2f%% | %11.2f%% %11.1f%% %9.1f%%\n", scen_names[sc], c->n,
           100 * rate(c->suspected, c->n), 100 * rate(u->suspected, u->n),
           100 * rate(c->gate_fail, c->n), 100 * rate(c->fail_suspected, c->gate_fail),
           100 * rate(u->fail_suspected, u->gate_fail));
  }
  for (int marked = 1; marked >= 0; marked--) {
    const struct tally *c = &tallies[size][marked][S_SHIFT_REG];
    printf("shift+regression, %s: regressions unexplained", marked ? "controls" : "no controls");
    for (int e = 0; e < NEFF; e++)
      printf("  +%.0f%%: %.1f%% (%ld)", 100 * effects[e],
             100 * rate(c->reg_unexpl[e], c->reg_tot[e]), c->reg_tot[e]);
    printf("; quiet (se <= 1 %%):");
    for (int e = 0; e < NEFF; e++)
      printf("  +%.0f%%: %.1f%% (%ld)", 100 * effects[e],
             100 * rate(c->quiet_unexpl[e], c->quiet_tot[e]), c->quiet_tot[e]);
    printf("; others explained %.1f%%\n", 100 * rate(c->other_expl, c->other_tot));
  }
}

/* A bound on one rate; prints and counts a miss. */
static int bound(const char *what, double v, double lo, double hi) {
  int ok = v >= lo && v <= hi;
  printf("%-4s %-60s %6.2f%% in [%g%%, %g%%]\n", ok ? "ok" : "MISS", what, 100 * v, 100 * lo,
         100 * hi);
  return ok ? 0 : 1;
}

static int check_bounds(int smoke) {
  int miss = 0;
  struct tally(*L)[NSCEN] = tallies[0], (*S)[NSCEN] = tallies[1];
  double slack = smoke ? 4 : 1; /* the smoke run has 60x fewer trials */
  printf("\n");
  for (int m = 1; m >= 0; m--) {
    const char *w = m ? "controls" : "no controls";
    char name[128];
    snprintf(name, sizeof name, "40+3, %s: shifts detected", w);
    miss += bound(name, rate(L[m][S_SHIFT].suspected, L[m][S_SHIFT].n), smoke ? 0.85 : 0.95, 1);
    snprintf(name, sizeof name, "40+3, %s: unchanged called a shift", w);
    miss += bound(name, rate(L[m][S_UNCHANGED].suspected, L[m][S_UNCHANGED].n), 0, 0.01 * slack);
    snprintf(name, sizeof name, "40+3, %s: 5 %% regressions called a shift", w);
    miss += bound(name, rate(L[m][S_REGRESSION].suspected, L[m][S_REGRESSION].n), 0, 0.01 * slack);
    snprintf(name, sizeof name, "8+2, %s: unchanged called a shift", w);
    miss += bound(name, rate(S[m][S_UNCHANGED].suspected, S[m][S_UNCHANGED].n), 0, 0.01 * slack);
    snprintf(name, sizeof name, "40+3, %s: +20 %% inside a shift unexplained", w);
    const struct tally *sr = &L[m][S_SHIFT_REG];
    miss += bound(name, rate(sr->reg_unexpl[2], sr->reg_tot[2]), smoke ? 0.8 : 0.9, 1);
  }
  miss += bound("40+3, controls: broad code change (50 %) called a shift",
                rate(L[1][S_BROAD].suspected, L[1][S_BROAD].n), 0, 0.05 * slack);
  miss += bound("40+3, controls: broad code change (75 %) called a shift",
                rate(L[1][S_BROAD75].suspected, L[1][S_BROAD75].n), 0, 0.05 * slack);
  return miss;
}

static int parse_long(const char *s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 1)
    return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  int smoke = 0;
  long seed = 20261204, trials = 5000;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--smoke") == 0) {
      smoke = 1;
    } else if ((strcmp(argv[i], "--seed") == 0 || strcmp(argv[i], "--trials") == 0) &&
               i + 1 < argc) {
      if (parse_long(argv[i + 1], argv[i][2] == 's' ? &seed : &trials)) {
        fprintf(stderr, "q_shift: %s needs a positive integer\n", argv[i]);
        return 2;
      }
      i++;
    } else {
      fprintf(stderr, "usage: q_shift [--smoke] [--seed N] [--trials N]\n");
      return 2;
    }
  }
  if (smoke && trials == 5000)
    trials = 80;
  clock_t t0 = clock();
  struct rng r;
  rng_seed(&r, (uint64_t)seed);
  struct trial *t = bg_xmalloc(sizeof *t);
  for (int size = 0; size < NSIZE; size++) {
    t->nb = size_bench[size];
    t->nctl = size_ctl[size];
    for (long tr = 0; tr < trials; tr++) {
      make_history(&r, t);
      for (int sc = 0; sc < NSCEN; sc++)
        if (judge(&r, t, size, sc) != 0) {
          fprintf(stderr, "q_shift: bg_gate_decide failed\n");
          return 2;
        }
    }
  }
  free(t);
  printf("q_shift: seed %ld, %ld trials per suite size (a new suite and history each), %s\n", seed,
         trials, smoke ? "smoke" : "full");
  for (int size = 0; size < NSIZE; size++)
    print_size(size);
  int miss = check_bounds(smoke);
  printf("\n%.1f s CPU; %s\n", (double)(clock() - t0) / CLOCKS_PER_SEC,
         miss ? "bounds MISSED" : "every bound met");
  return miss ? 1 : 0;
}
