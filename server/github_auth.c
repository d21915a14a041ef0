/* github_auth.c: the credentials benchgated writes to GitHub with (github_auth.h). */
#include "github_auth.h"

#include "buf.h"
#include "error.h"
#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX 4096

/* Keeps the first line of `text` without surrounding white space, when it is a plausible
 * token (printable ASCII, no space). */
static int take_token(struct bg_github_auth *a, const char *text, const char *where, char *err,
                      size_t errlen) {
  const char *p = text;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
    p++;
  size_t n = strcspn(p, "\r\n");
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
    n--;
  if (n == 0 || n > TOKEN_MAX) {
    snprintf(err, errlen, "%s holds no GitHub token", where);
    return BG_EINVAL;
  }
  for (size_t i = 0; i < n; i++)
    if (!isgraph((unsigned char)p[i])) {
      snprintf(err, errlen, "%s: the GitHub token has a space or control character", where);
      return BG_EINVAL;
    }
  a->token = bg_xstrndup(p, n);
  return BG_OK;
}

int bg_github_auth_load(struct bg_github_auth *a, const char *token_file, const char *env,
                        char *err, size_t errlen) {
  int rc;
  a->token = NULL;
  if (token_file) {
    struct bg_buf b;
    bg_buf_init(&b, TOKEN_MAX + 2);
    if (bg_buf_read_file(&b, token_file) != BG_OK) {
      snprintf(err, errlen, "--github-token-file %s: cannot read it (or it is over %d bytes)",
               token_file, TOKEN_MAX);
      rc = BG_EIO;
    } else {
      rc = take_token(a, b.data ? b.data : "", "--github-token-file", err, errlen);
    }
    if (b.data)
      memset(b.data, 0, b.len);
    bg_buf_free(&b);
    return rc;
  }
  if (env && env[0])
    return take_token(a, env, "BENCHGATE_GITHUB_TOKEN", err, errlen);
  return BG_OK;
}

int bg_github_auth_configured(const struct bg_github_auth *a) {
  return a && (a->token != NULL || a->app != NULL);
}

int bg_github_auth_refused(struct bg_github_auth *a, const char *repo) {
  if (!a || !a->app)
    return 0;
  bg_github_app_forget(a->app, repo);
  return 1;
}

int bg_github_auth_header(struct bg_github_auth *a, const char *repo, char *out, size_t outlen,
                          char *err, size_t errlen) {
  if (a && a->app) /* an installation token per repository */
    return bg_github_app_header(a->app, repo, out, outlen, err, errlen);
  if (!a || !a->token) { /* a token is the same for every repository */
    snprintf(err, errlen, "no GitHub credentials configured");
    return BG_EAUTH;
  }
  int n = snprintf(out, outlen, "Bearer %s", a->token);
  if (n < 0 || (size_t)n >= outlen) {
    if (outlen)
      memset(out, 0, outlen);
    snprintf(err, errlen, "the GitHub token is too long");
    return BG_ETOOBIG;
  }
  return BG_OK;
}

void bg_github_auth_clear(struct bg_github_auth *a) {
  if (a->token) {
    memset(a->token, 0, strlen(a->token));
    free(a->token);
  }
  a->token = NULL;
  bg_github_app_free(a->app);
  a->app = NULL;
}
