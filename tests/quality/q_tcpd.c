/* q_tcpd.c: quality of change-point detection on TCPD and on real benchmark series.
 *
 * Runs bg_cpd_detect with its defaults on every series in BG_SHARED_DIR/data/tcpd/series,
 * scores it with TCPD's own F1 (margin 5) and Cover against annotations.json, and prints a
 * table per series plus the means next to the published means of the same 21 series
 * (default experiment). Full run: exit 1 unless mean F1 >= 0.72 and mean Cover >= 0.70.
 * Then compares the change points with the reference outputs recorded in
 * BG_SHARED_DIR/data/perf-series (Otava/Hunter indices, MongoDB counts) and times 10 000
 * points (median of 11 runs; printed, not asserted). --smoke: the TCPD part with looser
 * bounds (beat the best published default method), no timing.
 */
#include "cpd.h"
#include "cpd_metrics.h"
#include "cpd_series.h"
#include "error.h"
#include "mem.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MARGIN 5

/* Detects with defaults; returns the change-point indices (caller frees). */
static size_t *detect(const double *x, size_t n, size_t *k) {
  struct bg_cpd_result r;
  size_t *out = NULL;
  *k = 0;
  if (bg_cpd_detect(x, NULL, n, NULL, &r) == BG_OK) {
    out = bg_xmalloc((r.count ? r.count : 1) * sizeof *out);
    for (size_t i = 0; i < r.count; i++)
      out[i] = r.points[i].index;
    *k = r.count;
  }
  bg_cpd_result_free(&r);
  return out ? out : bg_xmalloc(sizeof(size_t));
}

/* A TCPD series file: each dimension separately, change points merged (union; points closer
 * than the minimum segment length to an earlier one are dropped). */
static size_t *detect_tcpd_file(const cJSON *doc, size_t *n_obs, size_t *k) {
  const cJSON *series = cJSON_GetObjectItemCaseSensitive(doc, "series"), *dim;
  size_t cap = 0, cnt = 0, *all = NULL;
  *n_obs = 0;
  cJSON_ArrayForEach(dim, series) {
    size_t n, kk;
    double *x = cpd_json_values(cJSON_GetObjectItemCaseSensitive(dim, "raw"), &n);
    size_t *c = detect(x, n, &kk);
    *n_obs = n;
    bg_xgrow((void **)&all, &cap, cnt + kk + 1, sizeof *all);
    memcpy(all + cnt, c, kk * sizeof *c);
    cnt += kk;
    free(x);
    free(c);
  }
  if (!all)
    all = bg_xmalloc(sizeof *all);
  cnt = bg_cpd_metrics_clean(all, cnt, *n_obs, all);
  size_t u = 0;
  for (size_t i = 0; i < cnt; i++)
    if (!u || all[i] >= all[u - 1] + bg_cpd_config_default().min_segment)
      all[u++] = all[i];
  *k = u;
  return all;
}

struct pub {
  const char *method;
  double f1, cover;
  int n;
};

static void read_published(const char *path, cJSON *ann, struct pub *pubs, size_t np) {
  FILE *f = fopen(path, "r");
  char line[512];
  if (!f) {
    fprintf(stderr, "q_tcpd: cannot open %s\n", path);
    return;
  }
  while (fgets(line, sizeof line, f)) {
    char ds[128], method[64];
    double f1, cover;
    if (sscanf(line, "%127[^,],%63[^,],%lf,%lf", ds, method, &f1, &cover) != 4)
      continue;
    if (!cJSON_GetObjectItemCaseSensitive(ann, ds))
      continue;
    for (size_t i = 0; i < np; i++)
      if (!strcmp(pubs[i].method, method)) {
        pubs[i].f1 += f1;
        pubs[i].cover += cover;
        pubs[i].n++;
      }
  }
  fclose(f);
}

