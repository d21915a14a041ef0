/* test_adapters.c: the harness adapters on real fixtures, detection, and bad input.
 *
 * The fixtures under tests/fixtures/ were written by the real tools (tests/fixtures/regen.sh)
 * or by hand from each format's documentation (tests/fixtures/README.md). The expected values
 * below are copied from those files (converted to ns where the tool writes another unit);
 * after a regen.sh run they must be updated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "adapter.h"
#include "buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURES BG_SOURCE_DIR "/tests/fixtures/"

/* Reads a fixture into a NUL-terminated string the caller frees. */
static char *slurp(const char *rel, size_t *len) {
  char path[512];
  struct bg_buf b;
  snprintf(path, sizeof path, FIXTURES "%s", rel);
  bg_buf_init(&b, 0);
  assert_int_equal(bg_buf_read_file(&b, path), BG_OK);
  *len = b.len;
  return bg_buf_steal(&b);
}

/* Parses a fixture with `format` (NULL: detect) into a new run; asserts success. */
static struct bg_run *parse_fixture(const char *format, const char *rel) {
  size_t len;
  char *text = slurp(rel, &len);
  struct bg_run *run = bg_run_new();
  struct bg_ferr e;
  int rc = bg_adapter_parse(format, text, len, run, &e);
  if (rc)
    print_error("%s: %s: %s\n", rel, e.field, e.message);
  assert_int_equal(rc, BG_OK);
  free(text);
  return run;
}

static const struct bg_result *get(const struct bg_run *run, const char *bench,
                                   const char *measure) {
  const struct bg_result *r = bg_run_find_result(run, bench, measure);
  if (!r)
    print_error("missing result (%s, %s)\n", bench, measure);
  assert_non_null(r);
  return r;
}

static void near(double got, double want) {
  if (fabs(got - want) > 1e-9 * fabs(want) + 1e-12) {
    print_error("got %.17g, want %.17g\n", got, want);
    fail();
  }
}

/* A result of samples with the given unit, direction and count; returns it. */
static const struct bg_result *samples(const struct bg_run *run, const char *bench,
                                       const char *measure, const char *unit, enum bg_direction dir,
                                       size_t n) {
  const struct bg_result *r = get(run, bench, measure);
  assert_string_equal(r->unit, unit);
  assert_int_equal(r->direction, dir);
  assert_false(r->has_summary);
  assert_int_equal(r->nsamples, n);
  return r;
}

static const struct bg_result *summary(const struct bg_run *run, const char *bench,
                                       const char *measure, long long n, double mean, double sd) {
  const struct bg_result *r = get(run, bench, measure);
  assert_true(r->has_summary);
  assert_int_equal(r->n, n);
  near(r->mean, mean);
  near(r->stddev, sd);
  return r;
}

/* ---- real fixtures ---- */

static void gbench_repetitions_become_samples_in_ns(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture("gbench", "gbench/repetitions.json");
  assert_int_equal(run->nresults, 10); /* aggregates skipped: they have repetitions */
  const struct bg_result *r = samples(run, "BM_StringCopy/64", "wall_time", "ns", BG_LOWER, 3);
  near(r->samples[0], 1.0670083318244275e+01);
  r = samples(run, "BM_VectorPush", "wall_time", "ns", BG_LOWER, 3);
  near(r->samples[0], 1.8683415446037460e-01 * 1e3); /* time_unit us */
  near(r->samples[1], 1.8730944801963856e-01 * 1e3);
  r = samples(run, "BM_VectorPush", "cpu_time", "ns", BG_LOWER, 3);
  near(r->samples[0], 1.8641891981138298e-01 * 1e3);
  r = samples(run, "BM_VectorPush", "items_per_second", "items/s", BG_HIGHER, 3);
  near(r->samples[0], 1.3732511713887117e+09);
  samples(run, "BM_StringCopy/4096", "bytes_per_second", "bytes/s", BG_HIGHER, 3);
  samples(run, "BM_VectorPush", "pushes", "value", BG_LOWER, 3); /* a user counter */
  assert_null(bg_run_find_result(run, "BM_StringCopy/64_mean", "wall_time"));
  bg_run_free(run);
}

static void gbench_single_run_gives_one_sample(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture(NULL, "gbench/single.json");
  assert_int_equal(run->nresults, 10);
  samples(run, "BM_StringCopy/4096", "wall_time", "ns", BG_LOWER, 1);
  bg_run_free(run);
}

static void gbench_aggregates_only_become_summaries(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture("gbench", "gbench/aggregates.json");
  assert_int_equal(run->nresults, 10);
  summary(run, "BM_StringCopy/64", "wall_time", 3, 1.0791116215074490e+01, 3.2041163552601720e-01);
  const struct bg_result *r = get(run, "BM_VectorPush", "wall_time");
  assert_true(r->has_summary);
  assert_int_equal(r->n, 3);
  bg_run_free(run);
}

static void hyperfine_times_become_ns_samples(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture("hyperfine", "hyperfine/hyperfine.json");
  assert_int_equal(run->nresults, 2);
  const struct bg_result *r = samples(run, "sleep 0.01", "wall_time", "ns", BG_LOWER, 5);
  near(r->samples[0], 0.010911334 * 1e9);
  near(r->samples[2], 0.010956091000000001 * 1e9);
  samples(run, "ls /", "wall_time", "ns", BG_LOWER, 5);
  assert_int_equal(run->nwarnings, 0);
  bg_run_free(run);
}

static void hyperfine_reads_memory_and_warns_on_failed_runs(void **state) {
  (void)state;
  const char *text = "{\"results\":[{\"command\":\"x\",\"mean\":0.5,\"stddev\":0.1,"
                     "\"times\":[0.4,0.6],\"memory_usage_byte\":[1000,2000],"
                     "\"exit_codes\":[0,1]}]}";
  struct bg_run *run = bg_run_new();
  assert_int_equal(bg_adapter_parse(NULL, text, strlen(text), run, NULL), BG_OK);
  const struct bg_result *r = samples(run, "x", "max_rss", "bytes", BG_LOWER, 2);
  near(r->samples[1], 2000);
  assert_int_equal(run->nwarnings, 1);
  assert_non_null(strstr(run->warnings[0], "failed in 1 of 2 runs"));
  bg_run_free(run);
}

