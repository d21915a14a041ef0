/* test_config.c: benchgate.yml and agent.yml parsing: keys, defaults, and errors with lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "gate_thresholds.h"

#include <stdio.h>
#include <string.h>

static struct bg_config *ok(const char *yml) {
  struct bg_config *c = NULL;
  char err[512];
  int rc = bg_config_parse(yml, strlen(yml), "benchgate.yml", &c, err, sizeof err);
  if (rc != BG_OK)
    fail_msg("unexpected error: %s", err);
  assert_non_null(c);
  return c;
}

/* Parses text that must fail; checks the code and that err contains `expect`. */
static void bad(const char *yml, int code, const char *expect) {
  struct bg_config *c = (struct bg_config *)1;
  char err[512] = "";
  int rc = bg_config_parse(yml, strlen(yml), "benchgate.yml", &c, err, sizeof err);
  assert_null(c);
  if (rc != code || !strstr(err, expect))
    fail_msg("expected rc %d and '%s', got rc %d and '%s'", code, expect, rc, err);
}

static void reads_every_key(void **state) {
  (void)state;
  struct bg_config *c = ok("project: acme\n"
                           "server: https://bench.example.org\n"
                           "testbed: epyc-pinned\n"
                           "cpus: [1, 3]\n"
                           "build: cmake -B build && cmake --build build\n"
                           "clean_env: true\n"
                           "suites:\n"
                           "  - name: micro\n"
                           "    format: native\n"
                           "    command: ./bench --json\n"
                           "    output: out.json\n"
                           "    repetitions: 3\n"
                           "    warmup: 2\n"
                           "    timeout: 30\n"
                           "    cwd: build\n"
                           "  - name: cli\n"
                           "    command: |\n"
                           "      ./tool a\n"
                           "      ./tool b\n"
                           "    repetitions: 20\n"
                           "    measures: [wall_time, max_rss]\n"
                           "thresholds:\n"
                           "  default: {min_effect: 0.02}\n"
                           "  rules:\n"
                           "    - {match: \"BM_Parse/*\", measure: wall_time, min_effect: 0.05}\n"
                           "    - {match: \"flaky_*\", ignore: true}\n"
                           "    - {match: \"control_*\", control: true}\n");
  assert_string_equal(c->project, "acme");
  assert_string_equal(c->server, "https://bench.example.org");
  assert_string_equal(c->testbed, "epyc-pinned");
  assert_int_equal(c->ncpus, 2);
  assert_int_equal(c->cpus[0], 1);
  assert_int_equal(c->cpus[1], 3);
  assert_string_equal(c->build, "cmake -B build && cmake --build build");
  assert_int_equal(c->clean_env, 1);
  assert_int_equal(c->nsuites, 2);
  const struct bg_suite *m = bg_config_find_suite(c, "micro");
  assert_non_null(m);
  assert_string_equal(m->format, "native");
  assert_string_equal(m->command, "./bench --json");
  assert_string_equal(m->output, "out.json");
  assert_string_equal(m->cwd, "build");
  assert_int_equal(m->repetitions, 3);
  assert_int_equal(m->warmup, 2);
  assert_int_equal(m->timeout, 30);
  assert_int_equal(m->nmeasures, 0);
  const struct bg_suite *s = &c->suites[1];
  assert_string_equal(s->command, "./tool a\n./tool b\n");
  assert_int_equal(s->repetitions, 20);
  assert_int_equal(s->nmeasures, 2);
  assert_string_equal(s->measures[1], "max_rss");
  char *th = cJSON_PrintUnformatted(c->thresholds);
  assert_string_equal(th, "{\"default\":{\"min_effect\":0.02},\"rules\":[{\"match\":\"BM_Parse/*\","
                          "\"measure\":\"wall_time\",\"min_effect\":0.05},{\"match\":\"flaky_*\","
                          "\"ignore\":true},{\"match\":\"control_*\",\"control\":true}]}");
  cJSON_free(th);
  /* What the agent sends is what the server reads: the control flag arrives. */
  struct bg_gate_thresholds *gt;
  struct bg_gate_threshold one;
  assert_int_equal(bg_gate_thresholds_parse(c->thresholds, &gt, NULL), BG_OK);
  bg_gate_thresholds_get(gt, "control_memcpy", "wall_time", &one);
  assert_int_equal(one.control, 1);
  bg_gate_thresholds_get(gt, "flaky_x", "wall_time", &one);
  assert_true(one.ignored && !one.control);
  bg_gate_thresholds_free(gt);
  bg_config_free(c);
}

