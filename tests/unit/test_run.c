/* test_run.c: the run payload: parsing, every validation rule, serialisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "mem.h"
#include "run.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHA1 "0123456789abcdef0123456789abcdef01234567"
#define SHA2 "89abcdef0123456789abcdef0123456789abcdef"
#define UUID "0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b11"

/* The documented example payload (schema/run.schema.json), minus the elisions. */
static const char *full_payload =
    "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"" UUID "\","
    "\"commit\":{\"sha\":\"" SHA1 "\",\"branch\":\"main\",\"parents\":[\"" SHA2 "\"],"
    "\"message\":\"Speed up the tokenizer\\n\\nDetails.\",\"author\":\"A. Dev <a@example.org>\","
    "\"timestamp\":\"2026-11-20T12:00:00Z\"},"
    "\"baseline\":{\"branch\":\"main\",\"sha\":\"" SHA2 "\"},"
    "\"pull_request\":42,\"job_id\":17,"
    "\"testbed\":{\"name\":\"epyc-pinned\",\"fingerprint\":{\"cpu_model\":\"x\",\"cpus\":2,"
    "\"pinned_cpus\":[1],\"governor\":null,\"smt\":true,\"aslr\":false}},"
    "\"agent\":{\"name\":\"bench-01\",\"version\":\"0.1.0\"},"
    "\"started_at\":\"2026-11-20T12:01:00Z\",\"finished_at\":\"2026-11-20T12:05:00.5+01:00\","
    "\"thresholds\":{\"default\":{\"min_effect\":0.02},\"rules\":[{\"match\":\"BM_Parse/*\","
    "\"measure\":\"wall_time\",\"min_effect\":0.05},{\"match\":\"flaky_*\",\"ignore\":true}]},"
    "\"warnings\":[\"load average 1.5 is high\"],"
    "\"results\":["
    "{\"benchmark\":\"BM_Parse/4096\",\"measure\":\"wall_time\",\"unit\":\"ns\","
    "\"direction\":\"lower\",\"samples\":[1832.1,1829.4,1840.0]},"
    "{\"benchmark\":\"fib 20\",\"measure\":\"wall_time\",\"unit\":\"ns\",\"direction\":\"lower\","
    "\"summary\":{\"n\":100,\"mean\":19532.0,\"stddev\":5391.0}}]}";

/* Builds a minimal valid payload whose results array is `results` (JSON text). */
static char *payload_with_results(const char *results) {
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_printf(&b,
                "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"%s\",\"commit\":{\"sha\":\"%s\","
                "\"branch\":\"main\"},\"testbed\":{\"name\":\"tb\"},\"results\":%s}",
                UUID, SHA1, results);
  return bg_buf_steal(&b);
}

/* Parses `text`, expects failure with code `rc` naming `field`. */
static void expect_error(const char *text, int rc, const char *field) {
  struct bg_run *run = (struct bg_run *)1;
  struct bg_ferr e;
  int got = bg_run_from_json(text, strlen(text), &run, &e);
  if (got != rc || strcmp(e.field, field) != 0)
    fprintf(stderr, "payload: %s\n got rc %d field '%s' message '%s'\n", text, got, e.field,
            e.message);
  assert_int_equal(got, rc);
  assert_string_equal(e.field, field);
  assert_true(strlen(e.message) > 0);
  assert_null(run);
}

static void expect_result_error(const char *results, const char *field) {
  char *p = payload_with_results(results);
  expect_error(p, BG_EINVAL, field);
  free(p);
}

/* Replaces the first occurrence of `from` in the full payload with `to` and expects an error
 * naming `field`. */
static void expect_full_error(const char *from, const char *to, const char *field) {
  const char *at = strstr(full_payload, from);
  assert_non_null(at);
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_append(&b, full_payload, (size_t)(at - full_payload));
  bg_buf_puts(&b, to);
  bg_buf_puts(&b, at + strlen(from));
  expect_error(b.data, BG_EINVAL, field);
  bg_buf_free(&b);
}

