/* gate.h: the statistical regression gate as pure library code.
 *
 * Three steps, all without I/O:
 *  1. bg_gate_summarize / bg_gate_summarize_moments turn one result (samples, or n/mean/
 *     stddev) into a struct bg_gate_summary of plain numbers. The server stores these next to
 *     each result (REAL columns) and builds baselines from them alone; samples are never
 *     re-read for a baseline.
 *  2. bg_gate_decide takes every (benchmark, measure) of one run on one testbed as a struct
 *     bg_gate_item (baseline runs newest first as struct bg_gate_point, the four numbers of a
 *     summary the gate reads of a baseline run; the candidate summary or NULL; the
 *     threshold that applies) and returns a struct bg_gate_verdict: a class per item and the
 *     run's state. Thresholds from a payload are parsed by bg_gate_thresholds_parse and
 *     looked up per item with bg_gate_thresholds_lookup (gate_thresholds.h).
 *  3. bg_gate_summary_text and bg_gate_markdown put the verdict into words: a one-line
 *     summary and a Markdown report (server/verdict_render.c writes the verdict object
 *     around them).
 *
 * The method (docs/gate.md has the full account and its measured quality):
 *  - Scale: log when every baseline and candidate value is positive, else raw.
 *  - A run's centre is the 20 % trimmed mean of its (log) samples, robust to outlier
 *    repetitions; its within-run variance w is the Tukey-McLaughlin variance of that mean.
 *    Per series, on the log scale, the gate uses the mean of the best 30 % of the samples
 *    instead (log_low for lower-is-better measures, log_high for higher-is-better), with w
 *    scaled by 1.55 (its variance relative to the trimmed mean's on normal samples), when
 *    the candidate and every one of the kn >= 20 noise runs have it and its variance over
 *    those runs is below 0.8 times the trimmed mean's over all of them and over each half
 *    (interference that only slows repetitions down moves the trimmed mean more; a centre
 *    that only looks steadier by chance, or jumps between the modes of a bimodal benchmark,
 *    does not win three times). The outcome's `centre` says which was used.
 *  - Per item, from the baseline centres m_1..m_kn (newest first): level mu = 20 % trimmed
 *    mean of the newest k = min(kn, window) of them (the level moves with every commit);
 *    run-to-run variance s^2 = variance of all kn (up to noise_window, default 100: the noise
 *    stays put for much longer, and 30 runs leave too few degrees of freedom for the far tail
 *    where the gate decides) after dropping runs further than 5 robust sigmas (MAD) from
 *    their median; df = kn' - 1.
 *  - Across the run's items, s^2 is shrunk towards a common prior (empirical Bayes with a
 *    scaled inverse-chi-square prior, the moderated variance of limma): s~^2 = (d0 s0^2 +
 *    df s^2) / (d0 + df), with d0 + df degrees of freedom. An item whose own s^2 rests on
 *    at least 10 degrees of freedom and that the fitted prior could not have given (two-sided
 *    F test of s^2 / s0^2 on (df, d0) at 0.01) keeps s^2 and df: the prior describes the
 *    typical item, and a benchmark ten times quieter than the others, measured often enough
 *    to show it, would lose most of its power to their noise. With fewer than 5 baseline runs
 *    s~^2 is also floored by mean(w) + the median between-run variance tau^2 of the items
 *    that have at least 5 runs (partial pooling), or of all items when none has.
 *  - d = m_c - mu, se^2 = s~^2 (1/r + 1/k) + max(0, w_c - mean(w)) / r (the last term only
 *    when the candidate run itself is noisier than usual, e.g. several repetitions hit by
 *    outliers). r is 1 for one candidate run; a candidate that pools r runs of the same code
 *    (a run and its confirmations, bg_gate_summary_pool) has m_c and w_c the means over them;
 *    t = d / se with df d0 + df; one-sided p-values for "worse" and "better" follow the
 *    measure's direction. The p of an item is the two-sided p = 2 min(p_worse, p_better).
 *  - change = exp(d) - 1 (log scale) or d / mu (raw scale), signed so that positive means
 *    the value went up; change_ci is the 95 % t interval mapped the same way.
 *  - Two Benjamini-Hochberg passes over the non-ignored items that have a baseline and a
 *    candidate: q = BH of the two-sided p at alpha (the false discovery rate of everything the
 *    verdict reports), and q_worse = BH of the one-sided p_worse at fail_rate (default 0.0075,
 *    the suite false-fail budget: on an unchanged commit every hypothesis is null, and BH then
 *    rejects anything with probability at most its level, so calibrated p-values bound the
 *    false-fail rate by fail_rate; 0.0075 leaves room below the 1 % suite false-fail target for the
 *    p-values' small miscalibration far in the tail, docs/gate.md §3).
 *  - Paired comparison (config.paired, for the rounds of an interleaved run, lib/interleave.h):
 *    per item the R >= 2 pairs give differences d_i = head_i - base_i of the round centres
 *    (the trimmed means; log scale when all are positive). Drift that hits both sides of a
 *    round cancels in d_i, so their variance s^2 (df R - 1) holds only what differs within a
 *    round. A handful of rounds leaves that variance with few degrees of freedom, and BH's
 *    first cut is far in the tail, so where the item has a history its run-to-run variance
 *    s_h^2 (df_h) is a prior: the pairs' variance is at most that of two independent runs,
 *    2 s_h^2, which enters as df_h more degrees of freedom, s^2 = ((R - 1) s_d^2 + df_h 2 s_h^2)
 *    / (R - 1 + df_h), unless the pairs' own variance exceeds it (F test at 0.01: the
 *    interleaved measurement is noisier than the history says, and its own estimate stands
 *    alone). Then s^2 is shrunk across the run's items of one measure like s^2 above (the
 *    moderated paired t of limma), without the few-runs floor, and d = mean(d_i),
 *    se^2 = s~^2 / R. Change, interval, BH and classes as below; when every
 *    centre of both sides is exactly one value, the exact rule compares the two values.
 *  - Exact measures: when every sample of the kn baseline runs is equal (equal_n > 0 in each,
 *    the same value in each, at least two samples in all) and the candidate's samples are
 *    equal too (or its centre has no within-run variance and nothing else gives the test a
 *    variance), the item is compared by a rule instead of a t statistic over a variance of
 *    zero (method "exact"): with B the baseline value, C the candidate's and r the
 *    resolution (bg_gate_resolution), regressed when C is worse than B by at least
 *    min_effect (relative) and by more than r; improved the same in the better direction;
 *    inconclusive when the change reaches min_effect but not more than r; unchanged
 *    otherwise (equal values among them). Exact items have no p, q or interval and are left
 *    out of both BH families, so they do not move the other items' q-values. A candidate
 *    whose samples vary against an exact baseline is tested by the t statistic (method "t"):
 *    its own within-run variance w_c enters se^2 (w-bar is 0).
 *  - Classes: regressed when q <= alpha, q_worse <= fail_rate, the change is in
 *    the worse direction and its 95 % interval reaches min_effect (the data do not exclude a
 *    change of at least min_effect; a point-estimate rule would miss half of all changes of
 *    exactly min_effect); improved when q <= alpha, better direction, interval reaching
 *    min_effect; inconclusive when q > alpha but the point estimate reaches min_effect, or
 *    when a worse change passes everything but the fail budget (q_worse > fail_rate);
 *    unchanged otherwise; new without baseline runs; missing without a candidate; ignored
 *    when the item says so (still measured and shown).
 */
