/* runner.c: fork/exec of benchmark commands with pinning, ASLR off, timeouts and rusage.
 *
 * The parent waits on a pidfd together with the output pipes, so one poll() serves the
 * timeout, the output and the exit without busy waiting. The child reports a failed setup
 * step through a close-on-exec status pipe that the parent reads only after reaping, so
 * the timed path holds no extra round trip. Instructions are counted with a perf event
 * opened by the parent on the child (enable_on_exec, inherited by its children) while the
 * child waits on a pipe just before exec. Without a PMU the count comes from callgrind runs
 * made after the timed ones: their output files (one per process, %p) are summed. The timed
 * repetitions are forked by the spawn helper rather than by the agent, so that their max RSS
 * is the command's own (spawner.h); the child's steps up to exec are in childexec.c.
 */
#include "runner.h"

#include "childexec.h"
#include "mem.h"
#include "spawner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define KILL_GRACE_NS 2000000000LL /* SIGTERM to SIGKILL */
#define CANCEL_POLL_MS 200          /* how soon a cancel request is seen at the latest */

/* Per-run state prepared before the first repetition. */
struct prep {
  const struct bg_runner_opts *o;
  char **argv; /* what the child execs: the command's words, or sh -c COMMAND */
  char *words; /* storage of a directly exec'd command's words */
  char *exe;   /* resolved program of a directly exec'd command */
  int perf;    /* 1: count instructions with a perf event on the child */
  char *stack; /* the child's stack while it shares our memory (clone, CLONE_VM) */
  char **envp;
  char *envbuf[5];
  cpu_set_t cpus;
  cpu_set_t own_cpus; /* the agent's own affinity, restored after each start */
  int own_pinned;     /* 1: the agent pins itself to `cpus` around each start */
  int devnull;
  struct bg_childexec_spec spec; /* how each repetition's process is set up */
  struct bg_spawner spawner;     /* starts the timed repetitions when it runs */
  char tail[BG_RUNNER_TAIL];     /* ring of the last stderr bytes */
  size_t tail_pos, tail_len;
};

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long tv_ns(struct timeval tv) {
  return (long long)tv.tv_sec * 1000000000LL + (long long)tv.tv_usec * 1000LL;
}

void bg_runner_result_init(struct bg_runner_result *res) {
  memset(res, 0, sizeof *res);
  bg_buf_init(&res->out, BG_RUNNER_STDOUT_MAX);
}

void bg_runner_result_free(struct bg_runner_result *res) {
  if (!res)
    return;
  free(res->samples);
  res->samples = NULL;
  res->nsamples = 0;
  bg_buf_free(&res->out);
}

static void tail_add(struct prep *p, const char *d, size_t n) {
  for (size_t i = 0; i < n; i++) {
    p->tail[p->tail_pos] = d[i];
    p->tail_pos = (p->tail_pos + 1) % sizeof p->tail;
    if (p->tail_len < sizeof p->tail)
      p->tail_len++;
  }
}

/* Writes the last `lines` lines of the stderr tail into out, indented, for error messages. */
static void tail_lines(const struct prep *p, char *out, size_t outlen, int lines) {
  char lin[BG_RUNNER_TAIL + 1];
  size_t start = (p->tail_pos + sizeof p->tail - p->tail_len) % sizeof p->tail;
  for (size_t i = 0; i < p->tail_len; i++)
    lin[i] = p->tail[(start + i) % sizeof p->tail];
  size_t n = p->tail_len;
  while (n && (lin[n - 1] == '\n' || lin[n - 1] == '\r'))
    n--;
  lin[n] = '\0';
  size_t from = n;
  int seen = 0;
  while (from > 0) {
    if (lin[from - 1] == '\n' && ++seen == lines)
      break;
    from--;
  }
  if (outlen)
    out[0] = '\0';
  if (n && outlen)
    snprintf(out, outlen, "; stderr ends with:\n%s", lin + from);
}

/* Sanitizer builds (ASan, TSan; GCC names them __SANITIZE_*__, clang __has_feature) start
 * the child with a plain fork: see start_child. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BG_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BG_SANITIZED 1
#endif
#endif

/* What the child needs, for clone's single argument. */
struct child_args {
  const struct prep *p;
  struct bg_childexec_fds fds;
};

