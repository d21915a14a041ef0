/* cmd_flush.h: `benchgate flush`, delivering the runs that `benchgate run` had to spool.
 *
 * Spooled runs go out oldest first, each to the server and project recorded with it (or to
 * --server). A run is deleted from the spool only after a 2xx answer (a replay answered 200
 * counts: the server stores each run_id once); a 5xx, a 429 or no answer keeps it for the
 * next flush, as does a 401 or 403 (the token is refused, not the run); any other 4xx moves
 * it to rejected/ with the server's message so it cannot block the queue. `benchgate run` calls bg_cmd_flush_spool before its own work, best effort.
 */
#ifndef BG_CMD_FLUSH_H
#define BG_CMD_FLUSH_H

#include "client.h"

#include <stddef.h>

/* What one pass over the spool did. */
struct bg_flush_stats {
  size_t delivered; /* answered 2xx and deleted */
  size_t remaining; /* still spooled: server failing or unreachable */
  size_t rejected;  /* moved to rejected/ */
};

/* Delivers the runs spooled in `dir`. `server` (may be NULL) replaces each run's recorded
 * server; `only_server` (may be NULL) skips runs recorded for any other server (so that a
 * token is never sent where the user did not point it). `token` may be NULL. Once a server
 * proves unreachable, its other runs stay spooled without further tries. Reports each run
 * on stderr unless `quiet`. Returns BG_OK with *st filled, or BG_EIO when the spool cannot
 * be listed (message in err). */
int bg_cmd_flush_spool(const char *dir, const char *server, const char *only_server,
                       const char *token, const struct bg_retry *retry, int quiet,
                       struct bg_flush_stats *st, char *err, size_t errlen);

/* Runs the subcommand; argv[0] is "flush". Exit code: 0 when the spool is empty afterwards
 * and nothing was rejected, 2 when some runs were rejected (usage errors too), 3 when some
 * remain spooled. */
int bg_cmd_flush_main(int argc, char **argv);

#endif
