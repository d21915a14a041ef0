/* measure.c: building a checkout and running its suites into a run (measure.h). */
#include "measure.h"

#include "adapter.h"
#include "buf.h"
#include "cli.h"
#include "fingerprint.h"
#include "progress.h"
#include "runner.h"
#include "suite_filter.h"
#include "valid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUILD_TIMEOUT 7200.0 /* seconds */

/* Translates the runner's callbacks into suite-wide progress. */
struct progress {
  struct bg_progress *pg;
  const char *label; /* "repetition" or "harness run" */
  long warmup, reps;
  long inv;           /* format suites: harness runs done before this one (the runner sees 1) */
  int callgrind_seen; /* 1 once the callgrind runs were added to the units */
};

static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_progress(void *ctx, long rep, long total, int phase, long long elapsed) {
  struct progress *p = ctx;
  (void)elapsed; /* the runner's clock restarts with each harness run; use the suite's */
  if (phase == BG_RUNNER_PHASE_CALLGRIND) {
    if (!p->callgrind_seen++)
      bg_progress_add_units(p->pg, total);
    bg_progress_step(p->pg, "callgrind run", rep, total, p->warmup + p->reps + rep - 1, mono_ns());
  } else if (phase) {
    bg_progress_step(p->pg, "warm-up", rep, total, rep - 1, mono_ns());
  } else {
    rep += p->inv;
    bg_progress_step(p->pg, p->label, rep, p->reps, p->warmup + rep - 1, mono_ns());
  }
}

static void copy_result(struct bg_run *run, const struct bg_result *r, const char *name) {
  struct bg_result *d = bg_run_add_result(run, name, r->measure, r->unit, r->direction);
  if (r->has_summary) {
    bg_result_set_summary(d, r->n, r->mean, r->stddev);
    return;
  }
  for (size_t i = 0; i < r->nsamples; i++)
    bg_result_add_sample(d, r->samples[i]);
}

/* Adds the results of one harness invocation; results of this suite start at `first`. */
static int merge_results(struct bg_run *run, size_t first, const struct bg_run *part,
                         const struct bg_suite *s, char *err, size_t errlen) {
  struct bg_buf name;
  int rc = BG_OK;
  bg_buf_init(&name, 0);
  for (size_t i = 0; i < part->nresults; i++) {
    const struct bg_result *r = &part->results[i];
    bg_buf_reset(&name);
    bg_buf_printf(&name, "%s/%s", s->name, r->benchmark);
    struct bg_result *mine = NULL;
    for (size_t j = first; j < run->nresults && !mine; j++) {
      struct bg_result *x = &run->results[j];
      if (!strcmp(x->measure, r->measure) &&
          (!strcmp(x->benchmark, r->benchmark) || !strcmp(x->benchmark, name.data)))
        mine = x;
    }
    if (mine) {
      if (mine->has_summary || r->has_summary) {
        snprintf(err, errlen,
                 "suite %s: repetitions is %ld but the harness reports a summary "
                 "(n, mean, stddev) for %s %s, which cannot be pooled; set repetitions: 1",
                 s->name, s->repetitions, r->benchmark, r->measure);
        rc = BG_EINVAL;
        goto out;
      }
      for (size_t k = 0; k < r->nsamples; k++)
        bg_result_add_sample(mine, r->samples[k]);
      continue;
    }
    const char *use = r->benchmark;
    if (bg_run_find_result(run, r->benchmark, r->measure)) {
      char w[1024];
      use = name.data;
      snprintf(w, sizeof w,
               "suite %.100s: %.200s %.64s renamed to %.200s: an earlier suite "
               "reports the same name",
               s->name, r->benchmark, r->measure, use);
      bg_run_add_warning(run, w);
      if (!bg_valid_benchmark(use) || bg_run_find_result(run, use, r->measure)) {
        snprintf(err, errlen,
                 "suite %s: benchmark %s %s is reported twice and %s is taken "
                 "or too long",
                 s->name, r->benchmark, r->measure, use);
        rc = BG_EINVAL;
        goto out;
      }
    }
    copy_result(run, r, use);
  }
out:
  bg_buf_free(&name);
  return rc;
}

