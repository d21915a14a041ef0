/* q_centre.c: how much a run's centre varies from run to run, per choice of centre.
 *
 * A run's centre is what the gate compares (lib/gate.c: the 20 % trimmed mean of the log
 * samples). With interference that only ever slows repetitions down, a low centre (the
 * minimum, a low quantile) can vary less from run to run than a trimmed mean (Chen & Revels
 * 2016, "Robust benchmarking in noisy environments"). This program measures the between-run
 * CV (sd of the log centre over runs) of each centre of sim.h: trim20, min, p10, p25, low3,
 * auto, the harness's per-series choice among those (sim_choose_centre), and gate, the gate's
 * own per-series choice between the trimmed mean and the best 30 % (lib/gate.c), both made on
 * 100 runs and measured on 100 others:
 *  - on the simulator (sim.c, the suites of q_gate), without and with one-sided interference
 *    (Q_SIM_INTERFERENCE, default for the second pass 0.3,0.2) and any other Q_SIM_* effect
 *    set in the environment (shifts move every centre alike, so they are left to q_gate);
 *  - with --gbench FILE..., on real Google Benchmark JSON files (--benchmark_repetitions=N,
 *    one file per run): per benchmark and measure (real_time, cpu_time) the CV of each
 *    centre over the files, and the gate's verdicts when each file in turn is judged against
 *    the files before it (from the 11th on, as one commit after another: false fails on
 *    unchanged code), and with --slow FILE... each of those against all the --gbench files
 *    (recall of a real slowdown).
 *
 * Usage: q_centre [--smoke] [--seed N] [--suites N] | q_centre --gbench FILE... [--slow
 * FILE...]. The smoke run (make test) checks that the simulator shows what it is built to
 * show: without interference the trimmed mean varies least (the minimum of 10 normal
 * repetitions has about 3 times its variance), with it the minimum varies less than the
 * trimmed mean on most benchmarks. Exits 1 when that does not hold.
 */
#include "gate.h"
#include "mem.h"
#include "sim.h"
#include "stats.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NC (SIM_NCENTRE + 2) /* the fixed centres, auto and the gate's own choice */
#define RUNS 200             /* runs per benchmark: auto chooses on the first half */
#define NGROUP 4
#define MAXRUNS 400

static const char *group_names[NGROUP] = {"all", "not bimodal", "bimodal by run",
                                          "bimodal by sample"};

struct cv_tally {
  double cv[NGROUP][NC];    /* sum of CVs */
  double ratio[NGROUP][NC]; /* sum of log(CV / CV of trim20) */
  long beats[NGROUP][NC];   /* CV below trim20's */
  long n[NGROUP];
  long chosen[SIM_NCENTRE];
  long gate_low; /* benchmarks where the gate's choice was the best 30 % */
};

static double sd_of(const double *x, int n) {
  return sqrt(bg_stats_variance(x, (size_t)n));
}

/* The gate's own choice (lib/gate.c, choose_best30) on the centres of n runs, for 10
 * repetitions of a lower-is-better measure: the lowest 3 (its best 30 %) when their variance
 * is below 0.8 times the trimmed mean's over all runs and over each half, else the trimmed
 * mean. */
static int gate_choice(double (*cent)[SIM_NCENTRE], int n) {
  if (n < 20)
    return SIM_C_TRIM20;
  double t[MAXRUNS], l[MAXRUNS];
  for (int k = 0; k < n; k++) {
    t[k] = cent[k][SIM_C_TRIM20];
    l[k] = cent[k][SIM_C_LOW3];
  }
  int h = n / 2;
  int win =
      bg_stats_variance(l, (size_t)n) < 0.8 * bg_stats_variance(t, (size_t)n) &&
      bg_stats_variance(l, (size_t)h) < 0.8 * bg_stats_variance(t, (size_t)h) &&
      bg_stats_variance(l + h, (size_t)(n - h)) < 0.8 * bg_stats_variance(t + h, (size_t)(n - h));
  return win ? SIM_C_LOW3 : SIM_C_TRIM20;
}

