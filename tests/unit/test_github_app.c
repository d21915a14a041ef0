/* test_github_app.c: the GitHub App's JWT, verified independently with the public key, the
 * keys it accepts and refuses, and the installation-token flow against a fake GitHub
 * (tests/integration/github_app_stub.py, a forked python3 that logs every request). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "error.h"
#include "github_app.h"

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define APP_ID 12345LL

/* One RSA key for the whole program, in both PEM forms, and its public half alone. */
static EVP_PKEY *g_key;
static EVP_PKEY *g_pub;
static char *g_pkcs1, *g_pkcs8;

static char *bio_text(BIO *b) {
  char *p = NULL;
  long n = BIO_get_mem_data(b, &p);
  char *s = malloc((size_t)n + 1);
  memcpy(s, p, (size_t)n);
  s[n] = '\0';
  return s;
}

/* The key as PEM: PKCS#8 ("PRIVATE KEY"), or PKCS#1 ("RSA PRIVATE KEY", the form GitHub
 * hands out) through the type-specific encoder. */
static char *pem_of(EVP_PKEY *k, const char *structure) {
  BIO *b = BIO_new(BIO_s_mem());
  OSSL_ENCODER_CTX *ec = OSSL_ENCODER_CTX_new_for_pkey(k, EVP_PKEY_KEYPAIR, "PEM", structure, NULL);
  assert_non_null(ec);
  assert_int_equal(OSSL_ENCODER_to_bio(ec, b), 1);
  OSSL_ENCODER_CTX_free(ec);
  char *s = bio_text(b);
  BIO_free(b);
  return s;
}

static int keys_setup(void **state) {
  (void)state;
  g_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
  if (!g_key)
    return -1;
  g_pkcs1 = pem_of(g_key, "type-specific");
  g_pkcs8 = pem_of(g_key, "PrivateKeyInfo");
  /* the public key through its own PEM, so verification cannot touch the private half */
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(b, g_key);
  g_pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
  BIO_free(b);
  return g_pub ? 0 : -1;
}

static int keys_teardown(void **state) {
  (void)state;
  EVP_PKEY_free(g_key);
  EVP_PKEY_free(g_pub);
  free(g_pkcs1);
  free(g_pkcs8);
  return 0;
}

/* base64url without padding, decoded through OpenSSL's standard base64 (not the module's
 * encoder run backwards). Returns the length, or -1. */
static int unb64url(const char *s, size_t n, unsigned char *out, size_t cap) {
  char tmp[4096];
  size_t len = 0;
  assert_true(n + 4 < sizeof tmp);
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '+' || c == '/' || c == '=')
      return -1; /* not base64url without padding */
    tmp[len++] = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  while (len % 4)
    tmp[len++] = '=';
  tmp[len] = '\0';
  assert_true(len / 4 * 3 <= cap);
  int m = EVP_DecodeBlock(out, (const unsigned char *)tmp, (int)len);
  if (m < 0)
    return -1;
  for (size_t i = len; i > 0 && tmp[i - 1] == '='; i--)
    m--;
  return m;
}

static int verify_sig(const char *signed_part, size_t n, const unsigned char *sig, size_t siglen) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, g_pub), 1);
  int ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)signed_part, n);
  EVP_MD_CTX_free(md);
  return ok == 1;
}

/* Checks a JWT: three base64url parts, the header, claims at `now` (or any time when now is
 * 0), and a signature the public key verifies. */
static void check_jwt(const char *jwt, long long now) {
  const char *d1 = strchr(jwt, '.');
  assert_non_null(d1);
  const char *d2 = strchr(d1 + 1, '.');
  assert_non_null(d2);
  assert_null(strchr(d2 + 1, '.'));
  unsigned char part[2048];
  int n = unb64url(jwt, (size_t)(d1 - jwt), part, sizeof part - 1);
  assert_true(n > 0);
  part[n] = '\0';
  cJSON *h = cJSON_Parse((char *)part);
  assert_non_null(h);
  assert_string_equal(cJSON_GetObjectItem(h, "alg")->valuestring, "RS256");
  assert_string_equal(cJSON_GetObjectItem(h, "typ")->valuestring, "JWT");
  assert_int_equal(cJSON_GetArraySize(h), 2);
  cJSON_Delete(h);
  n = unb64url(d1 + 1, (size_t)(d2 - d1 - 1), part, sizeof part - 1);
  assert_true(n > 0);
  part[n] = '\0';
  cJSON *c = cJSON_Parse((char *)part);
  assert_non_null(c);
  double iat = cJSON_GetObjectItem(c, "iat")->valuedouble;
  double exp = cJSON_GetObjectItem(c, "exp")->valuedouble;
  if (now) {
    assert_true(iat == (double)(now - 60));
    assert_true(exp == (double)(now + 540));
  }
  assert_true(exp - iat == 600.0);
  assert_string_equal(cJSON_GetObjectItem(c, "iss")->valuestring, "12345");
  cJSON_Delete(c);
  n = unb64url(d2 + 1, strlen(d2 + 1), part, sizeof part);
  assert_int_equal(n, 256); /* a 2048-bit RSA signature */
  assert_true(verify_sig(jwt, (size_t)(d2 - jwt), part, (size_t)n));
  /* one flipped byte of the signature, or of the signed text, fails */
  part[100] ^= 0x01;
  assert_false(verify_sig(jwt, (size_t)(d2 - jwt), part, (size_t)n));
  part[100] ^= 0x01;
  char *copy = strdup(jwt);
  copy[d1 - jwt + 3] = copy[d1 - jwt + 3] == 'A' ? 'B' : 'A';
  assert_false(verify_sig(copy, (size_t)(d2 - jwt), part, (size_t)n));
  free(copy);
}

