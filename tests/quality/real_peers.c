/* real_peers.c: the peer rules (peers.c) on real runs, the run payloads real_noise.sh saves.
 *
 * real_noise.sh measures a real suite on this machine and lets benchgate's server judge it;
 * this program applies each peer rule to the same first runs (`benchgate run --output`, the
 * payload before any confirmation run), so that the peers' table and benchgate's row come
 * from one set of measurements:
 *   - unchanged: the runs of UNCHANGED_DIR in name order (the default branch's commits, oldest
 *     first); each run after the first --history (5) is judged against all the runs before it,
 *     newest first;
 *   - every --phase DIR LABEL PREFIX: each run of DIR judged against all the unchanged runs.
 *     PREFIX empty: the phase counts runs with any alarm; else it counts runs where a result
 *     of a benchmark whose name starts with PREFIX alarms ("caught", the definition
 *     real_noise.sh uses for benchgate's regressed results), and also runs with any alarm.
 * Each rule reads its own lookback (peers.h), capped at the runs there are. A rule judges every
 * result of the candidate (every benchmark and measure, the results benchgate gates) that
 * has at least one baseline run; a run alarms when any of its results does. A higher-is-better
 * result is judged on the reciprocals of its samples, so every rule reads "slower".
 *
 * Usage: real_peers [--history N] [--row CELLS]... UNCHANGED_DIR [--phase DIR LABEL PREFIX]...
 *        real_peers --smoke
 * Prints the table in Markdown (rows: rules, after any --row given verbatim; columns: the
 * unchanged commits failed, then one per phase, then runs per unchanged verdict: 1.00 for
 * every rule, which judges one run) and, per phase, the results each rule alarmed on. --smoke
 * writes a small generated set of runs to a temporary directory, evaluates it and checks the
 * counts the rules must give (make test). Exits 0, 1 when a smoke check fails, 2 on a usage
 * or input error.
 */
#include "mem.h"
#include "peers.h"
#include "run.h"
#include "sim.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PHASES 8
#define MAX_ROWS 4
#define MAX_FILE (64u << 20)

/* Runs in name order (oldest first). */
struct runs {
  struct bg_run **v;
  char **file;
  size_t n;
};

/* What a rule alarmed on in one phase: per result name, the count per rule. */
struct alarm {
  char *key; /* "benchmark measure" */
  size_t count[PEER_NRULES];
};

struct phase {
  const char *dir, *label, *prefix;
  struct runs runs;
  size_t judged;
  size_t failed[PEER_NRULES], caught[PEER_NRULES];
  struct alarm *alarms;
  size_t nalarms, alarms_cap;
};

/* ---- loading ---------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file (at most MAX_FILE bytes) into a new NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = bg_xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap)
      bg_xgrow((void **)&buf, &cap, n + (1 << 16), 1);
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0 || n > MAX_FILE)
      break;
  }
  int bad = ferror(f) || n > MAX_FILE;
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void runs_free(struct runs *r) {
  for (size_t i = 0; i < r->n; i++) {
    bg_run_free(r->v[i]);
    free(r->file[i]);
  }
  free(r->v);
  free(r->file);
  memset(r, 0, sizeof *r);
}

/* The names of the *.json files in dir, sorted; NULL (errno set) when dir cannot be read. */
static char **list_json(const char *dir, size_t *n) {
  DIR *d = opendir(dir);
  if (!d)
    return NULL;
  size_t cap = 0;
  char **names = NULL;
  struct dirent *de;
  *n = 0;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
      continue;
    bg_xgrow((void **)&names, &cap, *n + 1, sizeof *names);
    names[(*n)++] = bg_xstrdup(de->d_name);
  }
  closedir(d);
  if (*n)
    qsort(names, *n, sizeof *names, cmp_str);
  return names ? names : bg_xcalloc(1, sizeof *names);
}

/* Loads every *.json run payload of dir into *out, in name order. Returns 0, or -1 with a
 * message on stderr. */
