/* sim.h: the seeded benchmark-suite simulator shared by the quality programs (q_gate.c,
 * q_centre.c).
 *
 * A PRNG (xoshiro256** seeded by splitmix64; no libc randomness), the parameters of a
 * simulated benchmark, the generator of one run's repetitions and of a whole suite. Without
 * machine effects (struct sim_machine all zero, or NULL) the generator draws exactly the
 * numbers it always drew, so a program's default output does not move when effects are
 * added. The effects, off by default, are those of a shared machine (docs/gate.md, "The
 * run's centre"):
 *  - one-sided interference: in a run, a fraction of the repetitions (drawn per run) is
 *    slowed by a random amount: other processes only ever take time away;
 *  - machine shifts: every benchmark of a run slower by one factor, for one or a few
 *    consecutive runs (a noisy neighbour, a frequency or host change);
 *  - a machine-wide slow drift: a random walk of every benchmark's level together;
 *  - per-benchmark drift: the fraction of benchmarks with a random walk (10 % by default) and
 *    a scale for its step.
 * sim_effects_from_env reads them from Q_SIM_* variables (see there).
 */
#ifndef BG_Q_SIM_H
#define BG_Q_SIM_H

#include <stdint.h>

struct bg_gate_summary;

#define SIM_NB 200  /* benchmarks per suite */
#define SIM_NREP 10 /* repetitions per run */
#define SIM_MC_RUNS 1000

/* ---- PRNG ------------------------------------------------------------------------------- */

