/* test_glob.c: the compiled globs of lib/glob.h against reference cases and against a
 * reference matcher (a plain dynamic programme over pattern and name prefixes, obviously
 * right and O(len(pattern) x len(name))) on fixed-seed random patterns and names: short
 * ones over a small alphabet, where stars and '?' collide often, patterns past 64 and past
 * 2 047 non-star bytes (several state words, the heap path), patterns without '?' (matched
 * piece by piece), and names with NUL-free bytes above 127. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gate_thresholds.h"
#include "glob.h"

/* The reference: d[j] after row i says whether pattern[0..i) matches name[0..j). */
static int reference(const char *pat, const char *name, size_t n) {
  size_t m = strlen(pat);
  unsigned char *d = calloc(n + 1, 1), *e = calloc(n + 1, 1);
  d[0] = 1;
  for (size_t i = 0; i < m; i++) {
    e[0] = pat[i] == '*' && d[0];
    for (size_t j = 1; j <= n; j++) {
      if (pat[i] == '*')
        e[j] = d[j] || e[j - 1];
      else
        e[j] = d[j - 1] && (pat[i] == '?' || pat[i] == name[j - 1]);
    }
    unsigned char *t = d;
    d = e;
    e = t;
  }
  int ok = d[n];
  free(d);
  free(e);
  return ok;
}

static int compiled(const char *pat, const char *name) {
  struct bg_glob *g = bg_glob_compile(pat);
  int ok = bg_glob_match(g, name, strlen(name));
  bg_glob_free(g);
  return ok;
}

static void reference_cases(void **state) {
  (void)state;
  static const struct {
    const char *pat, *name;
    int want;
  } cases[] = {
      {"BM_Parse/*", "BM_Parse/4096", 1},
      {"BM_Parse/*", "BM_Parse/", 1},
      {"BM_Parse/*", "BM_Parser/1", 0},
      {"*", "", 1},
      {"", "", 1},
      {"", "x", 0},
      {"a*b*c", "axxbyyc", 1},
      {"a*b*c", "axxbyy", 0},
      {"f?b", "fib", 1},
      {"f?b", "fb", 0},
      {"*/4?96", "BM_X/4096", 1},
      {"**a", "bba", 1},
      {"*a*", "bab", 1},
      {"*a*", "bbb", 0},
      {"a*a", "a", 0},
      {"a*a", "aa", 1},
      {"*ab*ab*", "abab", 1},
      {"*ab*ab*", "aab", 0},
      {"*?*?*", "x", 0},
      {"*?*?*", "xy", 1},
      {"?*", "", 0},
      {"*x", "yyyx", 1},
      {"exact", "exact", 1},
      {"exact", "exactly", 0},
      {"*aaa*aaa*", "aaaaa", 0},
      {"*aaa*aaa*", "aaaaaa", 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    assert_int_equal(compiled(cases[i].pat, cases[i].name), cases[i].want);
    assert_int_equal(reference(cases[i].pat, cases[i].name, strlen(cases[i].name)), cases[i].want);
    assert_int_equal(bg_gate_glob(cases[i].pat, cases[i].name), cases[i].want);
  }
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng >> 32);
}

/* A random string of up to max bytes from alphabet. */
static void random_text(char *out, size_t max, const char *alphabet) {
  size_t n = next() % (max + 1), na = strlen(alphabet);
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[next() % na];
  out[n] = '\0';
}

/* `rounds` random pairs: patterns of up to pmax bytes of palpha, names of up to nmax of
 * nalpha; half the names are made from the pattern (stars and '?' replaced) to match often. */
static void compare(size_t rounds, size_t pmax, size_t nmax, const char *palpha,
                    const char *nalpha) {
  char *pat = malloc(pmax + 1), *name = malloc(nmax + pmax * 3 + 1);
  size_t matched = 0;
  for (size_t r = 0; r < rounds; r++) {
    random_text(pat, pmax, palpha);
    if (r % 2) {
      size_t j = 0;
      for (const char *p = pat; *p; p++) {
        if (*p == '*')
          for (unsigned k = next() % 3; k--;)
            name[j++] = nalpha[next() % strlen(nalpha)];
        else
          name[j++] = *p == '?' ? nalpha[next() % strlen(nalpha)] : *p;
      }
      name[j] = '\0';
    } else {
      random_text(name, nmax, nalpha);
    }
    int want = reference(pat, name, strlen(name));
    matched += (size_t)want;
    if (compiled(pat, name) != want)
      fail_msg("pattern \"%s\" name \"%s\": want %d", pat, name, want);
  }
  assert_true(matched > rounds / 10); /* the generator exercised matches, not only misses */
  free(pat);
  free(name);
}

static void agrees_with_the_reference_on_short_random_globs(void **state) {
  (void)state;
  compare(200000, 10, 14, "ab*?", "ab");
  compare(50000, 24, 40, "abc**?", "abc");
}

static void agrees_with_the_reference_past_one_state_word(void **state) {
  (void)state;
  compare(3000, 300, 400, "aab*?/", "ab/");
  compare(3000, 300, 400, "aab**/", "ab/"); /* no '?': the pieces' way */
  compare(40, 4000, 2500, "ab*?", "ab");
}

static void agrees_on_bytes_above_127(void **state) {
  (void)state;
  compare(20000, 12, 16, "\xc3\xa9*?a",
          "\xc3\xa9\xff"
          "a");
}

/* Thresholds stored with earlier runs are read as they were accepted, past the payload limits,
 * and their rules apply through compiled globs. */
static void stored_thresholds_past_the_limits_still_apply(void **state) {
  (void)state;
  struct bg_gate_thresholds *t = NULL;
  struct bg_ferr e;
  double me;
  int ig;
  cJSON *j;
  /* Accepted before the limits of 64 rules and 256-byte matches: 100 rules, the last a
   * 1 000-byte pattern of stars, still read and applied. */
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "{\"rules\":[");
  for (int i = 0; i < 99; i++)
    bg_buf_printf(&b, "{\"match\":\"r%d*\",\"min_effect\":0.1},", i);
  bg_buf_puts(&b, "{\"match\":\"");
  for (int i = 0; i < 500; i++)
    bg_buf_puts(&b, "*x");
  bg_buf_puts(&b, "\",\"ignore\":true}]}");
  j = cJSON_Parse(b.data);
  assert_int_equal(bg_gate_thresholds_parse(j, &t, &e), BG_EINVAL);
  assert_string_equal(e.field, "thresholds.rules");
  assert_int_equal(bg_gate_thresholds_parse_stored(j, &t), BG_OK);
  char name[1100];
  memset(name, 'x', 502);
  memcpy(name, "r98", 3);
  name[502] = '\0';
  bg_gate_thresholds_lookup(t, name, "wall_time", &me, &ig);
  assert_true(me == 0.1 && !ig); /* 499 x: one short of the last pattern's 500 */
  name[502] = 'x';
  name[503] = '\0';
  bg_gate_thresholds_lookup(t, name, "wall_time", &me, &ig);
  assert_true(me == 0.1 && ig);
  bg_gate_thresholds_free(t);
  cJSON_Delete(j);
  bg_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reference_cases),
      cmocka_unit_test(agrees_with_the_reference_on_short_random_globs),
      cmocka_unit_test(agrees_with_the_reference_past_one_state_word),
      cmocka_unit_test(agrees_on_bytes_above_127),
      cmocka_unit_test(stored_thresholds_past_the_limits_still_apply),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