static int load_dir(const char *dir, struct runs *out) {
  size_t n = 0;
  char **names = list_json(dir, &n);
  memset(out, 0, sizeof *out);
  if (!names) {
    fprintf(stderr, "real_peers: %s: %s\n", dir, strerror(errno));
    return -1;
  }
  out->v = bg_xcalloc(n ? n : 1, sizeof *out->v);
  out->file = names;
  out->n = n; /* runs_free frees the runs read so far on an error */
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    char path[4096];
    size_t len = 0;
    struct bg_ferr e;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    char *text = read_file(path, &len);
    if (!text) {
      fprintf(stderr, "real_peers: %s: cannot read\n", path);
      rc = -1;
    } else if (bg_run_from_json(text, len, &out->v[i], &e) != BG_OK) {
      fprintf(stderr, "real_peers: %s: %s: %s\n", path, e.field, e.message);
      rc = -1;
    }
    free(text);
  }
  return rc;
}

/* ---- judging ---------------------------------------------------------------------------- */

/* One result of one run as the rules read it: lower is better. */
struct obs {
  struct bg_gate_summary sum;
  double *x; /* owned samples, NULL for a summary-only result */
  size_t n;
};

/* Fills *o from result r: its samples (reciprocals for a higher-is-better measure) or, for a
 * summary, its moments (the reciprocal's by the delta method). Returns 0, or -1 for a result
 * the rules cannot read (a higher-is-better value <= 0, a sample that is not finite). */
static int observe(const struct bg_result *r, struct obs *o) {
  int higher = r->direction == BG_HIGHER;
  memset(o, 0, sizeof *o);
  if (r->has_summary) {
    double mean = r->mean, sd = r->stddev;
    if (higher) {
      if (!(mean > 0))
        return -1;
      sd = sd / (mean * mean);
      mean = 1 / mean;
    }
    return bg_gate_summarize_moments((double)r->n, mean, sd, &o->sum) == BG_OK ? 0 : -1;
  }
  o->x = bg_xmalloc((r->nsamples ? r->nsamples : 1) * sizeof *o->x);
  o->n = r->nsamples;
  for (size_t i = 0; i < r->nsamples; i++) {
    double v = r->samples[i];
    if (higher && !(v > 0)) {
      free(o->x);
      o->x = NULL;
      return -1;
    }
    o->x[i] = higher ? 1 / v : v;
  }
  return bg_gate_summarize(o->x, o->n, &o->sum) == BG_OK ? 0 : -1;
}

static void count_alarm(struct phase *ph, const struct bg_result *r, int rule) {
  char key[2200];
  snprintf(key, sizeof key, "%s %s", r->benchmark, r->measure);
  size_t i = 0;
  while (i < ph->nalarms && strcmp(ph->alarms[i].key, key) != 0)
    i++;
  if (i == ph->nalarms) {
    bg_xgrow((void **)&ph->alarms, &ph->alarms_cap, ph->nalarms + 1, sizeof *ph->alarms);
    memset(&ph->alarms[i], 0, sizeof ph->alarms[i]);
    ph->alarms[i].key = bg_xstrdup(key);
    ph->nalarms++;
  }
  ph->alarms[i].count[rule]++;
}

/* The baseline of result r: the summaries of the runs hist[0..nhist-1] (newest first) that
 * have it, into sums (nhist of room), and the samples of the newest of them into *prev.
 * Returns the number of baseline runs found. */
static size_t baseline_of(const struct bg_result *r, struct bg_run *const *hist, size_t nhist,
                          struct bg_gate_summary *sums, struct obs *prev) {
  size_t k = 0;
  memset(prev, 0, sizeof *prev);
  for (size_t j = 0; j < nhist; j++) {
    const struct bg_result *h = bg_run_find_result(hist[j], r->benchmark, r->measure);
    struct obs o;
    if (!h || observe(h, &o))
      continue;
    sums[k++] = o.sum;
    if (k == 1)
      *prev = o;
    else
      free(o.x);
  }
  return k;
}

