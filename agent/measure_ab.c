/* measure_ab.c: the interleaved A/B measurement (measure_ab.h). */
#include "measure_ab.h"

#include "buf.h"
#include "cli.h"
#include "git.h"
#include "mem.h"
#include "workspace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* n, mean and the sum of squared deviations of a result, samples or summary. */
struct moments {
  double n, mean, ss;
};

static struct moments moments_of(const struct bg_result *r) {
  struct moments m = {0, 0, 0};
  if (r->has_summary) {
    m.n = (double)r->n;
    m.mean = r->mean;
    m.ss = m.n > 1 ? r->stddev * r->stddev * (m.n - 1) : 0;
    return m;
  }
  /* Welford: the samples of a result can be far from zero and close to each other. */
  for (size_t i = 0; i < r->nsamples; i++) {
    double d = r->samples[i] - m.mean;
    m.n += 1;
    m.mean += d / m.n;
    m.ss += d * (r->samples[i] - m.mean);
  }
  return m;
}

/* Two groups as one (Chan et al.): the squared deviations within each plus those of the
 * groups' means from the common one. */
static struct moments moments_join(struct moments a, struct moments b) {
  struct moments m = {a.n + b.n, 0, 0};
  if (m.n <= 0)
    return m;
  double d = b.mean - a.mean;
  m.mean = a.mean + d * b.n / m.n;
  m.ss = a.ss + b.ss + d * d * a.n * b.n / m.n;
  return m;
}

static void pool_one(struct bg_result *into, const struct bg_result *from) {
  if (!into->has_summary && !from->has_summary &&
      into->nsamples + from->nsamples <= BG_RUN_MAX_SAMPLES) {
    for (size_t i = 0; i < from->nsamples; i++)
      bg_result_add_sample(into, from->samples[i]);
    return;
  }
  struct moments m = moments_join(moments_of(into), moments_of(from));
  bg_result_set_summary(into, (long long)m.n, m.mean, m.n > 1 ? sqrt(m.ss / (m.n - 1)) : 0);
}

void bg_measure_ab_pool(struct bg_run *into, const struct bg_run *from) {
  for (size_t j = 0; j < from->nresults; j++) {
    const struct bg_result *r = &from->results[j];
    /* Every round writes its results in one order: look where this one was first. */
    struct bg_result *t = j < into->nresults && !strcmp(into->results[j].benchmark, r->benchmark) &&
                                  !strcmp(into->results[j].measure, r->measure)
                              ? &into->results[j]
                              : bg_run_find_result(into, r->benchmark, r->measure);
    if (t) {
      pool_one(t, r);
      continue;
    }
    t = bg_run_add_result(into, r->benchmark, r->measure, r->unit, r->direction);
    if (r->has_summary)
      bg_result_set_summary(t, r->n, r->mean, r->stddev);
    for (size_t i = 0; i < r->nsamples; i++)
      bg_result_add_sample(t, r->samples[i]);
  }
}

/* A run with run's identity, for one measurement: bg_measure_run validates what it fills. */
static struct bg_run *scratch(const struct bg_run *run) {
  struct bg_run *t = bg_run_new();
  bg_run_set(&t->run_id, run->run_id);
  bg_run_set(&t->commit.sha, run->commit.sha);
  bg_run_set(&t->commit.branch, run->commit.branch);
  bg_run_set(&t->testbed, run->testbed);
  bg_run_set(&t->agent_name, run->agent_name);
  bg_run_set(&t->agent_version, run->agent_version);
  return t;
}

/* Moves t's results into side (a round's run, empty). */
static void take_results(struct bg_run *side, struct bg_run *t) {
  side->results = t->results;
  side->nresults = t->nresults;
  side->results_cap = t->results_cap;
  t->results = NULL;
  t->nresults = t->results_cap = 0;
}

static int has_warning(const struct bg_run *run, const char *w) {
  for (size_t i = 0; i < run->nwarnings; i++)
    if (!strcmp(run->warnings[i], w))
      return 1;
  return 0;
}

/* What a head measurement t gives the run besides results: the first one's fingerprint and
 * thresholds, and every warning once. */
static void take_head(struct bg_run *run, struct bg_run *t) {
  if (!run->fingerprint) {
    run->fingerprint = t->fingerprint;
    t->fingerprint = NULL;
  }
  if (!run->thresholds) {
    run->thresholds = t->thresholds;
    t->thresholds = NULL;
  }
  for (size_t i = 0; i < t->nwarnings; i++)
    if (!has_warning(run, t->warnings[i]))
      bg_run_add_warning(run, t->warnings[i]);
}

