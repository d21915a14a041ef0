/* test_outbox.c: the outbox of writes to GitHub (outbox_store.h) and the sender's retry
 * policy (bg_github_judge in github_sender.h): a new row supersedes the undelivered rows of
 * its key and no other, rows come due oldest first and at their retry times, a row in flight
 * when superseded is still recorded as delivered, failed rows are never due again and are
 * listed, the GitHub ids kept per check run and comment, bad items refused; and the policy's
 * answers to 5xx, network errors, rate limits and permanent refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "github_sender.h"
#include "outbox_store.h"
#include "run.h"
#include "store.h"
#include "upload.h"

#include "store_fixture.h"

#define T0 1700000000LL
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* Adds one row in a write transaction of its own; returns bg_outbox_add's result. */
static int add(struct fixture *f, enum bg_outbox_kind kind, const char *sha, const char *ctx,
               long long pr, const char *body) {
  struct bg_outbox_item it = {f->p.id, kind, "octo/repo", sha, ctx, pr, body};
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  int rc = bg_outbox_add(f->s, &it, T0);
  assert_int_equal(bg_store_write_end(f->s, rc == BG_OK), BG_OK);
  return rc;
}

/* The id of the row due at now_ms (0: none); its body into body[n] when not NULL. */
static long long due(struct fixture *f, long long now_ms, char *body, size_t n) {
  struct bg_outbox_row r;
  int rc = bg_outbox_next_due(f->s, now_ms, BG_GITHUB_HOL_ATTEMPTS, &r);
  if (rc == BG_ENOENT)
    return 0;
  assert_int_equal(rc, BG_OK);
  if (body)
    snprintf(body, n, "%s", r.body);
  long long id = r.id;
  bg_outbox_row_clear(&r);
  return id;
}

/* Records row id as delivered. */
static void delivered(struct fixture *f, long long id) {
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  int rc = bg_outbox_delivered(f->s, id, T0);
  assert_int_equal(bg_store_write_end(f->s, rc == BG_OK), BG_OK);
  assert_int_equal(rc, BG_OK);
}

static long long depth(struct fixture *f) {
  long long n = -1;
  assert_int_equal(bg_outbox_depth(f->s, &n), BG_OK);
  return n;
}

static void newest_row_of_a_key_supersedes_older_pending_ones(void **state) {
  struct fixture *f = *state;
  char body[64];
  assert_int_equal(add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, "{\"s\":\"pending\"}"), 0);
  assert_int_equal(add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, "{\"s\":\"success\"}"), 0);
  assert_int_equal(depth(f), 1);
  assert_int_equal(due(f, T0 * 1000, body, sizeof body), 2);
  assert_string_equal(body, "{\"s\":\"success\"}");
}

static void other_keys_are_not_superseded_and_come_due_oldest_first(void **state) {
  struct fixture *f = *state;
  add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, "{}");    /* 1 */
  add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb2", 0, "{}");    /* 2: another context */
  add(f, BG_OUTBOX_STATUS, SHA_B, "benchgate/tb1", 0, "{}");    /* 3: another commit */
  add(f, BG_OUTBOX_CHECK_RUN, SHA_A, "benchgate/tb1", 0, "{}"); /* 4: another kind */
  add(f, BG_OUTBOX_COMMENT, SHA_A, "benchgate/tb1", 7, "{}");   /* 5 */
  add(f, BG_OUTBOX_COMMENT, SHA_B, "benchgate/tb1", 8, "{}");   /* 6: another pull request */
  assert_int_equal(depth(f), 6);
  for (long long id = 1; id <= 6; id++) {
    assert_int_equal(due(f, T0 * 1000, NULL, 0), id);
    delivered(f, id);
  }
  assert_int_equal(due(f, T0 * 1000, NULL, 0), 0);
  assert_int_equal(depth(f), 0);
}

static void a_comment_is_keyed_by_pull_request_not_by_commit(void **state) {
  struct fixture *f = *state;
  char body[64];
  add(f, BG_OUTBOX_COMMENT, SHA_A, "benchgate/tb1", 7, "{\"body\":\"old head\"}");
  add(f, BG_OUTBOX_COMMENT, SHA_B, "benchgate/tb1", 7, "{\"body\":\"new head\"}");
  assert_int_equal(depth(f), 1);
  assert_int_equal(due(f, T0 * 1000, body, sizeof body), 2);
  assert_string_equal(body, "{\"body\":\"new head\"}");
}

