/* workspace.h: the work directory of `benchgate serve`: a cache clone per repository and a
 * worktree per job.
 *
 *   <workdir>/repos/<project>.git   a bare mirror of the project's repository; a job's commit
 *                                   is fetched into it when it is not there yet
 *   <workdir>/jobs/<job id>/        the job's commit checked out (git worktree, submodules
 *                                   too), removed when the job ends
 *   <workdir>/jobs/<job id>.base/   the base commit of an interleaved job (measure_ab.h),
 *                                   removed with the job's checkout
 *   <workdir>/spool/                runs the server could not take yet (spool.h)
 *   <workdir>/agent.lock            held (flock) while an agent works here
 *
 * The mirror makes a job's checkout cost a `git worktree add` of a local commit, not a clone:
 * the agent's own time around a job stays well under a second for a cached repository. One
 * agent per work directory: a second one is refused at the lock rather than have two agents
 * share worktrees. A crash leaves at most a stale worktree and a half clone (`*.tmp`); the
 * next start removes both.
 */
#ifndef BG_WORKSPACE_H
#define BG_WORKSPACE_H

#include "error.h"

#include <stddef.h>

#define BG_WORKSPACE_PATH_MAX 4096

struct bg_workspace {
  char root[BG_WORKSPACE_PATH_MAX];
  int lock_fd;
};

/* Opens the work directory `root` (created with its parents when missing), takes its lock and
 * removes what a crashed agent left. BG_OK; BG_EBUSY when another agent holds the lock;
 * BG_EIO when the directory cannot be made or used (message with the path in err). */
int bg_workspace_open(struct bg_workspace *w, const char *root, char *err, size_t errlen);

/* Releases the lock. */
void bg_workspace_close(struct bg_workspace *w);

/* The spool directory inside the work directory, into out. */
void bg_workspace_spool(const struct bg_workspace *w, char *out, size_t outlen);

/* Checks out commit `sha` of `project`'s repository at `url` for job `job`: the mirror is made
 * on first use and fetched when it lacks the commit (its branches and pull-request refs, then
 * the sha itself). The checkout's directory goes into dir. BG_OK; BG_ENOENT when the commit
 * is not in the repository after fetching; BG_EIO when git fails (git's message in err). */
int bg_workspace_checkout(struct bg_workspace *w, const char *project, const char *url,
                          const char *sha, long long job, char *dir, size_t dirlen, char *err,
                          size_t errlen);

/* Checks out base commit `sha` for job `job` next to the job's checkout, as
 * bg_workspace_checkout (the same mirror); bg_workspace_release removes it with the job's. */
int bg_workspace_checkout_base(struct bg_workspace *w, const char *project, const char *url,
                               const char *sha, long long job, char *dir, size_t dirlen,
                               char *err, size_t errlen);

/* Removes job `job`'s checkouts of `project`, its own and its base's (whatever the builds
 * left in them too). */
void bg_workspace_release(struct bg_workspace *w, const char *project, long long job);

/* rm -rf path, never following symlinks (a build may leave one pointing anywhere). */
void bg_workspace_remove_tree(const char *path);

#endif
