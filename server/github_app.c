/* github_app.c: GitHub App credentials: the RS256 JWT and cached installation tokens.
 *
 * The key is an EVP_PKEY (OpenSSL clears its private numbers when it frees them); tokens
 * sit in installation entries allocated one by one (so growing the list never leaves a copy
 * of a token behind in freed memory) and are cleansed when replaced or dropped. GitHub's
 * answers are read into one fixed buffer of the object, cleansed after each request, and
 * the Authorization header curl copies is cleansed before curl frees it.
 */
#include "github_app.h"

#include "error.h"
#include "mem.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define API_MAX 512
#define TOKEN_MAX 2000
#define RESP_MAX (64 * 1024)
#define MIN_BITS 2048
#define MAX_BITS 8192

struct repo_entry {
  char *repo;     /* "owner/name" as first asked for (compared without case, as GitHub does) */
  long long inst; /* its installation id */
};

struct inst_entry {
  long long id;
  long long expires;         /* the token's expires_at, seconds since the epoch */
  char token[TOKEN_MAX + 1]; /* "" when none is cached */
};

struct bg_github_app {
  long long app_id;
  EVP_PKEY *key;
  char api[API_MAX + 1];
  pthread_mutex_t mu;
  CURL *curl; /* one handle, used under mu: its connections are kept between requests */
  struct repo_entry *repos;
  size_t nrepos, caprepos;
  struct inst_entry **insts;
  size_t ninsts, capinsts;
  char *resp; /* the answer of the last request, RESP_MAX bytes and a terminator */
  size_t resp_len;
  int resp_over; /* the answer did not fit */
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- the key ---- */

/* Never asks for a passphrase: an encrypted key fails to load instead of prompting. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf, (void)size, (void)rwflag, (void)u;
  return -1;
}

/* Loads key_pem into *out, or says what is wrong with it. */
static int load_key(const char *key_pem, EVP_PKEY **out, char *err, size_t errlen) {
  int rc = BG_OK;
  EVP_PKEY *k = NULL;
  BIO *bio = NULL;
  *out = NULL;
  if (!key_pem || !strstr(key_pem, "-----BEGIN ")) {
    seterr(err, errlen, "GitHub App key: no PEM block (-----BEGIN ...) in the key file");
    return BG_EINVAL;
  }
  if (strstr(key_pem, "ENCRYPTED")) {
    seterr(err, errlen, "GitHub App key: the key is encrypted; give the key without a passphrase");
    return BG_EINVAL;
  }
  if (!strstr(key_pem, "PRIVATE KEY-----")) {
    seterr(err, errlen,
           "GitHub App key: no private key (need -----BEGIN RSA PRIVATE KEY----- or "
           "-----BEGIN PRIVATE KEY-----)");
    return BG_EINVAL;
  }
  bio = BIO_new_mem_buf(key_pem, -1);
  if (!bio) {
    rc = BG_ENOMEM;
    seterr(err, errlen, "GitHub App key: out of memory");
    goto out;
  }
  k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
  if (!k) {
    rc = BG_EINVAL;
    seterr(err, errlen, "GitHub App key: the PEM private key cannot be decoded");
    goto out;
  }
  if (!EVP_PKEY_is_a(k, "RSA")) {
    rc = BG_EINVAL;
    seterr(err, errlen, "GitHub App key: a %s key, not RSA (GitHub Apps sign with RS256)",
           EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "non-RSA");
    goto out;
  }
  int bits = EVP_PKEY_get_bits(k);
  if (bits < MIN_BITS || bits > MAX_BITS) {
    rc = BG_EINVAL;
    seterr(err, errlen, "GitHub App key: an RSA key of %d bits (need %d to %d)", bits, MIN_BITS,
           MAX_BITS);
    goto out;
  }
  *out = k;
  k = NULL;
out:
  EVP_PKEY_free(k);
  BIO_free(bio);
  ERR_clear_error(); /* a failed decode leaves errors in this thread's queue */
  return rc;
}

/* ---- base64url and the JWT ---- */

/* Appends the base64url (no padding) of p[0..n) at out + *len, within cap bytes and a NUL.
 * Returns 0, or -1 when it does not fit. */
static int b64url(const unsigned char *p, size_t n, char *out, size_t cap, size_t *len) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
  if (*len + need + 1 > cap)
    return -1;
  char *o = out + *len;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
    *o++ = A[v >> 18 & 63], *o++ = A[v >> 12 & 63], *o++ = A[v >> 6 & 63], *o++ = A[v & 63];
  }
  if (n - i == 1) {
    unsigned v = (unsigned)p[i] << 16;
    *o++ = A[v >> 18 & 63], *o++ = A[v >> 12 & 63];
  } else if (n - i == 2) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
    *o++ = A[v >> 18 & 63], *o++ = A[v >> 12 & 63], *o++ = A[v >> 6 & 63];
  }
  *o = '\0';
  *len += need;
  return 0;
}

