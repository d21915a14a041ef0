/* workspace.c: cache clones and per-job worktrees (workspace.h). */
#include "workspace.h"

#include "git.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p with mode 0700 for the parts it makes. */
static int make_dirs(const char *path, char *err, size_t errlen) {
  char p[BG_WORKSPACE_PATH_MAX];
  snprintf(p, sizeof p, "%s", path);
  for (char *s = p + 1;; s++) {
    if (*s != '/' && *s)
      continue;
    char c = *s;
    *s = '\0';
    if (mkdir(p, 0700) < 0 && errno != EEXIST) {
      snprintf(err, errlen, "%s: cannot create: %s", p, strerror(errno));
      return BG_EIO;
    }
    if (!(*s = c))
      return BG_OK;
  }
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f) {
  (void)st, (void)f;
  return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

void bg_workspace_remove_tree(const char *path) {
  nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs git with up to 8 arguments in dir; BG_OK or git's message in err. */
static int git(const char *dir, char *err, size_t errlen, const char *const *argv) {
  struct bg_buf out;
  int rc = bg_git_exec(dir, argv, &out, err, errlen);
  bg_buf_free(&out);
  return rc;
}

static void cache_path(const struct bg_workspace *w, const char *project, char *out, size_t len) {
  snprintf(out, len, "%s/repos/%s.git", w->root, project);
}

static void job_path(const struct bg_workspace *w, long long job, char *out, size_t len) {
  snprintf(out, len, "%s/jobs/%lld", w->root, job);
}

static void base_path(const struct bg_workspace *w, long long job, char *out, size_t len) {
  snprintf(out, len, "%s/jobs/%lld.base", w->root, job);
}

/* Removes what a crashed agent left: half clones, job checkouts, the caches' worktree notes. */
static void clean(struct bg_workspace *w) {
  char path[BG_WORKSPACE_PATH_MAX + 300], err[256];
  snprintf(path, sizeof path, "%s/jobs", w->root);
  bg_workspace_remove_tree(path);
  snprintf(path, sizeof path, "%s/repos", w->root);
  DIR *d = opendir(path);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/repos/%s", w->root, e->d_name);
    if (n > 4 && !strcmp(e->d_name + n - 4, ".tmp"))
      bg_workspace_remove_tree(path);
    else
      git(path, err, sizeof err, (const char *const[]){"worktree", "prune", NULL});
  }
  if (d)
    closedir(d);
}

int bg_workspace_open(struct bg_workspace *w, const char *root, char *err, size_t errlen) {
  char path[BG_WORKSPACE_PATH_MAX + 32];
  w->lock_fd = -1;
  if (strlen(root) >= sizeof w->root - 64) {
    snprintf(err, errlen, "workdir: path too long");
    return BG_EIO;
  }
  snprintf(w->root, sizeof w->root, "%s", root);
  int rc = make_dirs(root, err, errlen);
  if (rc)
    return rc;
  snprintf(path, sizeof path, "%s/agent.lock", root);
  w->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (w->lock_fd < 0) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return BG_EIO;
  }
  if (flock(w->lock_fd, LOCK_EX | LOCK_NB) < 0) {
    snprintf(err, errlen, "%s: another agent works in %s (one agent per workdir)", path, root);
    close(w->lock_fd);
    w->lock_fd = -1;
    return errno == EWOULDBLOCK ? BG_EBUSY : BG_EIO;
  }
  clean(w);
  snprintf(path, sizeof path, "%s/jobs", root);
  if ((rc = make_dirs(path, err, errlen)))
    return rc;
  snprintf(path, sizeof path, "%s/repos", root);
  return make_dirs(path, err, errlen);
}

void bg_workspace_close(struct bg_workspace *w) {
  if (w->lock_fd >= 0)
    close(w->lock_fd);
  w->lock_fd = -1;
}

void bg_workspace_spool(const struct bg_workspace *w, char *out, size_t outlen) {
  snprintf(out, outlen, "%s/spool", w->root);
}

/* The mirror of project at url, cloned when missing (to a temporary name, renamed when
 * complete) and pointed at url when agent.yml moved it. */
