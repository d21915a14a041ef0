/* peers.c: the peer rules on plain data (peers.h). The comments name each tool's default. */
#include "peers.h"

#include "stats.h"

#include <math.h>

static const char *const names[PEER_NRULES] = {
    "github-action-benchmark", "Bencher",    "Conbench",          "CodSpeed",
    "asv continuous",          "Perfherder", "gbench compare.py", "Criterion.rs"};

static const char *const labels[PEER_NRULES] = {"github-action-benchmark (×2)",
                                                "Bencher (t, 0.99, 64 runs)",
                                                "Conbench (z ≥ 5, best repetition)",
                                                "CodSpeed (10 %)",
                                                "asv (×1.1 and MWU p < 0.002)",
                                                "Perfherder (t > 7, 12 runs, ≥ 2 %)",
                                                "compare.py (MWU 0.05)",
                                                "Criterion.rs (p < 0.05, CI above +1 %)"};

static const size_t lookbacks[PEER_NRULES] = {1, 64, 100, 1, 1, 12, 1, 1};

const char *peer_name(int rule) {
  return rule >= 0 && rule < PEER_NRULES ? names[rule] : "?";
}

const char *peer_label(int rule) {
  return rule >= 0 && rule < PEER_NRULES ? labels[rule] : "?";
}

size_t peer_lookback(int rule) {
  return rule >= 0 && rule < PEER_NRULES ? lookbacks[rule] : 0;
}

/* The number of baseline runs the rule reads of *s. */
static size_t runs_read(int rule, const struct peer_series *s) {
  return s->nhist < lookbacks[rule] ? s->nhist : lookbacks[rule];
}

/* Bencher: the candidate above the upper end of a t prediction interval, one-sided 0.99, over
 * <= 64 past run means. */
static int bencher(const struct peer_series *s, size_t n) {
  double v[64];
  for (size_t j = 0; j < n; j++)
    v[j] = s->hist[j].mean;
  double mu = bg_stats_mean(v, n), sd = sqrt(bg_stats_variance(v, n));
  double k = (double)n;
  return s->cand->mean > mu + bg_stats_t_quantile(0.99, k - 1) * sd * sqrt(1 + 1.0 / k);
}

/* Conbench: z >= 5 of the candidate's best repetition against a 100-commit lookback of the
 * runs' best repetitions. */
static int conbench(const struct peer_series *s, size_t n) {
  double v[100];
  for (size_t j = 0; j < n; j++)
    v[j] = s->hist[j].min;
  double mu = bg_stats_mean(v, n), sd = sqrt(bg_stats_variance(v, n));
  return sd > 0 && (s->cand->min - mu) / sd >= 5;
}

/* Perfherder: t > 7 between the last 12 run means and the new point, and a change >= 2 %. */
static int perfherder(const struct peer_series *s, size_t n) {
  double v[12];
  for (size_t j = 0; j < n; j++)
    v[j] = s->hist[j].mean;
  double mu = bg_stats_mean(v, n), var = bg_stats_variance(v, n);
  double tt = var > 0 ? (s->cand->mean - mu) / sqrt(var / (double)n) : INFINITY;
  return tt > 7 && (s->cand->mean - mu) / mu >= 0.02;
}

/* The two-sided Mann-Whitney p of the candidate's samples against the previous run's; 1
 * without samples. */
static double mwu_p(const struct peer_series *s) {
  double p = 1;
  if (!s->cand_x || !s->prev_x || !s->ncand || !s->nprev ||
      bg_stats_mann_whitney(s->cand_x, s->ncand, s->prev_x, s->nprev, NULL, NULL, NULL, &p) !=
          BG_OK)
    return 1;
  return p;
}

/* Criterion.rs: p < 0.05 (Welch's t for its bootstrap) and the change's 95 % interval above
 * its +1 % noise band. */
static int criterion(const struct peer_series *s) {
  double tt, df, p;
  const struct bg_gate_summary *h = s->hist;
  if (!s->cand_x || !s->prev_x || s->ncand < 2 || s->nprev < 2 ||
      bg_stats_welch(s->cand_x, s->ncand, s->prev_x, s->nprev, &tt, &df, &p) != BG_OK)
    return 0;
  double diff = s->cand->mean - h[0].mean;
  double se = diff / tt;
  double lo = (diff - bg_stats_t_quantile(0.975, df) * fabs(se)) / h[0].mean;
  return p < 0.05 && lo > 0.01;
}

int peer_flag(int rule, const struct peer_series *s) {
  if (rule < 0 || rule >= PEER_NRULES || !s->nhist)
    return 0;
  const struct bg_gate_summary *h = s->hist, *c = s->cand;
  size_t n = runs_read(rule, s);
  switch (rule) {
  case PEER_GAB:
    return c->mean / h[0].mean > 2.0;
  case PEER_BENCHER:
    return n >= 2 && bencher(s, n);
  case PEER_CONBENCH:
    return n >= 2 && conbench(s, n);
  case PEER_CODSPEED:
    return c->mean / h[0].mean > 1.10;
  case PEER_ASV: {
    double p = mwu_p(s);
    return c->median / h[0].median > 1.1 && p < 0.002;
  }
  case PEER_PERFHERDER:
    return n >= 2 && perfherder(s, n);
  case PEER_GBENCH: {
    double p = mwu_p(s);
    return p < 0.05 && c->mean > h[0].mean;
  }
  case PEER_CRITERION:
    return criterion(s);
  default:
    return 0;
  }
}
