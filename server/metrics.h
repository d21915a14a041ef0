/* metrics.h: benchgated's counters and histograms, and their Prometheus text rendering.
 *
 * One struct bg_metrics per server, created by http.c and passed down (bg_api_config), never
 * a global. Everything in it is a relaxed atomic, so any worker thread records without a
 * lock. The gauges that the database knows (verdicts, jobs, agents, the outbox, file sizes)
 * are not kept here: /metrics reads them at scrape time (metrics_store.h) and
 * bg_metrics_render writes both.
 *
 * Request durations are a histogram by handler (a route's pattern, "static", "not_found",
 * "method_not_allowed") and status code; a code outside the table below counts as "other".
 */
#ifndef BG_METRICS_H
#define BG_METRICS_H

#include "buf.h"

#include <stddef.h>

struct bg_metrics;
struct bg_store_gauges;

/* A new set of metrics with `n` handler names (the strings must outlive it; equal names
 * share their series). bg_metrics_free frees it (accepts NULL). */
struct bg_metrics *bg_metrics_new(const char *const *handlers, size_t n);
void bg_metrics_free(struct bg_metrics *m);

/* One request answered by handler index `handler` (< n of bg_metrics_new; anything else is
 * ignored) with `status`, after `seconds`. */
void bg_metrics_request(struct bg_metrics *m, size_t handler, int status, double seconds);

/* One run stored (an upload answered 201). */
void bg_metrics_run_ingested(struct bg_metrics *m);

/* One job leased `seconds` after it was enqueued. */
void bg_metrics_queue_wait(struct bg_metrics *m, double seconds);

/* What the connection guard (conn_guard.h) did with a connection. */
enum bg_metrics_conn {
  BG_CONN_OPENED,             /* accepted */
  BG_CONN_CLOSED,             /* gone, for whatever reason */
  BG_CONN_REFUSED_TOTAL,      /* beyond the total bound */
  BG_CONN_REFUSED_PER_CLIENT, /* beyond its address's bound */
  BG_CONN_CUT_HEADER,         /* its request head was not in within the deadline */
  BG_CONN_CUT_BODY_TIME,      /* its body was not in within the deadline */
  BG_CONN_CUT_BODY_RATE,      /* its body came slower than the minimum rate */
  BG_CONN_NEVENTS
};
void bg_metrics_conn(struct bg_metrics *m, enum bg_metrics_conn what);

/* Appends every metric in the text exposition format 0.0.4: the counters and histograms of
 * m and, when g is not NULL, the database's gauges. Accepts m NULL (gauges only). */
void bg_metrics_render(const struct bg_metrics *m, const struct bg_store_gauges *g,
                       struct bg_buf *out);

#define BG_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
