/* client.c: JSON over HTTP(S) with libcurl, and where the token comes from. */
#include "client.h"

#include "mem.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

int bg_client_global_init(void) {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? BG_OK : BG_ENOMEM;
}

void bg_client_global_cleanup(void) {
  curl_global_cleanup();
}

void bg_response_free(struct bg_response *res) {
  if (res)
    bg_buf_free(&res->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  struct bg_buf *b = arg;
  /* Returning less than given makes curl stop with CURLE_WRITE_ERROR. */
  return bg_buf_append(b, p, size * n) == BG_OK ? size * n : 0;
}

/* Keeps the Retry-After header; curl calls this once per header line. */
static size_t on_header(char *p, size_t size, size_t n, void *arg) {
  struct bg_response *res = arg;
  size_t len = size * n;
  static const char name[] = "Retry-After:";
  if (len > sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1)) {
    const char *v = p + sizeof name - 1;
    size_t vl = len - (sizeof name - 1);
    while (vl && (*v == ' ' || *v == '\t')) {
      v++;
      vl--;
    }
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
      vl--;
    if (vl >= sizeof res->retry_after)
      vl = sizeof res->retry_after - 1;
    memcpy(res->retry_after, v, vl);
    res->retry_after[vl] = '\0';
  }
  return len;
}

/* Ends a transfer early once the client's cancel flag is set (curl polls this often). */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  const struct bg_client *c = arg;
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  return *c->cancel != 0;
}

int bg_client_request(const struct bg_client *c, const char *method, const char *path,
                      const char *json, struct bg_response *res, char *err, size_t errlen) {
  int rc = BG_OK;
  char url[2048], auth[4200], cerr[CURL_ERROR_SIZE] = "";
  struct curl_slist *hdr = NULL;
  CURL *h = NULL;
  size_t sl = c->server ? strlen(c->server) : 0;
  res->status = 0;
  res->retry_after[0] = '\0';
  bg_buf_init(&res->body, BG_CLIENT_BODY_MAX);
  if (errlen)
    err[0] = '\0';
  while (sl && c->server[sl - 1] == '/')
    sl--;
  if (!sl || (size_t)snprintf(url, sizeof url, "%.*s%s", (int)sl, c->server, path) >= sizeof url) {
    snprintf(err, errlen, "server URL missing or too long");
    return BG_EINVAL;
  }
  h = curl_easy_init();
  if (!h) {
    snprintf(err, errlen, "cannot initialise libcurl");
    return BG_ENOMEM;
  }
  hdr = curl_slist_append(hdr, "Accept: application/json");
  if (json)
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
  if (c->token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
    hdr = curl_slist_append(hdr, auth);
  }
  hdr = curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip for uploads */
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (json) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &res->body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, res);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 10000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms > 0 ? c->timeout_ms : 60000L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "benchgate/" BG_VERSION);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  if (c->cancel) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  CURLcode cc = curl_easy_perform(h);
  if (cc == CURLE_ABORTED_BY_CALLBACK) {
    snprintf(err, errlen, "%s: stopped on request", url);
    rc = BG_ECANCELED;
  } else if (cc == CURLE_WRITE_ERROR && res->body.len + CURL_MAX_WRITE_SIZE > res->body.max) {
    snprintf(err, errlen, "%s: answer larger than %u bytes", url, BG_CLIENT_BODY_MAX);
    rc = BG_ETOOBIG;
  } else if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
    snprintf(err, errlen, "%s: bad server URL (%s)", url, *cerr ? cerr : curl_easy_strerror(cc));
    rc = BG_EINVAL;
  } else if (cc != CURLE_OK) {
    snprintf(err, errlen, "%s: server unreachable: %s", url, *cerr ? cerr : curl_easy_strerror(cc));
    rc = BG_ENET;
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
    if (!res->body.data)
      bg_buf_append(&res->body, "", 0);
  }
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  if (rc != BG_OK)
    bg_buf_free(&res->body);
  return rc;
}