#ifndef BG_SANITIZED
static int child_main(void *arg) {
  const struct child_args *a = arg;
  bg_childexec_run(&a->p->spec, &a->fds);
}
#endif

#define CHILD_STACK (256u << 10)

/* Starts the child. The spawn helper starts it when it runs (spawner.h says why: max RSS).
 * Otherwise the agent starts it itself, and max_rss then includes the agent's own memory.
 * Without a perf counter to attach before exec, it shares our memory and we wait until it
 * has exec'd (CLONE_VM | CLONE_VFORK, as posix_spawn does): that spares copying the agent's
 * page tables, a fork cost that grows with the libraries the agent maps (libcurl, OpenSSL)
 * and would land in every repetition's wall time. The child only makes system calls on its
 * own stack before exec. With a counter the parent must act between start and exec, so it is
 * a plain fork. Sanitizer builds fork too: their runtime does not expect a second thread of
 * control on a foreign stack. */
static int start_child(struct prep *p, struct child_args *a, pid_t *pid, char *err, size_t errlen) {
  if (p->spawner.pid > 0)
    return bg_spawner_spawn(&p->spawner, &a->fds, pid, err, errlen);
  /* Start the child on its CPU rather than migrate it there after it began: the agent
   * moves itself onto the pinned CPUs for the start and back once the child has exec'd, so
   * the child runs alone and the agent's wake-up at its exit happens elsewhere. (The spawn
   * helper runs on those CPUs throughout.) */
  if (p->own_pinned)
    sched_setaffinity(0, sizeof p->cpus, &p->cpus);
#ifndef BG_SANITIZED
  if (!p->perf && p->stack)
    *pid = clone(child_main, p->stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
  else
#endif
  {
    *pid = fork();
    if (*pid == 0)
      bg_childexec_run(&p->spec, &a->fds);
  }
  int e = errno;
  if (p->own_pinned)
    sched_setaffinity(0, sizeof p->own_cpus, &p->own_cpus);
  if (*pid < 0) {
    snprintf(err, errlen, "fork: %s", strerror(e));
    return BG_EIO;
  }
  return BG_OK;
}

static int pidfd_open_compat(pid_t pid) {
#ifdef SYS_pidfd_open
  return (int)syscall(SYS_pidfd_open, pid, 0);
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

static int open_counter(pid_t pid) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_HARDWARE;
  a.config = PERF_COUNT_HW_INSTRUCTIONS;
  a.disabled = 1;
  a.inherit = 1;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  a.enable_on_exec = pid != 0;
  return (int)syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static void drain(struct prep *p, int *fd, int is_err, struct bg_buf *out, int *overflow) {
  char chunk[16384];
  for (;;) {
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n > 0) {
      if (is_err) {
        tail_add(p, chunk, (size_t)n);
        if (p->o->output == BG_OUT_PASS && write(2, chunk, (size_t)n) < 0)
          (void)0;
      } else if (p->o->output == BG_OUT_PASS) {
        if (write(2, chunk, (size_t)n) < 0)
          (void)0;
      } else if (!*overflow && bg_buf_append(out, chunk, (size_t)n) != BG_OK) {
        *overflow = 1;
      }
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
      close(*fd);
      *fd = -1;
    }
    return;
  }
}

static const char *stage_name(int st) {
  switch (st) {
  case BG_CHILDEXEC_CHDIR:
    return "chdir to the suite's cwd";
  case BG_CHILDEXEC_AFFINITY:
    return "pin to the configured CPUs";
  case BG_CHILDEXEC_EXEC:
    return "exec the command";
  default:
    return "set up the child";
  }
}

/* One run of the command. Fills *s on success. */
static int run_once(struct prep *p, struct bg_sample *s, struct bg_buf *out, int *aslr_off,
                    char *err, size_t errlen) {
  const struct bg_runner_opts *o = p->o;
  int rc = BG_OK;
  int out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, st_p[2] = {-1, -1}, sync_p[2] = {-1, -1};
  int pidfd = -1, counter = -1, overflow = 0, timed_out = 0, canceled = 0, status = 0;
  struct rusage ru;
  pid_t pid = -1;

  if ((o->output != BG_OUT_DISCARD && pipe2(out_p, O_CLOEXEC) < 0) || pipe2(err_p, O_CLOEXEC) < 0 ||
      pipe2(st_p, O_CLOEXEC) < 0 || (p->perf && pipe2(sync_p, O_CLOEXEC) < 0)) {
    snprintf(err, errlen, "cannot create pipes: %s", strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  p->tail_len = p->tail_pos = 0;
  if (out)
    bg_buf_reset(out);

  long long t0 = now_ns();
  struct child_args ca = {
      p, {p->devnull, out_p[1] >= 0 ? out_p[1] : p->devnull, err_p[1], st_p[1], sync_p[0]}};
  if ((rc = start_child(p, &ca, &pid, err, errlen)) != BG_OK) {
    pid = -1;
    goto out;
  }
  setpgid(pid, pid); /* also in the child: whichever runs first wins the race */
  close(st_p[1]);
  st_p[1] = -1;
  close(err_p[1]);
  err_p[1] = -1;
  if (out_p[1] >= 0) {
    close(out_p[1]);
    out_p[1] = -1;
    fcntl(out_p[0], F_SETFL, O_NONBLOCK);
  }
  fcntl(err_p[0], F_SETFL, O_NONBLOCK);
  if (sync_p[0] >= 0) {
    close(sync_p[0]);
    sync_p[0] = -1;
    counter = open_counter(pid);
    if (counter < 0) {
      snprintf(err, errlen, "instructions: cannot count (perf_event_open: %s)", strerror(errno));
      rc = BG_EUNSUPP;
    }
    char go = 'g';
    if (write(sync_p[1], &go, 1) != 1)
      (void)0;
    close(sync_p[1]);
    sync_p[1] = -1;
  }
  pidfd = pidfd_open_compat(pid);

  long long deadline = o->timeout > 0 ? t0 + (long long)(o->timeout * 1e9) : 0;
  long long kill_at = 0;
  int reaped = 0;
  while (!reaped) {
    struct pollfd fds[3];
    int nf = 0;
    if (pidfd >= 0)
      fds[nf++] = (struct pollfd){pidfd, POLLIN, 0};
    if (out_p[0] >= 0)
      fds[nf++] = (struct pollfd){out_p[0], POLLIN, 0};
    if (err_p[0] >= 0)
      fds[nf++] = (struct pollfd){err_p[0], POLLIN, 0};
    int wait_ms = -1;
    long long t = now_ns();
    if (o->cancel && *o->cancel && !canceled && !timed_out) {
      canceled = 1; /* the same end as a timeout: SIGTERM, then SIGKILL after the grace */
      kill(-pid, SIGTERM);
      kill_at = t + KILL_GRACE_NS;
    }
    long long next = kill_at ? kill_at : deadline;
    if (next) {
      if (t >= next) {
        if (!kill_at) {
          timed_out = 1;
          kill(-pid, SIGTERM);
          kill_at = t + KILL_GRACE_NS;
        } else {
          kill(-pid, SIGKILL);
          kill_at = 0;
          deadline = 0;
        }
        continue;
      }
      wait_ms = (int)((next - t) / 1000000) + 1;
    }
    if (pidfd < 0 && (wait_ms < 0 || wait_ms > 1))
      wait_ms = 1; /* no pidfd: look for the exit every millisecond */
    if (o->cancel && (wait_ms < 0 || wait_ms > CANCEL_POLL_MS))
      wait_ms = CANCEL_POLL_MS; /* a signal may land just before poll() and not wake it */
    int n = poll(fds, (nfds_t)nf, wait_ms);
    if (n < 0 && errno != EINTR) {
      snprintf(err, errlen, "poll: %s", strerror(errno));
      kill(-pid, SIGKILL);
    }
    if (out_p[0] >= 0)
      drain(p, &out_p[0], 0, out, &overflow);
    if (err_p[0] >= 0)
      drain(p, &err_p[0], 1, NULL, &overflow);
    if (pidfd < 0 || (n > 0 && (fds[0].revents & POLLIN))) {
      pid_t w = wait4(pid, &status, pidfd < 0 ? WNOHANG : 0, &ru);
      if (w == pid)
        reaped = 1;
      else if (w < 0 && errno != EINTR) {
        snprintf(err, errlen, "wait4: %s", strerror(errno));
        rc = BG_EIO;
        goto out;
      }
    }
  }
  long long t1 = now_ns();
  if (timed_out || canceled)
    kill(-pid, SIGKILL); /* grandchildren that ignored SIGTERM */
  pid = -1;
  if (out_p[0] >= 0)
    drain(p, &out_p[0], 0, out, &overflow);
  if (err_p[0] >= 0)
    drain(p, &err_p[0], 1, NULL, &overflow);

  struct bg_childexec_msg ce;
  while (read(st_p[0], &ce, sizeof ce) == (ssize_t)sizeof ce) {
    if (ce.tag == 'A') {
      *aslr_off = 0;
    } else if (rc == BG_OK) {
      snprintf(err, errlen, "cannot %s: %s", stage_name(ce.stage), strerror(ce.err));
      rc = ce.stage == BG_CHILDEXEC_AFFINITY ? BG_EINVAL : BG_EIO;
    }
  }
  if (rc != BG_OK)
    goto out;
  char tail[BG_RUNNER_TAIL + 64];
  if (canceled) {
    snprintf(err, errlen, "stopped on request (process group killed)");
    rc = BG_ECANCELED;
    goto out;
  }
  if (timed_out) {
    tail_lines(p, tail, sizeof tail, 10);
    snprintf(err, errlen, "timed out after %g s (process group killed)%s", o->timeout, tail);
    rc = BG_ETIMEOUT;
    goto out;
  }
  if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status))) {
    tail_lines(p, tail, sizeof tail, 10);
    if (WIFSIGNALED(status))
      snprintf(err, errlen, "killed by signal %d (%s)%s", WTERMSIG(status),
               strsignal(WTERMSIG(status)), tail);
    else
      snprintf(err, errlen, "exited with status %d%s", WEXITSTATUS(status), tail);
    rc = BG_EIO;
    goto out;
  }
  if (overflow) {
    snprintf(err, errlen, "stdout larger than %zu bytes", out ? out->max : (size_t)0);
    rc = BG_ETOOBIG;
    goto out;
  }
  s->wall_ns = t1 - t0;
  s->cpu_ns = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
  s->max_rss = (long long)ru.ru_maxrss * 1024LL;
  s->instructions = -1;
  if (counter >= 0) {
    unsigned long long v = 0;
    if (read(counter, &v, sizeof v) != (ssize_t)sizeof v) {
      snprintf(err, errlen, "instructions: cannot read the counter: %s", strerror(errno));
      rc = BG_EUNSUPP;
      goto out;
    }
    s->instructions = (long long)v;
  }
out:
  if (pid > 0) {
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  int fds_all[] = {out_p[0], out_p[1],  err_p[0],  err_p[1], st_p[0],
                   st_p[1],  sync_p[0], sync_p[1], pidfd,    counter};
  for (size_t i = 0; i < sizeof fds_all / sizeof *fds_all; i++)
    if (fds_all[i] >= 0)
      close(fds_all[i]);
  return rc;
}

/* Shell words that only mean something to a shell: keywords and builtins without a program
 * of their own (or whose program would act differently, like cd or exit). */
static const char *const shell_only[] = {
    "!",       "{",        "}",      "[[",       "]]",       "case",   "do",    "done",    "elif",
    "else",    "esac",     "fi",     "for",      "function", "if",     "in",    "select",  "then",
    "time",    "until",    "while",  ".",        ":",        "alias",  "bg",    "break",   "cd",
    "command", "continue", "eval",   "exec",     "exit",     "export", "fg",    "getopts", "hash",
    "jobs",    "local",    "read",   "readonly", "return",   "set",    "shift", "source",  "times",
    "trap",    "type",     "ulimit", "umask",    "unalias",  "unset",  "wait",
};

/* Splits a command made of plain words at blanks. Returns 0 (and allocates nothing) when the
 * command needs a shell: any character outside [A-Za-z0-9_./,:=+@%^-] and blanks, an
 * assignment or shell-only word first, or no words. */
static int split_simple(const char *cmd, char **words_out, char ***argv_out) {
  static const char ok[] = "_./,:=+@%^-";
  size_t n = 0, len = strlen(cmd);
  for (const char *c = cmd; *c; c++) {
    int alnum = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9');
    if (!alnum && *c != ' ' && *c != '\t' && !strchr(ok, *c))
      return 0;
    if (*c != ' ' && *c != '\t' && (c == cmd || c[-1] == ' ' || c[-1] == '\t'))
      n++;
  }
  if (!n)
    return 0;
  char *w = bg_xmalloc(len + 1);
  char **argv = bg_xcalloc(n + 1, sizeof *argv);
  memcpy(w, cmd, len + 1);
  size_t k = 0;
  for (char *c = w; *c;) {
    while (*c == ' ' || *c == '\t')
      *c++ = '\0';
    if (!*c)
      break;
    argv[k++] = c;
    while (*c && *c != ' ' && *c != '\t')
      c++;
  }
  int shell = strchr(argv[0], '=') != NULL;
  for (size_t i = 0; !shell && i < sizeof shell_only / sizeof *shell_only; i++)
    shell = !strcmp(argv[0], shell_only[i]);
  if (shell) {
    free(w);
    free(argv);
    return 0;
  }
  *words_out = w;
  *argv_out = argv;
  return 1;
}

/* Finds an executable `name` as execvp would, in `path` (colon-separated); a name with a
 * slash is taken as it is. Returns a new string, or NULL when there is none. */
static char *find_program(const char *name, const char *path) {
  if (strchr(name, '/'))
    return access(name, X_OK) == 0 ? bg_xstrdup(name) : NULL;
  if (!path)
    path = "/usr/local/bin:/usr/bin:/bin";
  struct bg_buf b;
  bg_buf_init(&b, 0);
  for (const char *d = path;; d++) {
    const char *e = strchr(d, ':');
    size_t dl = e ? (size_t)(e - d) : strlen(d);
    struct stat st;
    bg_buf_reset(&b);
    bg_buf_printf(&b, "%.*s/%s", (int)dl, dl ? d : ".", name);
    if (stat(b.data, &st) == 0 && S_ISREG(st.st_mode) && access(b.data, X_OK) == 0)
      return bg_buf_steal(&b);
    if (!e)
      break;
    d = e;
  }
  bg_buf_free(&b);
  return NULL;
}

/* Sums the total Ir ("summary:", else "totals:") of every callgrind file in `dir`, removing
 * the files. Returns the sum, or -1 when no file had one. */
static long long callgrind_total(const char *dir) {
  long long sum = -1;
  DIR *d = opendir(dir);
  struct dirent *de;
  if (!d)
    return -1;
  while ((de = readdir(d))) {
    char path[4400], line[512];
    long long summary = -1, totals = -1;
    if (de->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
      long long *into = !strncmp(line, "summary:", 8)  ? &summary
                        : !strncmp(line, "totals:", 7) ? &totals
                                                       : NULL;
      if (!into)
        continue;
      char *end, *v = strchr(line, ':') + 1;
      errno = 0;
      long long x = strtoll(v, &end, 10);
      if (!errno && end != v && x >= 0)
        *into = x;
    }
    if (f)
      fclose(f);
    unlink(path);
    long long x = summary >= 0 ? summary : totals;
    if (x >= 0)
      sum = (sum < 0 ? 0 : sum) + x;
  }
  closedir(d);
  return sum;
}

/* Counts instructions of each repetition with callgrind (after the timed runs). */
static int callgrind_runs(struct prep *p, const char *valgrind, struct bg_runner_result *res,
                          long long start, char *err, size_t errlen) {
  const struct bg_runner_opts *o = p->o;
  char dir[] = "/tmp/benchgate-callgrind-XXXXXX", outopt[128];
  int rc = BG_OK, aslr_ignored = 1;
  size_t argc = 0;
  while (p->argv[argc])
    argc++;
  if (!mkdtemp(dir)) {
    snprintf(err, errlen, "instructions: cannot create a directory for callgrind: %s",
             strerror(errno));
    return BG_EIO;
  }
  snprintf(outopt, sizeof outopt, "--callgrind-out-file=%s/cg.%%p", dir);
  char **cg = bg_xcalloc(argc + 8, sizeof *cg);
  size_t k = 0;
  cg[k++] = (char *)valgrind;
  cg[k++] = "--tool=callgrind";
  cg[k++] = "--trace-children=yes";
  cg[k++] = "--quiet";
  cg[k++] = outopt;
  memcpy(cg + k, p->argv, (argc + 1) * sizeof *cg);
  /* valgrind slows a program down some 50 to 100 times */
  struct bg_runner_opts slow = *o;
  slow.timeout = o->timeout > 0 ? o->timeout * 100 : 0;
  slow.output = BG_OUT_DISCARD;
  p->o = &slow;
  p->spec.argv = cg;
  bg_spawner_stop(&p->spawner); /* callgrind runs count instructions only, not max RSS */
  for (size_t i = 0; i < res->nsamples; i++) {
    struct bg_sample s;
    if (o->progress)
      o->progress(o->progress_ctx, (long)i + 1, (long)res->nsamples, BG_RUNNER_PHASE_CALLGRIND,
                  now_ns() - start);
    rc = run_once(p, &s, NULL, &aslr_ignored, err, errlen);
    long long ir = callgrind_total(dir);
    if (rc != BG_OK) {
      char tmp[BG_RUNNER_TAIL + 512];
      snprintf(tmp, sizeof tmp, "%s", err);
      snprintf(err, errlen, "callgrind run %zu: %s", i + 1, tmp);
      break;
    }
    if (ir < 0) {
      snprintf(err, errlen, "callgrind run %zu: no instruction total in callgrind's output", i + 1);
      rc = BG_EIO;
      break;
    }
    res->samples[i].instructions = ir;
  }
  p->o = o;
  p->spec.argv = p->argv;
  callgrind_total(dir); /* removes what a failed run left */
  rmdir(dir);
  free(cg);
  return rc;
}

static int check_cpus(const struct bg_runner_opts *o, cpu_set_t *set, char *err, size_t errlen) {
  cpu_set_t allowed;
  CPU_ZERO(set);
  if (!o->ncpus)
    return BG_OK;
  if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
    CPU_ZERO(&allowed);
  for (size_t i = 0; i < o->ncpus; i++) {
    int c = o->cpus[i];
    if (c < 0 || c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed)) {
      snprintf(err, errlen, "cpus: CPU %d is not available to this process (%ld online)", c,
               sysconf(_SC_NPROCESSORS_ONLN));
      return BG_EINVAL;
    }
    CPU_SET(c, set);
  }
  return BG_OK;
}

