/* http.c: benchgated's HTTP server on libmicrohttpd.
 *
 * The access handler runs several times per request: the first call allocates the request's
 * state and rejects what can be rejected from the headers (405, 413 from Content-Length beyond
 * the route's body limit, 415);
 * the following calls copy the upload into a capped buffer; the last call routes the request
 * and queues the answer. Per-request state is freed in the completed callback, which also
 * keeps the count of requests in flight that a graceful stop waits for.
 *
 * A handler that asks to wait (req->park_ms) gets its connection parked (park.h) instead of
 * an answer: the last call returns without one, and libmicrohttpd calls it again once the
 * connection is resumed, with the request's state (its body, the time of its first handler
 * call) kept in struct request.
 */
#include "http.h"

#include "conn_guard.h"
#include "error.h"
#include "mem.h"
#include "metrics.h"
#include "park.h"
#include "routes.h"
#include "static_files.h"

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONN_MEMORY_LIMIT (64 * 1024) /* per connection: bounds the request header size */
#define CONN_TIMEOUT_S 30 /* idle seconds (no byte either way) before a connection is closed */
#define LISTEN_BACKLOG 1024
#define BODY_RETRY_AFTER_S 2
#define DISCARD_MAX (1024 * 1024) /* a chunked body's bytes past the bound read before closing */

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                          "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

struct bg_http {
  struct MHD_Daemon *daemon;
  struct bg_http_config cfg;
  struct bg_api_config api;
  char *web_root; /* realpath of cfg.web_dir, or NULL */
  struct bg_park *park;
  struct bg_conn_guard *guard;
  struct bg_metrics *metrics;
  const char **handlers; /* metrics' handler names: the routes' patterns, then EXTRA_HANDLERS */
  size_t nroutes;
  atomic_int inflight;
  atomic_llong body_bytes; /* bytes reserved by the bodies being read now */
  long long body_budget;   /* their bound: (--max-uploads + 2) x --max-body */
  int port;
};

/* The handler names of answers no route row gives, after the rows' patterns. */
enum { H_STATIC, H_NOT_FOUND, H_METHOD_NOT_ALLOWED, N_EXTRA };
static const char *const EXTRA_HANDLERS[N_EXTRA] = {"static", "not_found", "method_not_allowed"};

#define REQUEST_ID_MAX 64

struct request {
  struct bg_route_match match;
  int status;       /* 200 until something rejects the request early */
  const char *bad;  /* why a 400 rejects it */
  size_t discarded; /* body bytes past max_body (a chunked body), dropped */
  size_t max_body;  /* the route's own limit, or --max-body */
  struct bg_buf body;
  long long first_ms;           /* bg_park_now_ms of the handler's first call; 0 before */
  struct timespec t0;           /* the first call (the headers are in) */
  long long token_id;           /* the token the route checked; 0: none */
  char token_name[201];         /* its name, for the log line ("" when none); never its secret */
  long long reserved;           /* bytes of h->body_bytes this request's body holds */
  unsigned long long body_size; /* its Content-Length, or the route's limit when chunked */
  char id[REQUEST_ID_MAX + 1];
  char method[16]; /* for the log line; longer methods are cut */
  int answered;    /* an answer was queued (and logged) */
  /* The handler's Retry-After; "" for none. */
  char retry_after[16];
};

/* ---- answers ---- */

static void common_headers(struct MHD_Response *r);

static const char *route_name(const struct request *rq, int status) {
  if (rq->match.route)
    return rq->match.route->pattern;
  if (rq->match.static_file)
    return EXTRA_HANDLERS[H_STATIC];
  return EXTRA_HANDLERS[status == 405 ? H_METHOD_NOT_ALLOWED : H_NOT_FOUND];
}

static size_t handler_index(const struct bg_http *h, const struct request *rq, int status) {
  if (rq->match.route)
    return (size_t)(rq->match.route - bg_api_routes);
  if (rq->match.static_file)
    return h->nroutes + H_STATIC;
  return h->nroutes + (status == 405 ? H_METHOD_NOT_ALLOWED : H_NOT_FOUND);
}

