/* series_spark.h: what the list of benchmarks shows beside each latest value: its spark (the
 * means at the latest commits), its newest change point and its count of open alerts.
 *
 * The list (series.c) passes its (benchmark, measure) pairs; each gets a struct
 * bg_series_extra filled by three reads for the whole list, not one per benchmark.
 */
#ifndef BG_SERIES_SPARK_H
#define BG_SERIES_SPARK_H

#include "buf.h"
#include "error.h"
#include "store.h"

#include <stddef.h>

#define BG_SERIES_SPARK_MIN 2
#define BG_SERIES_SPARK_MAX 200

/* The extras of one series of the list. */
struct bg_series_extra {
  long long benchmark, measure; /* ids: the key, set by the caller */
  int has_change;               /* 1: the series has a change point on the testbed */
  char change_sha[65];
  long long change_time;  /* the change point's commit time */
  double change_relative; /* after / before - 1; NAN when not defined */
  long long open_alerts;  /* open alerts (regression or changepoint) on the testbed */
  double *spark;          /* malloc'd spark_n means, oldest first, NAN where none; or NULL */
};

/* Where the list reads: the project, testbed and branch ids, and whether the branch is the
 * project's default (change points exist only there). */
struct bg_series_where {
  long long project, testbed, branch;
  int on_default;
};

/* Fills ex[0..n-1] (keys set): the newest change point and open alert count of each, and
 * when spark_n > 0 its spark over the latest spark_n commits with a run on the testbed and
 * branch (the runs of one commit pooled by sample count); *spark_commits is how many commits
 * the sparks span (<= spark_n). BG_OK or BG_EDB. */
int bg_series_extras(struct bg_store *s, const struct bg_series_where *w, int spark_n,
                     struct bg_series_extra *ex, size_t n, int *spark_commits);

/* Appends ,"change":{sha,time,change}|null,"open_alerts":k and, when ex->spark,
 * ,"spark":[...] of spark_commits values (null where none). */
void bg_series_extra_json(struct bg_buf *out, const struct bg_series_extra *ex, int spark_commits);

/* Frees what bg_series_extras allocated in ex[0..n-1]. */
void bg_series_extras_free(struct bg_series_extra *ex, size_t n);

#endif
