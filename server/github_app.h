/* github_app.h: GitHub App credentials: the App's JWT and its installation tokens.
 *
 * A GitHub App authenticates as itself with a JWT signed RS256 by its private key (valid for
 * at most 10 minutes), and acts on a repository with an installation access token that the
 * JWT obtains: GET {api}/repos/{owner}/{name}/installation gives the installation of the App
 * on the repository, POST {api}/app/installations/{id}/access_tokens gives a token valid for
 * an hour. This module keeps the key, remembers which installation each repository belongs
 * to, and caches each installation's token until 5 minutes before it expires; a caller asks
 * for the Authorization header of a repository and gets a cached or a fresh token.
 *
 * Secrets: the key and the tokens live only in this object's memory and are overwritten
 * (OPENSSL_cleanse) when replaced, forgotten or freed; no message this module writes into
 * `err` holds a token, a JWT or the key.
 *
 * Threads: one mutex guards the object; a call that needs GitHub holds it for the requests
 * (connect timeout 10 s, 30 s in all per request), so concurrent callers of one repository
 * make one token request, not one each. The process calls curl_global_init before it starts
 * threads (bg_github_app_new calls it too; libcurl counts the calls).
 */
#ifndef BG_GITHUB_APP_H
#define BG_GITHUB_APP_H

#include <stddef.h>

struct bg_github_app;

/* Bytes enough for a JWT of a key up to 8192 bits, and for an Authorization header. */
#define BG_GITHUB_APP_JWT_MAX 2048
#define BG_GITHUB_APP_HEADER_MAX 2100

/* A token is renewed this many seconds before its expires_at. */
#define BG_GITHUB_APP_RENEW_S 300

/* Makes the credentials of App `app_id` (> 0) with its private key `key_pem` (PEM, PKCS#1
 * "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY", unencrypted, RSA of 2048 to 8192 bits) against
 * the API base URL `api` ("https://api.github.com", without a trailing slash or with one).
 * The key is copied into OpenSSL's key object; the caller still owns and should cleanse
 * key_pem. Returns BG_OK with *out (free with bg_github_app_free), or BG_EINVAL with a message
 * in err naming what is wrong (the app id, the URL, or the key: no PEM key, encrypted, not
 * RSA, too short), never the key itself. */
int bg_github_app_new(long long app_id, const char *key_pem, const char *api,
                      struct bg_github_app **out, char *err, size_t errlen);

/* Cleanses the cached tokens and frees the key and the object. Accepts NULL. */
void bg_github_app_free(struct bg_github_app *app);

/* Writes the App's JWT at time `now` (seconds since the epoch) into out: header
 * {"alg":"RS256","typ":"JWT"}, claims {"iat":now-60,"exp":now+540,"iss":"<app id>"} (iat in
 * the past allows for clock drift; GitHub refuses an exp over 10 minutes ahead), each part
 * base64url without padding, signed RSASSA-PKCS1-v1_5 with SHA-256. Returns BG_OK, BG_ETOOBIG
 * when outlen is too small (BG_GITHUB_APP_JWT_MAX always suffices), or BG_EINVAL when OpenSSL
 * cannot sign (message in err). */
int bg_github_app_jwt(struct bg_github_app *app, long long now, char *out, size_t outlen, char *err,
                      size_t errlen);

/* Writes "Bearer <installation token>" for repository `repo` ("owner/name") into out
 * (BG_GITHUB_APP_HEADER_MAX bytes suffice). A cached token is used while now is more than
 * BG_GITHUB_APP_RENEW_S seconds before its expiry; otherwise the installation is looked up
 * (once per repository, then remembered) and a new token asked for. Returns BG_OK;
 * BG_EINVAL for a repo that is not "owner/name"; BG_ENOENT when the App is not installed on
 * the repository (GitHub answers 404); BG_ENET when GitHub cannot be reached, answers another
 * error status or an answer without a token (err names the request and the status, never a
 * credential); BG_ETOOBIG when outlen is too small. */
int bg_github_app_header(struct bg_github_app *app, const char *repo, char *out, size_t outlen,
                         char *err, size_t errlen);

/* bg_github_app_header at time `now` (seconds since the epoch) instead of the clock: the JWT
 * it signs and the expiry it compares use `now`. For tests. */
int bg_github_app_header_at(struct bg_github_app *app, const char *repo, long long now, char *out,
                            size_t outlen, char *err, size_t errlen);

/* Forgets the cached token of the repository's installation and which installation the
 * repository belongs to (a caller does so when GitHub answered 401 to that token: the token
 * was revoked, or the App was installed again), so the next bg_github_app_header looks both
 * up again. A repository not known does nothing. */
void bg_github_app_forget(struct bg_github_app *app, const char *repo);

#endif