/* Judges run cand against hist[0..nhist-1] (newest first) with every rule and counts the
 * outcome in *ph. */
static void judge(struct phase *ph, const struct bg_run *cand, struct bg_run *const *hist,
                  size_t nhist) {
  int any[PEER_NRULES] = {0}, caught[PEER_NRULES] = {0};
  struct bg_gate_summary *sums = bg_xmalloc((nhist ? nhist : 1) * sizeof *sums);
  size_t plen = ph->prefix ? strlen(ph->prefix) : 0;
  for (size_t i = 0; i < cand->nresults; i++) {
    const struct bg_result *r = &cand->results[i];
    struct obs c, prev;
    if (observe(r, &c))
      continue;
    size_t k = baseline_of(r, hist, nhist, sums, &prev);
    const struct peer_series s = {sums, k, &c.sum, c.x, c.n, prev.x, prev.n};
    int slowed = plen && strncmp(r->benchmark, ph->prefix, plen) == 0;
    for (int rule = 0; rule < PEER_NRULES && k; rule++) {
      if (!peer_flag(rule, &s))
        continue;
      any[rule] = 1;
      caught[rule] |= slowed;
      count_alarm(ph, r, rule);
    }
    free(c.x);
    free(prev.x);
  }
  free(sums);
  ph->judged++;
  for (int rule = 0; rule < PEER_NRULES; rule++) {
    ph->failed[rule] += (size_t)any[rule];
    ph->caught[rule] += (size_t)caught[rule];
  }
}

/* Newest first: the runs v[0..n-1] (oldest first) reversed, as pointers into v. */
static struct bg_run **newest_first(struct bg_run *const *v, size_t n) {
  struct bg_run **h = bg_xmalloc((n ? n : 1) * sizeof *h);
  for (size_t j = 0; j < n; j++)
    h[j] = v[n - 1 - j];
  return h;
}

/* The unchanged phase: run i (0-based, i >= skip) against runs 0..i-1. */
static void judge_unchanged(struct phase *ph, size_t skip) {
  const struct runs *u = &ph->runs;
  for (size_t i = skip; i < u->n; i++) {
    struct bg_run **h = newest_first(u->v, i);
    judge(ph, u->v[i], h, i);
    free(h);
  }
}

/* A pull-request phase: each of its runs against every unchanged run. */
static void judge_phase(struct phase *ph, const struct runs *u) {
  struct bg_run **h = newest_first(u->v, u->n);
  for (size_t i = 0; i < ph->runs.n; i++)
    judge(ph, ph->runs.v[i], h, u->n);
  free(h);
}

static void phase_free(struct phase *ph) {
  runs_free(&ph->runs);
  for (size_t i = 0; i < ph->nalarms; i++)
    free(ph->alarms[i].key);
  free(ph->alarms);
  ph->alarms = NULL;
  ph->nalarms = ph->alarms_cap = 0;
}

/* ---- report ----------------------------------------------------------------------------- */

/* Prints what the rules judged: the results of the newest unchanged run and their measures. */
static void print_scope(const struct runs *u, size_t skip) {
  const struct bg_run *last = u->v[u->n - 1];
  const char *seen[16];
  size_t nseen = 0, higher = 0;
  printf("peer rules on the same first runs benchgate judged: every result of a run (%zu in the "
         "newest unchanged run, measures",
         last->nresults);
  for (size_t i = 0; i < last->nresults; i++) {
    const struct bg_result *r = &last->results[i];
    size_t k = 0;
    higher += r->direction == BG_HIGHER;
    while (k < nseen && strcmp(seen[k], r->measure) != 0)
      k++;
    if (k == nseen && nseen < 16) {
      seen[nseen++] = r->measure;
      printf("%s %s", k ? "," : "", r->measure);
    }
  }
  printf("; %zu higher-is-better, judged on reciprocals), the results benchgate gates; a run "
         "fails when any of them alarms; no confirmation runs\n",
         higher);
  printf("lookbacks in runs, capped at the runs before the candidate:");
  for (int rule = 0; rule < PEER_NRULES; rule++)
    printf("%s %s %zu", rule ? "," : "", peer_name(rule), peer_lookback(rule));
  printf("\nunchanged: runs %zu..%zu of %zu (in order), each against the runs before it\n",
         skip + 1, u->n, u->n);
}