static void go_text_count_lines_are_samples(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture("go", "go/bench.txt");
  assert_int_equal(run->nresults, 13);
  const struct bg_result *r = samples(run, "BenchmarkFib15", "wall_time", "ns", BG_LOWER, 3);
  near(r->samples[0], 2828);
  near(r->samples[1], 2637);
  r = samples(run, "BenchmarkJoin", "bytes_per_second", "bytes/s", BG_HIGHER, 3);
  near(r->samples[0], 427.80e6);
  r = samples(run, "BenchmarkJoin", "bytes_per_op", "bytes", BG_LOWER, 3);
  near(r->samples[0], 24);
  samples(run, "BenchmarkJoin", "allocs_per_op", "count", BG_LOWER, 3);
  r = samples(run, "BenchmarkSizes/n=8", "wall_time", "ns", BG_LOWER, 3);
  near(r->samples[1], 6.59);
  bg_run_free(run);
}

static void go_json_events_are_joined_per_package(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture(NULL, "go/bench.json");
  assert_int_equal(run->nresults, 13);
  const struct bg_result *r = samples(run, "BenchmarkFib15", "wall_time", "ns", BG_LOWER, 2);
  near(r->samples[0], 2704);
  near(r->samples[1], 2144);
  bg_run_free(run);
}

/* testbed.fingerprint.gomaxprocs of a parsed run, or -1 when absent. */
static int gomaxprocs_of(const struct bg_run *run) {
  const cJSON *g =
      run->fingerprint ? cJSON_GetObjectItemCaseSensitive(run->fingerprint, "gomaxprocs") : NULL;
  return cJSON_IsNumber(g) ? g->valueint : -1;
}

/* Fixtures by go 1.19 from tests/fixtures/src/go-names (regen.sh): BenchmarkSum1000 and
 * BenchmarkCopy/size-1024, a name that ends in -<digits> of its own. */
static void go_names_lose_the_gomaxprocs_suffix_which_goes_to_the_fingerprint(void **state) {
  (void)state;
  /* GOMAXPROCS=2, text and -json: every line ends in -2. */
  const char *procs2[] = {"go/procs2.txt", "go/procs2.json"};
  for (size_t i = 0; i < 2; i++) {
    struct bg_run *run = parse_fixture(NULL, procs2[i]);
    assert_int_equal(run->nresults, 2);
    near(samples(run, "BenchmarkSum1000", "wall_time", "ns", BG_LOWER, 2)->samples[0],
         i ? 498.1 : 313.6);
    samples(run, "BenchmarkCopy/size-1024", "wall_time", "ns", BG_LOWER, 2);
    assert_int_equal(gomaxprocs_of(run), 2);
    bg_run_free(run);
  }
  /* GOMAXPROCS=1: no suffix, and size-1024 keeps its -1024. */
  struct bg_run *run = parse_fixture(NULL, "go/procs1.txt");
  samples(run, "BenchmarkSum1000", "wall_time", "ns", BG_LOWER, 2);
  samples(run, "BenchmarkCopy/size-1024", "wall_time", "ns", BG_LOWER, 2);
  assert_int_equal(gomaxprocs_of(run), 1);
  bg_run_free(run);
  /* GOMAXPROCS=1 with only BenchmarkCopy/size-1024: every line ends in the same -1024, but -json
   * announces the benchmark by that very name first, so it has no suffix. */
  run = parse_fixture(NULL, "go/procs1-copy.json");
  assert_int_equal(run->nresults, 1);
  samples(run, "BenchmarkCopy/size-1024", "wall_time", "ns", BG_LOWER, 2);
  assert_int_equal(gomaxprocs_of(run), 1);
  bg_run_free(run);
  /* -cpu 1,2: one series per GOMAXPROCS, names as go writes them, no single value to record. */
  run = parse_fixture(NULL, "go/cpu-list.txt");
  assert_int_equal(run->nresults, 4);
  samples(run, "BenchmarkSum1000", "wall_time", "ns", BG_LOWER, 1);
  samples(run, "BenchmarkSum1000-2", "wall_time", "ns", BG_LOWER, 1);
  samples(run, "BenchmarkCopy/size-1024", "wall_time", "ns", BG_LOWER, 1);
  samples(run, "BenchmarkCopy/size-1024-2", "wall_time", "ns", BG_LOWER, 1);
  assert_int_equal(gomaxprocs_of(run), -1);
  bg_run_free(run);
  /* Different suffixes (or -1, which go never writes) are names of their own. */
  const char *text = "BenchmarkA/n-8 \t 10\t 5 ns/op\nBenchmarkA/n-16 \t 10\t 6 ns/op\n"
                     "BenchmarkB-1 \t 10\t 6 ns/op\n";
  run = bg_run_new();
  assert_int_equal(bg_adapter_parse("go", text, strlen(text), run, NULL), BG_OK);
  samples(run, "BenchmarkA/n-8", "wall_time", "ns", BG_LOWER, 1);
  samples(run, "BenchmarkB-1", "wall_time", "ns", BG_LOWER, 1);
  assert_int_equal(gomaxprocs_of(run), -1);
  bg_run_free(run);
}

static void go_custom_metrics_and_packages(void **state) {
  (void)state;
  const char *text = "pkg: a\nBenchmarkX-4 \t 10\t 5.0 ns/op\t 7 widgets/s\t 3 frobs/op\n"
                     "pkg: b\nBenchmarkY-4 \t 10\t 6.0 ns/op\n";
  struct bg_run *run = bg_run_new();
  assert_int_equal(bg_adapter_parse("go", text, strlen(text), run, NULL), BG_OK);
  samples(run, "BenchmarkX", "widgets_s", "widgets/s", BG_HIGHER, 1);
  samples(run, "BenchmarkX", "frobs_op", "frobs/op", BG_LOWER, 1);
  bg_run_free(run);
  /* The same name in two packages must not merge silently. */
  text = "pkg: a\nBenchmarkX-4 \t 10\t 5.0 ns/op\npkg: b\nBenchmarkX-4 \t 10\t 6.0 ns/op\n";
  run = bg_run_new();
  struct bg_ferr e;
  assert_int_equal(bg_adapter_parse("go", text, strlen(text), run, &e), BG_EINVAL);
  assert_string_equal(e.field, "line 4");
  bg_run_free(run);
}

