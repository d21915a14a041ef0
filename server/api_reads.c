/* api_reads.c: the read endpoints over a project's history: commits, one commit, benchmarks
 * with their latest values, and a benchmark's series.
 *
 * Query parameters arrive URL-decoded; each is checked against the naming rules before it
 * reaches the store, and a bad one answers 400 naming the parameter.
 */
#include "api.h"

#include "reads.h"
#include "series.h"
#include "series_spark.h"
#include "valid.h"
#include "verdict.h"

#include <errno.h>
#include <stdlib.h>

/* Reads an integer parameter in [min, max] (default `def`). Returns 1, or answers 400. */
static int range_param(struct bg_req *req, const char *name, int def, int min, int max, int *out) {
  const char *v = bg_api_query(req, name);
  *out = def;
  if (!v)
    return 1;
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || end == v || *end || n < min || n > max) {
    bg_api_error(req, 400, "invalid_param", name, "must be an integer from %d to %d", min, max);
    return 0;
  }
  *out = (int)n;
  return 1;
}

/* Reads an integer parameter in [1, max] (default `def`). Returns 1, or answers 400. */
static int int_param(struct bg_req *req, const char *name, int def, int max, int *out) {
  return range_param(req, name, def, 1, max, out);
}

/* Reads an optional name parameter checked by `valid`. Returns 1, or answers 400. */
static int name_param(struct bg_req *req, const char *name, int (*valid)(const char *),
                      const char *rule, const char **out) {
  *out = bg_api_query(req, name);
  if (*out && !valid(*out)) {
    bg_api_error(req, 400, "invalid_param", name, "%s", rule);
    return 0;
  }
  return 1;
}

static void answer(struct bg_req *req, int rc, struct bg_ferr *e) {
  if (rc == BG_OK) {
    req->status = 200;
    return;
  }
  bg_buf_reset(&req->out);
  if (rc == BG_EINVAL)
    bg_api_error(req, 400, "invalid_param", e->field, "%s", e->message);
  else if (rc == BG_ENOENT && e && e->field[0])
    bg_api_error(req, 404, "not_found", e->field, "%s", e->message);
  else
    bg_api_store_error(req, rc);
}

#define BRANCH_RULE "not a valid git branch name"
#define TESTBED_RULE "must match [A-Za-z0-9._-]{1,64}"

void bg_api_commits(struct bg_req *req) {
  const struct bg_project *p = &req->project;
  struct bg_history_query q;
  struct bg_ferr e = {{0}, {0}};
  char before[65];
  if (!name_param(req, "branch", bg_valid_branch, BRANCH_RULE, &q.branch) ||
      !name_param(req, "testbed", bg_valid_testbed, TESTBED_RULE, &q.testbed) ||
      !int_param(req, "limit", BG_READS_HISTORY_DEFAULT, BG_READS_HISTORY_MAX, &q.limit))
    return;
  q.before = bg_api_query(req, "before");
  if (q.before) {
    if (!bg_api_commit_sha(req, p, q.before, "before", before))
      return;
    q.before = before;
  }
  answer(req, bg_reads_commits_json(req->store, p, &q, &req->out, &e), &e);
}

void bg_api_commit(struct bg_req *req) {
  const struct bg_project *p = &req->project;
  char sha[65];
  if (!bg_api_commit_sha(req, p, req->match->id, NULL, sha))
    return;
  bg_buf_puts(&req->out, "{");
  int rc = bg_reads_commit_json(req->store, p, sha, &req->out);
  if (rc == BG_OK) {
    bg_buf_puts(&req->out, ",\"verdicts\":");
    rc = bg_verdict_commit_verdicts_json(req->store, p, sha, &req->out);
    bg_buf_puts(&req->out, "}");
  }
  answer(req, rc, NULL);
}

void bg_api_benchmarks(struct bg_req *req) {
  const struct bg_project *p = &req->project;
  struct bg_ferr e = {{0}, {0}};
  const char *testbed, *branch;
  int spark;
  if (!name_param(req, "testbed", bg_valid_testbed, TESTBED_RULE, &testbed) ||
      !name_param(req, "branch", bg_valid_branch, BRANCH_RULE, &branch) ||
      !range_param(req, "spark", 0, BG_SERIES_SPARK_MIN, BG_SERIES_SPARK_MAX, &spark))
    return;
  answer(req, bg_series_benchmarks_json(req->store, p, testbed, branch, spark, &req->out, &e), &e);
}

void bg_api_series(struct bg_req *req) {
  struct bg_series_query q;
  struct bg_ferr e = {{0}, {0}};
  if (!name_param(req, "benchmark", bg_valid_benchmark,
                  "must be 1-1024 bytes of UTF-8 without control characters", &q.benchmark) ||
      !name_param(req, "measure", bg_valid_measure, "must match [a-z0-9_]{1,64}", &q.measure) ||
      !name_param(req, "testbed", bg_valid_testbed, TESTBED_RULE, &q.testbed) ||
      !name_param(req, "branch", bg_valid_branch, BRANCH_RULE, &q.branch) ||
      !int_param(req, "limit", BG_SERIES_DEFAULT, BG_SERIES_MAX, &q.limit) ||
      !range_param(req, "max_points", 0, BG_SERIES_MAX_POINTS_MIN, BG_SERIES_MAX, &q.max_points) ||
      !range_param(req, "subjects", 0, 0, 1, &q.subjects))
    return;
  if (!q.benchmark || !q.measure) {
    const char *f = q.benchmark ? "measure" : "benchmark";
    bg_api_error(req, 400, "invalid_param", f, "required");
    return;
  }
  answer(req, bg_series_json(req->store, &req->project, &q, &req->out, &e), &e);
}
