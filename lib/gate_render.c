/* gate_render.c: the gate's verdict for people: the one-line summary and the Markdown report
 * (declared in gate.h, section 3). The decision itself is gate.c's; this file only reads a
 * struct bg_gate_verdict. The verdict object, which embeds both, is server/verdict_render.c's.
 */
#include "buf.h"
#include "gate.h"
#include "mem.h"
#include "stats.h"
#include "units.h"
#include "valid.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Markdown report lists at most this many unchanged rows; the rest are counted. */
#define MD_UNCHANGED_ROWS 50

static void put_pct(struct bg_buf *b, double x) {
  char t[32];
  bg_units_percent(x, t, sizeof t);
  bg_buf_puts(b, t);
}

static void put_value(struct bg_buf *b, double x, const char *unit) {
  char t[96];
  bg_units_format(x, unit, t, sizeof t);
  bg_buf_puts(b, t);
}

/* Markdown-safe inline code: backticks become quotes, pipes are escaped. */
static void put_code(struct bg_buf *b, const char *s) {
  bg_buf_puts(b, "`");
  for (; s && *s; s++) {
    if (*s == '`')
      bg_buf_puts(b, "'");
    else if (*s == '|')
      bg_buf_puts(b, "\\|");
    else if ((unsigned char)*s < 0x20)
      bg_buf_puts(b, " ");
    else
      bg_buf_append(b, s, 1);
  }
  bg_buf_puts(b, "`");
}

static int severity_cmp(const void *a, const void *b, const struct bg_gate_verdict *v) {
  const struct bg_gate_outcome *x = &v->outcomes[*(const size_t *)a];
  const struct bg_gate_outcome *y = &v->outcomes[*(const size_t *)b];
  if (x->cls != y->cls)
    return (int)x->cls - (int)y->cls;
  double ax = isfinite(x->change) ? fabs(x->change) : -1;
  double ay = isfinite(y->change) ? fabs(y->change) : -1;
  if (ax != ay)
    return ax < ay ? 1 : -1;
  int c = strcmp(x->benchmark, y->benchmark);
  return c ? c : strcmp(x->measure, y->measure);
}

/* Indices of the outcomes ordered by severity (class, then |change| descending, then name). A
 * bottom-up merge sort: stable, O(n log n) for up to 100 000 results, and free of qsort_r's
 * portability trouble (the comparison needs the verdict). The caller frees the array. */
size_t *bg_gate_severity_order(const struct bg_gate_verdict *v) {
  size_t *ord = bg_xmalloc((v->n ? v->n : 1) * sizeof *ord);
  for (size_t i = 0; i < v->n; i++)
    ord[i] = i;
  size_t *tmp = bg_xmalloc((v->n ? v->n : 1) * sizeof *tmp);
  for (size_t width = 1; width < v->n; width *= 2) {
    for (size_t lo = 0; lo < v->n; lo += 2 * width) {
      size_t mid = lo + width < v->n ? lo + width : v->n;
      size_t hi = lo + 2 * width < v->n ? lo + 2 * width : v->n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        tmp[k++] = severity_cmp(&ord[i], &ord[j], v) <= 0 ? ord[i++] : ord[j++];
      while (i < mid)
        tmp[k++] = ord[i++];
      while (j < hi)
        tmp[k++] = ord[j++];
    }
    memcpy(ord, tmp, v->n * sizeof *ord);
  }
  free(tmp);
  return ord;
}

/* A suspected shift of the machine, after the summary. */
static void put_shift(struct bg_buf *b, const struct bg_gate_shift *sh) {
  if (!sh->suspected)
    return;
  bg_buf_printf(b, "; machine shift suspected (%s", sh->reason);
  if (isfinite(sh->factor)) {
    bg_buf_puts(b, ": ");
    put_pct(b, sh->factor);
    bg_buf_printf(b, " on %zu of %zu benchmarks", sh->moved, sh->units);
  }
  bg_buf_puts(b, ")");
}

/* An interleaved comparison, after the summary: what the results were compared with. */
static void put_comparison(struct bg_buf *b, const struct bg_gate_comparison *c) {
  if (!c->rounds || !c->mode || !strcmp(c->mode, "history"))
    return;
  bg_buf_printf(b, "; %s base %.12s interleaved over %zu rounds",
                !strcmp(c->mode, "both") ? "against the history and the" : "against the", c->base_sha,
                c->rounds);
}

