/* http.h: benchgated's HTTP server on libmicrohttpd.
 *
 * The daemon runs an internal thread pool; each worker thread has its own connection of the
 * database (bg_db_thread). A request's body is collected into a capped buffer (413 from
 * Content-Length before reading), routed by router.c, answered by an api_*.c handler, or
 * served as a static file of --web with a strict Content-Security-Policy. A handler that
 * waits (a long-polled lease) has its connection parked (park.h), not its thread.
 * Connections are bounded and slow requests cut by conn_guard.h; a request whose framing is
 * ambiguous (two Content-Length headers, or one with Transfer-Encoding) is 400, and "%00" in a
 * path or query stays encoded rather than cutting the string.
 *
 * Every answer carries X-Request-Id (the client's own when it sent 1-64 characters of
 * [A-Za-z0-9._:-], else 16 random hex digits), is counted in the server's metrics (metrics.h:
 * duration by route pattern and status) and logged as one line on stderr (log.h: method,
 * route, status, duration, bytes, client address, request id, the token's id and name when
 * one was checked, never its secret).
 */
#ifndef BG_HTTP_H
#define BG_HTTP_H

#include "conn_guard.h"
#include "log.h"

#include <stddef.h>

struct bg_db;

struct bg_http_config {
  struct bg_db *db;    /* the database; outlives the server */
  const char *web_dir; /* static files; NULL: none */
  const char *host;    /* numeric address or name to listen on */
  int port;            /* 0: any free port */
  int threads;         /* worker threads, >= 1 */
  int private_reads;   /* reads need a token */
  size_t max_body;     /* largest request body in bytes, unless the route sets its own */
  int job_lease_s;     /* a job's lease length in seconds */
  const unsigned char *webhook_secret; /* NULL: webhooks are off */
  size_t webhook_secret_len;
  enum bg_log_format log_format; /* each request's log line on stderr */
  struct bg_conn_limits limits;  /* connections and request deadlines (conn_guard.h) */
  int max_uploads;               /* uploads handled at once (bg_api_config) */
};

struct bg_http;

/* Starts listening. Returns BG_OK with a new server in *out, or BG_EINVAL/BG_EIO/BG_ENET
 * with the reason in err. The configuration's strings must outlive the server. */
int bg_http_start(const struct bg_http_config *cfg, struct bg_http **out, char *err, size_t errlen);

/* The port the server listens on (useful with port 0). */
int bg_http_port(const struct bg_http *h);

/* The first step of a graceful stop: stops accepting connections (those already waiting in
 * the listening socket's backlog are still served), has the parked requests answer (a
 * waiting lease: 204), and from then on every answer closes its connection. Accepts NULL;
 * a second call does nothing. */
void bg_http_quiesce(struct bg_http *h);

/* Requests still owed an answer: in progress, or a connection that has not sent its first
 * request yet. A stopping server waits for 0 (bounded by the request deadlines). */
size_t bg_http_pending(struct bg_http *h);

/* Quiesces if that was not done, stops the daemon (closing whatever connection is left) and
 * frees the server. Accepts NULL. */
void bg_http_stop(struct bg_http *h);

#endif