static void print_table(const struct phase *ph, size_t nph, const char *const *rows, size_t nrows) {
  printf("\n| rule | unchanged commits failed |");
  for (size_t p = 1; p < nph; p++)
    printf(" %s |", ph[p].label);
  printf(" runs per unchanged verdict |\n|---|---|");
  for (size_t p = 1; p < nph; p++)
    printf("---|");
  printf("---|\n");
  for (size_t i = 0; i < nrows; i++)
    printf("| %s |\n", rows[i]);
  for (int rule = 0; rule < PEER_NRULES; rule++) {
    printf("| %s | %zu / %zu |", peer_label(rule), ph[0].failed[rule], ph[0].judged);
    for (size_t p = 1; p < nph; p++) {
      if (ph[p].prefix && *ph[p].prefix)
        printf(" %zu / %zu (%zu failing) |", ph[p].caught[rule], ph[p].judged, ph[p].failed[rule]);
      else
        printf(" %zu / %zu |", ph[p].failed[rule], ph[p].judged);
    }
    printf(" 1.00 |\n");
  }
}

/* Per phase and rule, the results that alarmed and in how many runs. */
static void print_alarms(const struct phase *ph, size_t nph) {
  printf("\nresults each rule alarmed on (in how many runs):\n");
  for (size_t p = 0; p < nph; p++) {
    printf("  %s:%s\n", p ? ph[p].label : "unchanged commits", ph[p].nalarms ? "" : " none");
    for (int rule = 0; rule < PEER_NRULES; rule++) {
      const char *sep = "    ";
      for (size_t i = 0; i < ph[p].nalarms; i++) {
        size_t c = ph[p].alarms[i].count[rule];
        if (!c)
          continue;
        if (*sep == ' ')
          printf("    %s:", peer_name(rule));
        printf("%s%s %zu", *sep == ' ' ? " " : sep, ph[p].alarms[i].key, c);
        sep = ", ";
      }
      if (*sep != ' ')
        printf("\n");
    }
  }
}

/* ---- evaluation ------------------------------------------------------------------------- */

/* Loads every phase's runs and judges them; ph[0] is the unchanged phase. Returns 0, or -1
 * with a message on stderr. */
static int evaluate(struct phase *ph, size_t nph, size_t skip) {
  for (size_t p = 0; p < nph; p++)
    if (load_dir(ph[p].dir, &ph[p].runs))
      return -1;
  if (!ph[0].runs.n) {
    fprintf(stderr, "real_peers: %s: no runs\n", ph[0].dir);
    return -1;
  }
  judge_unchanged(&ph[0], skip);
  for (size_t p = 1; p < nph; p++)
    judge_phase(&ph[p], &ph[0].runs);
  return 0;
}

static void report(const struct phase *ph, size_t nph, size_t skip, const char *const *rows,
                   size_t nrows) {
  print_scope(&ph[0].runs, skip);
  for (size_t p = 1; p < nph; p++) {
    printf("%s: %zu runs, each against the %zu unchanged runs", ph[p].label, ph[p].judged,
           ph[0].runs.n);
    if (ph[p].prefix && *ph[p].prefix)
      printf("; caught: a result of a benchmark named %s* alarms", ph[p].prefix);
    else
      printf("; counted: any result alarms");
    printf("\n");
  }
  print_table(ph, nph, rows, nrows);
  print_alarms(ph, nph);
}

/* ---- smoke ------------------------------------------------------------------------------ */

