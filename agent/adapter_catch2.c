/* adapter_catch2.c: Catch2's XML reporter (--reporter xml) with BENCHMARK results.
 *
 * Each <BenchmarkResults name=... samples=...> holds <mean value=...> and
 * <standardDeviation value=...> in nanoseconds ("All values in nano seconds"): they become a
 * wall_time summary with n = samples. Where a report carries the individual measurements as
 * <sample value=...> children, those become samples instead. A <failed> child (a benchmark
 * that threw) adds a run warning and no result. Catch2 v2 (<Catch>) and v3 (<Catch2TestRun>)
 * reports are both read. Errors name the line.
 *
 * A benchmark is named by its test case, the sections it runs in and its BENCHMARK name,
 * joined by '/': "vector/push", "sum/small/run". Always, not only where two would share a
 * name: a rule that added the test case on a collision would rename an existing series the
 * day a second test case gains a BENCHMARK of the same name, or when a tag filter runs a
 * subset. Catch2 refuses two TEST_CASEs of one name, so only one BENCHMARK name used twice
 * in one section can still collide, which is an error naming the line.
 */
#include "adapter.h"
#include "adapter_util.h"
#include "adapter_xml.h"

#include "mem.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int detect(const char *text, size_t len) {
  if (!bg_adapter_starts_with(text, len, '<'))
    return 0;
  int root = strstr(text, "<Catch ") || strstr(text, "<Catch>") || strstr(text, "<Catch2TestRun");
  int bench = strstr(text, "<BenchmarkResults") != NULL;
  return root && bench ? 95 : bench ? 70 : root ? 40 : 0;
}

/* Reads attribute `name` of t as a finite number. */
static int number(const struct bg_xml_token *t, const char *name, int required, double *out,
                  int *found, struct bg_ferr *e) {
  char f[96];
  const char *s = bg_xml_attr(t, name);
  snprintf(f, sizeof f, "line %zu", t->line);
  if (found)
    *found = 0;
  if (!s)
    return required ? bg_ferr_set(e, f, "<%.32s> needs a %s attribute", t->name, name) : BG_OK;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  while (*end == ' ')
    end++;
  if (end == s || *end || errno == ERANGE || !isfinite(v))
    return bg_ferr_set(e, f, "%s=\"%.40s\" of <%.32s> is not a finite number", name, s, t->name);
  *out = v;
  if (found)
    *found = 1;
  return BG_OK;
}

struct bench {
  char *name; /* owned; NULL outside <BenchmarkResults> */
  size_t line;
  double n, mean, sd;
  int have_mean, have_sd, failed;
  int no_spread; /* standardDeviation is a point (ci="0"): Catch2 skipped the analysis */
  double *samples;
  size_t nsamples, cap;
};

static int finish(struct bg_run *run, struct bg_adapter_index *ix, struct bench *b,
                  struct bg_ferr *e) {
  char f[48];
  int rc = BG_OK, created;
  snprintf(f, sizeof f, "line %zu", b->line);
  if (b->failed)
    goto out;
  if (!b->nsamples && !b->have_mean) {
    rc = bg_ferr_set(e, f, "<BenchmarkResults name=\"%.200s\"> has no <mean>", b->name);
    goto out;
  }
  struct bg_result *r = bg_adapter_result(run, ix, b->name, "wall_time", "ns", BG_LOWER, &created);
  if (!created) {
    rc = bg_ferr_set(e, f,
                     "benchmark '%.200s' appears twice (BENCHMARK names must be unique "
                     "within a section)",
                     b->name);
    goto out;
  }
  if (b->nsamples) {
    for (size_t i = 0; i < b->nsamples; i++)
      if ((rc = bg_adapter_add_sample(r, b->samples[i], 0, f, e)))
        goto out;
  } else {
    if ((rc = bg_adapter_check_value(b->mean, 0, f, e)) ||
        (rc = bg_adapter_check_value(b->sd, 0, f, e)))
      goto out;
    if (!(b->n >= 1) || b->n > 1e12 || b->n != floor(b->n)) {
      rc = bg_ferr_set(e, f, "samples=\"%g\" must be an integer >= 1", b->n);
      goto out;
    }
    /* Without the analysis the report says nothing about the spread: a stddev of 0 over n
     * samples would claim a precision nobody measured, so the mean counts as one value. */
    bg_result_set_summary(r, b->no_spread ? 1 : (long long)b->n, b->mean, b->sd);
  }
out:
  free(b->name);
  free(b->samples);
  memset(b, 0, sizeof *b);
  return rc;
}

/* The test cases and sections around the current element, as a '/'-joined path. */
struct scope {
  struct bg_buf path;
  int depth[BG_XML_MAX_DEPTH];  /* XML depth of each open TestCase or Section */
  size_t len[BG_XML_MAX_DEPTH]; /* path length before it */
  int n;
};

