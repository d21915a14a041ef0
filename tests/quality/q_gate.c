/* q_gate.c: the gate's quality simulator against an oracle and peer rules.
 *
 * Seeded and reproducible (xoshiro256** seeded by splitmix64; no libc randomness). Suites of
 * 200 benchmarks with 10 repetitions per run: within-run CV log-uniform 0.2-5 %, between-run
 * CV log-uniform 0.1-3 %, 2 % of samples slowed x1.2-3, 10 % of benchmarks bimodal (half by
 * run, half by sample), a slow random-walk drift on 10 %. Each trial builds a history of 100
 * runs (the gate uses its default windows: the level from the newest 30, the noise from all
 * 100; peers use their own lookbacks), then judges
 * two unchanged candidate runs and two with regressions of 1, 2, 5, 10 and 20 % injected into
 * 5 % of the benchmarks. Every method judges exactly the same data. The full run has 50 suites
 * (10 000 unchanged commits, 10 000 with regressions), enough that the cells where every
 * method finds under 3 % are compared on more than 150 detections, not on a few dozen.
 *
 * Methods: benchgate (lib/gate.c, default settings), an oracle (z-test with the true variance
 * of a run centre, calibrated to benchgate's suite false-fail rate, same min_effect rule),
 * and eight peer rules from their documented defaults (peers.c, shared with real_peers.c).
 *
 * Usage: q_gate [--smoke] [--seed N] [--suites N] [--trials N]. Exits 1 when a §6.5 target
 * is missed (the smoke run checks looser bounds that hold for any seed). Environment, for
 * experiments: Q_GATE_WINDOW and Q_GATE_NOISE_WINDOW set the gate's two windows;
 * Q_GATE_DEBUG=1 prints every benchmark the gate fails on an unchanged commit.
 *
 * The generator is sim.c's (shared with q_centre.c). Machine effects, all off by default
 * (sim.h has the details; docs/gate.md, "The run's centre", the measured effect of each):
 *   Q_SIM_INTERFERENCE=FRAC[,AMOUNT]  one-sided interference: per run U(0, FRAC) of the
 *                                     repetitions slowed by U(0, AMOUNT), default 0.2
 *   Q_SIM_SHIFT=PROB[,LO,HI[,LEN]]    machine shifts: at a share PROB of runs every benchmark
 *                                     becomes xU(LO, HI) (default 1.02-1.06) for 1-LEN runs
 *                                     (default 3), in history and candidates alike
 *   Q_SIM_SHIFT_REGRESSIONS=1         the candidates with regressions run during a shift
 *   Q_SIM_MACHINE_DRIFT=STEP          a random walk of every benchmark's level together
 *   Q_SIM_DRIFT=FRAC[,SCALE]          per-benchmark random-walk drift (default 0.1,1)
 * and the run's centre the gate and the oracle are given (the peers keep their own):
 *   Q_GATE_CENTRE=gate                (default) the gate's own: per series the trimmed mean or
 *                                     the mean of the best 30 % (lib/gate.c, choose_best30)
 *   Q_GATE_CENTRE=trim20|min|p10|p25|low3   that centre for every benchmark
 *   Q_GATE_CENTRE=auto                per benchmark the one of those five with the smallest
 *                                     run-to-run variance over its history (sim.c; margin
 *                                     Q_GATE_CENTRE_MARGIN, default 0.8)
 * The noise cells stay those of the 20 % trimmed mean, whichever centre is used.
 */
#include "gate.h"
#include "mem.h"
#include "peers.h"
#include "sim.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NB SIM_NB
#define NREP SIM_NREP
#define HIST 100  /* runs of history kept per trial */
#define WINDOW 30 /* benchgate's level window (the oracle's level uses the same runs) */
#define NEFF 5
#define NCELL 3
#define NNULL 2  /* unchanged candidates per trial */
#define NREG 2   /* candidates with regressions per trial */
#define NREGB 10 /* regressed benchmarks per regression candidate (5 %) */
#define MIN_EFFECT 0.02

