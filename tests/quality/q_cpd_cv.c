/* q_cpd_cv.c: out-of-sample quality of the change-point detector's defaults.
 *
 * Leave-one-series-out cross-validation over a grid of the detector's constants (penalty,
 * shift_penalty, curvature_penalty; the others at their defaults; shift_penalty finite: the
 * level-shift test is part of the method, not a setting to drop) on the 21 TCPD series and
 * the 14 perf-series (BG_SHARED_DIR/data/perf-series: the 6 Hunter/Otava small cases, the
 * TigerBeetle series, the 7 MongoDB fixtures). Each series gets one score per configuration:
 *  - TCPD: (F1 + Cover) / 2 with TCPD's metrics (margin 5, all annotators);
 *  - Hunter/Otava cases and TigerBeetle: the same against the reference tool's indices as the
 *    only annotator (TigerBeetle: mean over the four settings with Otava's 5 % magnitude
 *    filter, as q_tcpd reports them);
 *  - MongoDB fixtures: min(expected, found) / max(expected, found) of the change-point count.
 * For each held-out series the configuration with the best mean score on the other 34 is
 * chosen (the first in grid order on a tie) and scored on the held-out series. Printed: the
 * held-out scores, the means (TCPD F1 and Cover out of sample next to in sample for the
 * configuration chosen on all 35 series, and for the library defaults), and how often each
 * configuration was chosen. Full run: the whole grid, then the same for lines only
 * (shift_penalty +inf, for comparison); exit 1 unless the out-of-sample TCPD means of the
 * first beat binseg's published default (F1 0.660, Cover 0.641). --smoke: a 3 x 3 x 2 grid
 * around the defaults, exit 1 unless they beat returning no change point (F1 0.634, Cover
 * 0.545).
 */
#include "cpd.h"
#include "cpd_metrics.h"
#include "cpd_series.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 5
#define MAX_ANN 16
#define MAX_ITEMS 64

enum kind { TCPD, INDEXED, COUNTED };

/* One series with its reference. */
struct item {
  char name[48];
  enum kind kind;
  double *x;
  size_t n;
  struct bg_cpd_annotation ann[MAX_ANN];
  size_t na;
  int average_refs; /* INDEXED: score each reference alone and average (TigerBeetle) */
  double count;     /* COUNTED: expected number of change points */
};

struct score {
  double f1, cover, s; /* s: the score the selection maximises */
};

struct set {
  struct item it[MAX_ITEMS];
  size_t n;
};

static struct item *add(struct set *st, const char *name, enum kind k, const cJSON *values) {
  if (st->n == MAX_ITEMS)
    return NULL;
  struct item *it = &st->it[st->n++];
  memset(it, 0, sizeof *it);
  snprintf(it->name, sizeof it->name, "%s", name);
  it->kind = k;
  it->x = cpd_json_values(values, &it->n);
  return it;
}

static void add_ann(struct item *it, const cJSON *arr) {
  if (it->na < MAX_ANN) {
    it->ann[it->na].points = cpd_json_indices(arr, &it->ann[it->na].count);
    it->na++;
  }
}

static int load_tcpd(struct set *st) {
  char path[1024];
  snprintf(path, sizeof path, "%s/data/tcpd/annotations.json", BG_SHARED_DIR);
  cJSON *ann = cpd_load_json(path);
  if (!ann)
    return 1;
  const cJSON *ds, *who;
  int failed = 0;
  cJSON_ArrayForEach(ds, ann) {
    snprintf(path, sizeof path, "%s/data/tcpd/series/%s.json", BG_SHARED_DIR, ds->string);
    cJSON *doc = cpd_load_json(path);
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(doc, "series");
    if (!doc || cJSON_GetArraySize(series) != 1) { /* every redistributable series is 1-D */
      fprintf(stderr, "q_cpd_cv: %s: expected one dimension\n", path);
      failed = 1;
      cJSON_Delete(doc);
      continue;
    }
    struct item *it = add(st, ds->string, TCPD,
                          cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(series, 0), "raw"));
    cJSON_ArrayForEach(who, ds) add_ann(it, who);
    cJSON_Delete(doc);
  }
  cJSON_Delete(ann);
  return failed;
}