static void a_key_row_after_a_delivered_one_is_sent_after_it(void **state) {
  struct fixture *f = *state;
  add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, "{\"s\":\"pending\"}");
  assert_int_equal(due(f, T0 * 1000, NULL, 0), 1);
  /* Row 1 is in flight when row 2 comes: row 2 supersedes it, and it went out all the same. */
  add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, "{\"s\":\"success\"}");
  delivered(f, 1);
  assert_int_equal(due(f, T0 * 1000, NULL, 0), 2);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_outbox_list_json(f->s, &out), BG_OK);
  assert_non_null(strstr(out.data, "{\"pending\":1,\"failed\":0,"));
  assert_non_null(strstr(out.data, "\"id\":2,"));
  assert_null(strstr(out.data, "\"id\":1,"));
  bg_buf_free(&out);
}

static void a_retried_row_is_due_at_its_next_attempt(void **state) {
  struct fixture *f = *state;
  long long at = 0, now = T0 * 1000;
  add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, "{}");
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  int rc = bg_outbox_retry(f->s, 1, now + 5000, "HTTP 503", 1, T0);
  assert_int_equal(bg_store_write_end(f->s, rc == BG_OK), BG_OK);
  assert_int_equal(due(f, now, NULL, 0), 0);
  assert_int_equal(due(f, now + 4999, NULL, 0), 0);
  assert_int_equal(bg_outbox_next_time(f->s, &at), BG_OK);
  assert_int_equal(at, now + 5000);
  struct bg_outbox_row r;
  assert_int_equal(bg_outbox_next_due(f->s, now + 5000, BG_GITHUB_HOL_ATTEMPTS, &r), BG_OK);
  assert_int_equal(r.id, 1);
  assert_int_equal(r.attempts, 1);
  bg_outbox_row_clear(&r);
  /* A newer row of the key is due at once and supersedes the waiting one. */
  add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, "{}");
  assert_int_equal(due(f, now, NULL, 0), 2);
}

/* Sets row id's attempts to `attempts` (retrying it that often) and its next attempt. */
static void retry_times(struct fixture *f, long long id, int attempts, long long next_ms) {
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  int rc = BG_OK;
  for (int i = 0; i < attempts && rc == BG_OK; i++)
    rc = bg_outbox_retry(f->s, id, next_ms, "HTTP 503", 1, T0);
  assert_int_equal(bg_store_write_end(f->s, rc == BG_OK), BG_OK);
}

static void a_row_waiting_for_its_retry_holds_back_younger_rows(void **state) {
  struct fixture *f = *state;
  long long now = T0 * 1000;
  add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, "{}");
  add(f, BG_OUTBOX_STATUS, SHA_B, "benchgate/tb1", 0, "{}");
  retry_times(f, 1, 1, now + 2000);
  assert_int_equal(due(f, now, NULL, 0), 0); /* row 2 waits behind row 1 */
  struct bg_outbox_row r;
  assert_int_equal(bg_outbox_next_due(f->s, now, 0, &r), BG_OK); /* unless nothing holds */
  assert_int_equal(r.id, 2);
  bg_outbox_row_clear(&r);
  assert_int_equal(due(f, now + 2000, NULL, 0), 1);
  /* A row that failed BG_GITHUB_HOL_ATTEMPTS times holds nothing back any more. */
  retry_times(f, 1, BG_GITHUB_HOL_ATTEMPTS - 1, now + 600000);
  assert_int_equal(due(f, now, NULL, 0), 2);
}

static void a_failed_row_is_never_due_and_is_listed(void **state) {
  struct fixture *f = *state;
  add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, "{}");
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  int rc = bg_outbox_failed(f->s, 1, "HTTP 422: Validation Failed", T0);
  assert_int_equal(bg_store_write_end(f->s, rc == BG_OK), BG_OK);
  assert_int_equal(due(f, (T0 + 86400) * 1000, NULL, 0), 0);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_outbox_list_json(f->s, &out), BG_OK);
  assert_non_null(strstr(out.data, "{\"pending\":0,\"failed\":1,"));
  assert_non_null(strstr(out.data, "\"state\":\"failed\",\"attempts\":1,"
                                   "\"last_error\":\"HTTP 422: Validation Failed\","
                                   "\"next_attempt_at\":null"));
  assert_non_null(strstr(out.data, "\"project\":\"demo\",\"kind\":\"status\""));
  bg_buf_free(&out);
}