/* ---- retries ----------------------------------------------------------------------------- */

static int env_number(const char *name, double lo, double hi, double *v) {
  const char *s = getenv(name);
  char *end;
  if (!s || !*s)
    return 0;
  errno = 0;
  double d = strtod(s, &end);
  if (errno || end == s || *end || !(d >= lo && d <= hi)) {
    fprintf(stderr, "benchgate: warning: %s='%s' ignored: not a number in %g..%g\n", name, s, lo,
            hi);
    return 0;
  }
  *v = d;
  return 1;
}

void bg_retry_from_env(struct bg_retry *r) {
  double v;
  memset(r, 0, sizeof *r);
  r->attempts = BG_RETRY_ATTEMPTS;
  r->max_total_ms = BG_RETRY_MAX_TOTAL_MS;
  r->base_ms = BG_RETRY_BASE_MS;
  r->cap_ms = BG_RETRY_CAP_MS;
  if (env_number("BENCHGATE_RETRY_ATTEMPTS", 1, 100, &v))
    r->attempts = (int)v;
  if (env_number("BENCHGATE_RETRY_MAX_SECONDS", 0.001, 86400, &v))
    r->max_total_ms = (long long)(v * 1000);
  if (env_number("BENCHGATE_RETRY_BASE_MS", 1, 3600000, &v))
    r->base_ms = (long)v;
  if (env_number("BENCHGATE_RETRY_CAP_MS", 1, 3600000, &v))
    r->cap_ms = (long)v;
}

int bg_retry_worth(int rc, long status) {
  if (rc == BG_ENET)
    return 1;
  return rc == BG_OK && (status >= 500 || status == 429);
}

long long bg_retry_delay_ms(const struct bg_retry *r, int attempt, long long retry_after_ms,
                            double u) {
  long long cap = r->cap_ms > 0 ? r->cap_ms : BG_RETRY_CAP_MS;
  long long base = r->base_ms > 0 ? r->base_ms : BG_RETRY_BASE_MS;
  if (retry_after_ms >= 0)
    return retry_after_ms < cap ? retry_after_ms : cap;
  long long ceil = base;
  for (int i = 1; i < attempt && ceil < cap; i++)
    ceil *= 2;
  if (ceil > cap)
    ceil = cap;
  if (!(u >= 0) || u >= 1)
    u = 0;
  return (long long)(u * (double)ceil);
}

long long bg_client_retry_after_ms(const char *value, time_t now) {
  static const char *const formats[] = {
      "%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
      "%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850 */
      "%a %b %e %H:%M:%S %Y",      /* asctime */
  };
  if (!value || !*value)
    return -1;
  if (value[0] >= '0' && value[0] <= '9') {
    char *end;
    errno = 0;
    long long secs = strtoll(value, &end, 10);
    if (errno || *end || secs < 0)
      return -1;
    return secs > 86400LL * 365 ? 86400LL * 365 * 1000 : secs * 1000;
  }
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(value, formats[i], &tm);
    if (!end || *end)
      continue;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
      return -1;
    return t > now ? (long long)(t - now) * 1000 : 0;
  }
  return -1;
}

