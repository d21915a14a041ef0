/* test_jdoc.c: the strict JSON reader: grammar, strings, numbers bit-exact against strtod,
 * limits, and the shape of the parsed document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "jdoc.h"
#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parses(const char *text) {
  struct bg_jdoc d;
  bg_jdoc_init(&d);
  int rc = bg_jdoc_parse(&d, text, strlen(text), NULL, NULL, 0);
  bg_jdoc_free(&d);
  return rc == 0;
}

/* Expects `text` to be rejected with reading stopped at byte `at`. */
static void rejects_at(const char *text, size_t at) {
  struct bg_jdoc d;
  char why[128];
  size_t got = (size_t)-1;
  bg_jdoc_init(&d);
  int rc = bg_jdoc_parse(&d, text, strlen(text), &got, why, sizeof why);
  if (rc == 0 || got != at)
    fprintf(stderr, "text %s: rc %d stopped at %zu (%s), want %zu\n", text, rc, got, why, at);
  assert_int_equal(rc, -1);
  assert_int_equal(got, at);
  assert_true(why[0] != '\0');
  bg_jdoc_free(&d);
}

static void accepts_rfc8259_documents(void **state) {
  (void)state;
  assert_true(parses("{}"));
  assert_true(parses(" [ ] "));
  assert_true(parses("0"));
  assert_true(parses("-0.0e+0"));
  assert_true(parses("\"\""));
  assert_true(parses("true"));
  assert_true(parses("null"));
  assert_true(parses("{\"a\":[1,{\"b\":null},\"x\",[true,false]],\"c\":-1.5E-3}"));
  assert_true(parses("\t\r\n{\"a\" : 1 }\n"));
}

static void rejects_what_the_grammar_does_not_allow(void **state) {
  (void)state;
  rejects_at("", 0);
  rejects_at("   ", 3);
  rejects_at("{\"a\":1} x", 8); /* trailing text */
  rejects_at("{\"a\":1,}", 7);  /* trailing comma */
  rejects_at("[1,]", 3);
  rejects_at("[01]", 2); /* leading zero */
  rejects_at("[1.]", 1);
  rejects_at("[.5]", 1);
  rejects_at("[+1]", 1);
  rejects_at("[1e]", 1);
  rejects_at("[-]", 1);
  rejects_at("[NaN]", 1);
  rejects_at("[Infinity]", 1);
  rejects_at("[tru]", 1);
  rejects_at("{a:1}", 1);
  rejects_at("{\"a\" 1}", 5);
  rejects_at("\"abc", 4);     /* unterminated */
  rejects_at("\"a\tb\"", 2);  /* raw control character */
  rejects_at("\"a\\qb\"", 3); /* unknown escape */
  rejects_at("\"\\u12G4\"", 6);
  rejects_at("\"\\u12\"", 3);
  rejects_at("\xef\xbb\xbf{}", 0); /* no byte order mark */
  rejects_at("{\"a\":[1,2", 9);
}

static void rejects_lone_and_reversed_surrogates(void **state) {
  (void)state;
  rejects_at("\"\\ud800\"", 7); /* high without low */
  rejects_at("\"\\ud800x\"", 7);
  rejects_at("\"\\ud800\\u0041\"", 13); /* high followed by a non-surrogate */
  rejects_at("\"\\udc00\"", 7);         /* lone low */
  rejects_at("\"\\udc00\\ud800\"", 7);  /* reversed pair */
}

static void decodes_escapes_to_utf8(void **state) {
  (void)state;
  const char *text = "[\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\\u0000z\"]";
  struct bg_jdoc d;
  bg_jdoc_init(&d);
  assert_int_equal(bg_jdoc_parse(&d, text, strlen(text), NULL, NULL, 0), 0);
  const struct bg_jnode *a = bg_jdoc_root(&d), *s = bg_jdoc_first(&d, a);
  assert_int_equal(s->type, BG_JSTR);
  const char want[] = "a\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";
  assert_int_equal(bg_jdoc_strlen(s), sizeof want - 1);
  assert_memory_equal(bg_jdoc_str(&d, s), want, sizeof want);
  /* A string with U+0000 cannot become a cJSON string. */
  assert_null(bg_jdoc_to_cjson(&d, a));
  bg_jdoc_free(&d);
}