#ifndef BG_GATE_H
#define BG_GATE_H

#include "error.h"
#include "gate_thresholds.h"
#include "run.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* ---- 1. Per-run summaries --------------------------------------------------------------- */

/* The persistable summary of one result. Every field is a plain number; NAN where a value
 * does not exist (the log fields when all_positive is 0, variances of a single sample). */
struct bg_gate_summary {
  double n;            /* repetitions (samples, or the summary's n) */
  double all_positive; /* 1 when every value is > 0 (for moments: mean > 0), else 0 */
  double mean;         /* arithmetic mean of the samples */
  double stddev;       /* sample standard deviation (0 when n == 1) */
  double min, max;     /* extremes (for moments: mean -+ 0, i.e. both the mean) */
  double median;       /* median (for moments: the mean) */
  double log_center;   /* 20 % trimmed mean of log(samples); NAN unless all_positive */
  double log_w;        /* variance of log_center: winsorized variance / ((1-2g/n)^2 n) */
  double raw_center;   /* 20 % trimmed mean of the samples */
  double raw_w;        /* variance of raw_center, as log_w */
  /* The one-sided centres the gate may choose instead of log_center for a series whose
   * repetitions are slowed by interference (docs/gate.md, "The run's centre"): the mean of
   * the lowest and of the highest ceil(0.3 n) log samples. tail_n is that count, 0 when they
   * do not exist (summary-only results, a value <= 0; a zeroed summary has none). */
  double log_low, log_high;
  double tail_n;
};