static void github_ids_are_kept_per_kind_and_key(void **state) {
  struct fixture *f = *state;
  struct bg_outbox_row run = {
      .kind = BG_OUTBOX_CHECK_RUN, .repo = "octo/repo", .sha = SHA_A, .context = "benchgate/tb1"};
  struct bg_outbox_row comment = {.kind = BG_OUTBOX_COMMENT,
                                  .repo = "octo/repo",
                                  .sha = SHA_A,
                                  .context = "benchgate/tb1",
                                  .pull_request = 7};
  long long id = -1;
  assert_int_equal(bg_outbox_object_get(f->s, &run, &id), BG_OK);
  assert_int_equal(id, 0);
  assert_int_equal(bg_outbox_object_put(f->s, &run, 41), BG_OK);
  assert_int_equal(bg_outbox_object_put(f->s, &comment, 42), BG_OK);
  assert_int_equal(bg_outbox_object_get(f->s, &run, &id), BG_OK);
  assert_int_equal(id, 41);
  snprintf(comment.sha, sizeof comment.sha, "%s", SHA_B); /* a comment's key has no sha */
  assert_int_equal(bg_outbox_object_get(f->s, &comment, &id), BG_OK);
  assert_int_equal(id, 42);
  assert_int_equal(bg_outbox_object_put(f->s, &comment, 0), BG_OK);
  assert_int_equal(bg_outbox_object_get(f->s, &comment, &id), BG_OK);
  assert_int_equal(id, 0);
}

static void rejects_items_that_cannot_be_sent(void **state) {
  struct fixture *f = *state;
  assert_int_equal(add(f, BG_OUTBOX_COMMENT, SHA_A, "benchgate/tb1", 0, "{}"), BG_EINVAL);
  assert_int_equal(add(f, BG_OUTBOX_STATUS, "abc", "benchgate/tb1", 0, "{}"), BG_EINVAL);
  assert_int_equal(add(f, BG_OUTBOX_STATUS, SHA_A, "", 0, "{}"), BG_EINVAL);
  assert_int_equal(add(f, BG_OUTBOX_STATUS, SHA_A, "benchgate/tb1", 0, ""), BG_EINVAL);
  struct bg_outbox_item it = {f->p.id, BG_OUTBOX_STATUS, "octo/../x/y", SHA_A, "c", 0, "{}"};
  assert_int_equal(bg_outbox_add(f->s, &it, T0), BG_EINVAL);
  assert_int_equal(depth(f), 0);
}

/* ---- the retry policy ---- */

/* Judges an answer with `status`, the headers given (-1/0: absent) and `body`. */
static void judge(long status, long long retry_after, long long remaining, long long reset,
                  const char *body, int attempts, struct bg_github_judgement *j) {
  struct bg_github_response res;
  uint64_t rng = 12345;
  bg_github_response_init(&res);
  res.status = status;
  res.retry_after_s = retry_after;
  res.rl_remaining = remaining;
  res.rl_reset = reset;
  bg_buf_puts(&res.body, body);
  bg_github_judge(&res, 0, attempts, T0 * 1000, &rng, j);
  bg_github_response_free(&res);
}

static void server_errors_back_off_with_jitter_and_pause_all(void **state) {
  struct bg_github_judgement j;
  long long now = T0 * 1000;
  (void)state;
  for (int attempts = 0; attempts < 12; attempts++) {
    long long most = 1000LL << attempts;
    most = most > 600000 ? 600000 : most;
    judge(503, -1, -1, 0, "", attempts, &j);
    assert_int_equal(j.outcome, BG_GITHUB_RETRY);
    assert_in_range(j.next_ms, now + 50, now + most);
    assert_int_equal(j.pause_until_ms, attempts < BG_GITHUB_HOL_ATTEMPTS ? j.next_ms : 0);
    assert_string_equal(j.error, "HTTP 503");
  }
  /* Draws differ: full jitter, not a fixed ladder. */
  struct bg_github_response res;
  uint64_t rng = 99;
  long long seen[8];
  int distinct = 0;
  bg_github_response_init(&res);
  res.status = 502;
  for (int i = 0; i < 8; i++) {
    bg_github_judge(&res, 0, 10, now, &rng, &j);
    seen[i] = j.next_ms;
    distinct += i == 0 || seen[i] != seen[i - 1];
  }
  bg_github_response_free(&res);
  assert_true(distinct >= 6);
  judge(500, 30, -1, 0, "", 0, &j); /* Retry-After beats a shorter backoff */
  assert_int_equal(j.next_ms, now + 30000);
}

