/* measure.h: one measurement of a checkout: its build, then every suite of its benchgate.yml,
 * into the results of a run. `benchgate run` measures the current directory; `benchgate
 * serve` a worktree of the commit a job names.
 *
 * Result names: a command suite gives one result per measure named after the suite. A
 * format suite keeps the harness's benchmark names unchanged (so they match `benchgate
 * parse` and the harness's own reports); only a result whose (benchmark, measure) an earlier
 * suite already reported is renamed "<suite>/<benchmark>", with a warning in the run. A
 * format suite with repetitions > 1 runs the harness that many times and pools the samples
 * of each (benchmark, measure).
 *
 * A suite that fails does not stop the others (so one run shows every broken suite), but the
 * measurement fails as a whole: a run with a suite missing would read as benchmarks that
 * disappeared.
 */
#ifndef BG_MEASURE_H
#define BG_MEASURE_H

#include "config.h"
#include "error.h"
#include "run.h"

#include <signal.h>
#include <stddef.h>

#define BG_MEASURE_ERR_MAX 6144 /* room for a message with a stderr tail (runner.h) */

struct bg_measure_opts {
  const char *dir; /* the checkout the build and the suites run in; NULL: the current one */
  const int *cpus; /* CPUs to pin benchmarks to (the machine's own list) */
  size_t ncpus;
  int clean_env;   /* 1: benchmarks get the fixed minimal environment of runner.h */
  int verbose;     /* 1: benchmark output goes through to stderr */
  int interactive; /* 1: redraw a progress line; else plain lines */
  const volatile sig_atomic_t *cancel; /* non-zero: stop the command running, BG_ECANCELED */
  /* Confirmation runs (confirmation.h): only[i] 0 skips suite i (NULL: every suite); a suite
   * with a filter (suite_filter.h) runs only the benchmarks[0..nbenchmarks) (none: whole);
   * and the build is left out when no_build (the checkout is built already). */
  const unsigned char *only;
  const char *const *benchmarks;
  size_t nbenchmarks;
  int no_build;
  /* When set (cf->nsuites entries): suite_end[i] is run->nresults after suite i, so results
   * [suite_end[i-1], suite_end[i]) are suite i's (what a confirmation re-runs). */
  size_t *suite_end;
};

/* Builds (when cf has a build) and runs every suite of cf into `run`, whose identity (run_id,
 * commit, testbed, agent) the caller has set; adds started_at, finished_at, the fingerprint
 * (taken before the build, so its load does not count), cf's thresholds and the warnings,
 * each also said on stderr, and validates the run. Returns BG_OK; otherwise err says what
 * failed with the command's exit status and stderr tail: the build's error, the first failing
 * suite's (the others are said on stderr), BG_ECANCELED when o->cancel turned non-zero, or
 * BG_EINVAL when the run does not validate. */
int bg_measure_run(const struct bg_config *cf, const struct bg_measure_opts *o, struct bg_run *run,
                   char *err, size_t errlen);

#endif
