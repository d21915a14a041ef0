/* github_http.c: one request to GitHub's REST API, with libcurl (github_http.h). */
#include "github_http.h"

#include "error.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONNECT_MS 10000L
#define TOTAL_MS 30000L

void *bg_github_http_open(void) {
  return curl_easy_init();
}

void bg_github_http_close(void *h) {
  if (h)
    curl_easy_cleanup(h);
}

void bg_github_response_init(struct bg_github_response *res) {
  memset(res, 0, sizeof *res);
  bg_buf_init(&res->body, BG_GITHUB_BODY_MAX);
  res->retry_after_s = -1;
  res->rl_remaining = -1;
}

void bg_github_response_free(struct bg_github_response *res) {
  bg_buf_free(&res->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  struct bg_buf *b = ud;
  return bg_buf_append(b, p, size * n) == BG_OK ? size * n : 0;
}

/* A header's value as a non-negative integer; -1 when it is not one. */
static long long header_int(const char *v, size_t n) {
  char tmp[32], *end;
  while (n && (*v == ' ' || *v == '\t'))
    v++, n--;
  while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
    n--;
  if (n == 0 || n >= sizeof tmp)
    return -1;
  memcpy(tmp, v, n);
  tmp[n] = '\0';
  errno = 0;
  long long x = strtoll(tmp, &end, 10);
  return errno || *end || x < 0 ? -1 : x;
}

/* The URL of rel="next" in a Link header value: `<url>; rel="next", <url>; rel="last"`. */
static void link_next(const char *v, size_t n, char *out, size_t outlen) {
  const char *end = v + n;
  while (v < end) {
    const char *lt = memchr(v, '<', (size_t)(end - v));
    if (!lt)
      return;
    const char *gt = memchr(lt, '>', (size_t)(end - lt));
    if (!gt)
      return;
    const char *comma = memchr(gt, ',', (size_t)(end - gt));
    const char *stop = comma ? comma : end;
    size_t plen = (size_t)(stop - gt);
    /* The parameters between '>' and the next ',' name the relation. */
    for (size_t i = 0; i + 10 <= plen; i++)
      if (!strncmp(gt + i, "rel=\"next\"", 10) && (size_t)(gt - lt - 1) < outlen) {
        memcpy(out, lt + 1, (size_t)(gt - lt - 1));
        out[gt - lt - 1] = '\0';
        return;
      }
    v = stop + (comma ? 1 : 0);
  }
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  struct bg_github_response *res = ud;
  size_t len = size * n;
  const char *colon = memchr(p, ':', len);
  if (!colon)
    return len;
  size_t nlen = (size_t)(colon - p), vlen = len - nlen - 1;
  const char *v = colon + 1;
  if (nlen == 11 && !strncasecmp(p, "retry-after", 11))
    res->retry_after_s = header_int(v, vlen);
  else if (nlen == 21 && !strncasecmp(p, "x-ratelimit-remaining", 21))
    res->rl_remaining = header_int(v, vlen);
  else if (nlen == 17 && !strncasecmp(p, "x-ratelimit-reset", 17))
    res->rl_reset = header_int(v, vlen) > 0 ? header_int(v, vlen) : 0;
  else if (nlen == 4 && !strncasecmp(p, "link", 4))
    link_next(v, vlen, res->next_url, sizeof res->next_url);
  return len;
}

/* libcurl's progress callback: a non-zero answer abandons the transfer. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  return atomic_load((const atomic_int *)ud) != 0;
}

int bg_github_http(void *h, const char *method, const char *url, const char *auth, const char *body,
                   const atomic_int *cancel, struct bg_github_response *res) {
  struct curl_slist *hdr = NULL;
  char cerr[CURL_ERROR_SIZE] = "", authline[4200];
  int rc = BG_OK;
  snprintf(authline, sizeof authline, "Authorization: %s", auth);
  hdr = curl_slist_append(hdr, authline);
  hdr = curl_slist_append(hdr, "Accept: application/vnd.github+json");
  hdr = curl_slist_append(hdr, "X-GitHub-Api-Version: 2022-11-28");
  if (body)
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
  memset(authline, 0, sizeof authline); /* curl_slist_append copied it */
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &res->body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, res);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, TOTAL_MS);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "benchgated/" BG_VERSION);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  if (cancel) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)cancel);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  CURLcode c = curl_easy_perform(h);
  if (c != CURLE_OK) {
    snprintf(res->error, sizeof res->error, "%s", cerr[0] ? cerr : curl_easy_strerror(c));
    rc = BG_ENET;
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
    bg_buf_puts(&res->body, ""); /* NUL-terminated even when empty */
  }
  /* The handle keeps the header list's pointer until the next reset: drop it now. */
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(hdr);
  return rc;
}