static void warnings_from_harness_text_are_made_safe(void **state) {
  (void)state;
  /* Found by fuzz_adapters: FAIL lines with invalid UTF-8 and with a C1 control character
   * became warnings the run model rejects. */
  const char text[] = "BenchmarkA-2 \t 10\t 5 ns/op\nFAIL \xff\x01\xc3\xa9 x\nFAIL \xc2\x85 y\n";
  struct bg_run *run = bg_run_new();
  assert_int_equal(bg_adapter_parse("go", text, sizeof text - 1, run, NULL), BG_OK);
  assert_int_equal(run->nwarnings, 2);
  assert_string_equal(run->warnings[0], "go: FAIL ??\xc3\xa9 x");
  assert_string_equal(run->warnings[1], "go: FAIL ?? y");
  bg_run_free(run);
}

static void catch2_xml_gives_summaries_with_unescaped_names(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture("catch2", "catch2/bench.xml");
  assert_int_equal(run->nresults, 3);
  summary(run, "Fibonacci/fib 15", "wall_time", 10, 451.75, 4.65123);
  summary(run, "Fibonacci/fib 20", "wall_time", 10, 6258.94, 248.971);
  const struct bg_result *r =
      summary(run, "Strings & <escapes>/concat \"quoted\"", "wall_time", 10, 68.1752, 2.97536);
  assert_string_equal(r->unit, "ns");
  bg_run_free(run);
}

static void catch2_without_analysis_counts_the_mean_once(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture(NULL, "catch2/no-analysis.xml");
  assert_int_equal(run->nresults, 3);
  summary(run, "Fibonacci/fib 15", "wall_time", 1, 471.865, 0);
  assert_int_equal(run->nwarnings, 1);
  bg_run_free(run);
}

static void catch2_sample_children_become_samples(void **state) {
  (void)state;
  const char *text = "<?xml version=\"1.0\"?>\n<Catch2TestRun name=\"t\">\n<TestCase name=\"c\">"
                     "\n<BenchmarkResults name=\"b &#x41;&#66;\" samples=\"2\">\n"
                     "<!-- ns --><sample value=\"10\"/><sample value='12.5'/>\n"
                     "<mean value=\"11.25\"/></BenchmarkResults></TestCase></Catch2TestRun>\n";
  struct bg_run *run = bg_run_new();
  assert_int_equal(bg_adapter_parse(NULL, text, strlen(text), run, NULL), BG_OK);
  const struct bg_result *r = samples(run, "c/b AB", "wall_time", "ns", BG_LOWER, 2);
  near(r->samples[1], 12.5);
  bg_run_free(run);
}

/* Fixture by Catch2 2.13.10 from tests/fixtures/src/catch2/same_names.cpp (regen.sh): two test
 * cases with BENCHMARK("push"), and BENCHMARK("run") in two sections of one test case. */
static void catch2_names_keep_their_test_case_and_sections(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture(NULL, "catch2/same-names.xml");
  assert_int_equal(run->nresults, 4);
  summary(run, "vector/push", "wall_time", 5, 172.639, 9.27338);
  summary(run, "deque/push", "wall_time", 5, 94.549, 26.5301);
  summary(run, "sum/small/run", "wall_time", 5, 2.22541, 0.596332);
  summary(run, "sum/large/run", "wall_time", 5, 157.667, 2.80171);
  bg_run_free(run);
  /* One BENCHMARK name twice in one section is still an error that names the line. */
  const char *text = "<Catch>\n<TestCase name=\"t\">\n"
                     "<BenchmarkResults name=\"a\" samples=\"1\"><mean value=\"1\"/>"
                     "</BenchmarkResults>\n"
                     "<BenchmarkResults name=\"a\" samples=\"1\"><mean value=\"1\"/>"
                     "</BenchmarkResults>\n</TestCase></Catch>";
  run = bg_run_new();
  struct bg_ferr e;
  assert_int_equal(bg_adapter_parse("catch2", text, strlen(text), run, &e), BG_EINVAL);
  assert_string_equal(e.field, "line 4");
  assert_non_null(strstr(e.message, "'t/a' appears twice"));
  bg_run_free(run);
}

static void xml_reader_bounds_depth_and_names_the_line(void **state) {
  (void)state;
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "<Catch>\n");
  for (int i = 0; i < 300; i++)
    bg_buf_puts(&b, "<a>");
  struct bg_run *run = bg_run_new();
  struct bg_ferr e;
  assert_int_equal(bg_adapter_parse("catch2", b.data, b.len, run, &e), BG_EPARSE);
  assert_string_equal(e.field, "line 2");
  assert_non_null(strstr(e.message, "too deeply"));
  bg_run_free(run);
  bg_buf_free(&b);
  /* Mismatched tags name both. */
  const char *text = "<Catch>\n<BenchmarkResults name=\"a\">\n</Catch>";
  run = bg_run_new();
  assert_int_equal(bg_adapter_parse("catch2", text, strlen(text), run, &e), BG_EPARSE);
  assert_string_equal(e.field, "line 3");
  assert_non_null(strstr(e.message, "</Catch> does not close <BenchmarkResults>"));
  bg_run_free(run);
}

static void pytest_data_becomes_samples(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture("pytest-benchmark", "pytest-benchmark/data.json");
  assert_int_equal(run->nresults, 2);
  const struct bg_result *r =
      samples(run, "test_bench.py::test_fib10", "wall_time", "ns", BG_LOWER, 43);
  near(r->samples[0], 4.7670000640209764e-06 * 1e9);
  samples(run, "test_bench.py::test_join", "wall_time", "ns", BG_LOWER, 27);
  bg_run_free(run);
}

static void pytest_saved_run_without_data_is_a_summary(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture(NULL, "pytest-benchmark/summary.json");
  assert_int_equal(run->nresults, 2);
  summary(run, "test_bench.py::test_fib10", "wall_time", 810, 4.5682679085614465e-06 * 1e9,
          9.81060272902228e-07 * 1e9);
  bg_run_free(run);
}

static void criterion_samples_are_time_per_iteration(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture("criterion", "criterion/fib.json");
  assert_int_equal(run->nresults, 2);
  const struct bg_result *r = samples(run, "fib/20", "wall_time", "ns", BG_LOWER, 5);
  near(r->samples[0], 20500.0);
  near(r->samples[1], 40600.0 / 2);
  near(r->samples[4], 101000.0 / 5);
  r = samples(run, "parse/json", "wall_time", "ns", BG_LOWER, 3);
  near(r->samples[2], 1490.0);
  bg_run_free(run);
}