/* One side of round i (0-based) into the round's run. `built` says whether the side was
 * built in an earlier round. */
static int measure_side(const struct bg_measure_ab *p, const unsigned char *base_only, int head,
                        size_t i, int *built, struct bg_run *run, struct bg_run *side, char *err,
                        size_t errlen) {
  const struct bg_measure_ab_side *s = head ? &p->head : &p->base;
  struct bg_measure_opts mo = p->opts;
  char msg[BG_MEASURE_ERR_MAX];
  mo.dir = s->dir;
  mo.only = head ? p->only : base_only;
  mo.no_build = *built;
  mo.suite_end = head && i == 0 ? p->suite_end : NULL;
  bg_cli_error("round %zu/%zu: %s", i + 1, p->rounds, head ? "head" : "base");
  struct bg_run *t = scratch(run);
  int rc = bg_measure_run(s->cf, &mo, t, msg, sizeof msg);
  if (rc != BG_OK) {
    snprintf(err, errlen, "round %zu/%zu, %s (%.12s): %s", i + 1, p->rounds, head ? "head" : "base",
             head ? run->commit.sha : p->base_sha, msg);
    bg_run_free(t);
    return rc;
  }
  *built = 1;
  if (!run->started_at)
    bg_run_set(&run->started_at, t->started_at);
  bg_run_set(&run->finished_at, t->finished_at);
  if (head) {
    take_head(run, t);
    bg_measure_ab_pool(run, t);
  }
  take_results(side, t);
  bg_run_free(t);
  return BG_OK;
}

/* The base's suites a confirmation re-runs: those named like a head suite p->only keeps
 * (NULL: all). The caller frees it. */
static unsigned char *base_suites(const struct bg_measure_ab *p) {
  if (!p->only)
    return NULL;
  const struct bg_config *b = p->base.cf, *h = p->head.cf;
  unsigned char *only = bg_xcalloc(b->nsuites ? b->nsuites : 1, 1);
  for (size_t i = 0; i < b->nsuites; i++)
    for (size_t k = 0; k < h->nsuites && !only[i]; k++)
      only[i] = p->only[k] && !strcmp(b->suites[i].name, h->suites[k].name);
  return only;
}

int bg_measure_ab_run(const struct bg_measure_ab *p, struct bg_run *run, char *err, size_t errlen) {
  int built[2] = {0, p->head_built}; /* base, head */
  unsigned char *base_only = base_suites(p);
  struct bg_interleaved *iv = bg_run_interleave(run, p->base_sha);
  bg_cli_error("interleaved A/B: %zu rounds of base %.12s and head %.12s", p->rounds, p->base_sha,
               run->commit.sha);
  for (size_t i = 0; i < p->rounds; i++) {
    struct bg_round *r = bg_interleaved_add_round(iv);
    /* ABBA: the side that goes first alternates from round to round. */
    int first = (int)(i % 2);
    for (int k = 0; k < 2; k++) {
      int head = k ? !first : first;
      int rc = measure_side(p, base_only, head, i, &built[head], run, head ? r->head : r->base,
                            err, errlen);
      if (rc != BG_OK) {
        free(base_only);
        return rc;
      }
    }
  }
  free(base_only);
  struct bg_ferr fe;
  if (bg_run_validate(run, &fe) != BG_OK) {
    snprintf(err, errlen, "the interleaved run is not valid: %s: %s", fe.field, fe.message);
    return BG_EINVAL;
  }
  return BG_OK;
}

static int git(const char *dir, char *err, size_t errlen, const char *const *argv) {
  struct bg_buf out;
  int rc = bg_git_exec(dir, argv, &out, err, errlen);
  bg_buf_free(&out);
  return rc;
}

int bg_measure_ab_worktree_add(const char *repo, const char *sha, const char *dir, char *err,
                               size_t errlen) {
  char mods[BG_WORKSPACE_PATH_MAX + 16];
  struct stat st;
  int rc = git(
      repo, err, errlen,
      (const char *const[]){"worktree", "add", "--detach", "--force", "--quiet", dir, sha, NULL});
  snprintf(mods, sizeof mods, "%s/.gitmodules", dir);
  if (rc == BG_OK && stat(mods, &st) == 0)
    rc =
        git(dir, err, errlen,
            (const char *const[]){"submodule", "update", "--init", "--recursive", "--quiet", NULL});
  return rc;
}

void bg_measure_ab_worktree_remove(const char *repo, const char *dir) {
  char err[256];
  bg_workspace_remove_tree(dir);
  git(repo, err, sizeof err, (const char *const[]){"worktree", "prune", NULL});
}
