/* client.c: JSON over HTTP(S) with libcurl, and where the token comes from. */
#include "client.h"

#include "mem.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int bg_client_request(const struct bg_client *c, const char *method, const char *path,
                      const char *json, struct bg_response *res, char *err, size_t errlen) {
  int rc = BG_OK;
  char url[2048], auth[4200], cerr[CURL_ERROR_SIZE] = "";
  struct curl_slist *hdr = NULL;
  CURL *h = NULL;
  size_t sl = c->server ? strlen(c->server) : 0;
  res->status = 0;
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
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 10000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms > 0 ? c->timeout_ms : 60000L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "benchgate/" BG_VERSION);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  CURLcode cc = curl_easy_perform(h);
  if (cc == CURLE_WRITE_ERROR && res->body.len + CURL_MAX_WRITE_SIZE > res->body.max) {
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
