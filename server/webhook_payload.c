/* webhook_payload.c: a webhook delivery's signature and payload (webhook_payload.h). */
#include "webhook_payload.h"

#include "valid.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- the signature ---- */

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int bg_webhook_verify(const unsigned char *secret, size_t secret_len, const char *header,
                      const char *body, size_t len) {
  static const char prefix[] = "sha256=";
  unsigned char want[32], got[EVP_MAX_MD_SIZE];
  unsigned int got_len = 0;
  if (!secret || !secret_len || !header || strncmp(header, prefix, sizeof prefix - 1) != 0)
    return 0;
  const char *hex = header + sizeof prefix - 1;
  if (strlen(hex) != 2 * sizeof want)
    return 0;
  for (size_t i = 0; i < sizeof want; i++) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return 0;
    want[i] = (unsigned char)(hi << 4 | lo);
  }
  if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)body, len, got,
            &got_len) ||
      got_len != sizeof want)
    return 0;
  return CRYPTO_memcmp(want, got, sizeof want) == 0;
}

int bg_webhook_delivery_valid(const char *id) {
  size_t n = id ? strlen(id) : 0;
  if (n == 0 || n > BG_WEBHOOK_DELIVERY_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

/* ---- the payload ---- */

/* The member at `path` (dot-separated names, each an object member) of o, or NULL. */
static const cJSON *member(const cJSON *o, const char *path) {
  char name[64];
  while (o && *path) {
    size_t n = strcspn(path, ".");
    if (n >= sizeof name)
      return NULL;
    memcpy(name, path, n);
    name[n] = '\0';
    o = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
    path += n + (path[n] == '.');
  }
  return o;
}

/* The string at `path` copied into out[n]; BG_EINVAL naming path when it is missing, not a
 * string, or does not fit. */
static int string_at(const cJSON *o, const char *path, char *out, size_t n, struct bg_ferr *e) {
  const cJSON *v = member(o, path);
  if (!cJSON_IsString(v) || !v->valuestring)
    return bg_ferr_set(e, path, v && !cJSON_IsNull(v) ? "must be a string" : "required");
  if (strlen(v->valuestring) >= n)
    return bg_ferr_set(e, path, "longer than %zu bytes", n - 1);
  memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
  return BG_OK;
}

/* A full commit sha at `path`, lowercased into sha[65]. */
static int sha_at(const cJSON *o, const char *path, char sha[65], struct bg_ferr *e) {
  int rc = string_at(o, path, sha, 65, e);
  for (char *c = sha; !rc && *c; c++)
    *c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
  if (!rc && !bg_valid_sha(sha))
    return bg_ferr_set(e, path, "must be a full commit sha (40 or 64 hex digits)");
  return rc;
}

/* A branch name at `path` into out[256]. */
static int branch_at(const cJSON *o, const char *path, char out[256], struct bg_ferr *e) {
  int rc = string_at(o, path, out, 256, e);
  if (!rc && !bg_valid_branch(out))
    return bg_ferr_set(e, path, "must be a git branch name");
  return rc;
}

static int repo_of(const cJSON *o, struct bg_webhook_event *ev, struct bg_ferr *e) {
  int rc = string_at(o, "repository.full_name", ev->repo, sizeof ev->repo, e);
  if (!rc && !bg_valid_github_repo(ev->repo))
    return bg_ferr_set(e, "repository.full_name", "must be a repository name owner/name");
  return rc;
}

static int ignore(struct bg_webhook_event *ev, const char *why) {
  ev->kind = BG_WEBHOOK_IGNORE;
  snprintf(ev->why, sizeof ev->why, "%s", why);
  return BG_OK;
}

static int parse_push(const cJSON *o, struct bg_webhook_event *ev, struct bg_ferr *e) {
  static const char heads[] = "refs/heads/";
  char ref[256 + sizeof heads];
  const cJSON *deleted = member(o, "deleted");
  int rc = repo_of(o, ev, e);
  if (!rc)
    rc = string_at(o, "ref", ref, sizeof ref, e);
  if (rc)
    return rc;
  if (deleted && !cJSON_IsBool(deleted) && !cJSON_IsNull(deleted))
    return bg_ferr_set(e, "deleted", "must be true or false");
  if (strncmp(ref, heads, sizeof heads - 1) != 0)
    return ignore(ev, "a push of a ref that is not a branch");
  const char *name = ref + sizeof heads - 1;
  if (strlen(name) >= sizeof ev->branch || !bg_valid_branch(name))
    return bg_ferr_set(e, "ref", "must name a git branch (refs/heads/NAME)");
  memcpy(ev->branch, name, strlen(name) + 1);
  if (cJSON_IsTrue(deleted))
    return ignore(ev, "the branch was deleted");
  if ((rc = string_at(o, "after", ev->sha, sizeof ev->sha, e)))
    return rc;
  if (ev->sha[0] && strspn(ev->sha, "0") == strlen(ev->sha)) /* GitHub's "no commit" */
    return ignore(ev, "the branch was deleted");
  if ((rc = sha_at(o, "after", ev->sha, e)))
    return rc;
  ev->kind = BG_WEBHOOK_PUSH;
  return BG_OK;
}

/* The head branch of the pull request: head.ref in the repository itself; for a pull request
 * from a fork (head.repo another repository, or null once the fork is deleted) the ref GitHub
 * keeps of it in the base repository, which no branch of the base repository shares. */
static int head_branch(const cJSON *o, struct bg_webhook_event *ev, struct bg_ferr *e) {
  int rc = branch_at(o, "pull_request.head.ref", ev->branch, e);
  const cJSON *head_repo = member(o, "pull_request.head.repo.full_name");
  if (!rc && !(cJSON_IsString(head_repo) && strcasecmp(head_repo->valuestring, ev->repo) == 0))
    snprintf(ev->branch, sizeof ev->branch, "pull/%lld/head", ev->pull_request);
  return rc;
}

static int parse_pull_request(const cJSON *o, struct bg_webhook_event *ev, struct bg_ferr *e) {
  static const char *const runs[] = {"opened", "synchronize", "reopened", "edited"};
  const cJSON *action = member(o, "action");
  int rc, run = 0;
  if (!cJSON_IsString(action) || !action->valuestring)
    return bg_ferr_set(e, "action", action ? "must be a string" : "required");
  size_t n = strlen(action->valuestring);
  if (n >= sizeof ev->action || strspn(action->valuestring, "abcdefghijklmnopqrstuvwxyz_") != n)
    return ignore(ev, "an unknown pull request action");
  memcpy(ev->action, action->valuestring, n + 1);
  for (size_t i = 0; i < sizeof runs / sizeof *runs; i++)
    run |= strcmp(ev->action, runs[i]) == 0;
  if (!run && strcmp(ev->action, "closed") != 0)
    return ignore(ev, "a pull request action that runs nothing");
  if (!strcmp(ev->action, "edited") && !cJSON_IsObject(member(o, "changes.base")))
    return ignore(ev, "a pull request edited without a change of its base");
  const cJSON *num = member(o, "number");
  if (!cJSON_IsNumber(num) || !(num->valuedouble >= 1 && num->valuedouble <= BG_WEBHOOK_PR_MAX) ||
      num->valuedouble != (double)(long long)num->valuedouble)
    return bg_ferr_set(e, "number", num ? "must be a whole number from 1 to %lld" : "required",
                       BG_WEBHOOK_PR_MAX);
  ev->pull_request = (long long)num->valuedouble;
  if ((rc = repo_of(o, ev, e)))
    return rc;
  if (!run) {
    ev->kind = BG_WEBHOOK_PR_CLOSED;
    return BG_OK;
  }
  if ((rc = sha_at(o, "pull_request.head.sha", ev->sha, e)) || (rc = head_branch(o, ev, e)) ||
      (rc = branch_at(o, "pull_request.base.ref", ev->base_branch, e)))
    return rc;
  ev->kind = BG_WEBHOOK_PR_RUN;
  return BG_OK;
}

static int event_valid(const char *event) {
  size_t n = event ? strlen(event) : 0;
  if (n == 0 || n > BG_WEBHOOK_EVENT_MAX)
    return 0;
  return strspn(event, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int bg_webhook_parse(const char *event, const char *body, size_t len, struct bg_webhook_event *ev,
                     struct bg_ferr *e) {
  memset(ev, 0, sizeof *ev);
  bg_ferr_clear(e);
  if (!event_valid(event))
    return bg_ferr_set(e, "X-GitHub-Event",
                       event ? "must be an event name ([a-z0-9_], at most 64)" : "required");
  snprintf(ev->event, sizeof ev->event, "%s", event);
  cJSON *o = cJSON_ParseWithLength(body, len);
  int rc;
  if (!cJSON_IsObject(o))
    rc = bg_ferr_set(e, "body", "must be a JSON object");
  else if (!strcmp(event, "ping"))
    rc = (ev->kind = BG_WEBHOOK_PING, BG_OK);
  else if (!strcmp(event, "push"))
    rc = parse_push(o, ev, e);
  else if (!strcmp(event, "pull_request"))
    rc = parse_pull_request(o, ev, e);
  else
    rc = ignore(ev, "an event that runs nothing");
  cJSON_Delete(o);
  return rc;
}