static void fills_defaults(void **state) {
  (void)state;
  struct bg_config *c = ok("project: acme\nsuites:\n  - name: cli\n    command: ./tool\n"
                           "  - name: h\n    format: native\n    command: ./h\n");
  assert_null(c->server);
  assert_null(c->testbed);
  assert_null(c->build);
  assert_null(c->thresholds);
  assert_int_equal(c->ncpus, 0);
  assert_int_equal(c->clean_env, 0);
  const struct bg_suite *s = &c->suites[0];
  assert_null(s->format);
  assert_int_equal(s->repetitions, 10);
  assert_int_equal(s->warmup, 1);
  assert_int_equal(s->timeout, 600);
  assert_int_equal(s->nmeasures, 3);
  assert_string_equal(s->measures[0], "wall_time");
  assert_string_equal(s->measures[1], "cpu_time");
  assert_string_equal(s->measures[2], "max_rss");
  assert_int_equal(c->suites[1].repetitions, 1);
  assert_int_equal(c->suites[1].warmup, 0);
  assert_int_equal(c->suites[0].line, 3);
  bg_config_free(c);
}

static void rejects_unknown_key_with_its_line(void **state) {
  (void)state;
  bad("project: acme\nsuites:\n  - name: cli\n    command: x\n    repetition: 5\n", BG_EINVAL,
      "benchgate.yml:5: suites[0].repetition: unknown key");
  bad("project: acme\nsevrer: http://x\nsuites:\n  - {name: a, command: b}\n", BG_EINVAL,
      "benchgate.yml:2: sevrer: unknown key");
  bad("project: acme\nsuites:\n  - {name: a, command: b}\nthresholds:\n  default: {min: 1}\n",
      BG_EINVAL, "benchgate.yml:5: thresholds.default.min: unknown key");
}