static int load_perf(struct set *st) {
  char path[1024];
  snprintf(path, sizeof path, "%s/data/perf-series/otava_hunter_small_cases.json", BG_SHARED_DIR);
  cJSON *small = cpd_load_json(path);
  const cJSON *c, *r;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(small, "cases")) {
    struct item *it = add(st, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "name")),
                          INDEXED, cJSON_GetObjectItemCaseSensitive(c, "series"));
    add_ann(it, cJSON_GetObjectItemCaseSensitive(c, "expected"));
  }
  snprintf(path, sizeof path, "%s/data/perf-series/otava_tigerbeetle.json", BG_SHARED_DIR);
  cJSON *tb = cpd_load_json(path);
  if (tb) {
    const cJSON *dim = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(tb, "series"), 0);
    struct item *it = add(st, "tigerbeetle", INDEXED, cJSON_GetObjectItemCaseSensitive(dim, "raw"));
    it->average_refs = 1;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(tb, "otava_reference_outputs")) {
      const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "otava_params");
      const cJSON *mm = cJSON_GetObjectItemCaseSensitive(p, "min_magnitude");
      if (cJSON_IsNumber(mm) && mm->valuedouble > 0)
        add_ann(it, cJSON_GetObjectItemCaseSensitive(r, "otava_expected_indexes"));
    }
  }
  snprintf(path, sizeof path, "%s/data/perf-series/mongodb_spa_fixtures.json", BG_SHARED_DIR);
  cJSON *mg = cpd_load_json(path);
  if (mg) {
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(mg, "profiles")) {
      struct item *it = add(st, p->string, COUNTED, cJSON_GetObjectItemCaseSensitive(p, "series"));
      it->count =
          cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "expected_num_change_points"));
    }
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(mg, "long_series");
    struct item *it =
        add(st, "long_series", COUNTED, cJSON_GetObjectItemCaseSensitive(ls, "series"));
    it->count =
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ls, "expected_num_change_points"));
  }
  int failed = !small || !tb || !mg;
  cJSON_Delete(small);
  cJSON_Delete(tb);
  cJSON_Delete(mg);
  return failed;
}

/* Scores the detector with configuration cfg on one series. */
static struct score score_item(const struct item *it, const struct bg_cpd_config *cfg) {
  struct score sc = {NAN, NAN, 0.0};
  struct bg_cpd_result r;
  if (bg_cpd_detect(it->x, NULL, it->n, cfg, &r) != BG_OK) {
    bg_cpd_result_free(&r);
    return sc;
  }
  size_t k = r.count, *cp = bg_xmalloc((k ? k : 1) * sizeof *cp);
  for (size_t i = 0; i < k; i++)
    cp[i] = r.points[i].index;
  bg_cpd_result_free(&r);
  if (it->kind == COUNTED) {
    double lo = it->count < (double)k ? it->count : (double)k;
    double hi = it->count > (double)k ? it->count : (double)k;
    sc.s = hi > 0 ? lo / hi : 1.0;
  } else {
    if (it->kind == TCPD)
      k = bg_cpd_metrics_clean(cp, k, it->n, cp);
    size_t groups = it->average_refs ? it->na : 1, per = it->average_refs ? 1 : it->na;
    sc.f1 = sc.cover = 0.0;
    for (size_t g = 0; g < groups; g++) {
      double f1 = 0.0, cover = 0.0;
      bg_cpd_metrics_f1(it->ann + g, per, cp, k, MARGIN, &f1, NULL, NULL);
      bg_cpd_metrics_cover(it->ann + g, per, cp, k, it->n, &cover);
      sc.f1 += f1 / (double)groups;
      sc.cover += cover / (double)groups;
    }
    sc.s = 0.5 * (sc.f1 + sc.cover);
  }
  free(cp);
  return sc;
}

/* The grid: every combination of the listed values; the other constants at their defaults. */
struct grid {
  const double *pen, *shift, *curv;
  size_t np, ns, nc;
};

static struct bg_cpd_config grid_config(const struct grid *g, size_t c) {
  struct bg_cpd_config cfg = bg_cpd_config_default();
  cfg.penalty = g->pen[c / (g->ns * g->nc)];
  cfg.shift_penalty = g->shift[(c / g->nc) % g->ns];
  cfg.curvature_penalty = g->curv[c % g->nc];
  return cfg;
}

/* The configuration with the best mean score over all series but `skip` (SIZE_MAX: none). */
static size_t best_config(const struct score *sc, size_t ncfg, size_t nitems, size_t skip) {
  size_t best = 0;
  double bv = -1.0;
  for (size_t c = 0; c < ncfg; c++) {
    double sum = 0.0;
    for (size_t i = 0; i < nitems; i++)
      if (i != skip)
        sum += sc[c * nitems + i].s;
    if (sum > bv + 1e-12) {
      bv = sum;
      best = c;
    }
  }
  return best;
}

static void print_config(const struct bg_cpd_config *c) {
  printf("penalty %g, shift_penalty %g, curvature_penalty %g", c->penalty, c->shift_penalty,
         c->curvature_penalty);
}

/* Means of F1, Cover (TCPD) and s (perf) of configuration row `row` (NULL: per-item picks). */
static void means(const struct set *st, const struct score *sc, size_t nitems, const size_t *pick,
                  size_t row, double out[3]) {
  double f = 0, c = 0, p = 0;
  size_t nt = 0, npf = 0;
  for (size_t i = 0; i < st->n; i++) {
    const struct score *x = &sc[(pick ? pick[i] : row) * nitems + i];
    if (st->it[i].kind == TCPD) {
      f += x->f1;
      c += x->cover;
      nt++;
    } else {
      p += x->s;
      npf++;
    }
  }
  out[0] = nt ? f / nt : 0;
  out[1] = nt ? c / nt : 0;
  out[2] = npf ? p / npf : 0;
}

