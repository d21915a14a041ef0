/* peers.h: the peer rules, each from its tool's documented defaults, on plain data.
 *
 * Shared by q_gate.c (simulated suites) and real_peers.c (run payloads measured on a real
 * machine), so that both judge a candidate by exactly the same arithmetic. A rule sees one
 * (benchmark, measure) series: the summaries of the baseline runs, newest first, the
 * candidate's summary and samples, and the samples of the newest baseline run ("previous").
 * Every rule is written for a lower-is-better measure: it flags a candidate that is slower.
 * Each rule reads at most its own lookback of baseline runs (peer_lookback), fewer when fewer
 * exist. docs/gate.md ("peer rules") lists them as implemented.
 */
#ifndef BG_PEERS_H
#define BG_PEERS_H

#include "gate.h"

#include <stddef.h>

enum peer_rule {
  PEER_GAB,        /* github-action-benchmark: mean / previous mean > 2 */
  PEER_BENCHER,    /* Bencher: t prediction interval over 64 run means, upper 0.99 */
  PEER_CONBENCH,   /* Conbench: z >= 5 of the best repetition over 100 runs */
  PEER_CODSPEED,   /* CodSpeed: mean / previous mean > 1.10 */
  PEER_ASV,        /* asv continuous: median ratio > 1.1 and Mann-Whitney p < 0.002 */
  PEER_PERFHERDER, /* Perfherder: t > 7 against the last 12 run means and >= 2 % */
  PEER_GBENCH,     /* gbench compare.py: Mann-Whitney p < 0.05 against the previous run */
  PEER_CRITERION,  /* Criterion.rs: p < 0.05 and the change's 95 % interval above +1 % */
  PEER_NRULES
};

/* One series as a rule sees it. hist[0..nhist-1] are the baseline runs' summaries, newest
 * first (nhist >= 1 for any rule to flag); prev_x[0..nprev-1] are the samples of hist[0]'s
 * run and cand_x[0..ncand-1] the candidate's (NULL and 0 for a summary-only result: the
 * rules that test samples then never flag). Everything is borrowed. */
struct peer_series {
  const struct bg_gate_summary *hist;
  size_t nhist;
  const struct bg_gate_summary *cand;
  const double *cand_x;
  size_t ncand;
  const double *prev_x;
  size_t nprev;
};

/* The tool's name ("github-action-benchmark", ..., "Criterion.rs"), a static string. */
const char *peer_name(int rule);

/* The tool's name and its rule in a few words, for a table row ("Conbench (z >= 5, best
 * repetition)"), a static string. */
const char *peer_label(int rule);

/* The most baseline runs the rule reads (1 for the rules that compare with the previous run
 * only). */
size_t peer_lookback(int rule);

/* 1 when the rule flags the candidate of series *s as a regression, else 0 (also for too
 * little data: fewer than two baseline runs for the rules that need a variance, no samples
 * for the rules that test samples). */
int peer_flag(int rule, const struct peer_series *s);

#endif
