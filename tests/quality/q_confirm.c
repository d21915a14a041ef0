/* q_confirm.c: what confirmation runs (lib/confirm.c) buy and cost, against the one-run gate.
 *
 * Seeded and reproducible (xoshiro256** seeded by splitmix64, as in q_gate.c; no libc
 * randomness). Each trial draws a new suite like q_gate's (within-run CV log-uniform 0.2-5 %,
 * between-run CV log-uniform 0.1-3 %, 2 % of samples slowed x1.2-3, 10 % of benchmarks
 * bimodal, a slow random-walk drift on 10 %), NB benchmarks with 10 repetitions per run and a
 * history of HIST runs (the gate at its defaults: level from the newest 30, noise from all),
 * then judges one candidate commit per scenario on that history, two ways:
 *  - one run: bg_gate_decide on the commit's first run, its state as it stands (today's gate
 *    without confirmations: an uploader that cannot re-run);
 *  - confirmed: bg_confirm_apply on that verdict (confirmable, confirm_runs MAXC = 2, the
 *    default); while it says NEEDED, a confirmation run re-measures the benchmarks the latest
 *    verdict holds doubtful (fresh machine noise, the same code), and the next verdict pools
 *    per benchmark the confirmation runs that re-ran it (bg_gate_summary_pool, candidate_runs
 *    the number pooled, confirmed 1; the first run's numbers only for benchmarks never re-run),
 *    as server/decision.c builds a confirmation's items, then bg_confirm_apply(v, runs, MAXC).
 * Scenarios: unchanged code; regressions of 1, 2, 5 and 10 % in 5 % of the benchmarks; a
 * machine shift (every benchmark x 1 + (F - 1) U(0.75, 1.25), F ~ U(1.02, 1.06), as q_shift.c)
 * on the first run only, or lasting 3 runs (the first run and both confirmations); a real 5 %
 * or 10 % regression of 5 % of the benchmarks landing during a 3-run shift; and a machine that
 * drifts slower by DRIFT per run through the history and the candidate's runs. Reported per
 * scenario and way: the share of commits that fail (false fails for unchanged code, catches for
 * regressions), recall (injected regressed benchmarks the final verdict fails on), the runs per
 * verdict (the first run and every confirmation, each counted as a full run) and the machine time
 * (benchmark executions over NB: a confirmation re-runs only the doubtful benchmarks), and the
 * confirmed way's final decisions. Recall by noise cell (approximate run-to-run CV of a run's
 * centre, sqrt(cv_b^2 + 1.1 cv_w^2 / NREP)), and why confirmations missed a regression (not
 * doubtful in the first run; left doubtful, or explained by a shift, in a verdict that failed
 * for another benchmark; cleared or unknown). A third way is the confirmed one with a variant
 * of the machine-shift detector's configuration: explain level 0.05 instead of 0.01
 * (Q_CONFIRM_EXPLAIN_ALPHA=x and Q_CONFIRM_SPREAD_FLOOR=x set others), the other side of
 * the trade between false fails under a lasting shift and recall of regressions inside it.
 *
 * Usage: q_confirm [--smoke] [--seed N] [--trials N]. Exits 1 when a bound is missed (the
 * smoke run, in make test, checks looser bounds that hold for any seed).
 */
#include "confirm.h"
#include "gate.h"
#include "machine_shift.h"
#include "mem.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NB 60   /* benchmarks per suite */
#define NREGB 3 /* regressed benchmarks in a regression commit (5 %) */
#define NREP 10 /* repetitions per run */
#define HIST 60 /* baseline runs */
#define MAXC 2  /* confirmation runs allowed (the default confirm_runs) */
#define MAXRUNS (1 + MAXC)
#define MIN_EFFECT 0.02
#define DRIFT 0.0005 /* the drifting machine: 0.05 % slower per run */
#define NCELL 3
#define NCTL 3 /* control benchmarks, where a scenario marks them */

static const char *cell_names[NCELL] = {"<=0.5%", "0.5-1%", ">1%"};

enum {
  S_UNCHANGED,
  S_REG1,
  S_REG2,
  S_REG5,
  S_REG10,
  S_SHIFT1,
  S_SHIFT3,
  S_SHIFT3_REG5,
  S_SHIFT3_REG10,
  S_SHIFT3_CTL,
  S_SHIFT3_REG10_CTL,
  S_DRIFT,
  NSCEN
};