/* What the gate reads of one baseline run: a summary's centres and their within-run
 * variances (log_center is NAN unless every value was positive), and equal_n, the number of
 * samples when all of them are equal (stddev 0), else 0: what the exact rule reads; and the
 * one-sided centres. 64 bytes instead of a summary's 112: a verdict reads up to 100 baseline
 * runs of every result. A point written as {log_center, log_w, raw_center, raw_w} has
 * equal_n 0 (never exact) and tail_n 0 (always the trimmed mean). */
struct bg_gate_point {
  double log_center, log_w, raw_center, raw_w;
  double equal_n;
  double log_low, log_high, tail_n; /* as in the summary; tail_n 0: none */
};

/* The point of a summary. */
void bg_gate_point_of(const struct bg_gate_summary *s, struct bg_gate_point *p);

/* Summarises n >= 1 finite samples into *out. Returns BG_OK, or BG_EINVAL when n == 0 or a
 * sample is not finite (*out is then zeroed). For n == 1 the variances are 0. */
int bg_gate_summarize(const double *samples, size_t n, struct bg_gate_summary *out);

/* Summarises a summary-only result (n >= 1, finite mean, finite stddev >= 0) into *out.
 * The centre is the mean (no samples to trim); on the log scale it is log(mean) - cv^2/2 with
 * w = cv^2 / n (delta method, cv = stddev / mean), available when mean > 0. Returns BG_OK or
 * BG_EINVAL. */
int bg_gate_summarize_moments(double n, double mean, double stddev, struct bg_gate_summary *out);

/* Summarises a struct bg_result (samples or summary), as the two functions above. */
int bg_gate_summarize_result(const struct bg_result *r, struct bg_gate_summary *out);

/* Pools the summary of one more run of the same code into *acc, which pools *runs runs so
 * far (0: *acc is ignored and becomes a copy of *add), and counts it. The pooled centres and
 * within-run variances are the runs' means (a candidate of r runs is tested on the mean of
 * its r centres, whose within-run variance is the mean w over r: bg_gate_item.candidate_runs
 * says r); n adds up; min and max span the runs; mean, median and stddev are those of the
 * pooled values (the stddev from the pooled second moment, 0 only when every run's samples
 * were the same one value, which keeps the exact rule for exact measures); all_positive
 * holds when it held in every run; the one-sided centres are the runs' means when every run
 * has them, else absent (tail_n 0). */
void bg_gate_summary_pool(struct bg_gate_summary *acc, size_t *runs,
                          const struct bg_gate_summary *add);

/* ---- 2. Thresholds ---------------------------------------------------------------------- */

#define BG_GATE_DEFAULT_ALPHA 0.05
#define BG_GATE_DEFAULT_FAIL_RATE 0.0075
#define BG_GATE_DEFAULT_WINDOW 30
#define BG_GATE_DEFAULT_NOISE_WINDOW 100
/* The run-to-run noise a comparison of single runs assumes (benchgate compare with one BASE,
 * the server's compare of two commits with few runs), as a CV: the upper end of what quiet
 * machines show (docs/gate.md: 1-3 % on the development VM, 0.1-3 % in the simulator, 1-1.5 %
 * in the TigerBeetle and MongoDB series of ../shared/data/perf-series). Too low a value fails
 * unchanged code on noisier benchmarks; too high only widens the intervals. */
#define BG_GATE_COMPARE_NOISE_CV 0.03

/* ---- 3. The decision -------------------------------------------------------------------- */

enum bg_gate_class {
  BG_GATE_REGRESSED = 0,
  BG_GATE_INCONCLUSIVE,
  BG_GATE_IMPROVED,
  BG_GATE_MISSING,
  BG_GATE_NEW,
  BG_GATE_UNCHANGED,
  BG_GATE_IGNORED,
  BG_GATE_NCLASSES
};

