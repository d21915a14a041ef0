/* deliver.h: a run on its way to the server: uploaded with retries, else kept in the spool.
 *
 * `benchgate run` and `benchgate serve` hand a finished run over the same way: POST it to the
 * project's runs, try again with backoff while the server is unreachable or failing (5xx,
 * 429), and when it stays so, write the run into the spool (spool.h) so that nothing measured
 * is lost; bg_deliver_spool, called by `benchgate flush` and before the next run or job,
 * delivers it later. A final answer (2xx,
 * or a 4xx: the server refuses this run, another try would not change that) is the caller's
 * to judge.
 */
#ifndef BG_DELIVER_H
#define BG_DELIVER_H

#include "client.h"
#include "run.h"

#include <stddef.h>

struct bg_delivery {
  const char *server, *token, *project;
  const char *spool;            /* the spool directory; NULL: none could be named */
  const struct bg_retry *retry; /* NULL: bg_retry_from_env */
};

/* Uploads `run`. Returns BG_OK with the final answer in *res (2xx or 4xx; the caller frees
 * it); BG_EINVAL for a bad server URL (nothing sent); BG_ENET when no try got a final answer
 * and the run went to the spool, at `spooled` (err says why it was not delivered); BG_EIO
 * when it could not be spooled either (err says both). */
int bg_deliver_run(const struct bg_delivery *d, const struct bg_run *run, struct bg_response *res,
                   char *spooled, size_t spooledlen, char *err, size_t errlen);

/* What one pass over the spool did. */
struct bg_spool_stats {
  size_t delivered; /* answered 2xx and deleted */
  size_t remaining; /* still spooled: server failing or unreachable */
  size_t rejected;  /* moved to rejected/ */
};

/* Delivers the runs spooled in `dir`, oldest first: a 2xx answer (a replay too) removes a
 * run, a 5xx, a 429, no answer, a 401 or a 403 keep it, any other 4xx moves it to rejected/.
 * `server` (may be NULL) replaces each run's recorded server; `only_server` (may be NULL) skips runs recorded for any other server (so that a
 * token is never sent where the user did not point it). `token` may be NULL. Once a server
 * proves unreachable, its other runs stay spooled without further tries. Reports each run
 * on stderr unless `quiet`. Returns BG_OK with *st filled, or BG_EIO when the spool cannot
 * be listed (message in err). */
int bg_deliver_spool(const char *dir, const char *server, const char *only_server,
                       const char *token, const struct bg_retry *retry, int quiet,
                       struct bg_spool_stats *st, char *err, size_t errlen);

#endif
