/* q_interleave.c: what interleaved A/B runs (lib/interleave.h) buy and cost, against the
 * history comparison, on the simulator of sim.c.
 *
 * Seeded and reproducible. Each suite is sim.c's (within-run CV log-uniform 0.2-5 %,
 * between-run CV log-uniform 0.1-3 %, 2 % of samples slowed x1.2-3, 10 % bimodal, a random
 * walk on 10 %), NB benchmarks with 10 repetitions per run and a history of HIST runs (the
 * gate at its defaults). Each trial judges one pull request, three ways:
 *  - history: the head's one run against the history (bg_gate_decide), 1 run;
 *  - interleaved: R rounds of a base run and a head run on the same machine state, compared
 *    pair by pair (bg_gate_config.paired), 2R runs;
 *  - both: the history decision of the head pooled over the rounds (as benchgated decides
 *    an interleaved run's own results) combined with the paired one (bg_interleave_decide,
 *    BG_COMPARE_BOTH), 2R runs.
 * A round's two runs share the machine's state: its shift, its drift, and a share SHARED of
 * each benchmark's between-run variance (Q_IL_SHARED, default 0: every run draws its whole
 * run-to-run offset alone, the case least kind to pairing). Scenarios: unchanged code;
 * regressions of 2, 5 and 10 % in 5 % of the benchmarks; a machine shift for the whole job
 * (every benchmark x 1 + (F - 1) U(0.75, 1.25), F ~ U(1.02, 1.06), as q_shift.c) with and
 * without a real 5 % or 10 % regression; and a machine drifting slower by DRIFT per run through
 * the history and the job. Reported: the share of pull requests that fail (false fails for
 * unchanged code), recall (injected regressed benchmarks found regressed), and runs per verdict.
 *
 * Usage: q_interleave [--smoke] [--seed N] [--trials N] [--rounds R]. Exits 1 when a bound is
 * missed (the smoke run, in make test, checks looser bounds that hold for any seed).
 */
#include "gate.h"
#include "interleave.h"
#include "mem.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB 60
#define NREGB 3
#define HIST 60
#define NREP SIM_NREP
#define MIN_EFFECT 0.02
#define DRIFT 0.0005
#define TRIALS_PER_SUITE 25
#define MAX_ROUNDS 10

enum { W_HISTORY, W_INTERLEAVED, W_BOTH, NWAY };
static const char *way_names[NWAY] = {"history", "interleaved", "both"};

struct scenario {
  const char *name;
  double effect;
  int shift; /* the whole job runs on a shifted machine */
  int drift; /* the machine drifts through the history and the job */
};

static const struct scenario scen[] = {
    {"unchanged", 0, 0, 0},
    {"regression +2 %", 0.02, 0, 0},
    {"regression +5 %", 0.05, 0, 0},
    {"regression +10 %", 0.10, 0, 0},
    {"shift x1.02-1.06 through the job", 0, 1, 0},
    {"+5 % in a shifted job", 0.05, 1, 0},
    {"+10 % in a shifted job", 0.10, 1, 0},
    {"machine drift +0.05 %/run", 0, 0, 1},
};
#define NSCEN (sizeof scen / sizeof *scen)

struct tally {
  long commits, fails, found, injected, false_reg, runs;
};

/* One trial's data: the suite, its history and the walk states at the job. */
struct world {
  struct sim_bench bs[NB];
  struct bg_gate_point hist[NB][HIST]; /* newest first */
  double walk[NB];
  double shared;
  int rounds;
};

static void summarize_point(const double *x, int n, struct bg_gate_point *p,
                            struct bg_gate_summary *s) {
  bg_gate_summarize(x, (size_t)n, s);
  bg_gate_point_of(s, p);
}

/* The history: HIST runs, oldest first, the drift of the scenario applied; walk[] ends at the
 * job's state. */