static void criterion_cargo_messages_give_per_iteration_samples(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture(NULL, "criterion/cargo-criterion.json");
  assert_int_equal(run->nresults, 2);
  const struct bg_result *r = samples(run, "fib/10", "wall_time", "ns", BG_LOWER, 3);
  near(r->samples[0], 150.0);
  near(r->samples[1], 149.0);
  near(r->samples[2], 151.0);
  r = samples(run, "fib/20", "wall_time", "ns", BG_LOWER, 2);
  near(r->samples[1], 18550.0);
  bg_run_free(run);
  /* A custom measurement keeps its unit. */
  const char *text = "{\"reason\":\"benchmark-complete\",\"id\":\"a\",\"unit\":\"cycles\","
                     "\"iteration_count\":[2],\"measured_values\":[10]}";
  run = bg_run_new();
  assert_int_equal(bg_adapter_parse(NULL, text, strlen(text), run, NULL), BG_OK);
  near(samples(run, "a", "cycles", "cycles", BG_LOWER, 1)->samples[0], 5);
  bg_run_free(run);
}

static void criterion_sample_before_its_name_pairs_too(void **state) {
  (void)state;
  const char *text = "{\"sampling_mode\":\"Flat\",\"iters\":[2],\"times\":[10]}\n"
                     "{\"group_id\":\"g\",\"function_id\":\"f\",\"value_str\":\"3\"}";
  struct bg_run *run = bg_run_new();
  assert_int_equal(bg_adapter_parse(NULL, text, strlen(text), run, NULL), BG_OK);
  near(samples(run, "g/f/3", "wall_time", "ns", BG_LOWER, 1)->samples[0], 5);
  bg_run_free(run);
}

/* Writes text to dir/name, creating dir. */
static void put_file(const char *dir, const char *name, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "mkdir -p '%s'", dir);
  assert_int_equal(system(p), 0);
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void criterion_directory_is_collected_in_path_order(void **state) {
  (void)state;
  char root[] = "/tmp/bg-criterion-XXXXXX", dir[256];
  assert_non_null(mkdtemp(root));
  snprintf(dir, sizeof dir, "%s/parse/json/new", root);
  put_file(dir, "benchmark.json",
           "{\"group_id\":\"parse\",\"function_id\":\"json\","
           "\"value_str\":null,\"full_id\":\"parse/json\"}");
  put_file(dir, "sample.json", "{\"sampling_mode\":\"Flat\",\"iters\":[10],\"times\":[50]}");
  put_file(dir, "estimates.json", "{}");
  snprintf(dir, sizeof dir, "%s/parse/json/base", root);
  put_file(dir, "sample.json", "{\"iters\":[1],\"times\":[1]}");
  snprintf(dir, sizeof dir, "%s/fib/new", root);
  put_file(dir, "benchmark.json", "{\"group_id\":\"fib\",\"full_id\":\"fib\"}");
  put_file(dir, "sample.json", "{\"iters\":[1,2],\"times\":[7,16]}");
  struct bg_buf b;
  struct bg_ferr e;
  bg_buf_init(&b, 1 << 20);
  assert_int_equal(bg_adapter_criterion_collect(root, &b, &e), BG_OK);
  struct bg_run *run = bg_run_new();
  assert_int_equal(bg_adapter_parse(NULL, b.data, b.len, run, &e), BG_OK);
  assert_int_equal(run->nresults, 2);
  assert_string_equal(run->results[0].benchmark, "fib"); /* sorted by path */
  near(run->results[0].samples[1], 8.0);
  near(samples(run, "parse/json", "wall_time", "ns", BG_LOWER, 1)->samples[0], 5.0);
  bg_run_free(run);
  bg_buf_free(&b);
  /* An empty tree is ENOENT; a tiny cap is ETOOBIG. */
  bg_buf_init(&b, 16);
  assert_int_equal(bg_adapter_criterion_collect(root, &b, &e), BG_ETOOBIG);
  bg_buf_free(&b);
  snprintf(dir, sizeof dir, "rm -rf '%s'", root);
  assert_int_equal(system(dir), 0);
  char empty[] = "/tmp/bg-criterion-XXXXXX";
  assert_non_null(mkdtemp(empty));
  bg_buf_init(&b, 0);
  assert_int_equal(bg_adapter_criterion_collect(empty, &b, &e), BG_ENOENT);
  bg_buf_free(&b);
  rmdir(empty);
}

static void jmh_modes_units_and_params(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture("jmh", "jmh/results.json");
  assert_int_equal(run->nresults, 3);
  const struct bg_result *r = samples(run, "org.example.MyBenchmark.parse:size=1024,mode=fast",
                                      "wall_time", "ns", BG_LOWER, 6);
  near(r->samples[0], 1230);
  near(r->samples[5], 1253);
  r = samples(run, "org.example.MyBenchmark.hash", "throughput", "ops/s", BG_HIGHER, 3);
  near(r->samples[1], 2.5e6);
  /* 8 x 100 ns and 1 x 200 ns in iteration 1, 1 x 100 ns in iteration 2: mean 110, and the
   * sample stddev sqrt(9000 / 9) = 31.6227766... (by hand). */
  summary(run, "org.example.MyBenchmark.lookup", "sample_time", 10, 110, sqrt(1000.0));
  bg_run_free(run);
}

static void bmf_values_are_single_samples_with_mapped_measures(void **state) {
  (void)state;
  struct bg_run *run = parse_fixture("bmf", "bmf/bmf.json");
  assert_int_equal(run->nresults, 5);
  near(samples(run, "benchmark_name", "wall_time", "ns", BG_LOWER, 1)->samples[0], 88.0);
  near(samples(run, "benchmark_name", "throughput", "ops/s", BG_HIGHER, 1)->samples[0], 5.55);
  samples(run, "/bin/sh -c ./my_build_script.sh", "build_time", "s", BG_LOWER, 1);
  samples(run, "my_binary", "file_size", "bytes", BG_LOWER, 1);
  near(samples(run, "my_binary", "l1_hits", "value", BG_LOWER, 1)->samples[0], 1234);
  bg_run_free(run);
}

/* ---- detection ---- */

