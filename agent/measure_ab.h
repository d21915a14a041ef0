/* measure_ab.h: an interleaved A/B measurement: the base commit and the head measured round
 * by round on one machine within one job (lib/run.h, struct bg_interleaved; the gate's
 * paired comparison, lib/interleave.h).
 *
 * Each side is a checkout with its own benchgate.yml (the base's suites and build may differ
 * from the head's), built once, then measured by bg_measure_run in every round. Round i runs
 * base then head when i is even and head then base when it is odd (ABBA): a drift of the
 * machine during the job, or an advantage of going first or second (warm caches, a cooler
 * CPU), hits both sides alike and cancels in the pairs. `benchgate run` puts the base's
 * checkout in a temporary git worktree, `benchgate serve` next to the job's (workspace.h).
 */
#ifndef BG_MEASURE_AB_H
#define BG_MEASURE_AB_H

#include "config.h"
#include "error.h"
#include "measure.h"
#include "run.h"

#include <stddef.h>

/* One side of an interleaved measurement: its checkout and configuration (borrowed). */
struct bg_measure_ab_side {
  const char *dir; /* NULL: the current directory */
  const struct bg_config *cf;
};

struct bg_measure_ab {
  struct bg_measure_ab_side base, head;
  const char *base_sha; /* the base commit */
  size_t rounds;        /* 2 .. BG_RUN_MAX_ROUNDS */
  /* cpus, clean_env, verbose, interactive and cancel, for both sides alike; dir, only,
   * no_build and suite_end are set here per measurement. */
  struct bg_measure_opts opts;
  size_t *suite_end; /* NULL, or (head cf->nsuites entries) where the head's suites end in
                      * run's results (what its confirmations re-run, confirmation.h) */
  /* A confirmation (confirmation.h): only[i] 0 skips the head's suite i, and the base's
   * suites of other names (NULL: every suite); head_built: the head's checkout is built. */
  const unsigned char *only;
  int head_built;
};

/* Measures p's rounds into `run`, whose identity (run_id, commit, testbed, agent) the caller
 * has set: run->interleaved gets base_sha and one round per measured round, each side a run
 * that holds only results; run's own results are the head's pooled over the rounds (samples
 * concatenated, summaries by their moments); the fingerprint, thresholds and warnings come
 * from the head's measurements, started_at from the first measurement and finished_at from
 * the last. Says "round 2/3: base" and so on on stderr. Returns BG_OK with a valid run, or the
 * first measurement's error (BG_ECANCELED when p->opts.cancel turned non-zero) with err
 * naming the side and round; run then holds what was measured so far. */
int bg_measure_ab_run(const struct bg_measure_ab *p, struct bg_run *run, char *err, size_t errlen);

/* Adds the results of `from` to `into`: a result into has gets from's samples appended, or,
 * when either is a summary (or the samples would pass BG_RUN_MAX_SAMPLES), becomes the
 * summary of both (n, mean and stddev of the two groups together); a result into lacks is
 * copied. */
void bg_measure_ab_pool(struct bg_run *into, const struct bg_run *from);

/* Checks commit `sha` out, detached, in the existing empty directory dir as a worktree of the
 * repository at repo (NULL: the current directory), with its submodules. BG_OK, or BG_EIO
 * with git's message in err. */
int bg_measure_ab_worktree_add(const char *repo, const char *sha, const char *dir, char *err,
                               size_t errlen);

/* Removes the worktree at dir (whatever a build left in it too) and repo's record of it. */
void bg_measure_ab_worktree_remove(const char *repo, const char *dir);

#endif