static double uniform01(void) {
  unsigned long long x = 0;
  if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x)
    x = (unsigned long long)time(NULL) * 6364136223846793005ULL + (unsigned long long)clock();
  return (double)(x >> 11) / 9007199254740992.0; /* 53 random bits in [0, 1) */
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bg_client_request_retry(const struct bg_client *c, const struct bg_retry *r, const char *method,
                            const char *path, const char *json, struct bg_response *res, int *tries,
                            char *err, size_t errlen) {
  struct bg_retry def;
  if (!r) {
    bg_retry_from_env(&def);
    r = &def;
  }
  int attempts = r->attempts > 0 ? r->attempts : BG_RETRY_ATTEMPTS;
  long long budget = r->max_total_ms > 0 ? r->max_total_ms : BG_RETRY_MAX_TOTAL_MS;
  long long t0 = mono_ms();
  int rc = BG_OK, n = 0;
  for (;;) {
    rc = bg_client_request(c, method, path, json, res, err, errlen);
    n++;
    if (!bg_retry_worth(rc, res->status) || n >= attempts)
      break;
    long long ra = rc == BG_OK ? bg_client_retry_after_ms(res->retry_after, time(NULL)) : -1;
    long long wait = bg_retry_delay_ms(r, n, ra, uniform01());
    /* Give up rather than start a try that could only end past the budget. */
    if (mono_ms() - t0 + wait > budget)
      break;
    if (!r->quiet) {
      char why[300];
      if (rc == BG_OK)
        snprintf(why, sizeof why, "server answered %ld", res->status);
      else
        snprintf(why, sizeof why, "%.280s", err);
      fprintf(stderr, "benchgate: %s; try %d of %d in %.1f s%s\n", why, n + 1, attempts,
              (double)wait / 1000.0, ra >= 0 ? " (Retry-After)" : "");
    }
    if (rc == BG_OK)
      bg_response_free(res);
    struct timespec ts = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
      ;
  }
  if (tries)
    *tries = n;
  return rc;
}

int bg_client_token(const char *flag_token, const char *token_file, char **token, char *err,
                    size_t errlen) {
  *token = NULL;
  if (token_file) {
    struct bg_buf b;
    struct stat st;
    int rc;
    bg_buf_init(&b, 8192);
    rc = bg_buf_read_file(&b, token_file);
    if (rc != BG_OK) {
      snprintf(err, errlen, "%s: cannot read the token file: %s", token_file,
               rc == BG_ETOOBIG ? "larger than 8 KiB" : strerror(errno));
      bg_buf_free(&b);
      return rc;
    }
    b.data[strcspn(b.data, "\r\n")] = '\0';
    size_t n = strlen(b.data);
    while (n && (b.data[n - 1] == ' ' || b.data[n - 1] == '\t'))
      b.data[--n] = '\0';
    if (!n) {
      snprintf(err, errlen, "%s: the token file is empty", token_file);
      bg_buf_free(&b);
      return BG_EINVAL;
    }
    if (stat(token_file, &st) == 0 && (st.st_mode & 077))
      fprintf(stderr, "benchgate: warning: %s is readable by other users (chmod 600 it)\n",
              token_file);
    *token = bg_buf_steal(&b);
    return BG_OK;
  }
  if (flag_token) {
    fprintf(stderr, "benchgate: warning: --token puts the token on the command line, where "
                    "process lists and CI logs can show it; prefer BENCHGATE_TOKEN or "
                    "--token-file\n");
    if (!*flag_token) {
      snprintf(err, errlen, "--token: empty");
      return BG_EINVAL;
    }
    *token = bg_xstrdup(flag_token);
    return BG_OK;
  }
  const char *env = getenv("BENCHGATE_TOKEN");
  if (env && *env)
    *token = bg_xstrdup(env);
  return BG_OK;
}

void bg_client_error_message(const struct bg_response *res, char *out, size_t outlen) {
  const char *body = res->body.data ? res->body.data : "";
  cJSON *root = cJSON_ParseWithLength(body, res->body.len);
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
  const cJSON *field = cJSON_GetObjectItemCaseSensitive(e, "field");
  if (cJSON_IsString(msg) && cJSON_IsString(field) && *field->valuestring)
    snprintf(out, outlen, "%s: %s", field->valuestring, msg->valuestring);
  else if (cJSON_IsString(msg))
    snprintf(out, outlen, "%s", msg->valuestring);
  else
    snprintf(out, outlen, "%.200s", body);
  cJSON_Delete(root);
}