/* What a scenario does: a regression of `effect` in NREGB benchmarks, a machine shift lasting
 * `shift_runs` runs of the commit (0: none), a drifting machine. */
struct scenario {
  const char *name;
  double effect;
  int shift_runs;
  int drift;
  int controls; /* the last NCTL benchmarks are marked controls (no code change touches them) */
};

static const struct scenario scen[NSCEN] = {
    {"unchanged", 0, 0, 0, 0},
    {"regression +1 %", 0.01, 0, 0, 0},
    {"regression +2 %", 0.02, 0, 0, 0},
    {"regression +5 %", 0.05, 0, 0, 0},
    {"regression +10 %", 0.10, 0, 0, 0},
    {"shift x1.02-1.06, 1 run", 0, 1, 0, 0},
    {"shift x1.02-1.06, 3 runs", 0, 3, 0, 0},
    {"+5 % inside a 3-run shift", 0.05, 3, 0, 0},
    {"+10 % inside a 3-run shift", 0.10, 3, 0, 0},
    {"3-run shift, 3 controls", 0, 3, 0, 1},
    {"+10 % in 3-run shift, 3 ctl", 0.10, 3, 0, 1},
    {"machine drift +0.05 %/run", 0, 0, 1, 0},
};

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

/* ---- the simulated suite (q_gate.c's generator) ----------------------------------------- */

struct bench {
  double level, cv_w, cv_b;
  int bimodal; /* 0 no, 1 by run, 2 by sample */
  double bi_p, bi_gap, drift;
  int cell; /* noise cell of the approximate CV of a run's centre */
};

/* One run of benchmark b at random-walk state `walk`, slowed by log factor logf: x[NREP]. */
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
  /* The trimmed mean of 10 normal samples has about 1.1 times the variance of their mean;
   * outliers and bimodality are left out: the cell is a guide, not the oracle of q_gate. */
  double cv = sqrt(b->cv_b * b->cv_b + 1.1 * b->cv_w * b->cv_w / NREP);
  b->cell = cv <= 0.005 ? 0 : cv <= 0.01 ? 1 : 2;
}

/* One trial: a suite, its history, and the same history on a drifting machine. */
struct trial {
  struct bench bs[NB];
  struct bg_gate_point pts[NB][HIST], dpts[NB][HIST];
  double walk[NB];
  char names[NB][16];
};

static void make_history(struct rng *r, struct trial *t) {
  for (int b = 0; b < NB; b++) {
    make_bench(r, &t->bs[b]);
    snprintf(t->names[b], sizeof t->names[b], "bm_%02d", b);
    t->walk[b] = 0;
    for (int j = HIST - 1; j >= 0; j--) {
      double x[NREP];
      struct bg_gate_summary s;
      t->walk[b] += t->bs[b].drift * gauss(r);
      gen_run(r, &t->bs[b], t->walk[b], 0, x);
      bg_gate_summarize(x, NREP, &s);
      bg_gate_point_of(&s, &t->pts[b][j]);
      /* The drifting machine: run j (0 the newest) was DRIFT (j + 1) faster than the
       * candidate's first run; on the log scale a factor moves the centre and leaves w. */
      struct bg_gate_point *d = &t->dpts[b][j];
      double off = -DRIFT * (j + 1);
      *d = t->pts[b][j];
      d->log_center += off;
      d->raw_center *= exp(off);
      d->raw_w *= exp(2 * off);
    }
    t->walk[b] += t->bs[b].drift * gauss(r);
  }
}

/* ---- one commit ------------------------------------------------------------------------- */

/* A candidate commit: the code's log factor per benchmark, the machine's during a shift. */
struct commit {
  const struct scenario *sc;
  double code[NB], machine[NB];
  int regressed[NB];
};

static void make_commit(struct rng *r, const struct scenario *sc, struct commit *c) {
  c->sc = sc;
  double f = unif_ab(r, 0.02, 0.06);
  for (int b = 0; b < NB; b++) {
    c->code[b] = 0;
    c->regressed[b] = 0;
    c->machine[b] = sc->shift_runs ? log1p(f * unif_ab(r, 0.75, 1.25)) : 0;
  }
  for (int k = 0; sc->effect > 0 && k < NREGB;) {
    int b = (int)(unif(r) * (NB - NCTL));
    if (c->regressed[b])
      continue;
    c->regressed[b] = 1;
    c->code[b] = log1p(sc->effect);
    k++;
  }
}

