/* deliver.c: upload with retries, else the spool (deliver.h). */
#include "deliver.h"

#include "spool.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

/* Writes the run into the spool; err gets why it was not delivered (`why`), and why it could
 * not be spooled either when that failed. */
static int spool(const struct bg_delivery *d, const struct bg_run *run, const char *body,
                 const char *why, char *spooled, size_t spooledlen, char *err, size_t errlen) {
  char serr[4400];
  if (!d->spool) {
    snprintf(err, errlen, "%s; cannot spool the run: no spool directory (set BENCHGATE_SPOOL "
                          "or --spool)",
             why);
    return BG_EIO;
  }
  if (bg_spool_write(d->spool, d->server, d->project, run->run_id, body, spooled, spooledlen,
                     serr, sizeof serr) != BG_OK) {
    snprintf(err, errlen, "%s; cannot spool the run: %s", why, serr);
    return BG_EIO;
  }
  snprintf(err, errlen, "%s", why);
  return BG_ENET;
}

int bg_deliver_run(const struct bg_delivery *d, const struct bg_run *run, struct bg_response *res,
                   char *spooled, size_t spooledlen, char *err, size_t errlen) {
  struct bg_client cl = {.server = d->server, .token = d->token, .connect_timeout_ms = 10000,
                         .timeout_ms = 120000};
  char path[512], why[1400];
  snprintf(path, sizeof path, "/api/v1/projects/%s/runs", d->project);
  if (spooledlen)
    spooled[0] = '\0';
  char *body = bg_run_to_json(run, 0);
  int rc = bg_client_request_retry(&cl, d->retry, "POST", path, body, res, NULL, why, sizeof why);
  if (rc == BG_OK && bg_retry_worth(rc, res->status)) {
    char msg[512];
    bg_client_error_message(res, msg, sizeof msg);
    snprintf(why, sizeof why, "upload: server answered %ld: %s", res->status, msg);
    bg_response_free(res);
    rc = BG_ENET;
  }
  if (rc == BG_ENET || rc == BG_ETOOBIG)
    rc = spool(d, run, body, why, spooled, spooledlen, err, errlen);
  else if (rc != BG_OK)
    snprintf(err, errlen, "%s", why);
  cJSON_free(body);
  return rc;
}