/* pending: not final yet, the verdict waits for a confirmation run (lib/confirm.h sets it;
 * bg_gate_decide never does). */
enum bg_gate_state { BG_GATE_PASS = 0, BG_GATE_FAIL, BG_GATE_NO_BASELINE, BG_GATE_PENDING };

/* How an item was compared: not at all (new, missing, ignored without data), by the t
 * statistic over runs, or by the exact rule. */
enum bg_gate_method {
  BG_GATE_METHOD_NONE = 0,
  BG_GATE_METHOD_T,
  BG_GATE_METHOD_EXACT,
  BG_GATE_METHOD_PAIRED
};

/* One round of an interleaved comparison (lib/interleave.h): the base commit's run and the
 * head's, measured back to back on one machine. */
struct bg_gate_pair {
  struct bg_gate_point base, head;
};

/* One (benchmark, measure) of the run under test. All pointers are borrowed for the duration
 * of bg_gate_decide only (the verdict copies what it keeps). */
struct bg_gate_item {
  const char *benchmark;
  const char *measure;
  const char *unit; /* may be NULL */
  enum bg_direction direction;
  const struct bg_gate_point *baseline;    /* the baseline runs, newest first */
  size_t nbaseline;                        /* 0: the item is new */
  const struct bg_gate_summary *candidate; /* NULL: the item is missing from the run */
  size_t candidate_runs; /* runs of the same code the candidate pools (bg_gate_summary_pool):
                          * 0 or 1 for one run; r runs divide the candidate's share of the
                          * run-to-run variance by r */
  int confirmed;         /* the candidate comes from confirmation runs (lib/confirm.h), not
                          * from the first run of its commit */
  int ignored;           /* from the thresholds: reported, never failed */
  int control;           /* from the thresholds: a control benchmark, which no code change
                          * touches (lib/machine_shift.h) */
  double min_effect;     /* from the thresholds (relative, e.g. 0.02) */
  int acknowledged;      /* a regression here was accepted: reported, does not fail */
  /* With bg_gate_config.paired: the rounds of an interleaved comparison (npairs 0: the base
   * lacks the item, which is then new); baseline and nbaseline are not read, candidate only
   * for whether the run has the item. */
  const struct bg_gate_pair *pairs;
  size_t npairs;
  /* Optional with pairs: the history's run-to-run variance of one run's centre (on the log
   * scale when pair_prior_log) and its degrees of freedom, a prior for the pairs' variance;
   * pair_prior_df 0: none. */
  double pair_prior_s2, pair_prior_df;
  int pair_prior_log;
  int pair_best30; /* compare the pairs on the mean of the best 30 % of each run's samples,
                    * the centre the history chose for the series (its prior is of that
                    * centre), when every point has it */
  /* Optional, from a caller that keeps them across decisions (benchgated updates them by
   * one run per upload): the baseline centres on the test scale (sorted_log 1: log, 0: raw)
   * of the runs the level uses (level_sorted) and of those the noise uses (noise_sorted;
   * see bg_gate_windows), each ascending. What the gate would otherwise copy and sort
   * itself; ignored when NULL or on the other scale (bg_gate_log_scale). */
  const double *level_sorted, *noise_sorted;
  int sorted_log;
};

struct bg_gate_config {
  double alpha;        /* BH level, default 0.05 */
  int fail_on_missing; /* a missing result fails the run (default 0) */
  size_t window;       /* the level uses at most this many newest baseline runs (default 30;
                        * 0: all) */
  size_t noise_window; /* the run-to-run variance uses at most this many (default 100; 0:
                        * all; never fewer than the level) */
  double ci_level;     /* two-sided level of change_ci (default 0.95) */
  double fail_rate;    /* suite false-fail budget: a regression must also pass BH over the
                        * one-sided worse p-values at this level (default 0.0075) */
  double noise_cv;     /* a stated run-to-run noise (a CV, e.g. 0.03) for items with fewer
                        * than 5 baseline runs, where the data cannot show it: it floors the
                        * pooled tau^2 (log(1 + cv^2) on the log scale, (cv mu)^2 on the
                        * raw scale) and, where it decides the variance, is taken as known
                        * (unbounded degrees of freedom). 0: none (default; benchgate compare
                        * states one) */
  int paired;          /* 1: compare each item's pairs (method "paired") instead of its
                        * baseline and candidate; see "Paired comparison" above */
  size_t family;       /* both BH families hold at least this many hypotheses: when a
                        * decision tests only part of a verdict's results (the ones a
                        * confirmation re-ran interleaved, lib/interleave.h), the others are
                        * still hypotheses of the same verdict, each counted with p = 1, so
                        * re-running fewer results never loosens the budget. 0: the items
                        * tested (default) */
};