static const double effects[NEFF] = {0.01, 0.02, 0.05, 0.10, 0.20};
static const char *cell_names[NCELL] = {"<=0.5%", "0.5-1%", ">1%"};

/* ---- methods ---------------------------------------------------------------------------- */

/* benchgate, the oracle, then the peer rules in peers.h's order. */
enum { M_GATE, M_ORACLE, M_GAB, NMETH = M_GAB + PEER_NRULES };

static const char *meth_name(int m) {
  return m == M_GATE ? "benchgate" : m == M_ORACLE ? "oracle" : peer_name(m - M_GAB);
}

/* Everything a trial's methods look at. hist[b][j]: summaries, j = 0 the newest run. */
struct trial {
  struct bg_gate_summary hist[NB][HIST];
  struct bg_gate_point pts[NB][HIST]; /* hist as the gate reads it */
  double prev[NB][NREP];              /* samples of the newest baseline run */
  double cand[NB][NREP];
  struct bg_gate_summary csum[NB];
  double hc[NB][HIST][SIM_NCENTRE]; /* each history run's log centres (Q_GATE_CENTRE=auto) */
  int chosen[NB];                   /* the centre each benchmark uses */
};

/* The centres' true run-to-run variances of one suite (Monte Carlo, the runs v_true uses),
 * for the oracle under another centre than the gate's. */
struct centre_truth {
  double c[SIM_NB][SIM_MC_RUNS][SIM_NCENTRE];
  double w[SIM_NB][SIM_NCENTRE];
  double v[SIM_NB][SIM_NCENTRE];
  const double *ratio;
};

static void truth_hook(void *arg, int b, int k, const double *x) {
  struct centre_truth *ct = arg;
  struct bg_gate_summary s;
  bg_gate_summarize(x, NREP, &s);
  /* The centres as sim_summarize makes them, from one sort. */
  double v[NREP];
  for (int i = 0; i < NREP; i++)
    v[i] = log(x[i]);
  bg_stats_sort(v, NREP);
  for (int c = 0; c < SIM_NCENTRE; c++) {
    ct->c[b][k][c] = sim_centre_sorted(c, v, NREP);
    ct->w[b][c] += s.log_w * (c == SIM_C_TRIM20 ? 1 : ct->ratio[c]) / SIM_MC_RUNS;
  }
}

static void truth_finish(struct centre_truth *ct) {
  static double col[SIM_MC_RUNS];
  for (int b = 0; b < NB; b++)
    for (int c = 0; c < SIM_NCENTRE; c++) {
      for (int k = 0; k < SIM_MC_RUNS; k++)
        col[k] = ct->c[b][k][c];
      ct->v[b][c] = bg_stats_variance(col, SIM_MC_RUNS);
    }
}

/* Peer rule m (M_GAB and after) on benchmark b of the trial's candidate (peers.c). */
static int peer_flag_trial(int m, const struct trial *t, int b) {
  const struct peer_series s = {.hist = t->hist[b],
                                .nhist = HIST,
                                .cand = &t->csum[b],
                                .cand_x = t->cand[b],
                                .ncand = NREP,
                                .prev_x = t->prev[b],
                                .nprev = NREP};
  return peer_flag(m - M_GAB, &s);
}

/* ---- bookkeeping ------------------------------------------------------------------------ */

/* One judged candidate as the gate and the oracle saw it, kept to re-run BH at other levels. */
struct judged {
  double pg[NB], po[NB];        /* two-sided p: gate, oracle */
  double pw[NB];                /* one-sided worse p of the gate */
  unsigned char eg[NB], eo[NB]; /* the min_effect rule passes in the worse direction */
  signed char eff[NB];          /* index into effects, -1 unchanged */
};

struct tally {
  long ncommits, fails;
  long det[NEFF][NCELL], tot[NEFF][NCELL];
  long false_reg, comparisons;
};