static void make_history(struct sim_rng *r, struct world *w, int drift) {
  double x[NREP];
  struct bg_gate_summary s;
  for (int b = 0; b < NB; b++) {
    w->walk[b] = 0;
    for (int j = 0; j < HIST; j++) {
      w->walk[b] += w->bs[b].drift * sim_gauss(r);
      double m = drift ? DRIFT * j : 0;
      sim_gen_run(r, &w->bs[b], w->walk[b] + m, 0, NULL, x);
      summarize_point(x, NREP, &w->hist[b][HIST - 1 - j], &s);
    }
    w->walk[b] += w->bs[b].drift * sim_gauss(r);
  }
}

/* The job: the head's one run (for the history way), the rounds' pairs and the head pooled
 * over the rounds. */
struct job {
  struct bg_gate_summary one[NB], pooled[NB];
  struct bg_gate_pair pairs[NB][MAX_ROUNDS];
  double effect[NB];
};

static void run_job(struct sim_rng *r, const struct world *w, const struct scenario *sc,
                    struct job *jb) {
  double x[NREP], pool[NREP * MAX_ROUNDS], f = sc->shift ? sim_unif_ab(r, 1.02, 1.06) : 1;
  struct bg_gate_summary s;
  memset(jb->effect, 0, sizeof jb->effect);
  for (int k = 0; k < (sc->effect > 0 ? NREGB : 0); k++) {
    int b;
    do
      b = (int)(sim_unif(r) * NB);
    while (jb->effect[b] > 0);
    jb->effect[b] = sc->effect;
  }
  for (int b = 0; b < NB; b++) {
    struct sim_bench own = w->bs[b];
    double js = sc->shift ? log1p((f - 1) * sim_unif_ab(r, 0.75, 1.25)) : 0;
    double m0 = sc->drift ? DRIFT * HIST : 0;
    sim_gen_run(r, &own, w->walk[b] + js + m0, jb->effect[b], NULL, x);
    bg_gate_summarize(x, NREP, &jb->one[b]);
    own.cv_b = w->bs[b].cv_b * sqrt(1 - w->shared);
    for (int k = 0; k < w->rounds; k++) {
      double common = w->bs[b].cv_b * sqrt(w->shared) * sim_gauss(r);
      double m = sc->drift ? DRIFT * (HIST + 2 * k) : 0;
      double at = w->walk[b] + js + m + common;
      sim_gen_run(r, &own, at, 0, NULL, x);
      summarize_point(x, NREP, &jb->pairs[b][k].base, &s);
      sim_gen_run(r, &own, at, jb->effect[b], NULL, x);
      summarize_point(x, NREP, &jb->pairs[b][k].head, &s);
      memcpy(pool + k * NREP, x, sizeof x);
    }
    bg_gate_summarize(pool, (size_t)(NREP * w->rounds), &jb->pooled[b]);
  }
}

static const char *names[NB];

static void items_of(const struct world *w, const struct bg_gate_summary *cand,
                     struct bg_gate_item *items) {
  for (int b = 0; b < NB; b++) {
    memset(&items[b], 0, sizeof items[b]);
    items[b].benchmark = names[b];
    items[b].measure = "wall_time";
    items[b].direction = BG_LOWER;
    items[b].baseline = w->hist[b];
    items[b].nbaseline = HIST;
    items[b].candidate = &cand[b];
    items[b].min_effect = MIN_EFFECT;
  }
}

static size_t job_pairs(void *ctx, size_t outcome, const char *benchmark, const char *measure,
                        const struct bg_gate_pair **out) {
  const struct job *jb = ctx;
  (void)benchmark;
  (void)measure;
  *out = jb->pairs[outcome];
  return 0; /* set by the caller's rounds: see decide_way */
}

struct pairs_ctx {
  const struct job *jb;
  int rounds;
};

