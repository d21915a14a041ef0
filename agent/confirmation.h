/* confirmation.h: the agent's side of confirmation runs (lib/confirm.h has the server's rule).
 *
 * When the verdict of an uploaded run says "confirmation": {"decision": "needed", ...}, the
 * agent re-runs the suites that reported one of its doubtful benchmarks (not the build, which
 * the checkout has already) and uploads the re-run as a confirmation of the first run: a new
 * run_id, the same commit, testbed, branch and job, "confirms": the first run's run_id. The
 * server decides the confirmation on the first run and its confirmations pooled, and says
 * again whether one more is needed; it bounds them by the project's confirm_runs, so the
 * loop ends with the server's answer. `benchgate run --gate` and `benchgate serve` share the
 * loop; each gives it its own way to measure and to upload.
 */
#ifndef BG_AGENT_CONFIRMATION_H
#define BG_AGENT_CONFIRMATION_H

#include "client.h"
#include "config.h"
#include "run.h"

#include <stddef.h>

/* The confirmation an upload's answer asks for. */
struct bg_confirmation_ask {
  int needed;        /* decision "needed" */
  size_t runs, max;  /* runs pooled so far, confirmations allowed */
  char **benchmarks; /* the doubtful results' benchmarks; owned */
  size_t nbenchmarks;
  /* "interleave": {"base": SHA, "rounds": R}: measure the confirmation as base and head in
   * turn (measure_ab.h); rounds 0: the head alone. */
  char base_sha[65];
  size_t rounds;
};

/* Reads the "confirmation" member of an upload's answer ({"verdict": {...}}) or of a verdict
 * into *a (zeroed when there is none). Free with bg_confirmation_ask_free. */
void bg_confirmation_ask_parse(const char *json, struct bg_confirmation_ask *a);
void bg_confirmation_ask_free(struct bg_confirmation_ask *a);

/* The suites to re-run: only[i] 1 for each suite i of first's measurement (suite_end from
 * bg_measure_run, nsuites entries) whose results hold one of a's benchmarks. When none does
 * (a renamed result, say), every suite is re-run. */
void bg_confirmation_suites(const struct bg_run *first, const size_t *suite_end, size_t nsuites,
                            const struct bg_confirmation_ask *a, unsigned char *only);

/* A new run for a confirmation of `first`: its identity (commit, baseline, pull request, job,
 * testbed, agent) with a fresh run_id, confirms = first's run_id, confirmable set; no
 * results. NULL when the kernel gives no randomness for the run_id. */
struct bg_run *bg_confirmation_new_run(const struct bg_run *first);

/* How a command measures and uploads a confirmation. measure fills run (from
 * bg_confirmation_new_run) with the suites only[] names, in those that can run some of their
 * benchmarks alone (suite_filter.h) only ask's benchmarks, interleaved with commit
 * ask->base_sha over ask->rounds rounds when rounds is not 0; upload delivers it and returns
 * the answer's body (a 2xx), which the caller frees with free(). Each returns BG_OK or an
 * error with its message in err. */
struct bg_confirmation_ops {
  int (*measure)(void *ctx, const unsigned char *only, const struct bg_confirmation_ask *ask,
                 struct bg_run *run, char *err, size_t errlen);
  int (*upload)(void *ctx, const struct bg_run *run, char **answer, char *err, size_t errlen);
  void *ctx;
};

/* Runs the confirmations that `*answer` (the first run's upload answer, owned: it is replaced
 * by each confirmation's answer) asks for, until it asks for none. nsuites and suite_end
 * describe first's measurement. *confirmations counts the runs uploaded. BG_OK, or the
 * first error of a measurement or an upload (err says which), *answer then the last answer
 * received. */
int bg_confirmation_loop(const struct bg_confirmation_ops *ops, const struct bg_run *first,
                         size_t nsuites, const size_t *suite_end, char **answer,
                         size_t *confirmations, char *err, size_t errlen);

#endif