/* The oracle (pw NULL): BH on two-sided p at `level`. The gate: BH on two-sided p at
 * max(alpha, level) and BH on the one-sided worse p at `level` (its fail budget). */
static double gate_alpha = 0.05;
static void bh_flags(const double *p, const double *pw, const unsigned char *elig, double level,
                     int *flag) {
  double q[NB], qw[NB], a = pw ? fmax(gate_alpha, level) : level;
  bg_stats_bh(p, NB, q, a);
  if (pw)
    bg_stats_bh(pw, NB, qw, level);
  for (int b = 0; b < NB; b++)
    flag[b] = q[b] <= a && elig[b] && (!pw || qw[b] <= level);
}

static void tally_commit(struct tally *t, const struct judged *j, const int *flag,
                         const struct sim_bench *bs, int null_commit) {
  int any = 0;
  for (int b = 0; b < NB; b++) {
    if (j->eff[b] >= 0) {
      t->tot[j->eff[b]][bs[b].cell]++;
      t->det[j->eff[b]][bs[b].cell] += flag[b];
    } else {
      t->comparisons++;
      t->false_reg += flag[b];
      any |= flag[b];
    }
  }
  if (null_commit) {
    t->ncommits++;
    t->fails += any;
  }
}

struct sim {
  struct judged *nulls, *regs;
  const struct sim_bench **nsuite, **rsuite; /* the suite each judged candidate came from */
  size_t nn, nr;
};

/* Suite false-fail rate and recall tallies of the gate (which = 0) or the oracle (1) at a
 * level (the gate's fail budget, the oracle's BH level): see bh_flags. */
static void replay(const struct sim *s, int which, double alpha, struct tally *t) {
  int flag[NB];
  memset(t, 0, sizeof *t);
  for (size_t i = 0; i < s->nn; i++) {
    const struct judged *j = &s->nulls[i];
    bh_flags(which ? j->po : j->pg, which ? NULL : j->pw, which ? j->eo : j->eg, alpha, flag);
    tally_commit(t, j, flag, s->nsuite[i], 1);
  }
  for (size_t i = 0; i < s->nr; i++) {
    const struct judged *j = &s->regs[i];
    bh_flags(which ? j->po : j->pg, which ? NULL : j->pw, which ? j->eo : j->eg, alpha, flag);
    tally_commit(t, j, flag, s->rsuite[i], 0);
  }
}

static double ffr(const struct tally *t) {
  return t->ncommits ? (double)t->fails / (double)t->ncommits : 0;
}