/* The smoke suite: BM_A (wall_time, CV 0.5 %), BM_B (throughput, higher is better, CV 0.5 %),
 * BM_C (wall_time, CV 1 %), 10 repetitions each. */
static void smoke_run(struct sim_rng *rng, int serial, double slow_a, double slow_b,
                      struct bg_run *run) {
  char id[64], sha[48];
  snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", serial);
  snprintf(sha, sizeof sha, "%040x", (unsigned)serial);
  bg_run_set(&run->run_id, id);
  bg_run_set(&run->commit.sha, sha);
  bg_run_set(&run->commit.branch, "main");
  bg_run_set(&run->testbed, "smoke");
  static const char *const bench[3] = {"BM_A", "BM_B", "BM_C"};
  static const char *const measure[3] = {"wall_time", "throughput", "wall_time"};
  const double level[3] = {1000 * slow_a, 5e6 / slow_b, 300}, cv[3] = {0.005, 0.005, 0.01};
  for (int b = 0; b < 3; b++) {
    const char *unit = NULL;
    enum bg_direction dir = BG_LOWER;
    bg_measure_lookup(measure[b], &unit, &dir);
    struct bg_result *r = bg_run_add_result(run, bench[b], measure[b], unit, dir);
    for (int i = 0; i < 10; i++)
      bg_result_add_sample(r, level[b] * (1 + cv[b] * sim_gauss(rng)));
  }
}

/* Writes n smoke runs into dir/NAME/001.json...; returns 0 or -1. */
static int smoke_write(struct sim_rng *rng, const char *dir, const char *name, int n, int *serial,
                       double slow_a, double slow_b) {
  char sub[4096];
  snprintf(sub, sizeof sub, "%s/%s", dir, name);
  if (mkdir(sub, 0700) != 0)
    return -1;
  for (int i = 0; i < n; i++) {
    char path[4200];
    struct bg_run *run = bg_run_new();
    smoke_run(rng, ++*serial, slow_a, slow_b, run);
    char *text = bg_run_to_json(run, 0);
    snprintf(path, sizeof path, "%s/%03d.json", sub, i + 1);
    FILE *f = fopen(path, "w");
    int bad = !f || fputs(text, f) < 0;
    if (f && fclose(f) != 0)
      bad = 1;
    cJSON_free(text);
    bg_run_free(run);
    if (bad)
      return -1;
  }
  return 0;
}

/* Removes dir/NAME and its *.json files. */
static void smoke_remove(const char *dir, const char *name) {
  char sub[4096];
  size_t n = 0;
  snprintf(sub, sizeof sub, "%s/%s", dir, name);
  char **names = list_json(sub, &n);
  for (size_t i = 0; names && i < n; i++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", sub, names[i]);
    unlink(path);
    free(names[i]);
  }
  free(names);
  rmdir(sub);
}

static int check(int ok, const char *what) {
  printf("  [%s] %s\n", ok ? "ok" : "FAILED", what);
  return ok ? 0 : 1;
}

/* The counts the generated runs must give: see smoke_run and smoke(). */
static int smoke_checks(const struct phase *ph) {
  int bad = 0, all_big = 1;
  for (int rule = 0; rule < PEER_NRULES; rule++)
    if (rule != PEER_GAB && ph[2].caught[rule] != 4)
      all_big = 0;
  printf("\nsmoke checks:\n");
  bad |= check(ph[0].judged == 7 && ph[1].judged == 2 && ph[2].judged == 4 && ph[3].judged == 2,
               "7 unchanged runs judged after 5 of history, 2, 4 and 2 in the phases");
  bad |= check(ph[0].failed[PEER_GAB] + ph[0].failed[PEER_CODSPEED] + ph[1].failed[PEER_GAB] +
                       ph[1].failed[PEER_CODSPEED] ==
                   0,
               "no x2 or 10 % alarm on unchanged runs of 0.5-1 % noise");
  bad |= check(all_big, "BM_A 50 % slower: caught 4 of 4 by every rule but the x2 one");
  bad |= check(ph[2].caught[PEER_GAB] == 0 && ph[2].failed[PEER_GAB] == 0,
               "BM_A 50 % slower: the x2 rule alarms on nothing");
  bad |= check(ph[3].caught[PEER_GAB] == 2 && ph[3].caught[PEER_CODSPEED] == 2,
               "BM_B's throughput a third: caught by the x2 and 10 % rules (reciprocals)");
  return bad;
}

