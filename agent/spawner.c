/* spawner.c: the agent's side of the spawn helper (see spawner.h).
 *
 * Why a helper: fs/exec.c (exec_mmap) folds the old memory's high-water mark into the
 * process's maxrss with setmax_mm_hiwater_rss before it drops that memory, and maxrss
 * survives exec. With vfork or CLONE_VM the old memory is the agent's own; with fork it is a
 * copy of every page of the agent's anonymous and written mappings. Measured on Linux 6.18
 * with a parent holding 50 MB: `sleep 0.01` reports 52 MB from a vfork child and 51 MB from a
 * fork child, 1.7 MB from a parent holding nothing. Only a process forked from a small
 * process starts small, which is also why GNU time (a small program that forks) reads
 * right. Resetting the mark (/proc/PID/clear_refs "5") only lowers it to the current RSS,
 * which is still the agent's.
 *
 * Why this shape: exec'ing a trampoline per repetition would put a second exec into every
 * timed window; the helper is exec'd once per suite and each repetition costs one round trip
 * on a socket and a vfork of the helper (a fork where the agent must attach a perf counter
 * before exec), which the agent's own vfork cost before. A static helper that allocates
 * nothing has a resident set of some hundreds of kilobytes: a floor below any real command
 * (a static `int main(void){return 0;}` reads 548 KiB, `sleep` 1.6 MiB) and below GNU time's
 * own. The image is embedded and run from a memfd so that the agent stays one file.
 */
#include "spawner.h"

#include "error.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: executable memfd even where memfd_noexec is set */
#endif

extern const unsigned char bg_spawner_image[], bg_spawner_image_end[];

/* A memfd holding the helper's image, or -1 with err. */
static int image_fd(char *err, size_t errlen) {
  int fd = memfd_create("benchgate-spawn", MFD_CLOEXEC | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) /* kernels before 6.3 know no MFD_EXEC */
    fd = memfd_create("benchgate-spawn", MFD_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "memfd_create: %s", strerror(errno));
    return -1;
  }
  const unsigned char *d = bg_spawner_image;
  size_t left = (size_t)(bg_spawner_image_end - bg_spawner_image);
  while (left) {
    ssize_t n = write(fd, d, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      snprintf(err, errlen, "writing the image: %s", n < 0 ? strerror(errno) : "short write");
      close(fd);
      return -1;
    }
    d += n;
    left -= (size_t)n;
  }
  return fd;
}

/* "0,2,3" for the CPUs in set, into buf. */
static void cpu_list(const cpu_set_t *set, char *buf, size_t len) {
  size_t at = 0;
  buf[0] = '\0';
  for (int c = 0; set && c < CPU_SETSIZE && at + 8 < len; c++)
    if (CPU_ISSET(c, set))
      at += (size_t)snprintf(buf + at, len - at, "%s%d", at ? "," : "", c);
}

int bg_spawner_start(struct bg_spawner *sp, const struct bg_childexec_spec *spec, int devnull,
                     char *err, size_t errlen) {
  int rc = BG_OK, img = -1, sv[2] = {-1, -1}, fa_ok = 0;
  char path[64], cpus[CPU_SETSIZE * 5 + 1];
  posix_spawn_file_actions_t fa;
  size_t argc = 0;
  while (spec->argv[argc])
    argc++;
  char **argv = bg_xcalloc(argc + 5, sizeof *argv);
  sp->pid = 0;
  sp->sock = -1;
  cpu_list(spec->cpus, cpus, sizeof cpus);
  argv[0] = "benchgate-spawn";
  argv[1] = spec->no_aslr ? "a" : "-";
  argv[2] = (char *)(spec->cwd ? spec->cwd : "");
  argv[3] = cpus;
  memcpy(argv + 4, spec->argv, (argc + 1) * sizeof *argv);
  if ((img = image_fd(err, errlen)) < 0) {
    rc = BG_EIO;
    goto out;
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    snprintf(err, errlen, "socketpair: %s", strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  /* dup2 onto fd 3 clears close-on-exec there; every other descriptor of ours that lacks it
   * reaches the helper as it would reach a child forked by the agent. */
  if (posix_spawn_file_actions_init(&fa) != 0)
    goto spawn_failed;
  fa_ok = 1;
  if (posix_spawn_file_actions_adddup2(&fa, devnull, 0) != 0 ||
      posix_spawn_file_actions_adddup2(&fa, devnull, 1) != 0 ||
      posix_spawn_file_actions_adddup2(&fa, sv[1], 3) != 0)
    goto spawn_failed;
  snprintf(path, sizeof path, "/proc/self/fd/%d", img);
  errno = posix_spawn(&sp->pid, path, &fa, NULL, argv, spec->envp);
  if (errno == 0) {
    sp->sock = sv[0];
    sv[0] = -1;
    goto out;
  }
spawn_failed:
  snprintf(err, errlen, "cannot exec the spawn helper: %s", strerror(errno));
  sp->pid = 0;
  rc = BG_EIO;
out:
  if (fa_ok)
    posix_spawn_file_actions_destroy(&fa);
  if (img >= 0)
    close(img);
  for (int i = 0; i < 2; i++)
    if (sv[i] >= 0)
      close(sv[i]);
  free(argv);
  return rc;
}

int bg_spawner_spawn(struct bg_spawner *sp, const struct bg_childexec_fds *fds, pid_t *pid,
                     char *err, size_t errlen) {
  int send_fds[4] = {fds->out, fds->err, fds->status, fds->sync};
  int k = fds->sync >= 0 ? 4 : 3;
  char byte = 'r';
  union {
    char buf[CMSG_SPACE(4 * sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct iovec iov = {&byte, 1};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.buf;
  mh.msg_controllen = CMSG_SPACE((size_t)k * sizeof(int));
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN((size_t)k * sizeof(int));
  memcpy(CMSG_DATA(c), send_fds, (size_t)k * sizeof(int));
  ssize_t n;
  do
    n = sendmsg(sp->sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  int answer = 0;
  if (n == 1) {
    do
      n = recv(sp->sock, &answer, sizeof answer, 0);
    while (n < 0 && errno == EINTR);
  }
  if (n != (ssize_t)sizeof answer) {
    snprintf(err, errlen, "spawn helper: %s",
             n < 0 ? strerror(errno) : "exited (no answer to a start request)");
    return BG_EIO;
  }
  if (answer < 0) {
    snprintf(err, errlen, "fork (spawn helper): %s", strerror(-answer));
    return BG_EIO;
  }
  *pid = answer;
  return BG_OK;
}

void bg_spawner_stop(struct bg_spawner *sp) {
  if (sp->sock >= 0)
    close(sp->sock); /* end of file: the helper returns */
  sp->sock = -1;
  if (sp->pid > 0)
    while (waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  sp->pid = 0;
}