static void detects_every_fixture_as_its_format(void **state) {
  (void)state;
  static const struct {
    const char *file, *format;
  } cases[] = {{"gbench/single.json", "gbench"},
               {"gbench/repetitions.json", "gbench"},
               {"gbench/aggregates.json", "gbench"},
               {"hyperfine/hyperfine.json", "hyperfine"},
               {"go/bench.txt", "go"},
               {"go/bench.json", "go"},
               {"go/procs2.txt", "go"},
               {"go/procs2.json", "go"},
               {"go/procs1.txt", "go"},
               {"go/procs1-copy.json", "go"},
               {"go/cpu-list.txt", "go"},
               {"catch2/bench.xml", "catch2"},
               {"catch2/no-analysis.xml", "catch2"},
               {"catch2/same-names.xml", "catch2"},
               {"pytest-benchmark/data.json", "pytest-benchmark"},
               {"pytest-benchmark/summary.json", "pytest-benchmark"},
               {"criterion/fib.json", "criterion"},
               {"criterion/cargo-criterion.json", "criterion"},
               {"jmh/results.json", "jmh"},
               {"bmf/bmf.json", "bmf"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    size_t len;
    char *text = slurp(cases[i].file, &len);
    const struct bg_adapter *a = bg_adapter_detect(text, len);
    if (!a || strcmp(a->name, cases[i].format) != 0)
      print_error("%s detected as %s\n", cases[i].file, a ? a->name : "nothing");
    assert_non_null(a);
    assert_string_equal(a->name, cases[i].format);
    /* Every other adapter scores strictly lower: detection is unambiguous. */
    int own = a->detect(text, len);
    static const char *const names[] = {"native",           "gbench", "hyperfine",
                                        "criterion",        "go",     "catch2",
                                        "pytest-benchmark", "bmf",    "jmh"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
      const struct bg_adapter *o = bg_adapter_find(names[k]);
      assert_non_null(o);
      if (o != a && o->detect(text, len) >= own)
        print_error("%s: %s scores %d, %s %d\n", cases[i].file, o->name, o->detect(text, len),
                    a->name, own);
      if (o != a)
        assert_true(o->detect(text, len) < own);
    }
    free(text);
  }
}

static void detects_native_run_json(void **state) {
  (void)state;
  const char *text = "{\"schema\":\"benchgate.run/v1\",\"results\":[{\"benchmark\":\"a\","
                     "\"measure\":\"wall_time\",\"samples\":[1]}]}";
  assert_string_equal(bg_adapter_detect(text, strlen(text))->name, "native");
}

static void unrecognised_input_is_unsupported(void **state) {
  (void)state;
  const char *inputs[] = {"hello world\n", "{}", "[]", "<html></html>", "{\"a\": 1}"};
  for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
    struct bg_run *run = bg_run_new();
    struct bg_ferr e;
    assert_int_equal(bg_adapter_parse(NULL, inputs[i], strlen(inputs[i]), run, &e), BG_EUNSUPP);
    assert_non_null(strstr(e.message, "gbench"));
    bg_run_free(run);
  }
}

/* An empty file says it is empty, whatever the format; a directory that is not a Criterion tree
 * says it is a directory, naming it once. */
static void empty_files_and_directories_say_what_they_are(void **state) {
  (void)state;
  char dir[] = "/tmp/bg-adapters-XXXXXX", path[256];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/empty.json", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fclose(f);
  const char *formats[] = {NULL, "go", "gbench", "catch2"};
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
    struct bg_run *run = bg_run_new();
    struct bg_ferr e;
    assert_int_equal(bg_adapter_parse_file(formats[i], path, run, &e), BG_EINVAL);
    assert_string_equal(e.field, path);
    assert_string_equal(e.message, "empty: no benchmark output in it");
    bg_run_free(run);
  }
  struct bg_run *run = bg_run_new();
  struct bg_ferr e;
  assert_int_equal(bg_adapter_parse(NULL, " \n\t\r\n", 5, run, &e), BG_EINVAL);
  assert_string_equal(e.message, "only white space: no benchmark output in it");
  assert_int_equal(bg_adapter_parse_file(NULL, dir, run, &e), BG_ENOENT);
  assert_string_equal(e.field, dir); /* named once, not "DIR: DIR" */
  assert_non_null(strstr(e.message, "a directory, not a benchmark output file"));
  assert_int_equal(bg_adapter_parse_file("go", dir, run, &e), BG_EINVAL);
  assert_string_equal(e.field, dir);
  assert_non_null(strstr(e.message, "--format go reads a file"));
  bg_run_free(run);
  unlink(path);
  rmdir(dir);
}

/* ---- bad input: every adapter fails with a named line or field, never a crash ---- */

struct bad {
  const char *format, *text;
  int rc;
  const char *field; /* expected prefix of e.field */
};