static size_t ctx_pairs(void *ctx, size_t outcome, const char *benchmark, const char *measure,
                        const struct bg_gate_pair **out) {
  const struct pairs_ctx *pc = ctx;
  job_pairs((void *)pc->jb, outcome, benchmark, measure, out);
  return (size_t)pc->rounds;
}

static struct bg_gate_verdict *decide_way(int way, const struct world *w, const struct job *jb) {
  struct bg_gate_item items[NB];
  struct bg_gate_verdict *v = NULL;
  struct pairs_ctx pc = {jb, w->rounds};
  if (way == W_HISTORY) {
    items_of(w, jb->one, items);
    bg_gate_decide(items, NB, NULL, &v);
    return v;
  }
  items_of(w, jb->pooled, items);
  bg_gate_decide(items, NB, NULL, &v);
  bg_interleave_decide(&v, way == W_BOTH ? BG_COMPARE_BOTH : BG_COMPARE_INTERLEAVED,
                       "0000000000000000000000000000000000000000", (size_t)w->rounds, ctx_pairs,
                       &pc, NULL);
  return v;
}

static void tally(struct tally *t, const struct bg_gate_verdict *v, const struct job *jb,
                  int runs) {
  t->commits++;
  t->fails += v->state == BG_GATE_FAIL;
  t->runs += runs;
  for (int b = 0; b < NB; b++) {
    int reg = v->outcomes[b].cls == BG_GATE_REGRESSED;
    if (jb->effect[b] > 0) {
      t->injected++;
      t->found += reg;
    } else {
      t->false_reg += reg;
    }
  }
}

/* Q_IL_DEBUG=1: each benchmark an interleaved verdict fails on without a regression. */
static void print_false(const struct world *w, const struct job *jb,
                        const struct bg_gate_verdict *v, const char *scenario) {
  for (int b = 0; b < NB; b++) {
    const struct bg_gate_outcome *o = &v->outcomes[b];
    if (o->cls != BG_GATE_REGRESSED || jb->effect[b] > 0)
      continue;
    const struct sim_bench *x = &w->bs[b];
    printf("false (%s): cv_w %.4f cv_b %.4f bimodal %d drift %.4f change %+.4f [%+.4f, %+.4f] "
           "t %.2f df %.1f s2 %.3g d:",
           scenario, x->cv_w, x->cv_b, x->bimodal, x->drift, o->change, o->change_lo, o->change_hi,
           o->t, o->df, o->s2);
    for (int k = 0; k < w->rounds; k++)
      printf(" %+.4f", jb->pairs[b][k].head.log_center - jb->pairs[b][k].base.log_center);
    printf("\n");
  }
}

static double pct(long a, long b) {
  return b ? 100.0 * (double)a / (double)b : NAN;
}

static void print_table(struct tally (*t)[NWAY], int rounds, double shared) {
  printf("\nrounds %d, shared between-run share %.2f\n\n", rounds, shared);
  printf("| scenario | way | pull requests failing | recall | runs per verdict |\n");
  printf("|---|---|---:|---:|---:|\n");
  for (size_t s = 0; s < NSCEN; s++)
    for (int wy = 0; wy < NWAY; wy++) {
      const struct tally *x = &t[s][wy];
      printf("| %s | %s | %.2f %% | ", scen[s].name, way_names[wy], pct(x->fails, x->commits));
      if (x->injected)
        printf("%.1f %%", pct(x->found, x->injected));
      else
        printf("–");
      printf(" | %.0f |\n", (double)x->runs / (double)x->commits);
    }
}

static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi)
    return 0;
  *out = v;
  return 1;
}

/* The bounds: interleaving must not fail unchanged code more often than the history does
 * (plus sampling slack), must stay calm through a shift that fails most history verdicts,
 * and must still find 10 % regressions. */