static void parses_full_example(void **state) {
  (void)state;
  struct bg_run *run = NULL;
  struct bg_ferr e;
  assert_int_equal(bg_run_from_json(full_payload, strlen(full_payload), &run, &e), BG_OK);
  assert_string_equal(run->run_id, UUID);
  assert_string_equal(run->commit.sha, SHA1);
  assert_string_equal(run->commit.branch, "main");
  assert_int_equal(run->commit.nparents, 1);
  assert_string_equal(run->commit.parents[0], SHA2);
  assert_string_equal(run->commit.message, "Speed up the tokenizer\n\nDetails.");
  assert_string_equal(run->baseline_sha, SHA2);
  assert_int_equal(run->pull_request, 42);
  assert_int_equal(run->job_id, 17);
  assert_string_equal(run->testbed, "epyc-pinned");
  assert_true(cJSON_IsObject(run->fingerprint));
  assert_string_equal(run->agent_name, "bench-01");
  assert_int_equal(run->nwarnings, 1);
  assert_true(cJSON_IsObject(run->thresholds));
  assert_int_equal(run->nresults, 2);
  assert_string_equal(run->results[0].benchmark, "BM_Parse/4096");
  assert_int_equal(run->results[0].nsamples, 3);
  assert_true(run->results[0].samples[2] == 1840.0);
  assert_int_equal(run->results[1].has_summary, 1);
  assert_int_equal(run->results[1].n, 100);
  assert_true(run->results[1].stddev == 5391.0);
  bg_run_free(run);
}

static void parses_minimal_payload_with_defaults_from_known_measures(void **state) {
  (void)state;
  char *p = payload_with_results(
      "[{\"benchmark\":\"a\",\"measure\":\"throughput\",\"samples\":[1]},"
      "{\"benchmark\":\"a\",\"measure\":\"max_rss\",\"samples\":[1]}]");
  struct bg_run *run = NULL;
  assert_int_equal(bg_run_from_json(p, strlen(p), &run, NULL), BG_OK);
  assert_string_equal(run->results[0].unit, "ops/s");
  assert_int_equal(run->results[0].direction, BG_HIGHER);
  assert_string_equal(run->results[1].unit, "bytes");
  assert_int_equal(run->results[1].direction, BG_LOWER);
  assert_null(run->fingerprint);
  assert_int_equal(run->pull_request, 0);
  bg_run_free(run);
  free(p);
}

static void serialises_and_parses_back_identically(void **state) {
  (void)state;
  struct bg_run *run = NULL, *again = NULL;
  assert_int_equal(bg_run_from_json(full_payload, strlen(full_payload), &run, NULL), BG_OK);
  char *text = bg_run_to_json(run, 0);
  assert_int_equal(bg_run_from_json(text, strlen(text), &again, NULL), BG_OK);
  char *text2 = bg_run_to_json(again, 0);
  assert_string_equal(text, text2);
  /* Doubles survive exactly, not just to 6 digits. */
  assert_true(again->results[0].samples[0] == 1832.1);
  cJSON_free(text);
  cJSON_free(text2);
  bg_run_free(run);
  bg_run_free(again);
}

static void rejects_malformed_json_with_offset(void **state) {
  (void)state;
  struct bg_run *run = NULL;
  struct bg_ferr e;
  const char *bad = "{\"schema\": \"benchgate.run/v1\", \"run_id\": }";
  assert_int_equal(bg_run_from_json(bad, strlen(bad), &run, &e), BG_EPARSE);
  assert_null(run);
  assert_string_equal(e.field, "");
  assert_non_null(strstr(e.message, "near byte"));
  assert_int_equal(bg_run_from_json("", 0, &run, &e), BG_EPARSE);
  /* Truncation inside the text (length shorter than the string) is malformed too. */
  assert_int_equal(bg_run_from_json(full_payload, 100, &run, &e), BG_EPARSE);
}

static void rejects_non_object_and_wrong_schema(void **state) {
  (void)state;
  expect_error("[1,2]", BG_EINVAL, "");
  expect_error("{\"run_id\":\"" UUID "\"}", BG_EINVAL, "schema");
  expect_full_error("benchgate.run/v1", "benchgate.run/v2", "schema");
}

static void rejects_missing_required_fields(void **state) {
  (void)state;
  expect_full_error("\"run_id\":\"" UUID "\",", "", "run_id");
  expect_full_error("\"sha\":\"" SHA1 "\",", "", "commit.sha");
  expect_full_error("\"branch\":\"main\",\"parents\"", "\"parents\"", "commit.branch");
  expect_full_error("\"name\":\"epyc-pinned\",", "", "testbed.name");
  expect_error("{\"schema\":\"benchgate.run/v1\",\"run_id\":\"" UUID "\",\"testbed\":{\"name\":"
               "\"t\"},\"results\":[]}",
               BG_EINVAL, "commit");
  expect_error("{\"schema\":\"benchgate.run/v1\",\"run_id\":\"" UUID "\",\"commit\":{\"sha\":\"" SHA1
               "\",\"branch\":\"main\"},\"testbed\":{\"name\":\"t\"}}",
               BG_EINVAL, "results");
}