static const struct bad bad_inputs[] = {
    /* gbench */
    {"gbench", "", BG_EINVAL, ""},
    {"gbench", "{\"benchmarks\":[{\"name\":\"a\",\"real_time\":1,", BG_EPARSE, "line 1"},
    {"gbench", "{\"benchmarks\":{}}", BG_EINVAL, "benchmarks"},
    {"gbench", "{\"benchmarks\":[{\"name\":\"a\",\"real_time\":\"1\"}]}", BG_EINVAL,
     "benchmarks[0].real_time"},
    {"gbench", "{\"benchmarks\":[{\"name\":\"a\",\"real_time\":1e400}]}", BG_EINVAL,
     "benchmarks[0].real_time"},
    {"gbench", "{\"benchmarks\":[{\"name\":\"a\",\"real_time\":-5}]}", BG_EINVAL,
     "benchmarks[0].real_time"},
    {"gbench", "{\"benchmarks\":[{\"name\":\"a\",\"real_time\":NaN}]}", BG_EPARSE, "line 1"},
    {"gbench", "{\"benchmarks\":[{\"name\":\"a\",\"real_time\":1,\"time_unit\":\"fortnight\"}]}",
     BG_EINVAL, "benchmarks[0].time_unit"},
    {"gbench",
     "{\"benchmarks\":[{\"name\":\"a\",\"real_time\":1,\"time_unit\":\"s\"},\n"
     "{\"name\":\"b\",\"real_time\":1e10,\"time_unit\":\"s\"}]}",
     BG_EINVAL, "benchmarks[1].real_time"},
    {"gbench", "{\"benchmarks\":[{\"name\":7,\"real_time\":1}]}", BG_EINVAL, "benchmarks[0].name"},
    {"gbench", "{\"benchmarks\":[{\"name\":\"a\"}]}", BG_EINVAL, "benchmarks[0].real_time"},
    {"gbench", "{\"benchmarks\":[]}", BG_EINVAL, "benchmarks"},
    {"gbench", "{\"results\":[{\"command\":\"x\",\"times\":[1]}]}", BG_EINVAL, "benchmarks"},
    /* hyperfine */
    {"hyperfine", "", BG_EINVAL, ""},
    {"hyperfine", "{\"results\":[{\"command\":\"x\",\"times\":[0.1,\n", BG_EPARSE, "line 2"},
    {"hyperfine", "{\"results\":[{\"command\":\"x\",\"times\":\"0.1\"}]}", BG_EINVAL,
     "results[0].times"},
    {"hyperfine", "{\"results\":[{\"command\":\"x\",\"times\":[0.1,-0.2]}]}", BG_EINVAL,
     "results[0].times[1]"},
    {"hyperfine", "{\"results\":[{\"command\":\"x\",\"times\":[1e400]}]}", BG_EINVAL,
     "results[0].times[0]"},
    {"hyperfine", "{\"results\":[{\"command\":\"x\",\"times\":[1e300]}]}", BG_EINVAL,
     "results[0].times[0]"},
    {"hyperfine", "{\"results\":[{\"times\":[1]}]}", BG_EINVAL, "results[0].command"},
    {"hyperfine", "{\"results\":[{\"command\":\"x\",\"mean\":1}]}", BG_EINVAL, "results[0].times"},
    {"hyperfine",
     "{\"results\":[{\"command\":\"x\",\"times\":[1]},{\"command\":\"x\","
     "\"times\":[1]}]}",
     BG_EINVAL, "results[1].times"},
    {"hyperfine", "{\"results\":[]}", BG_EINVAL, "results"},
    {"hyperfine", "{\"results\":[{\"command\":\"x\",\"times\":[NaN]}]}", BG_EPARSE, "line 1"},
    /* criterion */
    {"criterion", "", BG_EINVAL, ""},
    {"criterion", "{\"full_id\":\"a\"}\n{\"iters\":[1,2],\"times\":[1,", BG_EPARSE, "line 2"},
    {"criterion", "{\"full_id\":\"a\"}\n{\"iters\":[1,2],\"times\":[1]}", BG_EINVAL,
     "object 2.times"},
    {"criterion", "{\"full_id\":\"a\"}\n{\"iters\":[0],\"times\":[1]}", BG_EINVAL,
     "object 2.iters[0]"},
    {"criterion", "{\"full_id\":\"a\"}\n{\"iters\":[1],\"times\":[-1]}", BG_EINVAL,
     "object 2.times[0]"},
    {"criterion", "{\"full_id\":\"a\"}\n{\"iters\":[1],\"times\":[1e400]}", BG_EINVAL,
     "object 2.times[0]"},
    {"criterion", "{\"full_id\":\"a\"}\n{\"iters\":[1],\"times\":[\"1\"]}", BG_EINVAL,
     "object 2.times[0]"},
    {"criterion", "{\"iters\":[1],\"times\":[1]}", BG_EINVAL, "object 1"},
    {"criterion", "{\"mean\":{\"point_estimate\":1}}", BG_EINVAL, "line 1"},
    {"criterion", "[1,2]", BG_EINVAL, "line 1"},
    {"criterion",
     "{\"reason\":\"benchmark-complete\",\"id\":\"a\",\"iteration_count\":[1],"
     "\"measured_values\":[-4]}",
     BG_EINVAL, "object 1.measured_values[0]"},
    {"criterion",
     "{\"reason\":\"benchmark-complete\",\"iteration_count\":[1],"
     "\"measured_values\":[4]}",
     BG_EINVAL, "object 1.id"},
    {"criterion", "{\"reason\":\"group-complete\",\"group_name\":\"g\"}", BG_EINVAL, ""},
    {"criterion", "{\"full_id\":\"a\"}\n{\"iters\":[1],\"times\":[nan]}", BG_EPARSE, "line 2"},
    /* go */
    {"go", "", BG_EINVAL, ""},
    {"go", "BenchmarkA-2 \t 100\t 12.5 ns/op\nBenchmarkA-2 \t 100\t 12.5\n", BG_EINVAL, "line 2"},
    {"go", "goos: linux\nBenchmarkA-2 \t 100\t abc ns/op\n", BG_EINVAL, "line 2"},
    {"go", "BenchmarkA-2 \t 100\t -3 ns/op\n", BG_EINVAL, "line 1"},
    {"go", "BenchmarkA-2 \t 100\t 1e400 ns/op\n", BG_EINVAL, "line 1"},
    {"go", "BenchmarkA-2 \t 100\t NaN ns/op\n", BG_EINVAL, "line 1"},
    {"go",
     "BenchmarkA-2 \t 100\t 3 ns/op\nBenchmarkA-2 \t 100\t 3 ms/op\n"
     "BenchmarkA-2 \t 100\t 3 !!!\n",
     BG_EINVAL, "line 3"},
    {"go",
     "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\"BenchmarkA \\t 1\\t 2 ns/op\\n\"}\n"
     "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\n",
     BG_EPARSE, "line 2"},
    {"go", "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":7}\n", BG_EINVAL, "line 1"},
    {"go",
     "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\"x\\n\"}\n"
     "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\"BenchmarkA \\t 1\\t\"}\n"
     "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\" -2 ns/op\\n\"}\n",
     BG_EINVAL, "line 2"},
    /* catch2 */
    {"catch2", "", BG_EINVAL, ""},
    {"catch2", "<Catch>\n<BenchmarkResults name=\"a\" samples=\"3\">\n<mean value=\"1\"/>\n",
     BG_EPARSE, "line 4"},
    {"catch2",
     "<Catch>\n<BenchmarkResults name=\"a\" samples=\"3\">\n<mean value=\"x\"/>"
     "</BenchmarkResults></Catch>",
     BG_EINVAL, "line 3"},
    {"catch2",
     "<Catch>\n<BenchmarkResults name=\"a\" samples=\"3\">\n<mean value=\"-1\"/>"
     "</BenchmarkResults></Catch>",
     BG_EINVAL, "line 2"},
    {"catch2",
     "<Catch>\n<BenchmarkResults name=\"a\" samples=\"3\">\n<mean value=\"1e400\"/>"
     "</BenchmarkResults></Catch>",
     BG_EINVAL, "line 3"},
    {"catch2",
     "<Catch>\n<BenchmarkResults name=\"a\" samples=\"3\">\n<mean value=\"nan\"/>"
     "</BenchmarkResults></Catch>",
     BG_EINVAL, "line 3"},
    {"catch2",
     "<Catch>\n<BenchmarkResults name=\"a\" samples=\"0\">\n<mean value=\"1\"/>"
     "</BenchmarkResults></Catch>",
     BG_EINVAL, "line 2"},
    {"catch2", "<Catch>\n<BenchmarkResults name=\"a\">\n</Catch>", BG_EPARSE, "line 3"},
    {"catch2", "<Catch>\n<BenchmarkResults name=\"a&bogus;\"></BenchmarkResults></Catch>",
     BG_EPARSE, "line 2"},
    {"catch2", "<!DOCTYPE x [<!ENTITY a \"b\">]>\n<Catch/>", BG_EPARSE, "line 1"},
    {"catch2", "<Catch></Catch>", BG_EINVAL, "line 1"},
    {"catch2", "<html><BenchmarkResults name=\"a\"/></html>", BG_EINVAL, "line 1"},
    {"catch2", "<Catch>\n<BenchmarkResults name=\"a\" samples=\"3\"></BenchmarkResults></Catch>",
     BG_EINVAL, "line 2"},
    /* pytest-benchmark */
    {"pytest-benchmark", "", BG_EINVAL, ""},
    {"pytest-benchmark", "{\"benchmarks\":[{\"fullname\":\"t\",\"stats\":{\"data\":[1e-6,",
     BG_EPARSE, "line 1"},
    {"pytest-benchmark", "{\"benchmarks\":[{\"fullname\":\"t\",\"stats\":[]}]}", BG_EINVAL,
     "benchmarks[0].stats"},
    {"pytest-benchmark", "{\"benchmarks\":[{\"fullname\":\"t\",\"stats\":{\"data\":[1,-1]}}]}",
     BG_EINVAL, "benchmarks[0].stats.data[1]"},
    {"pytest-benchmark", "{\"benchmarks\":[{\"fullname\":\"t\",\"stats\":{\"data\":[1e400]}}]}",
     BG_EINVAL, "benchmarks[0].stats.data[0]"},
    {"pytest-benchmark",
     "{\"benchmarks\":[{\"fullname\":\"t\",\"stats\":{\"rounds\":0,"
     "\"mean\":1,\"stddev\":0}}]}",
     BG_EINVAL, "benchmarks[0].stats.rounds"},
    {"pytest-benchmark",
     "{\"benchmarks\":[{\"fullname\":\"t\",\"stats\":{\"rounds\":3,"
     "\"mean\":\"fast\",\"stddev\":0}}]}",
     BG_EINVAL, "benchmarks[0].stats.mean"},
    {"pytest-benchmark", "{\"benchmarks\":[{\"stats\":{\"data\":[1]}}]}", BG_EINVAL,
     "benchmarks[0].name"},
    {"pytest-benchmark", "{\"benchmarks\":[{\"fullname\":\"t\",\"stats\":{\"data\":[NaN]}}]}",
     BG_EPARSE, "line 1"},
    /* bmf */
    {"bmf", "", BG_EINVAL, ""},
    {"bmf", "{\"a\":{\"latency\":{\"value\":", BG_EPARSE, "line 1"},
    {"bmf", "{\"a\":{\"latency\":{\"value\":\"1\"}}}", BG_EINVAL, "a.latency.value"},
    {"bmf", "{\"a\":{\"latency\":{\"value\":-1}}}", BG_EINVAL, "a.latency"},
    {"bmf", "{\"a\":{\"latency\":{\"value\":1e400}}}", BG_EINVAL, "a.latency.value"},
    {"bmf", "{\"a\":{\"latency\":{\"value\":5,\"lower_value\":6}}}", BG_EINVAL, "a.latency"},
    {"bmf", "{\"a\":{\"latency\":{}}}", BG_EINVAL, "a.latency.value"},
    {"bmf", "{\"a\":{\"!!!\":{\"value\":1}}}", BG_EINVAL, "a.!!!"},
    {"bmf", "{\"a\":[1]}", BG_EINVAL, "a"},
    {"bmf", "[]", BG_EINVAL, ""},
    {"bmf", "{\"a\":{\"latency\":{\"value\":NaN}}}", BG_EPARSE, "line 1"},
    /* jmh */
    {"jmh", "", BG_EINVAL, ""},
    {"jmh", "[{\"benchmark\":\"a\",\"mode\":\"avgt\",\n\"primaryMetric\":{", BG_EPARSE, "line 2"},
    {"jmh",
     "[{\"benchmark\":\"a\",\"mode\":\"avgt\",\"primaryMetric\":{\"scoreUnit\":"
     "\"parsecs/op\",\"rawData\":[[1]]}}]",
     BG_EINVAL, "[0].primaryMetric.scoreUnit"},
    {"jmh",
     "[{\"benchmark\":\"a\",\"mode\":\"thrpt\",\"primaryMetric\":{\"scoreUnit\":"
     "\"ns/op\",\"rawData\":[[1]]}}]",
     BG_EINVAL, "[0].primaryMetric.scoreUnit"},
    {"jmh",
     "[{\"benchmark\":\"a\",\"mode\":\"avgt\",\"primaryMetric\":{\"scoreUnit\":"
     "\"ns/op\",\"rawData\":[[1,-2]]}}]",
     BG_EINVAL, "[0].primaryMetric.rawData[0][1]"},
    {"jmh",
     "[{\"benchmark\":\"a\",\"mode\":\"avgt\",\"primaryMetric\":{\"scoreUnit\":"
     "\"s/op\",\"rawData\":[[1e300]]}}]",
     BG_EINVAL, "[0].primaryMetric.rawData[0][0]"},
    {"jmh",
     "[{\"benchmark\":\"a\",\"mode\":\"avgt\",\"primaryMetric\":{\"scoreUnit\":"
     "\"ns/op\",\"rawData\":[1]}}]",
     BG_EINVAL, "[0].primaryMetric.rawData[0]"},
    {"jmh",
     "[{\"benchmark\":\"a\",\"mode\":\"sample\",\"primaryMetric\":{\"scoreUnit\":"
     "\"ns/op\",\"rawDataHistogram\":[[[[1,0]]]]}}]",
     BG_EINVAL, "[0].primaryMetric.rawDataHistogram[0][0][0]"},
    {"jmh",
     "[{\"benchmark\":\"a\",\"mode\":\"avgt\",\"primaryMetric\":{\"scoreUnit\":"
     "\"ns/op\"}}]",
     BG_EINVAL, "[0].primaryMetric.score"},
    {"jmh", "[{\"mode\":\"avgt\",\"primaryMetric\":{}}]", BG_EINVAL, "[0].benchmark"},
    {"jmh", "{}", BG_EINVAL, ""},
    {"jmh",
     "[{\"benchmark\":\"a\",\"mode\":\"avgt\",\"primaryMetric\":{\"scoreUnit\":"
     "\"ns/op\",\"rawData\":[[NaN]]}}]",
     BG_EPARSE, "line 1"},
    {"jmh",
     "[{\"benchmark\":\"a\",\"mode\":\"warp\",\"primaryMetric\":{\"scoreUnit\":"
     "\"ns/op\",\"rawData\":[[1]]}}]",
     BG_EINVAL, "[0].primaryMetric.scoreUnit"},
};