static int check(struct tally (*t)[NWAY], int smoke) {
  int ok = 1;
  double slack = smoke ? 3 : 1;
  double hist_shift = pct(t[4][W_HISTORY].fails, t[4][W_HISTORY].commits);
  for (int wy = W_INTERLEAVED; wy < NWAY; wy++) {
    double u = pct(t[0][wy].fails, t[0][wy].commits);
    double sh = pct(t[4][wy].fails, t[4][wy].commits);
    double r10 = pct(t[3][wy].found, t[3][wy].injected);
    double rs10 = pct(t[6][wy].found, t[6][wy].injected);
    if (u > slack) {
      printf("FAIL %s: unchanged code fails %.2f %% (bound %.0f %%)\n", way_names[wy], u, slack);
      ok = 0;
    }
    if (sh > slack || !(hist_shift > 20)) {
      printf("FAIL %s: a shifted job fails %.2f %% (history %.2f %%)\n", way_names[wy], sh,
             hist_shift);
      ok = 0;
    }
    if (wy == W_INTERLEAVED && (r10 < 80 || rs10 < 80)) {
      printf("FAIL %s: +10 %% recall %.1f %%, in a shifted job %.1f %% (bound 80 %%)\n",
             way_names[wy], r10, rs10);
      ok = 0;
    }
  }
  return ok;
}

int main(int argc, char **argv) {
  long seed = 16, trials = 2000, rounds = 3;
  int smoke = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--smoke")) {
      smoke = 1;
      trials = 150;
    } else if (!strcmp(argv[i], "--seed") && i + 1 < argc &&
               parse_long(argv[++i], 0, 1L << 40, &seed)) {
    } else if (!strcmp(argv[i], "--trials") && i + 1 < argc &&
               parse_long(argv[++i], 1, 1000000, &trials)) {
    } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc &&
               parse_long(argv[++i], 2, MAX_ROUNDS, &rounds)) {
    } else {
      fprintf(stderr, "usage: q_interleave [--smoke] [--seed N] [--trials N] [--rounds 2-%d]\n",
              MAX_ROUNDS);
      return 2;
    }
  }
  static struct world w;
  static struct job jb;
  static struct tally t[NSCEN][NWAY];
  const char *sh = getenv("Q_IL_SHARED");
  int debug = getenv("Q_IL_DEBUG") && !strcmp(getenv("Q_IL_DEBUG"), "1");
  w.shared = sh ? strtod(sh, NULL) : 0;
  if (!(w.shared >= 0 && w.shared <= 1)) {
    fprintf(stderr, "q_interleave: Q_IL_SHARED must be from 0 to 1\n");
    return 2;
  }
  w.rounds = (int)rounds;
  static char namebuf[NB][8];
  for (int b = 0; b < NB; b++) {
    snprintf(namebuf[b], sizeof namebuf[b], "b%d", b);
    names[b] = namebuf[b];
  }
  struct sim_rng r;
  sim_rng_seed(&r, (uint64_t)seed);
  printf("q_interleave: %d benchmarks, %d runs of history, %ld pull requests per scenario, "
         "seed %ld\n",
         NB, HIST, trials, seed);
  for (size_t s = 0; s < NSCEN; s++)
    for (long k = 0; k < trials; k++) {
      if (k % TRIALS_PER_SUITE == 0)
        sim_make_suite(&r, w.bs, NB, NULL, NULL, NULL);
      make_history(&r, &w, scen[s].drift);
      run_job(&r, &w, &scen[s], &jb);
      for (int wy = 0; wy < NWAY; wy++) {
        struct bg_gate_verdict *v = decide_way(wy, &w, &jb);
        tally(&t[s][wy], v, &jb, wy == W_HISTORY ? 1 : 2 * w.rounds);
        if (debug && wy == W_INTERLEAVED && scen[s].effect == 0)
          print_false(&w, &jb, v, scen[s].name);
        bg_gate_verdict_free(v);
      }
    }
  print_table(t, w.rounds, w.shared);
  int ok = check(t, smoke);
  printf("%s\n", ok ? "all bounds hold" : "a bound is missed");
  return ok ? 0 : 1;
}