static int run_tcpd(int smoke) {
  char path[1024];
  int failed = 0;
  snprintf(path, sizeof path, "%s/data/tcpd/annotations.json", BG_SHARED_DIR);
  cJSON *ann = cpd_load_json(path);
  if (!ann)
    return 1;
  printf("TCPD (%s/data/tcpd), detector defaults, margin %d\n", BG_SHARED_DIR, MARGIN);
  printf("%-20s %5s %4s %6s %6s  %s\n", "series", "n", "k", "F1", "Cover", "change points");
  double sf = 0, sc = 0;
  int count = 0;
  const cJSON *ds;
  cJSON_ArrayForEach(ds, ann) {
    snprintf(path, sizeof path, "%s/data/tcpd/series/%s.json", BG_SHARED_DIR, ds->string);
    cJSON *doc = cpd_load_json(path);
    if (!doc) {
      failed = 1;
      continue;
    }
    size_t n, k, na = 0;
    size_t *cp = detect_tcpd_file(doc, &n, &k);
    struct bg_cpd_annotation a[16];
    size_t *owned[16];
    const cJSON *who;
    cJSON_ArrayForEach(who, ds) {
      if (na == 16)
        break;
      owned[na] = cpd_json_indices(who, &a[na].count);
      a[na].points = owned[na];
      na++;
    }
    double f1 = 0, cover = 0;
    if (bg_cpd_metrics_f1(a, na, cp, k, MARGIN, &f1, NULL, NULL) != BG_OK ||
        bg_cpd_metrics_cover(a, na, cp, k, n, &cover) != BG_OK)
      failed = 1;
    printf("%-20s %5zu %4zu %6.3f %6.3f  [", ds->string, n, k, f1, cover);
    for (size_t i = 0; i < k; i++)
      printf("%s%zu", i ? "," : "", cp[i]);
    printf("]\n");
    sf += f1;
    sc += cover;
    count++;
    for (size_t i = 0; i < na; i++)
      free(owned[i]);
    free(cp);
    cJSON_Delete(doc);
  }
  struct pub pubs[] = {{"binseg", 0, 0, 0}, {"pelt", 0, 0, 0},     {"bocpd", 0, 0, 0},
                       {"amoc", 0, 0, 0},   {"segneigh", 0, 0, 0}, {"zero", 0, 0, 0}};
  size_t np = sizeof pubs / sizeof pubs[0];
  snprintf(path, sizeof path, "%s/data/tcpd/published_scores.csv", BG_SHARED_DIR);
  read_published(path, ann, pubs, np);
  double mf = count ? sf / count : 0, mc = count ? sc / count : 0;
  printf("\nmeans over %d series (published: default experiment, same series)\n", count);
  printf("%-20s %6s %6s\n", "method", "F1", "Cover");
  printf("%-20s %6.3f %6.3f\n", "benchgate (defaults)", mf, mc);
  for (size_t i = 0; i < np; i++)
    if (pubs[i].n)
      printf("%-20s %6.3f %6.3f  (%d series)\n", pubs[i].method, pubs[i].f1 / pubs[i].n,
             pubs[i].cover / pubs[i].n, pubs[i].n);
  /* Full run: the target of the task. Smoke: at least the best published default method
   * (binseg F1 0.660, amoc Cover 0.643). */
  double need_f1 = smoke ? 0.660 : 0.72, need_cover = smoke ? 0.643 : 0.70;
  int ok = count == 21 && mf >= need_f1 && mc >= need_cover;
  printf("target (%s): F1 >= %.3f and Cover >= %.3f: %s\n", smoke ? "smoke" : "full", need_f1,
         need_cover, ok ? "met" : "MISSED");
  cJSON_Delete(ann);
  return failed || !ok;
}

/* F1 (TCPD formula, one annotator) of found against expected: the agreement score. */
static double agreement(const size_t *exp, size_t ne, const size_t *found, size_t nf) {
  struct bg_cpd_annotation a = {exp, ne};
  double f1 = 0;
  bg_cpd_metrics_f1(&a, 1, found, nf, MARGIN, &f1, NULL, NULL);
  return f1;
}