static int cross_validate(const struct set *st, const struct grid *g, const char *label,
                          int smoke) {
  size_t ncfg = g->np * g->ns * g->nc, ni = st->n;
  struct score *sc = bg_xmalloc(ncfg * ni * sizeof *sc);
  for (size_t c = 0; c < ncfg; c++) {
    struct bg_cpd_config cfg = grid_config(g, c);
    for (size_t i = 0; i < ni; i++)
      sc[c * ni + i] = score_item(&st->it[i], &cfg);
  }
  printf("in-sample means per configuration\n%-58s %7s %6s %6s\n", "configuration", "TCPD F1",
         "Cover", "perf");
  for (size_t c = 0; c < ncfg; c++) {
    struct bg_cpd_config x = grid_config(g, c);
    double m[3];
    means(st, sc, ni, NULL, c, m);
    print_config(&x);
    printf("%*s %7.3f %6.3f %6.3f\n", 4, "", m[0], m[1], m[2]);
  }
  size_t *pick = bg_xmalloc(ni * sizeof *pick), *times = bg_xcalloc(ncfg, sizeof *times);
  printf("\n== %s: leave-one-series-out over %zu series, %zu configurations\n", label, ni, ncfg);
  printf("%-20s %6s %6s %6s  %s\n", "held out", "F1", "Cover", "score", "chosen on the others");
  for (size_t i = 0; i < ni; i++) {
    pick[i] = best_config(sc, ncfg, ni, i);
    times[pick[i]]++;
    const struct score *x = &sc[pick[i] * ni + i];
    struct bg_cpd_config cfg = grid_config(g, pick[i]);
    printf("%-20s %6.3f %6.3f %6.3f  ", st->it[i].name, x->f1, x->cover, x->s);
    print_config(&cfg);
    printf("\n");
  }
  size_t all = best_config(sc, ncfg, ni, SIZE_MAX);
  struct bg_cpd_config ca = grid_config(g, all), def = bg_cpd_config_default();
  double oos[3], ins[3], dins[3] = {NAN, NAN, NAN};
  means(st, sc, ni, pick, 0, oos);
  means(st, sc, ni, NULL, all, ins);
  for (size_t c = 0; c < ncfg; c++) {
    struct bg_cpd_config x = grid_config(g, c);
    if (x.penalty == def.penalty && x.shift_penalty == def.shift_penalty &&
        x.curvature_penalty == def.curvature_penalty)
      means(st, sc, ni, NULL, c, dins);
  }
  printf("\n%-44s %8s %8s %8s\n", "", "TCPD F1", "Cover", "perf");
  printf("%-44s %8.3f %8.3f %8.3f\n", "out of sample (leave one series out)", oos[0], oos[1],
         oos[2]);
  printf("%-44s %8.3f %8.3f %8.3f\n", "in sample, best on all series", ins[0], ins[1], ins[2]);
  printf("%-44s %8.3f %8.3f %8.3f\n", "in sample, library defaults", dins[0], dins[1], dins[2]);
  printf("best on all series: ");
  print_config(&ca);
  printf("\nlibrary defaults:   ");
  print_config(&def);
  printf("\nchosen in the %zu folds:\n", ni);
  for (size_t c = 0; c < ncfg; c++)
    if (times[c]) {
      struct bg_cpd_config x = grid_config(g, c);
      printf("  %2zu x ", times[c]);
      print_config(&x);
      printf("\n");
    }
  double need_f1 = smoke ? 0.634 : 0.660, need_cover = smoke ? 0.545 : 0.641;
  int ok = oos[0] >= need_f1 && oos[1] >= need_cover;
  printf("target (%s): out-of-sample TCPD F1 >= %.3f and Cover >= %.3f: %s\n",
         smoke ? "smoke" : "full", need_f1, need_cover, ok ? "met" : "MISSED");
  free(sc);
  free(pick);
  free(times);
  return !ok;
}

int main(int argc, char **argv) {
  int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
  static struct set st;
  int failed = load_tcpd(&st) | load_perf(&st);
  static const double pen[] = {4, 5, 6, 8, 10, 12, 16};
  static const double shift[] = {0, 0.5, 1, 2, 3, 4, 6}, lines_only[] = {INFINITY};
  static const double curv[] = {1, 2, 3};
  static const double spen[] = {6, 8, 10}, sshift[] = {0.5, 1, 2}, scurv[] = {2, 3};
  struct grid full = {pen, shift, curv, 7, 7, 3}, sm = {spen, sshift, scurv, 3, 3, 2};
  struct grid lines = {pen, lines_only, curv, 7, 1, 3};
  if (failed || st.n != 35) {
    fprintf(stderr, "q_cpd_cv: expected 35 series, read %zu\n", st.n);
    return 1;
  }
  int rc = cross_validate(&st, smoke ? &sm : &full, "level-shift test on", smoke);
  if (!smoke) /* for comparison only: lines alone (shift_penalty +inf) */
    cross_validate(&st, &lines, "lines only", smoke);
  for (size_t i = 0; i < st.n; i++) {
    free(st.it[i].x);
    for (size_t a = 0; a < st.it[i].na; a++)
      free((void *)st.it[i].ann[a].points);
  }
  return rc;
}