static void rejects_bad_identity_fields(void **state) {
  (void)state;
  expect_full_error(UUID, "not-a-uuid", "run_id");
  expect_full_error("\"sha\":\"" SHA1, "\"sha\":\"0123", "commit.sha");
  expect_full_error("\"sha\":\"" SHA1, "\"sha\":\"0123456789ABCDEF0123456789abcdef01234567",
                    "commit.sha");
  expect_full_error("\"branch\":\"main\",\"parents\"", "\"branch\":\"a..b\",\"parents\"",
                    "commit.branch");
  expect_full_error("\"parents\":[\"" SHA2, "\"parents\":[\"xyz", "commit.parents[0]");
  expect_full_error("\"parents\":[", "\"parents\":[1,", "commit.parents[0]");
  expect_full_error("2026-11-20T12:00:00Z", "yesterday", "commit.timestamp");
  expect_full_error("2026-11-20T12:01:00Z", "2026-13-20T12:01:00Z", "started_at");
  expect_full_error("\"Speed up", "\"Speed\\u0001 up", "commit.message");
  expect_full_error("\"A. Dev", "\"A.\\n Dev", "commit.author");
  expect_full_error("\"baseline\":{\"branch\":\"main\"", "\"baseline\":{\"branch\":\"-x\"",
                    "baseline.branch");
  expect_full_error("\"sha\":\"" SHA2 "\"}", "\"sha\":\"abc\"}", "baseline.sha");
  expect_full_error("\"pull_request\":42", "\"pull_request\":-1", "pull_request");
  expect_full_error("\"pull_request\":42", "\"pull_request\":4.5", "pull_request");
  expect_full_error("\"job_id\":17", "\"job_id\":\"17\"", "job_id");
  expect_full_error("\"name\":\"epyc-pinned\"", "\"name\":\"epyc pinned\"", "testbed.name");
  expect_full_error("\"fingerprint\":{", "\"fingerprint\":7,\"fp\":{", "testbed.fingerprint");
  expect_full_error("\"thresholds\":{", "\"thresholds\":7,\"th\":{", "thresholds");
  expect_full_error("\"warnings\":[\"load", "\"warnings\":[3,\"load", "warnings[0]");
  expect_full_error("\"agent\":{\"name\":\"bench-01\"", "\"agent\":{\"name\":7", "agent.name");
}

static void rejects_bad_names_and_units(void **state) {
  (void)state;
  expect_result_error("[{\"benchmark\":\"\",\"measure\":\"wall_time\",\"samples\":[1]}]",
                      "results[0].benchmark");
  expect_result_error("[{\"benchmark\":\"a\\u0007b\",\"measure\":\"wall_time\",\"samples\":[1]}]",
                      "results[0].benchmark");
  expect_result_error("[{\"benchmark\":\"a\\nb\",\"measure\":\"wall_time\",\"samples\":[1]}]",
                      "results[0].benchmark");
  /* U+0085 (NEL) is a C1 control character. */
  expect_result_error("[{\"benchmark\":\"a\\u0085b\",\"measure\":\"wall_time\",\"samples\":[1]}]",
                      "results[0].benchmark");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"Wall\",\"samples\":[1]}]",
                      "results[0].measure");
  expect_result_error("[{\"benchmark\":\"a\",\"samples\":[1]}]", "results[0].measure");
  expect_result_error("[{\"benchmark\":7,\"measure\":\"wall_time\",\"samples\":[1]}]",
                      "results[0].benchmark");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"frobs\",\"unit\":\"x\","
                      "\"samples\":[1]}]",
                      "results[0].direction");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"frobs\",\"direction\":\"higher\","
                      "\"samples\":[1]}]",
                      "results[0].unit");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"unit\":\"n s\","
                      "\"samples\":[1]}]",
                      "results[0].unit");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"direction\":\"up\","
                      "\"samples\":[1]}]",
                      "results[0].direction");
}

static void accepts_unicode_benchmark_names_up_to_1024_bytes(void **state) {
  (void)state;
  char name[1100];
  memset(name, 'x', 1024);
  name[1024] = '\0';
  char results[1300];
  snprintf(results, sizeof results,
           "[{\"benchmark\":\"%s\",\"measure\":\"wall_time\",\"samples\":[1]},"
           "{\"benchmark\":\"\xc3\xa9t\xc3\xa9 \xe2\x86\x92 fib\",\"measure\":\"wall_time\","
           "\"samples\":[1]}]",
           name);
  char *p = payload_with_results(results);
  struct bg_run *run = NULL;
  assert_int_equal(bg_run_from_json(p, strlen(p), &run, NULL), BG_OK);
  bg_run_free(run);
  free(p);
  name[1024] = 'x';
  name[1025] = '\0';
  snprintf(results, sizeof results,
           "[{\"benchmark\":\"%s\",\"measure\":\"wall_time\",\"samples\":[1]}]", name);
  expect_result_error(results, "results[0].benchmark");
}

