/* api_outbox.c: GET /api/v1/outbox, the writes to GitHub that wait or failed (admin). */
#include "api.h"
#include "outbox_store.h"

void bg_api_outbox(struct bg_req *req) {
  int rc = bg_outbox_list_json(req->store, &req->out);
  if (rc) {
    bg_api_store_error(req, rc);
    return;
  }
  req->status = 200;
}