/* Run k (0: the first) of benchmark b of commit c, summarised into *s. */
static void commit_run(struct rng *r, const struct trial *t, const struct commit *c, int b, int k,
                       struct bg_gate_summary *s) {
  double x[NREP], logf = c->code[b];
  if (k < c->sc->shift_runs)
    logf += c->machine[b];
  if (c->sc->drift)
    logf += DRIFT * k;
  gen_run(r, &t->bs[b], t->walk[b], logf, x);
  bg_gate_summarize(x, NREP, s);
}

/* What one way of judging made of one commit. */
struct outcome {
  int fail;         /* the final state is fail */
  int detected[NB]; /* the benchmark is regressed in a failing final verdict */
  int runs;         /* the first run and the confirmations */
  int executions;   /* benchmark runs, over all of them */
  int decision;     /* the final enum bg_confirm_decision (NONE for the one-run way) */
  int shift_named;  /* the final verdict names a machine shift */
  int screened[NB]; /* doubtful in the first run's verdict */
  int why[NB];      /* a miss, with confirmations: MISS_* (0: found, or the one-run way) */
};

/* Why confirmations missed an injected regression. */
enum { MISS_NONE, MISS_UNSCREENED, MISS_LEFT, MISS_CLEARED, NMISS };

static int decide(const struct trial *t, const struct commit *c, const struct bg_gate_summary *cand,
                  const size_t *nrun, struct bg_gate_verdict **v) {
  struct bg_gate_item items[NB];
  for (int b = 0; b < NB; b++)
    items[b] = (struct bg_gate_item){.benchmark = t->names[b],
                                     .measure = "wall_time",
                                     .unit = "ns",
                                     .direction = BG_LOWER,
                                     .baseline = c->sc->drift ? t->dpts[b] : t->pts[b],
                                     .nbaseline = HIST,
                                     .candidate = &cand[b],
                                     .candidate_runs = nrun ? (nrun[b] ? nrun[b] : 1) : 1,
                                     .confirmed = nrun && nrun[b] > 0,
                                     .control = c->sc->controls && b >= NB - NCTL,
                                     .min_effect = MIN_EFFECT};
  return bg_gate_decide(items, NB, NULL, v);
}

/* The outcomes of v that a suspected shift excuses under the detector's configuration sc into
 * ex[] (all 0 without a suspected shift shown by the controls). */
static void shift_explained(const struct bg_gate_verdict *v, const struct bg_shift_config *sc,
                            int *ex) {
  memset(ex, 0, NB * sizeof *ex);
  if (!v->shift.suspected)
    return;
  struct bg_shift_item si[NB];
  struct bg_shift_result sr;
  int control[NB];
  for (size_t i = 0; i < v->n; i++)
    control[i] = v->outcomes[i].control;
  bg_shift_items_of_verdict(v, control, si);
  bg_shift_detect(si, v->n, 0, sc, &sr, ex);
  /* As lib/confirm.c: only controls that moved (or a changed fingerprint, never simulated)
   * excuse; a common factor alone is named, not excused. */
  if (!(sr.reasons & BG_SHIFT_CONTROLS_MOVED))
    memset(ex, 0, NB * sizeof *ex);
}

/* The final verdict v as one way read it: sc the detector's configuration of a way with
 * confirmations, NULL for the one-run way. */
static void read_final(const struct bg_gate_verdict *v, const struct bg_shift_config *sc,
                       struct outcome *o) {
  int ex[NB] = {0};
  if (sc)
    shift_explained(v, sc, ex);
  o->fail = v->state == BG_GATE_FAIL;
  o->shift_named = v->shift.suspected;
  for (int b = 0; b < NB; b++) {
    const struct bg_gate_outcome *x = &v->outcomes[b];
    o->detected[b] = o->fail && x->cls == BG_GATE_REGRESSED && !ex[b];
    o->why[b] = !sc || o->detected[b]               ? MISS_NONE
                : !o->screened[b]                   ? MISS_UNSCREENED
                : o->fail && bg_confirm_doubtful(x) ? MISS_LEFT
                                                    : MISS_CLEARED;
  }
}

/* Confirms the first run's verdict v (consumed) of commit c with fresh confirmation runs, the
 * machine-shift detector configured by sc, into *o. */
