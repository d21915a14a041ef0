/* api_runs.c: POST /api/v1/projects/{p}/runs (upload) and GET .../runs/{run_id}.
 *
 * An upload is parsed and validated by lib/run.c (field-named 400s), then stored with its
 * verdict (upload.c); the 201 is sent only once both are committed. A replay of the same run
 * answers 200 with the stored answer, a different run under the same run_id 409. At most
 * --max-uploads uploads are handled at once; one more is answered 503 with Retry-After
 * before its body is parsed (the agent tries again then).
 */
#include "api.h"

#include "jdoc.h"
#include "jsonpath.h"
#include "reads.h"
#include "upload.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static void lowercase(char *s) {
  for (; s && *s; s++)
    *s = (char)tolower((unsigned char)*s);
}

/* An upload holding one of the --max-uploads slots. */
static void upload_post(struct bg_req *req) {
  const struct bg_project *p = &req->project;
  struct bg_run *run = NULL;
  struct bg_ferr e;
  int replay = 0;
  int rc = bg_run_from_json(req->body, req->body_len, &run, &e);

  if (rc == BG_EPARSE) {
    /* Name the member where parsing stopped, so NaN in results[3].samples[7] reads as such. */
    char field[256];
    size_t at = 0;
    struct bg_jdoc d; /* the reader bg_run_from_json uses, so it stops at the same byte */
    bg_jdoc_init(&d);
    bg_jdoc_parse(&d, req->body, req->body_len, &at, NULL, 0);
    bg_jdoc_free(&d);
    bg_jsonpath_at(req->body, req->body_len, at, field, sizeof field);
    bg_api_error(req, 400, "malformed_json", field, "%s%s", e.message,
                 field[0] ? " (numbers must be finite JSON numbers: no NaN or Infinity)" : "");
    return;
  }
  if (rc) {
    bg_api_error(req, 400, "invalid_field", e.field, "%s", e.message);
    return;
  }
  /* run_id is case-insensitive; store and hash its lowercase form. */
  lowercase(run->run_id);
  if (run->confirms)
    lowercase(run->confirms);
  if ((rc = bg_upload_check_confirms(req->store, p, run, &e)) == BG_EINVAL) {
    bg_api_error(req, 400, "invalid_field", e.field, "%s", e.message);
    bg_run_free(run);
    return;
  }
  if (rc == BG_OK)
    rc = bg_upload_run(req->store, p, run, &replay, &req->out);
  if (rc == BG_ECONFLICT) {
    bg_api_error(req, 409, "conflict", "run_id",
                 "run %s was already uploaded with different content", run->run_id);
  } else if (rc) {
    bg_buf_reset(&req->out);
    bg_api_store_error(req, rc);
  } else {
    req->status = replay ? 200 : 201;
    snprintf(req->location, sizeof req->location, "/api/v1/projects/%s/runs/%s", p->slug,
             run->run_id);
  }
  bg_run_free(run);
}

/* Seconds an upload refused for the cap is told to wait: about what a large one takes. */
#define UPLOAD_RETRY_AFTER_S 2

void bg_api_runs_post(struct bg_req *req) {
  struct bg_db *db = bg_store_database(req->store);
  /* The cap comes before the parse: the parsed run is most of an upload's memory. */
  if (!bg_upload_slot_take(db, req->cfg->max_uploads)) {
    bg_api_error(req, 503, "too_many_uploads", NULL,
                 "%d uploads are in progress (--max-uploads); try again in %d s",
                 req->cfg->max_uploads, UPLOAD_RETRY_AFTER_S);
    snprintf(req->retry_after, sizeof req->retry_after, "%d", UPLOAD_RETRY_AFTER_S);
    return;
  }
  upload_post(req);
  bg_upload_slot_release(db);
}

void bg_api_run_get(struct bg_req *req) {
  const struct bg_project *p = &req->project;
  char id[BG_ROUTER_PARAM_MAX + 1];
  memcpy(id, req->match->id, sizeof id);
  lowercase(id);
  int rc = bg_valid_uuid(id) ? bg_reads_run_json(req->store, p, id, &req->out) : BG_ENOENT;
  if (rc == BG_ENOENT) {
    bg_buf_reset(&req->out);
    bg_api_error(req, 404, "run_not_found", NULL, "no run %.64s in project %s", id, p->slug);
  } else if (rc) {
    bg_buf_reset(&req->out);
    bg_api_store_error(req, rc);
  } else {
    req->status = 200;
  }
}