void bg_client_error_code(const struct bg_response *res, char *out, size_t outlen) {
  cJSON *root = cJSON_ParseWithLength(res->body.data ? res->body.data : "", res->body.len);
  const cJSON *code =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "error"), "code");
  snprintf(out, outlen, "%s", cJSON_IsString(code) ? code->valuestring : "");
  cJSON_Delete(root);
}

/* The comparison member of an access answer into *a (NULL: nothing to fill). */
static void read_comparison(const cJSON *root, struct bg_client_access *a) {
  if (!a)
    return;
  a->mode = BG_COMPARE_HISTORY;
  a->rounds = 0;
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "comparison");
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive(c, "mode");
  const cJSON *rounds = cJSON_GetObjectItemCaseSensitive(c, "rounds");
  if (cJSON_IsString(mode) && !bg_compare_mode_parse(mode->valuestring, &a->mode))
    a->mode = BG_COMPARE_HISTORY;
  if (cJSON_IsNumber(rounds) && rounds->valuedouble >= 2 &&
      rounds->valuedouble <= BG_INTERLEAVE_MAX_ROUNDS)
    a->rounds = (size_t)rounds->valuedouble;
}

/* Judges a 200 answer of the access check: BG_OK when it grants uploads. */
static int judge_access(const struct bg_response *res, const char *project,
                        struct bg_client_access *access, char *err, size_t errlen) {
  cJSON *root = cJSON_ParseWithLength(res->body.data ? res->body.data : "", res->body.len);
  read_comparison(root, access);
  const cJSON *role = cJSON_GetObjectItemCaseSensitive(root, "role");
  const cJSON *upload = cJSON_GetObjectItemCaseSensitive(root, "upload");
  int rc = BG_OK;
  if (!cJSON_IsString(role) || !cJSON_IsBool(upload)) {
    snprintf(err, errlen, "the server's access answer has no role and upload: %.200s",
             res->body.data ? res->body.data : "");
    rc = BG_EINVAL;
  } else if (!cJSON_IsTrue(upload)) {
    snprintf(err, errlen,
             "token rejected for uploading to project '%s': it has the %s role; uploads need "
             "an agent (or admin) token",
             project, role->valuestring);
    rc = BG_EPERM;
  }
  cJSON_Delete(root);
  return rc;
}

int bg_client_check_upload(const struct bg_client *c, const struct bg_retry *r, const char *project,
                           struct bg_client_access *access, char *err, size_t errlen) {
  struct bg_response res;
  char path[512], msg[512], code[64];
  snprintf(path, sizeof path, "/api/v1/projects/%s/access", project);
  int rc = bg_client_request_retry(c, r, "GET", path, NULL, &res, NULL, err, errlen);
  if (rc != BG_OK)
    return rc;
  bg_client_error_message(&res, msg, sizeof msg);
  bg_client_error_code(&res, code, sizeof code);
  if (res.status == 200) {
    rc = judge_access(&res, project, access, err, errlen);
  } else if (res.status == 401) {
    snprintf(err, errlen, "token rejected (401): %s", msg);
    rc = BG_EAUTH;
  } else if (res.status == 403) {
    snprintf(err, errlen, "token rejected (403) for project '%s': %s", project, msg);
    rc = BG_EPERM;
  } else if (res.status == 404 && !strcmp(code, "project_not_found")) {
    snprintf(err, errlen, "no project '%s' on %s: fix project: in the config, or create it",
             project, c->server);
    rc = BG_ENOENT;
  } else if (res.status == 404 || res.status == 405 || res.status == 501) {
    snprintf(err, errlen, "the server does not offer the access check (it answered %ld)",
             res.status);
    rc = BG_EUNSUPP;
  } else if (bg_retry_worth(BG_OK, res.status)) {
    snprintf(err, errlen, "the server is failing: it answered %ld: %s", res.status, msg);
    rc = BG_ENET;
  } else {
    snprintf(err, errlen, "the access check was answered %ld: %s", res.status, msg);
    rc = BG_EINVAL;
  }
  bg_response_free(&res);
  return rc;
}
