/* metrics.c: counters and histograms on atomics, rendered as Prometheus text (metrics.h).
 *
 * A histogram keeps one count per bucket (not cumulative) and the overflow past the last
 * bound; rendering adds them up, so +Inf and _count are the same number even while other
 * threads record. Sums are kept in nanoseconds as integers (atomics on doubles are not
 * portable C11).
 */
#include "metrics.h"

#include "mem.h"
#include "metrics_store.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const double REQ_BOUNDS[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define REQ_NB (sizeof REQ_BOUNDS / sizeof *REQ_BOUNDS)
static const double WAIT_BOUNDS[] = {1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600};
#define WAIT_NB (sizeof WAIT_BOUNDS / sizeof *WAIT_BOUNDS)

/* The status codes with series of their own; the last slot is every other code. */
static const int CODES[] = {200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 408, 409, 410,
                            411, 413, 414, 415, 422, 429, 431, 500, 501, 503, 504, 507};
#define NCODES (sizeof CODES / sizeof *CODES + 1)

struct hist {
  atomic_ullong bucket[REQ_NB + 1]; /* + the overflow; WAIT_NB < REQ_NB */
  atomic_ullong sum_ns;
};

struct bg_metrics {
  size_t n;
  const char *const *names;
  size_t *slot;     /* handler index -> the first index with the same name */
  struct hist *req; /* n * NCODES */
  struct hist wait;
  atomic_ullong runs;
  atomic_ullong conn[BG_CONN_NEVENTS];
};

struct bg_metrics *bg_metrics_new(const char *const *handlers, size_t n) {
  struct bg_metrics *m = bg_xcalloc(1, sizeof *m);
  m->n = n;
  m->names = handlers;
  m->slot = bg_xcalloc(n ? n : 1, sizeof *m->slot);
  m->req = bg_xcalloc(n ? n * NCODES : 1, sizeof *m->req); /* all-zero atomics are zero */
  for (size_t i = 0; i < n; i++) {
    m->slot[i] = i;
    for (size_t j = 0; j < i; j++)
      if (!strcmp(handlers[i], handlers[j])) {
        m->slot[i] = j;
        break;
      }
  }
  return m;
}

void bg_metrics_free(struct bg_metrics *m) {
  if (!m)
    return;
  free(m->slot);
  free(m->req);
  free(m);
}

static void observe(struct hist *h, const double *bounds, size_t nb, double seconds) {
  size_t b = 0;
  if (seconds < 0)
    seconds = 0;
  while (b < nb && seconds > bounds[b])
    b++;
  atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->sum_ns, (unsigned long long)(seconds * 1e9), memory_order_relaxed);
}

static size_t code_slot(int status) {
  for (size_t i = 0; i < NCODES - 1; i++)
    if (CODES[i] == status)
      return i;
  return NCODES - 1;
}

void bg_metrics_request(struct bg_metrics *m, size_t handler, int status, double seconds) {
  if (!m || handler >= m->n)
    return;
  observe(&m->req[m->slot[handler] * NCODES + code_slot(status)], REQ_BOUNDS, REQ_NB, seconds);
}

void bg_metrics_run_ingested(struct bg_metrics *m) {
  if (m)
    atomic_fetch_add_explicit(&m->runs, 1, memory_order_relaxed);
}

void bg_metrics_conn(struct bg_metrics *m, enum bg_metrics_conn what) {
  if (m && (unsigned)what < BG_CONN_NEVENTS)
    atomic_fetch_add_explicit(&m->conn[what], 1, memory_order_relaxed);
}

void bg_metrics_queue_wait(struct bg_metrics *m, double seconds) {
  if (m)
    observe(&m->wait, WAIT_BOUNDS, WAIT_NB, seconds);
}

/* ---- rendering ---- */