static int run_format_suite(const struct bg_suite *s, struct bg_runner_opts *ro, struct bg_run *run,
                            char *err, size_t errlen) {
  struct bg_runner_result res;
  struct bg_buf file;
  char path[4096];
  int rc = BG_OK;
  size_t first = run->nresults;
  bg_runner_result_init(&res);
  bg_buf_init(&file, BG_RUNNER_STDOUT_MAX);
  if (s->output) {
    if (ro->cwd && s->output[0] != '/')
      snprintf(path, sizeof path, "%s/%s", ro->cwd, s->output);
    else
      snprintf(path, sizeof path, "%s", s->output);
  }
  for (long inv = 0; inv < s->repetitions; inv++) {
    ro->repetitions = 1;
    ro->warmup = inv == 0 ? s->warmup : 0;
    ((struct progress *)ro->progress_ctx)->inv = inv;
    if (s->output && unlink(path) < 0 && errno != ENOENT) {
      snprintf(err, errlen, "suite %s: cannot remove the old %s: %s", s->name, path,
               strerror(errno));
      rc = BG_EIO;
      goto out;
    }
    char rerr[BG_RUNNER_TAIL + 512];
    rc = bg_runner_run(ro, &res, rerr, sizeof rerr);
    if (rc != BG_OK) {
      snprintf(err, errlen, "suite %s: %s", s->name, rerr);
      goto out;
    }
    if (res.warning[0])
      bg_run_add_warning(run, res.warning);
    const char *text = res.out.data ? res.out.data : "";
    size_t len = res.out.len;
    if (s->output) {
      bg_buf_reset(&file);
      if ((rc = bg_buf_read_file(&file, path)) != BG_OK) {
        snprintf(err, errlen, "suite %s: cannot read its output file %s: %s", s->name, path,
                 rc == BG_ETOOBIG ? "too large" : strerror(errno));
        goto out;
      }
      text = file.data;
      len = file.len;
    }
    struct bg_run *part = bg_run_new();
    struct bg_ferr fe;
    rc = bg_adapter_parse(strcmp(s->format, "auto") ? s->format : NULL, text, len, part, &fe);
    if (rc != BG_OK)
      snprintf(err, errlen, "suite %s: %s: %s%s%s", s->name, s->output ? path : "stdout", fe.field,
               *fe.field ? ": " : "", fe.message);
    else
      rc = merge_results(run, first, part, s, err, errlen);
    if (rc == BG_OK)
      bg_fingerprint_adopt(run, part, s->name); /* e.g. Go's gomaxprocs */
    bg_run_free(part);
    if (rc != BG_OK)
      goto out;
  }
out:
  bg_runner_result_free(&res);
  bg_buf_free(&file);
  return rc;
}

static int run_command_suite(const struct bg_suite *s, struct bg_runner_opts *ro,
                             struct bg_run *run, char *err, size_t errlen) {
  struct bg_runner_result res;
  char rerr[BG_RUNNER_TAIL + 512];
  bg_runner_result_init(&res);
  ro->repetitions = s->repetitions;
  ro->warmup = s->warmup;
  for (size_t m = 0; m < s->nmeasures; m++)
    if (!strcmp(s->measures[m], "instructions"))
      ro->count_instructions = 1;
  int rc = bg_runner_run(ro, &res, rerr, sizeof rerr);
  if (rc != BG_OK) {
    snprintf(err, errlen, "suite %s: %s", s->name, rerr);
    goto out;
  }
  if (res.warning[0])
    bg_run_add_warning(run, res.warning);
  if (res.instructions_by && !strcmp(res.instructions_by, "callgrind")) {
    char w[256];
    snprintf(w, sizeof w,
             "suite %.100s: instructions counted with callgrind (no PMU here); callgrind and "
             "perf counts are not comparable",
             s->name);
    bg_run_add_warning(run, w);
  }
  for (size_t m = 0; m < s->nmeasures; m++) {
    const char *unit = "count";
    enum bg_direction dir = BG_LOWER;
    bg_measure_lookup(s->measures[m], &unit, &dir);
    if (bg_run_find_result(run, s->name, s->measures[m])) {
      snprintf(err, errlen, "suite %s: an earlier suite already reports %s %s", s->name, s->name,
               s->measures[m]);
      rc = BG_EINVAL;
      goto out;
    }
    struct bg_result *r = bg_run_add_result(run, s->name, s->measures[m], unit, dir);
    for (size_t i = 0; i < res.nsamples; i++) {
      const struct bg_sample *x = &res.samples[i];
      double v = !strcmp(s->measures[m], "wall_time")  ? (double)x->wall_ns
                 : !strcmp(s->measures[m], "cpu_time") ? (double)x->cpu_ns
                 : !strcmp(s->measures[m], "max_rss")  ? (double)x->max_rss
                                                       : (double)x->instructions;
      bg_result_add_sample(r, v);
    }
  }
out:
  bg_runner_result_free(&res);
  return rc;
}