static void rejects_non_finite_and_non_numeric_samples(void **state) {
  (void)state;
  /* JSON has no NaN literal: a client can only send an overflowing number or a string. */
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[1,2,1e999]}]",
                      "results[0].samples[2]");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                      "\"samples\":[1,-1e999]}]",
                      "results[0].samples[1]");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[\"NaN\"]}]",
                      "results[0].samples[0]");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[null]}]",
                      "results[0].samples[0]");
  expect_error("{\"schema\":\"benchgate.run/v1\",\"results\":[NaN]}", BG_EPARSE, "");
}

static void enforces_sample_count_limits(void **state) {
  (void)state;
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[]}]",
                      "results[0].samples");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":{}}]",
                      "results[0].samples");
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[");
  for (int i = 0; i < BG_RUN_MAX_SAMPLES; i++)
    bg_buf_puts(&b, i ? ",1" : "1");
  size_t at = b.len;
  bg_buf_puts(&b, "]}]");
  char *ok = payload_with_results(b.data);
  struct bg_run *run = NULL;
  assert_int_equal(bg_run_from_json(ok, strlen(ok), &run, NULL), BG_OK);
  assert_int_equal(run->results[0].nsamples, BG_RUN_MAX_SAMPLES);
  bg_run_free(run);
  free(ok);
  b.len = at;
  bg_buf_puts(&b, ",1]}]");
  expect_result_error(b.data, "results[0].samples");
  bg_buf_free(&b);
}

static void enforces_result_count_limit(void **state) {
  (void)state;
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "[");
  for (int i = 0; i <= BG_RUN_MAX_RESULTS; i++)
    bg_buf_printf(&b, "%s{\"benchmark\":\"b%d\",\"measure\":\"wall_time\",\"samples\":[1]}",
                  i ? "," : "", i);
  bg_buf_puts(&b, "]");
  expect_result_error(b.data, "results");
  bg_buf_free(&b);
}

static void validates_summaries(void **state) {
  (void)state;
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                      "\"summary\":{\"n\":0,\"mean\":1,\"stddev\":0}}]",
                      "results[0].summary.n");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                      "\"summary\":{\"n\":2.5,\"mean\":1,\"stddev\":0}}]",
                      "results[0].summary.n");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                      "\"summary\":{\"n\":3,\"stddev\":0}}]",
                      "results[0].summary.mean");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                      "\"summary\":{\"n\":3,\"mean\":1,\"stddev\":-1}}]",
                      "results[0].summary.stddev");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                      "\"summary\":{\"n\":3,\"mean\":1e999,\"stddev\":1}}]",
                      "results[0].summary.mean");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"summary\":[]}]",
                      "results[0].summary");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\"}]", "results[0]");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[1],"
                      "\"summary\":{\"n\":3,\"mean\":1,\"stddev\":1}}]",
                      "results[0]");
  expect_result_error("[1]", "results[0]");
  expect_result_error("{}", "results");
}

static void rejects_duplicate_benchmark_measure(void **state) {
  (void)state;
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[1]},"
                      "{\"benchmark\":\"b\",\"measure\":\"wall_time\",\"samples\":[1]},"
                      "{\"benchmark\":\"a\",\"measure\":\"cpu_time\",\"samples\":[1]},"
                      "{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[2]}]",
                      "results[3]");
}

static void builds_runs_through_the_model_api(void **state) {
  (void)state;
  struct bg_run *run = bg_run_new();
  bg_run_set(&run->run_id, UUID);
  bg_run_set(&run->commit.sha, SHA1);
  bg_run_set(&run->commit.branch, "feature/x");
  bg_run_set(&run->testbed, "tb");
  struct bg_result *r = bg_run_add_result(run, "suite", "wall_time", "ns", BG_LOWER);
  for (int i = 0; i < 20; i++)
    bg_result_add_sample(r, 1000.0 + i);
  struct bg_ferr e;
  assert_int_equal(bg_run_validate(run, &e), BG_OK);
  assert_ptr_equal(bg_run_find_result(run, "suite", "wall_time"), &run->results[0]);
  assert_null(bg_run_find_result(run, "suite", "cpu_time"));
  bg_result_set_summary(&run->results[0], 5, 2.0, 0.5);
  assert_null(run->results[0].samples);
  assert_int_equal(bg_run_validate(run, &e), BG_OK);
  bg_run_free(run);
  bg_run_free(NULL);
}