static void rejects_wrong_types_naming_field_and_line(void **state) {
  (void)state;
  const char *head = "project: acme\nsuites:\n  - name: a\n    command: b\n";
  char y[512];
  snprintf(y, sizeof y, "%s  - name: c\n    command: d\n    repetitions: many\n", head);
  bad(y, BG_EINVAL, "benchgate.yml:7: suites[1].repetitions: must be an integer 1..100000");
  snprintf(y, sizeof y, "%s  - name: c\n    command: d\n    repetitions: 0\n", head);
  bad(y, BG_EINVAL, "suites[1].repetitions: must be an integer 1..100000");
  snprintf(y, sizeof y, "%s  - name: c\n    command: d\n    repetitions: \"5\"\n", head);
  bad(y, BG_EINVAL, "suites[1].repetitions: must be an integer");
  snprintf(y, sizeof y, "%s  - name: c\n    command: [d]\n", head);
  bad(y, BG_EINVAL, "benchgate.yml:6: suites[1].command: must be a string, not a list");
  snprintf(y, sizeof y, "%scpus: [0, x]\n", head);
  bad(y, BG_EINVAL, "benchgate.yml:5: cpus[1]: must be an integer");
  snprintf(y, sizeof y, "%scpus: [0, 0]\n", head);
  bad(y, BG_EINVAL, "cpus[1]: CPU 0 is listed twice");
  snprintf(y, sizeof y, "%sclean_env: perhaps\n", head);
  bad(y, BG_EINVAL, "benchgate.yml:5: clean_env: must be true or false");
  snprintf(y, sizeof y, "%sthresholds: {default: {min_effect: -1}}\n", head);
  bad(y, BG_EINVAL, "thresholds.default.min_effect: must be a number 0..10");
  snprintf(y, sizeof y, "%sthresholds: {rules: [{match: x}]}\n", head);
  bad(y, BG_EINVAL, "thresholds.rules[0]: needs min_effect, ignore or control");
  snprintf(y, sizeof y, "%sthresholds: {rules: [{match: x, control: maybe}]}\n", head);
  bad(y, BG_EINVAL, "benchgate.yml:5: thresholds.rules[0].control: must be true or false");
  snprintf(y, sizeof y, "%sthresholds: {rules: [{min_effect: 0.1}]}\n", head);
  bad(y, BG_EINVAL, "thresholds.rules[0]: match: required");
  snprintf(y, sizeof y, "%s    measures: [wall_time, bogus]\n", head);
  bad(y, BG_EINVAL, "benchgate.yml:5: suites[0].measures[1]: unknown measure");
  snprintf(y, sizeof y, "%s    format: nosuch\n", head);
  bad(y, BG_EINVAL, "suites[0].format: unknown format 'nosuch'");
  snprintf(y, sizeof y, "%s    format: native\n    measures: [wall_time]\n", head);
  bad(y, BG_EINVAL, "measures: only for command suites");
  snprintf(y, sizeof y, "%s    output: x.json\n", head);
  bad(y, BG_EINVAL, "output: only for suites with a format");
  snprintf(y, sizeof y, "%s  - name: a\n    command: c\n", head);
  bad(y, BG_EINVAL, "benchgate.yml:5: suites[1]: name: 'a' is already the name of suites[0]");
  bad("project: Acme!\nsuites: [{name: a, command: b}]\n", BG_EINVAL,
      "benchgate.yml:1: project: must be a project slug");
  bad("project: acme\nserver: ftp://x\nsuites: [{name: a, command: b}]\n", BG_EINVAL,
      "benchgate.yml:2: server: must be an http:// or https:// URL");
  bad("project: acme\nproject: b\nsuites: [{name: a, command: b}]\n", BG_EINVAL,
      "benchgate.yml:2: project: duplicate key");
}

static void requires_project_and_suites(void **state) {
  (void)state;
  bad("suites: [{name: a, command: b}]\n", BG_EINVAL, "project: required");
  bad("project: acme\n", BG_EINVAL, "suites: required");
  bad("project: acme\nsuites: []\n", BG_EINVAL, "suites: must be a non-empty list");
  bad("project: acme\nsuites: [{name: a}]\n", BG_EINVAL, "suites[0]: command: required");
  bad("project: acme\nsuites: [{command: a}]\n", BG_EINVAL, "suites[0]: name: required");
}

static void rejects_empty_file(void **state) {
  (void)state;
  bad("", BG_EINVAL, "benchgate.yml:1: empty file");
  bad("# only a comment\n", BG_EINVAL, "empty file");
  bad("- a list\n", BG_EINVAL, "must be a mapping, not a list");
}

static void reports_yaml_syntax_errors_with_line(void **state) {
  (void)state;
  bad("project: acme\nsuites:\n  - name: a\n    command: \"unterminated\n", BG_EPARSE,
      "YAML syntax error");
  bad("project: acme\nsuites:\n  - name: a\n   command: b\n", BG_EPARSE, "benchgate.yml:4:");
}

static void load_names_missing_file(void **state) {
  (void)state;
  struct bg_config *c;
  char err[512];
  assert_int_equal(bg_config_load("/nonexistent/benchgate.yml", &c, err, sizeof err), BG_EIO);
  assert_null(c);
  assert_non_null(strstr(err, "/nonexistent/benchgate.yml: cannot read"));
}

