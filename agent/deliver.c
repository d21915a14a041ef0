/* deliver.c: upload with retries, else the spool; and the spool's delivery (deliver.h). */
#include "deliver.h"

#include "cli.h"
#include "mem.h"
#include "spool.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- the spool ---------------------------------------------------------------------------- */

#define MAX_DEAD 16 /* servers remembered as unreachable during one pass */

static int is_dead(char *const *dead, size_t ndead, const char *server) {
  for (size_t i = 0; i < ndead; i++)
    if (!strcmp(dead[i], server))
      return 1;
  return 0;
}

int bg_deliver_spool(const char *dir, const char *server, const char *only_server,
                     const char *token, const struct bg_retry *retry, int quiet,
                     struct bg_spool_stats *st, char *err, size_t errlen) {
  struct bg_spool_entry *e = NULL;
  size_t n = 0, ndead = 0;
  char *dead[MAX_DEAD];
  memset(st, 0, sizeof *st);
  int rc = bg_spool_list(dir, &e, &n, err, errlen);
  if (rc != BG_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    struct bg_spool_run r;
    char msg[1024], path[512];
    if (bg_spool_read(e[i].path, &r, msg, sizeof msg) != BG_OK) {
      /* Unreadable as a spool file: set it aside so it cannot block the queue. */
      if (bg_spool_reject(dir, &e[i], msg, err, errlen) == BG_OK) {
        st->rejected++;
        if (!quiet)
          bg_cli_error("flush: %s; moved to %s/rejected/", msg, dir);
      } else {
        st->remaining++;
        if (!quiet)
          bg_cli_error("flush: %s", err);
      }
      continue;
    }
    const char *to = server ? server : r.server;
    if ((only_server && strcmp(only_server, r.server)) || !*to || is_dead(dead, ndead, to)) {
      st->remaining++;
      bg_spool_run_clear(&r);
      continue;
    }
    struct bg_client cl = {.server = to, .token = token, .connect_timeout_ms = 10000, .timeout_ms = 120000};
    struct bg_response res;
    snprintf(path, sizeof path, "/api/v1/projects/%s/runs", r.project);
    int urc =
        bg_client_request_retry(&cl, retry, "POST", path, r.run_json, &res, NULL, msg, sizeof msg);
    if (urc != BG_OK) {
      st->remaining++;
      if (urc == BG_ENET && ndead < MAX_DEAD)
        dead[ndead++] = bg_xstrdup(to);
      if (!quiet)
        bg_cli_error("flush: run %s kept: %s", e[i].run_id, msg);
    } else if (res.status >= 200 && res.status < 300) {
      if (bg_spool_remove(e[i].path, msg, sizeof msg) == BG_OK) {
        st->delivered++;
        if (!quiet)
          bg_cli_error("flush: delivered run %s to %s (%ld)", e[i].run_id, to, res.status);
      } else {
        st->remaining++;
        bg_cli_error("flush: run %s delivered but %s", e[i].run_id, msg);
      }
    } else if (res.status == 401 || res.status == 403) {
      /* The token, not the run, is refused: keep every run of this server for a later try. */
      char why[900];
      bg_client_error_message(&res, why, sizeof why);
      st->remaining++;
      if (ndead < MAX_DEAD)
        dead[ndead++] = bg_xstrdup(to);
      if (!quiet)
        bg_cli_error("flush: %s refused the token (%ld: %s); runs kept", to, res.status, why);
    } else if (res.status >= 400 && res.status < 500 && res.status != 429) {
      char why[900], full[1000];
      bg_client_error_message(&res, why, sizeof why);
      snprintf(full, sizeof full, "%s answered %ld: %s", to, res.status, why);
      if (bg_spool_reject(dir, &e[i], full, msg, sizeof msg) == BG_OK) {
        st->rejected++;
        if (!quiet)
          bg_cli_error("flush: run %s rejected (%s); moved to %s/rejected/", e[i].run_id, full,
                       dir);
      } else {
        st->remaining++;
        bg_cli_error("flush: run %s rejected (%s) and %s", e[i].run_id, full, msg);
      }
    } else {
      st->remaining++;
      if (!quiet)
        bg_cli_error("flush: run %s kept: server answered %ld", e[i].run_id, res.status);
    }
    if (urc == BG_OK)
      bg_response_free(&res);
    bg_spool_run_clear(&r);
  }
  for (size_t i = 0; i < ndead; i++)
    free(dead[i]);
  bg_spool_list_free(e, n);
  return BG_OK;
}