struct sim_rng {
  uint64_t s[4];
  int has_spare;
  double spare;
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_next_u64(struct sim_rng *r);
double sim_unif(struct sim_rng *r);
double sim_unif_ab(struct sim_rng *r, double a, double b);
double sim_logunif(struct sim_rng *r, double a, double b);
double sim_gauss(struct sim_rng *r);

/* ---- machine effects -------------------------------------------------------------------- */

struct sim_effects {
  double interf_frac;        /* a run's share of slowed repetitions is U(0, interf_frac); 0: off */
  double interf_amount;      /* a slowed repetition takes x(1 + U(0, interf_amount)) */
  double shift_prob;         /* probability that a shift starts at a run; 0: off */
  double shift_lo, shift_hi; /* its factor, U(lo, hi) */
  int shift_len;             /* it lasts U{1..shift_len} consecutive runs */
  double machine_drift;      /* step sd (log) of a random walk shared by every benchmark; 0: off */
  double drift_frac;         /* share of benchmarks with their own random walk (default 0.10) */
  double drift_scale;        /* scales that walk's step (default 1) */
  int shift_regressions;     /* candidates with regressions are measured during a shift */
};

/* The defaults: no machine effects, 10 % of benchmarks drifting at scale 1. */
void sim_effects_init(struct sim_effects *e);

/* 1 when any machine effect (interference, shifts, machine drift) is on. */
int sim_effects_any(const struct sim_effects *e);

/* Reads the effects from the environment into *e (after sim_effects_init):
 *   Q_SIM_INTERFERENCE=FRAC[,AMOUNT]   e.g. 0.3,0.2: per run U(0, 0.3) of the repetitions
 *                                      slowed by U(0, 20 %)
 *   Q_SIM_SHIFT=PROB[,LO,HI[,LEN]]     e.g. 0.03,1.02,1.06,3: a shift starts at 3 % of runs,
 *                                      x1.02-1.06 on every benchmark, for 1-3 runs
 *   Q_SIM_SHIFT_REGRESSIONS=1          regressed candidates are measured during a shift
 *   Q_SIM_MACHINE_DRIFT=STEP           e.g. 0.002: machine-wide random walk, log step sd
 *   Q_SIM_DRIFT=FRAC[,SCALE]           per-benchmark drift (default 0.1,1)
 * Returns 0, or -1 after printing to stderr which variable is malformed. */
int sim_effects_from_env(struct sim_effects *e, const char *prog);

/* One line naming the effects that are on ("none" when none), into buf. */
void sim_effects_describe(const struct sim_effects *e, char *buf, int len);

/* The state of the machine during one run, shared by every benchmark of the run. */
struct sim_machine {
  double interf_frac; /* this run's share of slowed repetitions */
  double interf_amount;
  double log_shift; /* log of the run's shift factor plus the machine drift */
  int shifted;      /* 1 during a shift */
};

/* A sequence of machine states: call sim_machine_next for each run, oldest first. */
struct sim_machine_seq {
  int shift_left; /* runs left in the current shift */
  double shift;   /* its log factor */
  double walk;    /* machine drift state */
};

void sim_machine_seq_init(struct sim_machine_seq *q);

/* The next run's state into *m (all zero when no effect is on; draws no numbers then).
 * force_shift 1: the run is in a shift (a fresh one if none is going on). */
void sim_machine_next(struct sim_rng *r, const struct sim_effects *e, struct sim_machine_seq *q,
                      int force_shift, struct sim_machine *m);

/* ---- the simulated suite ---------------------------------------------------------------- */

struct sim_bench {
  double level; /* log of the typical value */
  double cv_w;  /* within-run sd of log samples */
  double cv_b;  /* between-run sd of the run offset */
  int bimodal;  /* 0 no, 1 by run, 2 by sample */
  double bi_p, bi_gap;
  double drift;  /* random-walk step sd, 0 for none */
  double v_true; /* true variance of a run's log centre (Monte Carlo) */
  double w_mean; /* expected within-run variance estimate log_w of a run (Monte Carlo) */
  int cell;      /* total noise cell of v_true: 0 <= 0.5 %, 1 0.5-1 %, 2 > 1 % */
};

/* One run of one benchmark: fills x[SIM_NREP] (values, not logs). `walk` is the drift state,
 * `effect` a relative regression, m the machine's state (NULL: none). */
void sim_gen_run(struct sim_rng *r, const struct sim_bench *b, double walk, double effect,
                 const struct sim_machine *m, double *x);

/* A hook of sim_make_suite: called for each of the SIM_MC_RUNS Monte Carlo runs of each
 * benchmark (index b, run k) with its samples, to measure more centres on the same runs. */
typedef void (*sim_mc_hook)(void *arg, int b, int k, const double *x);

/* Draws nb benchmarks into bs (e the per-benchmark drift; NULL: defaults). v_true, w_mean
 * and cell are measured on SIM_MC_RUNS runs without drift or machine effects, with the
 * gate's centre (bg_gate_summarize); hook (may be NULL) sees the same runs. */
void sim_make_suite(struct sim_rng *r, struct sim_bench *bs, int nb, const struct sim_effects *e,
                    sim_mc_hook hook, void *arg);

/* ---- centres of a run ------------------------------------------------------------------ */

/* The candidate centres of a run's (log) samples: the gate's 20 % trimmed mean, the minimum,
 * the 10th and 25th percentiles (linear interpolation, R type 7), the mean of the lowest 3. */
enum { SIM_C_TRIM20 = 0, SIM_C_MIN, SIM_C_P10, SIM_C_P25, SIM_C_LOW3, SIM_NCENTRE };
#define SIM_C_AUTO SIM_NCENTRE       /* the per-series choice of the harness (sim_choose_centre) */
#define SIM_C_GATE (SIM_NCENTRE + 1) /* the gate's own (bg_gate_summarize as it is) */

/* "trim20", "min", "p10", "p25", "low3", "auto", "gate". */
const char *sim_centre_name(int c);

/* The centre named s (one of the names above), or -1. */
int sim_centre_parse(const char *s);

/* Centre c (< SIM_NCENTRE) of n ascending values. */
double sim_centre_sorted(int c, const double *s, int n);

/* ratio[c] = var(centre c) / var(20 % trimmed mean) of SIM_NREP independent normal samples
 * (Monte Carlo, fixed seed): a centre's within-run variance is the Tukey-McLaughlin one of
 * the trimmed mean scaled by it, so the gate's guard for a noisy candidate run keeps its
 * meaning for every centre. */
void sim_centre_ratios(double ratio[SIM_NCENTRE]);

/* bg_gate_summarize (c == SIM_C_GATE: only that), then the centres (log and raw) replaced by
 * centre c (< SIM_NCENTRE), the within-run variances scaled by ratio[c] and the one-sided
 * centres the gate may choose removed (tail_n 0), so that the gate tests on centre c. */
void sim_summarize(const double *x, int n, int c, const double *ratio, struct bg_gate_summary *s);

/* The per-series choice: of the centres cent[j][c] of nruns baseline runs (log scale), the
 * one whose run-to-run variance is smallest; a centre other than the trimmed mean only when
 * its variance is below `margin` times the trimmed mean's in each half of the runs as well
 * as in all of them (a low centre that jumps between the modes of a bimodal benchmark does
 * not win twice by chance). */
int sim_choose_centre(double (*cent)[SIM_NCENTRE], int nruns, double margin);

#endif
