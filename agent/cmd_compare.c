/* cmd_compare.c: `benchgate compare BASE... HEAD`, the gate offline between result files.
 *
 * Each BASE file is one baseline run, HEAD the candidate; every file goes through
 * bg_adapter_parse (any supported harness format, or run JSON). The decision is the server's
 * (lib/gate.c, bg_gate_decide) with the given min_effect and alpha. One baseline run cannot
 * show run-to-run noise, so the test then uses the repetitions' within-run variance plus a
 * stated noise (--noise, default BG_GATE_COMPARE_NOISE_CV), the gate's pooled tau^2 floor for
 * few runs taken as known; several BASE files give the noise from their spread (pooled across
 * benchmarks below 5 runs, as the server does for a new project). Files that share no
 * (benchmark, measure) are an input error.
 *
 * With --paired the files are the rounds of an interleaved A/B measurement (lib/interleave.h),
 * BASE1 HEAD1 BASE2 HEAD2 ... in the order they were measured, or one run payload with an
 * interleaved part (`benchgate run --interleave --output`); the gate compares each round's
 * head with its base (bg_gate_config.paired) instead of the head with the baseline runs.
 */
#include "cmd_compare.h"

#include "adapter.h"
#include "buf.h"
#include "cli.h"
#include "gate.h"
#include "interleave.h"
#include "measure_ab.h"
#include "mem.h"
#include "run.h"
#include "units.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define COMPARE_MAX_FILES 1000

static void usage(FILE *f) {
  char names[256];
  bg_adapter_names(names, sizeof names);
  fprintf(f,
          "usage: benchgate compare [options] BASE... HEAD\n"
          "       benchgate compare [options] --base FILE [--base FILE ...] HEAD\n"
          "       benchgate compare [options] --paired BASE1 HEAD1 BASE2 HEAD2 ...\n"
          "       benchgate compare [options] --paired RUN.json\n"
          "  Applies the gate offline: each BASE is one baseline run (a directory: every file\n"
          "  in it), HEAD the run under test. Prints a table sorted by severity.\n"
          "  With one BASE the run-to-run noise cannot be seen: the test uses the repetitions\n"
          "  plus a stated noise (--noise, default %g, i.e. %g %%); with several BASE runs it\n"
          "  comes from their spread.\n"
          "options:\n"
          "  --base FILE        a baseline run (repeatable)\n"
          "  --format F         input format (default: detected): %s\n"
          "  --noise CV         run-to-run noise as a CV (default %g with one BASE, else from\n"
          "                     the runs; 0: none)\n"
          "  --min-effect X     smallest relative change that counts (default %g)\n"
          "  --alpha A          false discovery rate of the report, the q column (default %g)\n"
          "  --fail-rate F      fail budget, the q_worse column: a regression needs\n"
          "                     q_worse <= F (default %g)\n"
          "  --paired           the files are the rounds of an interleaved A/B measurement,\n"
          "                     a base and a head file per round in the order they were\n"
          "                     measured (at least 2 rounds), or one run JSON with an\n"
          "                     interleaved part (benchgate run --interleave --output); each\n"
          "                     round's head is compared with its base (method paired)\n"
          "columns: class; change (HEAD vs BASE centre, 20 %% trimmed means) with its 95 %%\n"
          "  interval; base and head centres in the result's unit; q (BH-adjusted two-sided\n"
          "  p, significant at <= alpha); q_worse (BH-adjusted one-sided p of \"worse\", must\n"
          "  be <= fail_rate to fail); method (t, paired, or exact when every sample is\n"
          "  equal); why (the reason for an inconclusive or untested row)\n"
          "exit codes: 0 no regression, 1 regression, 2 usage or input error (also: the\n"
          "  files share no benchmark; --paired with an odd number of files or fewer than 2\n"
          "  rounds)\n",
          BG_GATE_COMPARE_NOISE_CV, 100 * BG_GATE_COMPARE_NOISE_CV, names, BG_GATE_COMPARE_NOISE_CV,
          BG_GATE_DEFAULT_MIN_EFFECT, BG_GATE_DEFAULT_ALPHA, BG_GATE_DEFAULT_FAIL_RATE);
}

