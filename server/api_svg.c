/* api_svg.c: images to embed in a README or a wiki: the verdict badge of the default branch
 * and the trend chart of one series, as SVG (lib/svg.h draws them).
 *
 * Both are read through the same reads as the JSON endpoints (the commit history, the
 * series) and answered with an ETag, so an image proxy revalidates instead of downloading.
 * Errors stay JSON, as everywhere in /api/v1.
 */
#include "api.h"

#include "reads.h"
#include "series.h"
#include "svg.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SVG_TYPE "image/svg+xml"
#define TREND_POINTS 200 /* the newest commits a trend chart draws */
#define TESTBED_RULE "must match [A-Za-z0-9._-]{1,64}"
#define BRANCH_RULE "not a valid git branch name"

/* Answers a read's failure: 400 for BG_EINVAL, 404 naming the field for BG_ENOENT. */
static void read_error(struct bg_req *req, int rc, const struct bg_ferr *e) {
  if (rc == BG_EINVAL)
    bg_api_error(req, 400, "invalid_param", e->field, "%s", e->message);
  else if (rc == BG_ENOENT && e->field[0])
    bg_api_error(req, 404, "not_found", e->field, "%s", e->message);
  else
    bg_api_store_error(req, rc);
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

/* Reads an integer parameter in [lo, hi] (default `def`). Returns 1, or answers 400. */
static int size_param(struct bg_req *req, const char *name, int def, int lo, int hi, int *out) {
  const char *v = bg_api_query(req, name);
  *out = def;
  if (!v)
    return 1;
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || end == v || *end || n < lo || n > hi) {
    bg_api_error(req, 400, "invalid_param", name, "must be an integer from %d to %d", lo, hi);
    return 0;
  }
  *out = (int)n;
  return 1;
}

/* The verdict state of the newest default-branch commit on the testbed, from the history
 * page `json`: its state, "pending" for a run whose verdict is not decided yet, NULL when
 * there is no such commit. Points into `doc`. */
static const char *newest_state(const cJSON *doc) {
  const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "commits"), 0);
  if (!c)
    return NULL;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "verdict");
  const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "state"));
  return state ? state : "pending";
}

/* The newest default-branch verdict state on the testbed given (NULL: the only one) into
 * state[n] ("" when there is none). Returns 1, or answers an error and returns 0. */
static int badge_state(struct bg_req *req, const char *testbed, char *state, size_t n) {
  const struct bg_project *p = &req->project;
  struct bg_ferr e = {{0}, {0}};
  char name[80];
  long long tb;
  *state = '\0';
  int rc = bg_store_testbed_find(req->store, p->id, testbed, 0, &tb, name, sizeof name, &e);
  if (rc) {
    read_error(req, rc, &e);
    return 0;
  }
  if (!tb) /* no runs at all yet */
    return 1;
  struct bg_history_query q = {p->default_branch, name, NULL, 1};
  struct bg_buf page;
  bg_buf_init(&page, 0);
  rc = bg_reads_commits_json(req->store, p, &q, &page, &e);
  if (rc == BG_ENOENT && !strcmp(e.field, "branch")) /* no run on the default branch yet */
    rc = BG_OK;
  else if (rc == BG_OK) {
    cJSON *doc = cJSON_ParseWithLength(page.data, page.len);
    const char *s = newest_state(doc);
    snprintf(state, n, "%s", s ? s : "");
    cJSON_Delete(doc);
  }
  bg_buf_free(&page);
  if (rc)
    read_error(req, rc, &e);
  return rc == BG_OK;
}

void bg_api_badge_svg(struct bg_req *req) {
  const char *testbed, *color;
  char state[32];
  if (!name_param(req, "testbed", bg_valid_testbed, TESTBED_RULE, &testbed) ||
      !badge_state(req, testbed, state, sizeof state))
    return;
  const char *text = bg_svg_badge_text(state, &color);
  bg_buf_reset(&req->out);
  bg_svg_badge(&req->out, "benchgate", text, color);
  req->status = 200;
  bg_api_cacheable(req, SVG_TYPE);
}

/* The index of the point whose sha is `sha`, or -1. */
static int point_of(const cJSON *points, const char *sha) {
  int i = 0;
  const cJSON *pt;
  cJSON_ArrayForEach(pt, points) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pt, "sha"));
    if (sha && s && !strcmp(s, sha))
      return i;
    i++;
  }
  return -1;
}