static struct bg_github_app *new_app(const char *pem, const char *api) {
  struct bg_github_app *app = NULL;
  char err[256] = "";
  int rc = bg_github_app_new(APP_ID, pem, api, &app, err, sizeof err);
  if (rc != BG_OK)
    fail_msg("bg_github_app_new: %s", err);
  return app;
}

static void jwt_verifies_with_the_public_key(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs8, "https://api.github.com");
  char jwt[BG_GITHUB_APP_JWT_MAX], err[256] = "";
  assert_int_equal(bg_github_app_jwt(app, 1800000000LL, jwt, sizeof jwt, err, sizeof err), BG_OK);
  check_jwt(jwt, 1800000000LL);
  /* the header is the fixed one, byte for byte */
  assert_memory_equal(jwt, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.", 37);
  bg_github_app_free(app);
}

static void both_pem_forms_load(void **state) {
  (void)state;
  assert_non_null(strstr(g_pkcs1, "-----BEGIN RSA PRIVATE KEY-----"));
  assert_non_null(strstr(g_pkcs8, "-----BEGIN PRIVATE KEY-----"));
  const char *pems[] = {g_pkcs1, g_pkcs8};
  for (int i = 0; i < 2; i++) {
    struct bg_github_app *app = new_app(pems[i], "http://127.0.0.1:1/");
    char jwt[BG_GITHUB_APP_JWT_MAX];
    assert_int_equal(bg_github_app_jwt(app, 1700000000LL + i, jwt, sizeof jwt, NULL, 0), BG_OK);
    check_jwt(jwt, 1700000000LL + i);
    bg_github_app_free(app);
  }
}

static void refuses_a_buffer_too_small_for_the_jwt(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs1, "https://api.github.com");
  char jwt[200], err[256] = "";
  assert_int_equal(bg_github_app_jwt(app, 1800000000LL, jwt, sizeof jwt, err, sizeof err),
                   BG_ETOOBIG);
  assert_non_null(strstr(err, "too few"));
  bg_github_app_free(app);
}

/* bg_github_app_new refuses pem with BG_EINVAL and a message holding `want`, and no key
 * material (the base64 of a DER key starts "MII"). */
static void refused(const char *pem, const char *want) {
  struct bg_github_app *app = (struct bg_github_app *)1;
  char err[256] = "";
  assert_int_equal(bg_github_app_new(APP_ID, pem, "https://api.github.com", &app, err, sizeof err),
                   BG_EINVAL);
  assert_null(app);
  if (!strstr(err, want))
    fail_msg("\"%s\" does not say \"%s\"", err, want);
  assert_null(strstr(err, "MII"));
}

static void bad_keys_are_refused_by_name(void **state) {
  (void)state;
  refused("", "no PEM block");
  refused("not a key at all", "no PEM block");
  /* a public key where the private key belongs */
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(b, g_key);
  char *pub = bio_text(b);
  BIO_free(b);
  refused(pub, "no private key");
  free(pub);
  /* a PEM private key whose body is damaged */
  char *broken = strdup(g_pkcs8);
  char *body = strchr(broken, '\n') + 1;
  memcpy(body + 40, "AAAAAAAAAAAAAAAAAAAA", 20);
  refused(broken, "cannot be decoded");
  free(broken);
  /* encrypted */
  b = BIO_new(BIO_s_mem());
  assert_int_equal(
      PEM_write_bio_PKCS8PrivateKey(b, g_key, EVP_aes_128_cbc(), NULL, 0, NULL, (void *)"pass"), 1);
  char *enc = bio_text(b);
  BIO_free(b);
  refused(enc, "encrypted");
  free(enc);
  /* not RSA */
  EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  char *ecpem = pem_of(ec, "PrivateKeyInfo");
  refused(ecpem, "not RSA");
  free(ecpem);
  EVP_PKEY_free(ec);
  /* too short */
  EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
  char *smallpem = pem_of(small, "type-specific");
  refused(smallpem, "1024 bits");
  free(smallpem);
  EVP_PKEY_free(small);
}