/* Parses a number flag in [lo, hi]; 0 and a message when it is not one. */
static int number(const char *flag, const char *v, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || end == v || *end || !(d >= lo && d <= hi)) {
    bg_cli_error("compare: %s: expected a number from %g to %g, got '%s'", flag, lo, hi, v);
    return 0;
  }
  *out = d;
  return 1;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds `path` (a file, or every regular file of a directory in name order) to the list. */
static int add_path(const char *path, char ***files, size_t *n, size_t *cap) {
  struct stat st;
  if (stat(path, &st) != 0) {
    bg_cli_error("%s: %s", path, strerror(errno));
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) {
    bg_xgrow((void **)files, cap, *n + 1, sizeof **files);
    (*files)[(*n)++] = bg_xstrdup(path);
    return 1;
  }
  DIR *d = opendir(path);
  if (!d) {
    bg_cli_error("%s: %s", path, strerror(errno));
    return 0;
  }
  size_t first = *n;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", path, e->d_name);
    if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    bg_xgrow((void **)files, cap, *n + 1, sizeof **files);
    (*files)[(*n)++] = bg_xstrdup(full);
  }
  closedir(d);
  if (*n - first > 1)
    qsort(*files + first, *n - first, sizeof **files, cmp_str);
  if (*n == first) {
    bg_cli_error("%s: a directory without files", path);
    return 0;
  }
  return 1;
}

/* Reads and parses one file into a new run. */
static struct bg_run *load(const char *path, const char *format) {
  struct bg_ferr fe;
  struct bg_run *run = bg_run_new();
  if (bg_adapter_parse_file(format, path, run, &fe) != BG_OK) {
    bg_cli_error("%s: %s", fe.field, fe.message);
    bg_run_free(run);
    return NULL;
  }
  if (run->nresults == 0) {
    bg_cli_error("%s: no results", path);
    bg_run_free(run);
    return NULL;
  }
  return run;
}

/* One (benchmark, measure) across the files. */
struct key {
  const struct bg_result *any;  /* names, unit and direction */
  struct bg_gate_point *base; /* newest first */
  size_t nbase;
  struct bg_gate_summary cand;
  int has_cand;
};

static struct key *find_key(struct key *keys, size_t n, const struct bg_result *r) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(keys[i].any->benchmark, r->benchmark) && !strcmp(keys[i].any->measure, r->measure))
      return &keys[i];
  return NULL;
}

static int severity(enum bg_gate_class c) {
  static const int rank[BG_GATE_NCLASSES] = {
      [BG_GATE_REGRESSED] = 0, [BG_GATE_INCONCLUSIVE] = 1, [BG_GATE_IMPROVED] = 2,
      [BG_GATE_MISSING] = 3,   [BG_GATE_NEW] = 4,          [BG_GATE_UNCHANGED] = 5,
      [BG_GATE_IGNORED] = 6};
  return rank[c];
}

static const struct bg_gate_outcome *sort_base;

static int cmp_outcome(const void *a, const void *b) {
  const struct bg_gate_outcome *x = &sort_base[*(const size_t *)a];
  const struct bg_gate_outcome *y = &sort_base[*(const size_t *)b];
  int d = severity(x->cls) - severity(y->cls);
  if (d)
    return d;
  double ax = isfinite(x->change) ? fabs(x->change) : -1,
         ay = isfinite(y->change) ? fabs(y->change) : -1;
  if (ax != ay)
    return ax < ay ? 1 : -1;
  d = strcmp(x->benchmark, y->benchmark);
  return d ? d : strcmp(x->measure, y->measure);
}

#define NCOLS 11
#define CELL 96

/* One table row: NCOLS cells of text. */
struct row {
  char c[NCOLS][CELL];
};

/* The reason a row is inconclusive or untested, "" otherwise. */
static void why(const struct bg_gate_outcome *o, double alpha, double fail_rate, char *out,
                size_t n) {
  char r[64];
  out[0] = '\0';
  if (o->cls == BG_GATE_MISSING)
    snprintf(out, n, "not in HEAD");
  else if (o->cls == BG_GATE_NEW)
    snprintf(out, n, "not in BASE");
  else if (o->cls == BG_GATE_IGNORED)
    snprintf(out, n, "ignored");
  else if (o->cls != BG_GATE_INCONCLUSIVE)
    return;
  else if (o->method == BG_GATE_METHOD_EXACT) {
    bg_units_format(o->resolution, o->unit, r, sizeof r);
    snprintf(out, n, "one step of the resolution (%s)", r);
  } else if (!(o->q <= alpha))
    snprintf(out, n, "not significant: q > alpha %g", alpha);
  else
    snprintf(out, n, "worse, but q_worse > fail_rate %g", fail_rate);
}