static int confirm_loop(struct rng *r, const struct trial *t, const struct commit *c,
                        const struct bg_gate_summary *first, struct bg_gate_verdict *v,
                        const struct bg_shift_config *sc, struct outcome *o) {
  struct bg_gate_summary pooled[NB], cand[NB];
  size_t nrun[NB] = {0};
  struct bg_confirm cf;
  bg_confirm_apply_config(v, 1, MAXC, 1, 0, sc, &cf);
  o->runs = 1;
  o->executions = NB;
  for (int b = 0; b < NB; b++)
    o->screened[b] = bg_confirm_doubtful(&v->outcomes[b]);
  while (cf.decision == BG_CONFIRM_NEEDED) {
    int doubt[NB];
    for (int b = 0; b < NB; b++)
      doubt[b] = bg_confirm_doubtful(&v->outcomes[b]);
    bg_gate_verdict_free(v);
    for (int b = 0; b < NB; b++) {
      if (doubt[b]) {
        struct bg_gate_summary s;
        commit_run(r, t, c, b, o->runs, &s);
        bg_gate_summary_pool(&pooled[b], &nrun[b], &s);
        o->executions++;
      }
      cand[b] = nrun[b] ? pooled[b] : first[b];
    }
    o->runs++;
    if (decide(t, c, cand, nrun, &v) != BG_OK)
      return -1;
    bg_confirm_apply_config(v, (size_t)o->runs, MAXC, 1, 0, sc, &cf);
  }
  read_final(v, sc, o);
  o->decision = (int)cf.decision;
  bg_gate_verdict_free(v);
  return 0;
}

/* Judges commit c three ways: out[0] one run, out[1] with confirmations (the detector's
 * defaults), out[2] with confirmations and the variant configuration sc (the same first run,
 * fresh confirmations). */
static int judge(struct rng *r, const struct trial *t, const struct commit *c,
                 const struct bg_shift_config *sc, struct outcome *out) {
  struct bg_gate_summary first[NB];
  for (int b = 0; b < NB; b++)
    commit_run(r, t, c, b, 0, &first[b]);
  struct bg_gate_verdict *v;
  if (decide(t, c, first, NULL, &v) != BG_OK)
    return -1;
  read_final(v, NULL, &out[0]);
  out[0].runs = 1;
  out[0].executions = NB;
  out[0].decision = BG_CONFIRM_NONE;
  struct bg_shift_config def;
  bg_shift_config_init(&def);
  if (confirm_loop(r, t, c, first, v, &def, &out[1]) != 0 ||
      decide(t, c, first, NULL, &v) != BG_OK || confirm_loop(r, t, c, first, v, sc, &out[2]) != 0)
    return -1;
  return 0;
}

/* ---- tallies ---------------------------------------------------------------------------- */

struct tally {
  long n, fails, runs, executions, shift_named;
  long det[NCELL], tot[NCELL];
  long false_reg, others; /* unregressed benchmarks failed on, of those in failing commits */
  long decisions[5];
  long missed[NMISS]; /* injected regressions by MISS_* */
};

static struct tally tallies[NSCEN][3]; /* [scenario][one run, confirmed, variant] */

static void tally_one(struct tally *ta, const struct trial *t, const struct commit *c,
                      const struct outcome *o) {
  ta->n++;
  ta->fails += o->fail;
  ta->runs += o->runs;
  ta->executions += o->executions;
  ta->shift_named += o->shift_named;
  ta->decisions[o->decision]++;
  for (int b = 0; b < NB; b++) {
    if (c->regressed[b]) {
      ta->tot[t->bs[b].cell]++;
      ta->det[t->bs[b].cell] += o->detected[b];
      ta->missed[o->why[b]]++;
    } else {
      ta->others++;
      ta->false_reg += o->detected[b];
    }
  }
}

static double rate(long a, long n) {
  return n ? (double)a / (double)n : NAN;
}

static double recall(const struct tally *ta) {
  long d = 0, n = 0;
  for (int k = 0; k < NCELL; k++) {
    d += ta->det[k];
    n += ta->tot[k];
  }
  return rate(d, n);
}

/* ---- report ----------------------------------------------------------------------------- */