int bg_runner_run(const struct bg_runner_opts *o, struct bg_runner_result *res, char *err,
                  size_t errlen) {
  struct prep *p = bg_xcalloc(1, sizeof *p);
  char tmp[8], *valgrind = NULL;
  int rc = BG_OK;
  if (!err || !errlen) {
    err = tmp;
    errlen = sizeof tmp;
  }
  err[0] = '\0';
  p->o = o;
  p->devnull = -1;
  p->spawner = (struct bg_spawner){0, -1};
  if (!o->command || o->repetitions < 1 || o->warmup < 0) {
    snprintf(err, errlen, "runner: needs a command and at least one repetition");
    rc = BG_EINVAL;
    goto out;
  }
  if ((rc = check_cpus(o, &p->cpus, err, errlen)) != BG_OK)
    goto out;
  p->own_pinned = o->ncpus && sched_getaffinity(0, sizeof p->own_cpus, &p->own_cpus) == 0;
  p->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (p->devnull < 0) {
    snprintf(err, errlen, "/dev/null: %s", strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  if (o->count_instructions) {
    int fd = o->force_callgrind ? -1 : open_counter(0);
    int perf_errno = o->force_callgrind ? ENOENT : errno;
    if (fd >= 0) {
      close(fd);
      p->perf = 1;
    } else if (!(valgrind = find_program("valgrind", getenv("PATH")))) {
      snprintf(err, errlen,
               "instructions: instructions need a PMU or valgrind; install valgrind (this "
               "machine offers no instruction counter: perf_event_open: %s; a VM without a "
               "virtual PMU, or kernel.perf_event_paranoid > 2)",
               strerror(perf_errno));
      rc = BG_EUNSUPP;
      goto out;
    }
  }
  if (!o->force_shell && split_simple(o->command, &p->words, &p->argv)) {
    p->exe = find_program(p->argv[0], getenv("PATH"));
    if (p->exe) {
      p->argv[0] = p->exe;
    } else { /* not found: let the shell say so in its usual words */
      free(p->words);
      free(p->argv);
      p->words = NULL;
      p->argv = NULL;
    }
  }
  res->direct_exec = p->argv != NULL;
  if (!p->argv) {
    p->argv = bg_xcalloc(4, sizeof *p->argv);
    p->argv[0] = "/bin/sh";
    p->argv[1] = "-c";
    p->argv[2] = (char *)o->command;
  }
  p->stack = bg_xmalloc(CHILD_STACK);
  p->envp = environ;
  if (o->clean_env) {
    const char *path = getenv("PATH"), *home = getenv("HOME");
    size_t k = 0;
    struct bg_buf b;
    bg_buf_init(&b, 0);
    bg_buf_printf(&b, "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
    p->envbuf[k++] = bg_buf_steal(&b);
    if (home) {
      bg_buf_printf(&b, "HOME=%s", home);
      p->envbuf[k++] = bg_buf_steal(&b);
    }
    p->envbuf[k++] = bg_xstrdup("LANG=C");
    p->envbuf[k++] = bg_xstrdup("LC_ALL=C");
    p->envbuf[k++] = bg_xstrdup("TZ=UTC");
    p->envp = bg_xcalloc(k + 1, sizeof *p->envp);
    memcpy(p->envp, p->envbuf, k * sizeof *p->envp);
  }
  free(res->samples);
  res->samples = bg_xcalloc((size_t)o->repetitions, sizeof *res->samples);
  res->nsamples = 0;
  res->warning[0] = '\0';
  p->spec = (struct bg_childexec_spec){p->argv, p->envp, o->cwd, o->ncpus ? &p->cpus : NULL,
                                       !o->keep_aslr};
  char no_spawner[160] = "";
  bg_spawner_start(&p->spawner, &p->spec, p->devnull, no_spawner, sizeof no_spawner);
  if (o->output == BG_OUT_CAPTURE) {
    res->out.max = o->stdout_max ? o->stdout_max : BG_RUNNER_STDOUT_MAX;
    bg_buf_append(&res->out, "", 0);
  }
  int aslr_off = !o->keep_aslr;
  long total = o->warmup + o->repetitions;
  long long start = now_ns();
  for (long i = 0; i < total; i++) {
    int warm = i < o->warmup;
    struct bg_sample s;
    if (o->progress)
      o->progress(o->progress_ctx, warm ? i + 1 : i - o->warmup + 1,
                  warm ? o->warmup : o->repetitions, warm, now_ns() - start);
    rc = run_once(p, &s, o->output == BG_OUT_CAPTURE ? &res->out : NULL, &aslr_off, err, errlen);
    if (rc != BG_OK) {
      char where[64];
      snprintf(where, sizeof where, "%s %ld: ", warm ? "warm-up run" : "repetition",
               warm ? i + 1 : i - o->warmup + 1);
      size_t wl = strlen(where), el = strlen(err);
      if (wl + el + 1 <= errlen) {
        memmove(err + wl, err, el + 1);
        memcpy(err, where, wl);
      }
      goto out;
    }
    if (!warm)
      res->samples[res->nsamples++] = s;
  }
  res->aslr_disabled = aslr_off;
  if (p->perf)
    res->instructions_by = "perf_event";
  if (valgrind) {
    if ((rc = callgrind_runs(p, valgrind, res, start, err, errlen)) != BG_OK)
      goto out;
    res->instructions_by = "callgrind";
  }
  /* The ASLR warning comes first: cmd_run recognises it by its start. */
  if (!o->keep_aslr && !aslr_off)
    snprintf(res->warning, sizeof res->warning,
             "ASLR could not be switched off for benchmark processes (personality not "
             "permitted here); layout noise may be higher");
  if (no_spawner[0]) {
    size_t at = strlen(res->warning);
    snprintf(res->warning + at, sizeof res->warning - at,
             "%smax_rss includes the agent's own memory (%s)", at ? "; " : "", no_spawner);
  }
out:
  bg_spawner_stop(&p->spawner);
  if (p->devnull >= 0)
    close(p->devnull);
  for (size_t i = 0; i < sizeof p->envbuf / sizeof *p->envbuf; i++)
    free(p->envbuf[i]);
  if (p->envp != environ)
    free(p->envp);
  free(p->argv);
  free(p->words);
  free(p->exe);
  free(p->stack);
  free(valgrind);
  free(p);
  return rc;
}