/* How many of an item's nbaseline runs (newest first) the level uses (*k) and the noise
 * uses (*kn >= *k) under config c. */
void bg_gate_windows(const struct bg_gate_config *c, size_t nbaseline, size_t *k, size_t *kn);

/* 1 when item it is tested on the log scale with kn noise runs: its candidate and those
 * runs are all positive. */
int bg_gate_log_scale(const struct bg_gate_item *it, size_t kn);

/* Fills *c with the defaults above. */
void bg_gate_config_init(struct bg_gate_config *c);

/* The run centre an item was tested on: the 20 % trimmed mean, or the mean of the best 30 %
 * of the samples (the lowest for lower-is-better measures). */
enum bg_gate_centre { BG_GATE_CENTRE_TRIMMED = 0, BG_GATE_CENTRE_BEST30 };

/* "trimmed" or "best30". */
const char *bg_gate_centre_name(enum bg_gate_centre c);

/* The outcome for one item, in the order of the items. */
struct bg_gate_outcome {
  char *benchmark, *measure, *unit; /* copies in the verdict's strings (unit may be NULL) */
  enum bg_direction direction;
  enum bg_gate_class cls;
  int acknowledged, ignored;
  int tested;                  /* 1 when compared (baseline and candidate present) */
  enum bg_gate_method method;  /* t: p, q and the interval exist; exact: they are NAN */
  double resolution;           /* exact: the resolution r of the rule; NAN otherwise */
  int log_scale;               /* 1 when tested on the log scale */
  double change;               /* relative change of the value (+0.05: 5 % higher); NAN untested */
  double change_lo, change_hi; /* its confidence interval */
  double p;                    /* two-sided p, the one BH sees; NAN untested */
  double q;                    /* BH-adjusted p; NAN untested */
  double p_worse, p_better;    /* one-sided, direction-aware */
  double q_worse;              /* BH-adjusted p_worse (the fail budget's family); NAN untested */
  double t, df, se;            /* the test statistic, its degrees of freedom and standard error */
  double min_effect;
  double baseline_center;  /* level mu back on the value scale (exp for log) */
  size_t baseline_runs;    /* runs the level used (after the window) */
  size_t noise_runs;       /* runs the run-to-run variance used (after its window) */
  double candidate_center; /* candidate centre on the value scale (its median when the item
                            * was not tested) */
  double candidate_n;
  size_t candidate_runs;      /* runs the candidate pooled (1: one run) */
  int confirmed;              /* the item's confirmed flag */
  int control;                /* the item's control flag */
  double s2;                  /* the moderated run-to-run variance used */
  enum bg_gate_centre centre; /* the run centre the test used */
  int has_history;            /* a comparison in mode "both" (lib/interleave.h): the class
                               * the history comparison gave, before the two were combined */
  enum bg_gate_class history;
};

/* What the confirmation rule (lib/confirm.h) made of a verdict; decision is NULL when the
 * rule was not applied (bg_gate_decide leaves it so). */
struct bg_gate_confirmation {
  const char *decision; /* "none", "needed", "different", "same", "unknown" (static) */
  size_t runs;          /* runs the candidate pools (1: the first run alone) */
  size_t max;           /* confirmation runs allowed */
  size_t doubtful;      /* doubtful results */
  /* Decision needed in a project that compares interleaved runs: measure the confirmation
   * as base_sha and the head in turn, `rounds` rounds (lib/interleave.h); rounds 0: the head
   * alone. Set by benchgated after the rule. */
  char base_sha[65];
  size_t rounds;
};

/* A suspected shift of the machine (lib/machine_shift.h) the confirmation rule found;
 * suspected 0 when none (or the rule was not applied). */