/* Where a suite runs: its cwd inside the checkout `dir` (either may be NULL: the current
 * directory), written into buf when both are given. */
static const char *suite_dir(const char *dir, const char *cwd, char *buf, size_t len) {
  if (!dir || (cwd && cwd[0] == '/'))
    return cwd;
  if (!cwd)
    return dir;
  snprintf(buf, len, "%s/%s", dir, cwd);
  return buf;
}

static int measure_suite(const struct bg_suite *s, const struct bg_measure_opts *o,
                         struct bg_progress *pg, struct bg_run *run, char *err, size_t errlen) {
  struct progress pc = {pg, s->format ? "harness run" : "repetition", s->warmup, s->repetitions, 0,
                        0};
  struct bg_runner_opts ro;
  memset(&ro, 0, sizeof ro);
  char dir[4096];
  char *narrowed = bg_suite_filter_command(s, o->benchmarks, o->nbenchmarks);
  ro.command = narrowed ? narrowed : s->command;
  if (narrowed)
    bg_cli_error("suite %s: the doubtful benchmarks alone: %s", s->name, narrowed);
  ro.cwd = suite_dir(o->dir, s->cwd, dir, sizeof dir);
  ro.cpus = o->cpus;
  ro.ncpus = o->ncpus;
  ro.clean_env = o->clean_env;
  ro.cancel = o->cancel;
  ro.timeout = (double)s->timeout;
  ro.progress = on_progress;
  ro.progress_ctx = &pc;
  char what[128];
  snprintf(what, sizeof what, "%ld %s%s (+%ld warm-up)", s->repetitions, pc.label,
           s->repetitions == 1 ? "" : "s", s->warmup);
  bg_progress_suite_begin(pg, s->name, s->warmup + s->repetitions, what, mono_ns());
  int rc;
  if (s->format) {
    ro.output = s->output ? (o->verbose ? BG_OUT_PASS : BG_OUT_DISCARD) : BG_OUT_CAPTURE;
    rc = run_format_suite(s, &ro, run, err, errlen);
  } else {
    ro.output = o->verbose ? BG_OUT_PASS : BG_OUT_DISCARD;
    rc = run_command_suite(s, &ro, run, err, errlen);
  }
  bg_progress_suite_end(pg, rc == BG_OK, mono_ns());
  free(narrowed);
  return rc;
}

/* 1 when the kernel randomises address spaces (kernel.randomize_va_space is not 0). */
static int system_aslr_on(void) {
  char v[8] = "";
  FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
  if (f) {
    if (!fgets(v, sizeof v, f))
      v[0] = '\0';
    fclose(f);
  }
  return v[0] != '0';
}

/* Keeps the first ASLR warning of the run and drops the repeats of suites after w0; says the
 * others on stderr. */