/* Signs out[0..len) (the JWT's header.claims) and appends ".signature". */
static int sign_into(EVP_PKEY *key, char *out, size_t outlen, size_t *len, char *err,
                     size_t errlen) {
  int rc = BG_OK;
  unsigned char sig[MAX_BITS / 8];
  size_t siglen = sizeof sig;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
      EVP_DigestSign(md, sig, &siglen, (const unsigned char *)out, *len) != 1) {
    rc = BG_EINVAL;
    seterr(err, errlen, "GitHub App JWT: signing failed: %s",
           ERR_reason_error_string(ERR_peek_last_error())
               ? ERR_reason_error_string(ERR_peek_last_error())
               : "OpenSSL error");
    ERR_clear_error();
    goto out;
  }
  if (*len + 2 > outlen) {
    rc = BG_ETOOBIG;
    goto out;
  }
  out[(*len)++] = '.';
  out[*len] = '\0';
  if (b64url(sig, siglen, out, outlen, len) != 0)
    rc = BG_ETOOBIG;
out:
  if (rc == BG_ETOOBIG)
    seterr(err, errlen, "GitHub App JWT: %zu bytes are too few", outlen);
  EVP_MD_CTX_free(md);
  return rc;
}

int bg_github_app_jwt(struct bg_github_app *app, long long now, char *out, size_t outlen, char *err,
                      size_t errlen) {
  static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
  char claims[128];
  size_t len = 0;
  int n = snprintf(claims, sizeof claims, "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%lld\"}", now - 60,
                   now + 540, app->app_id);
  if (!out || outlen == 0)
    return BG_ETOOBIG;
  out[0] = '\0';
  if (b64url((const unsigned char *)header, sizeof header - 1, out, outlen, &len) != 0 ||
      len + 2 > outlen) {
    seterr(err, errlen, "GitHub App JWT: %zu bytes are too few", outlen);
    return BG_ETOOBIG;
  }
  out[len++] = '.';
  out[len] = '\0';
  if (b64url((const unsigned char *)claims, (size_t)n, out, outlen, &len) != 0) {
    seterr(err, errlen, "GitHub App JWT: %zu bytes are too few", outlen);
    return BG_ETOOBIG;
  }
  int rc = sign_into(app->key, out, outlen, &len, err, errlen);
  if (rc != BG_OK)
    OPENSSL_cleanse(out, outlen);
  return rc;
}

/* ---- the object ---- */

int bg_github_app_new(long long app_id, const char *key_pem, const char *api,
                      struct bg_github_app **out, char *err, size_t errlen) {
  *out = NULL;
  if (app_id <= 0) {
    seterr(err, errlen, "GitHub App id: %lld is not a positive number", app_id);
    return BG_EINVAL;
  }
  size_t alen = api ? strlen(api) : 0;
  while (alen > 0 && api[alen - 1] == '/')
    alen--;
  if (!api || (strncmp(api, "https://", 8) != 0 && strncmp(api, "http://", 7) != 0) ||
      alen > API_MAX || alen <= 8) {
    seterr(err, errlen, "GitHub API URL: need an http:// or https:// URL of at most %d bytes",
           API_MAX);
    return BG_EINVAL;
  }
  EVP_PKEY *key = NULL;
  int rc = load_key(key_pem, &key, err, errlen);
  if (rc != BG_OK)
    return rc;
  struct bg_github_app *app = bg_xcalloc(1, sizeof *app);
  app->app_id = app_id;
  app->key = key;
  memcpy(app->api, api, alen);
  app->api[alen] = '\0';
  pthread_mutex_init(&app->mu, NULL);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  app->curl = curl_easy_init();
  app->resp = bg_xmalloc(RESP_MAX + 1);
  if (!app->curl) {
    bg_github_app_free(app);
    seterr(err, errlen, "GitHub App: libcurl cannot start");
    return BG_ENOMEM;
  }
  *out = app;
  return BG_OK;
}