/* One benchmark's CVs: every centre over the second half of the runs (the out-of-sample
 * half auto is measured on), auto by its choice on the first half. */
static void bench_cvs(struct sim_rng *r, const struct sim_bench *b, const struct sim_effects *fx,
                      struct cv_tally *t) {
  static double cent[RUNS][SIM_NCENTRE];
  struct sim_machine_seq seq;
  sim_machine_seq_init(&seq);
  double walk = 0, x[SIM_NREP];
  for (int k = 0; k < RUNS; k++) {
    struct sim_machine m;
    sim_machine_next(r, fx, &seq, 0, &m);
    walk += b->drift * sim_gauss(r);
    sim_gen_run(r, b, walk, 0, &m, x);
    for (int i = 0; i < SIM_NREP; i++)
      x[i] = log(x[i]);
    bg_stats_sort(x, SIM_NREP);
    for (int c = 0; c < SIM_NCENTRE; c++)
      cent[k][c] = sim_centre_sorted(c, x, SIM_NREP);
  }
  int choice = sim_choose_centre(cent, RUNS / 2, 0.8);
  t->chosen[choice]++;
  double cv[NC], col[RUNS / 2];
  for (int c = 0; c < SIM_NCENTRE; c++) {
    for (int k = 0; k < RUNS / 2; k++)
      col[k] = cent[RUNS / 2 + k][c];
    cv[c] = sd_of(col, RUNS / 2);
  }
  cv[SIM_NCENTRE] = cv[choice];
  int gc = gate_choice(cent, RUNS / 2);
  cv[SIM_C_GATE] = cv[gc];
  t->gate_low += gc == SIM_C_LOW3;
  int groups[2] = {0, 1 + b->bimodal};
  for (int g = 0; g < 2; g++) {
    int gi = groups[g];
    t->n[gi]++;
    for (int c = 0; c < NC; c++) {
      t->cv[gi][c] += cv[c];
      t->ratio[gi][c] += log(cv[c] / cv[SIM_C_TRIM20]);
      t->beats[gi][c] += cv[c] < cv[SIM_C_TRIM20];
    }
  }
}

static void print_tally(const char *title, const struct cv_tally *t) {
  printf("%s\n%-18s %6s", title, "benchmarks", "n");
  for (int c = 0; c < NC; c++)
    printf(" %15s", sim_centre_name(c));
  printf("\n");
  for (int g = 0; g < NGROUP; g++) {
    if (!t->n[g])
      continue;
    printf("%-18s %6ld", group_names[g], t->n[g]);
    for (int c = 0; c < NC; c++)
      printf("  %5.2f%% %4.2f %2.0f%%", 100 * t->cv[g][c] / (double)t->n[g],
             exp(t->ratio[g][c] / (double)t->n[g]),
             100.0 * (double)t->beats[g][c] / (double)t->n[g]);
    printf("\n");
  }
  printf("(each cell: mean between-run CV, geometric mean of CV / trim20's CV, share of "
         "benchmarks where it is below trim20's)\nauto chose:");
  for (int c = 0; c < SIM_NCENTRE; c++)
    printf(" %s %ld", sim_centre_name(c), t->chosen[c]);
  printf("; gate chose the best 30 %% for %ld\n\n", t->gate_low);
}

static int parse_long(const char *s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 1)
    return -1;
  *out = v;
  return 0;
}

/* ---- the simulator ---------------------------------------------------------------------- */

