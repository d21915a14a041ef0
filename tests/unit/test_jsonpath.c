/* test_jsonpath.c: naming the place where a JSON text stops parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jsonpath.h"

#include <string.h>

/* The path at the first occurrence of `marker` in `text`. */
static const char *path_at(const char *text, const char *marker) {
  static char out[256];
  const char *at = strstr(text, marker);
  assert_non_null(at);
  bg_jsonpath_at(text, strlen(text), (size_t)(at - text), out, sizeof out);
  return out;
}

static void names_a_nan_sample(void **state) {
  (void)state;
  const char *t = "{\"schema\":\"x\",\"results\":[{\"benchmark\":\"a,b]\",\"samples\":[1]},"
                  "{\"benchmark\":\"c\",\"samples\":[1.0, NaN]}]}";
  assert_string_equal(path_at(t, "NaN"), "results[1].samples[1]");
}

static void names_members_and_skips_escaped_quotes(void **state) {
  (void)state;
  const char *t = "{\"commit\":{\"message\":\"say \\\"hi\\\", [ok]\",\"sha\":nope}}";
  assert_string_equal(path_at(t, "nope"), "commit.sha");
  assert_string_equal(path_at("[1,2,x]", "x"), "[2]");
}

static void top_level_and_between_members_name_the_container(void **state) {
  (void)state;
  assert_string_equal(path_at("nope", "nope"), "");
  assert_string_equal(path_at("{\"a\":{\"b\":1, oops}}", "oops"), "a");
  char small[6];
  const char *t = "{\"abcdefgh\":[x]}";
  bg_jsonpath_at(t, strlen(t), (size_t)(strchr(t, 'x') - t), small, sizeof small);
  assert_string_equal(small, "abcde");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(names_a_nan_sample),
      cmocka_unit_test(names_members_and_skips_escaped_quotes),
      cmocka_unit_test(top_level_and_between_members_name_the_container),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
