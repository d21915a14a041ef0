/* github_auth.h: the credentials benchgated writes to GitHub with.
 *
 * Two sources: a token (a personal access token or any bearer token GitHub accepts), read
 * once at start from --github-token-file or BENCHGATE_GITHUB_TOKEN, or a GitHub App
 * (github_app.h: --github-app-id and --github-app-key-file), whose installation token of each
 * repository is fetched and renewed as needed. Both are kept only in memory; they never go
 * into a log line, an answer, an error message or the database. The sender asks for the
 * Authorization header of each request with bg_github_auth_header, per repository.
 */
#ifndef BG_GITHUB_AUTH_H
#define BG_GITHUB_AUTH_H

#include "github_app.h"

#include <stddef.h>

/* The sources of credentials; an App wins over a token. */
struct bg_github_auth {
  char *token;               /* NULL: none configured; owned, wiped by bg_github_auth_clear */
  struct bg_github_app *app; /* NULL: none; owned, freed by bg_github_auth_clear */
};

/* Loads the token: from the file `token_file` when it is not NULL (its first line, without
 * surrounding white space), else from the environment value `env` when it is not NULL or
 * empty. No source at all is BG_OK with no token (bg_github_auth_configured says 0). BG_OK;
 * BG_EIO (the file cannot be read) or BG_EINVAL (it holds no token, or a token with
 * control characters) with the reason in err, which never holds the token. */
int bg_github_auth_load(struct bg_github_auth *a, const char *token_file, const char *env,
                        char *err, size_t errlen);

/* 1 when some credentials are configured. */
int bg_github_auth_configured(const struct bg_github_auth *a);

/* The value of the Authorization header for a request about `repo` ("owner/name") into
 * out[outlen] ("Bearer ..."). BG_OK; BG_EAUTH when no credentials are configured, or
 * BG_ETOOBIG when out is too small; with an App also BG_ENOENT (not installed on repo) and
 * BG_ENET (GitHub did not give a token); the reason in err. */
int bg_github_auth_header(struct bg_github_auth *a, const char *repo, char *out, size_t outlen,
                          char *err, size_t errlen);

/* GitHub refused the credentials of `repo` (401): an App's installation token is fetched anew
 * for the next request. 1 when that may help (an App), 0 for a token. */
int bg_github_auth_refused(struct bg_github_auth *a, const char *repo);

/* Wipes and frees the token. Accepts a zeroed struct. */
void bg_github_auth_clear(struct bg_github_auth *a);

#endif