static void client_address(struct MHD_Connection *c, char *out, size_t n) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci ? ci->client_addr : NULL;
  snprintf(out, n, "-");
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
              (socklen_t)n);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
              (socklen_t)n);
}

/* Records the answer in the metrics and logs its line. */
static void account(struct bg_http *h, struct MHD_Connection *c, const struct request *rq,
                    int status, size_t bytes) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - rq->t0.tv_sec) + (double)(t1.tv_nsec - rq->t0.tv_nsec) / 1e9;
  bg_metrics_request(h->metrics, handler_index(h, rq, status), status, s);
  char addr[INET6_ADDRSTRLEN + 1];
  client_address(c, addr, sizeof addr);
  struct bg_log_line l;
  bg_log_begin(&l, h->cfg.log_format, "request");
  bg_log_str(&l, "method", rq->method);
  bg_log_str(&l, "route", route_name(rq, status));
  bg_log_int(&l, "status", status);
  bg_log_num(&l, "duration_ms", s * 1e3);
  bg_log_int(&l, "bytes", (long long)bytes);
  bg_log_str(&l, "client", addr);
  bg_log_str(&l, "request_id", rq->id);
  if (rq->token_id)
    bg_log_int(&l, "token_id", rq->token_id);
  if (rq->token_name[0])
    bg_log_str(&l, "token", rq->token_name);
  bg_log_end(&l);
}

/* Adds the headers every answer has, queues r with `status`, and accounts for it. */
static enum MHD_Result queue(struct bg_http *h, struct MHD_Connection *c, struct request *rq,
                             int status, struct MHD_Response *r, size_t bytes) {
  common_headers(r);
  MHD_add_response_header(r, "X-Request-Id", rq->id);
  if (bg_conn_guard_is_draining(h->guard)) /* no further request on this connection */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
  MHD_destroy_response(r);
  account(h, c, rq, status, bytes);
  rq->answered = 1;
  return ret;
}

static void common_headers(struct MHD_Response *r) {
  MHD_add_response_header(r, "Content-Security-Policy", CSP);
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
  MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
  MHD_add_response_header(r, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

/* Queues `body` (taken over) with content type `type` (NULL: JSON). An answer with an ETag may
 * be cached but is revalidated each time (no-cache); others are not kept (no-store). */
static enum MHD_Result send_answer(struct bg_http *h, struct MHD_Connection *c, struct request *rq,
                                   int status, struct bg_buf *body, const char *type,
                                   const char *etag, const char *allow, const char *location,
                                   double ms) {
  size_t len = body->len;
  char *data = bg_buf_steal(body);
  struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, data, free);
  if (!r) {
    free(data);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type ? type : "application/json");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, etag ? "no-cache" : "no-store");
  if (etag)
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
  if (allow)
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
  if (location)
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
  if (rq->retry_after[0])
    MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, rq->retry_after);
  if (ms >= 0) {
    /* The handler's own time, so performance tests can tell server time from transfer. */
    char timing[48];
    snprintf(timing, sizeof timing, "app;dur=%.3f", ms);
    MHD_add_response_header(r, "Server-Timing", timing);
  }
  return queue(h, c, rq, status, r, len);
}

static enum MHD_Result send_error(struct bg_http *h, struct MHD_Connection *c, struct request *rq,
                                  int status, const char *code, const char *msg,
                                  const char *allow) {
  struct bg_req req = {0};
  bg_buf_init(&req.out, 0);
  bg_api_error(&req, status, code, NULL, "%s", msg);
  return send_answer(h, c, rq, status, &req.out, NULL, NULL, allow, NULL, -1);
}

/* ---- static files ---- */

/* 1 when the request's If-None-Match names `etag` (or is "*"). */
static int not_modified(struct MHD_Connection *c, const char *etag) {
  const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
  return inm && (strstr(inm, etag) || !strcmp(inm, "*"));
}

