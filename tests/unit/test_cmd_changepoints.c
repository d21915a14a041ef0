/* test_cmd_changepoints.c: `benchgate changepoints` on temporary files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cmd_changepoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes `text` to a new temporary file; the path goes into `path` (PATH_MAX-sized). */
static void write_temp(char *path, size_t len, const char *text) {
  snprintf(path, len, "/tmp/bg_test_cpd_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  size_t n = strlen(text);
  assert_int_equal(write(fd, text, n), (ssize_t)n);
  close(fd);
}

/* Runs the command on argv; returns its code, with stdout/stderr in out/err (caller frees). */
static int run(int argc, char **argv, char **out, char **err) {
  FILE *o = tmpfile(), *e = tmpfile();
  assert_non_null(o);
  assert_non_null(e);
  int rc = bg_cmd_changepoints_run(argc, argv, o, e);
  FILE *fs[2] = {o, e};
  char **dst[2] = {out, err};
  for (int i = 0; i < 2; i++) {
    long n = ftell(fs[i]);
    rewind(fs[i]);
    *dst[i] = calloc((size_t)n + 1, 1);
    assert_int_equal(fread(*dst[i], 1, (size_t)n, fs[i]), (size_t)n);
    fclose(fs[i]);
  }
  return rc;
}

static char *step_text(void) {
  static char text[4096];
  size_t off = 0;
  for (int i = 0; i < 30; i++)
    off += (size_t)snprintf(text + off, sizeof text - off, "%g\n",
                            100 + (i % 3 - 1) * 0.3 + (i % 5 == 0) * 0.2 + (i >= 15 ? 10 : 0));
  return text;
}

static void prints_change_points_of_text_file(void **state) {
  (void)state;
  char path[64], *out, *err;
  write_temp(path, sizeof path, step_text());
  char *argv[] = {"changepoints", path};
  assert_int_equal(run(2, argv, &out, &err), 0);
  assert_non_null(strstr(out, "{\"change_points\":[{\"index\":15,\"magnitude\":"));
  assert_non_null(strstr(out, "\"score\":"));
  assert_string_equal(err, "");
  free(out);
  free(err);
  unlink(path);
}

static void reads_tcpd_document_with_nulls(void **state) {
  (void)state;
  char text[8192] = "{\"name\": \"t\", \"series\": [{\"label\": \"v\", \"raw\": [";
  size_t off = strlen(text);
  for (int i = 0; i < 30; i++)
    off += (size_t)snprintf(text + off, sizeof text - off, "%s%s", i ? "," : "",
                            i == 4 ? "null" : (i >= 15 ? "20.5" : "10.25"));
  snprintf(text + off, sizeof text - off, "]}]}");
  char path[64], *out, *err;
  write_temp(path, sizeof path, text);
  char *argv[] = {"changepoints", "--format", "tcpd", path};
  assert_int_equal(run(4, argv, &out, &err), 0);
  assert_non_null(strstr(out, "\"index\":15,"));
  assert_non_null(strstr(out, "\"magnitude\":10.25"));
  free(out);
  free(err);
  unlink(path);
}

static void series_without_change_prints_empty_list(void **state) {
  (void)state;
  char path[64], *out, *err;
  write_temp(path, sizeof path, "1\n\n2\nNA\n1\n2\n1\n2\n1\n");
  char *argv[] = {"changepoints", "--format=csv", path};
  assert_int_equal(run(3, argv, &out, &err), 0);
  assert_string_equal(out, "{\"change_points\":[]}\n");
  free(out);
  free(err);
  unlink(path);
}

static void bad_line_names_file_and_line(void **state) {
  (void)state;
  char path[64], *out, *err, want[128];
  write_temp(path, sizeof path, "1\n2\nfast\n4\n");
  char *argv[] = {"changepoints", path};
  assert_int_equal(run(2, argv, &out, &err), 2);
  snprintf(want, sizeof want, "%s: line 3: not a finite number: 'fast'", path);
  assert_non_null(strstr(err, want));
  assert_string_equal(out, "");
  free(out);
  free(err);
  unlink(path);
}

static void bad_tcpd_field_is_named(void **state) {
  (void)state;
  char path[64], *out, *err;
  write_temp(path, sizeof path, "{\"series\": [{\"raw\": [1, 2, \"x\"]}]}");
  char *argv[] = {"changepoints", path};
  assert_int_equal(run(2, argv, &out, &err), 2);
  assert_non_null(strstr(err, "series[0].raw[2]: not a number or null"));
  free(out);
  free(err);
  unlink(path);
  write_temp(path, sizeof path, "{\"series\": [\n{\"raw\": [1, 2,\n]}]}");
  assert_int_equal(run(2, argv, &out, &err), 2);
  assert_non_null(strstr(err, "line 3: malformed JSON"));
  free(out);
  free(err);
  unlink(path);
}

static void usage_errors_return_2(void **state) {
  (void)state;
  char *out, *err;
  char *a1[] = {"changepoints"};
  assert_int_equal(run(1, a1, &out, &err), 2);
  assert_non_null(strstr(err, "usage:"));
  free(out);
  free(err);
  char *a2[] = {"changepoints", "--format", "xml", "f"};
  assert_int_equal(run(4, a2, &out, &err), 2);
  free(out);
  free(err);
  char *a3[] = {"changepoints", "/nonexistent/series.txt"};
  assert_int_equal(run(2, a3, &out, &err), 2);
  assert_non_null(strstr(err, "/nonexistent/series.txt"));
  free(out);
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(prints_change_points_of_text_file),
      cmocka_unit_test(reads_tcpd_document_with_nulls),
      cmocka_unit_test(series_without_change_prints_empty_list),
      cmocka_unit_test(bad_line_names_file_and_line),
      cmocka_unit_test(bad_tcpd_field_is_named),
      cmocka_unit_test(usage_errors_return_2),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