static void fill_row(const struct bg_gate_outcome *o, double alpha, double fail_rate,
                     struct row *w) {
  char lo[32], hi[32];
  snprintf(w->c[0], CELL, "%s%s", bg_gate_class_name(o->cls), o->acknowledged ? "*" : "");
  snprintf(w->c[1], CELL, "%.60s", o->benchmark);
  snprintf(w->c[2], CELL, "%.40s", o->measure);
  bg_units_percent(o->change, w->c[3], CELL);
  if (isfinite(o->change_lo)) {
    bg_units_percent(o->change_lo, lo, sizeof lo);
    bg_units_percent(o->change_hi, hi, sizeof hi);
    snprintf(w->c[4], CELL, "[%s, %s]", lo, hi);
  } else {
    snprintf(w->c[4], CELL, "-");
  }
  if (o->baseline_runs)
    bg_units_format(o->baseline_center, o->unit, w->c[5], CELL);
  else
    snprintf(w->c[5], CELL, "-");
  if (o->cls != BG_GATE_MISSING)
    bg_units_format(o->candidate_center, o->unit, w->c[6], CELL);
  else
    snprintf(w->c[6], CELL, "-");
  if (isfinite(o->q))
    snprintf(w->c[7], CELL, "%.2g", o->q);
  else
    snprintf(w->c[7], CELL, "-");
  if (isfinite(o->q_worse))
    snprintf(w->c[8], CELL, "%.2g", o->q_worse);
  else
    snprintf(w->c[8], CELL, "-");
  const char *m = bg_gate_method_name(o->method);
  snprintf(w->c[9], CELL, "%s", m ? m : "-");
  why(o, alpha, fail_rate, w->c[10], CELL);
}

/* Prints cell s padded to width (display width, so "µs" and "–" count once). */
static void put_cell(const char *s, size_t width, int right, int last) {
  size_t pad = width - bg_units_width(s);
  if (right)
    printf("%*s%s", (int)pad, "", s);
  else if (last)
    printf("%s", s);
  else
    printf("%s%*s", s, (int)pad, "");
  if (!last)
    printf("  ");
}

static void print_table(const struct bg_gate_verdict *v, double alpha, double fail_rate) {
  static const char *head[NCOLS] = {"class",         "benchmark", "measure", "change",
                                    "95 % interval", "base",      "head",    "q",
                                    "q_worse",       "method",    "why"};
  static const int right[NCOLS] = {0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0};
  size_t *order = bg_xcalloc(v->n ? v->n : 1, sizeof *order);
  struct row *rows = bg_xcalloc(v->n ? v->n : 1, sizeof *rows);
  size_t width[NCOLS];
  for (size_t c = 0; c < NCOLS; c++)
    width[c] = bg_units_width(head[c]);
  for (size_t i = 0; i < v->n; i++)
    order[i] = i;
  sort_base = v->outcomes;
  if (v->n)
    qsort(order, v->n, sizeof *order, cmp_outcome);
  for (size_t k = 0; k < v->n; k++) {
    fill_row(&v->outcomes[order[k]], alpha, fail_rate, &rows[k]);
    for (size_t c = 0; c < NCOLS; c++)
      if (bg_units_width(rows[k].c[c]) > width[c])
        width[c] = bg_units_width(rows[k].c[c]);
  }
  for (size_t c = 0; c < NCOLS; c++)
    put_cell(head[c], width[c], right[c], c == NCOLS - 1);
  printf("\n");
  for (size_t k = 0; k < v->n; k++) {
    for (size_t c = 0; c < NCOLS; c++)
      put_cell(rows[k].c[c], width[c], right[c], c == NCOLS - 1);
    printf("\n");
  }
  free(rows);
  free(order);
}