static void head(struct bg_buf *out, const char *name, const char *type, const char *help) {
  bg_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value escaped as the format wants (backslash, quote, newline). */
static void label_value(struct bg_buf *out, const char *v) {
  for (; *v; v++) {
    if (*v == '\\' || *v == '"')
      bg_buf_printf(out, "\\%c", *v);
    else if (*v == '\n')
      bg_buf_puts(out, "\\n");
    else
      bg_buf_append(out, v, 1);
  }
}

/* The series of one histogram; labels ("handler=\"x\",code=\"200\"," or "") come first in
 * each sample's braces. Nothing for a histogram that has seen nothing, when skip_empty. */
static void hist_series(struct bg_buf *out, const char *name, const char *labels,
                        const struct hist *h, const double *bounds, size_t nb, int skip_empty) {
  unsigned long long c[REQ_NB + 1], total = 0;
  for (size_t b = 0; b <= nb; b++)
    total += c[b] = atomic_load_explicit(&h->bucket[b], memory_order_relaxed);
  if (!total && skip_empty)
    return;
  unsigned long long cum = 0;
  for (size_t b = 0; b < nb; b++) {
    cum += c[b];
    bg_buf_printf(out, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, bounds[b], cum);
  }
  bg_buf_printf(out, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, total);
  size_t n = strlen(labels);
  /* _sum and _count take the labels without the trailing comma (no braces when none). */
  if (n)
    bg_buf_printf(out, "%s_sum{%.*s} %.9f\n%s_count{%.*s} %llu\n", name, (int)(n - 1), labels,
                  (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9, name,
                  (int)(n - 1), labels, total);
  else
    bg_buf_printf(out, "%s_sum %.9f\n%s_count %llu\n", name,
                  (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9, name,
                  total);
}

static void render_requests(const struct bg_metrics *m, struct bg_buf *out) {
  const char *name = "benchgate_http_request_duration_seconds";
  head(out, name, "histogram", "Time from routing a request to queueing its answer.");
  struct bg_buf labels;
  bg_buf_init(&labels, 0);
  for (size_t i = 0; i < m->n; i++) {
    if (m->slot[i] != i)
      continue;
    for (size_t c = 0; c < NCODES; c++) {
      bg_buf_reset(&labels);
      bg_buf_puts(&labels, "handler=\"");
      label_value(&labels, m->names[i]);
      if (c < NCODES - 1)
        bg_buf_printf(&labels, "\",code=\"%d\",", CODES[c]);
      else
        bg_buf_puts(&labels, "\",code=\"other\",");
      hist_series(out, name, labels.data, &m->req[i * NCODES + c], REQ_BOUNDS, REQ_NB, 1);
    }
  }
  bg_buf_free(&labels);
}

static void by_state(struct bg_buf *out, const char *name, const char *help,
                     const char *const *states, const long long *v, size_t n) {
  head(out, name, "gauge", help);
  for (size_t i = 0; i < n; i++)
    bg_buf_printf(out, "%s{state=\"%s\"} %lld\n", name, states[i], v[i]);
}

static void gauge(struct bg_buf *out, const char *name, const char *type, const char *help,
                  long long v) {
  head(out, name, type, help);
  bg_buf_printf(out, "%s %lld\n", name, v);
}

static void render_gauges(const struct bg_store_gauges *g, struct bg_buf *out) {
  by_state(out, "benchgate_verdicts", "Stored runs by the state of their verdict.",
           bg_mstore_verdict_states, g->verdicts, BG_MSTORE_VERDICTS);
  by_state(out, "benchgate_jobs", "Jobs by state.", bg_mstore_job_states, g->jobs, BG_MSTORE_JOBS);
  by_state(out, "benchgate_agents",
           "Agents by state (busy: holds a job; offline: not seen for 300 s).",
           bg_mstore_agent_states, g->agents, BG_MSTORE_AGENTS);
  gauge(out, "benchgate_outbox_depth", "gauge", "Outbox rows waiting to be sent to GitHub.",
        g->outbox_pending);
  gauge(out, "benchgate_outbox_failed", "gauge", "Outbox rows that failed for good.",
        g->outbox_failed);
  gauge(out, "benchgate_outbox_delivery_failures_total", "counter",
        "Attempts to send an outbox row that did not deliver it (from the stored rows).",
        g->outbox_failed_attempts);
  gauge(out, "benchgate_database_size_bytes", "gauge", "The database's pages times page size.",
        g->db_bytes);
  gauge(out, "benchgate_database_wal_size_bytes", "gauge", "The size of the database's WAL file.",
        g->wal_bytes);
  gauge(out, "benchgate_schema_version", "gauge", "The database's schema version.",
        g->schema_version);
}

static void render_connections(const struct bg_metrics *m, struct bg_buf *out) {
  static const char *const refused[] = {"total", "per_client"};
  static const char *const cut[] = {"header_timeout", "body_timeout", "body_too_slow"};
  unsigned long long v[BG_CONN_NEVENTS];
  for (size_t i = 0; i < BG_CONN_NEVENTS; i++)
    v[i] = atomic_load_explicit(&m->conn[i], memory_order_relaxed);
  gauge(out, "benchgate_connections_open", "gauge", "Client connections open now.",
        (long long)(v[BG_CONN_OPENED] - v[BG_CONN_CLOSED]));
  gauge(out, "benchgate_connections_accepted_total", "counter",
        "Client connections accepted (refused ones included).", (long long)v[BG_CONN_OPENED]);
  head(out, "benchgate_connections_refused_total", "counter",
       "Connections closed at once for a bound on connections (in total or per client).");
  for (size_t i = 0; i < 2; i++)
    bg_buf_printf(out, "benchgate_connections_refused_total{reason=\"%s\"} %llu\n", refused[i],
                  v[BG_CONN_REFUSED_TOTAL + i]);
  head(out, "benchgate_connections_cut_total", "counter",
       "Connections closed for a request that was too slow to arrive.");
  for (size_t i = 0; i < 3; i++)
    bg_buf_printf(out, "benchgate_connections_cut_total{reason=\"%s\"} %llu\n", cut[i],
                  v[BG_CONN_CUT_HEADER + i]);
}

void bg_metrics_render(const struct bg_metrics *m, const struct bg_store_gauges *g,
                       struct bg_buf *out) {
  if (m) {
    render_requests(m, out);
    gauge(out, "benchgate_runs_ingested_total", "counter",
          "Runs stored since the server started (uploads answered 201).",
          (long long)atomic_load_explicit(&m->runs, memory_order_relaxed));
    head(out, "benchgate_job_queue_wait_seconds", "histogram",
         "Time from a job's enqueue to its lease (to the second).");
    hist_series(out, "benchgate_job_queue_wait_seconds", "", &m->wait, WAIT_BOUNDS, WAIT_NB, 0);
    render_connections(m, out);
  }
  if (g)
    render_gauges(g, out);
}
