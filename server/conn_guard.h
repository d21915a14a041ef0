/* conn_guard.h: benchgated's limits on connections, so that no client, slow or numerous, can
 * take the service from the others.
 *
 * libmicrohttpd bounds connections only per worker thread, and a thread at its bound stops
 * accepting: clients beyond it wait in the kernel's backlog instead of being told. Its idle
 * timeout restarts with every byte, so a client sending one header byte a second holds a
 * connection forever. This module keeps its own account of every connection and enforces:
 *
 *  - a total and a per-client-address bound: a connection beyond either is closed at once
 *    (the client sees the connection end, it does not hang), counted and logged once a second;
 *  - a deadline for a request's head: a connection must deliver a whole request head within
 *    header_timeout seconds of opening or of its previous answer (slow-loris clients and idle
 *    keep-alive connections are closed then);
 *  - a deadline and a minimum rate for a request's body: request_timeout seconds in all, and
 *    after the first GRACE seconds at least min_rate bytes per second on average.
 * A request whose handler runs, is parked (park.h) or whose answer is being sent is never cut.
 *
 * How: libmicrohttpd tells of each connection opening and closing (bg_conn_guard_notify, its
 * MHD_OPTION_NOTIFY_CONNECTION callback), and http.c tells of each request's phases. A
 * sweeper thread looks at every connection once per TICK and ends an overdue one with
 * shutdown(2) on its socket: libmicrohttpd then reads the end of the stream and closes the
 * connection itself. The sweeper and the close callback take the same mutex, and
 * libmicrohttpd calls that callback before it closes the socket, so the sweeper never touches
 * a socket number that was closed and reused.
 *
 * At shutdown (bg_conn_guard_draining), bg_conn_guard_pending counts the connections that
 * still owe an answer: a request in progress, or a fresh connection that has not sent its
 * first request yet (a client that connected just before the stop); idle keep-alive
 * connections do not count.
 */
#ifndef BG_CONN_GUARD_H
#define BG_CONN_GUARD_H

#include "log.h"

#include <microhttpd.h>
#include <stddef.h>

struct bg_metrics;

struct bg_conn_limits {
  unsigned max_total;      /* connections open at once; >= 1 */
  unsigned max_per_client; /* of one client address; 0: no bound of its own */
  int header_timeout_s;    /* a request head's deadline */
  int request_timeout_s;   /* a request body's deadline */
  long min_rate;           /* bytes per second a body must average after GRACE; 0: none */
};

struct bg_conn_guard;

/* Starts the sweeper. NULL with the reason in err when the thread cannot start. `m` may be
 * NULL (nothing counted). */
struct bg_conn_guard *bg_conn_guard_start(const struct bg_conn_limits *l, struct bg_metrics *m,
                                          enum bg_log_format log_format, char *err, size_t errlen);

/* Joins the sweeper and frees the guard; call after the daemon stopped. Accepts NULL. */
void bg_conn_guard_free(struct bg_conn_guard *g);

/* libmicrohttpd's connection notification (cls: the guard). */
void bg_conn_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code);

/* A request's phases, from http.c's access handler: its head is in (a body follows when
 * `body`), `n` more body bytes arrived, the body is complete (the handler runs), the request
 * completed (its answer was sent or it failed). */
void bg_conn_guard_head(struct bg_conn_guard *g, struct MHD_Connection *c, int body);
void bg_conn_guard_body(struct bg_conn_guard *g, struct MHD_Connection *c, size_t n);
void bg_conn_guard_busy(struct bg_conn_guard *g, struct MHD_Connection *c);
void bg_conn_guard_done(struct bg_conn_guard *g, struct MHD_Connection *c);

/* From now on the server is stopping (answers should close their connection). */
void bg_conn_guard_draining(struct bg_conn_guard *g);
int bg_conn_guard_is_draining(struct bg_conn_guard *g);

/* Connections that still owe an answer (see above). */
size_t bg_conn_guard_pending(struct bg_conn_guard *g);

/* Connections open now. */
size_t bg_conn_guard_open(struct bg_conn_guard *g);

#endif