/* Rates as percentages: fails, recall (when the scenario regresses), runs and time. */
static void print_way(const struct tally *a, int regresses) {
  printf(" %7.2f%%", 100 * rate(a->fails, a->n));
  if (regresses)
    printf(" %6.1f%%", 100 * recall(a));
  else
    printf(" %7s", "-");
  printf(" %5.3f %5.3f |", rate(a->runs, a->n), rate(a->executions, a->n * NB));
}

static void print_table(void) {
  printf("\n%-36s|%-31s|%-31s|%-31s| %s\n", "", " one run (today's gate)", " with confirmations",
         " variant explain level", "with confirmations: decisions");
  printf("%-27s %7s |", "scenario", "commits");
  for (int w = 0; w < 3; w++)
    printf(" %8s %7s %5s %5s |", "fail", "recall", "runs", "time");
  printf(" none/same/diff/unknown %%, shift named\n");
  for (int s = 0; s < NSCEN; s++) {
    const struct tally *c = &tallies[s][1];
    printf("%-27s %7ld |", scen[s].name, c->n);
    for (int w = 0; w < 3; w++)
      print_way(&tallies[s][w], scen[s].effect > 0);
    printf(" %.1f/%.1f/%.1f/%.1f, %.1f\n", 100 * rate(c->decisions[BG_CONFIRM_NONE], c->n),
           100 * rate(c->decisions[BG_CONFIRM_SAME], c->n),
           100 * rate(c->decisions[BG_CONFIRM_DIFFERENT], c->n),
           100 * rate(c->decisions[BG_CONFIRM_UNKNOWN], c->n), 100 * rate(c->shift_named, c->n));
  }
}

static void print_cells(void) {
  printf("\nrecall by noise cell (approximate CV of a run's centre): one run / confirmed\n");
  printf("%-28s", "scenario");
  for (int k = 0; k < NCELL; k++)
    printf(" %22s", cell_names[k]);
  printf("\n");
  for (int s = 0; s < NSCEN; s++) {
    if (scen[s].effect <= 0)
      continue;
    printf("%-28s", scen[s].name);
    for (int k = 0; k < NCELL; k++)
      printf("    %6.1f%% / %6.1f%%%s", 100 * rate(tallies[s][0].det[k], tallies[s][0].tot[k]),
             100 * rate(tallies[s][1].det[k], tallies[s][1].tot[k]),
             (double)(tallies[s][0].det[k] - tallies[s][1].det[k]) >
                     2 * sqrt((double)tallies[s][0].det[k] + 1)
                 ? " <"
                 : "  ");
    printf("\n");
  }
  printf("(< : confirmed found fewer than one run by more than 2 sqrt(found); injected per cell:");
  for (int k = 0; k < NCELL; k++)
    printf(" %ld", tallies[S_REG10][0].tot[k]);
  printf(" per scenario)\n");
  printf("\nregressions missed with confirmations, of those injected: not doubtful in the first "
         "run / left doubtful or explained in a verdict failed for another / cleared or unknown\n");
  for (int s = 0; s < NSCEN; s++) {
    const struct tally *c = &tallies[s][1];
    long n = 0;
    for (int k = 0; k < NMISS; k++)
      n += c->missed[k];
    if (scen[s].effect > 0)
      printf("%-28s %6.1f%% / %6.1f%% / %6.1f%%\n", scen[s].name,
             100 * rate(c->missed[MISS_UNSCREENED], n), 100 * rate(c->missed[MISS_LEFT], n),
             100 * rate(c->missed[MISS_CLEARED], n));
  }
}

/* A bound on one number; prints and counts a miss (a bound that is `reported` only prints). */
static int bound(const char *what, double v, double lo, double hi, int reported) {
  int ok = v >= lo && v <= hi;
  printf("%-6s %-62s %8.4f in [%g, %g]\n",
         ok         ? "ok"
         : reported ? "(miss)"
                    : "MISS",
         what, v, lo, hi);
  return ok || reported ? 0 : 1;
}

/* The bounds. The 3-run shift with controls is bounded at 6 %, not near 0: three controls
 * with 1-3 % noise cannot always tell a 2 % shift from none, and the gate's tails are heavier
 * than its t (docs/gate.md); the variant's is only reported. */