static void bad_app_id_and_url_are_refused(void **state) {
  (void)state;
  struct bg_github_app *app = NULL;
  char err[256] = "";
  assert_int_equal(bg_github_app_new(0, g_pkcs8, "https://api.github.com", &app, err, sizeof err),
                   BG_EINVAL);
  assert_non_null(strstr(err, "GitHub App id"));
  assert_int_equal(bg_github_app_new(APP_ID, g_pkcs8, "ftp://x.example", &app, err, sizeof err),
                   BG_EINVAL);
  assert_non_null(strstr(err, "GitHub API URL"));
  assert_null(app);
}

/* ---- the token flow against the fake ---- */

struct stub {
  pid_t pid;
  char api[64];
  char log[256];
};
static struct stub g_stub;

static int stub_setup(void **state) {
  (void)state;
  int fd[2];
  const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(g_stub.log, sizeof g_stub.log, "%s/test_github_app.%d.log", tmp, (int)getpid());
  if (pipe(fd) != 0)
    return -1;
  g_stub.pid = fork();
  if (g_stub.pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    execlp("python3", "python3", BG_SOURCE_DIR "/tests/integration/github_app_stub.py", g_stub.log,
           (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  FILE *f = fdopen(fd[0], "r");
  char line[64] = "";
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return -1;
  }
  fclose(f);
  long port = strtol(line, NULL, 10);
  snprintf(g_stub.api, sizeof g_stub.api, "http://127.0.0.1:%ld", port > 0 ? port : 1);
  return 0;
}

static int stub_teardown(void **state) {
  (void)state;
  kill(g_stub.pid, SIGTERM);
  waitpid(g_stub.pid, NULL, 0);
  unlink(g_stub.log);
  return 0;
}

/* The log's lines ("METHOD PATH AUTHORIZATION"); *n their count. The caller frees. */
static char **log_lines(size_t *n) {
  FILE *f = fopen(g_stub.log, "r");
  assert_non_null(f);
  char **lines = NULL, buf[4096];
  *n = 0;
  while (fgets(buf, sizeof buf, f)) {
    buf[strcspn(buf, "\n")] = '\0';
    lines = realloc(lines, (*n + 1) * sizeof *lines);
    lines[(*n)++] = strdup(buf);
  }
  fclose(f);
  return lines;
}

static void free_lines(char **lines, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(lines[i]);
  free(lines);
}

static size_t log_count(void) {
  size_t n;
  char **lines = log_lines(&n);
  free_lines(lines, n);
  return n;
}

/* Checks that the requests of the log from line `from` on are, in order, the `want` lines
 * ("GET /repos/acme/app/installation", ...), each with a JWT that verifies. */
static void expect_requests(size_t from, const char *const *want, size_t nwant) {
  size_t n;
  char **lines = log_lines(&n);
  if (n - from != nwant)
    fail_msg("%zu requests, want %zu", n - from, nwant);
  for (size_t i = 0; i < nwant; i++) {
    size_t w = strlen(want[i]);
    if (strncmp(lines[from + i], want[i], w) != 0 || lines[from + i][w] != ' ')
      fail_msg("request %zu is \"%.80s\", want \"%s\"", i, lines[from + i], want[i]);
    const char *auth = lines[from + i] + w + 1;
    assert_memory_equal(auth, "Bearer ", 7);
    check_jwt(auth + 7, 0);
  }
  free_lines(lines, n);
}

#define GET_APP "GET /repos/acme/app/installation"
#define POST_11 "POST /app/installations/11/access_tokens"

static int header(struct bg_github_app *app, const char *repo, char *out, char *err) {
  return bg_github_app_header(app, repo, out, BG_GITHUB_APP_HEADER_MAX, err, 256);
}

static void caches_the_token_per_installation(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs1, g_stub.api);
  char h1[BG_GITHUB_APP_HEADER_MAX], h2[BG_GITHUB_APP_HEADER_MAX], err[256] = "";
  size_t from = log_count();
  assert_int_equal(header(app, "acme/app", h1, err), BG_OK);
  assert_memory_equal(h1, "Bearer ghs_i11_", 15);
  const char *first[] = {GET_APP, POST_11};
  expect_requests(from, first, 2);
  /* the second call makes no request */
  assert_int_equal(header(app, "acme/app", h2, err), BG_OK);
  assert_string_equal(h1, h2);
  assert_int_equal(log_count(), from + 2);
  /* another repository of the same installation: its lookup, and the same token */
  assert_int_equal(header(app, "acme/other", h2, err), BG_OK);
  assert_string_equal(h1, h2);
  const char *other[] = {"GET /repos/acme/other/installation"};
  expect_requests(from + 2, other, 1);
  bg_github_app_free(app);
}

static void renews_a_token_inside_the_margin(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs8, g_stub.api);
  char h1[BG_GITHUB_APP_HEADER_MAX], h2[BG_GITHUB_APP_HEADER_MAX], err[256] = "";
  size_t from = log_count();
  /* the fake's tokens of installation 22 expire in 4 minutes: inside the 5-minute margin */
  assert_int_equal(header(app, "acme/short", h1, err), BG_OK);
  assert_int_equal(header(app, "acme/short", h2, err), BG_OK);
  assert_string_not_equal(h1, h2);
  const char *want[] = {"GET /repos/acme/short/installation",
                        "POST /app/installations/22/access_tokens",
                        "POST /app/installations/22/access_tokens"};
  expect_requests(from, want, 3);
  bg_github_app_free(app);
}

