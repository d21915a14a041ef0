/* test_gate_thresholds.c: lib/gate_thresholds.c, the control flag of threshold rules (the rest
 * of the thresholds is tested with the gate, tests/unit/test_gate.c). */
/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "error.h"
#include "gate_thresholds.h"

#include <cjson/cJSON.h>
#include <string.h>

static struct bg_gate_thresholds *parse(const char *text) {
  cJSON *j = cJSON_Parse(text);
  assert_non_null(j);
  struct bg_gate_thresholds *t = NULL;
  struct bg_ferr e = {0};
  int rc = bg_gate_thresholds_parse(j, &t, &e);
  if (rc != BG_OK)
    fail_msg("%s: %s: %s", text, e.field, e.message);
  cJSON_Delete(j);
  return t;
}

/* control: true marks the matched benchmarks; later rules win; a rule may say only that. */
static void control_rules_mark_benchmarks(void **state) {
  (void)state;
  struct bg_gate_thresholds *t =
      parse("{\"default\":{\"min_effect\":0.03},\"rules\":["
            "{\"match\":\"ctl_*\",\"control\":true},"
            "{\"match\":\"ctl_noisy\",\"control\":false,\"min_effect\":0.1},"
            "{\"match\":\"ctl_*\",\"measure\":\"max_rss\",\"ignore\":true}]}");
  struct bg_gate_threshold th;
  bg_gate_thresholds_get(t, "ctl_memcpy", "wall_time", &th);
  assert_true(th.control == 1 && th.ignored == 0 && th.min_effect == 0.03);
  bg_gate_thresholds_get(t, "ctl_noisy", "wall_time", &th);
  assert_true(th.control == 0 && th.min_effect == 0.1);
  bg_gate_thresholds_get(t, "ctl_memcpy", "max_rss", &th);
  assert_true(th.control == 1 && th.ignored == 1); /* each rule sets only its fields */
  bg_gate_thresholds_get(t, "BM_Parse", "wall_time", &th);
  assert_true(th.control == 0 && th.ignored == 0);
  bg_gate_thresholds_get(NULL, "ctl_memcpy", "wall_time", &th);
  assert_true(th.control == 0 && th.min_effect == BG_GATE_DEFAULT_MIN_EFFECT);
  /* The old lookup reads the same rules. */
  double me;
  int ig;
  bg_gate_thresholds_lookup(t, "ctl_memcpy", "max_rss", &me, &ig);
  assert_true(me == 0.03 && ig == 1);
  bg_gate_thresholds_free(t);
}

/* A control that is not a boolean, or given twice, is refused naming the field. */
static void bad_control_names_the_field(void **state) {
  (void)state;
  static const struct {
    const char *json, *field, *message;
  } cases[] = {
      {"{\"rules\":[{\"match\":\"a\"},{\"match\":\"b\"},{\"match\":\"c\"},"
       "{\"match\":\"d\",\"control\":\"yes\"}]}",
       "thresholds.rules[3].control", "must be a boolean (true or false)"},
      {"{\"rules\":[{\"match\":\"a\",\"control\":1}]}", "thresholds.rules[0].control",
       "must be a boolean"},
      {"{\"rules\":[{\"match\":\"a\",\"control\":null}]}", "thresholds.rules[0].control",
       "must be a boolean"},
      {"{\"rules\":[{\"match\":\"a\",\"control\":true,\"control\":false}]}",
       "thresholds.rules[0].control", "given more than once"},
      {"{\"rules\":[{\"match\":\"a\",\"controls\":true}]}", "thresholds.rules[0].controls",
       "unknown member (expected match, measure, min_effect, ignore, control)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *j = cJSON_Parse(cases[i].json);
    assert_non_null(j);
    struct bg_gate_thresholds *t = (void *)1;
    struct bg_ferr e = {0};
    assert_int_equal(bg_gate_thresholds_parse(j, &t, &e), BG_EINVAL);
    assert_null(t);
    assert_string_equal(e.field, cases[i].field);
    if (!strstr(e.message, cases[i].message))
      fail_msg("%s: message '%s' lacks '%s'", cases[i].json, e.message, cases[i].message);
    cJSON_Delete(j);
  }
}

/* A stored run's thresholds carry the flag as well. */
static void stored_thresholds_keep_control(void **state) {
  (void)state;
  cJSON *j = cJSON_Parse("{\"rules\":[{\"match\":\"ctl\",\"control\":true}]}");
  struct bg_gate_thresholds *t;
  assert_int_equal(bg_gate_thresholds_parse_stored(j, &t), BG_OK);
  struct bg_gate_threshold th;
  bg_gate_thresholds_get(t, "ctl", "cpu_time", &th);
  assert_int_equal(th.control, 1);
  bg_gate_thresholds_free(t);
  cJSON_Delete(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(control_rules_mark_benchmarks),
      cmocka_unit_test(bad_control_names_the_field),
      cmocka_unit_test(stored_thresholds_keep_control),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