static void rejects_members_given_twice(void **state) {
  (void)state;
  /* Two readers of one payload must not disagree on what it says: a member the run model
   * reads may appear once. Unknown members are ignored, duplicates included. */
  expect_full_error("\"run_id\":", "\"run_id\":\"x\",\"run_id\":", "run_id");
  expect_full_error("\"branch\":\"main\",\"parents\"",
                    "\"branch\":\"main\",\"branch\":\"dev\",\"parents\"", "commit.branch");
  expect_full_error("\"pull_request\":42", "\"pull_request\":42,\"pull_request\":43",
                    "pull_request");
  expect_full_error("\"thresholds\":{", "\"thresholds\":{},\"thresholds\":{", "thresholds");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[1],"
                      "\"samples\":[2]}]",
                      "results[0].samples");
  expect_result_error("[{\"benchmark\":\"a\",\"benchmark\":\"b\",\"measure\":\"wall_time\","
                      "\"samples\":[1]}]",
                      "results[0].benchmark");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                      "\"summary\":{\"n\":3,\"mean\":1,\"mean\":2,\"stddev\":1}}]",
                      "results[0].summary.mean");
  char *p = payload_with_results("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                                 "\"samples\":[1],\"x\":1,\"x\":2}]");
  struct bg_run *run = NULL;
  assert_int_equal(bg_run_from_json(p, strlen(p), &run, NULL), BG_OK);
  bg_run_free(run);
  free(p);
}

static void rejects_nul_characters_in_strings(void **state) {
  (void)state;
  expect_full_error("\"branch\":\"main\"", "\"branch\":\"main\\u0000x\"", "commit.branch");
  expect_full_error("\"warnings\":[\"load", "\"warnings\":[\"\\u0000load", "warnings[0]");
  expect_full_error("\"cpu_model\":\"x\"", "\"cpu_model\":\"x\\u0000\"", "testbed.fingerprint");
  expect_result_error("[{\"benchmark\":\"a\\u0000b\",\"measure\":\"wall_time\",\"samples\":[1]}]",
                      "results[0].benchmark");
}

static void rejects_text_that_is_not_strict_json(void **state) {
  (void)state;
  char *p = payload_with_results("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                                 "\"samples\":[1]}]");
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_printf(&b, "%s x", p);
  expect_error(b.data, BG_EPARSE, ""); /* text after the document */
  bg_buf_reset(&b);
  bg_buf_printf(&b, "%s", p);
  char *tab = strstr(b.data, "\"a\"");
  tab[1] = '\t'; /* a raw control character inside a string */
  expect_error(b.data, BG_EPARSE, "");
  bg_buf_free(&b);
  free(p);
  p = payload_with_results("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[01]}]");
  expect_error(p, BG_EPARSE, ""); /* a leading zero */
  free(p);
}

static void reads_samples_exactly_and_in_mixed_arrays(void **state) {
  (void)state;
  char *p = payload_with_results("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                                 "\"samples\":[0.1,1832.1000000000001,5e-324,"
                                 "1.7976931348623157e308,-0]}]");
  struct bg_run *run = NULL;
  assert_int_equal(bg_run_from_json(p, strlen(p), &run, NULL), BG_OK);
  const double want[] = {0.1, 1832.1000000000001, 5e-324, 1.7976931348623157e308, -0.0};
  assert_int_equal(run->results[0].nsamples, 5);
  assert_memory_equal(run->results[0].samples, want, sizeof want);
  bg_run_free(run);
  free(p);
  /* A sample of the wrong type after numbers is named by its index. */
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                      "\"samples\":[1,2,true,4]}]",
                      "results[0].samples[2]");
  expect_result_error("[{\"benchmark\":\"a\",\"measure\":\"wall_time\","
                      "\"samples\":[1,2,[3]]}]",
                      "results[0].samples[2]");
}