static void renews_when_the_clock_reaches_the_margin(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs8, g_stub.api);
  char h1[BG_GITHUB_APP_HEADER_MAX], h2[BG_GITHUB_APP_HEADER_MAX], err[256] = "";
  long long now = (long long)time(NULL);
  size_t from = log_count();
  size_t L = BG_GITHUB_APP_HEADER_MAX;
  assert_int_equal(bg_github_app_header_at(app, "acme/app", now, h1, L, err, 256), BG_OK);
  /* the token lives an hour: at 54 minutes it is still used, at 56 it is renewed */
  assert_int_equal(bg_github_app_header_at(app, "acme/app", now + 3240, h2, L, err, 256), BG_OK);
  assert_string_equal(h1, h2);
  assert_int_equal(log_count(), from + 2);
  assert_int_equal(bg_github_app_header_at(app, "acme/app", now + 3360, h2, L, err, 256), BG_OK);
  assert_string_not_equal(h1, h2);
  const char *want[] = {GET_APP, POST_11, POST_11};
  expect_requests(from, want, 3);
  bg_github_app_free(app);
}

static void not_installed_is_enoent_and_not_cached(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs8, g_stub.api);
  char h[BG_GITHUB_APP_HEADER_MAX] = "", err[256] = "";
  size_t from = log_count();
  assert_int_equal(header(app, "acme/missing", h, err), BG_ENOENT);
  assert_non_null(strstr(err, "not installed on acme/missing"));
  assert_int_equal(header(app, "acme/missing", h, err), BG_ENOENT);
  const char *want[] = {"GET /repos/acme/missing/installation",
                        "GET /repos/acme/missing/installation"};
  expect_requests(from, want, 2);
  bg_github_app_free(app);
}

static void github_failures_are_enet_without_credentials(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs8, g_stub.api);
  char h[BG_GITHUB_APP_HEADER_MAX] = "", err[256] = "";
  assert_int_equal(header(app, "acme/broken", h, err), BG_ENET);
  assert_non_null(strstr(err, "GET /repos/acme/broken/installation: HTTP 500"));
  assert_int_equal(header(app, "acme/notoken", h, err), BG_ENET);
  assert_non_null(strstr(err, "POST /app/installations/33/access_tokens: HTTP 500"));
  assert_null(strstr(err, "eyJ"));
  assert_null(strstr(err, "ghs_"));
  bg_github_app_free(app);
  /* nothing listening */
  app = new_app(g_pkcs8, "http://127.0.0.1:1");
  assert_int_equal(header(app, "acme/app", h, err), BG_ENET);
  assert_non_null(strstr(err, "GET /repos/acme/app/installation"));
  bg_github_app_free(app);
}

static void forget_gets_a_new_token(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs1, g_stub.api);
  char h1[BG_GITHUB_APP_HEADER_MAX], h2[BG_GITHUB_APP_HEADER_MAX], err[256] = "";
  size_t from = log_count();
  assert_int_equal(header(app, "acme/app", h1, err), BG_OK);
  bg_github_app_forget(app, "acme/app");
  bg_github_app_forget(app, "acme/unknown"); /* does nothing */
  assert_int_equal(header(app, "acme/app", h2, err), BG_OK);
  assert_string_not_equal(h1, h2);
  const char *want[] = {GET_APP, POST_11, GET_APP, POST_11};
  expect_requests(from, want, 4);
  bg_github_app_free(app);
}

