/* childexec.c: the steps between fork and exec of a benchmark process (see childexec.h).
 *
 * Compiled into the agent and into the static spawn helper, so it uses nothing but libc
 * system call wrappers.
 */
#include "childexec.h"

#include <errno.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <unistd.h>

static _Noreturn void fail(int status, char stage, int err) {
  struct bg_childexec_msg m = {'E', stage, err};
  if (write(status, &m, sizeof m) < 0)
    _exit(127);
  _exit(127);
}

_Noreturn void bg_childexec_run(const struct bg_childexec_spec *s,
                                const struct bg_childexec_fds *fds) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_DFL);
  if (dup2(fds->in, 0) < 0 || dup2(fds->out, 1) < 0 || dup2(fds->err, 2) < 0)
    fail(fds->status, BG_CHILDEXEC_SETUP, errno);
  if (s->cwd && chdir(s->cwd) < 0)
    fail(fds->status, BG_CHILDEXEC_CHDIR, errno);
  if (s->cpus && sched_setaffinity(0, sizeof *s->cpus, s->cpus) < 0)
    fail(fds->status, BG_CHILDEXEC_AFFINITY, errno);
  if (s->no_aslr) {
    int cur = personality(0xffffffff);
    if (cur == -1 || personality((unsigned long)cur | ADDR_NO_RANDOMIZE) == -1) {
      struct bg_childexec_msg w = {'A', 0, errno};
      if (write(fds->status, &w, sizeof w) < 0)
        _exit(127);
    }
  }
  if (fds->sync >= 0) {
    char b;
    if (read(fds->sync, &b, 1) != 1)
      _exit(127);
  }
  execve(s->argv[0], s->argv, s->envp);
  fail(fds->status, BG_CHILDEXEC_EXEC, errno);
}