static void drop_inst(struct inst_entry *e) {
  OPENSSL_cleanse(e->token, sizeof e->token);
  e->expires = 0;
}

void bg_github_app_free(struct bg_github_app *app) {
  if (!app)
    return;
  for (size_t i = 0; i < app->ninsts; i++) {
    drop_inst(app->insts[i]);
    free(app->insts[i]);
  }
  free(app->insts);
  for (size_t i = 0; i < app->nrepos; i++)
    free(app->repos[i].repo);
  free(app->repos);
  if (app->resp) {
    OPENSSL_cleanse(app->resp, RESP_MAX + 1);
    free(app->resp);
  }
  if (app->curl) {
    curl_easy_cleanup(app->curl);
    curl_global_cleanup();
  }
  EVP_PKEY_free(app->key);
  pthread_mutex_destroy(&app->mu);
  free(app);
}

/* ---- the caches (under mu) ---- */

static struct repo_entry *find_repo(struct bg_github_app *app, const char *repo) {
  for (size_t i = 0; i < app->nrepos; i++)
    if (strcasecmp(app->repos[i].repo, repo) == 0)
      return &app->repos[i];
  return NULL;
}

static void forget_repo(struct bg_github_app *app, const char *repo) {
  struct repo_entry *r = find_repo(app, repo);
  if (!r)
    return;
  free(r->repo);
  *r = app->repos[--app->nrepos];
}

static void remember_repo(struct bg_github_app *app, const char *repo, long long inst) {
  struct repo_entry *r = find_repo(app, repo);
  if (r) {
    r->inst = inst;
    return;
  }
  bg_xgrow((void **)&app->repos, &app->caprepos, app->nrepos + 1, sizeof *app->repos);
  app->repos[app->nrepos].repo = bg_xstrdup(repo);
  app->repos[app->nrepos++].inst = inst;
}

/* The entry of installation `id`, made (without a token) when there is none. */
static struct inst_entry *inst_of(struct bg_github_app *app, long long id) {
  for (size_t i = 0; i < app->ninsts; i++)
    if (app->insts[i]->id == id)
      return app->insts[i];
  bg_xgrow((void **)&app->insts, &app->capinsts, app->ninsts + 1, sizeof *app->insts);
  struct inst_entry *e = bg_xcalloc(1, sizeof *e);
  e->id = id;
  app->insts[app->ninsts++] = e;
  return e;
}

/* ---- requests ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  struct bg_github_app *app = arg;
  size_t len = size * n;
  if (len > RESP_MAX - app->resp_len) {
    app->resp_over = 1;
    return 0;
  }
  memcpy(app->resp + app->resp_len, p, len);
  app->resp_len += len;
  app->resp[app->resp_len] = '\0';
  return len;
}

static void clear_resp(struct bg_github_app *app) {
  OPENSSL_cleanse(app->resp, app->resp_len + 1);
  app->resp_len = 0;
  app->resp[0] = '\0';
  app->resp_over = 0;
}

/* Sends `method` {api}{path} with the JWT as bearer; the answer lands in app->resp and its
 * status in *status. Returns BG_OK (any status), or BG_ENET when no answer came. */
static int request(struct bg_github_app *app, const char *method, const char *path, const char *jwt,
                   long *status, char *err, size_t errlen) {
  char url[API_MAX + 256], auth[BG_GITHUB_APP_JWT_MAX + 32], cerr[CURL_ERROR_SIZE] = "";
  struct curl_slist *hdr = NULL;
  CURL *h = app->curl;
  int rc = BG_OK;
  snprintf(url, sizeof url, "%s%s", app->api, path);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", jwt);
  hdr = curl_slist_append(hdr, "Accept: application/vnd.github+json");
  hdr = curl_slist_append(hdr, "X-GitHub-Api-Version: 2022-11-28");
  hdr = curl_slist_append(hdr, auth);
  OPENSSL_cleanse(auth, sizeof auth);
  clear_resp(app);
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, app);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "benchgate/" BG_VERSION);
  CURLcode cc = curl_easy_perform(h);
  if (cc != CURLE_OK) {
    rc = BG_ENET;
    if (app->resp_over)
      seterr(err, errlen, "GitHub: %s %s: the answer is over %d bytes", method, path, RESP_MAX);
    else
      seterr(err, errlen, "GitHub: %s %s: %s", method, path, *cerr ? cerr : curl_easy_strerror(cc));
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  }
  for (struct curl_slist *s = hdr; s; s = s->next)
    OPENSSL_cleanse(s->data, strlen(s->data));
  curl_slist_free_all(hdr);
  return rc;
}

