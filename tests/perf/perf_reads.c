/* perf_reads.c: measures the read endpoints a dashboard lives on, against a live benchgated.
 *
 * Performance requirement: a series of 10 000 points answers in at most 10 ms at the median and 30 ms at the
 * 99th percentile; a commit history page of 50 in at most 5 ms at the median. This program
 * seeds a project with POINTS runs of a small suite (one commit each, one benchmark present in
 * every run, so its series has POINTS points), then times GET .../series (limit POINTS) and
 * GET .../commits (limit 50: the newest page and a page from the middle of the history, through
 * the `before` cursor). Server time comes from the Server-Timing header; round trips from the
 * client. It reports numbers; it asserts nothing.
 *
 * usage: perf_reads URL PROJECT TOKEN [POINTS] [REQUESTS]
 */
#include "buf.h"
#include "mem.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SEED_THREADS 4
#define SUITE 5 /* results per seeded run: the series benchmark and four others */

static const char *url, *project, *token;
static int points;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct answer {
  double server_ms;
  struct bg_buf body;
};

static size_t on_header(char *p, size_t size, size_t n, void *arg) {
  struct answer *a = arg;
  size_t len = size * n;
  if (len > 14 && strncasecmp(p, "Server-Timing:", 14) == 0) {
    const char *d = strstr(p, "dur=");
    if (d)
      a->server_ms = strtod(d + 4, NULL);
  }
  return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  struct answer *a = arg;
  bg_buf_append(&a->body, p, size * n);
  return size * n;
}