static void reads_results_from_cjson_like_the_payload(void **state) {
  (void)state;
  cJSON *a = cJSON_Parse("[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[0.1,2]},"
                         "{\"benchmark\":\"b\",\"measure\":\"frobs\",\"unit\":\"x\","
                         "\"direction\":\"higher\",\"summary\":{\"n\":3,\"mean\":1,"
                         "\"stddev\":0.5}}]");
  struct bg_run *run = bg_run_new();
  struct bg_ferr e;
  assert_int_equal(bg_run_results_from_cjson(run, a, "results", &e), BG_OK);
  assert_int_equal(run->nresults, 2);
  assert_true(run->results[0].samples[0] == 0.1);
  assert_int_equal(run->results[1].n, 3);
  assert_int_equal(run->results[1].direction, BG_HIGHER);
  cJSON_Delete(a);
  /* A non-finite number in a cJSON tree is still named. */
  a = cJSON_Parse("[{\"benchmark\":\"c\",\"measure\":\"wall_time\",\"samples\":[1,2]}]");
  cJSON_ReplaceItemInArray(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "samples"), 1,
                           cJSON_CreateNumber(NAN));
  assert_int_equal(bg_run_results_from_cjson(run, a, "results", &e), BG_EINVAL);
  assert_string_equal(e.field, "results[0].samples[1]");
  cJSON_Delete(a);
  a = cJSON_CreateObject();
  assert_int_equal(bg_run_results_from_cjson(run, a, "results", &e), BG_EINVAL);
  assert_string_equal(e.field, "results");
  cJSON_Delete(a);
  bg_run_free(run);
}

/* A minimal valid payload with `members` (JSON text, e.g. "\"thresholds\":{}") added at the
 * end of its top-level object; members that start with "testbed" or "commit" replace the
 * payload's own. */
static char *payload_with(const char *members) {
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_printf(&b, "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"%s\",", UUID);
  if (strncmp(members, "\"commit\"", 8) != 0)
    bg_buf_printf(&b, "\"commit\":{\"sha\":\"%s\",\"branch\":\"main\"},", SHA1);
  if (strncmp(members, "\"testbed\"", 9) != 0)
    bg_buf_puts(&b, "\"testbed\":{\"name\":\"tb\"},");
  bg_buf_printf(&b,
                "\"results\":[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[1]}],"
                "%s}",
                members);
  return bg_buf_steal(&b);
}

static void expect_members_error(const char *members, const char *field) {
  char *p = payload_with(members);
  expect_error(p, BG_EINVAL, field);
  free(p);
}

static void expect_members_ok(const char *members) {
  char *p = payload_with(members);
  struct bg_run *run = NULL;
  struct bg_ferr e;
  int rc = bg_run_from_json(p, strlen(p), &run, &e);
  if (rc)
    fprintf(stderr, "payload: %s\n got rc %d field '%s' message '%s'\n", p, rc, e.field, e.message);
  assert_int_equal(rc, BG_OK);
  bg_run_free(run);
  free(p);
}

static void rejects_malformed_thresholds_naming_the_member(void **state) {
  (void)state;
  static const struct {
    const char *thresholds, *field;
  } bad[] = {
      {"{\"colour\":1}", "thresholds.colour"},
      {"{\"default\":{\"min_effect\":\"0.05\"}}", "thresholds.default.min_effect"},
      {"{\"default\":{\"min_effect\":-0.1}}", "thresholds.default.min_effect"},
      {"{\"default\":{\"min_effect\":1e308}}", "thresholds.default.min_effect"},
      {"{\"default\":{\"min_effect\":10.5}}", "thresholds.default.min_effect"},
      {"{\"default\":{\"min_effect\":true}}", "thresholds.default.min_effect"},
      {"{\"default\":{\"min_efect\":0.1}}", "thresholds.default.min_efect"},
      {"{\"default\":[]}", "thresholds.default"},
      {"{\"default\":{\"min_effect\":0.1},\"default\":{\"min_effect\":0.2}}", "thresholds.default"},
      {"{\"rules\":{\"match\":\"a\"}}", "thresholds.rules"},
      {"{\"rules\":[7]}", "thresholds.rules[0]"},
      {"{\"rules\":[{\"min_effect\":0.1}]}", "thresholds.rules[0].match"},
      {"{\"rules\":[{\"match\":\"\"}]}", "thresholds.rules[0].match"},
      {"{\"rules\":[{\"match\":7}]}", "thresholds.rules[0].match"},
      {"{\"rules\":[{\"match\":\"a\\u0001b\"}]}", "thresholds.rules[0].match"},
      {"{\"rules\":[{\"match\":\"a\",\"measure\":\"Wall Time\"}]}", "thresholds.rules[0].measure"},
      {"{\"rules\":[{\"match\":\"a\",\"measure\":5}]}", "thresholds.rules[0].measure"},
      {"{\"rules\":[{\"match\":\"a\",\"ignore\":\"yes\"}]}", "thresholds.rules[0].ignore"},
      {"{\"rules\":[{\"match\":\"a\",\"colour\":\"red\"}]}", "thresholds.rules[0].colour"},
      {"{\"rules\":[{\"match\":\"a\"},{\"match\":\"b\"},{\"match\":\"c\",\"min_effect\":\"2%\"}]}",
       "thresholds.rules[2].min_effect"},
      {"{\"rules\":[{\"match\":\"a\"},{\"match\":\"b\"},{\"match\":\"c\",\"min_effect\":0.1,"
       "\"min_effect\":0.2}]}",
       "thresholds.rules[2].min_effect"},
      {"[]", "thresholds"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char m[512];
    snprintf(m, sizeof m, "\"thresholds\":%s", bad[i].thresholds);
    expect_members_error(m, bad[i].field);
  }
  /* The edges of what is accepted. */
  expect_members_ok("\"thresholds\":{}");
  expect_members_ok("\"thresholds\":null");
  expect_members_ok("\"thresholds\":{\"rules\":[]}");
  expect_members_ok("\"thresholds\":{\"default\":{\"min_effect\":0},\"rules\":[{\"match\":\"a\","
                    "\"measure\":\"wall_time\",\"min_effect\":10},{\"match\":\"b*\",\"ignore\":"
                    "false}]}");
  /* At most BG_GATE_MAX_RULES (64) rules. */
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "\"thresholds\":{\"rules\":[");
  for (int i = 0; i < 64; i++)
    bg_buf_printf(&b, "%s{\"match\":\"b%d\",\"min_effect\":0.1}", i ? "," : "", i);
  bg_buf_puts(&b, "]}");
  expect_members_ok(b.data);
  b.len -= 2;
  bg_buf_puts(&b, ",{\"match\":\"one too many\"}]}");
  expect_members_error(b.data, "thresholds.rules");
  /* A match of at most BG_GATE_MAX_MATCH (256) bytes. */
  char m[400], pat[300];
  memset(pat, 'x', 256);
  pat[256] = '\0';
  snprintf(m, sizeof m, "\"thresholds\":{\"rules\":[{\"match\":\"%s\",\"ignore\":true}]}", pat);
  expect_members_ok(m);
  pat[256] = 'x';
  pat[257] = '\0';
  snprintf(m, sizeof m, "\"thresholds\":{\"rules\":[{\"match\":\"%s\",\"ignore\":true}]}", pat);
  expect_members_error(m, "thresholds.rules[0].match");
  bg_buf_free(&b);
}

