/* childexec.h: what a benchmark process does between its fork and its exec.
 *
 * Shared by the runner (which forks the command itself when the spawn helper cannot run) and
 * the spawn helper (spawner/main.c, a separate static program): the command gets stdin from
 * /dev/null, its own process group, death with the agent, its CPUs and ASLR off, then execs.
 * A failed step is written to the close-on-exec status pipe as a struct bg_childexec_msg, so
 * the agent learns of it after reaping; nothing arrives there when the exec succeeds.
 * Everything here is async-signal-safe: no allocation, no stdio.
 */
#ifndef BG_CHILDEXEC_H
#define BG_CHILDEXEC_H

#include <sched.h>

enum bg_childexec_stage {
  BG_CHILDEXEC_SETUP = 1,
  BG_CHILDEXEC_CHDIR,
  BG_CHILDEXEC_AFFINITY,
  BG_CHILDEXEC_EXEC
};

/* A message on the status pipe: tag 'A' (ASLR could not be switched off, not fatal; err is
 * the errno) or 'E' (the step `stage` failed with errno `err`; the child exits 127). */
struct bg_childexec_msg {
  char tag;
  char stage;
  int err;
};

struct bg_childexec_spec {
  char *const *argv;     /* argv[0] is the program's path, exec'd as it is */
  char *const *envp;     /* the command's whole environment */
  const char *cwd;       /* NULL: stay in the current directory */
  const cpu_set_t *cpus; /* NULL: no pinning */
  int no_aslr;           /* 1: personality(ADDR_NO_RANDOMIZE) before exec */
};

/* The descriptors the child uses: `in`, `out` and `err` become 0, 1 and 2; `status` is the
 * close-on-exec status pipe; `sync` (-1: none) is read for one byte before exec, so that
 * the agent can attach a counter to the process first. */
struct bg_childexec_fds {
  int in, out, err, status, sync;
};

/* Sets the child up as the spec says and execs it. Never returns: on a failed step it writes
 * the message to fds->status and _exits with 127. */
_Noreturn void bg_childexec_run(const struct bg_childexec_spec *s,
                                const struct bg_childexec_fds *fds);

#endif