/* One request; body NULL for a GET. Returns the HTTP status (0 on transport failure). */
static long request(CURL *h, const char *target, const char *body, struct answer *a) {
  char auth[512];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
  hdr = curl_slist_append(hdr, auth);
  curl_easy_setopt(h, CURLOPT_URL, target);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  if (body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  a->server_ms = NAN;
  bg_buf_reset(&a->body);
  long status = 0;
  if (curl_easy_perform(h) == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hdr);
  return status;
}

/* Run k: commit k (one per minute from 2026-01-01), five results of 5 samples. */
static void seed_payload(struct bg_buf *b, int k) {
  bg_buf_reset(b);
  bg_buf_printf(b,
                "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"%08x-0000-4000-8000-%012x\","
                "\"commit\":{\"sha\":\"%040x\",\"branch\":\"main\",\"timestamp\":"
                "\"2026-01-%02dT%02d:%02d:00Z\"},\"testbed\":{\"name\":\"perf\"},\"results\":[",
                0x5eed, k, k, 1 + k / 1440, (k / 60) % 24, k % 60);
  for (int r = 0; r < SUITE; r++)
    bg_buf_printf(b,
                  "%s{\"benchmark\":\"%s%d\",\"measure\":\"wall_time\","
                  "\"samples\":[%d.5,%d.25,%d.75,%d.5,%d.0]}",
                  r ? "," : "", r ? "other_" : "series", r, 1000 + k % 7, 1001, 999, 1000, 1002);
  bg_buf_puts(b, "]}");
}

static int seed_next;
static int seed_failures;
static pthread_mutex_t seed_lock = PTHREAD_MUTEX_INITIALIZER;

static void *seeder(void *arg) {
  (void)arg;
  CURL *h = curl_easy_init();
  struct answer a;
  struct bg_buf body;
  char target[512];
  bg_buf_init(&a.body, 0);
  bg_buf_init(&body, 0);
  snprintf(target, sizeof target, "%s/api/v1/projects/%s/runs", url, project);
  for (;;) {
    pthread_mutex_lock(&seed_lock);
    int k = seed_next < points ? seed_next++ : -1;
    pthread_mutex_unlock(&seed_lock);
    if (k < 0)
      break;
    seed_payload(&body, k);
    long st = request(h, target, body.data, &a);
    if (st != 201 && st != 200) {
      pthread_mutex_lock(&seed_lock);
      if (!seed_failures++)
        fprintf(stderr, "perf_reads: seeding run %d: HTTP %ld %s\n", k, st, a.body.data);
      pthread_mutex_unlock(&seed_lock);
    }
  }
  bg_buf_free(&a.body);
  bg_buf_free(&body);
  curl_easy_cleanup(h);
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q) {
  qsort(v, n, sizeof *v, cmp_double);
  double pos = q * (double)(n - 1);
  size_t i = (size_t)pos;
  return i + 1 < n ? v[i] + (pos - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* Times `n` GETs of target; prints one table row. Returns the number of failures. */
static int time_get(CURL *h, const char *label, const char *target, int n, const char *target50,
                    const char *target99) {
  double *sv = bg_xcalloc((size_t)n, sizeof *sv), *rt = bg_xcalloc((size_t)n, sizeof *rt);
  struct answer a;
  bg_buf_init(&a.body, 0);
  int failures = 0;
  size_t bytes = 0;
  request(h, target, NULL, &a); /* warm-up */
  for (int i = 0; i < n; i++) {
    double t0 = now_ms();
    long st = request(h, target, NULL, &a);
    rt[i] = now_ms() - t0;
    sv[i] = a.server_ms;
    bytes = a.body.len;
    if (st != 200) {
      if (!failures++)
        fprintf(stderr, "perf_reads: %s: HTTP %ld %.300s\n", target, st, a.body.data);
    }
  }
  printf("| %s: server time p50 | %.2f ms | %s |\n", label, quantile(sv, (size_t)n, 0.5), target50);
  printf("| %s: server time p99 | %.2f ms | %s |\n", label, quantile(sv, (size_t)n, 0.99),
         target99);
  printf("| %s: round trip p50 (client; %zu bytes) | %.2f ms | |\n", label, bytes,
         quantile(rt, (size_t)n, 0.5));
  bg_buf_free(&a.body);
  free(sv);
  free(rt);
  return failures;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: perf_reads URL PROJECT TOKEN [POINTS] [REQUESTS]\n");
    return 2;
  }
  url = argv[1];
  project = argv[2];
  token = argv[3];
  points = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 10000;
  int requests = argc > 5 ? (int)strtol(argv[5], NULL, 10) : 50;
  if (points < 100 || requests < 1) {
    fprintf(stderr, "perf_reads: POINTS >= 100, REQUESTS >= 1\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  double t0 = now_ms();
  pthread_t th[SEED_THREADS];
  for (int i = 0; i < SEED_THREADS; i++)
    pthread_create(&th[i], NULL, seeder, NULL);
  for (int i = 0; i < SEED_THREADS; i++)
    pthread_join(th[i], NULL);
  fprintf(stderr, "perf_reads: seeded %d runs in %.1f s\n", points, (now_ms() - t0) / 1e3);
  CURL *h = curl_easy_init();
  char target[1024], label[128];
  int failures = seed_failures;
  printf("| measure (%d requests each; %d commits of %d results) | value | target |\n"
         "|---|---|---|\n",
         requests, points, SUITE);
  snprintf(target, sizeof target,
           "%s/api/v1/projects/%s/series?benchmark=series0&measure=wall_time&limit=%d", url,
           project, points);
  snprintf(label, sizeof label, "series of %d points", points);
  failures += time_get(h, label, target, requests, "<= 10 ms", "<= 30 ms");
  snprintf(target, sizeof target, "%s/api/v1/projects/%s/commits?limit=50", url, project);
  failures += time_get(h, "commit history, newest page of 50", target, requests * 4, "<= 5 ms", "");
  snprintf(target, sizeof target, "%s/api/v1/projects/%s/commits?limit=50&before=%040x", url,
           project, points / 2);
  failures +=
      time_get(h, "commit history, a page of 50 mid-history", target, requests * 4, "<= 5 ms", "");
  curl_easy_cleanup(h);
  curl_global_cleanup();
  if (failures)
    printf("| failed requests | %d | 0 |\n", failures);
  return failures ? 1 : 0;
}