static void keeps_raw_bytes_for_the_caller_to_check(void **state) {
  (void)state;
  /* Invalid UTF-8 is the validators' business (they name the field), not the grammar's. */
  assert_true(parses("\"\xff\xfe\""));
}

static void limits_nesting_depth(void **state) {
  (void)state;
  struct bg_buf b;
  bg_buf_init(&b, 0);
  for (int i = 0; i < BG_JDOC_MAX_DEPTH; i++)
    bg_buf_puts(&b, "[");
  for (int i = 0; i < BG_JDOC_MAX_DEPTH; i++)
    bg_buf_puts(&b, "]");
  assert_true(parses(b.data));
  bg_buf_reset(&b);
  /* Far deeper than the limit: rejected where the limit is passed, without a deep stack. */
  for (int i = 0; i < 200000; i++)
    bg_buf_puts(&b, i % 2 ? "[" : "{\"a\":");
  rejects_at(b.data, (size_t)(BG_JDOC_MAX_DEPTH / 2) * 6);
  bg_buf_free(&b);
}

static void packs_arrays_of_numbers_and_unpacks_mixed_ones(void **state) {
  (void)state;
  const char *text = "{\"s\":[1,2.5,-3],\"m\":[1,2,\"x\",4],\"e\":[],\"o\":{\"k\":[[7]]}}";
  struct bg_jdoc d;
  bg_jdoc_init(&d);
  assert_int_equal(bg_jdoc_parse(&d, text, strlen(text), NULL, NULL, 0), 0);
  const struct bg_jnode *root = bg_jdoc_root(&d), *s, *m, *e, *o, *k;
  assert_int_equal(bg_jdoc_member(&d, root, "s", &s), 1);
  assert_true(s->packed);
  assert_int_equal(s->count, 3);
  assert_true(d.nums[s->v.nums + 1] == 2.5 && d.nums[s->v.nums + 2] == -3);
  assert_null(bg_jdoc_first(&d, s));
  assert_int_equal(bg_jdoc_member(&d, root, "m", &m), 1);
  assert_false(m->packed);
  assert_int_equal(m->count, 4);
  const struct bg_jnode *c = bg_jdoc_first(&d, m);
  double want[] = {1, 2, 0, 4};
  for (int i = 0; i < 4; i++, c = bg_jdoc_next(&d, m, c)) {
    assert_non_null(c);
    assert_int_equal(c->type, i == 2 ? BG_JSTR : BG_JNUM);
    if (i != 2)
      assert_true(c->v.num == want[i]);
  }
  assert_null(c);
  assert_int_equal(bg_jdoc_member(&d, root, "e", &e), 1);
  assert_int_equal(e->count, 0);
  assert_false(e->packed);
  assert_int_equal(bg_jdoc_member(&d, root, "o", &o), 1);
  assert_int_equal(bg_jdoc_member(&d, o, "k", &k), 1);
  assert_int_equal(bg_jdoc_member(&d, root, "k", &k), 0);
  assert_null(k);
  cJSON *j = bg_jdoc_to_cjson(&d, root);
  char *back = cJSON_PrintUnformatted(j);
  assert_string_equal(back, "{\"s\":[1,2.5,-3],\"m\":[1,2,\"x\",4],\"e\":[],\"o\":{\"k\":[[7]]}}");
  cJSON_free(back);
  cJSON_Delete(j);
  bg_jdoc_free(&d);
}

static void counts_duplicate_members(void **state) {
  (void)state;
  const char *text = "{\"a\":1,\"b\":2,\"a\":3}";
  struct bg_jdoc d;
  bg_jdoc_init(&d);
  assert_int_equal(bg_jdoc_parse(&d, text, strlen(text), NULL, NULL, 0), 0);
  const struct bg_jnode *a;
  assert_int_equal(bg_jdoc_member(&d, bg_jdoc_root(&d), "a", &a), 2);
  assert_true(a->v.num == 1); /* the first one */
  bg_jdoc_free(&d);
}