/* Marks the change points of series `doc` on pts (a regression when the level moved the
 * wrong way for the series' direction) and the commits of its regression alerts. */
static void mark_series(const cJSON *doc, struct bg_svg_point *pts, int n) {
  const cJSON *points = cJSON_GetObjectItemCaseSensitive(doc, "points"), *it;
  const char *dir = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "direction"));
  int higher_better = dir && !strcmp(dir, "higher");
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "change_points")) {
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(it, "index");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(it, "change");
    if (!cJSON_IsNumber(idx) || idx->valueint < 0 || idx->valueint >= n)
      continue;
    pts[idx->valueint].marks |= BG_SVG_MARK_CHANGE;
    if (cJSON_IsNumber(ch) && (higher_better ? ch->valuedouble < 0 : ch->valuedouble > 0))
      pts[idx->valueint].marks |= BG_SVG_MARK_REGRESSION;
  }
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "alerts")) {
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "kind"));
    int i = point_of(points, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "commit")));
    if (kind && !strcmp(kind, "regression") && i >= 0 && i < n)
      pts[i].marks |= BG_SVG_MARK_REGRESSION;
  }
}

/* Draws series `doc` (the JSON of bg_series_json) into req->out. */
static void draw_trend(struct bg_req *req, const cJSON *doc, int width, int height) {
  const cJSON *points = cJSON_GetObjectItemCaseSensitive(doc, "points"), *pt;
  int n = cJSON_GetArraySize(points), i = 0;
  struct bg_svg_point *pts = calloc(n ? (size_t)n : 1, sizeof *pts);
  cJSON_ArrayForEach(pt, points) {
    const cJSON *mean = cJSON_GetObjectItemCaseSensitive(pt, "mean");
    pts[i++].value = cJSON_IsNumber(mean) ? mean->valuedouble : NAN;
  }
  mark_series(doc, pts, n);
  struct bg_buf title;
  bg_buf_init(&title, 0);
  bg_buf_printf(&title, "%s \xc2\xb7 %s",
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "benchmark")),
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "measure")));
  struct bg_svg_chart c = {
      title.data, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "unit")),
      width,      height,
      pts,        (size_t)n};
  bg_buf_reset(&req->out);
  bg_svg_trend(&req->out, &c);
  bg_buf_free(&title);
  free(pts);
}

void bg_api_trend_svg(struct bg_req *req) {
  struct bg_series_query q = {.limit = TREND_POINTS};
  struct bg_ferr e = {{0}, {0}};
  int width, height;
  if (!name_param(req, "benchmark", bg_valid_benchmark,
                  "must be 1-1024 bytes of UTF-8 without control characters", &q.benchmark) ||
      !name_param(req, "measure", bg_valid_measure, "must match [a-z0-9_]{1,64}", &q.measure) ||
      !name_param(req, "testbed", bg_valid_testbed, TESTBED_RULE, &q.testbed) ||
      !name_param(req, "branch", bg_valid_branch, BRANCH_RULE, &q.branch) ||
      !size_param(req, "width", BG_SVG_WIDTH_DEFAULT, BG_SVG_WIDTH_MIN, BG_SVG_WIDTH_MAX, &width) ||
      !size_param(req, "height", BG_SVG_HEIGHT_DEFAULT, BG_SVG_HEIGHT_MIN, BG_SVG_HEIGHT_MAX,
                  &height))
    return;
  if (!q.benchmark || !q.measure) {
    bg_api_error(req, 400, "invalid_param", q.benchmark ? "measure" : "benchmark", "required");
    return;
  }
  struct bg_buf json;
  bg_buf_init(&json, 0);
  int rc = bg_series_json(req->store, &req->project, &q, &json, &e);
  cJSON *doc = rc == BG_OK ? cJSON_ParseWithLength(json.data, json.len) : NULL;
  bg_buf_free(&json);
  if (rc || !doc) {
    read_error(req, rc ? rc : BG_EDB, &e);
    return;
  }
  draw_trend(req, doc, width, height);
  cJSON_Delete(doc);
  req->status = 200;
  bg_api_cacheable(req, SVG_TYPE);
}
