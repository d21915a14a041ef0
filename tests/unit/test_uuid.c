/* test_uuid.c: version 4 UUIDs are well formed and do not repeat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "uuid.h"
#include "valid.h"

#include <string.h>

static void makes_valid_v4_uuids(void **state) {
  (void)state;
  char u[BG_UUID_LEN + 1];
  for (int i = 0; i < 100; i++) {
    assert_int_equal(bg_uuid_v4(u), 0);
    assert_int_equal(strlen(u), BG_UUID_LEN);
    assert_true(bg_valid_uuid(u));
    assert_int_equal(u[14], '4');
    assert_non_null(strchr("89ab", u[19]));
  }
}

static void does_not_repeat(void **state) {
  (void)state;
  static char seen[1000][BG_UUID_LEN + 1];
  for (int i = 0; i < 1000; i++) {
    assert_int_equal(bg_uuid_v4(seen[i]), 0);
    for (int j = 0; j < i; j++)
      assert_string_not_equal(seen[i], seen[j]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(makes_valid_v4_uuids),
      cmocka_unit_test(does_not_repeat),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