/* Follows TestCase and Section elements in and out of the scope. */
static void scope_track(struct scope *sc, const struct bg_xml_token *t) {
  if (t->kind == BG_XML_END && sc->n && sc->depth[sc->n - 1] == t->depth) {
    sc->n--;
    sc->path.len = sc->len[sc->n];
    sc->path.data[sc->path.len] = '\0';
    return;
  }
  if (t->kind != BG_XML_START || sc->n == BG_XML_MAX_DEPTH ||
      (strcmp(t->name, "TestCase") != 0 && strcmp(t->name, "Section") != 0))
    return;
  const char *name = bg_xml_attr(t, "name");
  sc->depth[sc->n] = t->depth;
  sc->len[sc->n] = sc->path.len;
  sc->n++;
  bg_buf_printf(&sc->path, "%s%s", sc->path.len ? "/" : "", name ? name : "");
}

static int parse(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e) {
  struct bg_xml x;
  struct scope sc;
  struct bg_adapter_index ix = {0};
  struct bench b = {0};
  const struct bg_xml_token *t;
  size_t before = run->nresults;
  int rc, depth = 0; /* depth of the open <BenchmarkResults>, 0 outside */
  int nfailed = 0, warned_spread = 0;
  bg_xml_init(&x, text, len);
  sc.n = 0;
  bg_buf_init(&sc.path, 0);
  bg_buf_append(&sc.path, "", 0);
  for (;;) {
    if ((rc = bg_xml_next(&x, &t, e)))
      goto out;
    if (t->kind == BG_XML_EOF)
      break;
    if (!depth)
      scope_track(&sc, t);
    if (t->kind == BG_XML_START && t->depth == 1 && strcmp(t->name, "Catch") != 0 &&
        strcmp(t->name, "Catch2TestRun") != 0) {
      char f[48];
      snprintf(f, sizeof f, "line %zu", t->line);
      rc = bg_ferr_set(e, f, "root element <%.64s> is not a Catch2 report", t->name);
      goto out;
    }
    if (t->kind == BG_XML_START && strcmp(t->name, "BenchmarkResults") == 0) {
      char f[48];
      snprintf(f, sizeof f, "line %zu", t->line);
      if (depth) {
        rc = bg_ferr_set(e, f, "nested <BenchmarkResults>");
        goto out;
      }
      const char *name = bg_xml_attr(t, "name");
      if (!name || !*name) {
        rc = bg_ferr_set(e, f, "<BenchmarkResults> needs a name");
        goto out;
      }
      depth = t->depth;
      struct bg_buf full;
      bg_buf_init(&full, 0);
      bg_buf_printf(&full, "%s%s%s", sc.path.data, sc.path.len ? "/" : "", name);
      b.name = bg_buf_steal(&full);
      b.line = t->line;
      if ((rc = number(t, "samples", 0, &b.n, NULL, e)))
        goto out;
      continue;
    }
    if (!depth)
      continue;
    if (t->kind == BG_XML_END && t->depth == depth) {
      depth = 0;
      if ((rc = finish(run, &ix, &b, e)))
        goto out;
      continue;
    }
    if (t->kind != BG_XML_START || t->depth != depth + 1)
      continue;
    if (strcmp(t->name, "mean") == 0) {
      if ((rc = number(t, "value", 1, &b.mean, &b.have_mean, e)))
        goto out;
    } else if (strcmp(t->name, "standardDeviation") == 0) {
      if ((rc = number(t, "value", 1, &b.sd, &b.have_sd, e)))
        goto out;
      const char *ci = bg_xml_attr(t, "ci");
      b.no_spread = b.sd == 0 && ci && strcmp(ci, "0") == 0;
      if (b.no_spread && !warned_spread) {
        bg_adapter_warn(run, "catch2: report made with --benchmark-no-analysis has no "
                             "spread; each benchmark's mean counts as one value");
        warned_spread = 1;
      }
    } else if (strcmp(t->name, "sample") == 0) {
      double v;
      if ((rc = number(t, "value", 1, &v, NULL, e)))
        goto out;
      if (b.nsamples >= BG_RUN_MAX_SAMPLES) {
        char f[48];
        snprintf(f, sizeof f, "line %zu", t->line);
        rc = bg_ferr_set(e, f, "more than %d samples", BG_RUN_MAX_SAMPLES);
        goto out;
      }
      bg_xgrow((void **)&b.samples, &b.cap, b.nsamples + 1, sizeof *b.samples);
      b.samples[b.nsamples++] = v;
    } else if (strcmp(t->name, "failed") == 0) {
      const char *msg = bg_xml_attr(t, "message");
      bg_adapter_warn(run, "catch2: benchmark '%.300s' failed: %.400s", b.name,
                      msg ? msg : "(no message)");
      b.failed = 1;
      nfailed++;
    }
  }
  if (run->nresults == before && !nfailed)
    rc = bg_ferr_set(e, "line 1", "no <BenchmarkResults> in the report");
out:
  free(b.name);
  free(b.samples);
  bg_buf_free(&sc.path);
  bg_adapter_index_free(&ix);
  bg_xml_free(&x);
  return rc;
}

const struct bg_adapter bg_adapter_catch2 = {"catch2", detect, parse};
