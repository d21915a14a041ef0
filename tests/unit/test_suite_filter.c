/* test_suite_filter.c: a confirmation's narrowed command (suite_filter.h) and the `filter`
 * key of benchgate.yml: the regex of exactly the names asked for, metacharacters escaped,
 * renamed results selected by both names, quoting for /bin/sh, the gbench default, `none`,
 * and the errors that name the key. The commands are also run through /bin/sh, so the
 * quoting is checked by the shell itself, not by a second reading of the same rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "error.h"
#include "suite_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct bg_config *parse(const char *yml, char *err, size_t errlen) {
  struct bg_config *c = NULL;
  bg_config_parse(yml, strlen(yml), "benchgate.yml", &c, err, errlen);
  return c;
}

static struct bg_config *suite(const char *format, const char *filter) {
  char yml[1024], err[512] = "";
  snprintf(yml, sizeof yml,
           "project: p\nsuites:\n  - name: micro\n    command: ./bench --x\n%s%s%s%s%s",
           format ? "    format: " : "", format ? format : "", format ? "\n" : "",
           filter ? "    filter: " : "", filter ? filter : "");
  struct bg_config *c = parse(yml, err, sizeof err);
  if (!c)
    fail_msg("unexpected error: %s", err);
  return c;
}

/* What /bin/sh makes of cmd's filter word: printed by printf between brackets. */
static void last_word(const char *cmd, char *out, size_t len) {
  /* The quoted word starts after "./bench --x ". */
  const char *word = cmd + strlen("./bench --x ");
  char sh[4096];
  snprintf(sh, sizeof sh, "printf '[%%s]' %s", word);
  FILE *p = popen(sh, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, len - 1, p);
  out[n] = '\0';
  pclose(p);
}

static void gbench_default_selects_exactly_the_names(void **state) {
  (void)state;
  struct bg_config *c = suite("gbench", NULL);
  const char *names[] = {"BM_Hash/4096", "BM_Sort/1024"};
  char *cmd = bg_suite_filter_command(&c->suites[0], names, 2);
  assert_non_null(cmd);
  assert_string_equal(cmd, "./bench --x '--benchmark_filter=^(BM_Hash/4096|BM_Sort/1024)$'");
  char word[512];
  last_word(cmd, word, sizeof word);
  assert_string_equal(word, "[--benchmark_filter=^(BM_Hash/4096|BM_Sort/1024)$]");
  free(cmd);
  bg_config_free(c);
}

static void escapes_metacharacters_and_quotes(void **state) {
  (void)state;
  struct bg_config *c = suite("gbench", NULL);
  const char *names[] = {"a.b*c", "it's (x)+[y]|z$"};
  char *cmd = bg_suite_filter_command(&c->suites[0], names, 2);
  assert_non_null(cmd);
  char word[512];
  last_word(cmd, word, sizeof word);
  assert_string_equal(word, "[--benchmark_filter=^(a\\.b\\*c|it's \\(x\\)\\+\\[y\\]\\|z\\$)$]");
  free(cmd);
  bg_config_free(c);
}

static void renamed_results_are_selected_by_both_names(void **state) {
  (void)state;
  struct bg_config *c = suite("gbench", NULL);
  const char *names[] = {"micro/BM_Fib/18"};
  char *cmd = bg_suite_filter_command(&c->suites[0], names, 1);
  assert_non_null(cmd);
  assert_string_equal(cmd, "./bench --x '--benchmark_filter=^(micro/BM_Fib/18|BM_Fib/18)$'");
  free(cmd);
  bg_config_free(c);
}

static void own_filter_none_and_other_formats(void **state) {
  (void)state;
  const char *names[] = {"t1"};
  struct bg_config *c = suite("native", "\"-k {regex} --fast\"\n");
  char *cmd = bg_suite_filter_command(&c->suites[0], names, 1);
  assert_string_equal(cmd, "./bench --x '-k ^(t1)$ --fast'");
  free(cmd);
  /* No names asked: the whole suite. */
  assert_null(bg_suite_filter_command(&c->suites[0], names, 0));
  bg_config_free(c);
  c = suite("gbench", "none\n");
  assert_null(bg_suite_filter_of(&c->suites[0]));
  assert_null(bg_suite_filter_command(&c->suites[0], names, 1));
  bg_config_free(c);
  c = suite("hyperfine", NULL); /* no default for a harness that cannot select */
  assert_null(bg_suite_filter_command(&c->suites[0], names, 1));
  bg_config_free(c);
}

static void too_long_a_selection_runs_the_whole_suite(void **state) {
  (void)state;
  struct bg_config *c = suite("gbench", NULL);
  enum { N = 2000 };
  char **names = calloc(N, sizeof *names);
  for (size_t i = 0; i < N; i++) {
    names[i] = calloc(64, 1);
    snprintf(names[i], 64, "BM_a_rather_long_benchmark_name_%zu", i);
  }
  assert_null(bg_suite_filter_command(&c->suites[0], (const char *const *)names, N));
  char *some = bg_suite_filter_command(&c->suites[0], (const char *const *)names, 10);
  assert_non_null(some);
  free(some);
  for (size_t i = 0; i < N; i++)
    free(names[i]);
  free(names);
  bg_config_free(c);
}

static void bad_filters_name_the_key(void **state) {
  (void)state;
  char err[512] = "";
  const char *no_regex = "project: p\nsuites:\n  - name: m\n    format: gbench\n"
                         "    command: ./b\n    filter: --benchmark_filter=x\n";
  assert_null(parse(no_regex, err, sizeof err));
  assert_non_null(strstr(err, "benchgate.yml:6: suites[0].filter: must hold {regex} exactly once"));
  const char *twice = "project: p\nsuites:\n  - name: m\n    format: gbench\n"
                      "    command: ./b\n    filter: \"{regex}{regex}\"\n";
  assert_null(parse(twice, err, sizeof err));
  assert_non_null(strstr(err, "suites[0].filter: must hold {regex} exactly once"));
  const char *command_suite = "project: p\nsuites:\n  - name: m\n"
                              "    command: ./b\n    filter: \"-k {regex}\"\n";
  assert_null(parse(command_suite, err, sizeof err));
  assert_non_null(strstr(err, "filter: only for suites with a format"));
  const char *empty = "project: p\nsuites:\n  - name: m\n    format: gbench\n"
                      "    command: ./b\n    filter: \"\"\n";
  assert_null(parse(empty, err, sizeof err));
  assert_non_null(strstr(err, "suites[0].filter: must not be empty"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gbench_default_selects_exactly_the_names),
      cmocka_unit_test(escapes_metacharacters_and_quotes),
      cmocka_unit_test(renamed_results_are_selected_by_both_names),
      cmocka_unit_test(own_filter_none_and_other_formats),
      cmocka_unit_test(too_long_a_selection_runs_the_whole_suite),
      cmocka_unit_test(bad_filters_name_the_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
