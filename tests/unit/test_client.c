/* test_client.c: upload retries: full-jitter backoff bounds, Retry-After in both forms, and
 * the retry loop against a scripted loopback HTTP server (a forked child). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "client.h"
#include "verdict_wait.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void full_jitter_stays_within_the_doubling_ceiling(void **state) {
  (void)state;
  struct bg_retry r = {10, 100000, 100, 1500, 1};
  /* ceilings for tries 1..6: 100, 200, 400, 800, 1500 (capped), 1500 */
  const long long ceil[] = {100, 200, 400, 800, 1500, 1500};
  for (int a = 1; a <= 6; a++) {
    assert_int_equal(bg_retry_delay_ms(&r, a, -1, 0.0), 0);
    assert_int_equal(bg_retry_delay_ms(&r, a, -1, 0.5), ceil[a - 1] / 2);
    long long hi = bg_retry_delay_ms(&r, a, -1, 0.999999);
    assert_true(hi <= ceil[a - 1] && hi >= ceil[a - 1] - 1);
    for (int k = 0; k < 200; k++) {
      long long d = bg_retry_delay_ms(&r, a, -1, (double)rand() / ((double)RAND_MAX + 1));
      assert_true(d >= 0 && d < ceil[a - 1]);
    }
  }
  /* a u outside [0, 1) never produces a wait beyond the ceiling */
  assert_true(bg_retry_delay_ms(&r, 1, -1, 7.0) <= 100);
  /* far tries do not overflow */
  assert_true(bg_retry_delay_ms(&r, 80, -1, 0.9) <= 1500);
}

static void retry_after_replaces_the_jitter_and_is_capped(void **state) {
  (void)state;
  struct bg_retry r = {5, 100000, 100, 5000, 1};
  assert_int_equal(bg_retry_delay_ms(&r, 1, 3000, 0.1), 3000);
  assert_int_equal(bg_retry_delay_ms(&r, 1, 0, 0.9), 0);
  assert_int_equal(bg_retry_delay_ms(&r, 3, 60000, 0.5), 5000);
}

static void parses_retry_after_seconds_and_http_dates(void **state) {
  (void)state;
  struct tm tm = {0};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10; /* November */
  tm.tm_mday = 27;
  tm.tm_hour = 3;
  tm.tm_min = 59;
  tm.tm_sec = 30;
  time_t now = timegm(&tm);
  assert_int_equal(bg_client_retry_after_ms("120", now), 120000);
  assert_int_equal(bg_client_retry_after_ms("0", now), 0);
  assert_int_equal(bg_client_retry_after_ms("Fri, 27 Nov 2026 04:00:00 GMT", now), 30000);
  assert_int_equal(bg_client_retry_after_ms("Friday, 27-Nov-26 04:01:00 GMT", now), 90000);
  assert_int_equal(bg_client_retry_after_ms("Fri Nov 27 04:00:10 2026", now), 40000);
  /* a date in the past means now */
  assert_int_equal(bg_client_retry_after_ms("Thu, 26 Nov 2026 04:00:00 GMT", now), 0);
  assert_int_equal(bg_client_retry_after_ms("", now), -1);
  assert_int_equal(bg_client_retry_after_ms(NULL, now), -1);
  assert_int_equal(bg_client_retry_after_ms("-5", now), -1);
  assert_int_equal(bg_client_retry_after_ms("12s", now), -1);
  assert_int_equal(bg_client_retry_after_ms("soon", now), -1);
  assert_int_equal(bg_client_retry_after_ms("Fri, 27 Nov 2026 04:00:00 GMT junk", now), -1);
}