static enum MHD_Result send_static(struct bg_http *h, struct MHD_Connection *c, struct request *rq,
                                   const char *url) {
  char *path = h->web_root ? bg_static_path(h->web_root, url) : NULL;
  int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0)
      close(fd);
    free(path);
    return send_error(h, c, rq, 404, "not_found", "no such file", NULL);
  }
  char etag[80];
  bg_static_etag(&st, etag, sizeof etag);
  int unchanged = not_modified(c, etag);
  struct MHD_Response *r = unchanged
                               ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
                               : MHD_create_response_from_fd((size_t)st.st_size, fd);
  if (unchanged || !r)
    close(fd);
  if (!r) {
    free(path);
    return MHD_NO;
  }
  if (!unchanged)
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, bg_static_content_type(path));
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
  free(path);
  return queue(h, c, rq, unchanged ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r,
               unchanged ? 0 : (size_t)st.st_size);
}

/* ---- the access handler ---- */

static int is_json(const char *type) {
  if (!type)
    return 0;
  size_t n = strlen("application/json");
  return strncasecmp(type, "application/json", n) == 0 &&
         (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

/* The client's X-Request-Id when it is 1-64 safe characters, else 16 random hex digits. */
static void request_id(struct MHD_Connection *c, char id[REQUEST_ID_MAX + 1]) {
  const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
  size_t n =
      v ? strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") : 0;
  if (v && n && !v[n] && n <= REQUEST_ID_MAX) {
    memcpy(id, v, n + 1);
    return;
  }
  unsigned char raw[8] = {0};
  if (getrandom(raw, sizeof raw, GRND_NONBLOCK) != (ssize_t)sizeof raw) {
    /* No entropy yet (early boot): the time still tells requests apart. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long t =
        (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
    memcpy(raw, &t, sizeof raw);
  }
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(id + 2 * i, 3, "%02x", raw[i]);
}

struct framing {
  int content_length, transfer_encoding; /* how many of each header the request has */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
  struct framing *f = cls;
  (void)kind;
  (void)value;
  if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
    f->content_length++;
  else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING))
    f->transfer_encoding++;
  return MHD_YES;
}

/* Why the request's framing is ambiguous, or NULL. Two Content-Length headers, or one with
 * Transfer-Encoding, let a proxy in front and this server see different bodies (request
 * smuggling); libmicrohttpd would pick one, so such a request is refused outright. */
static const char *ambiguous_framing(struct MHD_Connection *c) {
  struct framing f = {0, 0};
  MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
  if (f.content_length > 1)
    return "the request has more than one Content-Length header";
  if (f.transfer_encoding > 1)
    return "the request has more than one Transfer-Encoding header";
  if (f.content_length && f.transfer_encoding)
    return "the request has both Content-Length and Transfer-Encoding";
  return NULL;
}

/* Bodies are read into memory whole, so the bytes of all bodies being read at once are
 * bounded: each request reserves its Content-Length (a chunked one its route's limit) before
 * its body is read, and one that does not fit is answered 503 with Retry-After at once,
 * unread. The bound is a few uploads' worth; the agent retries on 503. */
static void reserve_body(struct bg_http *h, struct request *rq, unsigned long long n) {
  /* A body that may be larger than the whole bound (a chunked webhook, whose route takes more
   * than --max-body) reserves all of it: it is read when no other is. */
  long long want = n > (unsigned long long)h->body_budget ? h->body_budget : (long long)n;
  long long had = atomic_fetch_add(&h->body_bytes, want);
  if (want > 0 && had + want > h->body_budget) {
    atomic_fetch_sub(&h->body_bytes, want);
    rq->status = 503;
    snprintf(rq->retry_after, sizeof rq->retry_after, "%d", BODY_RETRY_AFTER_S);
    return;
  }
  rq->reserved = want;
}

/* First call: decide from the headers alone whether the request can go on. */
static void first_call(struct bg_http *h, struct MHD_Connection *c, const char *url,
                       const char *method, struct request *rq) {
  if ((rq->bad = ambiguous_framing(c))) {
    rq->status = 400;
    return;
  }
  int st = bg_router_match(bg_api_routes, method, url, &rq->match);
  const struct bg_route *route = rq->match.route;
  rq->max_body = route && route->max_body ? route->max_body : h->cfg.max_body;
  bg_buf_init(&rq->body, rq->max_body);
  rq->status = st;
  if (st != 200 || !bg_router_takes_body(&rq->match))
    return;
  const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (len) {
    char *end;
    errno = 0;
    unsigned long long n = strtoull(len, &end, 10);
    if (errno || end == len || n > rq->max_body) {
      rq->status = 413;
      return;
    }
  }
  if (!is_json(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
    rq->status = 415;
    return;
  }
  rq->body_size = len ? strtoull(len, NULL, 10) : rq->max_body;
}

static enum MHD_Result reject(struct bg_http *h, struct MHD_Connection *c, struct request *rq) {
  char msg[128];
  switch (rq->status) {
  case 400:
    return send_error(h, c, rq, 400, "bad_request", rq->bad, NULL);
  case 404:
    return send_error(h, c, rq, 404, "not_found", "no such endpoint", NULL);
  case 405:
    return send_error(h, c, rq, 405, "method_not_allowed", "this path does not take that method",
                      rq->match.allow);
  case 413:
    snprintf(msg, sizeof msg, "the body is larger than %zu bytes", rq->max_body);
    return send_error(h, c, rq, 413, "too_large", msg, NULL);
  case 415:
    return send_error(h, c, rq, 415, "unsupported_media_type",
                      "send Content-Type: application/json", NULL);
  case 503:
    return send_error(h, c, rq, 503, "busy",
                      "the server is reading other large request bodies; retry after the time "
                      "in Retry-After",
                      NULL);
  default:
    return send_error(h, c, rq, 500, "internal_error", "unexpected state", NULL);
  }
}

/* Before a body is read: the route's access is checked from the headers (a client without the
 * right token is refused at once, so it cannot make the server read, hold or parse a body),
 * then the body's bytes are reserved (reserve_body). The handler checks the access again
 * when it runs, with the same answer. */
static enum MHD_Result before_body(struct bg_http *h, struct MHD_Connection *c,
                                   struct request *rq) {
  char err[300];
  struct bg_store *store = bg_db_thread(h->cfg.db, err, sizeof err);
  if (store) { /* without one the handler's own call answers 503 */
    struct bg_req req = {0};
    req.conn = c;
    req.cfg = &h->api;
    req.match = &rq->match;
    req.body = "";
    req.store = store;
    bg_buf_init(&req.out, 0);
    if (!bg_api_authorize(&req)) {
      rq->token_id = req.who.token_id;
      snprintf(rq->token_name, sizeof rq->token_name, "%s", req.who.name);
      return send_answer(h, c, rq, req.status ? req.status : 500, &req.out, NULL, NULL, NULL, NULL,
                         -1);
    }
    bg_buf_free(&req.out);
  }
  reserve_body(h, rq, rq->body_size);
  return rq->status == 200 ? MHD_YES : reject(h, c, rq);
}

/* Calls the request's handler and queues its answer, or parks the connection when the
 * handler asks to wait. A handler that asks while a wake-up went by looks again at once; one
 * that may not park (the bound, or stopping) is called again told so, and answers. */
static enum MHD_Result run_handler(struct bg_http *h, struct MHD_Connection *c,
                                   struct request *rq) {
  char err[300];
  struct bg_store *store = bg_db_thread(h->cfg.db, err, sizeof err);
  if (!store) {
    bg_log_event(h->cfg.log_format, "error", "database_unavailable", err);
    return send_error(h, c, rq, 503, "database_unavailable", "the database cannot be opened", NULL);
  }
  if (!rq->first_ms)
    rq->first_ms = bg_park_now_ms();
  int park_ok = 1;
  for (;;) {
    unsigned long long ticket = bg_park_ticket(h->park);
    struct bg_req req = {0};
    req.conn = c;
    req.cfg = &h->api;
    req.match = &rq->match;
    req.body = rq->body.data ? rq->body.data : "";
    req.body_len = rq->body.len;
    req.store = store;
    req.park_ok = park_ok;
    bg_buf_init(&req.out, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    req.waited_ms = bg_park_now_ms() - rq->first_ms;
    bg_api_handle(&req);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (req.wake_parked)
      bg_park_wake_all(h->park);
    rq->token_id = req.who.token_id;
    snprintf(rq->token_name, sizeof rq->token_name, "%s", req.who.name);
    memcpy(rq->retry_after, req.retry_after, sizeof rq->retry_after);
    if (req.park_ms <= 0 || !park_ok) {
      double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
      return send_answer(h, c, rq, req.status ? req.status : 500, &req.out, req.content_type,
                         req.etag[0] ? req.etag : NULL, req.status == 405 ? rq->match.allow : NULL,
                         req.location[0] ? req.location : NULL, ms);
    }
    bg_buf_free(&req.out);
    enum bg_park_result r = bg_park_add(h->park, c, bg_park_now_ms() + req.park_ms, ticket);
    if (r == BG_PARK_PARKED)
      return MHD_YES;
    park_ok = r != BG_PARK_FULL;
  }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls) {
  struct bg_http *h = cls;
  struct request *rq = *con_cls;
  (void)version;
  if (!rq) {
    rq = bg_xcalloc(1, sizeof *rq);
    *con_cls = rq;
    atomic_fetch_add(&h->inflight, 1);
    clock_gettime(CLOCK_MONOTONIC, &rq->t0);
    request_id(c, rq->id);
    snprintf(rq->method, sizeof rq->method, "%s", method);
    first_call(h, c, url, method, rq);
    int body = rq->status == 200 && bg_router_takes_body(&rq->match);
    bg_conn_guard_head(h->guard, c, body);
    /* Answering now, before the body is read, makes libmicrohttpd close the connection
     * after the answer instead of reading an unwanted body. */
    if (rq->status != 200)
      return reject(h, c, rq);
    return body ? before_body(h, c, rq) : MHD_YES;
  }
  if (*upload_size) {
    bg_conn_guard_body(h->guard, c, *upload_size);
    if (rq->status == 413 || bg_buf_append(&rq->body, upload, *upload_size) != BG_OK) {
      /* A chunked body (no Content-Length) beyond the bound. libmicrohttpd cannot answer
       * before such a body ends (it would read and drop it forever), so the rest is dropped
       * here and answered 413 when it ends; past DISCARD_MAX more bytes the connection is
       * closed instead, so an endless body cannot hold the server. */
      bg_buf_free(&rq->body);
      rq->status = 413;
      rq->discarded += *upload_size;
      if (rq->discarded > DISCARD_MAX)
        return MHD_NO;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  bg_conn_guard_busy(h->guard, c);
  if (rq->status == 413)
    return reject(h, c, rq);
  if (rq->match.static_file)
    return send_static(h, c, rq, url);
  return run_handler(h, c, rq);
}

/* A request that ended before any answer (the client left, timed out, or the server stopped):
 * its own log line, so a slow or vanished client shows in the log too. */
static void log_unanswered(struct bg_http *h, struct MHD_Connection *c, const struct request *rq,
                           enum MHD_RequestTerminationCode toe) {
  static const char *const why[] = {"completed", "error",      "timeout",
                                    "shutdown",  "read_error", "client_abort"};
  char addr[INET6_ADDRSTRLEN + 1];
  client_address(c, addr, sizeof addr);
  struct bg_log_line l;
  bg_log_begin(&l, h->cfg.log_format, "request_unanswered");
  bg_log_str(&l, "method", rq->method);
  bg_log_str(&l, "route", route_name(rq, 0));
  bg_log_str(&l, "reason", (unsigned)toe < sizeof why / sizeof *why ? why[toe] : "other");
  bg_log_int(&l, "bytes_read", (long long)rq->body.len);
  bg_log_str(&l, "client", addr);
  bg_log_str(&l, "request_id", rq->id);
  bg_log_end(&l);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
  struct bg_http *h = cls;
  struct request *rq = *con_cls;
  if (!rq)
    return;
  if (!rq->answered)
    log_unanswered(h, c, rq, toe);
  bg_conn_guard_done(h->guard, c);
  atomic_fetch_sub(&h->body_bytes, rq->reserved);
  bg_buf_free(&rq->body);
  free(rq);
  *con_cls = NULL;
  atomic_fetch_sub(&h->inflight, 1);
}

/* ---- start and stop ---- */

static int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* libmicrohttpd's unescaping of paths and query values, in place, except that "%00" stays as
 * it is: a decoded NUL would cut the string, so "/projects/p%00zzz" would be read as project
 * "p". Left encoded, it is an ordinary (and invalid) name. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls;
  (void)c;
  char *w = s;
  for (const char *r = s; *r;) {
    int hi = r[0] == '%' ? hex_digit(r[1]) : -1, lo = hi >= 0 ? hex_digit(r[2]) : -1;
    if (lo >= 0 && (hi | lo)) {
      *w++ = (char)(hi * 16 + lo);
      r += 3;
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
  return (size_t)(w - s);
}

/* A listening socket of our own, so that an address in use is an error with its reason
 * (libmicrohttpd's own would say only that it failed) and never shared with another server:
 * SO_REUSEADDR only, not SO_REUSEPORT. */
static int listen_on(const struct addrinfo *ai, const char *host, int port, char *err,
                     size_t errlen) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol), one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(e));
    return -1;
  }
  return fd;
}

static int bound_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t n = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &n) != 0)
    return -1;
  if (ss.ss_family == AF_INET6)
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Raises the soft limit on open files towards the hard one: every connection is a file, and
 * the usual soft limit of 1024 is below what --max-connections allows. */
