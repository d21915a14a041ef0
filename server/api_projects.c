/* api_projects.c: GET/POST /api/v1/projects and GET /api/v1/projects/{p} (project_reads.h
 * reads what they list). */
#include "api.h"
#include "confirm.h"
#include "interleave.h"

#include "project_reads.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

void bg_api_projects_list(struct bg_req *req) {
  struct bg_buf list;
  bg_buf_init(&list, 0);
  /* A token bound to one project sees only that project; no token (project 0) sees all. */
  int rc = bg_project_reads_list_json(req->store, req->who.project_id, &list);
  if (rc) {
    bg_api_store_error(req, rc);
  } else {
    req->status = 200;
    bg_buf_puts(&req->out, "{\"projects\":");
    bg_buf_append(&req->out, list.data, list.len);
    bg_buf_puts(&req->out, "}");
  }
  bg_buf_free(&list);
}

/* Reads an optional string member; 0 and an error answer when it has another type. */
static int member(struct bg_req *req, const cJSON *o, const char *key, const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = NULL;
  if (!v || cJSON_IsNull(v))
    return 1;
  if (!cJSON_IsString(v)) {
    bg_api_error(req, 400, "invalid_field", key, "must be a string");
    return 0;
  }
  *out = v->valuestring;
  return 1;
}

/* Reads an optional number member into *out (left as is when absent); 0 after an answered
 * error. The number must lie in [lo, hi] and be whole when `whole` is set. */
static int number(struct bg_req *req, const cJSON *o, const char *key, double lo, double hi,
                  int whole, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v || cJSON_IsNull(v))
    return 1;
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
      (whole && v->valuedouble != (double)(long long)v->valuedouble)) {
    bg_api_error(req, 400, "invalid_field", key, "must be %s from %g to %g",
                 whole ? "a whole number" : "a number", lo, hi);
    return 0;
  }
  *out = v->valuedouble;
  return 1;
}

/* Every member of the body must be one this endpoint reads, once: a misspelt "gate_windw"
 * would otherwise create a project with the default silently. Returns 1, or 0 after an
 * answered error. */
static int known_members(struct bg_req *req, const cJSON *o) {
  static const char *const names[] = {"slug",        "github_repo", "default_branch",
                                      "alpha",       "gate_window", "noise_window",
                                      "pr_comments", "confirm_runs", "comparison",
                                      "interleave_rounds"};
  const size_t count = sizeof names / sizeof *names;
  unsigned seen = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, o) {
    size_t k = 0;
    while (k < count && strcmp(m->string, names[k]) != 0)
      k++;
    if (k == count) {
      int printable = bg_valid_text(m->string, strlen(m->string), 0) && strlen(m->string) <= 64;
      bg_api_error(req, 400, "invalid_field", printable ? m->string : "",
                   "unknown member%s (expected slug, github_repo, default_branch, alpha, "
                   "gate_window, noise_window, pr_comments, confirm_runs, comparison, "
                   "interleave_rounds)",
                   printable ? "" : " with an unprintable or long name");
      return 0;
    }
    if (seen & (1u << k)) {
      bg_api_error(req, 400, "invalid_field", names[k], "given more than once");
      return 0;
    }
    seen |= 1u << k;
  }
  return 1;
}

void bg_api_projects_create(struct bg_req *req) {
  const char *slug, *repo, *branch;
  double alpha = 0, window = 0, noise = 0, rounds = 0;
  struct bg_project p;
  cJSON *o = cJSON_ParseWithLength(req->body, req->body_len);
  if (!o || !cJSON_IsObject(o)) {
    bg_api_error(req, 400, "malformed_json", "", "the body must be a JSON object");
    goto out;
  }
  if (!known_members(req, o) || !member(req, o, "slug", &slug) ||
      !member(req, o, "github_repo", &repo) || !member(req, o, "default_branch", &branch) ||
      !number(req, o, "alpha", 1e-6, 0.5, 0, &alpha) ||
      !number(req, o, "gate_window", 2, 1000, 1, &window) ||
      !number(req, o, "noise_window", 2, 1000, 1, &noise))
    goto out;
  if (noise > 0 && noise < (window > 0 ? window : BG_STORE_DEFAULT_WINDOW)) {
    bg_api_error(req, 400, "invalid_field", "noise_window", "must be at least gate_window (%d)",
                 window > 0 ? (int)window : BG_STORE_DEFAULT_WINDOW);
    goto out;
  }
  if (!slug) {
    bg_api_error(req, 400, "invalid_field", "slug", "required");
    goto out;
  }
  if (!bg_valid_project(slug)) {
    bg_api_error(req, 400, "invalid_field", "slug", "must match [a-z0-9][a-z0-9_-]{0,63}");
    goto out;
  }
  if (repo && !bg_valid_github_repo(repo)) {
    bg_api_error(req, 400, "invalid_field", "github_repo", "must be owner/name");
    goto out;
  }
  if (branch && !bg_valid_branch(branch)) {
    bg_api_error(req, 400, "invalid_field", "default_branch", "not a valid git branch name");
    goto out;
  }
  const cJSON *comments = cJSON_GetObjectItemCaseSensitive(o, "pr_comments");
  if (comments && !cJSON_IsBool(comments)) {
    bg_api_error(req, 400, "invalid_field", "pr_comments", "must be true or false");
    goto out;
  }
  /* 0 is a setting here (no confirmation runs), not the default as for the windows. */
  const cJSON *confirm = cJSON_GetObjectItemCaseSensitive(o, "confirm_runs");
  if (confirm && (!cJSON_IsNumber(confirm) || confirm->valuedouble < 0 ||
                  confirm->valuedouble > BG_CONFIRM_MAX_RUNS ||
                  confirm->valuedouble != floor(confirm->valuedouble))) {
    bg_api_error(req, 400, "invalid_field", "confirm_runs", "must be an integer from 0 to %d",
                 BG_CONFIRM_MAX_RUNS);
    goto out;
  }
  int confirm_runs = !confirm ? 0 : confirm->valuedouble == 0 ? -1 : (int)confirm->valuedouble;
  enum bg_compare_mode mode = BG_COMPARE_HISTORY;
  const cJSON *cmp = cJSON_GetObjectItemCaseSensitive(o, "comparison");
  if (cmp && !(cJSON_IsString(cmp) && bg_compare_mode_parse(cmp->valuestring, &mode))) {
    bg_api_error(req, 400, "invalid_field", "comparison",
                 "must be \"history\", \"interleaved\" or \"both\"");
    goto out;
  }
  if (!number(req, o, "interleave_rounds", 2, BG_INTERLEAVE_MAX_ROUNDS, 1, &rounds))
    goto out;
  const struct bg_project_settings set = {alpha,        (int)window, (int)noise,
                                          cJSON_IsTrue(comments), confirm_runs, (int)mode,
                                          (int)rounds};
  int rc = bg_store_project_create_gated(req->store, slug, repo, branch, &set, &p);
  if (rc == BG_EEXIST) {
    bg_api_error(req, 409, "conflict", "slug", "project '%s' exists", slug);
  } else if (rc) {
    bg_api_store_error(req, rc);
  } else {
    req->status = 201;
    bg_store_project_json(&p, &req->out);
  }
out:
  cJSON_Delete(o);
}

void bg_api_project_get(struct bg_req *req) {
  int rc = bg_project_reads_detail_json(req->store, &req->project, &req->out);
  if (rc) {
    bg_buf_reset(&req->out);
    bg_api_store_error(req, rc);
  } else {
    req->status = 200;
  }
}