static void print_list(const size_t *v, size_t k, int width) {
  char s[4096];
  size_t off = 0;
  s[0] = 0;
  for (size_t i = 0; i < k && off + 24 < sizeof s; i++)
    off += (size_t)snprintf(s + off, sizeof s - off, "%s%zu", i ? "," : "", v[i]);
  printf("%-*s", width, s);
}

static int run_perf_series(void) {
  char path[1024];
  double sum = 0;
  int cases = 0, failed = 0;
  printf("\nperf-series (%s/data/perf-series): expected = the reference tools' outputs\n",
         BG_SHARED_DIR);
  printf("%-36s %-28s %-28s %5s\n", "case", "expected", "found", "F1@5");

  snprintf(path, sizeof path, "%s/data/perf-series/otava_hunter_small_cases.json", BG_SHARED_DIR);
  cJSON *small = cpd_load_json(path);
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(small, "cases")) {
    size_t n, ne, nf;
    double *x = cpd_json_values(cJSON_GetObjectItemCaseSensitive(c, "series"), &n);
    size_t *exp = cpd_json_indices(cJSON_GetObjectItemCaseSensitive(c, "expected"), &ne);
    size_t *found = detect(x, n, &nf);
    double f = agreement(exp, ne, found, nf);
    printf("%-36s ", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "name")));
    print_list(exp, ne, 28);
    printf(" ");
    print_list(found, nf, 28);
    printf(" %5.3f\n", f);
    sum += f;
    cases++;
    free(x);
    free(exp);
    free(found);
  }
  failed |= !small;
  cJSON_Delete(small);

  snprintf(path, sizeof path, "%s/data/perf-series/otava_tigerbeetle.json", BG_SHARED_DIR);
  cJSON *tb = cpd_load_json(path);
  if (tb) {
    size_t n, nf;
    const cJSON *dim = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(tb, "series"), 0);
    double *x = cpd_json_values(cJSON_GetObjectItemCaseSensitive(dim, "raw"), &n);
    size_t *found = detect(x, n, &nf);
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(tb, "otava_reference_outputs")) {
      size_t ne;
      size_t *exp =
          cpd_json_indices(cJSON_GetObjectItemCaseSensitive(r, "otava_expected_indexes"), &ne);
      double f = agreement(exp, ne, found, nf);
      char name[128];
      snprintf(name, sizeof name, "tigerbeetle %s",
               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "test")) + 8);
      printf("%-36s ", name);
      print_list(exp, ne > 8 ? 8 : ne, 28);
      printf(" ");
      print_list(found, nf, 28);
      printf(" %5.3f%s\n", f, ne > 8 ? "  (expected list truncated)" : "");
      /* Only the settings with Otava's magnitude filter (old defaults) count toward the
       * overall score: min_magnitude 0 asks Otava for every wiggle. */
      const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "otava_params");
      const cJSON *mm = cJSON_GetObjectItemCaseSensitive(p, "min_magnitude");
      if (cJSON_IsNumber(mm) && mm->valuedouble > 0) {
        sum += f;
        cases++;
      }
      free(exp);
    }
    free(x);
    free(found);
  }
  failed |= !tb;
  cJSON_Delete(tb);
  double idx_score = cases ? sum / cases : 0;

  snprintf(path, sizeof path, "%s/data/perf-series/mongodb_spa_fixtures.json", BG_SHARED_DIR);
  cJSON *mg = cpd_load_json(path);
  double csum = 0;
  int ccount = 0;
  if (mg) {
    printf("\n%-36s %8s %8s %6s\n", "MongoDB E-divisive fixture", "expected", "found", "ratio");
    const cJSON *profiles = cJSON_GetObjectItemCaseSensitive(mg, "profiles"), *p;
    const cJSON *items[16];
    const char *names[16];
    int ni = 0;
    cJSON_ArrayForEach(p, profiles) {
      if (ni < 15) {
        items[ni] = p;
        names[ni++] = p->string;
      }
    }
    items[ni] = cJSON_GetObjectItemCaseSensitive(mg, "long_series");
    names[ni++] = "long_series";
    for (int i = 0; i < ni; i++) {
      if (!items[i])
        continue;
      size_t n, nf;
      double *x = cpd_json_values(cJSON_GetObjectItemCaseSensitive(items[i], "series"), &n);
      size_t *found = detect(x, n, &nf);
      const cJSON *e = cJSON_GetObjectItemCaseSensitive(items[i], "expected_num_change_points");
      double ex = cJSON_IsNumber(e) ? e->valuedouble : 0;
      double lo = ex < (double)nf ? ex : (double)nf, hi = ex > (double)nf ? ex : (double)nf;
      double ratio = hi > 0 ? lo / hi : 1.0;
      printf("%-36s %8.0f %8zu %6.3f\n", names[i], ex, nf, ratio);
      csum += ratio;
      ccount++;
      free(x);
      free(found);
    }
  }
  failed |= !mg;
  cJSON_Delete(mg);
  printf("\nagreement: mean F1@5 over %d index cases (Hunter/Otava small cases, TigerBeetle "
         "with Otava's magnitude filter) = %.3f; mean count ratio min/max over %d MongoDB "
         "fixtures = %.3f\n",
         cases, idx_score, ccount, ccount ? csum / ccount : 0);
  return failed;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Deterministic Gaussian-ish noise: sum of 4 uniforms from an LCG. */