static int run_sim(long seed, long nsuites, int smoke) {
  struct sim_effects off, on;
  sim_effects_init(&off);
  sim_effects_init(&on);
  if (sim_effects_from_env(&on, "q_centre") < 0)
    return 2;
  if (!(on.interf_frac > 0))
    on.interf_frac = 0.3;
  on.shift_prob = 0; /* a shift moves every centre by the same factor */
  struct cv_tally t_off, t_on;
  memset(&t_off, 0, sizeof t_off);
  memset(&t_on, 0, sizeof t_on);
  struct sim_rng r;
  sim_rng_seed(&r, (uint64_t)seed);
  struct sim_bench *bs = bg_xmalloc(SIM_NB * sizeof *bs);
  for (long su = 0; su < nsuites; su++) {
    sim_make_suite(&r, bs, SIM_NB, &off, NULL, NULL);
    for (int b = 0; b < SIM_NB; b++) {
      bench_cvs(&r, &bs[b], &off, &t_off);
      bench_cvs(&r, &bs[b], &on, &t_on);
    }
  }
  free(bs);
  char desc[256];
  printf("q_centre: %s run, seed %ld, %ld suites of %d benchmarks, %d runs of %d repetitions "
         "each (auto chooses on the first %d, every CV is over the last %d)\n\n",
         smoke ? "smoke" : "full", seed, nsuites, SIM_NB, RUNS, SIM_NREP, RUNS / 2, RUNS / 2);
  print_tally("without machine effects:", &t_off);
  sim_effects_describe(&on, desc, sizeof desc);
  char title[300];
  snprintf(title, sizeof title, "with %s:", desc);
  print_tally(title, &t_on);
  /* What the simulator must show. */
  double r_off = exp(t_off.ratio[0][SIM_C_MIN] / (double)t_off.n[0]);
  double share_on = (double)t_on.beats[0][SIM_C_MIN] / (double)t_on.n[0];
  int ok1 = r_off > 1.1, ok2 = share_on > 0.5;
  printf("checks:\n  [%s] without interference the minimum varies more than the trimmed mean "
         "(CV ratio %.2f > 1.1)\n  [%s] with it the minimum varies less on most benchmarks "
         "(%.0f%% > 50%%)\n",
         ok1 ? "ok" : "MISSED", r_off, ok2 ? "ok" : "MISSED", 100 * share_on);
  return ok1 && ok2 ? 0 : 1;
}

/* ---- real runs -------------------------------------------------------------------------- */

#define MAXB 64
#define MAXF 400
#define MAXREP 64

struct series {
  char name[128];
  int measure; /* 0 real_time, 1 cpu_time */
  double cent[MAXF][SIM_NCENTRE];
  struct bg_gate_summary sum[MAXF][SIM_NCENTRE + 1]; /* the last: the gate's own */
  int nf;
};

struct real {
  struct series s[MAXB];
  int ns;
};

static struct series *series_of(struct real *rl, const char *name, int measure) {
  for (int i = 0; i < rl->ns; i++)
    if (rl->s[i].measure == measure && strcmp(rl->s[i].name, name) == 0)
      return &rl->s[i];
  if (rl->ns == MAXB)
    return NULL;
  struct series *s = &rl->s[rl->ns++];
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "%s", name);
  s->measure = measure;
  return s;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = bg_xmalloc(cap);
  size_t got;
  while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (len + 1 == cap) {
      cap *= 2;
      buf = bg_xrealloc(buf, cap);
    }
  }
  fclose(f);
  buf[len] = 0;
  return buf;
}