static int check_bounds(int smoke) {
  int miss = 0;
  const struct tally *u = tallies[S_UNCHANGED], *s1 = tallies[S_SHIFT1];
  const struct tally *s3 = tallies[S_SHIFT3_CTL], *r2 = tallies[S_REG2];
  printf("\n");
  miss += bound("unchanged, confirmed: suite false-fail rate", rate(u[1].fails, u[1].n), 0,
                smoke ? 0.05 : 0.01, 0);
  miss += bound("unchanged, confirmed: runs per verdict", rate(u[1].runs, u[1].n), 1,
                smoke ? 1.4 : 1.15, 0);
  miss += bound("1-run shift, confirmed: false-fail rate", rate(s1[1].fails, s1[1].n), 0,
                smoke ? 0.1 : 0.02, 0);
  miss += bound("3-run shift, controls, confirmed: false-fail rate", rate(s3[1].fails, s3[1].n), 0,
                smoke ? 0.15 : 0.06, 0);
  miss += bound("3-run shift, controls, variant: false-fail rate", rate(s3[2].fails, s3[2].n), 0,
                smoke ? 0.15 : 0.06, 1);
  miss += bound("+2 %: recall, confirmed - one run", recall(&r2[1]) - recall(&r2[0]),
                smoke ? -0.08 : -0.01, 1, 0);
  miss += bound("+10 %, confirmed: recall", recall(&tallies[S_REG10][1]), smoke ? 0.6 : 0.8, 1, 0);
  for (int w = 1; w < 3; w++)
    miss += bound(w == 1 ? "+10 % inside a 3-run shift, controls, confirmed: recall"
                         : "+10 % inside a 3-run shift, controls, variant: recall",
                  recall(&tallies[S_SHIFT3_REG10_CTL][w]), smoke ? 0.6 : 0.8, 1, 0);
  for (int s = S_REG5; s <= S_REG10; s++) {
    char name[96];
    const struct tally *g = tallies[s];
    snprintf(name, sizeof name, "%s: commits caught, confirmed - one run", scen[s].name);
    miss += bound(name, rate(g[1].fails, g[1].n) - rate(g[0].fails, g[0].n), smoke ? -0.05 : -0.01,
                  1, 0);
  }
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
        fprintf(stderr, "q_confirm: %s needs a positive integer\n", argv[i]);
        return 2;
      }
      i++;
    } else {
      fprintf(stderr, "usage: q_confirm [--smoke] [--seed N] [--trials N]\n");
      return 2;
    }
  }
  if (smoke && trials == 5000)
    trials = 200;
  struct bg_shift_config variant;
  bg_shift_config_init(&variant);
  variant.explain_alpha = 0.05;
  if (getenv("Q_CONFIRM_EXPLAIN_ALPHA"))
    variant.explain_alpha = strtod(getenv("Q_CONFIRM_EXPLAIN_ALPHA"), NULL);
  if (getenv("Q_CONFIRM_SPREAD_FLOOR"))
    variant.spread_floor = strtod(getenv("Q_CONFIRM_SPREAD_FLOOR"), NULL);
  clock_t t0 = clock();
  struct rng r;
  rng_seed(&r, (uint64_t)seed);
  struct trial *t = bg_xmalloc(sizeof *t);
  for (long tr = 0; tr < trials; tr++) {
    make_history(&r, t);
    for (int s = 0; s < NSCEN; s++) {
      struct commit c;
      struct outcome out[3];
      make_commit(&r, &scen[s], &c);
      if (judge(&r, t, &c, &variant, out) != 0) {
        fprintf(stderr, "q_confirm: bg_gate_decide failed\n");
        return 2;
      }
      for (int w = 0; w < 3; w++)
        tally_one(&tallies[s][w], t, &c, &out[w]);
    }
  }
  free(t);
  printf("q_confirm: seed %ld, %ld trials (a new suite of %d benchmarks and %d runs of history "
         "each; one commit per scenario per trial), confirm_runs %d, %s; variant: explain level "
         "%g, spread floor %g\n",
         seed, trials, NB, HIST, MAXC, smoke ? "smoke" : "full", variant.explain_alpha,
         variant.spread_floor);
  printf("fail: share of commits failed (false fails without a regression); recall: injected "
         "regressed benchmarks failed on; runs: runs per verdict (1 = one run); time: benchmark "
         "executions / %d\n",
         NB);
  print_table();
  print_cells();
  int miss = check_bounds(smoke);
  printf("\n%.1f s CPU; %s\n", (double)(clock() - t0) / CLOCKS_PER_SEC,
         miss ? "bounds MISSED" : "every bound met");
  return miss ? 1 : 0;
}
