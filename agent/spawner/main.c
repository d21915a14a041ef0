/* benchgate-spawn: the small process that forks each repetition of a command suite.
 *
 * The agent embeds this program (spawner/image.c), execs it once per suite and asks it for
 * one child per repetition; spawner.c says why. It is linked statically and allocates
 * nothing, so the memory its children start from (which the kernel counts into their max RSS
 * at exec) is some hundreds of kilobytes rather than the agent's megabytes.
 *
 * usage (by the agent only): benchgate-spawn ASLR CWD CPUS PROGRAM [ARG...]
 *   ASLR "a": switch ASLR off in each child; "-": leave it.  CWD "": stay.  CPUS "": no
 *   pinning, else a comma-separated list of CPU numbers.  PROGRAM is exec'd as it is, with
 *   this process's environment.
 * fd 0 is /dev/null and fd 3 a SOCK_SEQPACKET socket. Each request on it is one byte with
 * three or four descriptors (stdout, stderr, status pipe[, sync pipe]); the child is cloned
 * with CLONE_PARENT, so it is the agent's child, and the answer is its pid as an int (or
 * -errno), sent once the child has exec'd (or, with a sync pipe, once it waits there). End
 * of file on the socket ends the helper.
 */
#include "childexec.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SOCK_FD 3
#define CHILD_STACK (64u << 10)

struct child_args {
  const struct bg_childexec_spec *spec;
  const struct bg_childexec_fds *fds;
};

static int child_main(void *arg) {
  const struct child_args *a = arg;
  bg_childexec_run(a->spec, a->fds);
}

static int parse_cpus(const char *s, cpu_set_t *set) {
  CPU_ZERO(set);
  while (*s) {
    char *end;
    errno = 0;
    long c = strtol(s, &end, 10);
    if (errno || end == s || c < 0 || c >= CPU_SETSIZE || (*end && *end != ','))
      return -1;
    CPU_SET((int)c, set);
    s = *end ? end + 1 : end;
  }
  return 0;
}

/* Receives one request. Returns the number of descriptors (3 or 4), 0 at end of file. */
static int receive(int fds[4]) {
  char byte;
  union {
    char buf[CMSG_SPACE(4 * sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {&byte, 1};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.buf;
  mh.msg_controllen = sizeof u.buf;
  ssize_t n;
  do
    n = recvmsg(SOCK_FD, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return 0;
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
    return 0;
  int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
  if (k < 3 || k > 4)
    return 0;
  memcpy(fds, CMSG_DATA(c), (size_t)k * sizeof(int));
  return k;
}

int main(int argc, char **argv) {
  extern char **environ;
  static char stack[CHILD_STACK] __attribute__((aligned(16)));
  cpu_set_t cpus;
  if (argc < 5 || parse_cpus(argv[3], &cpus) < 0)
    return 2;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  struct bg_childexec_spec spec = {argv + 4, environ, argv[2][0] ? argv[2] : NULL,
                                   argv[3][0] ? &cpus : NULL, argv[1][0] == 'a'};
  /* Running on the command's CPUs, its children start there instead of migrating. */
  if (spec.cpus)
    sched_setaffinity(0, sizeof cpus, &cpus);
  for (;;) {
    int fds[4] = {-1, -1, -1, -1};
    int k = receive(fds);
    if (!k)
      return 0;
    struct bg_childexec_fds cf = {0, fds[0], fds[1], fds[2], fds[3]};
    /* The child's parent is the agent (CLONE_PARENT). Without a sync pipe it shares our
     * memory until exec (CLONE_VM | CLONE_VFORK): nothing to copy, and at exec the kernel
     * records our resident set, a few hundred kilobytes, as its starting max RSS. With one,
     * the agent attaches a counter before the child may exec, so this process must answer
     * first: a fork, whose pre-exec memory is a copy of our written pages. */
    struct child_args ca = {&spec, &cf};
    long pid;
    if (k == 3)
      pid = clone(child_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | CLONE_PARENT, &ca);
    else if ((pid = syscall(SYS_clone, (unsigned long)CLONE_PARENT, 0L, 0L, 0L, 0L)) == 0)
      bg_childexec_run(&spec, &cf);
    int answer = pid < 0 ? -errno : (int)pid;
    for (int i = 0; i < k; i++)
      close(fds[i]);
    if (send(SOCK_FD, &answer, sizeof answer, MSG_NOSIGNAL) != (ssize_t)sizeof answer)
      return 0;
  }
}
