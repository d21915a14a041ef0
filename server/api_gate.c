/* api_gate.c: the gate's endpoints: a commit's verdict, a comparison of two commits, alerts
 * and their acknowledgement.
 *
 * Verdicts are computed at upload (api_runs.c through the store) and served as stored; a
 * comparison runs the same gate on demand; acknowledging an alert (admin) re-evaluates the
 * commit's verdict in the same transaction (ack.c).
 */
#include "api.h"

#include "ack.h"
#include "alerts.h"
#include "valid.h"
#include "verdict.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX 2000

static void answer(struct bg_req *req, int rc, const struct bg_ferr *e) {
  if (rc == BG_OK) {
    req->status = 200;
    return;
  }
  bg_buf_reset(&req->out);
  if (rc == BG_EINVAL && e)
    bg_api_error(req, 400, "invalid_param", e->field, "%s", e->message);
  else if (rc == BG_ENOENT && e && e->field[0])
    bg_api_error(req, 404, "not_found", e->field, "%s", e->message);
  else
    bg_api_store_error(req, rc);
}

/* Reads an optional testbed parameter. Returns 1, or answers 400. */
static int testbed_param(struct bg_req *req, const char **out) {
  *out = bg_api_query(req, "testbed");
  if (*out && !bg_valid_testbed(*out)) {
    bg_api_error(req, 400, "invalid_param", "testbed", "must match [A-Za-z0-9._-]{1,64}");
    return 0;
  }
  return 1;
}

void bg_api_verdict(struct bg_req *req) {
  const struct bg_project *p = &req->project;
  struct bg_ferr e = {{0}, {0}};
  const char *testbed;
  char sha[65];
  if (!testbed_param(req, &testbed) || !bg_api_commit_sha(req, p, req->match->id, NULL, sha))
    return;
  answer(req, bg_verdict_commit_json(req->store, p, sha, testbed, &req->out, &e), &e);
}

void bg_api_compare(struct bg_req *req) {
  const struct bg_project *p = &req->project;
  struct bg_ferr e = {{0}, {0}};
  const char *testbed;
  char base[65], head[65];
  if (!testbed_param(req, &testbed) ||
      !bg_api_commit_sha(req, p, bg_api_query(req, "base"), "base", base) ||
      !bg_api_commit_sha(req, p, bg_api_query(req, "head"), "head", head))
    return;
  answer(req, bg_verdict_compare_json(req->store, p, base, head, testbed, &req->out, &e), &e);
}

void bg_api_alerts(struct bg_req *req) {
  const struct bg_project *p = &req->project;
  const char *state = bg_api_query(req, "state");
  if (!state)
    state = "open";
  if (strcmp(state, "open") && strcmp(state, "acknowledged") && strcmp(state, "all")) {
    bg_api_error(req, 400, "invalid_param", "state", "must be open, acknowledged or all");
    return;
  }
  int rc = bg_alerts_json(req->store, p, strcmp(state, "all") ? state : NULL, &req->out);
  answer(req, rc, NULL);
}

void bg_api_alert_ack(struct bg_req *req) {
  const struct bg_project *p = &req->project;
  cJSON *body = NULL;
  char *end;
  errno = 0;
  long long id = strtoll(req->match->id, &end, 10);
  if (errno || end == req->match->id || *end || id < 1) {
    bg_api_error(req, 404, "alert_not_found", NULL, "no alert %.64s in project %s", req->match->id,
                 p->slug);
    return;
  }
  body = cJSON_ParseWithLength(req->body, req->body_len);
  const cJSON *note = cJSON_GetObjectItemCaseSensitive(body, "note");
  if (!cJSON_IsObject(body)) {
    bg_api_error(req, 400, "malformed_json", NULL, "the body must be a JSON object {\"note\"}");
    goto out;
  }
  if (!cJSON_IsString(note) || !note->valuestring[0] || strlen(note->valuestring) > NOTE_MAX ||
      !bg_valid_text(note->valuestring, strlen(note->valuestring), 1)) {
    bg_api_error(req, 400, "invalid_field", "note",
                 "required: why the change is accepted (1-%d bytes of text)", NOTE_MAX);
    goto out;
  }
  char whotext[64];
  snprintf(whotext, sizeof whotext, "token %lld", req->who.token_id);
  int rc = bg_ack_alert(req->store, p, id, note->valuestring, whotext, &req->out);
  if (rc == BG_ENOENT) {
    bg_buf_reset(&req->out);
    bg_api_error(req, 404, "alert_not_found", NULL, "no alert %lld in project %s", id, p->slug);
  } else if (rc == BG_ECONFLICT) {
    bg_buf_reset(&req->out);
    bg_api_error(req, 409, "conflict", NULL, "alert %lld is already acknowledged", id);
  } else {
    answer(req, rc, NULL);
  }
out:
  cJSON_Delete(body);
}
