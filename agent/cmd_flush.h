/* cmd_flush.h: `benchgate flush`, delivering the runs that `benchgate run` had to spool.
 *
 * Spooled runs go out oldest first, each to the server and project recorded with it (or to
 * --server). A run is deleted from the spool only after a 2xx answer (a replay answered 200
 * counts: the server stores each run_id once); a 5xx, a 429 or no answer keeps it for the
 * next flush, as does a 401 or 403 (the token is refused, not the run); any other 4xx moves
 * it to rejected/ with the server's message so it cannot block the queue. The pass itself is
 * deliver.h's bg_deliver_spool, which `benchgate run` and `serve` also call before new work.
 */
#ifndef BG_CMD_FLUSH_H
#define BG_CMD_FLUSH_H

/* Runs the subcommand; argv[0] is "flush". Exit code: 0 when the spool is empty afterwards
 * and nothing was rejected, 2 when some runs were rejected (usage errors too), 3 when some
 * remain spooled. */
int bg_cmd_flush_main(int argc, char **argv);

#endif
