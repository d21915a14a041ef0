/* test_webhook.c: a webhook delivery's signature (a known HMAC-SHA256 vector, case, prefix,
 * length), its payload parsed into what benchgate acts on (each kind, the members named when
 * missing or bad, a fork's branch), and its effect on the queue (webhook.h): one job per
 * testbed of every project of the repository in any case, nothing twice for a redelivery,
 * a closed pull request's queued jobs canceled, the delivery's row committed with its jobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jobs.h"
#include "store.h"
#include "upload.h"
#include "webhook.h"
#include "webhook_payload.h"

#include "store_fixture.h"

#define T0 1700000000LL
#define HEAD "0123456789abcdef0123456789abcdef01234567"
#define REPO "\"repository\":{\"full_name\":\"Acme/Widget\"}"

static void signature(void **state) {
  (void)state;
  static const unsigned char key[] = "It's a Secret to Everybody";
  const char *body = "Hello, World!";
  const char *good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  assert_true(bg_webhook_verify(key, sizeof key - 1, good, body, strlen(body)));
  assert_true(
      bg_webhook_verify(key, sizeof key - 1,
                        "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17",
                        body, strlen(body)));
  assert_false(bg_webhook_verify(key, sizeof key - 1, good, body, strlen(body) - 1));
  assert_false(bg_webhook_verify(key, sizeof key - 2, good, body, strlen(body)));
  assert_false(bg_webhook_verify(key, 0, good, body, strlen(body)));
  assert_false(bg_webhook_verify(key, sizeof key - 1, good + 7, body, strlen(body)));
  assert_false(bg_webhook_verify(key, sizeof key - 1, NULL, body, strlen(body)));
  assert_false(bg_webhook_verify(
      key, sizeof key - 1, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
      body, strlen(body)));
  assert_false(
      bg_webhook_verify(key, sizeof key - 1,
                        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17 ",
                        body, strlen(body)));
  assert_false(
      bg_webhook_verify(key, sizeof key - 1,
                        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1g",
                        body, strlen(body)));
  assert_true(bg_webhook_delivery_valid("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
  assert_false(bg_webhook_delivery_valid(""));
  assert_false(bg_webhook_delivery_valid("a b"));
}

/* Parses `body` as `event`; returns the rc, with *ev and e->field. */
static int parse(const char *event, const char *body, struct bg_webhook_event *ev,
                 struct bg_ferr *e) {
  return bg_webhook_parse(event, body, strlen(body), ev, e);
}

static void payloads(void **state) {
  struct bg_webhook_event ev;
  struct bg_ferr e;
  (void)state;
  assert_int_equal(parse("ping", "{\"zen\":\"z\"}", &ev, &e), BG_OK);
  assert_int_equal(ev.kind, BG_WEBHOOK_PING);
  assert_int_equal(parse("push",
                         "{\"ref\":\"refs/heads/main\",\"after\":\""
                         "0123456789ABCDEF0123456789abcdef01234567"
                         "\"," REPO "}",
                         &ev, &e),
                   BG_OK);
  assert_int_equal(ev.kind, BG_WEBHOOK_PUSH);
  assert_string_equal(ev.sha, HEAD); /* lowercased */
  assert_string_equal(ev.branch, "main");
  assert_string_equal(ev.repo, "Acme/Widget");
  assert_int_equal(
      parse("push",
            "{\"ref\":\"refs/heads/"
            "x\",\"deleted\":true,\"after\":\"0000000000000000000000000000000000000000\"," REPO "}",
            &ev, &e),
      BG_OK);
  assert_int_equal(ev.kind, BG_WEBHOOK_IGNORE);
  assert_int_equal(
      parse("push", "{\"ref\":\"refs/tags/v1\",\"after\":\"" HEAD "\"," REPO "}", &ev, &e), BG_OK);
  assert_int_equal(ev.kind, BG_WEBHOOK_IGNORE);
  assert_int_equal(parse("push", "{\"ref\":\"refs/heads/main\"," REPO "}", &ev, &e), BG_EINVAL);
  assert_string_equal(e.field, "after");
  assert_int_equal(parse("push", "{\"ref\":\"refs/heads/main\",\"after\":\"" HEAD "\"}", &ev, &e),
                   BG_EINVAL);
  assert_string_equal(e.field, "repository.full_name");
  assert_int_equal(parse("push", "[1]", &ev, &e), BG_EINVAL);
  assert_string_equal(e.field, "body");
  assert_int_equal(parse(NULL, "{}", &ev, &e), BG_EINVAL);
  assert_string_equal(e.field, "X-GitHub-Event");

  const char *pr =
      "{\"action\":\"synchronize\",\"number\":12,\"pull_request\":{\"head\":{"
      "\"ref\":\"fast\",\"sha\":\"" HEAD "\",\"repo\":{\"full_name\":\"acme/widget\"}},"
      "\"base\":{\"ref\":\"main\"}}," REPO "}";
  assert_int_equal(parse("pull_request", pr, &ev, &e), BG_OK);
  assert_int_equal(ev.kind, BG_WEBHOOK_PR_RUN);
  assert_int_equal(ev.pull_request, 12);
  assert_string_equal(ev.branch, "fast");
  assert_string_equal(ev.base_branch, "main");
  const char *fork = "{\"action\":\"opened\",\"number\":13,\"pull_request\":{\"head\":{"
                     "\"ref\":\"main\",\"sha\":\"" HEAD "\",\"repo\":null},"
                     "\"base\":{\"ref\":\"main\"}}," REPO "}";
  assert_int_equal(parse("pull_request", fork, &ev, &e), BG_OK);
  assert_string_equal(ev.branch, "pull/13/head");
  assert_int_equal(parse("pull_request", "{\"action\":\"edited\",\"number\":1," REPO "}", &ev, &e),
                   BG_OK);
  assert_int_equal(ev.kind, BG_WEBHOOK_IGNORE);
  assert_int_equal(parse("pull_request",
                         "{\"action\":\"edited\",\"changes\":{\"base\":{}},\"number\":1," REPO "}",
                         &ev, &e),
                   BG_EINVAL);
  assert_string_equal(e.field, "pull_request.head.sha");
  assert_int_equal(parse("pull_request", "{\"action\":\"closed\",\"number\":1," REPO "}", &ev, &e),
                   BG_OK);
  assert_int_equal(ev.kind, BG_WEBHOOK_PR_CLOSED);
  assert_int_equal(parse("pull_request", "{\"action\":\"closed\",\"number\":0," REPO "}", &ev, &e),
                   BG_EINVAL);
  assert_string_equal(e.field, "number");
  assert_int_equal(parse("pull_request", "{\"action\":7," REPO "}", &ev, &e), BG_EINVAL);
  assert_string_equal(e.field, "action");
  assert_int_equal(parse("pull_request", "{\"action\":\"assigned\"}", &ev, &e), BG_OK);
  assert_int_equal(ev.kind, BG_WEBHOOK_IGNORE);
}

