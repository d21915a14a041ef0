/* cmd_run.h: `benchgate run`, the bench agent's main job for the current checkout.
 *
 * Builds (when configured), runs every suite of benchgate.yml, assembles a run payload
 * with the commit from git, the testbed's fingerprint and the config's
 * thresholds, validates it, writes it with --output, and uploads it unless --dry-run.
 * On GitHub Actions, pull_request is taken from GITHUB_REF (refs/pull/<n>/merge).
 *
 * Result names: a command suite gives one result per measure named after the suite. A
 * format suite keeps the harness's benchmark names unchanged (so they match `benchgate
 * parse` and the harness's own reports); only a result whose (benchmark, measure) an earlier
 * suite already reported is renamed "<suite>/<benchmark>", with a warning in the run. A
 * format suite with repetitions > 1 runs the harness that many times and pools the samples
 * of each (benchmark, measure).
 */
#ifndef BG_CMD_RUN_H
#define BG_CMD_RUN_H

#include "config.h"
#include "error.h"
#include "progress.h"
#include "run.h"

#include <stdio.h>

/* Runs the subcommand; argv[0] is "run". Returns the exit code (BG_EXIT_*). */
int bg_cmd_run_main(int argc, char **argv);

/* How the suites are run; the part of `run` that `serve` reuses. */
struct bg_suite_opts {
  const int *cpus;
  size_t ncpus;
  int clean_env;
  int verbose;                  /* pass benchmark output through to stderr */
  int interactive;              /* redraw a progress line; else plain lines */
  struct bg_progress *progress; /* run-wide progress (estimates); NULL: per suite only */
};

/* Runs one suite and appends its results to `run` (named as this header's comment says).
 * Adds non-fatal problems (ASLR not switched off, renamed results) as run warnings. Returns
 * BG_OK, or the runner's or adapter's error with a message naming the suite in err. */
int bg_cmd_run_suite(const struct bg_suite *s, const struct bg_suite_opts *o, struct bg_run *run,
                     char *err, size_t errlen);

#endif