static void raise_file_limit(unsigned need) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
    return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

/* The bound on the bytes of bodies read at once: --max-uploads + 2 bodies of --max-body. */
static long long body_budget(const struct bg_http_config *cfg) {
  return ((long long)(cfg->max_uploads > 0 ? cfg->max_uploads : 4) + 2) * (long long)cfg->max_body;
}

/* The metrics' handler names: each route row's pattern (by its index), then EXTRA_HANDLERS. */
static void start_metrics(struct bg_http *h) {
  while (bg_api_routes[h->nroutes].method)
    h->nroutes++;
  h->handlers = bg_xcalloc(h->nroutes + N_EXTRA, sizeof *h->handlers);
  for (size_t i = 0; i < h->nroutes; i++)
    h->handlers[i] = bg_api_routes[i].pattern;
  for (size_t i = 0; i < N_EXTRA; i++)
    h->handlers[h->nroutes + i] = EXTRA_HANDLERS[i];
  h->metrics = bg_metrics_new(h->handlers, h->nroutes + N_EXTRA);
  h->api.metrics = h->metrics;
}

int bg_http_start(const struct bg_http_config *cfg, struct bg_http **out, char *err,
                  size_t errlen) {
  struct bg_http *h = bg_xcalloc(1, sizeof *h);
  struct addrinfo hints = {0}, *ai = NULL;
  int rc = BG_OK;
  *out = NULL;
  h->cfg = *cfg;
  h->api.private_reads = cfg->private_reads;
  h->api.max_body = cfg->max_body;
  h->api.max_uploads = cfg->max_uploads;
  h->api.job_lease_s = cfg->job_lease_s;
  h->api.webhook_secret = cfg->webhook_secret;
  h->api.webhook_secret_len = cfg->webhook_secret_len;
  h->api.log_format = cfg->log_format;
  atomic_init(&h->inflight, 0);
  atomic_init(&h->body_bytes, 0);
  h->body_budget = body_budget(cfg);
  start_metrics(h);
  if (cfg->web_dir && !(h->web_root = realpath(cfg->web_dir, NULL))) {
    snprintf(err, errlen, "--web %s: %s", cfg->web_dir, strerror(errno));
    rc = BG_EINVAL;
    goto out;
  }
  char port[16];
  snprintf(port, sizeof port, "%d", cfg->port);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  int gai = getaddrinfo(cfg->host, port, &hints, &ai);
  if (gai) {
    snprintf(err, errlen, "--listen %s: %s", cfg->host, gai_strerror(gai));
    rc = BG_EINVAL;
    goto out;
  }
  unsigned max_total = cfg->limits.max_total ? cfg->limits.max_total : 1;
  raise_file_limit(2 * max_total + 256);
  if (!(h->park = bg_park_start(max_total, err, errlen)) ||
      !(h->guard = bg_conn_guard_start(&cfg->limits, h->metrics, cfg->log_format, err, errlen))) {
    rc = BG_EIO;
    goto out;
  }
  int fd = listen_on(ai, cfg->host, cfg->port, err, errlen);
  if (fd < 0) {
    rc = BG_ENET;
    goto out;
  }
  h->port = bound_port(fd);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                   MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
  if (ai->ai_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  /* libmicrohttpd's own bound is per worker thread and makes a thread at it stop accepting;
   * it is set above what the guard allows, so that the guard's bound is the one that acts. */
  unsigned mhd_limit = (max_total + 16) * (unsigned)cfg->threads;
  h->daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, handle, h, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
      (unsigned)cfg->threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
      MHD_OPTION_CONNECTION_LIMIT, mhd_limit, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)CONN_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
      MHD_OPTION_NOTIFY_CONNECTION, bg_conn_guard_notify, h->guard, MHD_OPTION_UNESCAPE_CALLBACK,
      unescape, NULL, MHD_OPTION_END);
  if (!h->daemon) {
    close(fd);
    snprintf(err, errlen, "cannot start the HTTP server on %s:%d", cfg->host, cfg->port);
    rc = BG_ENET;
    goto out;
  }
