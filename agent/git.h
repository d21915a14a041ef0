/* git.h: what `benchgate run` needs to know about the checkout it runs in.
 *
 * git is run with fork/exec (never through a shell) in the given directory, with its output
 * capped. The commit's metadata, its branch (or, in a detached HEAD on CI, the branch the CI
 * names in GITHUB_HEAD_REF / GITHUB_REF_NAME) and the fork point from the default branch are
 * read here; cmd_run fills the run's commit and baseline from them.
 */
#ifndef BG_GIT_H
#define BG_GIT_H

#include "buf.h"
#include "error.h"

#include <stddef.h>

#define BG_GIT_OUTPUT_MAX (1u << 20) /* bytes of git output kept */

struct bg_git_commit {
  char *sha;
  char **parents;
  size_t nparents;
  char *message;   /* subject and body, trailing newlines removed */
  char *author;    /* "Name <email>" */
  char *timestamp; /* committer date, RFC 3339 UTC ("2026-11-20T12:00:00Z") */
};

/* Runs `git -C dir ARGS...` (argv is NULL-terminated, without "git") and collects stdout into
 * `out` (capped at BG_GIT_OUTPUT_MAX; initialised by this function, freed by the caller with
 * bg_buf_free). Returns BG_OK when git exits 0; BG_EIO otherwise with git's stderr (or the
 * exit status) in err; BG_ENOENT when git is not installed. */
int bg_git_exec(const char *dir, const char *const *argv, struct bg_buf *out, char *err,
                size_t errlen);

/* Reads commit `rev` ("HEAD", a sha) of the repository at `dir` (NULL: current directory).
 * Returns BG_OK and fills *c (free with bg_git_commit_clear), or BG_EIO with git's message. */
int bg_git_commit_read(const char *dir, const char *rev, struct bg_git_commit *c, char *err,
                       size_t errlen);

/* Frees the members of *c and zeroes it. Accepts NULL. */
void bg_git_commit_clear(struct bg_git_commit *c);

/* The branch that is checked out: HEAD's symbolic ref; in a detached HEAD the non-empty value
 * of GITHUB_HEAD_REF, else GITHUB_REF_NAME. Returns BG_OK with a new string in *branch (the
 * caller frees it), or BG_EINVAL with a message asking for --branch. */
int bg_git_branch(const char *dir, char **branch, char *err, size_t errlen);

/* The repository's default branch: origin/HEAD's target when known, else the first of
 * "main" and "master" that exists locally or on origin, else "main". Returns a new string. */
char *bg_git_default_branch(const char *dir);

/* The path of directory `dir` (NULL: the current one) inside its repository: "" at the
 * top, else "sub/dir/", into out. BG_OK, or BG_EIO with git's message in err. */
int bg_git_prefix(const char *dir, char *out, size_t outlen, char *err, size_t errlen);

/* The fork point of `rev` from `default_branch`: git merge-base with origin/<default>, else
 * with <default>. Returns BG_OK with a new sha in *sha (caller frees), or BG_ENOENT when
 * neither exists or they share no history (message in err). */
int bg_git_fork_point(const char *dir, const char *rev, const char *default_branch, char **sha,
                      char *err, size_t errlen);

#endif