/* Adds one Google Benchmark JSON file (one run) to rl; -1 with a message on bad input. */
static int add_file(struct real *rl, const char *path, const double *ratio) {
  char *text = slurp(path);
  if (!text) {
    fprintf(stderr, "q_centre: %s: %s\n", path, strerror(errno));
    return -1;
  }
  cJSON *root = cJSON_Parse(text);
  free(text);
  cJSON *arr = root ? cJSON_GetObjectItem(root, "benchmarks") : NULL;
  if (!cJSON_IsArray(arr)) {
    fprintf(stderr, "q_centre: %s: no \"benchmarks\" array\n", path);
    cJSON_Delete(root);
    return -1;
  }
  static const char *fields[2] = {"real_time", "cpu_time"};
  for (int m = 0; m < 2; m++) {
    /* Samples of each benchmark in file order (its repetitions). */
    char names[MAXB][128];
    double x[MAXB][MAXREP];
    int nx[MAXB], nb = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, arr) {
      cJSON *rt = cJSON_GetObjectItem(e, "run_type"), *nm = cJSON_GetObjectItem(e, "run_name");
      cJSON *v = cJSON_GetObjectItem(e, fields[m]);
      if (!cJSON_IsString(rt) || strcmp(rt->valuestring, "iteration") != 0 || !cJSON_IsString(nm) ||
          !cJSON_IsNumber(v))
        continue;
      int i = 0;
      while (i < nb && strcmp(names[i], nm->valuestring) != 0)
        i++;
      if (i == nb) {
        if (nb == MAXB)
          continue;
        snprintf(names[nb], sizeof names[nb], "%s", nm->valuestring);
        nx[nb++] = 0;
      }
      if (nx[i] < MAXREP)
        x[i][nx[i]++] = v->valuedouble;
    }
    for (int i = 0; i < nb; i++) {
      struct series *s = series_of(rl, names[i], m);
      if (!s || s->nf == MAXF || nx[i] < 3)
        continue;
      double v[MAXREP];
      for (int k = 0; k < nx[i]; k++)
        v[k] = log(x[i][k]);
      bg_stats_sort(v, (size_t)nx[i]);
      for (int c = 0; c < SIM_NCENTRE; c++) {
        s->cent[s->nf][c] = sim_centre_sorted(c, v, nx[i]);
        sim_summarize(x[i], nx[i], c, ratio, &s->sum[s->nf][c]);
      }
      sim_summarize(x[i], nx[i], SIM_C_GATE, ratio, &s->sum[s->nf][SIM_NCENTRE]);
      s->nf++;
    }
  }
  cJSON_Delete(root);
  return 0;
}

/* The gate's verdict on run `cand` of every series of rl (or of slow) against runs
 * [0, nbase) of rl with centre c (auto: each series' choice over those runs); 1 when it
 * fails. */
static int judge(const struct real *rl, const struct real *slow, int cand, int nbase, int c) {
  struct bg_gate_item items[MAXB];
  static struct bg_gate_point pts[MAXB][MAXF];
  const struct real *cr = slow ? slow : rl;
  int n = 0;
  for (int i = 0; i < rl->ns && i < cr->ns; i++) {
    const struct series *s = &rl->s[i], *cs = &cr->s[i];
    int cc = c == SIM_C_GATE ? SIM_NCENTRE : c;
    if (c == SIM_C_AUTO) {
      static double cent[MAXF][SIM_NCENTRE];
      memcpy(cent, s->cent, (size_t)nbase * sizeof cent[0]);
      cc = sim_choose_centre(cent, nbase, 0.8);
    }
    for (int j = 0; j < nbase; j++) /* newest first */
      bg_gate_point_of(&s->sum[nbase - 1 - j][cc], &pts[n][j]);
    items[n] = (struct bg_gate_item){.benchmark = s->name,
                                     .measure = s->measure ? "cpu_time" : "wall_time",
                                     .direction = BG_LOWER,
                                     .baseline = pts[n],
                                     .nbaseline = (size_t)nbase,
                                     .candidate = &cs->sum[cand][cc],
                                     .min_effect = 0.02};
    n++;
  }
  struct bg_gate_verdict *v;
  if (bg_gate_decide(items, (size_t)n, NULL, &v) != BG_OK)
    return -1;
  int fail = v->state == BG_GATE_FAIL;
  bg_gate_verdict_free(v);
  return fail;
}

