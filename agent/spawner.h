/* spawner.h: starts benchmark processes from a small helper process, so that their max RSS
 * is their own.
 *
 * The kernel records, at exec, the resident-set high-water mark of the memory the process
 * had before exec, and reports the larger of that and the new program's peak as the
 * process's ru_maxrss. A child the agent forks or vforks itself therefore reports at least
 * the agent's own resident memory. The spawner is a tiny static program (spawner/main.c),
 * exec'd once per suite from an in-memory copy of the image embedded in the agent; each
 * repetition's process is cloned from it with the agent as its parent (CLONE_PARENT), so the
 * agent waits for it, kills its process group and attaches counters to it as before.
 */
#ifndef BG_SPAWNER_H
#define BG_SPAWNER_H

#include "childexec.h"
#include "error.h"

#include <stddef.h>
#include <sys/types.h>

struct bg_spawner {
  pid_t pid; /* the helper; 0 when not running */
  int sock;  /* the agent's end of the request socket; -1 when not running */
};

/* Starts the helper for processes set up as `spec` says (cwd, CPUs, ASLR, argv, envp),
 * with stdin from `devnull`. Returns BG_OK, or BG_EIO with the reason in err when the helper
 * cannot run here (memfd_create or exec refused, no /proc); sp is then not running. */
int bg_spawner_start(struct bg_spawner *sp, const struct bg_childexec_spec *spec, int devnull,
                     char *err, size_t errlen);

/* Starts one process: fds->out, fds->err, fds->status and fds->sync (-1: none) as
 * childexec.h says (fds->in is ignored: the helper's stdin is used). The agent keeps its
 * descriptors. Returns BG_OK with *pid, the agent's new child, or BG_EIO with err. */
int bg_spawner_spawn(struct bg_spawner *sp, const struct bg_childexec_fds *fds, pid_t *pid,
                     char *err, size_t errlen);

/* Ends the helper and reaps it. Accepts a spawner that is not running. */
void bg_spawner_stop(struct bg_spawner *sp);

#endif
