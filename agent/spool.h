/* spool.h: runs the server could not take yet, kept on disk until `benchgate flush`.
 *
 * The spool is a directory with one file per run, "<run_id>.json", holding an envelope
 * {"spool":"benchgate.spool/v1","server","project","spooled_at","run":{...}} so that a
 * later flush knows where the run was going. Files are written to a hidden temporary name,
 * synced and renamed into place, so a crash mid-write never leaves a half file under a name
 * that bg_spool_list returns. Runs the server rejected (4xx) are moved to "rejected/" next
 * to a "<run_id>.error" text, so one bad file cannot block the queue. No token is stored.
 */
#ifndef BG_SPOOL_H
#define BG_SPOOL_H

#include "error.h"

#include <stddef.h>

#define BG_SPOOL_MAX_BYTES (64u << 20) /* spool files larger than this are not read */

/* One spooled run as bg_spool_list finds it. All strings are owned. */
struct bg_spool_entry {
  char *path;   /* the file */
  char *run_id; /* from the file name */
  long long mtime_ns;
};

/* One spooled run as bg_spool_read gives it. All strings are owned. */
struct bg_spool_run {
  char *server;
  char *project;
  char *run_json; /* the run payload, compact JSON */
};

/* Picks the spool directory: `flag` (--spool) when not NULL, else $BENCHGATE_SPOOL, else
 * $XDG_STATE_HOME/benchgate/spool, else $HOME/.local/state/benchgate/spool. Writes it into
 * out. Returns BG_OK, or BG_EINVAL when none can be named (no HOME) or it is too long. */
int bg_spool_dir(const char *flag, char *out, size_t outlen);

/* Writes one run atomically into `dir` (created with its parents, mode 0700, when missing)
 * as "<run_id>.json"; an existing file of that run is replaced. `run_json` is the run
 * payload; `server` and `project` say where it goes. The full path goes into path_out
 * (may be NULL). Returns BG_OK; BG_EINVAL for a run_id that is not a UUID or JSON that does
 * not parse; BG_EIO when the disk refuses (message with the path in err). */
int bg_spool_write(const char *dir, const char *server, const char *project, const char *run_id,
                   const char *run_json, char *path_out, size_t pathlen, char *err, size_t errlen);

/* Lists the spooled runs of `dir`, oldest first (by modification time, then name). Only
 * "<uuid>.json" files count: temporary files and rejected/ are skipped. A missing directory
 * is an empty spool. On BG_OK *out (free with bg_spool_list_free) holds *n entries. BG_EIO
 * when the directory cannot be read. */
int bg_spool_list(const char *dir, struct bg_spool_entry **out, size_t *n, char *err,
                  size_t errlen);

/* Frees a listing of n entries and what they own. Accepts NULL. */
void bg_spool_list_free(struct bg_spool_entry *e, size_t n);

/* Reads one spool file. On BG_OK fills *r (free with bg_spool_run_clear). BG_EIO when it
 * cannot be read, BG_EPARSE when it is not a spool envelope (message names the file and the
 * field). */
int bg_spool_read(const char *path, struct bg_spool_run *r, char *err, size_t errlen);

/* Frees what a read run owns and zeroes it. Accepts NULL. */
void bg_spool_run_clear(struct bg_spool_run *r);

/* Deletes a delivered run's file. Returns BG_OK or BG_EIO. */
int bg_spool_remove(const char *path, char *err, size_t errlen);

/* Moves a rejected run's file to `dir`/rejected/ and writes `reason` next to it as
 * "<run_id>.error". Returns BG_OK or BG_EIO. */
int bg_spool_reject(const char *dir, const struct bg_spool_entry *e, const char *reason, char *err,
                    size_t errlen);

#endif
