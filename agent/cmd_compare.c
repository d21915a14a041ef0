/* cmd_compare.c: `benchgate compare`, the gate offline between result files.
 *
 * Each BASE file is one baseline run, HEAD the candidate; every file goes through
 * bg_adapter_parse (any supported harness format, or run JSON). The decision is the server's
 * (lib/gate.c, bg_gate_decide) with the default or given min_effect and alpha. A single BASE
 * file gives one baseline run, from which run-to-run variance cannot be estimated: the gate
 * then relies on its partial pooling across benchmarks with almost no degrees of freedom, so
 * only large changes reach significance; the output says the verdict is weaker. Several BASE
 * files (--base repeated, or a directory) give k > 1.
 */
#include "cmd_compare.h"

#include "adapter.h"
#include "buf.h"
#include "cli.h"
#include "gate.h"
#include "mem.h"
#include "run.h"

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
          "usage: benchgate compare [options] BASE HEAD\n"
          "       benchgate compare [options] --base FILE [--base FILE ...] HEAD\n"
          "  Applies the gate offline: each BASE file is one baseline run (BASE may be a\n"
          "  directory: every file in it), HEAD the run under test. Prints a table sorted by\n"
          "  severity. One baseline run cannot show run-to-run noise; give several.\n"
          "options:\n"
          "  --base FILE        a baseline run (repeatable)\n"
          "  --format F         input format (default: detected): %s\n"
          "  --min-effect X     smallest relative change that counts (default 0.02)\n"
          "  --alpha A          false discovery rate (default 0.05)\n"
          "exit codes: 0 no regression, 1 regression, 2 usage or input error\n",
          names);
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

static void pct(char *out, size_t n, double v) {
  if (isfinite(v))
    snprintf(out, n, "%+.1f %%", 100 * v);
  else
    snprintf(out, n, "-");
}

static void print_table(const struct bg_gate_verdict *v) {
  size_t *order = bg_xcalloc(v->n ? v->n : 1, sizeof *order);
  size_t wb = strlen("benchmark"), wm = strlen("measure");
  for (size_t i = 0; i < v->n; i++) {
    order[i] = i;
    if (strlen(v->outcomes[i].benchmark) > wb)
      wb = strlen(v->outcomes[i].benchmark);
    if (strlen(v->outcomes[i].measure) > wm)
      wm = strlen(v->outcomes[i].measure);
  }
  if (wb > 60)
    wb = 60;
  sort_base = v->outcomes;
  if (v->n)
    qsort(order, v->n, sizeof *order, cmp_outcome);
  printf("%-12s  %-*s  %-*s  %9s  %-21s  %12s  %12s  %8s\n", "class", (int)wb, "benchmark", (int)wm,
         "measure", "change", "95 % interval", "base", "head", "q");
  for (size_t k = 0; k < v->n; k++) {
    const struct bg_gate_outcome *o = &v->outcomes[order[k]];
    char ch[32], lo[32], hi[32], ci[72], q[32], base[32], head[32];
    pct(ch, sizeof ch, o->change);
    pct(lo, sizeof lo, o->change_lo);
    pct(hi, sizeof hi, o->change_hi);
    if (isfinite(o->change_lo))
      snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
    else
      snprintf(ci, sizeof ci, "-");
    if (isfinite(o->q))
      snprintf(q, sizeof q, "%.2g", o->q);
    else
      snprintf(q, sizeof q, "-");
    if (isfinite(o->baseline_center) && o->baseline_runs)
      snprintf(base, sizeof base, "%.6g", o->baseline_center);
    else
      snprintf(base, sizeof base, "-");
    if (isfinite(o->candidate_center) && o->cls != BG_GATE_MISSING)
      snprintf(head, sizeof head, "%.6g", o->candidate_center);
    else
      snprintf(head, sizeof head, "-");
    char cls[24];
    snprintf(cls, sizeof cls, "%s%s", bg_gate_class_name(o->cls), o->acknowledged ? "*" : "");
    printf("%-12s  %-*.*s  %-*s  %9s  %-21s  %12s  %12s  %8s\n", cls, (int)wb, (int)wb,
           o->benchmark, (int)wm, o->measure, ch, ci, base, head, q);
  }
  free(order);
}

int bg_cmd_compare_main(int argc, char **argv) {
  static const struct option opts[] = {{"base", required_argument, NULL, 'b'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"min-effect", required_argument, NULL, 'm'},
                                       {"alpha", required_argument, NULL, 'a'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *format = NULL;
  double min_effect = BG_GATE_DEFAULT_MIN_EFFECT, alpha = BG_GATE_DEFAULT_ALPHA;
  char **files = NULL;
  size_t nfiles = 0, cap = 0, nruns = 0, nkeys = 0;
  struct bg_run **runs = NULL, *head = NULL;
  struct key *keys = NULL;
  struct bg_gate_item *items = NULL;
  struct bg_gate_verdict *v = NULL;
  int c, code = BG_EXIT_USAGE;
  optind = 1;
  while ((c = getopt_long(argc, argv, "b:f:m:a:h", opts, NULL)) != -1) {
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
  if (!(rest == 1 && nfiles) && !(rest == 2 && !nfiles)) {
    usage(stderr);
    goto out;
  }
  if (rest == 2 && !add_path(argv[optind], &files, &nfiles, &cap))
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
  cfg.window = 0;
  if (bg_gate_decide(items, nkeys, &cfg, &v) != BG_OK) {
    bg_cli_error("compare: the gate refused the input");
    goto out;
  }
  printf("benchgate compare: %zu baseline run%s vs %s; min_effect %g, alpha %g\n", nruns,
         nruns == 1 ? "" : "s", head_path, min_effect, alpha);
  if (nruns == 1)
    printf("note: a single baseline run shows no run-to-run noise, so the gate can only borrow\n"
           "      it (pooled across benchmarks) and tests with almost no degrees of freedom:\n"
           "      this verdict is weaker, and a real change may come out inconclusive. Give\n"
           "      several baseline runs (--base repeated, or a directory) for a verdict as\n"
           "      strong as the server's.\n");
  printf("\n");
  print_table(v);
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
