/* test_buf.c: the capped buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void appends_and_terminates(void **state) {
  (void)state;
  struct bg_buf b;
  bg_buf_init(&b, 0);
  assert_int_equal(bg_buf_puts(&b, "abc"), BG_OK);
  assert_int_equal(bg_buf_printf(&b, "-%d-%s", 42, "x"), BG_OK);
  assert_int_equal(b.len, 8);
  assert_string_equal(b.data, "abc-42-x");
  for (int i = 0; i < 10000; i++)
    assert_int_equal(bg_buf_append(&b, "0123456789", 10), BG_OK);
  assert_int_equal(b.len, 100008);
  assert_int_equal(b.data[b.len], '\0');
  bg_buf_reset(&b);
  assert_int_equal(b.len, 0);
  assert_string_equal(b.data, "");
  bg_buf_free(&b);
  bg_buf_free(NULL);
}

static void refuses_to_grow_past_its_maximum(void **state) {
  (void)state;
  struct bg_buf b;
  bg_buf_init(&b, 8);
  assert_int_equal(bg_buf_puts(&b, "12345678"), BG_OK);
  assert_int_equal(bg_buf_puts(&b, "9"), BG_ETOOBIG);
  assert_int_equal(bg_buf_printf(&b, "%d", 1), BG_ETOOBIG);
  assert_int_equal(b.len, 8);
  assert_string_equal(b.data, "12345678");
  bg_buf_free(&b);
}

static void steals_data(void **state) {
  (void)state;
  struct bg_buf b;
  bg_buf_init(&b, 0);
  char *empty = bg_buf_steal(&b);
  assert_string_equal(empty, "");
  free(empty);
  bg_buf_puts(&b, "hello");
  char *s = bg_buf_steal(&b);
  assert_string_equal(s, "hello");
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  free(s);
}

static void reads_files_within_the_cap(void **state) {
  (void)state;
  char path[] = "/tmp/bg_test_buf_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "0123456789", 10), 10);
  close(fd);
  struct bg_buf b;
  bg_buf_init(&b, 100);
  assert_int_equal(bg_buf_read_file(&b, path), BG_OK);
  assert_string_equal(b.data, "0123456789");
  bg_buf_free(&b);
  bg_buf_init(&b, 5);
  assert_int_equal(bg_buf_read_file(&b, path), BG_ETOOBIG);
  bg_buf_free(&b);
  unlink(path);
  bg_buf_init(&b, 0);
  assert_int_equal(bg_buf_read_file(&b, "/nonexistent/file"), BG_EIO);
  bg_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(appends_and_terminates),
      cmocka_unit_test(refuses_to_grow_past_its_maximum),
      cmocka_unit_test(steals_data),
      cmocka_unit_test(reads_files_within_the_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