struct bg_gate_shift {
  int suspected;
  const char *reason;    /* "common_factor", "controls_moved", "fingerprint" (static) */
  double factor, lo, hi; /* the machine's factor, worse-positive, with its 95 % interval */
  size_t units, moved;   /* benchmarks tested, and those that moved with the factor */
  size_t explained;      /* results the shift explains */
};

/* What the candidate was compared with (lib/interleave.h): mode NULL or "history" for the
 * baseline runs, "interleaved" for the pairs of an interleaved run, "both" for the two
 * combined; base_sha and rounds describe the interleaved run. */
struct bg_gate_comparison {
  const char *mode; /* static */
  char base_sha[65];
  size_t rounds;
};

struct bg_gate_verdict {
  enum bg_gate_state state;
  struct bg_gate_comparison comparison;
  struct bg_gate_confirmation confirmation;
  struct bg_gate_shift shift;
  size_t counts[BG_GATE_NCLASSES];
  struct bg_gate_outcome *outcomes; /* owned, one per item */
  size_t n;
  size_t baseline_runs; /* the most baseline runs any item's level used */
  size_t noise_runs;    /* the most baseline runs any item's noise used */
  double alpha;
  double prior_df, prior_s2; /* the shrinkage prior (d0, s0^2) fitted for the measure of the
                              * first item; diagnostics only (d0 0: no prior, INFINITY: full
                              * pooling) */
  char *strings;             /* owned: the outcomes' names, one block */
};

/* Decides a run: classifies each of items[0..n-1] and sets the run's state (fail when any
 * non-ignored item is regressed and not acknowledged, or missing with fail_on_missing;
 * no_baseline when no item has a baseline run; else pass). `config` may be NULL (defaults).
 * Returns BG_OK and a new verdict in *out (free with bg_gate_verdict_free), or BG_EINVAL for
 * a NULL items array with n > 0, an alpha outside (0, 1) or a negative min_effect. */
int bg_gate_decide(const struct bg_gate_item *items, size_t n, const struct bg_gate_config *config,
                   struct bg_gate_verdict **out);

/* Frees a verdict; accepts NULL. */
void bg_gate_verdict_free(struct bg_gate_verdict *v);

/* The resolution of two readings a and b of an exact measure: the step of their last decimal
 * place, never coarser than 1 unit (1 for integer values such as instruction counts, bytes
 * or nanoseconds; 0.01 for 3.25 and 4.5; 0 when neither has a decimal step down to 1e-39).
 * A constant reading cannot show a coarser quantum; min_effect covers that. */
double bg_gate_resolution(double a, double b);

/* "t", "exact", "paired", or NULL for BG_GATE_METHOD_NONE. */
const char *bg_gate_method_name(enum bg_gate_method m);

/* Names: "regressed", "inconclusive", "improved", "missing", "new", "unchanged", "ignored";
 * "pass", "fail", "no_baseline", "pending". Static strings. */
const char *bg_gate_class_name(enum bg_gate_class c);
const char *bg_gate_state_name(enum bg_gate_state s);

/* ---- 4. Rendering ----------------------------------------------------------------------- */

/* What the verdict object needs besides the decision; every string may be NULL (rendered as
 * null). */
struct bg_gate_context {
  const char *project, *commit, *testbed;
  const char *baseline_branch;
  const char *baseline_first, *baseline_last; /* oldest and newest baseline commit sha */
  const char *url;                            /* dashboard link */
};

/* The one-line summary, e.g. "2 regressions: BM_Parse/4096 wall_time +7.3 %, fib 20
 * wall_time +5.1 %" or "no regressions (96 unchanged, 1 improved)". Caller frees. */
char *bg_gate_summary_text(const struct bg_gate_verdict *v);

/* Indices of v's outcomes, most severe first: by class (regressed first), then |change|
 * descending, then name; stable, O(n log n). The caller frees the array. */
size_t *bg_gate_severity_order(const struct bg_gate_verdict *v);

/* The Markdown report: a header with the state and counts, then a table sorted by severity
 * (regressed, inconclusive, improved, missing, new; unchanged and ignored folded into a
 * <details> block of at most 50 rows). Caller frees. */
char *bg_gate_markdown(const struct bg_gate_verdict *v, const struct bg_gate_context *ctx);

#endif
