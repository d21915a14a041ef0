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

/* Appends {"testbed","branch"[,"spark_commits"],"benchmarks":[{benchmark, measure, unit,
 * direction, latest, change, open_alerts[, spark]}]} (series_spark.h: change is the newest
 * change point on the testbed, default branch only; spark when spark > 0, over the latest
 * `spark` commits):
 * every (benchmark, measure) seen in the latest BG_SERIES_LATEST_RUNS runs on the testbed and
 * branch, with its latest value (the scan stops early once three runs in a row add nothing).
 * testbed NULL: the project's only testbed (BG_EINVAL naming "testbed" when it has several);
 * branch NULL: the default branch. BG_OK, BG_EINVAL, BG_ENOENT naming "testbed" or "branch"
 * when a name given is not the project's, BG_EDB. */
#define BG_SERIES_LATEST_RUNS 50
int bg_series_benchmarks_json(struct bg_store *s, const struct bg_project *p, const char *testbed,
                              const char *branch, int spark, struct bg_buf *out, struct bg_ferr *e);

/* A trend query: one point per commit for (benchmark, measure) on testbed and branch. */
struct bg_series_query {
  const char *benchmark; /* required */
  const char *measure;   /* required */
  const char *testbed;   /* NULL: the project's only testbed */
  const char *branch;    /* NULL: the project's default branch */
  int limit;             /* latest `limit` commits, 1..BG_SERIES_MAX */
  int max_points;        /* 0: every point; else decimated to about this many (decimate.h) */
  int subjects;          /* 1: each point carries its commit's subject */
};
#define BG_SERIES_MAX_POINTS_MIN 16
#define BG_SERIES_DEFAULT 1000
#define BG_SERIES_MAX 10000

/* Appends {"benchmark",...,"total_points","decimated","points":[{sha,time,mean,lower,upper,n
 * [,subject]}],"change_points":[...],"alerts":[...]}, points oldest first. With max_points,
 * a series of more points keeps at most max_points + K of them: K the first and last, those
 * of the change points' commits (sha and first_sha) and of the regression alerts' commits,
 * the others each bucket's min and max (lib/decimate.h); change points' "index" refers to the
 * returned points. total_points counts the points before decimation; change points (default branch
 * only) and the series' alerts as changepoints_store.h lists them. Several runs of one commit are
 * pooled into one point; the interval is mean +- 1.96 stddev / sqrt(n). An unknown benchmark,
 * measure, or a testbed or branch given that the project does not have, gives BG_ENOENT with
 * e->field naming it; BG_EINVAL for an ambiguous testbed; BG_EDB. */
int bg_series_json(struct bg_store *s, const struct bg_project *p, const struct bg_series_query *q,
                   struct bg_buf *out, struct bg_ferr *e);

#endif