/* What the test did, for the header: the noise it used and where it came from. */
static void print_method(size_t nruns, double noise, int noise_given, int any_exact) {
  char cv[32];
  bg_units_percent(noise, cv, sizeof cv);
  if (nruns == 1 && noise > 0)
    printf("method: t test on the repetitions' within-run variance plus a stated run-to-run\n"
           "        noise of CV %s (%s; one run a side cannot show it)\n",
           cv + (cv[0] == '+'), noise_given ? "--noise" : "the default, --noise to set it");
  else if (nruns == 1)
    printf("method: t test on the repetitions alone (--noise 0: no run-to-run noise assumed;\n"
           "        differences between runs will look significant)\n");
  else if (noise_given && noise > 0 && nruns < 5)
    printf("method: t test over %zu baseline runs; run-to-run noise from their spread, at\n"
           "        least CV %s (--noise)\n",
           nruns, cv + (cv[0] == '+'));
  else
    printf("method: t test over %zu baseline runs; run-to-run noise from their spread%s\n", nruns,
           nruns < 5 ? " (pooled across benchmarks below 5 runs)" : "");
  if (any_exact)
    printf("        results whose samples are all equal: the exact rule (method exact)\n");
}

static void print_legend(double alpha, double fail_rate) {
  printf("\ncolumns: change = HEAD vs BASE centre (20 %% trimmed means), with its 95 %% interval;\n"
         "  base, head = the centres in the result's unit; q = BH-adjusted two-sided p\n"
         "  (significant at <= alpha %g); q_worse = BH-adjusted one-sided p of \"worse\" (a\n"
         "  regression needs <= fail_rate %g); method = t, paired or exact; why = the reason\n"
         "  for an inconclusive or untested row.\n",
         alpha, fail_rate);
}

/* ---- --paired: the rounds of an interleaved A/B measurement ------------------------------- */

/* The thresholds of a comparison, from the flags. */
struct limits {
  double min_effect, alpha, fail_rate;
};

/* A run holding the rounds that paths[0..n-1] (base, head, base, head, ...) make, with the
 * heads pooled into its results; NULL (said) when a file does not load. */
static struct bg_run *rounds_of_files(char *const *paths, size_t n, const char *format) {
  struct bg_run *run = bg_run_new();
  struct bg_interleaved *iv = bg_run_interleave(run, "");
  for (size_t i = 0; i + 1 < n; i += 2) {
    struct bg_round *r = bg_interleaved_add_round(iv);
    for (int k = 0; k < 2; k++) {
      struct bg_run *side = k ? r->head : r->base, *f = load(paths[i + (size_t)k], format);
      if (!f) {
        bg_run_free(run);
        return NULL;
      }
      side->results = f->results;
      side->nresults = f->nresults;
      side->results_cap = f->results_cap;
      f->results = NULL;
      f->nresults = f->results_cap = 0;
      bg_run_free(f);
    }
    bg_measure_ab_pool(run, r->head);
  }
  return run;
}

/* A run payload with an interleaved part; NULL (said) when the file is none. */
static struct bg_run *rounds_of_run(const char *path) {
  struct bg_buf b;
  struct bg_ferr fe;
  struct bg_run *run = NULL;
  bg_buf_init(&b, BG_RUN_MAX_BODY);
  if (bg_buf_read_file(&b, path) != BG_OK)
    bg_cli_error("%s: cannot read: %s", path, strerror(errno));
  else if (bg_run_from_json(b.data, b.len, &run, &fe) != BG_OK)
    bg_cli_error("%s: not a run payload: %s%s%s", path, fe.field, *fe.field ? ": " : "",
                 fe.message);
  else if (!run->interleaved) {
    bg_cli_error("%s: the run has no interleaved part (benchgate run --interleave makes one)",
                 path);
    bg_run_free(run);
    run = NULL;
  }
  bg_buf_free(&b);
  return run;
}

/* The items of the paired decision: every result of the pooled heads with its pairs, then
 * those only a base has (missing). Each item's pairs and the heads' summaries go into
 * *pairs and *cand (freed by the caller). */