/* The number of the project's jobs in `state`. */
static int count(struct fixture *f, const struct bg_project *p, const char *state) {
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_jobs_list_json(f->s, p, state, NULL, T0, &out), BG_OK);
  int n = 0;
  for (const char *c = out.data; (c = strstr(c, "\"id\":")); c++)
    n++;
  bg_buf_free(&out);
  return n;
}

/* An agent asking for jobs of `tb` makes it a testbed of project p. */
static void testbed(struct fixture *f, const struct bg_project *p, const char *tb) {
  struct bg_jobs_lease_request r = {
      .agent = "a", .testbed = tb, .project_id = p->id, .lease_s = 60};
  struct bg_job j;
  assert_int_equal(bg_jobs_lease(f->s, &r, T0, &j), BG_ENOENT);
}

static void deliveries(void **state) {
  struct fixture *f = *state;
  struct bg_project other;
  struct bg_webhook_event ev;
  struct bg_webhook_result res;
  struct bg_ferr e;
  assert_int_equal(bg_store_project_create(f->s, "w1", "acme/widget", "main", NULL), BG_OK);
  struct bg_project w1;
  assert_int_equal(bg_store_project_get(f->s, "w1", &w1), BG_OK);
  assert_int_equal(bg_store_project_create(f->s, "w2", "ACME/WIDGET", "trunk", &other), BG_OK);
  testbed(f, &w1, "tb1");
  testbed(f, &w1, "tb2");
  testbed(f, &other, "tb1");

  const char *push = "{\"ref\":\"refs/heads/main\",\"after\":\"" HEAD "\"," REPO "}";
  assert_int_equal(parse("push", push, &ev, &e), BG_OK);
  assert_int_equal(bg_webhook_deliver(f->s, "d1", &ev, T0, &res), BG_OK);
  assert_false(res.redelivery);
  assert_int_equal(res.created, 2); /* w1's two testbeds; main is not w2's default branch */
  assert_int_equal(count(f, &w1, "queued"), 2);
  assert_int_equal(count(f, &other, NULL), 0);
  assert_int_equal(bg_webhook_deliver(f->s, "d1", &ev, T0, &res), BG_OK);
  assert_true(res.redelivery);
  assert_int_equal(res.created, 0);
  assert_int_equal(count(f, &w1, NULL), 2);

  const char *pr =
      "{\"action\":\"opened\",\"number\":5,\"pull_request\":{\"head\":{"
      "\"ref\":\"fast\",\"sha\":\"1111111111111111111111111111111111111111\","
      "\"repo\":{\"full_name\":\"Acme/Widget\"}},\"base\":{\"ref\":\"main\"}}," REPO "}";
  assert_int_equal(parse("pull_request", pr, &ev, &e), BG_OK);
  assert_int_equal(bg_webhook_deliver(f->s, "d2", &ev, T0, &res), BG_OK);
  assert_int_equal(res.created, 3); /* both projects' testbeds */
  assert_int_equal(parse("pull_request", "{\"action\":\"closed\",\"number\":5," REPO "}", &ev, &e),
                   BG_OK);
  assert_int_equal(bg_webhook_deliver(f->s, "d3", &ev, T0, &res), BG_OK);
  assert_int_equal(res.canceled, 3);
  assert_int_equal(count(f, &w1, "canceled"), 2);
  assert_int_equal(count(f, &other, "canceled"), 1);
  assert_int_equal(count(f, &w1, "queued"), 2); /* the push's jobs */

  assert_int_equal(parse("push",
                         "{\"ref\":\"refs/heads/main\",\"after\":\"" HEAD "\","
                         "\"repository\":{\"full_name\":\"nobody/here\"}}",
                         &ev, &e),
                   BG_OK);
  assert_int_equal(bg_webhook_deliver(f->s, "d4", &ev, T0, &res), BG_OK);
  assert_non_null(strstr(res.outcome, "ignored"));
  assert_int_equal(bg_webhook_deliver(f->s, "d4", &ev, T0, &res), BG_OK);
  assert_true(res.redelivery); /* an ignored delivery is stored too */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(signature),
      cmocka_unit_test(payloads),
      cmocka_unit_test_setup_teardown(deliveries, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