out:
  if (ai)
    freeaddrinfo(ai);
  if (rc) {
    bg_http_stop(h);
    return rc;
  }
  *out = h;
  return BG_OK;
}

int bg_http_port(const struct bg_http *h) {
  return h->port;
}

/* Hands the connections waiting in the listening socket's backlog to the daemon: they
 * connected before the stop and are served like the others, instead of being reset. */
static void take_backlog(struct bg_http *h, int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    return;
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t n = sizeof ss;
    int c = accept4(fd, (struct sockaddr *)&ss, &n, SOCK_CLOEXEC);
    if (c < 0)
      break;
    MHD_add_connection(h->daemon, c, (struct sockaddr *)&ss, n); /* closes it on failure */
  }
}

void bg_http_quiesce(struct bg_http *h) {
  if (!h || !h->daemon || bg_conn_guard_is_draining(h->guard))
    return;
  bg_conn_guard_draining(h->guard);
  MHD_socket s = MHD_quiesce_daemon(h->daemon);
  if (s != MHD_INVALID_SOCKET) {
    take_backlog(h, s);
    close(s);
  }
  /* Parked requests answer now (libmicrohttpd must not stop with a connection suspended);
   * from here on a request that asks to wait answers at once. */
  bg_park_stop(h->park);
}

size_t bg_http_pending(struct bg_http *h) {
  size_t n = h ? bg_conn_guard_pending(h->guard) : 0;
  int inflight = h ? atomic_load(&h->inflight) : 0;
  return n > (size_t)inflight ? n : (size_t)inflight;
}

void bg_http_stop(struct bg_http *h) {
  if (!h)
    return;
  if (h->daemon) {
    bg_http_quiesce(h);
    MHD_stop_daemon(h->daemon);
  }
  bg_conn_guard_free(h->guard);
  bg_park_free(h->park);
  bg_metrics_free(h->metrics);
  free(h->handlers);
  free(h->web_root);
  free(h);
}