static void reads_agent_yml(void **state) {
  (void)state;
  const char *y = "server: https://bench.example.org\n"
                  "testbed: epyc-pinned\n"
                  "cpus: [1]\n"
                  "workdir: /var/lib/benchgate-agent\n"
                  "name: bench-01\n"
                  "projects:\n"
                  "  acme: {repository: https://github.com/acme/acme.git}\n"
                  "  other: {repository: /srv/other.git, config: bench/benchgate.yml}\n";
  struct bg_agent_config *a;
  char err[512];
  assert_int_equal(bg_agent_config_parse(y, strlen(y), "agent.yml", &a, err, sizeof err), BG_OK);
  assert_string_equal(a->server, "https://bench.example.org");
  assert_string_equal(a->testbed, "epyc-pinned");
  assert_int_equal(a->ncpus, 1);
  assert_string_equal(a->workdir, "/var/lib/benchgate-agent");
  assert_string_equal(a->name, "bench-01");
  assert_int_equal(a->nprojects, 2);
  assert_string_equal(a->projects[0].name, "acme");
  assert_string_equal(a->projects[0].repository, "https://github.com/acme/acme.git");
  assert_string_equal(a->projects[0].config, "benchgate.yml");
  assert_string_equal(a->projects[1].config, "bench/benchgate.yml");
  bg_agent_config_free(a);

  const char *b = "server: https://x\ntestbed: t\nworkdir: /w\nprojects:\n  acme: {repo: x}\n";
  assert_int_equal(bg_agent_config_parse(b, strlen(b), "agent.yml", &a, err, sizeof err),
                   BG_EINVAL);
  assert_non_null(strstr(err, "agent.yml:5: projects.acme.repo: unknown key"));
  const char *m = "server: https://x\ntestbed: t\n";
  assert_int_equal(bg_agent_config_parse(m, strlen(m), "agent.yml", &a, err, sizeof err),
                   BG_EINVAL);
  assert_non_null(strstr(err, "workdir: required"));
  const char *n = "server: https://x\ntestbed: t\nworkdir: /w\nname: bench 01\n";
  assert_int_equal(bg_agent_config_parse(n, strlen(n), "agent.yml", &a, err, sizeof err),
                   BG_EINVAL);
  assert_non_null(strstr(err, "agent.yml:4: name: must match"));
}

/* Parses every fenced block of docs/config.md opened with "```yaml <file>" with that file's
 * parser; returns how many there were. The doc's examples must be accepted as they stand. */
static int parse_doc_examples(const char *doc, const char *file) {
  char open[64];
  int n = 0;
  snprintf(open, sizeof open, "```yaml %s\n", file);
  for (const char *p = strstr(doc, open); p; p = strstr(p, open)) {
    const char *start = p + strlen(open);
    const char *end = strstr(start, "\n```");
    assert_non_null(end);
    size_t len = (size_t)(end - start) + 1;
    char err[512] = "";
    int rc;
    if (!strcmp(file, "agent.yml")) {
      struct bg_agent_config *a = NULL;
      rc = bg_agent_config_parse(start, len, file, &a, err, sizeof err);
      bg_agent_config_free(a);
    } else {
      struct bg_config *c = NULL;
      rc = bg_config_parse(start, len, file, &c, err, sizeof err);
      bg_config_free(c);
    }
    if (rc != BG_OK)
      fail_msg("docs/config.md, example %d of %s: %s", n + 1, file, err);
    n++;
    p = end;
  }
  return n;
}

static void documented_examples_parse(void **state) {
  (void)state;
  struct bg_buf doc;
  bg_buf_init(&doc, 1u << 20);
  assert_int_equal(bg_buf_read_file(&doc, BG_SOURCE_DIR "/docs/config.md"), BG_OK);
  assert_true(parse_doc_examples(doc.data, "benchgate.yml") >= 2);
  assert_true(parse_doc_examples(doc.data, "agent.yml") >= 1);
  bg_buf_free(&doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reads_every_key),
      cmocka_unit_test(fills_defaults),
      cmocka_unit_test(rejects_unknown_key_with_its_line),
      cmocka_unit_test(rejects_wrong_types_naming_field_and_line),
      cmocka_unit_test(requires_project_and_suites),
      cmocka_unit_test(rejects_empty_file),
      cmocka_unit_test(reports_yaml_syntax_errors_with_line),
      cmocka_unit_test(load_names_missing_file),
      cmocka_unit_test(reads_agent_yml),
      cmocka_unit_test(documented_examples_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
