/* test_auth.c: tokens: format, hashing, constant-time comparison, verification, roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
  char dir[64];
  struct bg_store *s;
  struct bg_project demo, other;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  char path[96], err[256];
  snprintf(f->dir, sizeof f->dir, "/tmp/bg_test_authXXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(path, sizeof path, "%s/t.db", f->dir);
  assert_int_equal(bg_store_open(path, &f->s, err, sizeof err), BG_OK);
  assert_int_equal(bg_store_project_create(f->s, "demo", NULL, NULL, &f->demo), BG_OK);
  assert_int_equal(bg_store_project_create(f->s, "other", NULL, NULL, &f->other), BG_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  char cmd[128];
  bg_store_close(f->s);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

static void hash_is_sha256_of_the_token_text(void **state) {
  (void)state;
  /* SHA-256("abc") from FIPS 180-2, appendix B.1. */
  static const unsigned char want[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                         0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                         0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                         0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  unsigned char got[32];
  bg_auth_hash("abc", got);
  assert_memory_equal(got, want, 32);
  assert_true(bg_auth_hash_equal(got, want));
  got[31] ^= 1;
  assert_false(bg_auth_hash_equal(got, want));
}

static void generated_tokens_are_prefixed_long_and_distinct(void **state) {
  (void)state;
  char a[BG_AUTH_TOKEN_LEN + 1], b[BG_AUTH_TOKEN_LEN + 1];
  assert_int_equal(bg_auth_generate(a, sizeof a), BG_OK);
  assert_int_equal(bg_auth_generate(b, sizeof b), BG_OK);
  assert_int_equal(strlen(a), BG_AUTH_TOKEN_LEN);
  assert_memory_equal(a, "bgt_", 4);
  assert_string_not_equal(a, b);
  for (size_t i = 4; i < strlen(a); i++)
    assert_non_null(
        strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
  char small[10];
  assert_int_equal(bg_auth_generate(small, sizeof small), BG_EINVAL);
}

static void roles_admin_does_all_and_everyone_reads(void **state) {
  (void)state;
  assert_true(bg_role_allows(BG_ROLE_ADMIN, BG_ROLE_AGENT));
  assert_true(bg_role_allows(BG_ROLE_ADMIN, BG_ROLE_CI));
  assert_true(bg_role_allows(BG_ROLE_AGENT, BG_ROLE_AGENT));
  assert_true(bg_role_allows(BG_ROLE_CI, BG_ROLE_READ));
  assert_true(bg_role_allows(BG_ROLE_READ, BG_ROLE_READ));
  assert_false(bg_role_allows(BG_ROLE_READ, BG_ROLE_AGENT));
  assert_false(bg_role_allows(BG_ROLE_CI, BG_ROLE_AGENT));
  assert_false(bg_role_allows(BG_ROLE_AGENT, BG_ROLE_ADMIN));
  enum bg_role r;
  assert_true(bg_role_parse("ci", &r));
  assert_int_equal(r, BG_ROLE_CI);
  assert_false(bg_role_parse("root", &r));
  assert_string_equal(bg_role_name(BG_ROLE_AGENT), "agent");
}

static void verify_accepts_bearer_and_checks_project(void **state) {
  struct fixture *f = *state;
  char tok[BG_AUTH_TOKEN_LEN + 1], hdr[80];
  long long id;
  struct bg_principal who;
  assert_int_equal(bg_auth_create(f->s, "demo", BG_ROLE_AGENT, "bench-01", tok, sizeof tok, &id),
                   BG_OK);
  snprintf(hdr, sizeof hdr, "Bearer %s", tok);
  assert_int_equal(bg_auth_verify(f->s, hdr, &who), BG_OK);
  assert_int_equal(who.token_id, id);
  assert_int_equal(who.project_id, f->demo.id);
  assert_int_equal(who.role, BG_ROLE_AGENT);
  assert_int_equal(bg_auth_check(&who, f->demo.id, BG_ROLE_AGENT), BG_OK);
  assert_int_equal(bg_auth_check(&who, f->other.id, BG_ROLE_AGENT), BG_EPERM);
  assert_int_equal(bg_auth_check(&who, f->demo.id, BG_ROLE_ADMIN), BG_EPERM);
  /* Server-wide tokens reach every project. */
  assert_int_equal(bg_auth_create(f->s, NULL, BG_ROLE_ADMIN, NULL, tok, sizeof tok, &id), BG_OK);
  snprintf(hdr, sizeof hdr, "bearer %s", tok);
  assert_int_equal(bg_auth_verify(f->s, hdr, &who), BG_OK);
  assert_int_equal(who.project_id, 0);
  assert_int_equal(bg_auth_check(&who, f->other.id, BG_ROLE_AGENT), BG_OK);
  assert_int_equal(bg_auth_create(f->s, "nope", BG_ROLE_READ, NULL, tok, sizeof tok, &id),
                   BG_ENOENT);
}

static void verify_rejects_unknown_malformed_and_revoked(void **state) {
  struct fixture *f = *state;
  char tok[BG_AUTH_TOKEN_LEN + 1], hdr[80];
  long long id;
  struct bg_principal who;
  assert_int_equal(bg_auth_verify(f->s, NULL, &who), BG_EAUTH);
  assert_int_equal(bg_auth_verify(f->s, "Basic abc", &who), BG_EAUTH);
  assert_int_equal(bg_auth_verify(f->s, "Bearer bgt_short", &who), BG_EAUTH);
  assert_int_equal(bg_auth_generate(tok, sizeof tok), BG_OK);
  snprintf(hdr, sizeof hdr, "Bearer %s", tok);
  assert_int_equal(bg_auth_verify(f->s, hdr, &who), BG_EAUTH); /* never stored */
  assert_int_equal(bg_auth_create(f->s, "demo", BG_ROLE_READ, NULL, tok, sizeof tok, &id), BG_OK);
  snprintf(hdr, sizeof hdr, "Bearer %s", tok);
  assert_int_equal(bg_auth_verify(f->s, hdr, &who), BG_OK);
  assert_int_equal(bg_store_token_revoke(f->s, id), BG_OK);
  assert_int_equal(bg_auth_verify(f->s, hdr, &who), BG_EAUTH);
  assert_int_equal(bg_store_token_revoke(f->s, id), BG_ENOENT);
  /* The list shows the token without its secret. */
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_store_token_list(f->s, &out), BG_OK);
  assert_non_null(strstr(out.data, "demo\tread"));
  assert_null(strstr(out.data, tok));
  bg_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hash_is_sha256_of_the_token_text),
      cmocka_unit_test(generated_tokens_are_prefixed_long_and_distinct),
      cmocka_unit_test(roles_admin_does_all_and_everyone_reads),
      cmocka_unit_test_setup_teardown(verify_accepts_bearer_and_checks_project, setup, teardown),
      cmocka_unit_test_setup_teardown(verify_rejects_unknown_malformed_and_revoked, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
