/* machine_shift.h: telling a shift of the machine from a change of the code, in one verdict.
 *
 * On a shared or virtual machine most false fails of unchanged code are real shifts of the
 * machine that last a commit or two: every benchmark of the run is slower by a similar factor
 * (cpu_time as much as wall_time). One run cannot tell a slower machine from slower code, but
 * it can show the signature of the machine: many unrelated benchmarks moving together in one
 * direction by a similar factor, the project's control benchmarks (which no code change
 * touches) moving too, or the machine's fingerprint changing. bg_shift_detect looks for that
 * signature in a decided verdict; a verdict that shows it names a suspected machine shift and
 * asks for confirmation (a re-run) instead of failing. Pure: no I/O, no global state.
 *
 * The method. Items are the verdict's t-tested results, each with its log change oriented so
 * that positive is worse (d; a slower machine makes every time larger and every throughput
 * smaller), its standard error se and degrees of freedom df, as the gate computed them.
 *  - Units. Results of one benchmark (wall_time and cpu_time of BM_X) move together by
 *    construction, so they are one unit: x = mean of their d, s = mean of their se (an upper
 *    bound of the mean's se whatever their correlation, so the test stays conservative),
 *    df = the smallest df. Controls form their own units. Everything below counts units, never
 *    results, so a suite of 20 benchmarks with 3 measures is 20 witnesses, not 60.
 *  - The common factor c is the median of the non-control units' x: half the units may do
 *    anything (a code change, a benchmark the shift does not reach) without moving it. Its se
 *    is a normal median's, sqrt(pi/2) sqrt(s~^2 + tau^2) / sqrt(m) (s~ the units' median se,
 *    tau their spread, below), and its 95 % interval c -+ 1.96 se. Not the distribution-free
 *    order-statistic interval: with fewer than 10 units that is [min, max], and a regression
 *    among 8 benchmarks would then pass for part of the shift.
 *  - Is c nonzero? The quantile test of the units' one-sided p-values u_j = P(T_df >= x_j /
 *    s_j): with r = floor(m/2) + 1, "the r-th smallest u is u_(r)" has, when nothing moved
 *    (u_j independent uniform), probability P(Binomial(m, u_(r)) >= r) = I_u(r, m - r + 1) of
 *    being that small. This is the sign test with its threshold at the observed median z, so it
 *    uses each unit's own noise: 7 benchmarks all 2 se slower give p = 4e-5, 7 all 1 se slower
 *    p = 0.03 (two-sided, df 30). A single benchmark, however far it moved, changes u_(r) by one
 * rank: one regression among unchanged others can never make the test significant. Two-sided: the
 *    same on 1 - u (a faster machine).
 *  - A similar factor: the spread tau of the units around c, beyond their noise, is the
 *    robust random-effects estimate: the tau >= 0 at which the median of (x - c)^2 / (s^2 +
 *    tau^2) is the chi-square(1) median. A machine shift moves benchmarks by a similar factor
 *    (the simulator's shifts spread by +-25 %: tau about 0.15 |c|); half the suite slowed by a
 *    shared function and half unchanged is two factors, 0 and the change (tau about |c|).
 *  - common_factor is suspected when that p <= alpha (1e-3), |exp(c) - 1| >= min_factor (1 %),
 *    at least min_fraction (60 %) of the units lie on c's side of 0, tau <= max_spread |c|
 *    (0.5), and there are at least min_units (5) units: "many unrelated benchmarks moving
 *    together by a similar, noticeable factor".
 *  - Controls. The same quantile test over the control units alone: controls_moved when
 *    their p <= control_alpha (1e-3) and their factor reaches min_factor. Their factor is the
 *    random-effects precision-weighted mean, weights 1 / (s^2 + tau^2), tau their robust
 *    spread, at least the others' (no code touches them: nothing to be robust against but
 *    noise, and a median of 3 uses one of them). Controls that did NOT move argue for a
 *    change of the code: when the others moved together (the test, the factor and the
 *    fraction above hold), the controls are tested for lying short of c (the same quantile
 *    test on their deviation (x - c) / sqrt(s^2 + se_c^2) towards 0, at flat_alpha, 1e-2), and
 *    when they do (controls_flat) the common factor is not called a machine shift. When the
 *    common factor is called, controls that side with it count as controls_moved too: their
 *    fixed-effect weighted mean (weights 1 / s^2; with nothing moved every control's change
 *    is 0) on c's side of 0 with one-sided p <= agree_alpha (0.05). Controls too noisy to
 *    tell either way leave the call to the others, and the shift is only a common factor.
 *  - fingerprint: the caller says the machine fingerprint (CPU model, kernel, governor...)
 *    differs from the baseline's; that alone suspects a shift.
 *  - A broad code change (a shared function slowing most benchmarks by a similar factor) shows
 *    the same signature as a machine shift. Half the suite slowed is two factors, not a
 *    similar one, and is not called a shift (the gate's verdict stands). Three quarters slowed
 *    looks like a shift that missed a quarter of the benchmarks: with controls that stayed put
 *    it is told apart (controls_flat); without controls it cannot be, and it is mostly
 *    reported as a suspected shift: the answer there is "re-run to confirm" (a machine shift
 *    goes away, code does not), never a silent pass.
 *  - Explained. With a shift suspected, the machine's factor f is the controls' when they
 *    moved (no code touches them) unless the others, at least min_units and more than the
 *    controls, have a c that agrees with it within the 95 % bounds of the difference (then c,
 *    the more precise), else c. Explained is one test over the suite: each valid item's
 *    one-sided p of being worse than f, P(T_df >= (d - f) / sqrt(se^2 + se_f^2 + tau^2))
 *    (oriented by f's sign; se_f the factor's se, tau the spread above of the units whose
 *    factor it is, at least spread_floor * |f|, 0.1), and Benjamini-Hochberg at
 *    explain_alpha (0.01) over the items: those it rejects are unexplained, the rest
 *    explained. A per-item test would, over 60 results that all moved with the machine, leave
 *    one unexplained most of the time. A regression landing during a shift stays unexplained:
 *    it is worse than the shift by more than the noise and the spread allow. moved counts the
 *    units on f's side that BH over the units' two-sided deviations leaves.
 * docs/gate.md ("Machine shifts") has the measured detection and false-detection rates
 * (tests/quality/q_shift.c).
 */
