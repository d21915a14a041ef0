/* runner.h: runs a benchmark command the way DESIGN §8.2 says, and measures it.
 *
 * Each repetition is a fork + exec of `/bin/sh -c COMMAND` in its own process group, pinned
 * to the configured CPUs, with ASLR off where the kernel allows it, optionally in a fixed
 * clean environment, stdin from /dev/null. The parent measures wall time on the monotonic
 * clock and reads CPU time and max RSS from wait4. A repetition that exits non-zero or runs
 * past its timeout (the whole process group is killed: SIGTERM, then SIGKILL) ends the run
 * with an error that quotes the exit status and the tail of stderr. Everything the timed
 * path needs is allocated before the first repetition.
 *
 * Known floor: the kernel counts the forked agent's resident pages into the child's max RSS
 * at exec, so max_rss is never below the agent's own RSS at fork time (about 2.2 MB for the
 * benchgate binary); for any real benchmark the command's own peak dominates.
 */
#ifndef BG_RUNNER_H
#define BG_RUNNER_H

#include "buf.h"
#include "error.h"

#include <stddef.h>

#define BG_RUNNER_STDOUT_MAX (64u << 20) /* default cap of captured stdout */
#define BG_RUNNER_TAIL 4096              /* bytes of stderr kept for error messages */

enum bg_runner_output {
  BG_OUT_DISCARD = 0, /* stdout to /dev/null, stderr only kept as a tail */
  BG_OUT_CAPTURE,     /* stdout into the result's buffer (format suites), stderr as a tail */
  BG_OUT_PASS         /* stdout and stderr copied to the agent's stderr (builds, --verbose) */
};

/* Called between repetitions (never inside the timed path). `rep` counts from 1; `warmup`
 * is 1 during warm-up runs; `elapsed_ns` is the time since the first run started. */
typedef void (*bg_runner_progress_fn)(void *ctx, long rep, long total, int warmup,
                                      long long elapsed_ns);

struct bg_runner_opts {
  const char *command; /* shell text for /bin/sh -c */
  const char *cwd;     /* NULL: the current directory */
  const int *cpus;     /* CPUs to pin to; NULL/0: no pinning */
  size_t ncpus;
  int clean_env;    /* 1: PATH, HOME, LANG=C, LC_ALL=C, TZ=UTC only */
  int keep_aslr;    /* 1: leave ASLR as it is (default 0: switch it off) */
  long warmup;      /* unrecorded runs before the repetitions */
  long repetitions; /* recorded runs, >= 1 */
  double timeout;   /* seconds per run; <= 0 means none */
  enum bg_runner_output output;
  size_t stdout_max;      /* cap for BG_OUT_CAPTURE; 0: BG_RUNNER_STDOUT_MAX */
  int count_instructions; /* 1: count instructions with perf_event_open */
  bg_runner_progress_fn progress;
  void *progress_ctx;
};

/* One recorded repetition. */
struct bg_sample {
  long long wall_ns;
  long long cpu_ns;       /* user + system time of the command and its waited-for children */
  long long max_rss;      /* bytes */
  long long instructions; /* -1 when not counted */
};

struct bg_runner_result {
  struct bg_sample *samples; /* owned, nsamples == repetitions on success */
  size_t nsamples;
  struct bg_buf out; /* stdout of the last run (BG_OUT_CAPTURE) */
  int aslr_disabled; /* 1 when personality(ADDR_NO_RANDOMIZE) took effect */
  char warning[256]; /* non-fatal problem, e.g. ASLR could not be switched off */
};

/* Runs the command as `o` says. Returns BG_OK with every sample in `res` (which the caller
 * initialises with bg_runner_result_init and frees with bg_runner_result_free); BG_EINVAL for
 * bad options (a CPU that does not exist); BG_EIO when the command cannot be started or exits
 * non-zero; BG_ETIMEOUT when a run outlived its timeout; BG_ETOOBIG when captured stdout
 * passes its cap; BG_EUNSUPP when instructions cannot be counted here. `err` (errlen bytes)
 * gets a message with the exit status and the last lines of stderr. */
int bg_runner_run(const struct bg_runner_opts *o, struct bg_runner_result *res, char *err,
                  size_t errlen);

void bg_runner_result_init(struct bg_runner_result *res);

/* Frees what the result owns. Accepts NULL. */
void bg_runner_result_free(struct bg_runner_result *res);

#endif
