/* test_svg.c: escaping, the badge and the trend chart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "svg.h"

#include <math.h>
#include <string.h>

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

static void escapes_markup_and_control_characters(void **state) {
  (void)state;
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_svg_escape(&b, "<img src=x onerror=alert(1)>&\"'\x01é");
  assert_string_equal(b.data, "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;?é");
  bg_buf_free(&b);
}

static void badge_words_and_colors_follow_the_state(void **state) {
  (void)state;
  const char *color;
  assert_string_equal(bg_svg_badge_text("pass", &color), "pass");
  assert_string_equal(color, "#4c1");
  assert_string_equal(bg_svg_badge_text("fail", &color), "fail");
  assert_string_equal(color, "#e05d44");
  assert_string_equal(bg_svg_badge_text("no_baseline", &color), "no baseline");
  assert_string_equal(color, "#9f9f9f");
  assert_string_equal(bg_svg_badge_text("pending", &color), "pending");
  assert_string_equal(color, "#dfb317");
  assert_string_equal(bg_svg_badge_text(NULL, &color), "unknown");
  assert_string_equal(color, "#9f9f9f");
  assert_string_equal(bg_svg_badge_text("bogus", &color), "unknown");
}

static void badge_draws_both_halves(void **state) {
  (void)state;
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_svg_badge(&b, "benchgate", "fail", "#e05d44"); /* 9 and 4 letters: 73 + 38 px */
  assert_non_null(strstr(b.data, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"111\""));
  assert_non_null(strstr(b.data, ">benchgate</text>"));
  assert_non_null(strstr(b.data, ">fail</text>"));
  assert_non_null(strstr(b.data, "fill=\"#e05d44\""));
  assert_non_null(strstr(b.data, "aria-label=\"benchgate: fail\""));
  assert_null(strstr(b.data, "<script"));
  assert_int_equal(strcmp(b.data + b.len - 6, "</svg>"), 0);
  bg_buf_free(&b);
}

static void trend_draws_line_marks_and_escaped_title(void **state) {
  (void)state;
  struct bg_svg_point pts[] = {{10, 0},
                               {NAN, 0},
                               {12, 0},
                               {20, BG_SVG_MARK_CHANGE},
                               {21, BG_SVG_MARK_CHANGE | BG_SVG_MARK_REGRESSION}};
  struct bg_svg_chart c = {"<b>x</b> \xc2\xb7 ns", "ns", 600, 200, pts, 5};
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_svg_trend(&b, &c);
  assert_non_null(strstr(b.data, "width=\"600\" height=\"200\""));
  assert_null(strstr(b.data, "<b>"));
  assert_int_equal(count(b.data, "&lt;b&gt;x&lt;/b&gt;"), 2); /* title element and text */
  assert_int_equal(count(b.data, "<polyline"), 1);
  /* The NaN point is left out: 4 coordinate pairs, the first at the left, the last at the
   * right (x0 80, width 510), the highest value at the top (y0 24). */
  assert_non_null(strstr(b.data, "points=\"80.0,"));
  assert_non_null(strstr(b.data, " 590.0,24.0\""));
  assert_int_equal(count(b.data, "stroke-dasharray"), 2);
  assert_int_equal(count(b.data, "<circle"), 1);
  assert_int_equal(count(b.data, "stroke=\"#e05d44\""), 1);
  assert_non_null(strstr(b.data, ">21 ns</text>"));
  assert_non_null(strstr(b.data, ">10 ns</text>"));
  bg_buf_free(&b);
}

static void trend_bounds_its_size_and_says_no_data(void **state) {
  (void)state;
  struct bg_svg_chart c = {"t", NULL, 5, 99999, NULL, 0};
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_svg_trend(&b, &c);
  assert_non_null(strstr(b.data, "width=\"200\" height=\"1000\""));
  assert_non_null(strstr(b.data, ">no data</text>"));
  assert_null(strstr(b.data, "<polyline"));
  bg_buf_free(&b);
}

static void trend_of_one_value_is_centred(void **state) {
  (void)state;
  struct bg_svg_point pts[] = {{5, 0}, {5, 0}};
  struct bg_svg_chart c = {"t", "", 200, 100, pts, 2};
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_svg_trend(&b, &c);
  /* area: x 80..190, y 24..90: a flat series on the middle line. */
  assert_non_null(strstr(b.data, "points=\"80.0,57.0 190.0,57.0\""));
  bg_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(escapes_markup_and_control_characters),
      cmocka_unit_test(badge_words_and_colors_follow_the_state),
      cmocka_unit_test(badge_draws_both_halves),
      cmocka_unit_test(trend_draws_line_marks_and_escaped_title),
      cmocka_unit_test(trend_bounds_its_size_and_says_no_data),
      cmocka_unit_test(trend_of_one_value_is_centred),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