static void suite_warnings(struct bg_run *run, size_t w0, int *aslr_warned) {
  for (size_t w = w0; w < run->nwarnings; w++) {
    if (!strncmp(run->warnings[w], "ASLR", 4)) {
      if ((*aslr_warned)++) { /* one ASLR warning per run is enough */
        free(run->warnings[w]);
        memmove(&run->warnings[w], &run->warnings[w + 1],
                (run->nwarnings - w - 1) * sizeof *run->warnings);
        run->nwarnings--;
        w--;
        continue;
      }
      if (system_aslr_on())
        cJSON_ReplaceItemInObjectCaseSensitive(run->fingerprint, "aslr", cJSON_CreateBool(1));
    }
    bg_cli_warn("%s", run->warnings[w]);
  }
}

static int build(const struct bg_config *cf, const struct bg_measure_opts *o, char *err,
                 size_t errlen) {
  struct bg_runner_opts ro;
  struct bg_runner_result res;
  char msg[BG_RUNNER_TAIL + 512];
  memset(&ro, 0, sizeof ro);
  ro.command = cf->build;
  ro.cwd = o->dir;
  ro.keep_aslr = 1;
  ro.repetitions = 1;
  ro.timeout = BUILD_TIMEOUT;
  ro.output = BG_OUT_PASS;
  ro.cancel = o->cancel;
  bg_cli_error("building: %s", cf->build);
  bg_runner_result_init(&res);
  int rc = bg_runner_run(&ro, &res, msg, sizeof msg);
  bg_runner_result_free(&res);
  if (rc != BG_OK)
    snprintf(err, errlen, "build failed: %s", msg);
  return rc;
}

int bg_measure_run(const struct bg_config *cf, const struct bg_measure_opts *o, struct bg_run *run,
                   char *err, size_t errlen) {
  char ts[32], first[BG_MEASURE_ERR_MAX] = "";
  int failed = 0, aslr_warned = 0, rc = BG_OK;
  if (cf->thresholds && !run->thresholds)
    run->thresholds = cJSON_Duplicate(cf->thresholds, 1);
  bg_cli_now_rfc3339(ts, sizeof ts);
  bg_run_set(&run->started_at, ts);
  /* Before the build, so that the build's own load does not count. */
  cJSON *fp = bg_fingerprint_collect(NULL, o->cpus, o->ncpus, 1);
  bg_fingerprint_warn(fp, run);
  cJSON_Delete(run->fingerprint);
  run->fingerprint = fp;

  struct bg_progress pg;
  long units = 0;
  for (size_t i = 0; i < cf->nsuites; i++)
    if (!o->only || o->only[i])
      units += cf->suites[i].warmup + cf->suites[i].repetitions;
  bg_progress_init(&pg, stderr, o->interactive, units);
  if (cf->build && !o->no_build && (rc = build(cf, o, err, errlen)) != BG_OK)
    return rc;
  for (size_t i = 0; i < cf->nsuites && !(o->cancel && *o->cancel); i++) {
    size_t nw = run->nwarnings;
    char msg[BG_MEASURE_ERR_MAX];
    int src = o->only && !o->only[i] ? BG_OK
                                     : measure_suite(&cf->suites[i], o, &pg, run, msg, sizeof msg);
    if (o->suite_end)
      o->suite_end[i] = run->nresults;
    if (src != BG_OK) {
      bg_cli_error("%s", msg);
      if (!failed++) {
        snprintf(first, sizeof first, "%s", msg);
        rc = src;
      }
      continue;
    }
    suite_warnings(run, nw, &aslr_warned);
  }
  if (o->cancel && *o->cancel) {
    snprintf(err, errlen, "stopped on request");
    return BG_ECANCELED;
  }
  if (failed) {
    if (failed == 1)
      snprintf(err, errlen, "%s", first);
    else
      snprintf(err, errlen, "%d of %zu suites failed; the first: %s", failed, cf->nsuites, first);
    return rc;
  }
  bg_cli_now_rfc3339(ts, sizeof ts);
  bg_run_set(&run->finished_at, ts);
  struct bg_ferr fe;
  if (bg_run_validate(run, &fe) != BG_OK) {
    snprintf(err, errlen, "the run is not valid: %s: %s", fe.field, fe.message);
    return BG_EINVAL;
  }
  return BG_OK;
}