static void network_errors_are_retried(void **state) {
  struct bg_github_response res;
  struct bg_github_judgement j;
  uint64_t rng = 7;
  (void)state;
  bg_github_response_init(&res);
  snprintf(res.error, sizeof res.error, "Connection refused");
  bg_github_judge(&res, BG_ENET, 2, T0 * 1000, &rng, &j);
  assert_int_equal(j.outcome, BG_GITHUB_RETRY);
  assert_string_equal(j.error, "network: Connection refused");
  assert_in_range(j.next_ms, T0 * 1000 + 50, T0 * 1000 + 4000);
  bg_github_response_free(&res);
}

static void rate_limits_pause_all_sending(void **state) {
  struct bg_github_judgement j;
  long long now = T0 * 1000;
  (void)state;
  judge(403, 7, -1, 0, "{\"message\":\"You have exceeded a secondary rate limit\"}", 0, &j);
  assert_int_equal(j.outcome, BG_GITHUB_RETRY);
  assert_int_equal(j.pause_until_ms, now + 7000);
  assert_int_equal(j.next_ms, now + 7000);
  assert_true(j.rate_limited);
  judge(403, -1, -1, 0, "{\"message\":\"You have exceeded a secondary rate limit.\"}", 0, &j);
  assert_int_equal(j.pause_until_ms, now + BG_GITHUB_SECONDARY_PAUSE_MS);
  judge(429, -1, -1, 0, "", 0, &j);
  assert_int_equal(j.pause_until_ms, now + BG_GITHUB_SECONDARY_PAUSE_MS);
  judge(403, -1, 0, T0 + 120, "{\"message\":\"API rate limit exceeded\"}", 0, &j);
  assert_int_equal(j.outcome, BG_GITHUB_RETRY);
  assert_int_equal(j.pause_until_ms, (T0 + 120) * 1000);
  /* The last request the limit allowed succeeds, and nothing goes out until the reset. */
  judge(201, -1, 0, T0 + 30, "{}", 0, &j);
  assert_int_equal(j.outcome, BG_GITHUB_DELIVERED);
  assert_int_equal(j.pause_until_ms, (T0 + 30) * 1000);
  judge(201, -1, 5, T0 + 30, "{}", 0, &j);
  assert_int_equal(j.pause_until_ms, 0);
}

static void other_client_errors_fail_for_good(void **state) {
  struct bg_github_judgement j;
  (void)state;
  judge(422, -1, -1, 0, "{\"message\":\"Validation Failed\"}", 0, &j);
  assert_int_equal(j.outcome, BG_GITHUB_FAILED);
  assert_string_equal(j.error, "HTTP 422: Validation Failed");
  assert_int_equal(j.pause_until_ms, 0);
  judge(403, -1, 4000, T0 + 60, "{\"message\":\"Resource not accessible by integration\"}", 0, &j);
  assert_int_equal(j.outcome, BG_GITHUB_FAILED);
  judge(401, -1, -1, 0, "not json", 0, &j);
  assert_int_equal(j.outcome, BG_GITHUB_FAILED);
  assert_string_equal(j.error, "HTTP 401");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(newest_row_of_a_key_supersedes_older_pending_ones, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(other_keys_are_not_superseded_and_come_due_oldest_first,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(a_comment_is_keyed_by_pull_request_not_by_commit, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_key_row_after_a_delivered_one_is_sent_after_it, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_retried_row_is_due_at_its_next_attempt, setup, teardown),
      cmocka_unit_test_setup_teardown(a_row_waiting_for_its_retry_holds_back_younger_rows, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_failed_row_is_never_due_and_is_listed, setup, teardown),
      cmocka_unit_test_setup_teardown(github_ids_are_kept_per_kind_and_key, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_items_that_cannot_be_sent, setup, teardown),
      cmocka_unit_test(server_errors_back_off_with_jitter_and_pause_all),
      cmocka_unit_test(network_errors_are_retried),
      cmocka_unit_test(rate_limits_pause_all_sending),
      cmocka_unit_test(other_client_errors_fail_for_good),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