/* What the confirmation rule decided, after the summary; nothing when it was not applied or
 * the first run was final. */
static void put_confirmation(struct bg_buf *b, const struct bg_gate_confirmation *c) {
  const char *d = c->decision;
  if (!d || !strcmp(d, "none"))
    return;
  size_t doubt = c->doubtful;
  const char *s = doubt == 1 ? "" : "s";
  if (!strcmp(d, "needed"))
    bg_buf_printf(b, "; pending: %zu doubtful result%s, confirmation run %zu of %zu to come", doubt,
                  s, c->runs, c->max);
  else if (!strcmp(d, "different"))
    bg_buf_printf(b, "; confirmed on %zu runs", c->runs);
  else if (!strcmp(d, "same"))
    bg_buf_printf(b, "; cleared on %zu runs", c->runs);
  else
    bg_buf_printf(b, "; %zu result%s still unclear after %zu confirmation run%s", doubt, s,
                  c->runs - 1, c->runs == 2 ? "" : "s");
}

char *bg_gate_summary_text(const struct bg_gate_verdict *v) {
  struct bg_buf b;
  bg_buf_init(&b, 0);
  size_t nreg = v->counts[BG_GATE_REGRESSED];
  if (v->state == BG_GATE_NO_BASELINE) {
    bg_buf_printf(&b, "no baseline: %zu new result%s, nothing to compare against",
                  v->counts[BG_GATE_NEW], v->counts[BG_GATE_NEW] == 1 ? "" : "s");
  } else if (nreg > 0) {
    size_t *ord = bg_gate_severity_order(v), shown = 0;
    bg_buf_printf(&b, "%zu regression%s: ", nreg, nreg == 1 ? "" : "s");
    for (size_t i = 0; i < v->n && shown < 5; i++) {
      const struct bg_gate_outcome *o = &v->outcomes[ord[i]];
      if (o->cls != BG_GATE_REGRESSED)
        break;
      bg_buf_printf(&b, "%s%s %s ", shown ? ", " : "", o->benchmark, o->measure);
      put_pct(&b, o->change);
      if (o->method == BG_GATE_METHOD_EXACT)
        bg_buf_puts(&b, " (exact)");
      if (o->acknowledged)
        bg_buf_puts(&b, " (acknowledged)");
      shown++;
    }
    if (nreg > shown)
      bg_buf_printf(&b, ", and %zu more", nreg - shown);
    free(ord);
  } else {
    bg_buf_puts(&b, "no regressions (");
    bg_buf_printf(&b, "%zu unchanged", v->counts[BG_GATE_UNCHANGED]);
    static const enum bg_gate_class extra[] = {BG_GATE_IMPROVED, BG_GATE_INCONCLUSIVE, BG_GATE_NEW,
                                               BG_GATE_MISSING, BG_GATE_IGNORED};
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++)
      if (v->counts[extra[i]])
        bg_buf_printf(&b, ", %zu %s", v->counts[extra[i]], bg_gate_class_name(extra[i]));
    bg_buf_puts(&b, ")");
  }
  if (v->state == BG_GATE_FAIL && nreg == 0)
    bg_buf_printf(&b, "; failed: %zu missing", v->counts[BG_GATE_MISSING]);
  put_comparison(&b, &v->comparison);
  put_shift(&b, &v->shift);
  put_confirmation(&b, &v->confirmation);
  return bg_buf_steal(&b);
}

static void md_row(struct bg_buf *b, const struct bg_gate_outcome *o) {
  bg_buf_printf(b, "| %s%s | ", bg_gate_class_name(o->cls), o->acknowledged ? " (ack)" : "");
  put_code(b, o->benchmark);
  bg_buf_printf(b, " | %s | ", o->measure);
  put_pct(b, o->change);
  bg_buf_puts(b, " | ");
  if (o->method == BG_GATE_METHOD_EXACT) {
    bg_buf_puts(b, "exact");
  } else if (isfinite(o->change_lo)) {
    put_pct(b, o->change_lo);
    bg_buf_puts(b, " … ");
    put_pct(b, o->change_hi);
  } else {
    bg_buf_puts(b, "–");
  }
  if (isfinite(o->q))
    bg_buf_printf(b, " | %.2g | ", o->q);
  else
    bg_buf_puts(b, " | – | ");
  put_value(b, o->baseline_center, o->unit);
  bg_buf_printf(b, " (%zu %s) | ", o->baseline_runs,
                bg_units_plural((double)o->baseline_runs, "run", "runs"));
  put_value(b, o->candidate_center, o->unit);
  bg_buf_puts(b, " |\n");
}

