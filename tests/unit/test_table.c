/* test_table.c: lib/table.c, the keyed table, against a plain array of what was added. */
/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "table.h"

#include <stdlib.h>
#include <string.h>

/* How many entries (key, value) the table holds, walking key's entries. */
static size_t count_of(const struct bg_table *t, uint64_t key, size_t value) {
  size_t at = 0, v, n = 0;
  while (bg_table_next(t, key, &at, &v))
    n += v == value;
  return n;
}

static void finds_what_was_added_and_nothing_else(void **state) {
  (void)state;
  struct bg_table t = {0};
  size_t v = 99;
  assert_int_equal(bg_table_get(&t, 7, &v), 0); /* a zeroed table is empty */
  for (size_t i = 0; i < 5000; i++)
    bg_table_add(&t, (uint64_t)i * 3, i);
  assert_int_equal(t.n, 5000);
  assert_true(t.cap >= 10000);
  for (size_t i = 0; i < 5000; i++) {
    assert_int_equal(bg_table_get(&t, (uint64_t)i * 3, &v), 1);
    assert_int_equal(v, i);
    assert_int_equal(bg_table_get(&t, (uint64_t)i * 3 + 1, &v), 0);
  }
  assert_int_equal(bg_table_get(&t, 0, &v), 1); /* key 0 is a key like any other */
  assert_int_equal(v, 0);
  bg_table_free(&t);
  bg_table_free(&t); /* twice is harmless */
}

static void keeps_every_entry_of_a_shared_key(void **state) {
  (void)state;
  struct bg_table t = {0};
  for (size_t i = 0; i < 40; i++)
    bg_table_add(&t, 42, i);
  bg_table_add(&t, 43, 1000);
  for (size_t i = 0; i < 40; i++)
    assert_int_equal(count_of(&t, 42, i), 1);
  assert_int_equal(count_of(&t, 42, 1000), 0);
  assert_int_equal(count_of(&t, 43, 1000), 1);
  bg_table_free(&t);
}

/* Removal against a model: random adds and removes on few keys (long clusters that wrap
 * round the end of the slots), every entry checked after each step. */
static void removes_entries_and_keeps_the_rest_reachable(void **state) {
  (void)state;
  struct bg_table t = {0};
  enum { N = 600 };
  uint64_t keys[N];
  int live[N] = {0};
  unsigned long long x = 12345;
  for (size_t i = 0; i < N; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    keys[i] = (x >> 33) % 37;
    bg_table_add(&t, keys[i], i);
    live[i] = 1;
  }
  for (int step = 0; step < 3 * N; step++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    size_t i = (size_t)(x >> 33) % N;
    if (live[i]) {
      assert_int_equal(bg_table_remove(&t, keys[i], i), 1);
      live[i] = 0;
      assert_int_equal(bg_table_remove(&t, keys[i], i), 0);
    } else {
      bg_table_add(&t, keys[i], i);
      live[i] = 1;
    }
    if (step % 97 == 0)
      for (size_t k = 0; k < N; k++)
        assert_int_equal(count_of(&t, keys[k], k), (size_t)live[k]);
  }
  size_t n = 0;
  for (size_t k = 0; k < N; k++)
    n += (size_t)live[k];
  assert_int_equal(t.n, n);
  bg_table_free(&t);
}

static void clear_empties_and_reserve_keeps_the_slots(void **state) {
  (void)state;
  struct bg_table t = {0};
  bg_table_reserve(&t, 1000);
  size_t cap = t.cap;
  assert_true(cap >= 2000);
  for (size_t i = 0; i < 1000; i++)
    bg_table_add(&t, i, i);
  assert_int_equal(t.cap, cap); /* reserved: no rehash */
  bg_table_clear(&t);
  size_t v;
  assert_int_equal(t.n, 0);
  assert_int_equal(bg_table_get(&t, 5, &v), 0);
  bg_table_add(&t, 5, 6);
  assert_int_equal(bg_table_get(&t, 5, &v), 1);
  assert_int_equal(v, 6);
  bg_table_free(&t);
}

static void pair_and_string_keys_depend_on_every_part(void **state) {
  (void)state;
  assert_true(bg_table_pair(1, 2) != bg_table_pair(2, 1));
  assert_true(bg_table_pair(1, 2) != bg_table_pair(1, 3));
  assert_true(bg_table_pair(1LL << 62, 1) != bg_table_pair(1, 1));
  assert_true(bg_table_str("wall_time") == bg_table_str("wall_time"));
  assert_true(bg_table_str("ab") != bg_table_str("ba"));
  assert_true(bg_table_str("") != bg_table_str("a"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(finds_what_was_added_and_nothing_else),
      cmocka_unit_test(keeps_every_entry_of_a_shared_key),
      cmocka_unit_test(removes_entries_and_keeps_the_rest_reachable),
      cmocka_unit_test(clear_empties_and_reserve_keeps_the_slots),
      cmocka_unit_test(pair_and_string_keys_depend_on_every_part),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
