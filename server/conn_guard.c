/* conn_guard.c: connection bounds and request deadlines (the design is in conn_guard.h). */
#include "conn_guard.h"

#include "error.h"
#include "mem.h"
#include "metrics.h"

#include <netinet/in.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define TICK_MS 250
#define GRACE_S 10 /* a body's first seconds, before its rate counts */

enum phase {
  P_HEAD, /* waiting for a request head */
  P_BODY, /* reading a request body */
  P_BUSY  /* the handler runs, the request is parked, or the answer is being sent */
};

struct conn {
  struct conn *prev, *next;
  int fd;
  unsigned char addr[16]; /* IPv4 as IPv4-mapped IPv6 */
  enum phase phase;
  int served;         /* requests completed on it */
  int cut;            /* shut down by the guard (refused or overdue) */
  long long since_ms; /* P_HEAD: opened or last answered; P_BODY: the head arrived */
  size_t body_bytes;  /* P_BODY: bytes so far */
};

struct bg_conn_guard {
  struct bg_conn_limits lim;
  struct bg_metrics *metrics;
  enum bg_log_format log_format;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct conn *head;
  size_t open;
  unsigned long long refused[2], cut[3]; /* since the last log line: total, per client; */
  int draining, stop;                    /* header, body time, body rate */
  pthread_t sweeper;
};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void client_key(struct MHD_Connection *c, unsigned char out[16]) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci ? ci->client_addr : NULL;
  memset(out, 0, 16);
  if (sa && sa->sa_family == AF_INET) {
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
  } else if (sa && sa->sa_family == AF_INET6) {
    memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
  }
}

static int conn_fd(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  return ci ? ci->connect_fd : -1;
}

static struct conn *conn_of(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

/* Ends a connection now; the caller holds g->mu (so the socket is still this connection's). */
static void cut(struct conn *k) {
  if (!k->cut && k->fd >= 0)
    shutdown(k->fd, SHUT_RDWR);
  k->cut = 1;
}

/* Which bound, if any, the new connection k is beyond: 0 none, 1 total, 2 per client. Only
 * connections the guard has not cut count: one refused a moment ago may still be closing.
 * The caller holds g->mu and k is on the list. */
static int beyond(const struct bg_conn_guard *g, const struct conn *k) {
  unsigned live = 0, same = 0;
  for (const struct conn *o = g->head; o; o = o->next)
    if (!o->cut) {
      live++;
      same += !memcmp(o->addr, k->addr, 16);
    }
  if (live > g->lim.max_total)
    return 1;
  return g->lim.max_per_client && same > g->lim.max_per_client ? 2 : 0;
}

static void opened(struct bg_conn_guard *g, struct MHD_Connection *c, void **ctx) {
  struct conn *k = bg_xcalloc(1, sizeof *k);
  k->fd = conn_fd(c);
  client_key(c, k->addr);
  k->phase = P_HEAD;
  k->since_ms = now_ms();
  pthread_mutex_lock(&g->mu);
  k->next = g->head;
  if (g->head)
    g->head->prev = k;
  g->head = k;
  g->open++;
  int why = beyond(g, k);
  if (why) {
    cut(k);
    g->refused[why - 1]++;
  }
  pthread_mutex_unlock(&g->mu);
  bg_metrics_conn(g->metrics, BG_CONN_OPENED);
  if (why)
    bg_metrics_conn(g->metrics, why == 1 ? BG_CONN_REFUSED_TOTAL : BG_CONN_REFUSED_PER_CLIENT);
  *ctx = k;
}

static void closed(struct bg_conn_guard *g, void **ctx) {
  struct conn *k = *ctx;
  if (!k)
    return;
  pthread_mutex_lock(&g->mu);
  if (k->prev)
    k->prev->next = k->next;
  else
    g->head = k->next;
  if (k->next)
    k->next->prev = k->prev;
  g->open--;
  pthread_mutex_unlock(&g->mu);
  bg_metrics_conn(g->metrics, BG_CONN_CLOSED);
  free(k);
  *ctx = NULL;
}

void bg_conn_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  struct bg_conn_guard *g = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    opened(g, c, socket_context);
  else
    closed(g, socket_context);
}

/* Sets a connection's phase under the lock (the sweeper reads it). */
static void set_phase(struct bg_conn_guard *g, struct MHD_Connection *c, enum phase p,
                      int completed) {
  struct conn *k = conn_of(c);
  if (!k)
    return;
  pthread_mutex_lock(&g->mu);
  k->phase = p;
  k->since_ms = now_ms();
  k->body_bytes = 0;
  k->served += completed;
  pthread_mutex_unlock(&g->mu);
}

void bg_conn_guard_head(struct bg_conn_guard *g, struct MHD_Connection *c, int body) {
  set_phase(g, c, body ? P_BODY : P_BUSY, 0);
}

void bg_conn_guard_body(struct bg_conn_guard *g, struct MHD_Connection *c, size_t n) {
  struct conn *k = conn_of(c);
  if (!k)
    return;
  pthread_mutex_lock(&g->mu);
  k->body_bytes += n;
  pthread_mutex_unlock(&g->mu);
}