static void rejects_invalid_utf8_in_every_string(void **state) {
  (void)state;
  static const struct {
    const char *members, *field;
  } bad[] = {
      /* a lone continuation byte, a truncated sequence, an overlong '/', a surrogate */
      {"\"testbed\":{\"name\":\"tb\",\"fingerprint\":{\"cpu_model\":\"x\xff\"}}",
       "testbed.fingerprint.cpu_model"},
      {"\"testbed\":{\"name\":\"tb\",\"fingerprint\":{\"cpu_model\":\"x\xc3\"}}",
       "testbed.fingerprint.cpu_model"},
      {"\"testbed\":{\"name\":\"tb\",\"fingerprint\":{\"kernel\":\"\xc0\xaf\"}}",
       "testbed.fingerprint.kernel"},
      {"\"testbed\":{\"name\":\"tb\",\"fingerprint\":{\"kernel\":\"\xed\xa0\x80\"}}",
       "testbed.fingerprint.kernel"},
      {"\"testbed\":{\"name\":\"tb\",\"fingerprint\":{\"caches\":[{\"l\":1},{\"name\":\"L1\x80\"}]"
       "}}",
       "testbed.fingerprint.caches[1].name"},
      {"\"testbed\":{\"name\":\"tb\",\"fingerprint\":{\"ok\":1,\"k\xff\":1}}",
       "testbed.fingerprint"},
      {"\"thresholds\":{\"rules\":[{\"match\":\"BM_\xff*\"}]}", "thresholds.rules[0].match"},
      {"\"thresholds\":{\"rules\":[{\"match\":\"a\",\"\xfe\":1}]}", "thresholds.rules[0]"},
      {"\"commit\":{\"sha\":\"" SHA1 "\",\"branch\":\"main\",\"message\":\"\xff\"}",
       "commit.message"},
      {"\"agent\":{\"name\":\"b\xff\"}", "agent.name"},
      {"\"warnings\":[\"ok\",\"\xff\"]", "warnings[1]"},
      /* members the model does not read are part of the JSON text too */
      {"\"extra\":{\"note\":[\"\xff\"]}", "extra.note[0]"},
      {"\"\xff\":1", ""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    expect_members_error(bad[i].members, bad[i].field);
  /* Valid multi-byte text passes everywhere. */
  expect_members_ok("\"testbed\":{\"name\":\"tb\",\"fingerprint\":{\"cpu_model\":\"Ryzen™ 7\","
                    "\"größe\":[\"𝄞\"]}},\"extra\":\"é\"");
}

static void error_fields_stay_utf8_when_cut_at_their_length_limit(void **state) {
  (void)state;
  /* An unknown member named with 200 two-byte characters: its field name is longer than the
   * error's field buffer (256 bytes) and must not end in half a character. */
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "\"thresholds\":{\"rules\":[{\"match\":\"a\",\"");
  for (int i = 0; i < 200; i++)
    bg_buf_puts(&b, "\xc3\xa9");
  bg_buf_puts(&b, "\":1}]}");
  char *p = payload_with(b.data);
  struct bg_run *run = NULL;
  struct bg_ferr e;
  assert_int_equal(bg_run_from_json(p, strlen(p), &run, &e), BG_EINVAL);
  assert_true(strncmp(e.field, "thresholds.rules[0].\xc3\xa9", 22) == 0);
  assert_true(bg_valid_utf8(e.field, strlen(e.field)));
  assert_true(bg_valid_utf8(e.message, strlen(e.message)));
  free(p);
  bg_buf_free(&b);
}

static void rejects_a_run_without_results(void **state) {
  (void)state;
  expect_result_error("[]", "results");
}

static void validating_a_built_run_agrees_with_upload(void **state) {
  (void)state;
  /* The agent builds runs through the model and checks them with bg_run_validate before
   * uploading: the same rules must hold there. */
  struct bg_run *run = bg_run_new();
  struct bg_ferr e;
  bg_run_set(&run->run_id, UUID);
  bg_run_set(&run->commit.sha, SHA1);
  bg_run_set(&run->commit.branch, "main");
  bg_run_set(&run->testbed, "tb");
  assert_int_equal(bg_run_validate(run, &e), BG_EINVAL);
  assert_string_equal(e.field, "results");
  bg_result_add_sample(bg_run_add_result(run, "a", "wall_time", "ns", BG_LOWER), 1);
  assert_int_equal(bg_run_validate(run, &e), BG_OK);
  run->fingerprint = cJSON_Parse("{\"cpus\":2,\"flags\":[\"sse\"]}");
  cJSON_AddItemToArray(cJSON_GetObjectItem(run->fingerprint, "flags"),
                       cJSON_CreateString("avx\xff"));
  assert_int_equal(bg_run_validate(run, &e), BG_EINVAL);
  assert_string_equal(e.field, "testbed.fingerprint.flags[1]");
  cJSON_Delete(run->fingerprint);
  run->fingerprint = NULL;
  run->thresholds = cJSON_Parse("{\"rules\":[{\"match\":\"a\"},{\"match\":\"b\",\"ignore\":1}]}");
  assert_int_equal(bg_run_validate(run, &e), BG_EINVAL);
  assert_string_equal(e.field, "thresholds.rules[1].ignore");
  bg_run_free(run);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parses_full_example),
      cmocka_unit_test(parses_minimal_payload_with_defaults_from_known_measures),
      cmocka_unit_test(serialises_and_parses_back_identically),
      cmocka_unit_test(rejects_malformed_json_with_offset),
      cmocka_unit_test(rejects_non_object_and_wrong_schema),
      cmocka_unit_test(rejects_missing_required_fields),
      cmocka_unit_test(rejects_bad_identity_fields),
      cmocka_unit_test(rejects_bad_names_and_units),
      cmocka_unit_test(accepts_unicode_benchmark_names_up_to_1024_bytes),
      cmocka_unit_test(rejects_non_finite_and_non_numeric_samples),
      cmocka_unit_test(enforces_sample_count_limits),
      cmocka_unit_test(enforces_result_count_limit),
      cmocka_unit_test(validates_summaries),
      cmocka_unit_test(rejects_duplicate_benchmark_measure),
      cmocka_unit_test(builds_runs_through_the_model_api),
      cmocka_unit_test(rejects_members_given_twice),
      cmocka_unit_test(rejects_nul_characters_in_strings),
      cmocka_unit_test(rejects_text_that_is_not_strict_json),
      cmocka_unit_test(reads_samples_exactly_and_in_mixed_arrays),
      cmocka_unit_test(reads_results_from_cjson_like_the_payload),
      cmocka_unit_test(rejects_malformed_thresholds_naming_the_member),
      cmocka_unit_test(rejects_invalid_utf8_in_every_string),
      cmocka_unit_test(error_fields_stay_utf8_when_cut_at_their_length_limit),
      cmocka_unit_test(rejects_a_run_without_results),
      cmocka_unit_test(validating_a_built_run_agrees_with_upload),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