/* Says that `method path` answered `status`, with GitHub's message when it is plain text
 * that holds nothing like a credential. */
static void status_err(struct bg_github_app *app, const char *method, const char *path, long status,
                       char *err, size_t errlen) {
  char msg[128] = "";
  cJSON *doc = cJSON_Parse(app->resp);
  cJSON *m = doc ? cJSON_GetObjectItemCaseSensitive(doc, "message") : NULL;
  if (cJSON_IsString(m) && !strstr(m->valuestring, "eyJ") && !strstr(m->valuestring, "ghs_") &&
      !strstr(m->valuestring, "-----")) {
    size_t i = 0;
    for (const char *c = m->valuestring; *c && i < 100; c++)
      msg[i++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
    msg[i] = '\0';
  }
  seterr(err, errlen, "GitHub: %s %s: HTTP %ld%s%s", method, path, status, *msg ? ": " : "", msg);
  cJSON_Delete(doc);
}

/* GET /repos/{repo}/installation: its id into *id. */
static int lookup_installation(struct bg_github_app *app, const char *repo, const char *jwt,
                               long long *id, char *err, size_t errlen) {
  char path[256];
  long status = 0;
  snprintf(path, sizeof path, "/repos/%s/installation", repo);
  int rc = request(app, "GET", path, jwt, &status, err, errlen);
  if (rc != BG_OK)
    return rc;
  if (status == 404) {
    seterr(err, errlen, "GitHub: the App is not installed on %s (GET %s: HTTP 404)", repo, path);
    return BG_ENOENT;
  }
  if (status != 200) {
    status_err(app, "GET", path, status, err, errlen);
    return BG_ENET;
  }
  cJSON *doc = cJSON_Parse(app->resp);
  cJSON *v = doc ? cJSON_GetObjectItemCaseSensitive(doc, "id") : NULL;
  if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 9007199254740992.0) {
    *id = (long long)v->valuedouble;
  } else {
    rc = BG_ENET;
    seterr(err, errlen, "GitHub: GET %s: the answer has no installation id", path);
  }
  cJSON_Delete(doc);
  return rc;
}

/* A token as GitHub gives it: printable ASCII without spaces, at most TOKEN_MAX bytes. */
static int token_ok(const char *t) {
  size_t n = 0;
  for (; t[n]; n++)
    if (t[n] <= 0x20 || t[n] >= 0x7f || n >= TOKEN_MAX)
      return 0;
  return n > 0;
}

/* POST /app/installations/{id}/access_tokens: the token and its expiry into e. */
static int new_token(struct bg_github_app *app, struct inst_entry *e, const char *jwt, char *err,
                     size_t errlen) {
  char path[128];
  long status = 0;
  snprintf(path, sizeof path, "/app/installations/%lld/access_tokens", e->id);
  int rc = request(app, "POST", path, jwt, &status, err, errlen);
  if (rc != BG_OK)
    return rc;
  if (status == 404) {
    seterr(err, errlen, "GitHub: installation %lld of the App is gone (POST %s: HTTP 404)", e->id,
           path);
    return BG_ENOENT;
  }
  if (status != 201 && status != 200) {
    status_err(app, "POST", path, status, err, errlen);
    return BG_ENET;
  }
  cJSON *doc = cJSON_Parse(app->resp);
  cJSON *t = doc ? cJSON_GetObjectItemCaseSensitive(doc, "token") : NULL;
  cJSON *x = doc ? cJSON_GetObjectItemCaseSensitive(doc, "expires_at") : NULL;
  long long expires = 0;
  if (!cJSON_IsString(t) || !token_ok(t->valuestring)) {
    rc = BG_ENET;
    seterr(err, errlen, "GitHub: POST %s: the answer has no usable token", path);
  } else if (!cJSON_IsString(x) || !bg_valid_timestamp(x->valuestring, &expires)) {
    rc = BG_ENET;
    seterr(err, errlen, "GitHub: POST %s: the answer has no RFC 3339 expires_at", path);
  } else {
    drop_inst(e);
    snprintf(e->token, sizeof e->token, "%s", t->valuestring);
    e->expires = expires;
  }
  if (cJSON_IsString(t))
    OPENSSL_cleanse(t->valuestring, strlen(t->valuestring));
  cJSON_Delete(doc);
  return rc;
}