static void bad_input_fails_with_named_line_or_field(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad_inputs / sizeof *bad_inputs; i++) {
    const struct bad *b = &bad_inputs[i];
    struct bg_run *run = bg_run_new();
    struct bg_ferr e;
    /* Parse from a copy of exactly the input's length, so ASan sees any over-read. */
    size_t len = strlen(b->text);
    char *copy = malloc(len + 1);
    memcpy(copy, b->text, len + 1);
    int rc = bg_adapter_parse(b->format, copy, len, run, &e);
    if (rc != b->rc || strncmp(e.field, b->field, strlen(b->field)) != 0 ||
        (!*b->field && *e.field) || !*e.message)
      print_error("case %zu (%s): rc %d, field '%s': %s\n", i, b->format, rc, e.field, e.message);
    assert_int_equal(rc, b->rc);
    assert_true(strncmp(e.field, b->field, strlen(b->field)) == 0);
    assert_true(*b->field || !*e.field); /* "" means the document as a whole */
    assert_true(*e.message);
    free(copy);
    bg_run_free(run);
  }
}

static void every_fixture_forced_as_another_format_fails_cleanly(void **state) {
  (void)state;
  static const char *const files[] = {"gbench/repetitions.json",
                                      "hyperfine/hyperfine.json",
                                      "go/bench.txt",
                                      "go/bench.json",
                                      "catch2/bench.xml",
                                      "pytest-benchmark/data.json",
                                      "criterion/fib.json",
                                      "criterion/cargo-criterion.json",
                                      "jmh/results.json",
                                      "bmf/bmf.json"};
  static const char *const formats[] = {
      "gbench",    "hyperfine", "go",  "catch2", "pytest-benchmark",
      "criterion", "jmh",       "bmf", "native"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    size_t len;
    char *text = slurp(files[i], &len);
    const struct bg_adapter *own = bg_adapter_detect(text, len);
    for (size_t k = 0; k < sizeof formats / sizeof *formats; k++) {
      if (strcmp(own->name, formats[k]) == 0)
        continue;
      struct bg_run *run = bg_run_new();
      struct bg_ferr e;
      int rc = bg_adapter_parse(formats[k], text, len, run, &e);
      if (rc == BG_OK)
        print_error("%s parsed as %s\n", files[i], formats[k]);
      assert_true(rc == BG_EPARSE || rc == BG_EINVAL);
      assert_true(*e.message);
      bg_run_free(run);
    }
    free(text);
  }
}

