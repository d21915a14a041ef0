/* test_notify.c: what job and verdict changes put into the GitHub outbox (notify.h): the
 * status sequence queued -> running -> success / failure / error with its descriptions, the
 * 140-byte cut on a character boundary, nothing for a project without a GitHub repository,
 * comments only for pull requests of projects that enable them. Rows are read back as the
 * sender reads them (outbox_store.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jobs.h"
#include "notify.h"
#include "outbox_store.h"
#include "run.h"
#include "store.h"
#include "upload.h"
#include "valid.h"

#include <cjson/cJSON.h>

#include "store_fixture.h"

#define T0 1700000000LL
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* The fixture's project "demo" has no repository; "gh" is acme/widgets with comments on. */
static int setup_gh(void **state) {
  setup(state);
  struct fixture *f = *state;
  const struct bg_project_settings set = {.pr_comments = 1};
  assert_int_equal(
      bg_store_project_create_gated(f->s, "gh", "acme/widgets", NULL, &set, &f->p), BG_OK);
  return 0;
}

/* Uploads a run of `sha` on testbed tb with the samples given (pull request pr, 0: none). */
static void upload(struct fixture *f, const char *sha, long long pr, const char *samples) {
  char json[1024], prm[48] = "";
  if (pr)
    snprintf(prm, sizeof prm, "\"pull_request\":%lld,", pr);
  snprintf(json, sizeof json,
           "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-%012d\","
           "\"commit\":{\"sha\":\"%s\",\"branch\":\"%s\"},%s"
           "\"testbed\":{\"name\":\"tb1\"},\"results\":[{\"benchmark\":\"parse\","
           "\"measure\":\"wall_time\",\"samples\":[%s]}]}",
           ++f->next_run, sha, pr ? "feature" : "main", prm, samples);
  free(store_json(f, json, 0));
}

/* Takes the next due row (marking it delivered), failing the test when there is none; its
 * body parsed into *body (caller deletes). */
static struct bg_outbox_row next(struct fixture *f, cJSON **body) {
  struct bg_outbox_row r = {0};
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  int rc = bg_outbox_next_due(f->s, 1LL << 60, 0, &r);
  if (rc == BG_OK)
    rc = bg_outbox_delivered(f->s, r.id, T0);
  assert_int_equal(bg_store_write_end(f->s, 1), BG_OK);
  assert_int_equal(rc, BG_OK);
  *body = cJSON_Parse(r.body);
  assert_non_null(*body);
  return r;
}