static void reads_retry_settings_from_the_environment(void **state) {
  (void)state;
  struct bg_retry r;
  setenv("BENCHGATE_RETRY_ATTEMPTS", "3", 1);
  setenv("BENCHGATE_RETRY_MAX_SECONDS", "1.5", 1);
  setenv("BENCHGATE_RETRY_BASE_MS", "oops", 1);
  bg_retry_from_env(&r);
  assert_int_equal(r.attempts, 3);
  assert_int_equal(r.max_total_ms, 1500);
  assert_int_equal(r.base_ms, BG_RETRY_BASE_MS); /* malformed: default kept */
  assert_int_equal(r.cap_ms, BG_RETRY_CAP_MS);
  unsetenv("BENCHGATE_RETRY_ATTEMPTS");
  unsetenv("BENCHGATE_RETRY_MAX_SECONDS");
  unsetenv("BENCHGATE_RETRY_BASE_MS");
}

/* A scripted server: answers the i-th connection with answers[i] (a full HTTP response),
 * then exits with the number of requests it served. */
struct stub {
  pid_t pid;
  int port;
};

static struct stub stub_start(const char *const *answers, int n) {
  struct stub s;
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(fd, 8), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
  s.port = ntohs(a.sin_port);
  s.pid = fork();
  assert_true(s.pid >= 0);
  if (s.pid == 0) {
    int served = 0;
    for (int i = 0; i < n; i++) {
      int c = accept(fd, NULL, NULL);
      if (c < 0)
        _exit(100);
      char req[65536];
      size_t got = 0;
      /* Read the headers and the body that Content-Length announces. */
      for (;;) {
        ssize_t r = read(c, req + got, sizeof req - 1 - got);
        if (r <= 0)
          break;
        got += (size_t)r;
        req[got] = '\0';
        char *end = strstr(req, "\r\n\r\n");
        if (!end)
          continue;
        char *cl = strcasestr(req, "Content-Length:");
        size_t want = cl ? (size_t)strtol(cl + 15, NULL, 10) : 0;
        if (got >= (size_t)(end + 4 - req) + want)
          break;
      }
      served++;
      if (write(c, answers[i], strlen(answers[i])) < 0)
        _exit(101);
      close(c);
    }
    _exit(served);
  }
  close(fd);
  return s;
}

