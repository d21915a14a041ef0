/* deliver.h: a run on its way to the server: uploaded with retries, else kept in the spool.
 *
 * `benchgate run` and `benchgate serve` hand a finished run over the same way: POST it to the
 * project's runs, try again with backoff while the server is unreachable or failing (5xx,
 * 429), and when it stays so, write the run into the spool (spool.h) so that nothing measured
 * is lost; `benchgate flush`, and the next run or job, deliver it later. A final answer (2xx,
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

#endif