static int smoke(void) {
  char dir[] = "/tmp/real_peers.XXXXXX";
  struct sim_rng rng;
  int serial = 0, rc = 2;
  static const char *const sub[4] = {"unchanged", "ctl", "big", "huge"};
  if (!mkdtemp(dir)) {
    fprintf(stderr, "real_peers: mkdtemp: %s\n", strerror(errno));
    return 2;
  }
  sim_rng_seed(&rng, 20261206);
  char paths[4][4200];
  struct phase ph[4];
  memset(ph, 0, sizeof ph);
  const double slow_a[4] = {1, 1, 1.5, 1}, slow_b[4] = {1, 1, 1, 3};
  const int count[4] = {12, 2, 4, 2};
  static const char *const label[4] = {"", "control", "BM_A +50 % caught", "BM_B x3 caught"};
  static const char *const prefix[4] = {"", "", "BM_A", "BM_B"};
  for (int p = 0; p < 4; p++) {
    snprintf(paths[p], sizeof paths[p], "%s/%s", dir, sub[p]);
    ph[p] = (struct phase){.dir = paths[p], .label = label[p], .prefix = prefix[p]};
    if (smoke_write(&rng, dir, sub[p], count[p], &serial, slow_a[p], slow_b[p])) {
      fprintf(stderr, "real_peers: cannot write the smoke runs in %s\n", dir);
      goto out;
    }
  }
  if (evaluate(ph, 4, 5))
    goto out;
  report(ph, 4, 5, NULL, 0);
  rc = smoke_checks(ph);
out:
  for (int p = 0; p < 4; p++) {
    phase_free(&ph[p]);
    smoke_remove(dir, sub[p]);
  }
  rmdir(dir);
  return rc;
}

/* ---- main ------------------------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr, "usage: real_peers [--history N] [--row CELLS]... UNCHANGED_DIR "
                  "[--phase DIR LABEL PREFIX]...\n       real_peers --smoke\n");
}

int main(int argc, char **argv) {
  struct phase ph[1 + MAX_PHASES];
  const char *rows[MAX_ROWS];
  size_t nph = 1, nrows = 0, skip = 5;
  memset(ph, 0, sizeof ph);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--smoke") == 0 && argc == 2) {
      return smoke();
    } else if (strcmp(argv[i], "--history") == 0 && i + 1 < argc) {
      char *end;
      errno = 0;
      long v = strtol(argv[++i], &end, 10);
      if (errno || end == argv[i] || *end || v < 1) {
        fprintf(stderr, "real_peers: --history needs a positive integer\n");
        return 2;
      }
      skip = (size_t)v;
    } else if (strcmp(argv[i], "--row") == 0 && i + 1 < argc && nrows < MAX_ROWS) {
      rows[nrows++] = argv[++i];
    } else if (strcmp(argv[i], "--phase") == 0 && i + 3 < argc && nph < 1 + MAX_PHASES) {
      ph[nph++] = (struct phase){.dir = argv[i + 1], .label = argv[i + 2], .prefix = argv[i + 3]};
      i += 3;
    } else if (argv[i][0] != '-' && !ph[0].dir) {
      ph[0].dir = argv[i];
    } else {
      usage();
      return 2;
    }
  }
  if (!ph[0].dir) {
    usage();
    return 2;
  }
  int rc = evaluate(ph, nph, skip) ? 2 : 0;
  if (!rc)
    report(ph, nph, skip, rows, nrows);
  for (size_t p = 0; p < nph; p++)
    phase_free(&ph[p]);
  return rc;
}