void bg_conn_guard_busy(struct bg_conn_guard *g, struct MHD_Connection *c) {
  set_phase(g, c, P_BUSY, 0);
}

void bg_conn_guard_done(struct bg_conn_guard *g, struct MHD_Connection *c) {
  set_phase(g, c, P_HEAD, 1);
}

/* 0, or which deadline (1 head, 2 body time, 3 body rate) connection k is past at `now`. */
static int overdue(const struct bg_conn_limits *l, const struct conn *k, long long now) {
  long long age = now - k->since_ms;
  if (k->phase == P_HEAD)
    return age > (long long)l->header_timeout_s * 1000 ? 1 : 0;
  if (k->phase != P_BODY)
    return 0;
  if (age > (long long)l->request_timeout_s * 1000)
    return 2;
  if (l->min_rate > 0 && age > GRACE_S * 1000 &&
      (double)k->body_bytes * 1000.0 / (double)age < (double)l->min_rate)
    return 3;
  return 0;
}

/* Logs what was refused and cut since the last line, at most once per tick. */
static void log_counts(struct bg_conn_guard *g, const unsigned long long refused[2],
                       const unsigned long long cuts[3]) {
  if (!(refused[0] | refused[1] | cuts[0] | cuts[1] | cuts[2]))
    return;
  struct bg_log_line l;
  bg_log_begin(&l, g->log_format, "connections_closed");
  bg_log_str(&l, "level", "warn");
  bg_log_int(&l, "refused_total_bound", (long long)refused[0]);
  bg_log_int(&l, "refused_client_bound", (long long)refused[1]);
  bg_log_int(&l, "header_timeout", (long long)cuts[0]);
  bg_log_int(&l, "body_timeout", (long long)cuts[1]);
  bg_log_int(&l, "body_too_slow", (long long)cuts[2]);
  bg_log_end(&l);
}

static void *sweep(void *arg) {
  struct bg_conn_guard *g = arg;
  static const enum bg_metrics_conn cut_metric[] = {BG_CONN_CUT_HEADER, BG_CONN_CUT_BODY_TIME,
                                                    BG_CONN_CUT_BODY_RATE};
  pthread_mutex_lock(&g->mu);
  while (!g->stop) {
    long long now = now_ms();
    for (struct conn *k = g->head; k; k = k->next) {
      int why = k->cut ? 0 : overdue(&g->lim, k, now);
      if (why) {
        cut(k);
        g->cut[why - 1]++;
        bg_metrics_conn(g->metrics, cut_metric[why - 1]);
      }
    }
    unsigned long long refused[2] = {g->refused[0], g->refused[1]};
    unsigned long long cuts[3] = {g->cut[0], g->cut[1], g->cut[2]};
    memset(g->refused, 0, sizeof g->refused);
    memset(g->cut, 0, sizeof g->cut);
    pthread_mutex_unlock(&g->mu);
    log_counts(g, refused, cuts);
    pthread_mutex_lock(&g->mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += TICK_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    if (!g->stop)
      pthread_cond_timedwait(&g->cv, &g->mu, &until);
  }
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

struct bg_conn_guard *bg_conn_guard_start(const struct bg_conn_limits *l, struct bg_metrics *m,
                                          enum bg_log_format log_format, char *err, size_t errlen) {
  struct bg_conn_guard *g = bg_xcalloc(1, sizeof *g);
  g->lim = *l;
  if (!g->lim.max_total)
    g->lim.max_total = 1;
  g->metrics = m;
  g->log_format = log_format;
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
  int rc = pthread_create(&g->sweeper, NULL, sweep, g);
  if (rc) {
    snprintf(err, errlen, "cannot start the connection guard: %s", strerror(rc));
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
    return NULL;
  }
  return g;
}

void bg_conn_guard_free(struct bg_conn_guard *g) {
  if (!g)
    return;
  pthread_mutex_lock(&g->mu);
  g->stop = 1;
  pthread_cond_signal(&g->cv);
  pthread_mutex_unlock(&g->mu);
  pthread_join(g->sweeper, NULL);
  while (g->head) { /* none once the daemon stopped; kept safe anyway */
    struct conn *k = g->head;
    g->head = k->next;
    free(k);
  }
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
  free(g);
}

void bg_conn_guard_draining(struct bg_conn_guard *g) {
  pthread_mutex_lock(&g->mu);
  g->draining = 1;
  pthread_mutex_unlock(&g->mu);
}

int bg_conn_guard_is_draining(struct bg_conn_guard *g) {
  pthread_mutex_lock(&g->mu);
  int d = g->draining;
  pthread_mutex_unlock(&g->mu);
  return d;
}

size_t bg_conn_guard_pending(struct bg_conn_guard *g) {
  size_t n = 0;
  pthread_mutex_lock(&g->mu);
  for (const struct conn *k = g->head; k; k = k->next)
    if (!k->cut && (k->phase != P_HEAD || !k->served))
      n++;
  pthread_mutex_unlock(&g->mu);
  return n;
}

size_t bg_conn_guard_open(struct bg_conn_guard *g) {
  pthread_mutex_lock(&g->mu);
  size_t n = g->open;
  pthread_mutex_unlock(&g->mu);
  return n;
}