static struct bg_gate_item *paired_items(const struct bg_run *run, const struct limits *l,
                                         size_t *nitems, struct bg_gate_pair **pairs,
                                         struct bg_gate_summary **cand) {
  const struct bg_interleaved *iv = run->interleaved;
  size_t max = run->nresults, n = 0;
  for (size_t i = 0; i < iv->nrounds; i++)
    max += iv->rounds[i].base->nresults;
  struct bg_gate_item *items = bg_xcalloc(max ? max : 1, sizeof *items);
  *pairs = bg_xcalloc((max ? max : 1) * iv->nrounds, sizeof **pairs);
  *cand = bg_xcalloc(max ? max : 1, sizeof **cand);
  for (size_t j = 0; j < run->nresults; j++) {
    const struct bg_result *r = &run->results[j];
    struct bg_gate_item *it = &items[n];
    it->benchmark = r->benchmark;
    it->measure = r->measure;
    it->unit = r->unit;
    it->direction = r->direction;
    it->min_effect = l->min_effect;
    it->candidate = bg_gate_summarize_result(r, &(*cand)[n]) == BG_OK ? &(*cand)[n] : NULL;
    it->pairs = &(*pairs)[n * iv->nrounds];
    it->npairs = bg_interleave_pairs_of(iv, r->benchmark, r->measure, j, &(*pairs)[n * iv->nrounds]);
    n++;
  }
  for (size_t i = 0; i < iv->nrounds; i++) {
    const struct bg_run *b = iv->rounds[i].base;
    for (size_t j = 0; j < b->nresults; j++) {
      const struct bg_result *r = &b->results[j];
      int seen = 0;
      for (size_t k = 0; k < n && !seen; k++)
        seen = !strcmp(items[k].benchmark, r->benchmark) && !strcmp(items[k].measure, r->measure);
      if (seen)
        continue;
      items[n] = (struct bg_gate_item){.benchmark = r->benchmark,
                                       .measure = r->measure,
                                       .unit = r->unit,
                                       .direction = r->direction,
                                       .min_effect = l->min_effect};
      n++;
    }
  }
  *nitems = n;
  return items;
}

/* `benchgate compare --paired FILE...`: the exit code. */
static int compare_paired(char *const *paths, size_t n, const char *format, const struct limits *l) {
  struct bg_run *run = NULL;
  struct bg_gate_item *items = NULL;
  struct bg_gate_pair *pairs = NULL;
  struct bg_gate_summary *cand = NULL;
  struct bg_gate_verdict *v = NULL;
  size_t nitems = 0, common = 0;
  int code = BG_EXIT_USAGE;
  if (n != 1 && (n % 2 || n < 4)) {
    bg_cli_error("compare: --paired: expected BASE HEAD files of at least 2 rounds (an even "
                 "number, 4 or more) or one run JSON with an interleaved part; got %zu file%s",
                 n, n == 1 ? "" : "s");
    usage(stderr);
    return BG_EXIT_USAGE;
  }
  if (!(run = n == 1 ? rounds_of_run(paths[0]) : rounds_of_files(paths, n, format)))
    goto out;
  items = paired_items(run, l, &nitems, &pairs, &cand);
  for (size_t i = 0; i < nitems; i++)
    common += items[i].npairs > 0 && items[i].candidate;
  if (!common) {
    bg_cli_error("compare: --paired: no (benchmark, measure) is in every round's base and head: "
                 "nothing to compare");
    goto out;
  }
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  cfg.alpha = l->alpha;
  cfg.fail_rate = l->fail_rate;
  cfg.window = 0;
  cfg.paired = 1;
  if (bg_gate_decide(items, nitems, &cfg, &v) != BG_OK) {
    bg_cli_error("compare: the gate refused the input");
    goto out;
  }
  size_t rounds = run->interleaved->nrounds;
  char me[32];
  bg_units_percent(l->min_effect, me, sizeof me);
  printf("benchgate compare --paired: %zu rounds of base and head: %zu %s in common\n", rounds,
         common, bg_units_plural((double)common, "result", "results"));
  if (n == 1 && *run->interleaved->base_sha)
    printf("run: %s, commit %.12s against base %.12s\n", paths[0],
           run->commit.sha ? run->commit.sha : "?", run->interleaved->base_sha);
  printf("method: paired t test on the %zu rounds' differences (each round's head centre minus\n"
         "        its base's), their variance shrunk across the results of a measure\n",
         rounds);
  printf("thresholds: min_effect %s, alpha %g (q), fail_rate %g (q_worse)\n\n", me + (me[0] == '+'),
         l->alpha, l->fail_rate);
  print_table(v, l->alpha, l->fail_rate);
  print_legend(l->alpha, l->fail_rate);
  char *summary = bg_gate_summary_text(v);
  printf("\nverdict: %s: %s\n", bg_gate_state_name(v->state), summary);
  free(summary);
  code = v->state == BG_GATE_FAIL ? BG_EXIT_REGRESSION : BG_EXIT_PASS;
  if (fflush(stdout) != 0)
    code = BG_EXIT_INFRA;
out:
  bg_gate_verdict_free(v);
  free(items);
  free(pairs);
  free(cand);
  bg_run_free(run);
  return code;
}

