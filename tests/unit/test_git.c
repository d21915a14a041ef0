/* test_git.c: commit metadata, branch and fork point from a real temporary git repository. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "git.h"
#include "valid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char repo[64];

static void sh(const char *fmt, ...) {
  char cmd[2048], full[2300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  snprintf(full, sizeof full, "cd %s && (%s) >/dev/null 2>&1", repo, cmd);
  if (system(full) != 0)
    fail_msg("command failed: %s", cmd);
}

/* Output of a git command in the repo, trimmed. */
static void out(char *buf, size_t len, const char *cmd) {
  char full[512];
  snprintf(full, sizeof full, "cd %s && %s", repo, cmd);
  FILE *p = popen(full, "r");
  assert_non_null(p);
  if (!fgets(buf, (int)len, p))
    buf[0] = '\0';
  pclose(p);
  buf[strcspn(buf, "\n")] = '\0';
}

/* main: A (root) - B; feature: from A, then C with a subject and body; detached at C. */
static int setup(void **state) {
  (void)state;
  snprintf(repo, sizeof repo, "/tmp/bg_git_XXXXXX");
  if (!mkdtemp(repo))
    return -1;
  setenv("GIT_AUTHOR_NAME", "A. Dev", 1);
  setenv("GIT_AUTHOR_EMAIL", "a@example.org", 1);
  setenv("GIT_COMMITTER_NAME", "C. Ommitter", 1);
  setenv("GIT_COMMITTER_EMAIL", "c@example.org", 1);
  setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
  unsetenv("GITHUB_HEAD_REF");
  unsetenv("GITHUB_REF_NAME");
  sh("git init -q -b main");
  sh("echo a > f && git add f && GIT_COMMITTER_DATE='2026-11-19T12:00:00+02:00' "
     "git commit -q -m A");
  sh("git branch feature/x");
  sh("echo b > f && GIT_COMMITTER_DATE='2026-11-20T09:00:00Z' git commit -q -am B");
  sh("git checkout -q feature/x && echo c > g && git add g && "
     "GIT_COMMITTER_DATE='2026-11-20T12:00:00+02:00' "
     "git commit -q -m 'Speed up the tokenizer' -m 'It was slow.'");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", repo);
  return system(cmd) == 0 ? 0 : -1;
}

static void reads_head_commit_metadata(void **state) {
  (void)state;
  struct bg_git_commit c;
  char err[512], head[64], parent[64];
  out(head, sizeof head, "git rev-parse HEAD");
  out(parent, sizeof parent, "git rev-parse main~1");
  assert_int_equal(bg_git_commit_read(repo, "HEAD", &c, err, sizeof err), BG_OK);
  assert_string_equal(c.sha, head);
  assert_true(bg_valid_sha(c.sha));
  assert_int_equal(c.nparents, 1);
  assert_string_equal(c.parents[0], parent);
  assert_string_equal(c.message, "Speed up the tokenizer\n\nIt was slow.");
  assert_string_equal(c.author, "A. Dev <a@example.org>");
  assert_string_equal(c.timestamp, "2026-11-20T10:00:00Z");
  bg_git_commit_clear(&c);
}

static void root_commit_has_no_parents_and_merge_has_two(void **state) {
  (void)state;
  struct bg_git_commit c;
  char err[512];
  assert_int_equal(bg_git_commit_read(repo, "main~1", &c, err, sizeof err), BG_OK);
  assert_int_equal(c.nparents, 0);
  assert_string_equal(c.message, "A");
  assert_string_equal(c.timestamp, "2026-11-19T10:00:00Z");
  bg_git_commit_clear(&c);
  sh("git checkout -q -b merged main && git merge -q --no-edit feature/x");
  assert_int_equal(bg_git_commit_read(repo, "merged", &c, err, sizeof err), BG_OK);
  assert_int_equal(c.nparents, 2);
  bg_git_commit_clear(&c);
  sh("git checkout -q feature/x && git branch -q -D merged");
}

static void unknown_revision_and_non_repository_are_errors(void **state) {
  (void)state;
  struct bg_git_commit c;
  char err[512];
  assert_int_equal(bg_git_commit_read(repo, "nosuchbranch", &c, err, sizeof err), BG_EIO);
  assert_non_null(strstr(err, "git log"));
  assert_null(c.sha);
  assert_int_equal(bg_git_commit_read("/", "HEAD", &c, err, sizeof err), BG_EIO);
  assert_int_equal(bg_git_commit_read(repo, "--all", &c, err, sizeof err), BG_EINVAL);
}

static void branch_comes_from_the_symbolic_ref(void **state) {
  (void)state;
  char *b = NULL, err[512];
  assert_int_equal(bg_git_branch(repo, &b, err, sizeof err), BG_OK);
  assert_string_equal(b, "feature/x");
  free(b);
}

static void detached_head_uses_ci_variables_or_asks_for_branch(void **state) {
  (void)state;
  char *b = NULL, err[512];
  sh("git checkout -q --detach HEAD");
  assert_int_equal(bg_git_branch(repo, &b, err, sizeof err), BG_EINVAL);
  assert_null(b);
  assert_non_null(strstr(err, "--branch"));
  setenv("GITHUB_REF_NAME", "main", 1);
  assert_int_equal(bg_git_branch(repo, &b, err, sizeof err), BG_OK);
  assert_string_equal(b, "main");
  free(b);
  setenv("GITHUB_HEAD_REF", "pr-branch", 1);
  assert_int_equal(bg_git_branch(repo, &b, err, sizeof err), BG_OK);
  assert_string_equal(b, "pr-branch");
  free(b);
  unsetenv("GITHUB_HEAD_REF");
  unsetenv("GITHUB_REF_NAME");
  sh("git checkout -q feature/x");
}

static void finds_default_branch_and_fork_point(void **state) {
  (void)state;
  char *def = bg_git_default_branch(repo), *fork = NULL, err[512], a[64];
  assert_string_equal(def, "main");
  out(a, sizeof a, "git rev-parse main~1");
  assert_int_equal(bg_git_fork_point(repo, "HEAD", def, &fork, err, sizeof err), BG_OK);
  assert_string_equal(fork, a);
  free(fork);
  assert_int_equal(bg_git_fork_point(repo, "HEAD", "nosuch", &fork, err, sizeof err), BG_ENOENT);
  assert_null(fork);
  assert_non_null(strstr(err, "--baseline-sha"));
  free(def);
}

static void default_branch_prefers_origin_head(void **state) {
  (void)state;
  sh("git branch -q trunk main && git update-ref refs/remotes/origin/trunk main && "
     "git symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/trunk");
  char *def = bg_git_default_branch(repo);
  assert_string_equal(def, "trunk");
  free(def);
  sh("git symbolic-ref --delete refs/remotes/origin/HEAD && "
     "git update-ref -d refs/remotes/origin/trunk && git branch -q -D trunk");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reads_head_commit_metadata),
      cmocka_unit_test(root_commit_has_no_parents_and_merge_has_two),
      cmocka_unit_test(unknown_revision_and_non_repository_are_errors),
      cmocka_unit_test(branch_comes_from_the_symbolic_ref),
      cmocka_unit_test(detached_head_uses_ci_variables_or_asks_for_branch),
      cmocka_unit_test(finds_default_branch_and_fork_point),
      cmocka_unit_test(default_branch_prefers_origin_head),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
