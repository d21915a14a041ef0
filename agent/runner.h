/* runner.h: runs a benchmark command and measures it.
 *
 * Each repetition is a fork + exec of the command in its own process group, pinned
 * to the configured CPUs, with ASLR off where the kernel allows it, optionally in a fixed
 * clean environment, stdin from /dev/null. The parent measures wall time on the monotonic
 * clock and reads CPU time and max RSS from wait4. A repetition that exits non-zero or runs
 * past its timeout (the whole process group is killed: SIGTERM, then SIGKILL) ends the run
 * with an error that quotes the exit status and the tail of stderr. Everything the timed
 * path needs is allocated before the first repetition.
 *
 * A command of plain words (no quotes, variables, globs, redirections, operators, shell
 * keywords or builtins) is exec'd directly after a simple word split, the program looked up
 * in PATH before the first fork; anything else runs as `/bin/sh -c COMMAND`. Skipping the
 * shell takes its start-up (about a millisecond) out of every repetition's wall time and
 * out of the run-to-run spread.
 *
 * Instructions come from perf_event_open when the machine has a PMU. Without
 * one, and with valgrind installed, the command is run again under callgrind once per
 * repetition, after the timed repetitions so that wall times are not polluted, and the
 * total Ir of every process it started is the repetition's count: exact, and with
 * clean_env and ASLR off the same from run to run.
 *
 * max_rss is the command's own peak, as GNU time reports it: the timed repetitions are
 * forked by a small helper process (spawner.h), because a process forked or vforked by the
 * agent would carry the agent's resident memory into its max RSS. Where the helper cannot
 * run (no executable memfd, no /proc) the agent forks them itself and says so in the
 * result's warning.
 */
#ifndef BG_RUNNER_H
#define BG_RUNNER_H

#include "buf.h"
#include "error.h"

#include <signal.h>
#include <stddef.h>

#define BG_RUNNER_STDOUT_MAX (64u << 20) /* default cap of captured stdout */
#define BG_RUNNER_TAIL 4096              /* bytes of stderr kept for error messages */

enum bg_runner_output {
  BG_OUT_DISCARD = 0, /* stdout to /dev/null, stderr only kept as a tail */
  BG_OUT_CAPTURE,     /* stdout into the result's buffer (format suites), stderr as a tail */
  BG_OUT_PASS         /* stdout and stderr copied to the agent's stderr (builds, --verbose) */
};

/* Called between repetitions (never inside the timed path). `rep` counts from 1; `warmup`
 * is 1 during warm-up runs, BG_RUNNER_PHASE_CALLGRIND during the callgrind runs that count
 * instructions, 0 for the timed repetitions; `elapsed_ns` is the time since the first run
 * started. */
#define BG_RUNNER_PHASE_CALLGRIND 2
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
  int count_instructions; /* 1: count instructions (perf_event_open, else callgrind) */
  int force_callgrind;    /* 1: count with callgrind even where a PMU exists (tests) */
  int force_shell;        /* 1: always run through /bin/sh -c */
  bg_runner_progress_fn progress;
  void *progress_ctx;
  /* When not NULL and it turns non-zero (a signal handler sets it), the running command's
   * process group is stopped as on a timeout and the run ends with BG_ECANCELED. */
  const volatile sig_atomic_t *cancel;
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
  struct bg_buf out;           /* stdout of the last run (BG_OUT_CAPTURE) */
  int aslr_disabled;           /* 1 when personality(ADDR_NO_RANDOMIZE) took effect */
  int direct_exec;             /* 1 when the command ran without /bin/sh */
  const char *instructions_by; /* "perf_event", "callgrind", or NULL when not counted */
  char warning[512];           /* non-fatal problems, e.g. ASLR could not be switched off */
};

/* Runs the command as `o` says. Returns BG_OK with every sample in `res` (which the caller
 * initialises with bg_runner_result_init and frees with bg_runner_result_free); BG_EINVAL for
 * bad options (a CPU that does not exist); BG_EIO when the command cannot be started or exits
 * non-zero; BG_ETIMEOUT when a run outlived its timeout; BG_ECANCELED when *cancel turned non-zero; BG_ETOOBIG when captured stdout
 * passes its cap; BG_EUNSUPP when instructions cannot be counted here (no PMU and no
 * valgrind: "instructions need a PMU or valgrind; install valgrind"). `err` (errlen bytes)
 * gets a message with the exit status and the last lines of stderr. */
int bg_runner_run(const struct bg_runner_opts *o, struct bg_runner_result *res, char *err,
                  size_t errlen);

void bg_runner_result_init(struct bg_runner_result *res);

/* Frees what the result owns. Accepts NULL. */
void bg_runner_result_free(struct bg_runner_result *res);

#endif