static void a_reinstalled_app_is_looked_up_again(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs8, g_stub.api);
  char h[BG_GITHUB_APP_HEADER_MAX], err[256] = "";
  long long now = (long long)time(NULL);
  size_t from = log_count(), L = BG_GITHUB_APP_HEADER_MAX;
  assert_int_equal(bg_github_app_header_at(app, "acme/moved", now, h, L, err, 256), BG_OK);
  assert_string_equal(h, "Bearer ghs_i55_1");
  /* an hour on, installation 55 is gone (404): the repository's installation is asked again */
  assert_int_equal(bg_github_app_header_at(app, "acme/moved", now + 3600, h, L, err, 256), BG_OK);
  assert_string_equal(h, "Bearer ghs_i56_1");
  const char *want[] = {
      "GET /repos/acme/moved/installation", "POST /app/installations/55/access_tokens",
      "POST /app/installations/55/access_tokens", "GET /repos/acme/moved/installation",
      "POST /app/installations/56/access_tokens"};
  expect_requests(from, want, 5);
  bg_github_app_free(app);
}

static void refuses_a_repository_that_is_not_owner_name(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs8, g_stub.api);
  char h[BG_GITHUB_APP_HEADER_MAX], err[256] = "";
  size_t from = log_count();
  const char *bad[] = {"acme",    "/app",      "acme/",        "acme/../x",
                       "acme/..", "ac me/app", "acme/app?x=1", "acme/a/b"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(header(app, bad[i], h, err), BG_EINVAL);
    assert_non_null(strstr(err, "not owner/name"));
  }
  assert_int_equal(log_count(), from);
  bg_github_app_free(app);
}

static void refuses_a_header_buffer_too_small(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs8, g_stub.api);
  char h[12], err[256] = "";
  assert_int_equal(bg_github_app_header(app, "acme/app", h, sizeof h, err, sizeof err), BG_ETOOBIG);
  assert_null(strstr(h, "ghs_"));
  bg_github_app_free(app);
}

struct racer {
  struct bg_github_app *app;
  char h[BG_GITHUB_APP_HEADER_MAX];
  int rc;
};

static void *race(void *arg) {
  struct racer *r = arg;
  char err[256];
  r->rc = bg_github_app_header(r->app, "acme/app", r->h, sizeof r->h, err, sizeof err);
  return NULL;
}

static void concurrent_callers_share_one_token_request(void **state) {
  (void)state;
  struct bg_github_app *app = new_app(g_pkcs8, g_stub.api);
  struct racer r[4];
  pthread_t t[4];
  size_t from = log_count();
  for (int i = 0; i < 4; i++) {
    r[i].app = app;
    assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(r[i].rc, BG_OK);
    assert_string_equal(r[i].h, r[0].h);
  }
  const char *want[] = {GET_APP, POST_11};
  expect_requests(from, want, 2);
  bg_github_app_free(app);
}

int main(void) {
  const struct CMUnitTest keys[] = {
      cmocka_unit_test(jwt_verifies_with_the_public_key),
      cmocka_unit_test(both_pem_forms_load),
      cmocka_unit_test(refuses_a_buffer_too_small_for_the_jwt),
      cmocka_unit_test(bad_keys_are_refused_by_name),
      cmocka_unit_test(bad_app_id_and_url_are_refused),
  };
  const struct CMUnitTest flow[] = {
      cmocka_unit_test(caches_the_token_per_installation),
      cmocka_unit_test(renews_a_token_inside_the_margin),
      cmocka_unit_test(renews_when_the_clock_reaches_the_margin),
      cmocka_unit_test(not_installed_is_enoent_and_not_cached),
      cmocka_unit_test(github_failures_are_enet_without_credentials),
      cmocka_unit_test(forget_gets_a_new_token),
      cmocka_unit_test(a_reinstalled_app_is_looked_up_again),
      cmocka_unit_test(refuses_a_repository_that_is_not_owner_name),
      cmocka_unit_test(refuses_a_header_buffer_too_small),
      cmocka_unit_test(concurrent_callers_share_one_token_request),
  };
  if (keys_setup(NULL) != 0) {
    fprintf(stderr, "cannot make an RSA key\n");
    return 1;
  }
  int failed = cmocka_run_group_tests_name("github_app_keys", keys, NULL, NULL);
  failed += cmocka_run_group_tests_name("github_app_tokens", flow, stub_setup, stub_teardown);
  keys_teardown(NULL);
  return failed;
}