static int none_due(struct fixture *f) {
  struct bg_outbox_row r = {0};
  int rc = bg_outbox_next_due(f->s, 1LL << 60, 0, &r);
  bg_outbox_row_clear(&r);
  return rc == BG_ENOENT;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* The next row is a status of `state` whose description starts with `lead`. */
static void expect_status(struct fixture *f, const char *sha, const char *state,
                          const char *lead) {
  cJSON *b;
  struct bg_outbox_row r = next(f, &b);
  assert_int_equal(r.kind, BG_OUTBOX_STATUS);
  assert_string_equal(r.repo, "acme/widgets");
  assert_string_equal(r.sha, sha);
  assert_string_equal(r.context, "benchgate/tb1");
  assert_string_equal(str(b, "context"), "benchgate/tb1");
  assert_string_equal(str(b, "state"), state);
  if (strncmp(str(b, "description"), lead, strlen(lead)))
    fail_msg("description '%s' does not start with '%s'", str(b, "description"), lead);
  assert_true(strlen(str(b, "description")) <= BG_NOTIFY_DESCRIPTION_MAX);
  cJSON_Delete(b);
  bg_outbox_row_clear(&r);
}

static void cut_keeps_characters_whole(void **state) {
  (void)state;
  char out[BG_NOTIFY_DESCRIPTION_MAX + 1], in[400];
  bg_notify_cut("short", BG_NOTIFY_DESCRIPTION_MAX, out);
  assert_string_equal(out, "short");
  memset(in, 'x', 200);
  in[200] = '\0';
  bg_notify_cut(in, BG_NOTIFY_DESCRIPTION_MAX, out);
  assert_int_equal(strlen(out), BG_NOTIFY_DESCRIPTION_MAX);
  assert_string_equal(out + BG_NOTIFY_DESCRIPTION_MAX - 3, "\xe2\x80\xa6");
  /* 100 two-byte characters: the cut may not split one. */
  for (int i = 0; i < 100; i++)
    memcpy(in + 2 * i, "\xc3\xa9", 2);
  in[200] = '\0';
  bg_notify_cut(in, BG_NOTIFY_DESCRIPTION_MAX, out);
  size_t n = strlen(out);
  assert_true(n <= BG_NOTIFY_DESCRIPTION_MAX);
  assert_int_equal((n - 3) % 2, 0); /* whole é's, then the ellipsis */
  assert_string_equal(out + n - 3, "\xe2\x80\xa6");
}

static void no_repository_no_rows(void **state) {
  struct fixture *f = *state;
  struct bg_project demo;
  assert_int_equal(bg_store_project_get(f->s, "demo", &demo), BG_OK);
  struct fixture g = *f;
  g.p = demo;
  upload(&g, SHA_A, 0, "1,2,3");
  assert_true(none_due(f));
}

static void verdicts_become_statuses(void **state) {
  struct fixture *f = *state;
  upload(f, SHA_A, 0, "100,101,99,100,102");
  expect_status(f, SHA_A, "success", "no baseline yet: ");
  for (int i = 0; i < 4; i++) {
    char sha[41];
    memset(sha, '1' + i, 40);
    sha[40] = '\0';
    upload(f, sha, 0, "100,101,99,100,102");
    expect_status(f, sha, "success", "pass: ");
  }
  upload(f, SHA_B, 0, "150,151,149,150,152");
  cJSON *b;
  struct bg_outbox_row r = next(f, &b);
  assert_string_equal(str(b, "state"), "failure");
  assert_non_null(strstr(str(b, "description"), "parse wall_time"));
  cJSON_Delete(b);
  bg_outbox_row_clear(&r);
  assert_true(none_due(f)); /* no comment: not a pull request */
}

static void pull_request_comment(void **state) {
  struct fixture *f = *state;
  upload(f, SHA_A, 0, "100,101,99,100,102");
  expect_status(f, SHA_A, "success", "no baseline yet: ");
  upload(f, SHA_B, 7, "100,101,99,100,102");
  expect_status(f, SHA_B, "success", "");
  cJSON *b;
  struct bg_outbox_row r = next(f, &b);
  assert_int_equal(r.kind, BG_OUTBOX_COMMENT);
  assert_int_equal(r.pull_request, 7);
  assert_string_equal(r.context, "benchgate/tb1");
  assert_non_null(strstr(str(b, "body"), "<!-- benchgate:benchgate/tb1 -->"));
  assert_non_null(strstr(str(b, "body"), "benchgate"));
  cJSON_Delete(b);
  bg_outbox_row_clear(&r);
}

static void jobs_become_pending_and_error(void **state) {
  struct fixture *f = *state;
  upload(f, SHA_A, 0, "1,2,3"); /* the testbed */
  expect_status(f, SHA_A, "success", "no baseline yet: ");
  struct bg_jobs_request rq = {.sha = SHA_B, .branch = "main"};
  struct bg_buf out;
  struct bg_ferr e = {0};
  int created;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_jobs_enqueue(f->s, &f->p, &rq, T0, &created, &out, &e), BG_OK);
  bg_buf_free(&out);
  expect_status(f, SHA_B, "pending", "queued for tb1");
  struct bg_job j;
  for (int attempt = 1; attempt <= BG_JOBS_MAX_ATTEMPTS; attempt++) {
    struct bg_jobs_lease_request lr = {
        .agent = "ag1", .testbed = "tb1", .lease_s = BG_JOBS_LEASE_S};
    assert_int_equal(bg_jobs_lease(f->s, &lr, T0 + attempt, &j), BG_OK);
    assert_int_equal(bg_jobs_heartbeat(f->s, j.id, "ag1", BG_JOBS_LEASE_S, T0 + attempt, &j),
                     BG_OK);
    expect_status(f, SHA_B, "pending", attempt == 1 ? "running on ag1" : "running on ag1, attempt");
    assert_int_equal(bg_jobs_heartbeat(f->s, j.id, "ag1", BG_JOBS_LEASE_S, T0 + attempt, &j),
                     BG_OK);
    assert_true(none_due(f)); /* a later heartbeat says nothing new */
    assert_int_equal(bg_jobs_fail(f->s, j.id, "ag1", "exit 127", T0 + attempt, &j), BG_OK);
  }
  expect_status(f, SHA_B, "error", "the job failed after 3 attempts: exit 127");
}