static int run_real(int nfiles, char **files, int nslow, char **slowf) {
  double ratio[SIM_NCENTRE];
  sim_centre_ratios(ratio);
  struct real *rl = bg_xcalloc(1, sizeof *rl), *sl = bg_xcalloc(1, sizeof *sl);
  for (int f = 0; f < nfiles; f++)
    if (add_file(rl, files[f], ratio))
      return 2;
  for (int f = 0; f < nslow; f++)
    if (add_file(sl, slowf[f], ratio))
      return 2;
  printf("q_centre: %d real runs (files), %d series; between-run CV of each centre over all "
         "runs (auto, gate: the choice on all runs)\n%-24s %-9s",
         nfiles, rl->ns, "benchmark", "measure");
  for (int c = 0; c < NC; c++)
    printf(" %7s", sim_centre_name(c));
  printf("\n");
  double lsum[NC] = {0};
  for (int i = 0; i < rl->ns; i++) {
    struct series *s = &rl->s[i];
    double col[MAXF], cv[NC];
    for (int c = 0; c < SIM_NCENTRE; c++) {
      for (int k = 0; k < s->nf; k++)
        col[k] = s->cent[k][c];
      cv[c] = sd_of(col, s->nf);
    }
    cv[SIM_NCENTRE] = cv[sim_choose_centre(s->cent, s->nf, 0.8)];
    cv[SIM_C_GATE] = cv[gate_choice(s->cent, s->nf)];
    printf("%-24s %-9s", s->name, s->measure ? "cpu_time" : "real_time");
    for (int c = 0; c < NC; c++) {
      printf(" %6.2f%%", 100 * cv[c]);
      lsum[c] += log(cv[c] / cv[0]);
    }
    printf("\n");
  }
  printf("%-34s", "geometric mean of CV / trim20's");
  for (int c = 0; c < NC; c++)
    printf(" %7.2f", exp(lsum[c] / rl->ns));
  printf("\n\ngate verdicts per centre (default settings, min_effect 2 %%):\n%-8s %26s %26s\n",
         "centre", "unchanged: failing/judged", "slowdown: failing/judged");
  for (int c = 0; c < NC; c++) {
    int nfail = 0, njudged = 0, sfail = 0;
    for (int k = 10; k < rl->s[0].nf; k++) {
      nfail += judge(rl, NULL, k, k, c) == 1;
      njudged++;
    }
    for (int k = 0; k < sl->s[0].nf && sl->ns; k++)
      sfail += judge(rl, sl, k, rl->s[0].nf, c) == 1;
    printf("%-8s %21d/%-4d %21d/%-4d\n", sim_centre_name(c), nfail, njudged, sfail,
           sl->ns ? sl->s[0].nf : 0);
  }
  free(rl);
  free(sl);
  return 0;
}

int main(int argc, char **argv) {
  int smoke = 0;
  long seed = 20261204, nsuites = 10;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--smoke") == 0) {
      smoke = 1;
    } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      if (parse_long(argv[++i], &seed)) {
        fprintf(stderr, "q_centre: --seed needs a positive integer\n");
        return 2;
      }
    } else if (strcmp(argv[i], "--suites") == 0 && i + 1 < argc) {
      if (parse_long(argv[++i], &nsuites)) {
        fprintf(stderr, "q_centre: --suites needs a positive integer\n");
        return 2;
      }
    } else if (strcmp(argv[i], "--gbench") == 0) {
      int j = i + 1, k;
      while (j < argc && strcmp(argv[j], "--slow") != 0)
        j++;
      k = j < argc ? j + 1 : argc;
      return run_real(j - i - 1, argv + i + 1, argc - k, argv + k);
    } else {
      fprintf(stderr, "usage: q_centre [--smoke] [--seed N] [--suites N] | q_centre --gbench "
                      "FILE... [--slow FILE...]\n");
      return 2;
    }
  }
  if (smoke)
    nsuites = 1;
  return run_sim(seed, nsuites, smoke);
}
