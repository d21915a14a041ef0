/* git.c: git commands by fork/exec, and the commit metadata of a checkout. */
#include "git.h"

#include "mem.h"
#include "valid.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 32

static void read_into(int *fd, struct bg_buf *b, int *overflow) {
  char chunk[8192];
  ssize_t n = read(*fd, chunk, sizeof chunk);
  if (n > 0) {
    if (!*overflow && bg_buf_append(b, chunk, (size_t)n) != BG_OK)
      *overflow = 1;
  } else if (n == 0 || errno != EINTR) {
    close(*fd);
    *fd = -1;
  }
}

int bg_git_exec(const char *dir, const char *const *argv, struct bg_buf *out, char *err,
                size_t errlen) {
  const char *args[MAX_ARGS + 4];
  size_t n = 0;
  int op[2] = {-1, -1}, ep[2] = {-1, -1}, overflow = 0, status = 0, rc = BG_OK;
  struct bg_buf eb;
  bg_buf_init(out, BG_GIT_OUTPUT_MAX);
  bg_buf_init(&eb, 8192);
  if (errlen)
    err[0] = '\0';
  args[n++] = "git";
  if (dir) {
    args[n++] = "-C";
    args[n++] = dir;
  }
  for (size_t i = 0; argv[i] && i < MAX_ARGS; i++)
    args[n++] = argv[i];
  args[n] = NULL;
  if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
    snprintf(err, errlen, "git: pipe: %s", strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "git: fork: %s", strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      dup2(devnull, 0);
    dup2(op[1], 1);
    dup2(ep[1], 2);
    signal(SIGPIPE, SIG_DFL);
    execvp("git", (char *const *)args);
    _exit(126);
  }
  close(op[1]);
  close(ep[1]);
  op[1] = ep[1] = -1;
  while (op[0] >= 0 || ep[0] >= 0) {
    struct pollfd fds[2] = {{op[0], POLLIN, 0}, {ep[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR)
      break;
    if (op[0] >= 0 && fds[0].revents)
      read_into(&op[0], out, &overflow);
    if (ep[0] >= 0 && fds[1].revents)
      read_into(&ep[0], &eb, &overflow);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 126) {
    snprintf(err, errlen, "git: cannot run git (is it installed?)");
    rc = BG_ENOENT;
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const char *msg = "";
    if (eb.data) {
      eb.data[strcspn(eb.data, "\n")] = '\0';
      msg = eb.data;
    }
    snprintf(err, errlen, "git %s: %s", argv[0],
             *msg ? msg : (WIFEXITED(status) ? "failed" : "killed by a signal"));
    rc = BG_EIO;
  } else if (overflow) {
    snprintf(err, errlen, "git %s: output larger than %u bytes", argv[0], BG_GIT_OUTPUT_MAX);
    rc = BG_ETOOBIG;
  } else if (!out->data) {
    bg_buf_append(out, "", 0);
  }
out:
  for (int i = 0; i < 2; i++) {
    if (op[i] >= 0)
      close(op[i]);
    if (ep[i] >= 0)
      close(ep[i]);
  }
  bg_buf_free(&eb);
  return rc;
}

/* Trims trailing whitespace in place. */
static void rtrim(char *s) {
  size_t n = strlen(s);
  while (n && strchr(" \t\r\n", s[n - 1]))
    s[--n] = '\0';
}

void bg_git_commit_clear(struct bg_git_commit *c) {
  if (!c)
    return;
  free(c->sha);
  for (size_t i = 0; i < c->nparents; i++)
    free(c->parents[i]);
  free(c->parents);
  free(c->message);
  free(c->author);
  free(c->timestamp);
  memset(c, 0, sizeof *c);
}

int bg_git_commit_read(const char *dir, const char *rev, struct bg_git_commit *c, char *err,
                       size_t errlen) {
  struct bg_buf out;
  char spec[300];
  memset(c, 0, sizeof *c);
  if (!rev || !*rev || rev[0] == '-') {
    snprintf(err, errlen, "git: invalid revision");
    return BG_EINVAL;
  }
  snprintf(spec, sizeof spec, "%s^{commit}", rev);
  /* Fields separated by NUL; the message goes last because it may contain anything. */
  const char *argv[] = {"log",
                        "-1",
                        "--no-show-signature",
                        "--no-color",
                        "--format=%H%x00%P%x00%an <%ae>%x00%ct%x00%B",
                        spec,
                        "--",
                        NULL};
  int rc = bg_git_exec(dir, argv, &out, err, errlen);
  if (rc != BG_OK)
    goto out;
  const char *f[5];
  const char *p = out.data, *end = out.data + out.len;
  for (int i = 0; i < 5; i++) {
    if (p > end) {
      snprintf(err, errlen, "git log: unexpected output for %s", rev);
      rc = BG_EIO;
      goto out;
    }
    f[i] = p;
    p += strlen(p) + 1;
  }
  c->sha = bg_xstrdup(f[0]);
  for (const char *q = f[1]; *q;) {
    size_t len = strcspn(q, " ");
    if (len) {
      c->parents = bg_xrealloc(c->parents, (c->nparents + 1) * sizeof *c->parents);
      c->parents[c->nparents++] = bg_xstrndup(q, len);
    }
    q += len;
    while (*q == ' ')
      q++;
  }
  c->author = bg_xstrdup(f[2]);
  char *e;
  errno = 0;
  long long t = strtoll(f[3], &e, 10);
  struct tm tm;
  time_t tt = (time_t)t;
  char ts[64];
  if (e == f[3] || errno || !gmtime_r(&tt, &tm) ||
      !strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
    snprintf(err, errlen, "git log: bad commit time '%s'", f[3]);
    rc = BG_EIO;
    goto out;
  }
  c->timestamp = bg_xstrdup(ts);
  c->message = bg_xstrdup(f[4]);
  rtrim(c->message);
out:
  bg_buf_free(&out);
  if (rc != BG_OK)
    bg_git_commit_clear(c);
  return rc;
}

int bg_git_branch(const char *dir, char **branch, char *err, size_t errlen) {
  struct bg_buf out;
  const char *argv[] = {"symbolic-ref", "--quiet", "--short", "HEAD", NULL};
  *branch = NULL;
  int rc = bg_git_exec(dir, argv, &out, err, errlen);
  if (rc == BG_OK) {
    rtrim(out.data);
    if (*out.data)
      *branch = bg_buf_steal(&out);
  }
  bg_buf_free(&out);
  if (*branch)
    return BG_OK;
  const char *envs[] = {"GITHUB_HEAD_REF", "GITHUB_REF_NAME"};
  for (size_t i = 0; i < 2; i++) {
    const char *v = getenv(envs[i]);
    if (v && *v) {
      *branch = bg_xstrdup(v);
      return BG_OK;
    }
  }
  if (rc == BG_ENOENT)
    return rc;
  snprintf(err, errlen,
           "cannot tell the branch: HEAD is detached (or this is not a git "
           "checkout) and neither GITHUB_HEAD_REF nor GITHUB_REF_NAME is set; pass --branch");
  return BG_EINVAL;
}

static int ref_exists(const char *dir, const char *ref) {
  struct bg_buf out;
  char e[64];
  const char *argv[] = {"rev-parse", "--verify", "--quiet", ref, NULL};
  int rc = bg_git_exec(dir, argv, &out, e, sizeof e);
  bg_buf_free(&out);
  return rc == BG_OK;
}

char *bg_git_default_branch(const char *dir) {
  struct bg_buf out;
  char e[64];
  const char *argv[] = {"symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", NULL};
  char *res = NULL;
  if (bg_git_exec(dir, argv, &out, e, sizeof e) == BG_OK) {
    rtrim(out.data);
    if (!strncmp(out.data, "origin/", 7) && out.data[7])
      res = bg_xstrdup(out.data + 7);
  }
  bg_buf_free(&out);
  if (res)
    return res;
  const char *cands[] = {"main", "master"};
  for (size_t i = 0; i < 2; i++) {
    char ref[64];
    snprintf(ref, sizeof ref, "refs/heads/%s", cands[i]);
    if (ref_exists(dir, ref))
      return bg_xstrdup(cands[i]);
    snprintf(ref, sizeof ref, "refs/remotes/origin/%s", cands[i]);
    if (ref_exists(dir, ref))
      return bg_xstrdup(cands[i]);
  }
  return bg_xstrdup("main");
}

int bg_git_fork_point(const char *dir, const char *rev, const char *default_branch, char **sha,
                      char *err, size_t errlen) {
  char ref[2][300];
  *sha = NULL;
  if (!default_branch || default_branch[0] == '-' || !rev || rev[0] == '-') {
    snprintf(err, errlen, "git merge-base: invalid branch");
    return BG_EINVAL;
  }
  snprintf(ref[0], sizeof ref[0], "refs/remotes/origin/%s", default_branch);
  snprintf(ref[1], sizeof ref[1], "refs/heads/%s", default_branch);
  for (int i = 0; i < 2; i++) {
    if (!ref_exists(dir, ref[i]))
      continue;
    struct bg_buf out;
    char e[256];
    const char *argv[] = {"merge-base", rev, ref[i], NULL};
    int rc = bg_git_exec(dir, argv, &out, e, sizeof e);
    if (rc == BG_OK) {
      rtrim(out.data);
      if (bg_valid_sha(out.data)) {
        *sha = bg_buf_steal(&out);
        return BG_OK;
      }
    }
    bg_buf_free(&out);
  }
  snprintf(err, errlen,
           "no fork point from '%s' (neither origin/%s nor %s shares history "
           "with %s); pass --baseline-sha",
           default_branch, default_branch, default_branch, rev);
  return BG_ENOENT;
}

int bg_git_prefix(const char *dir, char *out, size_t outlen, char *err, size_t errlen) {
  struct bg_buf b;
  int rc = bg_git_exec(dir, (const char *const[]){"rev-parse", "--show-prefix", NULL}, &b, err,
                       errlen);
  const char *text = rc == BG_OK && b.data ? b.data : "";
  snprintf(out, outlen, "%.*s", (int)strcspn(text, "\n"), text);
  bg_buf_free(&b);
  return rc;
}