static void an_expired_last_lease_is_an_error(void **state) {
  struct fixture *f = *state;
  upload(f, SHA_A, 0, "1,2,3");
  expect_status(f, SHA_A, "success", "no baseline yet: ");
  struct bg_jobs_request rq = {.sha = SHA_B, .branch = "main"};
  struct bg_buf out;
  struct bg_ferr e = {0};
  int created;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_jobs_enqueue(f->s, &f->p, &rq, T0, &created, &out, &e), BG_OK);
  bg_buf_free(&out);
  expect_status(f, SHA_B, "pending", "queued");
  long long t = T0;
  struct bg_job j;
  for (int attempt = 1; attempt <= BG_JOBS_MAX_ATTEMPTS; attempt++) {
    struct bg_jobs_lease_request lr = {
        .agent = "ag1", .testbed = "tb1", .lease_s = BG_JOBS_LEASE_S};
    assert_int_equal(bg_jobs_lease(f->s, &lr, t, &j), BG_OK);
    t += BG_JOBS_LEASE_S + 1; /* never heartbeated: the lease lapses */
  }
  assert_int_equal(bg_jobs_get(f->s, j.id, t, &j), BG_OK);
  assert_string_equal(j.state, "failed");
  expect_status(f, SHA_B, "error", "the job failed after 3 attempts: lease expired");
}

/* With an App: a check run whose summary is the report, cut to GitHub's 65 535 bytes with a
 * link to the whole; the comment links the regressed benchmarks' trends. */
static void check_run_and_links(void **state) {
  struct fixture *f = *state;
  bg_notify_configure(bg_store_database(f->s), "https://bench.example.org/", 1);
  size_t n = 100000;
  char *md = malloc(n + 1);
  for (size_t i = 0; i < n; i++)
    md[i] = "|r\xc3\xa9sul\n"[i % 8]; /* two-byte characters too */
  md[n] = '\0';
  cJSON *v = cJSON_CreateObject();
  cJSON_AddStringToObject(v, "state", "fail");
  cJSON_AddStringToObject(v, "summary", "1 regression: parse wall_time +50.0 %");
  cJSON_AddStringToObject(v, "url", "https://bench.example.org/#/p/gh/c/" SHA_B);
  cJSON_AddStringToObject(v, "markdown", md);
  cJSON *r = cJSON_AddArrayToObject(v, "results"), *x = cJSON_CreateObject();
  cJSON_AddStringToObject(x, "benchmark", "parse");
  cJSON_AddStringToObject(x, "measure", "wall_time");
  cJSON_AddStringToObject(x, "class", "regressed");
  cJSON_AddItemToArray(r, x);
  char *text = cJSON_PrintUnformatted(v);
  cJSON_Delete(v);
  free(md);
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  int rc = bg_notify_verdict(f->s, &f->p, SHA_B, "tb1", 9, text, T0);
  assert_int_equal(bg_store_write_end(f->s, 1), BG_OK);
  assert_int_equal(rc, BG_OK);
  free(text);
  expect_status(f, SHA_B, "failure", "1 regression: parse wall_time");
  cJSON *b;
  struct bg_outbox_row row = next(f, &b);
  assert_int_equal(row.kind, BG_OUTBOX_CHECK_RUN);
  assert_string_equal(str(b, "status"), "completed");
  assert_string_equal(str(b, "conclusion"), "failure");
  const char *sum = str(cJSON_GetObjectItemCaseSensitive(b, "output"), "summary");
  assert_true(strlen(sum) <= BG_NOTIFY_CHECK_SUMMARY_MAX);
  assert_true(strlen(sum) > BG_NOTIFY_CHECK_SUMMARY_MAX - 300);
  assert_true(bg_valid_text(sum, strlen(sum), 1)); /* no character cut in two */
  assert_non_null(strstr(sum, "https://bench.example.org/#/p/gh/c/" SHA_B));
  cJSON_Delete(b);
  bg_outbox_row_clear(&row);
  row = next(f, &b);
  assert_int_equal(row.kind, BG_OUTBOX_COMMENT);
  assert_non_null(strstr(str(b, "body"), "(https://bench.example.org/#/p/gh/t?benchmark=parse&"
                                         "measure=wall_time&testbed=tb1)"));
  cJSON_Delete(b);
  bg_outbox_row_clear(&row);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cut_keeps_characters_whole),
      cmocka_unit_test_setup_teardown(no_repository_no_rows, setup_gh, teardown),
      cmocka_unit_test_setup_teardown(verdicts_become_statuses, setup_gh, teardown),
      cmocka_unit_test_setup_teardown(pull_request_comment, setup_gh, teardown),
      cmocka_unit_test_setup_teardown(jobs_become_pending_and_error, setup_gh, teardown),
      cmocka_unit_test_setup_teardown(an_expired_last_lease_is_an_error, setup_gh, teardown),
      cmocka_unit_test_setup_teardown(check_run_and_links, setup_gh, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
