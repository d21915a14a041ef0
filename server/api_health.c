/* api_health.c: GET /healthz, whether the server and its database answer. */
#include "api.h"

#include <stdio.h>

void bg_api_healthz(struct bg_req *req) {
  if (bg_store_ping(req->store) != BG_OK) {
    fprintf(stderr, "benchgated: health check: %s\n", bg_store_errmsg(req->store));
    bg_api_error(req, 503, "database_unavailable", NULL, "the database does not answer");
    return;
  }
  req->status = 200;
  bg_buf_puts(&req->out, "{\"status\":\"ok\",\"database\":\"ok\"}");
}
