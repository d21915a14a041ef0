/* test_measure_ab.c: the interleaved A/B measurement: the heads pooled (samples concatenated,
 * summaries by their moments, against values worked out by hand below), the ABBA order of
 * base and head, one build per side, the rounds and the run's own fields, and a stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "measure_ab.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHA "0123456789abcdef0123456789abcdef01234567"
#define BASE "89abcdef0123456789abcdef0123456789abcdef"

static void concatenates_samples(void **state) {
  (void)state;
  struct bg_run *into = bg_run_new(), *from = bg_run_new();
  struct bg_result *a = bg_run_add_result(into, "a", "wall_time", "ns", BG_LOWER);
  bg_result_add_sample(a, 1);
  bg_result_add_sample(a, 2);
  struct bg_result *b = bg_run_add_result(from, "a", "wall_time", "ns", BG_LOWER);
  bg_result_add_sample(b, 3);
  bg_run_add_result(from, "new", "wall_time", "ns", BG_LOWER);
  bg_result_add_sample(&from->results[1], 7);
  bg_measure_ab_pool(into, from);
  assert_int_equal(into->nresults, 2);
  assert_int_equal(into->results[0].nsamples, 3);
  assert_true(into->results[0].samples[2] == 3);
  assert_string_equal(into->results[1].benchmark, "new");
  assert_int_equal(into->results[1].nsamples, 1);
  assert_true(into->results[1].samples[0] == 7);
  bg_run_free(into);
  bg_run_free(from);
}

/* Samples {1, 2, 3, 4} and a summary n 3, mean 10, stddev 1 (as {9, 10, 11}): together
 * {1, 2, 3, 4, 9, 10, 11}, n 7, mean 40/7, sum of squares 332 - 1600/7 = 103.43, stddev
 * sqrt(103.43 / 6) = 4.15188. */
static void pools_a_summary_by_its_moments(void **state) {
  (void)state;
  struct bg_run *into = bg_run_new(), *from = bg_run_new();
  struct bg_result *a = bg_run_add_result(into, "a", "wall_time", "ns", BG_LOWER);
  for (int i = 1; i <= 4; i++)
    bg_result_add_sample(a, i);
  struct bg_result *b = bg_run_add_result(from, "a", "wall_time", "ns", BG_LOWER);
  bg_result_set_summary(b, 3, 10, 1);
  bg_measure_ab_pool(into, from);
  const struct bg_result *r = &into->results[0];
  assert_true(r->has_summary);
  assert_int_equal(r->n, 7);
  assert_true(r->mean > 40.0 / 7 - 1e-12 && r->mean < 40.0 / 7 + 1e-12);
  assert_true(r->stddev > 4.15187 && r->stddev < 4.15189);
  bg_run_free(into);
  bg_run_free(from);
}

/* A checkout dir with a benchgate.yml whose build and suite append NAME to LOG. */
static struct bg_config *side_config(const char *dir, const char *name, const char *log,
                                     const char *extra) {
  char yml[2048], err[512];
  struct bg_config *cf = NULL;
  snprintf(yml, sizeof yml,
           "project: p\n"
           "build: echo build-%s >> %s\n"
           "suites:\n"
           "  - name: s\n"
           "    command: sh -c 'echo %s $PWD >> %s'\n"
           "    repetitions: 2\n"
           "    warmup: 0\n"
           "    measures: [wall_time]\n%s",
           name, log, name, log, extra);
  mkdir(dir, 0700);
  assert_int_equal(bg_config_parse(yml, strlen(yml), "benchgate.yml", &cf, err, sizeof err), BG_OK);
  return cf;
}

static struct bg_run *identity(void) {
  struct bg_run *run = bg_run_new();
  bg_run_set(&run->run_id, "0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b11");
  bg_run_set(&run->commit.sha, SHA);
  bg_run_set(&run->commit.branch, "feature");
  bg_run_set(&run->testbed, "tb");
  bg_run_set(&run->agent_name, "test");
  bg_run_set(&run->agent_version, "0");
  bg_run_set(&run->baseline_sha, BASE);
  return run;
}

/* The log's lines with the directory of each suite line dropped. */
static void read_log(const char *path, char *out, size_t len) {
  FILE *f = fopen(path, "r");
  char line[4096];
  out[0] = '\0';
  assert_non_null(f);
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, " \n")] = '\0';
    snprintf(out + strlen(out), len - strlen(out), "%.64s,", line);
  }
  fclose(f);
}

static void runs_abba_and_builds_each_side_once(void **state) {
  (void)state;
  char root[] = "/tmp/bg_measure_ab_XXXXXX", bdir[256], hdir[256], log[256], got[2048],
       err[BG_MEASURE_ERR_MAX];
  assert_non_null(mkdtemp(root));
  snprintf(bdir, sizeof bdir, "%s/base", root);
  snprintf(hdir, sizeof hdir, "%s/head", root);
  snprintf(log, sizeof log, "%s/log", root);
  struct bg_config *bcf = side_config(bdir, "base", log, "");
  struct bg_config *hcf =
      side_config(hdir, "head", log, "thresholds:\n  default: {min_effect: 0.1}\n");
  size_t suite_end[1] = {0};
  struct bg_measure_ab ab = {.base = {bdir, bcf},
                             .head = {hdir, hcf},
                             .base_sha = BASE,
                             .rounds = 3,
                             .suite_end = suite_end};
  struct bg_run *run = identity();
  assert_int_equal(bg_measure_ab_run(&ab, run, err, sizeof err), BG_OK);
  read_log(log, got, sizeof got);
  /* Round 1 base, head; round 2 head, base; round 3 base, head; two repetitions each. */
  assert_string_equal(got, "build-base,base,base,build-head,head,head,head,head,base,base,"
                           "base,base,head,head,");
  assert_non_null(run->interleaved);
  assert_string_equal(run->interleaved->base_sha, BASE);
  assert_int_equal(run->interleaved->nrounds, 3);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(run->interleaved->rounds[i].base->nresults, 1);
    assert_int_equal(run->interleaved->rounds[i].head->results[0].nsamples, 2);
  }
  assert_int_equal(run->nresults, 1);
  assert_int_equal(run->results[0].nsamples, 6); /* 3 rounds of 2 */
  assert_int_equal(suite_end[0], 1);
  assert_non_null(run->fingerprint);
  assert_non_null(run->thresholds); /* the head's */
  assert_true(strcmp(run->started_at, run->finished_at) <= 0);
  bg_run_free(run);

  /* Stopped before it starts: canceled, nothing measured. */
  volatile sig_atomic_t stop = 1;
  ab.opts.cancel = &stop;
  run = identity();
  assert_int_equal(bg_measure_ab_run(&ab, run, err, sizeof err), BG_ECANCELED);
  assert_non_null(strstr(err, "round 1/3, base"));
  bg_run_free(run);
  bg_config_free(bcf);
  bg_config_free(hcf);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(concatenates_samples),
      cmocka_unit_test(pools_a_summary_by_its_moments),
      cmocka_unit_test(runs_abba_and_builds_each_side_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
