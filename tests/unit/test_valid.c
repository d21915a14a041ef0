/* test_valid.c: the naming rules and RFC 3339 timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "valid.h"

#include <string.h>

static void project_slugs(void **state) {
  (void)state;
  assert_true(bg_valid_project("acme"));
  assert_true(bg_valid_project("0a_b-c"));
  assert_true(bg_valid_project("a234567890123456789012345678901234567890123456789012345678901234"));
  assert_false(bg_valid_project("a2345678901234567890123456789012345678901234567890123456789012345"));
  assert_false(bg_valid_project(""));
  assert_false(bg_valid_project("-acme"));
  assert_false(bg_valid_project("_acme"));
  assert_false(bg_valid_project("Acme"));
  assert_false(bg_valid_project("ac me"));
  assert_false(bg_valid_project("ac.me"));
  assert_false(bg_valid_project(NULL));
}

static void testbed_names(void **state) {
  (void)state;
  assert_true(bg_valid_testbed("epyc-pinned"));
  assert_true(bg_valid_testbed("Xeon_E5.v2"));
  assert_false(bg_valid_testbed(""));
  assert_false(bg_valid_testbed("a b"));
  assert_false(bg_valid_testbed("a/b"));
  char longname[80];
  memset(longname, 'a', 65);
  longname[65] = '\0';
  assert_false(bg_valid_testbed(longname));
  longname[64] = '\0';
  assert_true(bg_valid_testbed(longname));
}

static void measures_and_units(void **state) {
  (void)state;
  assert_true(bg_valid_measure("wall_time"));
  assert_true(bg_valid_measure("l1_misses"));
  assert_false(bg_valid_measure("wall-time"));
  assert_false(bg_valid_measure("Wall"));
  assert_false(bg_valid_measure(""));
  assert_true(bg_valid_unit("ns"));
  assert_true(bg_valid_unit("ops/s"));
  assert_false(bg_valid_unit("ops per s"));
  assert_false(bg_valid_unit(""));
  assert_false(bg_valid_unit("\xc2\xb5s")); /* units are ASCII: "us", not the micro sign */
}

static void shas_and_uuids(void **state) {
  (void)state;
  assert_true(bg_valid_sha("0123456789abcdef0123456789abcdef01234567"));
  assert_true(bg_valid_sha("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  assert_false(bg_valid_sha("0123456789abcdef0123456789abcdef0123456"));
  assert_false(bg_valid_sha("0123456789ABCDEF0123456789abcdef01234567"));
  assert_false(bg_valid_sha("g123456789abcdef0123456789abcdef01234567"));
  assert_true(bg_valid_uuid("0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b11"));
  assert_true(bg_valid_uuid("0F9C4F0E-8D7A-4A53-9F76-2C1F9D1E6B11"));
  assert_false(bg_valid_uuid("0f9c4f0e8d7a-4a53-9f76-2c1f9d1e6b11-"));
  assert_false(bg_valid_uuid("0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b1"));
  assert_false(bg_valid_uuid("0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6bxx"));
}

static void branches(void **state) {
  (void)state;
  assert_true(bg_valid_branch("main"));
  assert_true(bg_valid_branch("feature/new-parser"));
  assert_true(bg_valid_branch("dependabot/npm_and_yarn/x-1.2.3"));
  const char *bad[] = {"", "-x", "/x", "x/", "a..b", "a b", "a~1", "a^", "a:b", "a?", "a*",
                       "a[", "a\\b", "x.lock", "a//b", "a@{1}", "x."};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (bg_valid_branch(bad[i]))
      fail_msg("accepted branch '%s'", bad[i]);
  }
}

static void github_repos(void **state) {
  (void)state;
  assert_true(bg_valid_github_repo("acme/acme"));
  assert_true(bg_valid_github_repo("my-org/my.repo_1"));
  assert_false(bg_valid_github_repo("acme"));
  assert_false(bg_valid_github_repo("a/b/c"));
  assert_false(bg_valid_github_repo("/b"));
  assert_false(bg_valid_github_repo("a/"));
  assert_false(bg_valid_github_repo("a b/c"));
}

static void text_is_utf8_without_controls(void **state) {
  (void)state;
  assert_true(bg_valid_text("caf\xc3\xa9", 5, 0));
  assert_true(bg_valid_text("\xf0\x9f\x9a\x80", 4, 0));  /* U+1F680 */
  assert_false(bg_valid_text("\xc0\xaf", 2, 0));         /* overlong '/' */
  assert_false(bg_valid_text("\xed\xa0\x80", 3, 0));     /* surrogate U+D800 */
  assert_false(bg_valid_text("\xf4\x90\x80\x80", 4, 0)); /* past U+10FFFF */
  assert_false(bg_valid_text("\xe2\x82", 2, 0));         /* truncated */
  assert_false(bg_valid_text("a\x7f", 2, 0));
  assert_false(bg_valid_text("a\xc2\x85", 3, 0)); /* U+0085 */
  assert_false(bg_valid_text("a\nb", 3, 0));
  assert_true(bg_valid_text("a\nb\tc", 5, 1));
  assert_false(bg_valid_text("a\0b", 3, 1));
}

static void timestamps(void **state) {
  (void)state;
  long long t = 0;
  assert_true(bg_valid_timestamp("1970-01-01T00:00:00Z", &t));
  assert_int_equal(t, 0);
  /* 2026-11-20T12:00:00Z = 1795176000 (date -u -d 2026-11-20T12:00:00Z +%s). */
  assert_true(bg_valid_timestamp("2026-11-20T12:00:00Z", &t));
  assert_int_equal(t, 1795176000LL);
  assert_true(bg_valid_timestamp("2026-11-20T13:30:00.123+01:30", &t));
  assert_int_equal(t, 1795176000LL);
  assert_true(bg_valid_timestamp("2024-02-29T00:00:00Z", &t));
  /* 2000-03-01T00:00:00Z = 951868800 (date -u -d 2000-03-01 +%s). */
  assert_true(bg_valid_timestamp("2000-03-01T00:00:00Z", &t));
  assert_int_equal(t, 951868800LL);
  const char *bad[] = {"", "2026-11-20", "2026-11-20T12:00:00", "2026-11-20T25:00:00Z",
                       "2026-00-20T12:00:00Z", "2026-11-32T12:00:00Z", "2026-11-20T12:00:00Zx",
                       "2026-11-20T12:00:00+0100", "2026-11-20T12:00:00.Z", "20261120T120000Z"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (bg_valid_timestamp(bad[i], &t))
      fail_msg("accepted timestamp '%s'", bad[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(project_slugs),   cmocka_unit_test(testbed_names),
      cmocka_unit_test(measures_and_units), cmocka_unit_test(shas_and_uuids),
      cmocka_unit_test(branches),        cmocka_unit_test(github_repos),
      cmocka_unit_test(text_is_utf8_without_controls), cmocka_unit_test(timestamps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