static int stub_wait(struct stub s) {
  int status;
  waitpid(s.pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define A503 "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n"
#define A201                                                                                       \
  "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n"           \
  "{\"run_id\":\"x\"}"
#define A400                                                                                       \
  "HTTP/1.1 400 Bad Request\r\nContent-Length: 48\r\n\r\n"                                         \
  "{\"error\":{\"code\":\"invalid\",\"message\":\"bad run\"}}"
#define A429 "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"

static void retries_503_and_succeeds(void **state) {
  (void)state;
  const char *answers[] = {A503, A503, A201};
  struct stub s = stub_start(answers, 3);
  char url[64], err[512];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
  struct bg_client c = {.server = url, .token = "t", .connect_timeout_ms = 2000, .timeout_ms = 5000};
  struct bg_retry r = {5, 10000, 5000, 30000, 1}; /* Retry-After: 0 must beat the 5 s base */
  struct bg_response res;
  int tries = 0;
  long long t0 = mono_ms();
  int rc = bg_client_request_retry(&c, &r, "POST", "/api/v1/projects/p/runs", "{}", &res, &tries,
                                   err, sizeof err);
  assert_int_equal(rc, BG_OK);
  assert_int_equal(res.status, 201);
  assert_int_equal(tries, 3);
  assert_true(mono_ms() - t0 < 2000);
  assert_string_equal(res.body.data, "{\"run_id\":\"x\"}");
  bg_response_free(&res);
  assert_int_equal(stub_wait(s), 3);
}

static void does_not_retry_a_rejected_run(void **state) {
  (void)state;
  const char *answers[] = {A400};
  struct stub s = stub_start(answers, 1);
  char url[64], err[512], msg[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
  struct bg_client c = {.server = url, .token = NULL, .connect_timeout_ms = 2000, .timeout_ms = 5000};
  struct bg_retry r = {5, 10000, 1, 10, 1};
  struct bg_response res;
  int tries = 0;
  assert_int_equal(
      bg_client_request_retry(&c, &r, "POST", "/x", "{}", &res, &tries, err, sizeof err), BG_OK);
  assert_int_equal(res.status, 400);
  assert_int_equal(tries, 1);
  bg_client_error_message(&res, msg, sizeof msg);
  assert_string_equal(msg, "bad run");
  bg_response_free(&res);
  assert_int_equal(stub_wait(s), 1);
}

static void stops_when_retry_after_passes_the_time_budget(void **state) {
  (void)state;
  const char *answers[] = {A429};
  struct stub s = stub_start(answers, 1);
  char url[64], err[512];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
  struct bg_client c = {.server = url, .token = NULL, .connect_timeout_ms = 2000, .timeout_ms = 5000};
  struct bg_retry r = {5, 300, 1, 30000, 1}; /* 1 s wait asked, 0.3 s budget */
  struct bg_response res;
  int tries = 0;
  long long t0 = mono_ms();
  assert_int_equal(
      bg_client_request_retry(&c, &r, "POST", "/x", "{}", &res, &tries, err, sizeof err), BG_OK);
  assert_int_equal(res.status, 429);
  assert_string_equal(res.retry_after, "1");
  assert_int_equal(tries, 1);
  assert_true(mono_ms() - t0 < 900);
  bg_response_free(&res);
  assert_int_equal(stub_wait(s), 1);
}

static void gives_up_on_a_closed_port_after_the_attempts(void **state) {
  (void)state;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  getsockname(fd, (struct sockaddr *)&a, &al);
  close(fd); /* bound, never listened, closed: connections are refused */
  char url[64], err[512];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
  struct bg_client c = {.server = url, .token = NULL, .connect_timeout_ms = 2000, .timeout_ms = 5000};
  struct bg_retry r = {3, 10000, 5, 20, 1};
  struct bg_response res;
  int tries = 0;
  assert_int_equal(
      bg_client_request_retry(&c, &r, "GET", "/healthz", NULL, &res, &tries, err, sizeof err),
      BG_ENET);
  assert_int_equal(tries, 3);
  assert_non_null(strstr(err, "unreachable"));
}

/* An upload of more than 1 000 results answers a summary without the report: the agent sees
 * that it is one (and `benchgate run --gate` then reads the full verdict). */
static void reads_a_summarized_upload_answer(void **state) {
  (void)state;
  struct bg_verdict v = {{0}, {0}, {0}, NULL, 0};
  bg_verdict_parse("{\"run_id\":\"x\",\"verdict\":{\"state\":\"pass\",\"summarized\":true,"
                   "\"results_total\":1503,\"worst\":[],\"summary\":\"no regressions\","
                   "\"verdict_url\":\"/api/v1/projects/p/commits/a/verdict?testbed=t\"}}",
                   &v);
  assert_string_equal(v.state, "pass");
  assert_string_equal(v.summary, "no regressions");
  assert_int_equal(v.summarized, 1);
  assert_null(v.markdown);
  bg_verdict_parse("{\"state\":\"pass\",\"summary\":\"s\",\"markdown\":\"### r\"}", &v);
  assert_int_equal(v.summarized, 0);
  assert_string_equal(v.markdown, "### r");
  bg_verdict_clear(&v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(full_jitter_stays_within_the_doubling_ceiling),
      cmocka_unit_test(retry_after_replaces_the_jitter_and_is_capped),
      cmocka_unit_test(parses_retry_after_seconds_and_http_dates),
      cmocka_unit_test(reads_retry_settings_from_the_environment),
      cmocka_unit_test(retries_503_and_succeeds),
      cmocka_unit_test(does_not_retry_a_rejected_run),
      cmocka_unit_test(stops_when_retry_after_passes_the_time_budget),
      cmocka_unit_test(gives_up_on_a_closed_port_after_the_attempts),
      cmocka_unit_test(reads_a_summarized_upload_answer),
  };
  bg_client_global_init();
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  bg_client_global_cleanup();
  return rc;
}