/* The largest level (log-bisection) whose suite false-fail rate stays <= target. */
static double calibrate(const struct sim *s, int which, double target) {
  double lo = 1e-12, hi = 0.999;
  struct tally t;
  replay(s, which, hi, &t);
  if (ffr(&t) <= target)
    return hi;
  for (int it = 0; it < 40; it++) {
    double mid = sqrt(lo * hi);
    replay(s, which, mid, &t);
    if (ffr(&t) <= target)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

static double recall_eff(const struct tally *t, int e, int maxcell) {
  long d = 0, n = 0;
  for (int c = 0; c <= maxcell; c++) {
    d += t->det[e][c];
    n += t->tot[e][c];
  }
  return n ? (double)d / (double)n : NAN;
}

static double recall_cell(const struct tally *t, int e, int c) {
  return t->tot[e][c] ? (double)t->det[e][c] / (double)t->tot[e][c] : NAN;
}

static void print_row(const char *name, const struct tally *t, const char *note) {
  printf("%-24s %6.2f%%", name, 100 * ffr(t));
  for (int e = 0; e < NEFF; e++)
    printf(" %6.1f%%", 100 * recall_eff(t, e, NCELL - 1));
  double per_k = t->comparisons ? 1000.0 * (double)t->false_reg / (double)t->comparisons : 0;
  printf(" %7.2f  %s\n", per_k, note ? note : "");
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
  int smoke = 0, rc = 0;
  long seed = 20261127, nsuites = 50, per_suite = 100;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--smoke") == 0) {
      smoke = 1;
    } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      if (parse_long(argv[++i], &seed)) {
        fprintf(stderr, "q_gate: --seed needs a positive integer\n");
        return 2;
      }
    } else if (strcmp(argv[i], "--suites") == 0 && i + 1 < argc) {
      if (parse_long(argv[++i], &nsuites)) {
        fprintf(stderr, "q_gate: --suites needs a positive integer\n");
        return 2;
      }
    } else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc) {
      if (parse_long(argv[++i], &per_suite)) {
        fprintf(stderr, "q_gate: --trials needs a positive integer\n");
        return 2;
      }
    } else {
      fprintf(stderr, "usage: q_gate [--smoke] [--seed N] [--suites N] [--trials N-per-suite]\n");
      return 2;
    }
  }
  if (smoke) {
    nsuites = 3;
    per_suite = per_suite == 100 ? 40 : per_suite;
  }
  struct sim_effects fx;
  sim_effects_init(&fx);
  if (sim_effects_from_env(&fx, "q_gate"))
    return 2;
  int centre = SIM_C_GATE;
  if (getenv("Q_GATE_CENTRE") && (centre = sim_centre_parse(getenv("Q_GATE_CENTRE"))) < 0) {
    fprintf(stderr, "q_gate: Q_GATE_CENTRE: one of gate, trim20, min, p10, p25, low3, auto\n");
    return 2;
  }
  double margin =
      getenv("Q_GATE_CENTRE_MARGIN") ? strtod(getenv("Q_GATE_CENTRE_MARGIN"), NULL) : 0.8;
  double ratio[SIM_NCENTRE];
  sim_centre_ratios(ratio);
  struct centre_truth *truth = bg_xcalloc(1, sizeof *truth);
  long chosen_n[SIM_NCENTRE] = {0}, gate_best30 = 0, gate_tested = 0;
  clock_t t0 = clock();
  struct sim_rng r;
  sim_rng_seed(&r, (uint64_t)seed);
  long ntrials = nsuites * per_suite;
  struct sim_bench *suites = bg_xmalloc((size_t)nsuites * NB * sizeof *suites);
  struct trial *t = bg_xmalloc(sizeof *t);
  struct sim s = {0};
  s.nulls = bg_xmalloc((size_t)ntrials * NNULL * sizeof *s.nulls);
  s.regs = bg_xmalloc((size_t)ntrials * NREG * sizeof *s.regs);
  s.nsuite = bg_xmalloc((size_t)ntrials * NNULL * sizeof *s.nsuite);
  s.rsuite = bg_xmalloc((size_t)ntrials * NREG * sizeof *s.rsuite);
  struct tally peers[NMETH];
  memset(peers, 0, sizeof peers);
  struct tally gate_default;
  memset(&gate_default, 0, sizeof gate_default);
  long cal_n = 0, cal_g[3] = {0}, cal_o[3] = {0}, d0_n = 0;
  double d0_sum = 0;
  static const double cal_at[3] = {1e-2, 1e-3, 1e-4};
  struct bg_gate_item items[NB];
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  gate_alpha = cfg.alpha;
  if (getenv("Q_GATE_WINDOW"))
    cfg.window = (size_t)strtol(getenv("Q_GATE_WINDOW"), NULL, 10);
  if (getenv("Q_GATE_NOISE_WINDOW"))
    cfg.noise_window = (size_t)strtol(getenv("Q_GATE_NOISE_WINDOW"), NULL, 10);
  char names[NB][16];
  for (int b = 0; b < NB; b++)
    snprintf(names[b], sizeof names[b], "bm_%03d", b);

  for (long su = 0; su < nsuites; su++) {
    struct sim_bench *bs = &suites[su * NB];
    if (truth) {
      memset(truth, 0, sizeof *truth);
      truth->ratio = ratio;
    }
    sim_make_suite(&r, bs, NB, &fx, truth ? truth_hook : NULL, truth);
    if (truth)
      truth_finish(truth);
    for (long tr = 0; tr < per_suite; tr++) {
      /* The machine's state in each history run (shared by every benchmark of the run) and
       * after it; all zero without machine effects. */
      struct sim_machine hm[HIST], cms[NNULL + NREG];
      struct sim_machine_seq seq;
      sim_machine_seq_init(&seq);
      for (int j = HIST - 1; j >= 0; j--)
        sim_machine_next(&r, &fx, &seq, 0, &hm[j]);
      for (int c = 0; c < NNULL + NREG; c++) {
        struct sim_machine_seq q = seq;
        sim_machine_next(&r, &fx, &q, c >= NNULL && fx.shift_regressions, &cms[c]);
      }
      /* History, oldest first in time, stored newest first. */
      double walk[NB];
      for (int b = 0; b < NB; b++) {
        walk[b] = 0;
        for (int j = HIST - 1; j >= 0; j--) {
          double x[NREP];
          walk[b] += bs[b].drift * sim_gauss(&r);
          sim_gen_run(&r, &bs[b], walk[b], 0, &hm[j], x);
          if (centre == SIM_C_AUTO) {
            double v[NREP];
            for (int i = 0; i < NREP; i++)
              v[i] = log(x[i]);
            bg_stats_sort(v, NREP);
            for (int c = 0; c < SIM_NCENTRE; c++)
              t->hc[b][j][c] = sim_centre_sorted(c, v, NREP);
          }
          sim_summarize(x, NREP, centre == SIM_C_AUTO ? SIM_C_TRIM20 : centre, ratio,
                        &t->hist[b][j]);
          if (j == 0)
            memcpy(t->prev[b], x, sizeof x);
        }
        t->chosen[b] = centre == SIM_C_AUTO ? sim_choose_centre(t->hc[b], HIST, margin) : centre;
        if (t->chosen[b] < SIM_NCENTRE)
          chosen_n[t->chosen[b]]++;
        for (int j = 0; j < HIST; j++) {
          if (centre == SIM_C_AUTO && t->chosen[b] != SIM_C_TRIM20) {
            t->hist[b][j].log_center = t->hc[b][j][t->chosen[b]];
            t->hist[b][j].log_w *= ratio[t->chosen[b]];
          }
          bg_gate_point_of(&t->hist[b][j], &t->pts[b][j]);
        }
        walk[b] += bs[b].drift * sim_gauss(&r);
      }
      for (int c = 0; c < NNULL + NREG; c++) {
        int is_null = c < NNULL;
        struct judged *j = is_null ? &s.nulls[s.nn] : &s.regs[s.nr];
        if (is_null)
          s.nsuite[s.nn++] = bs;
        else
          s.rsuite[s.nr++] = bs;
        memset(j->eff, -1, sizeof j->eff);
        if (!is_null) {
          for (int k = 0; k < NREGB;) {
            int b = (int)(sim_unif(&r) * NB);
            if (j->eff[b] >= 0)
              continue;
            j->eff[b] = (signed char)(k % NEFF);
            k++;
          }
        }
        for (int b = 0; b < NB; b++) {
          double e = j->eff[b] >= 0 ? effects[j->eff[b]] : 0;
          sim_gen_run(&r, &bs[b], walk[b], e, &cms[c], t->cand[b]);
          sim_summarize(t->cand[b], NREP, t->chosen[b], ratio, &t->csum[b]);
          items[b] = (struct bg_gate_item){.benchmark = names[b],
                                           .measure = "wall_time",
                                           .unit = "ns",
                                           .direction = BG_LOWER,
                                           .baseline = t->pts[b],
                                           .nbaseline = HIST,
                                           .candidate = &t->csum[b],
                                           .min_effect = MIN_EFFECT};
        }
        struct bg_gate_verdict *v;
        if (bg_gate_decide(items, NB, &cfg, &v) != BG_OK) {
          fprintf(stderr, "q_gate: bg_gate_decide failed\n");
          return 2;
        }
        int flag[NB];
        double thr = log1p(MIN_EFFECT), zq = bg_stats_norm_quantile(0.975);
        for (int b = 0; b < NB; b++) {
          const struct bg_gate_outcome *o = &v->outcomes[b];
          j->pg[b] = o->p;
          j->pw[b] = o->p_worse;
          j->eg[b] = o->change > 0 && o->change_hi >= MIN_EFFECT;
          flag[b] = o->cls == BG_GATE_REGRESSED;
          /* Oracle: the same centres, the true variance. The centre is the one the gate
           * tested on (its own choice: the best 30 %, the lowest 3 of 10 here, or the trimmed
           * mean; or the harness's, already in log_center). */
          int tc = t->chosen[b], low = 0;
          if (tc == SIM_C_GATE) {
            low = o->centre == BG_GATE_CENTRE_BEST30;
            tc = low ? SIM_C_LOW3 : SIM_C_TRIM20;
            gate_best30 += low;
            gate_tested++;
          }
          double mu = 0;
          for (int k = 0; k < WINDOW; k++)
            mu += low ? t->hist[b][k].log_low : t->hist[b][k].log_center;
          mu /= WINDOW;
          double d = (low ? t->csum[b].log_low : t->csum[b].log_center) - mu;
          /* A random walk adds step^2 * sum_{u=1..30} (u/30)^2 = 10.5 step^2 to d. */
          double walkvar =
              bs[b].drift * bs[b].drift * (WINDOW + 1) * (2 * WINDOW + 1) / (6.0 * WINDOW);
          /* The oracle shares benchgate's guard against a candidate run that is noisier than
           * usual (three of ten repetitions hit by outliers happens in 1 run of 1000). */
          double vt = truth->v[b][tc], wm = truth->w[b][tc];
          double wc = t->csum[b].log_w * (low ? ratio[SIM_C_LOW3] : 1);
          double se = sqrt(vt * (1 + 1.0 / WINDOW) + walkvar + fmax(0, wc - wm));
          j->po[b] = fmin(1, 2 * bg_stats_norm_sf(fabs(d) / se));
          j->eo[b] = d > 0 && d + zq * se >= thr;
          if (is_null) {
            cal_n++;
            for (int k = 0; k < 3; k++) {
              cal_g[k] += o->p_worse <= cal_at[k];
              cal_o[k] += bg_stats_norm_sf(d / se) <= cal_at[k];
            }
          }
        }
        if (is_null && getenv("Q_GATE_DEBUG"))
          for (int b = 0; b < NB; b++)
            if (flag[b]) {
              const struct bg_gate_outcome *o = &v->outcomes[b];
              printf("FF su=%ld tr=%ld b=%d cvw=%.4f cvb=%.4f bi=%d drift=%.4f vtrue=%.3g "
                     "s2=%.3g ratio=%.2f wc=%.3g wm=%.3g t=%.2f df=%.0f pw=%.2g chg=%.4f\n",
                     su, tr, b, bs[b].cv_w, bs[b].cv_b, bs[b].bimodal, bs[b].drift, bs[b].v_true,
                     o->s2, o->s2 / bs[b].v_true, t->csum[b].log_w, bs[b].w_mean, o->t, o->df,
                     o->p_worse, o->change);
            }
        tally_commit(&gate_default, j, flag, bs, is_null);
        d0_sum += isinf(v->prior_df) ? 1e3 : v->prior_df;
        d0_n++;
        bg_gate_verdict_free(v);
        for (int m = M_GAB; m < NMETH; m++) {
          for (int b = 0; b < NB; b++)
            flag[b] = peer_flag_trial(m, t, b);
          tally_commit(&peers[m], j, flag, bs, is_null);
        }
      }
    }
  }

  /* The oracle at benchgate's false-fail rate (the largest alpha that does not exceed it). */
  double ff_gate = ffr(&gate_default);
  double a_oracle = calibrate(&s, 1, ff_gate);
  struct tally oracle;
  replay(&s, 1, a_oracle, &oracle);
  peers[M_GATE] = gate_default;
  peers[M_ORACLE] = oracle;

  printf("q_gate: %s run, seed %ld, %ld suites x %ld trials: %zu unchanged commits, %zu commits "
         "with regressions (%d benchmarks, %d repetitions, %d runs of history; benchgate's level "
         "from %zu, noise from %zu)\n",
         smoke ? "smoke" : "full", seed, nsuites, per_suite, s.nn, s.nr, NB, NREP, HIST, cfg.window,
         cfg.noise_window);
  char fxs[256];
  sim_effects_describe(&fx, fxs, sizeof fxs);
  printf("machine effects: %s; run centre: %s", fxs, sim_centre_name(centre));
  if (centre == SIM_C_AUTO) {
    printf(" (margin %.2g; chosen per benchmark and trial:", margin);
    for (int c = 0; c < SIM_NCENTRE; c++)
      printf(" %s %ld", sim_centre_name(c), chosen_n[c]);
    printf(")");
  }
  if (centre == SIM_C_GATE)
    printf(" (the best 30 %% in %.1f%% of the gate's tests)",
           100.0 * (double)gate_best30 / (double)(gate_tested ? gate_tested : 1));
  printf("\n");
  long ncell[NCELL] = {0};
  for (long i = 0; i < nsuites * NB; i++)
    ncell[suites[i].cell]++;
  printf("benchmarks by total run-to-run CV: <=0.5%% %ld, 0.5-1%% %ld, >1%% %ld\n\n", ncell[0],
         ncell[1], ncell[2]);
  printf("%-24s %7s %7s %7s %7s %7s %7s %8s\n", "method", "falsefail", "rec@1%", "rec@2%", "rec@5%",
         "rec@10%", "rec@20%", "false/1k");
  char note[64];
  snprintf(note, sizeof note, "(alpha %.3g, fail %.3g)", cfg.alpha, cfg.fail_rate);
  print_row(meth_name(M_GATE), &peers[M_GATE], note);
  snprintf(note, sizeof note, "(calibrated: BH %.3g)", a_oracle);
  print_row(meth_name(M_ORACLE), &peers[M_ORACLE], note);
  for (int m = M_GAB; m < NMETH; m++)
    print_row(meth_name(m), &peers[m], NULL);

  printf("\nrecall by (effect, total noise cell): benchgate / oracle\n%-8s", "effect");
  for (int c = 0; c < NCELL; c++)
    printf(" %20s", cell_names[c]);
  printf("\n");
  int fail_oracle = 0;
  for (int e = 0; e < NEFF; e++) {
    printf("%5.0f%%  ", 100 * effects[e]);
    for (int c = 0; c < NCELL; c++) {
      double g = recall_cell(&gate_default, e, c), o = recall_cell(&oracle, e, c);
      long odet = oracle.det[e][c];
      /* Cells where the oracle itself finds almost nothing cannot be compared, and effects
       * below min_effect are changes the gate is built not to fail: there "recall" only
       * counts how often the interval happens to reach min_effect (reported, not checked). */
      int below = effects[e] < MIN_EFFECT - 1e-12;
      int checked = odet >= 20 && !below;
      int ok = !checked || g >= 0.85 * o;
      if (!ok)
        fail_oracle = 1;
      printf("   %6.1f%% / %6.1f%%%s", 100 * g, 100 * o,
             below      ? " b"
             : !checked ? " -"
             : ok       ? "  "
                        : " X");
    }
    printf("\n");
  }
  printf("regressions injected per effect size and cell: %ld, %ld, %ld\n", gate_default.tot[0][0],
         gate_default.tot[0][1], gate_default.tot[0][2]);
  printf("(b : effect below min_effect, not compared; - : oracle found fewer than 20, not "
         "compared; X : below 85 %% of the oracle)\n");

  {
    double a1 = calibrate(&s, 0, 0.01);
    struct tally t1;
    replay(&s, 0, a1, &t1);
    printf("\n(diagnostic) benchgate at the largest fail level with suite false-fail <= 1%% "
           "(%.3g):\n",
           a1);
    print_row("", &t1, NULL);
  }
  printf("\nshrinkage prior degrees of freedom d0, mean over verdicts: %.2f\n",
         d0_sum / (double)(d0_n ? d0_n : 1));
  printf("\ncalibration of benchgate's one-sided p (worse) on unchanged benchmarks, %ld "
         "comparisons:\n",
         cal_n);
  for (int k = 0; k < 3; k++)
    printf("  P(p <= %.0e) = %.2e (ratio %.2f; oracle %.2f)\n", cal_at[k],
           (double)cal_g[k] / (double)cal_n, (double)cal_g[k] / (double)cal_n / cal_at[k],
           (double)cal_o[k] / (double)cal_n / cal_at[k]);

  /* Targets. */
  double r5 = recall_eff(&gate_default, 2, 1), r2 = recall_eff(&gate_default, 1, 0);
  double ff_max = smoke ? 0.05 : 0.01, r5_min = smoke ? 0.85 : 0.95, r2_min = smoke ? 0.6 : 0.8;
  printf("\ntargets (%s):\n", smoke ? "smoke bounds" : "quality requirements");
  int ok1 = ff_gate <= ff_max;
  printf("  [%s] suite false-fail rate %.2f%% <= %.0f%%\n", ok1 ? "ok" : "MISSED", 100 * ff_gate,
         100 * ff_max);
  int ok2 = r5 >= r5_min;
  printf("  [%s] recall at 5%% where noise <= 1%%: %.1f%% >= %.0f%%\n", ok2 ? "ok" : "MISSED",
         100 * r5, 100 * r5_min);
  int ok3 = r2 >= r2_min;
  printf("  [%s] recall at 2%% where noise <= 0.5%%: %.1f%% >= %.0f%%\n", ok3 ? "ok" : "MISSED",
         100 * r2, 100 * r2_min);
  int ok4 = smoke || !fail_oracle;
  printf("  [%s] >= 85%% of the oracle's recall in every comparable cell (effect >= min_effect)"
         "%s\n",
         ok4 ? "ok" : "MISSED", smoke ? " (reported only in smoke runs)" : "");
  int ok5 = 1;
  for (int m = M_GAB; m < NMETH; m++) {
    double bound = fmax(ffr(&peers[m]), 0.01);
    double a = ff_gate <= bound ? cfg.fail_rate : 0;
    struct tally at;
    double am = calibrate(&s, 0, bound);
    if (am > a)
      a = am;
    replay(&s, 0, a, &at);
    int won = 1;
    for (int e = 1; e <= 2; e++)
      if (!(recall_eff(&at, e, NCELL - 1) > recall_eff(&peers[m], e, NCELL - 1)))
        won = 0;
    if (!won && !smoke)
      ok5 = 0;
    printf("  [%s] vs %-23s (false-fail %.2f%%): recall@2%% %.1f%% vs %.1f%%, @5%% %.1f%% vs "
           "%.1f%% (benchgate at fail level %.3g, false-fail %.2f%%)\n",
           won     ? "ok"
           : smoke ? "--"
                   : "MISSED",
           meth_name(m), 100 * ffr(&peers[m]), 100 * recall_eff(&at, 1, NCELL - 1),
           100 * recall_eff(&peers[m], 1, NCELL - 1), 100 * recall_eff(&at, 2, NCELL - 1),
           100 * recall_eff(&peers[m], 2, NCELL - 1), a, 100 * ffr(&at));
  }
  rc = ok1 && ok2 && ok3 && ok4 && ok5 ? 0 : 1;
  printf("\n%s in %.1f s CPU\n", rc ? "TARGETS MISSED" : "all targets met",
         (double)(clock() - t0) / CLOCKS_PER_SEC);
  free(suites);
  free(truth);
  free(t);
  free(s.nulls);
  free(s.regs);
  free(s.nsuite);
  free(s.rsuite);
  return rc;
}