char *bg_gate_markdown(const struct bg_gate_verdict *v, const struct bg_gate_context *ctx) {
  struct bg_buf b;
  bg_buf_init(&b, 0);
  static const char *icon[] = {"✅", "❌", "⚪", "⏳"};
  char *summary = bg_gate_summary_text(v);
  bg_buf_printf(&b, "### benchgate: %s %s\n\n", icon[v->state], bg_gate_state_name(v->state));
  if (ctx && (ctx->commit || ctx->testbed)) {
    bg_buf_puts(&b, "Commit ");
    put_code(&b, ctx->commit ? ctx->commit : "?");
    bg_buf_puts(&b, " on testbed ");
    put_code(&b, ctx->testbed ? ctx->testbed : "?");
    if (v->comparison.rounds && v->comparison.mode && strcmp(v->comparison.mode, "history"))
      bg_buf_printf(&b, " against its base `%.12s`, measured in turn over %zu rounds%s",
                    v->comparison.base_sha, v->comparison.rounds,
                    strcmp(v->comparison.mode, "both") ? "" : ", and the history");
    else
      bg_buf_printf(&b, " against %zu baseline run%s", v->baseline_runs,
                    v->baseline_runs == 1 ? "" : "s");
    if (ctx->baseline_branch && !(v->comparison.rounds && v->comparison.mode &&
                                  !strcmp(v->comparison.mode, "interleaved")))
      bg_buf_printf(&b, " of `%s`", ctx->baseline_branch);
    if (v->noise_runs > v->baseline_runs)
      bg_buf_printf(&b, ", noise from %zu", v->noise_runs);
    bg_buf_printf(&b, " (BH at alpha %.3g).\n\n", v->alpha);
  }
  bg_buf_printf(&b, "%s\n\n", summary);
  free(summary);
  bg_buf_puts(&b, "| regressed | inconclusive | improved | unchanged | new | missing | ignored |\n"
                  "|---:|---:|---:|---:|---:|---:|---:|\n");
  bg_buf_printf(&b, "| %zu | %zu | %zu | %zu | %zu | %zu | %zu |\n\n", v->counts[BG_GATE_REGRESSED],
                v->counts[BG_GATE_INCONCLUSIVE], v->counts[BG_GATE_IMPROVED],
                v->counts[BG_GATE_UNCHANGED], v->counts[BG_GATE_NEW], v->counts[BG_GATE_MISSING],
                v->counts[BG_GATE_IGNORED]);
  static const char *head = "| class | benchmark | measure | change | 95 % CI | q | baseline | "
                            "candidate |\n|---|---|---|---:|---|---:|---:|---:|\n";
  size_t *ord = bg_gate_severity_order(v), i = 0;
  if (v->n && v->outcomes[ord[0]].cls < BG_GATE_UNCHANGED) {
    bg_buf_puts(&b, head);
    for (; i < v->n && v->outcomes[ord[i]].cls < BG_GATE_UNCHANGED; i++)
      md_row(&b, &v->outcomes[ord[i]]);
    bg_buf_puts(&b, "\n");
  }
  size_t rest = v->n - i;
  if (rest > 0) {
    bg_buf_printf(&b, "<details><summary>%zu unchanged or ignored</summary>\n\n%s", rest, head);
    for (size_t shown = 0; i < v->n && shown < MD_UNCHANGED_ROWS; i++, shown++)
      md_row(&b, &v->outcomes[ord[i]]);
    if (rest > MD_UNCHANGED_ROWS)
      bg_buf_printf(&b, "\n… and %zu more.\n", rest - MD_UNCHANGED_ROWS);
    bg_buf_puts(&b, "\n</details>\n");
  }
  if (ctx && ctx->url)
    bg_buf_printf(&b, "\n[Dashboard](%s)\n", ctx->url);
  free(ord);
  return bg_buf_steal(&b);
}
