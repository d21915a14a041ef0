/* series.h: the reads of a project's series, one per (benchmark, measure) on a testbed and
 * branch: the list of them with their latest values, and one series' trend with its change
 * points and alerts.
 *
 * Each writes its JSON answer into a caller's struct bg_buf, so the HTTP layer sends it as it
 * is.
 */
#ifndef BG_SERIES_H
#define BG_SERIES_H

#include "buf.h"
#include "error.h"
#include "store.h"

/* Appends {"testbed","branch","benchmarks":[{benchmark, measure, unit, direction, latest}]}:
 * every (benchmark, measure) seen in the latest BG_SERIES_LATEST_RUNS runs on the testbed and
 * branch, with its latest value (the scan stops early once three runs in a row add nothing).
 * testbed NULL: the project's only testbed (BG_EINVAL naming "testbed" when it has several);
 * branch NULL: the default branch. BG_OK, BG_EINVAL, BG_ENOENT naming "testbed" or "branch"
 * when a name given is not the project's, BG_EDB. */
#define BG_SERIES_LATEST_RUNS 50
int bg_series_benchmarks_json(struct bg_store *s, const struct bg_project *p, const char *testbed,
                              const char *branch, struct bg_buf *out, struct bg_ferr *e);

/* A trend query: one point per commit for (benchmark, measure) on testbed and branch. */
struct bg_series_query {
  const char *benchmark; /* required */
  const char *measure;   /* required */
  const char *testbed;   /* NULL: the project's only testbed */
  const char *branch;    /* NULL: the project's default branch */
  int limit;             /* latest `limit` commits, 1..BG_SERIES_MAX */
};
#define BG_SERIES_DEFAULT 1000
#define BG_SERIES_MAX 10000

/* Appends {"benchmark",...,"points":[{sha,time,mean,lower,upper,n}],"change_points":[...],
 * "alerts":[...]}, points oldest first; change points (default branch only) and the series'
 * alerts as changepoints_store.h lists them. Several runs of one commit are pooled into
 * one point; the interval is mean +- 1.96 stddev / sqrt(n). An unknown benchmark, measure, or a
 * testbed or branch given that the project does not have, gives BG_ENOENT with e->field naming
 * it; BG_EINVAL for an ambiguous testbed; BG_EDB. */
int bg_series_json(struct bg_store *s, const struct bg_project *p, const struct bg_series_query *q,
                   struct bg_buf *out, struct bg_ferr *e);

#endif