#ifndef BG_MACHINE_SHIFT_H
#define BG_MACHINE_SHIFT_H

#include <stddef.h>

struct bg_gate_verdict;

/* One result as the detector reads it. Items with tested 0, a non-finite d, or a se that is
 * not finite and > 0 are skipped (never counted, never explained). */
struct bg_shift_item {
  double d;          /* log change, oriented: positive is worse (log1p(change), negated for a
                      * higher-is-better measure) */
  double se;         /* its standard error (log scale) */
  double df;         /* its degrees of freedom; not finite or <= 0: the normal */
  int tested;        /* 1 when the gate compared it */
  int is_control;    /* a control benchmark (threshold rule control: true) */
  const char *group; /* the benchmark name: items of one group are one unit; NULL: its own */
};

struct bg_shift_config {
  double alpha;         /* level of the common-factor test (default 1e-3) */
  double control_alpha; /* level of the controls' test (default 1e-3) */
  double flat_alpha;    /* level of "the controls lie short of the common factor" (1e-2) */
  double min_factor;    /* smallest |factor| called a shift, relative (default 0.01) */
  double min_fraction;  /* units on the factor's side of 0 (default 0.6) */
  size_t min_units;     /* fewest non-control units for the common-factor test (default 5) */
  double explain_alpha; /* BH level of "worse than the factor", over the items (default 0.01) */
  double spread_floor;  /* the shift's spread across benchmarks is at least this times |c|
                         * (default 0.1) */
  double max_spread;    /* a common factor needs a spread of at most this times |c| (0.5) */
  double agree_alpha;   /* one-sided level of "the controls side with a common factor" (0.05) */
};

/* Fills *c with the defaults above. */
void bg_shift_config_init(struct bg_shift_config *c);

enum bg_shift_reason {
  BG_SHIFT_NONE = 0,
  BG_SHIFT_COMMON_FACTOR = 1, /* many benchmarks moved together */
  BG_SHIFT_CONTROLS_MOVED = 2,
  BG_SHIFT_FINGERPRINT = 4
};

struct bg_shift_result {
  int suspected;               /* 1: a machine shift is suspected, ask for confirmation */
  unsigned reasons;            /* every reason that holds, a mask of enum bg_shift_reason */
  enum bg_shift_reason reason; /* the strongest: fingerprint, then controls_moved, then
                                * common_factor; BG_SHIFT_NONE when not suspected */
  int controls_flat; /* the controls lie short of the others' common factor: a code change */
  /* The machine's factor as a relative change in the worse direction (+0.04: 4 % worse),
   * with its 95 % interval: the controls' when they moved (the others' when those agree
   * with it), else the common factor of the other units (the controls' without others);
   * NAN when there is no unit. Reported whether or not a shift is suspected. */
  double factor, factor_lo, factor_hi;
  /* The common factor of the non-control units, its 95 % interval and the two-sided p of
   * the quantile test; NAN without such units. */
  double common, common_lo, common_hi, common_p;
  double common_spread; /* the units' robust spread tau around it (log scale; NAN: no unit) */
  double spread;        /* tau used for "explained" (log scale); NAN when not suspected */
  size_t units;         /* non-control units tested */
  size_t same_side;     /* of them, on the common factor's side of 0 */
  size_t moved;         /* of them, on that side and explained by the factor (when suspected) */
  size_t controls;      /* control units tested */
  double control_factor, control_lo, control_hi, control_p; /* NAN without controls */
  size_t explained; /* items explained by the shift (0 when not suspected) */
};

/* Looks for a machine shift in items[0..n-1]. fingerprint_changed: the run's machine
 * fingerprint differs from its baseline's. config may be NULL (defaults). explained (may be
 * NULL) gets, per item, 1 when a shift is suspected and the item's change is explained by it,
 * else 0. Always fills *out: n == 0, NULL items or nothing valid give a result with no unit
 * (suspected only for a changed fingerprint). Never fails; allocates only temporary memory. */
void bg_shift_detect(const struct bg_shift_item *items, size_t n, int fingerprint_changed,
                     const struct bg_shift_config *config, struct bg_shift_result *out,
                     int *explained);

/* The items of a verdict, one per outcome in order (so explained[i] is outcome i's): tested
 * when the gate tested the outcome by the t statistic and it is not ignored; d oriented by the
 * measure's direction (log scale: log1p(change); raw scale: change, se relative to the
 * baseline centre); group the benchmark name. control (may be NULL: none) marks control
 * outcomes, one flag per outcome (from bg_gate_thresholds_get). items holds v->n entries; the
 * group pointers borrow the verdict's strings. */
void bg_shift_items_of_verdict(const struct bg_gate_verdict *v, const int *control,
                               struct bg_shift_item *items);

/* "common_factor", "controls_moved", "fingerprint", or "none". Static strings. */
const char *bg_shift_reason_name(enum bg_shift_reason r);

#endif