int bg_cmd_compare_main(int argc, char **argv) {
  static const struct option opts[] = {{"base", required_argument, NULL, 'b'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"min-effect", required_argument, NULL, 'm'},
                                       {"alpha", required_argument, NULL, 'a'},
                                       {"noise", required_argument, NULL, 'n'},
                                       {"fail-rate", required_argument, NULL, 'r'},
                                       {"paired", no_argument, NULL, 'p'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *format = NULL;
  double min_effect = BG_GATE_DEFAULT_MIN_EFFECT, alpha = BG_GATE_DEFAULT_ALPHA;
  double noise = BG_GATE_COMPARE_NOISE_CV, fail_rate = BG_GATE_DEFAULT_FAIL_RATE;
  int noise_given = 0, paired = 0;
  char **files = NULL;
  size_t nfiles = 0, cap = 0, nruns = 0, nkeys = 0;
  struct bg_run **runs = NULL, *head = NULL;
  struct key *keys = NULL;
  struct bg_gate_item *items = NULL;
  struct bg_gate_verdict *v = NULL;
  int c, code = BG_EXIT_USAGE;
  optind = 1;
  while ((c = getopt_long(argc, argv, "b:f:m:a:n:r:ph", opts, NULL)) != -1) {
    if (c == 'b') {
      if (!add_path(optarg, &files, &nfiles, &cap))
        goto out;
    } else if (c == 'f') {
      format = optarg;
      if (!bg_adapter_find(format)) {
        char names[256];
        bg_adapter_names(names, sizeof names);
        bg_cli_error("compare: --format: unknown format '%s' (known: %s)", format, names);
        goto out;
      }
    } else if (c == 'm') {
      if (!number("--min-effect", optarg, 0, 10, &min_effect))
        goto out;
    } else if (c == 'a') {
      if (!number("--alpha", optarg, 1e-9, 0.5, &alpha))
        goto out;
    } else if (c == 'n') {
      if (!number("--noise", optarg, 0, 10, &noise))
        goto out;
      noise_given = 1;
    } else if (c == 'r') {
      if (!number("--fail-rate", optarg, 1e-9, 0.5, &fail_rate))
        goto out;
    } else if (c == 'p') {
      paired = 1;
    } else if (c == 'h') {
      usage(stdout);
      code = BG_EXIT_PASS;
      goto out;
    } else {
      usage(stderr);
      goto out;
    }
  }
  int rest = argc - optind;
  if (paired && (nfiles || noise_given)) {
    bg_cli_error("compare: --paired takes its files in order; --base and --noise do not apply");
    goto out;
  }
  if (paired) {
    const struct limits l = {min_effect, alpha, fail_rate};
    code = compare_paired(argv + optind, (size_t)rest, format, &l);
    goto out;
  }
  if (rest < 1 || (rest == 1 && !nfiles)) {
    usage(stderr);
    goto out;
  }
  for (int i = optind; i < argc - 1; i++)
    if (!add_path(argv[i], &files, &nfiles, &cap))
      goto out;
  if (nfiles > COMPARE_MAX_FILES) {
    bg_cli_error("compare: at most %d baseline files", COMPARE_MAX_FILES);
    goto out;
  }
  const char *head_path = argv[argc - 1];
  runs = bg_xcalloc(nfiles, sizeof *runs);
  for (size_t i = 0; i < nfiles; i++, nruns++)
    if (!(runs[i] = load(files[i], format)))
      goto out;
  if (!(head = load(head_path, format)))
    goto out;

  /* Keys: every (benchmark, measure) of HEAD, then those only in a baseline. The last BASE
   * file given counts as the newest baseline run. */
  size_t maxkeys = head->nresults;
  for (size_t i = 0; i < nruns; i++)
    maxkeys += runs[i]->nresults;
  keys = bg_xcalloc(maxkeys, sizeof *keys);
  for (size_t j = 0; j < head->nresults; j++) {
    const struct bg_result *r = &head->results[j];
    struct key *k = &keys[nkeys++];
    k->any = r;
    k->base = bg_xcalloc(nruns ? nruns : 1, sizeof *k->base);
    k->has_cand = bg_gate_summarize_result(r, &k->cand) == BG_OK;
  }
  for (size_t i = nruns; i-- > 0;) {
    for (size_t j = 0; j < runs[i]->nresults; j++) {
      const struct bg_result *r = &runs[i]->results[j];
      struct key *k = find_key(keys, nkeys, r);
      if (!k) {
        k = &keys[nkeys++];
        k->any = r;
        k->base = bg_xcalloc(nruns, sizeof *k->base);
      }
      struct bg_gate_summary g;
      if (bg_gate_summarize_result(r, &g) == BG_OK)
        bg_gate_point_of(&g, &k->base[k->nbase++]);
    }
  }
  size_t common = 0;
  for (size_t i = 0; i < nkeys; i++)
    common += keys[i].nbase > 0 && keys[i].has_cand;
  if (!common) {
    bg_cli_error("compare: %s and the baseline share no (benchmark, measure): nothing to "
                 "compare (first in HEAD: %s %s)",
                 head_path, head->results[0].benchmark, head->results[0].measure);
    goto out;
  }
  items = bg_xcalloc(nkeys ? nkeys : 1, sizeof *items);
  for (size_t i = 0; i < nkeys; i++) {
    items[i].benchmark = keys[i].any->benchmark;
    items[i].measure = keys[i].any->measure;
    items[i].unit = keys[i].any->unit;
    items[i].direction = keys[i].any->direction;
    items[i].baseline = keys[i].base;
    items[i].nbaseline = keys[i].nbase;
    items[i].candidate = keys[i].has_cand ? &keys[i].cand : NULL;
    items[i].min_effect = min_effect;
  }
  struct bg_gate_config cfg;
  bg_gate_config_init(&cfg);
  cfg.alpha = alpha;
  cfg.fail_rate = fail_rate;
  cfg.window = 0;
  /* One run a side: the stated noise (default or given); several: the runs' spread, and the
   * stated noise only when given. */
  if (nruns == 1 || noise_given)
    cfg.noise_cv = noise;
  else
    noise = 0;
  if (bg_gate_decide(items, nkeys, &cfg, &v) != BG_OK) {
    bg_cli_error("compare: the gate refused the input");
    goto out;
  }
  char me[32];
  bg_units_percent(min_effect, me, sizeof me);
  printf("benchgate compare: %zu baseline %s vs %s: %zu %s in common\n", nruns,
         bg_units_plural((double)nruns, "run", "runs"), head_path, common,
         bg_units_plural((double)common, "result", "results"));
  int any_exact = 0;
  for (size_t i = 0; i < v->n; i++)
    any_exact |= v->outcomes[i].method == BG_GATE_METHOD_EXACT;
  print_method(nruns, noise, noise_given, any_exact);
  printf("thresholds: min_effect %s, alpha %g (q), fail_rate %g (q_worse)\n\n", me + (me[0] == '+'),
         alpha, fail_rate);
  print_table(v, alpha, fail_rate);
  print_legend(alpha, fail_rate);
  char *summary = bg_gate_summary_text(v);
  printf("\nverdict: %s: %s\n", bg_gate_state_name(v->state), summary);
  free(summary);
  code = v->state == BG_GATE_FAIL ? BG_EXIT_REGRESSION : BG_EXIT_PASS;
  if (fflush(stdout) != 0)
    code = BG_EXIT_INFRA;
out:
  bg_gate_verdict_free(v);
  free(items);
  for (size_t i = 0; i < nkeys; i++)
    free(keys[i].base);
  free(keys);
  for (size_t i = 0; i < nruns; i++)
    bg_run_free(runs[i]);
  free(runs);
  bg_run_free(head);
  for (size_t i = 0; i < nfiles; i++)
    free(files[i]);
  free(files);
  return code;
}