static double noise(unsigned long long *s) {
  double u = 0;
  for (int i = 0; i < 4; i++) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    u += (double)(*s >> 11) / 9007199254740992.0;
  }
  return (u - 2.0) * 1.7320508;
}

static void run_timing(void) {
  enum { N = 10000, RUNS = 11 };
  double *x = bg_xmalloc(N * sizeof *x);
  const char *kinds[] = {"noise only", "19 level shifts + 11 spikes", "199 level shifts",
                         "random walk", "smooth growth (quadratic)"};
  printf("\ntiming: bg_cpd_detect on %d points, median of %d runs\n", N, RUNS);
  for (int kind = 0; kind < 5; kind++) {
    unsigned long long s = 42;
    double walk = 100.0;
    for (int i = 0; i < N; i++) {
      double e = noise(&s);
      switch (kind) {
      case 0:
        x[i] = 100.0 + e;
        break;
      case 1:
        x[i] = 100.0 * (1.0 + 0.05 * ((i / 500) % 3)) + e + (i % 997 == 0 ? 50.0 : 0.0);
        break;
      case 2:
        x[i] = 100.0 * (1.0 + 0.05 * ((i / 50) % 3)) + e;
        break;
      case 3:
        walk += e;
        x[i] = walk;
        break;
      default:
        x[i] = 100.0 + 1e-5 * (double)i * (double)i + e;
        break;
      }
    }
    double t[RUNS];
    size_t found = 0;
    for (int r = 0; r < RUNS; r++) {
      struct bg_cpd_result res;
      double t0 = now_ms();
      bg_cpd_detect(x, NULL, N, NULL, &res);
      t[r] = now_ms() - t0;
      found = res.count;
      bg_cpd_result_free(&res);
    }
    qsort(t, RUNS, sizeof *t, cmp_d);
    printf("  %-26s median %.2f ms (min %.2f, max %.2f), %zu change points\n", kinds[kind],
           t[RUNS / 2], t[0], t[RUNS - 1], found);
  }
  free(x);
}

int main(int argc, char **argv) {
  int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
  int rc = run_tcpd(smoke);
  if (!smoke) {
    rc |= run_perf_series();
    run_timing();
  }
  return rc ? 1 : 0;
}