/* "owner/name" with GitHub's characters: owner [A-Za-z0-9-], name [A-Za-z0-9._-], not "." or
 * "..", so that it goes into a URL path as it is. */
static int repo_ok(const char *repo) {
  const char *slash = repo ? strchr(repo, '/') : NULL;
  if (!slash || slash == repo || slash - repo > 39 || !slash[1] || strlen(slash + 1) > 100)
    return 0;
  for (const char *c = repo; c < slash; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
          *c == '-'))
      return 0;
  for (const char *c = slash + 1; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
          *c == '-' || *c == '_' || *c == '.'))
      return 0;
  return strcmp(slash + 1, ".") != 0 && strcmp(slash + 1, "..") != 0;
}

/* The installation entry of repo with a token valid at now, asking GitHub as needed: the
 * repository's installation when it is not known (its token may be cached already, from
 * another repository of the installation), then a token when none is valid. */
static int fresh_token(struct bg_github_app *app, const char *repo, long long now,
                       struct inst_entry **out, char *err, size_t errlen) {
  char jwt[BG_GITHUB_APP_JWT_MAX];
  int have_jwt = 0, looked_up = 0, rc = BG_OK;
  for (;;) {
    struct repo_entry *r = find_repo(app, repo);
    struct inst_entry *e = r ? inst_of(app, r->inst) : NULL;
    if (e && e->token[0] && now < e->expires - BG_GITHUB_APP_RENEW_S) {
      *out = e;
      break;
    }
    if (!have_jwt) {
      rc = bg_github_app_jwt(app, now, jwt, sizeof jwt, err, errlen);
      if (rc != BG_OK)
        break;
      have_jwt = 1;
    }
    if (!r) {
      long long id = 0;
      rc = lookup_installation(app, repo, jwt, &id, err, errlen);
      if (rc != BG_OK)
        break;
      remember_repo(app, repo, id);
      looked_up = 1;
      continue;
    }
    rc = new_token(app, e, jwt, err, errlen);
    if (rc == BG_ENOENT && !looked_up) {
      /* The installation remembered is gone (the App was installed again): look it up anew. */
      forget_repo(app, repo);
      continue;
    }
    if (rc == BG_OK)
      *out = e;
    break;
  }
  if (have_jwt)
    OPENSSL_cleanse(jwt, sizeof jwt);
  clear_resp(app);
  return rc;
}

int bg_github_app_header_at(struct bg_github_app *app, const char *repo, long long now, char *out,
                            size_t outlen, char *err, size_t errlen) {
  if (!repo_ok(repo)) {
    seterr(err, errlen, "GitHub repository: \"%.100s\" is not owner/name", repo ? repo : "(none)");
    return BG_EINVAL;
  }
  struct inst_entry *e = NULL;
  pthread_mutex_lock(&app->mu);
  int rc = fresh_token(app, repo, now, &e, err, errlen);
  if (rc == BG_OK) {
    int n = snprintf(out, outlen, "Bearer %s", e->token);
    if (n < 0 || (size_t)n >= outlen) {
      OPENSSL_cleanse(out, outlen);
      rc = BG_ETOOBIG;
      seterr(err, errlen, "GitHub App: %zu bytes are too few for the header", outlen);
    }
  }
  pthread_mutex_unlock(&app->mu);
  return rc;
}

int bg_github_app_header(struct bg_github_app *app, const char *repo, char *out, size_t outlen,
                         char *err, size_t errlen) {
  return bg_github_app_header_at(app, repo, (long long)time(NULL), out, outlen, err, errlen);
}

void bg_github_app_forget(struct bg_github_app *app, const char *repo) {
  if (!app || !repo)
    return;
  pthread_mutex_lock(&app->mu);
  struct repo_entry *r = find_repo(app, repo);
  if (r) {
    for (size_t i = 0; i < app->ninsts; i++)
      if (app->insts[i]->id == r->inst)
        drop_inst(app->insts[i]);
    forget_repo(app, repo);
  }
  pthread_mutex_unlock(&app->mu);
}
