/* api.c: what the REST handlers share: errors, query parameters and headers, store
 * failures, commit names. The route table and its dispatcher are routes.c, above the
 * handlers. */
#include "api.h"

#include "reads.h"
#include "valid.h"

#include <ctype.h>
#include <microhttpd.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void bg_api_error(struct bg_req *req, int status, const char *code, const char *field,
                  const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  req->status = status;
  bg_buf_reset(&req->out);
  bg_buf_puts(&req->out, "{\"error\":{\"code\":");
  bg_json_str(&req->out, code);
  bg_buf_puts(&req->out, ",\"message\":");
  bg_json_str(&req->out, msg);
  if (field) {
    bg_buf_puts(&req->out, ",\"field\":");
    bg_json_str(&req->out, field);
  }
  bg_buf_puts(&req->out, "}}");
}

const char *bg_api_query(struct bg_req *req, const char *name) {
  return req->conn ? MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

const char *bg_api_header(struct bg_req *req, const char *name) {
  return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

void bg_api_cacheable(struct bg_req *req, const char *content_type) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)req->out.data, req->out.len, md);
  size_t n = 0;
  req->etag[n++] = '"';
  for (int i = 0; i < 16; i++) /* 128 bits tell two answers apart */
    n += (size_t)snprintf(req->etag + n, sizeof req->etag - n, "%02x", md[i]);
  snprintf(req->etag + n, sizeof req->etag - n, "\"");
  req->content_type = content_type;
  const char *inm = bg_api_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);
  if (inm && (strstr(inm, req->etag) || !strcmp(inm, "*"))) {
    req->status = 304;
    bg_buf_reset(&req->out);
  }
}

void bg_api_store_error(struct bg_req *req, int rc) {
  if (rc == BG_EDB && bg_store_no_space(req->store)) {
    /* The transaction rolled back whole: the request stored nothing, and what was stored
     * before is intact. The client may retry once there is space. */
    bg_log_event(req->cfg->log_format, "error", "disk_full", bg_store_errmsg(req->store));
    bg_api_error(req, 507, "insufficient_storage", NULL,
                 "the disk holding the database is full: nothing of this request was stored "
                 "and nothing stored before is lost; retry once space is freed");
  } else if (rc == BG_EDB) {
    bg_log_event(req->cfg->log_format, "error", "database_error", bg_store_errmsg(req->store));
    bg_api_error(req, 500, "database_error", NULL, "the database failed; see the server log");
  } else if (rc == BG_ENOENT) {
    bg_api_error(req, 404, "not_found", NULL, "not found");
  } else {
    bg_api_error(req, 500, "internal_error", NULL, "%s", bg_strerror(rc));
  }
}

int bg_api_commit_sha(struct bg_req *req, const struct bg_project *p, const char *text,
                      const char *param, char sha[65]) {
  char prefix[65], other[65] = "";
  size_t n = text ? strlen(text) : 0;
  int hex = n >= BG_API_SHA_PREFIX_MIN && n <= 64;
  for (size_t i = 0; hex && i < n; i++) {
    char c = (char)tolower((unsigned char)text[i]);
    hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    prefix[i] = c;
  }
  if (!hex) {
    if (param)
      bg_api_error(req, 400, "invalid_param", param,
                   "required: a commit sha or a unique prefix of it (7 to 64 hex digits)");
    else
      bg_api_error(req, 404, "commit_not_found", NULL, "no commit %.64s in project %s",
                   text ? text : "", p->slug);
    return 0;
  }
  prefix[n] = '\0';
  int rc = bg_reads_commit_resolve(req->store, p->id, prefix, sha, 65, other, sizeof other);
  if (rc == BG_ENOENT)
    bg_api_error(req, 404, "commit_not_found", param ? param : "sha", "no commit %s in project %s",
                 prefix, p->slug);
  else if (rc == BG_ECONFLICT)
    bg_api_error(req, 409, "ambiguous_commit", param ? param : "sha",
                 "%s names several commits (%s, %s, ...): give more digits", prefix, sha, other);
  else if (rc)
    bg_api_store_error(req, rc);
  return rc == BG_OK;
}