static int ensure_cache(const char *cache, const char *url, char *err, size_t errlen) {
  char tmp[BG_WORKSPACE_PATH_MAX + 300];
  struct stat st;
  if (stat(cache, &st) == 0) {
    struct bg_buf out;
    char gerr[256];
    int same = bg_git_exec(cache, (const char *const[]){"config", "remote.origin.url", NULL},
                           &out, gerr, sizeof gerr) == BG_OK &&
               out.data && !strncmp(out.data, url, strlen(url)) && out.data[strlen(url)] == '\n';
    bg_buf_free(&out);
    return same ? BG_OK
                : git(cache, err, errlen,
                      (const char *const[]){"remote", "set-url", "origin", url, NULL});
  }
  snprintf(tmp, sizeof tmp, "%s.tmp", cache);
  bg_workspace_remove_tree(tmp);
  int rc = git(NULL, err, errlen,
               (const char *const[]){"clone", "--mirror", "--quiet", "--", url, tmp, NULL});
  if (rc == BG_OK && rename(tmp, cache) < 0) {
    snprintf(err, errlen, "%s: cannot rename: %s", tmp, strerror(errno));
    rc = BG_EIO;
  }
  if (rc)
    bg_workspace_remove_tree(tmp);
  return rc;
}

static int has_commit(const char *cache, const char *sha) {
  char spec[80], err[256];
  snprintf(spec, sizeof spec, "%s^{commit}", sha);
  return git(cache, err, sizeof err, (const char *const[]){"cat-file", "-e", spec, NULL}) == BG_OK;
}

/* Fetches until the cache has sha: every ref of the mirror, then the sha itself (servers
 * that allow it hand out commits no ref names, such as a force-pushed pull request's). */
static int fetch_commit(const char *cache, const char *url, const char *sha, char *err,
                        size_t errlen) {
  char gerr[1024];
  if (has_commit(cache, sha))
    return BG_OK;
  int rc = git(cache, gerr, sizeof gerr,
               (const char *const[]){"fetch", "--prune", "--quiet", "origin", NULL});
  if (has_commit(cache, sha))
    return BG_OK;
  git(cache, err, errlen, (const char *const[]){"fetch", "--quiet", "origin", sha, NULL});
  if (has_commit(cache, sha))
    return BG_OK;
  snprintf(err, errlen, "commit %s is not in %s%s%s", sha, url, rc ? " (fetch failed: " : "",
           rc ? gerr : "");
  if (rc)
    snprintf(err + strlen(err), errlen - strlen(err), ")");
  return rc ? BG_EIO : BG_ENOENT;
}

/* A worktree of sha from project's mirror (fetched when it lacks it) at dir. */
static int checkout_at(struct bg_workspace *w, const char *project, const char *url,
                       const char *sha, const char *dir, char *err, size_t errlen) {
  char cache[BG_WORKSPACE_PATH_MAX + 128], mods[BG_WORKSPACE_PATH_MAX + 64];
  struct stat st;
  cache_path(w, project, cache, sizeof cache);
  int rc = ensure_cache(cache, url, err, errlen);
  if (rc == BG_OK)
    rc = fetch_commit(cache, url, sha, err, errlen);
  if (rc)
    return rc;
  rc = git(cache, err, errlen,
           (const char *const[]){"worktree", "add", "--detach", "--force", "--quiet", dir, sha,
                                 NULL});
  snprintf(mods, sizeof mods, "%s/.gitmodules", dir);
  if (rc == BG_OK && stat(mods, &st) == 0)
    rc = git(dir, err, errlen,
             (const char *const[]){"submodule", "update", "--init", "--recursive", "--quiet",
                                   NULL});
  return rc;
}

int bg_workspace_checkout(struct bg_workspace *w, const char *project, const char *url,
                          const char *sha, long long job, char *dir, size_t dirlen, char *err,
                          size_t errlen) {
  bg_workspace_release(w, project, job);
  job_path(w, job, dir, dirlen);
  return checkout_at(w, project, url, sha, dir, err, errlen);
}

int bg_workspace_checkout_base(struct bg_workspace *w, const char *project, const char *url,
                               const char *sha, long long job, char *dir, size_t dirlen,
                               char *err, size_t errlen) {
  char cache[BG_WORKSPACE_PATH_MAX + 128];
  cache_path(w, project, cache, sizeof cache);
  base_path(w, job, dir, dirlen);
  bg_workspace_remove_tree(dir);
  git(cache, err, errlen, (const char *const[]){"worktree", "prune", NULL});
  return checkout_at(w, project, url, sha, dir, err, errlen);
}

void bg_workspace_release(struct bg_workspace *w, const char *project, long long job) {
  char cache[BG_WORKSPACE_PATH_MAX + 128], dir[BG_WORKSPACE_PATH_MAX + 64], err[256];
  cache_path(w, project, cache, sizeof cache);
  job_path(w, job, dir, sizeof dir);
  bg_workspace_remove_tree(dir);
  base_path(w, job, dir, sizeof dir);
  bg_workspace_remove_tree(dir);
  git(cache, err, sizeof err, (const char *const[]){"worktree", "prune", NULL});
}