static void unknown_format_name_is_unsupported(void **state) {
  (void)state;
  struct bg_run *run = bg_run_new();
  struct bg_ferr e;
  assert_int_equal(bg_adapter_parse("nope", "{}", 2, run, &e), BG_EUNSUPP);
  assert_string_equal(e.field, "format");
  assert_non_null(strstr(e.message, "pytest-benchmark"));
  bg_run_free(run);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gbench_repetitions_become_samples_in_ns),
      cmocka_unit_test(gbench_single_run_gives_one_sample),
      cmocka_unit_test(gbench_aggregates_only_become_summaries),
      cmocka_unit_test(hyperfine_times_become_ns_samples),
      cmocka_unit_test(hyperfine_reads_memory_and_warns_on_failed_runs),
      cmocka_unit_test(go_text_count_lines_are_samples),
      cmocka_unit_test(go_json_events_are_joined_per_package),
      cmocka_unit_test(go_names_lose_the_gomaxprocs_suffix_which_goes_to_the_fingerprint),
      cmocka_unit_test(go_custom_metrics_and_packages),
      cmocka_unit_test(warnings_from_harness_text_are_made_safe),
      cmocka_unit_test(catch2_xml_gives_summaries_with_unescaped_names),
      cmocka_unit_test(catch2_without_analysis_counts_the_mean_once),
      cmocka_unit_test(catch2_sample_children_become_samples),
      cmocka_unit_test(catch2_names_keep_their_test_case_and_sections),
      cmocka_unit_test(xml_reader_bounds_depth_and_names_the_line),
      cmocka_unit_test(pytest_data_becomes_samples),
      cmocka_unit_test(pytest_saved_run_without_data_is_a_summary),
      cmocka_unit_test(criterion_samples_are_time_per_iteration),
      cmocka_unit_test(criterion_cargo_messages_give_per_iteration_samples),
      cmocka_unit_test(criterion_sample_before_its_name_pairs_too),
      cmocka_unit_test(criterion_directory_is_collected_in_path_order),
      cmocka_unit_test(jmh_modes_units_and_params),
      cmocka_unit_test(bmf_values_are_single_samples_with_mapped_measures),
      cmocka_unit_test(detects_every_fixture_as_its_format),
      cmocka_unit_test(detects_native_run_json),
      cmocka_unit_test(unrecognised_input_is_unsupported),
      cmocka_unit_test(empty_files_and_directories_say_what_they_are),
      cmocka_unit_test(bad_input_fails_with_named_line_or_field),
      cmocka_unit_test(every_fixture_forced_as_another_format_fails_cleanly),
      cmocka_unit_test(unknown_format_name_is_unsupported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
