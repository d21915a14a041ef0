/* test_units.c: numbers written for people (lib/units.c), checked as exact strings. The
 * expected texts are worked out by hand: 61728300 ns / 1e6 = 61.7283 ms, three significant
 * digits; 10629120 B / 1024^2 = 10.137 MiB; and so on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "units.h"

static void fmt_is(double v, const char *unit, const char *want) {
  char out[64];
  size_t n = bg_units_format(v, unit, out, sizeof out);
  if (strcmp(out, want) != 0)
    fail_msg("%.17g %s: got '%s', want '%s'", v, unit ? unit : "(null)", out, want);
  assert_int_equal(n, strlen(want));
}

static void pct_is(double v, const char *want) {
  char out[32];
  size_t n = bg_units_percent(v, out, sizeof out);
  if (strcmp(out, want) != 0)
    fail_msg("%.17g: got '%s', want '%s'", v, out, want);
  assert_int_equal(n, strlen(want));
}

static void times_scale_from_ns_to_s(void **state) {
  (void)state;
  fmt_is(61728300, "ns", "61.7 ms");
  fmt_is(1831.2, "ns", "1.83 µs");
  fmt_is(12, "ns", "12.0 ns");
  fmt_is(186.607, "ns", "187 ns");
  fmt_is(999.4, "ns", "999 ns");
  fmt_is(999.7, "ns", "1.00 µs"); /* would round to 1000 ns */
  fmt_is(2.5e9, "ns", "2.50 s");
  fmt_is(4321e9, "ns", "4321 s"); /* the largest step keeps its digits */
  fmt_is(0.5, "ns", "0.500 ns");
  fmt_is(0, "ns", "0 ns");
  fmt_is(186.607, "us", "187 µs");
  fmt_is(54.0779, "µs", "54.1 µs");
  fmt_is(1500, "ms", "1.50 s");
  fmt_is(0.0123, "s", "12.3 ms");
  fmt_is(-61728300, "ns", "-61.7 ms");
}

static void bytes_scale_by_1024(void **state) {
  (void)state;
  fmt_is(10629120, "bytes", "10.1 MiB");
  fmt_is(512, "bytes", "512 B");
  fmt_is(2048, "B", "2.00 KiB");
  fmt_is(1.5 * 1024 * 1024 * 1024, "bytes", "1.50 GiB");
  fmt_is(7.57426e+10, "bytes/s", "70.5 GiB/s");
}

static void counts_and_other_units_get_si_prefixes(void **state) {
  (void)state;
  fmt_is(1234567, "count", "1.23 M");
  fmt_is(999, "count", "999");
  fmt_is(12.5, NULL, "12.5");
  fmt_is(1020001, "", "1.02 M");
  fmt_is(1.37187e+09, "items/s", "1.37 G items/s");
  fmt_is(12.5, "x", "12.5 x");
  fmt_is(NAN, "ns", "–");
  fmt_is(INFINITY, "count", "–");
  /* A short buffer is cut, never overrun. */
  char tiny[4];
  bg_units_format(61728300, "ns", tiny, sizeof tiny);
  assert_string_equal(tiny, "61.");
}

static void percentages_have_sensible_precision(void **state) {
  (void)state;
  pct_is(0.073, "+7.3 %");
  pct_is(-0.182, "-18.2 %");
  pct_is(0.0032, "+0.32 %");
  pct_is(2.0, "+200 %");
  pct_is(16.55, "+1655 %");
  pct_is(0, "0.0 %");
  pct_is(-0.00001, "0.0 %");
  pct_is(0.9996, "+100 %");
  pct_is(NAN, "–");
}

static void plurals_and_widths(void **state) {
  (void)state;
  assert_string_equal(bg_units_plural(1, "run", "runs"), "run");
  assert_string_equal(bg_units_plural(6, "run", "runs"), "runs");
  assert_string_equal(bg_units_plural(0, "run", "runs"), "runs");
  assert_int_equal(bg_units_width("1.83 µs"), 7);
  assert_int_equal(bg_units_width("–"), 1);
  assert_int_equal(bg_units_width(""), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(times_scale_from_ns_to_s),
      cmocka_unit_test(bytes_scale_by_1024),
      cmocka_unit_test(counts_and_other_units_get_si_prefixes),
      cmocka_unit_test(percentages_have_sensible_precision),
      cmocka_unit_test(plurals_and_widths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
