/* verdict_wait.c: reading a commit's verdict from the server's answers. */
#include "verdict_wait.h"

#include "mem.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_string(const cJSON *o, const char *key, char *out, size_t outlen) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, key);
  snprintf(out, outlen, "%s", cJSON_IsString(s) ? s->valuestring : "");
}

void bg_verdict_parse(const char *body, struct bg_verdict *v) {
  cJSON *root = cJSON_Parse(body ? body : "");
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "verdict");
  if (!cJSON_IsObject(o))
    o = root;
  copy_string(o, "state", v->state, sizeof v->state);
  copy_string(o, "summary", v->summary, sizeof v->summary);
  copy_string(cJSON_GetObjectItemCaseSensitive(o, "baseline"), "branch", v->baseline_branch,
              sizeof v->baseline_branch);
  const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "markdown");
  free(v->markdown);
  v->markdown = cJSON_IsString(md) ? bg_xstrdup(md->valuestring) : NULL;
  v->summarized = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "summarized"));
  cJSON_Delete(root);
}

void bg_verdict_clear(struct bg_verdict *v) {
  if (!v)
    return;
  free(v->markdown);
  memset(v, 0, sizeof *v);
}

int bg_verdict_pending(const char *state) {
  return !*state || !strcmp(state, "pending") || !strcmp(state, "queued") ||
         !strcmp(state, "running");
}

int bg_verdict_fetch(const struct bg_client *cl, const struct bg_retry *r, const char *project,
                     const char *sha, const char *testbed, struct bg_verdict *v, char *code,
                     size_t codelen, char *err, size_t errlen) {
  char path[1024], msg[512];
  struct bg_response res;
  if (code && codelen)
    code[0] = '\0';
  snprintf(path, sizeof path, "/api/v1/projects/%s/commits/%s/verdict?testbed=%s", project, sha,
           testbed);
  int rc = bg_client_request_retry(cl, r, "GET", path, NULL, &res, NULL, err, errlen);
  if (rc != BG_OK)
    return rc == BG_EINVAL ? BG_EINVAL : BG_ENET;
  if (res.status >= 200 && res.status < 300) {
    bg_verdict_parse(res.body.data, v);
    bg_response_free(&res);
    return BG_OK;
  }
  bg_client_error_message(&res, msg, sizeof msg);
  snprintf(err, errlen, "verdict: server answered %ld: %s", res.status, msg);
  if (code)
    bg_client_error_code(&res, code, codelen);
  rc = res.status == 404                        ? BG_ENOENT
       : res.status == 401 || res.status == 403 ? BG_EAUTH
       : bg_retry_worth(BG_OK, res.status)      ? BG_ENET
                                                : BG_EINVAL;
  bg_response_free(&res);
  return rc;
}