/* ---- numbers: every value must be bit-for-bit what strtod gives ---- */

static int same_bits(double a, double b) {
  return memcmp(&a, &b, sizeof a) == 0;
}

static void expect_number(const char *s) {
  double got = 0, want = strtod(s, NULL);
  size_t used = bg_jdoc_number(s, strlen(s), &got);
  if (used != strlen(s) || !same_bits(got, want))
    fprintf(stderr, "number %s: used %zu, got %.17g want %.17g\n", s, used, got, want);
  assert_int_equal(used, strlen(s));
  assert_true(same_bits(got, want));
}

static void reads_tricky_numbers_exactly(void **state) {
  (void)state;
  static const char *cases[] = {
      "0",
      "-0",
      "0.0",
      "-0.0e0",
      "1",
      "-1",
      "9007199254740992",
      "9007199254740993",
      "9007199254740991",
      "18446744073709551615",
      "18446744073709551616",
      "1e22",
      "1e23",
      "1e-22",
      "1e-23",
      "1.7976931348623157e308",
      "1.7976931348623159e308",
      "2.2250738585072014e-308",
      "2.2250738585072011e-308",
      "4.9406564584124654e-324",
      "2.4703282292062327e-324",
      "2.4703282292062328e-324",
      "1e-400",
      "-1e-400",
      "1e400",
      "-1e400",
      "1e999999999999999999999",
      "0e99999999999",
      "0.1",
      "0.2",
      "0.3",
      "123456789012345678901234567890",
      "0.000000000000000000000000000001",
      "3.141592653589793",
      "2.718281828459045",
      "1832.1",
      "1829.4",
      "1840.0",
      "9.999999999999999e22",
      "8.988465674311579e307",
      "5e-324",
      "1.5e-45",
      "0.30000000000000004",
      "4.35679e+00",
      "1E+2",
      "1e-0",
      "100000000000000000000000",
      /* Halfway cases for 17-digit mantissas (ties between two doubles). */
      "9007199254740993e0",
      "9007199254740995e0",
      "1.00000000000000011102230246251565",
      "1.00000000000000011102230246251566",
      "7.3177701707893310e+15",
      "2.0000000000000004440892098500626",
      "2.0000000000000004440892098500627",
      "5.0216813883093446110686315385661331328818843555712276103941e-324",
      "3.23788391330290128958835241250153217486303766942310805990129704955230197067067656578683"
      "5742587799557860615776559838283435514391084153169252689190564396459577394618038928365305"
      "1434639551003566966656292020173313440317300443693602052583458034314716600326995807313009"
      "5484836397554869001075153001888175818417456965217311047369602274993463842538062336977473"
      "6560008997404060967498028389191878963968575439222206416981462690113342524002724385941651"
      "0512935526014211553334302252372915238433223313261384314778235911424088000307751706259156"
      "7072865700315195366426076982249493795184580153089523843981970840338993787324146348420560"
      "8000027270531106827387907791444918534771598750162812548862768493201518991668028251730299"
      "9531439241685457086639",
      "1.47e-2",
      "6.02214076e23",
      "1e308",
      "1e-308",
      "0.5e-323",
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    expect_number(cases[i]);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void reads_random_numbers_exactly(void **state) {
  (void)state;
  char s[64];
  /* Doubles printed as a client prints them (%.17g, %.15g, %.6g) and random digit strings
   * with random exponents: 300 000 inputs, every one compared bit for bit with strtod. */
  for (int i = 0; i < 300000; i++) {
    double v;
    uint64_t bits = rnd();
    switch (i % 5) {
    case 0:
      memcpy(&v, &bits, sizeof v);
      if (!isfinite(v))
        continue;
      snprintf(s, sizeof s, "%.17g", v);
      break;
    case 1:
      v = (double)(bits >> 11) / 9007199254740992.0 * pow(10, (int)(rnd() % 40) - 20);
      snprintf(s, sizeof s, "%.17g", v);
      break;
    case 2:
      v = (double)(bits >> 11) / 9007199254740992.0 * pow(10, (int)(rnd() % 60) - 30);
      snprintf(s, sizeof s, "%.*g", 1 + (int)(rnd() % 17), v);
      break;
    case 3: {
      /* 1 to 20 digits, a decimal point somewhere, an exponent within +-30. */
      int nd = 1 + (int)(rnd() % 20), dot = (int)(rnd() % (unsigned)(nd + 1)), n = 0;
      s[n++] = (char)('1' + rnd() % 9);
      for (int k = 1; k < nd; k++) {
        if (k == dot)
          s[n++] = '.';
        s[n++] = (char)('0' + rnd() % 10);
      }
      snprintf(s + n, sizeof s - (size_t)n, "e%d", (int)(rnd() % 61) - 30);
      break;
    }
    default:
      /* A double's exact neighbourhood: v, and halfway to its neighbour, at 17-21 digits. */
      v = (double)(bits >> 11) * pow(10, (int)(rnd() % 30) - 15);
      snprintf(s, sizeof s, "%.*e", 16 + (int)(rnd() % 5), (v + nextafter(v, INFINITY)) / 2);
      break;
    }
    expect_number(s);
  }
}

static void number_prefixes_stop_at_the_grammar(void **state) {
  (void)state;
  double v;
  assert_int_equal(bg_jdoc_number("12,3", 4, &v), 2);
  assert_true(v == 12);
  assert_int_equal(bg_jdoc_number("-", 1, &v), 0);
  assert_int_equal(bg_jdoc_number("1.e3", 4, &v), 0);
  assert_int_equal(bg_jdoc_number("1e+", 3, &v), 0);
  assert_int_equal(bg_jdoc_number("0x10", 4, &v), 1);
  /* Reading stops at len even when more digits follow in memory. */
  assert_int_equal(bg_jdoc_number("12345", 3, &v), 3);
  assert_true(v == 123);
}

static void parses_huge_inputs_in_bounded_memory(void **state) {
  (void)state;
  /* 2 million numbers (12 MB of text) in one array: one node and a run of doubles. */
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "[");
  for (int i = 0; i < 2000000; i++)
    bg_buf_puts(&b, i ? ",1234.5" : "1234.5");
  bg_buf_puts(&b, "]");
  struct bg_jdoc d;
  bg_jdoc_init(&d);
  assert_int_equal(bg_jdoc_parse(&d, b.data, b.len, NULL, NULL, 0), 0);
  assert_int_equal(d.nnodes, 1);
  assert_int_equal(bg_jdoc_root(&d)->count, 2000000);
  assert_true(d.nums[1999999] == 1234.5);
  /* Parsing again into the same document reuses it. */
  assert_int_equal(bg_jdoc_parse(&d, "[\"x\"]", 5, NULL, NULL, 0), 0);
  assert_int_equal(d.nnodes, 2);
  bg_jdoc_free(&d);
  bg_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accepts_rfc8259_documents),
      cmocka_unit_test(rejects_what_the_grammar_does_not_allow),
      cmocka_unit_test(rejects_lone_and_reversed_surrogates),
      cmocka_unit_test(decodes_escapes_to_utf8),
      cmocka_unit_test(keeps_raw_bytes_for_the_caller_to_check),
      cmocka_unit_test(limits_nesting_depth),
      cmocka_unit_test(packs_arrays_of_numbers_and_unpacks_mixed_ones),
      cmocka_unit_test(counts_duplicate_members),
      cmocka_unit_test(reads_tricky_numbers_exactly),
      cmocka_unit_test(reads_random_numbers_exactly),
      cmocka_unit_test(number_prefixes_stop_at_the_grammar),
      cmocka_unit_test(parses_huge_inputs_in_bounded_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
