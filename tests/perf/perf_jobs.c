/* perf_jobs.c: measures the job queue against a live benchgated.
 *
 * Performance requirements: an agent waiting in a long-polled lease gets a newly enqueued job
 * within 50 ms at the median, and a lease with 10 000 other jobs queued is at most 2x slower
 * than a lease with an almost empty queue. This program measures, in order:
 *
 *   wake-up (empty queue): ROUNDS times, a thread of its own waits in
 *     POST /agents/lease {"wait":30} on testbed "w"; once the server lists that agent (it has
 *     looked at the queue and sleeps), the main thread enqueues a new sha on "w". Latency: from
 *     the start of the enqueue request to the waiting lease's answer arriving. The main
 *     thread's requests go on its keep-alive connection: a waiting lease is parked and holds
 *     no worker, so the other connections a worker serves go on. One GET /agents, timed, is
 *     made while the lease is parked.
 *   lease (almost empty queue): ROUNDS times, enqueue one job on testbed "m", then time one
 *     lease {"wait":0} of "m": it finds that one job queued.
 *   the fill: QUEUED + HELD enqueues of distinct shas, one job each, by FILL_THREADS clients:
 *     half on "m", half spread over "o1".."o4"; then HELD of the "o" jobs leased by other
 *     agents and kept, so the expiry sweep every lease runs first has unexpired leases in its
 *     index.
 *   lease (QUEUED other jobs queued): as above; each round's lease takes the oldest queued job
 *     of "m" (a filler job) while the job the round enqueued joins the tail, so every lease
 *     sees QUEUED other jobs queued.
 *   wake-up (QUEUED jobs queued): as the first, with the filled queue.
 *
 * Every leased job is completed by an upload of a one-result run naming it (untimed), so the
 * queue holds only what each phase puts there. Server time is the Server-Timing header;
 * round trips are the client's. It reports numbers; it asserts nothing.
 *
 * usage: perf_jobs URL PROJECT CI_TOKEN AGENT_TOKEN [ROUNDS] [QUEUED]
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

#define FILL_THREADS 4
#define HELD 100     /* leases held by other agents while the filled queue is measured */
#define OTHER_BEDS 4 /* testbeds o1..o4 beside "m" (leases) and "w" (wake-ups) */

static const char *url, *project, *ci_token, *agent_token;
static int failures;
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms) {
  struct timespec ts = {(time_t)(ms / 1e3), (long)(fmod(ms, 1e3) * 1e6)};
  nanosleep(&ts, NULL);
}

struct answer {
  double server_ms;
  struct bg_buf body;
  const char *error; /* the transport error of a request that got no answer */
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

/* One request to URL + path with `token`; body NULL for a GET. Returns the HTTP status (0 on
 * transport failure). */
static long request(CURL *h, const char *token, const char *path, const char *body,
                    struct answer *a) {
  char auth[512], target[1024];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  snprintf(target, sizeof target, "%s%s", url, path);
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
  CURLcode cc = curl_easy_perform(h);
  a->error = cc == CURLE_OK ? NULL : curl_easy_strerror(cc);
  if (cc == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hdr);
  return status;
}

/* Counts a failed request, printing the first. Returns 0 so callers can return it. */
static int failed(const char *what, long status, const struct answer *a) {
  pthread_mutex_lock(&fail_lock);
  if (!failures++)
    fprintf(stderr, "perf_jobs: %s: HTTP %ld %.300s\n", what, status,
            a->error       ? a->error
            : a->body.data ? a->body.data
                           : "");
  pthread_mutex_unlock(&fail_lock);
  return 0;
}

/* The 40-hex sha of sha number k (distinct for every k). */
static void sha_of(char sha[41], unsigned k) {
  snprintf(sha, 41, "%08x%032x", 0x10b5u, k);
}

static unsigned next_sha = 1, next_run = 1;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned take(unsigned *counter) {
  pthread_mutex_lock(&counter_lock);
  unsigned v = (*counter)++;
  pthread_mutex_unlock(&counter_lock);
  return v;
}

/* Uploads a one-result run of `sha` on `testbed`, naming job `job` when > 0. 1 when stored. */
static int upload(CURL *h, struct answer *a, const char *sha, const char *testbed, long long job) {
  char body[1024], path[256], jobm[48] = "";
  if (job > 0)
    snprintf(jobm, sizeof jobm, "\"job_id\":%lld,", job);
  snprintf(body, sizeof body,
           "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"%08x-0000-4000-8000-%012x\","
           "\"commit\":{\"sha\":\"%s\",\"branch\":\"main\"},%s\"testbed\":{\"name\":\"%s\"},"
           "\"results\":[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[1,2,3]}]}",
           0x10b5u, take(&next_run), sha, jobm, testbed);
  snprintf(path, sizeof path, "/api/v1/projects/%s/runs", project);
  long st = request(h, agent_token, path, body, a);
  return st == 201 || st == 200 ? 1 : failed("upload", st, a);
}

/* The integer after `"name":` in a JSON text, or -1. */
static long long json_int(const char *text, const char *name) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\":", name);
  const char *p = text ? strstr(text, key) : NULL;
  return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* Copies the string after `"sha":"` in a JSON text into sha; 1 when found. */
static int json_sha(const char *text, char sha[41]) {
  const char *p = text ? strstr(text, "\"sha\":\"") : NULL;
  if (!p || strlen(p + 7) < 40)
    return 0;
  memcpy(sha, p + 7, 40);
  sha[40] = '\0';
  return 1;
}

/* Enqueues sha on testbed; the request's round trip in *rt_ms when not NULL. The new job's id,
 * or -1. */
static long long enqueue(CURL *h, struct answer *a, const char *sha, const char *testbed,
                         double *rt_ms) {
  char body[256], path[256];
  snprintf(body, sizeof body, "{\"sha\":\"%s\",\"branch\":\"main\",\"testbeds\":[\"%s\"]}", sha,
           testbed);
  snprintf(path, sizeof path, "/api/v1/projects/%s/jobs", project);
  double t0 = now_ms();
  long st = request(h, ci_token, path, body, a);
  if (rt_ms)
    *rt_ms = now_ms() - t0;
  if (st != 201)
    return failed("enqueue", st, a) - 1;
  return json_int(a->body.data, "id");
}

/* Leases a job of testbed for agent, waiting up to wait_s. HTTP status. */
static long lease(CURL *h, struct answer *a, const char *agent, const char *testbed, int wait_s) {
  char body[256];
  snprintf(body, sizeof body, "{\"agent\":\"%s\",\"testbed\":\"%s\",\"wait\":%d}", agent, testbed,
           wait_s);
  return request(h, agent_token, "/api/v1/agents/lease", body, a);
}

/* Completes the job of a 200 lease answer by an upload naming it. */
static void complete(CURL *h, struct answer *a, const struct answer *leased, const char *testbed) {
  char sha[41];
  long long id = json_int(leased->body.data, "id");
  if (id <= 0 || !json_sha(leased->body.data, sha)) {
    failed("lease answer without a job", 200, leased);
    return;
  }
  upload(h, a, sha, testbed, id);
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

/* ---- wake-up of a waiting lease ---- */

/* The waiting agent's side: a thread that, per round, waits in a lease and notes when its
 * answer arrived. The main thread hands out rounds through `round` and reads `arrived`. */
struct waiter {
  pthread_mutex_t m;
  pthread_cond_t c;
  int round;      /* the round to lease for; -1 ends the thread */
  int done;       /* the last round whose answer arrived */
  double sent;    /* when its lease was sent (now_ms) */
  double arrived; /* when its answer arrived */
  long status;
  char agent[64];
  struct answer a;
};

static void *waiter_main(void *arg) {
  struct waiter *w = arg;
  CURL *h = curl_easy_init();
  int last = 0;
  for (;;) {
    pthread_mutex_lock(&w->m);
    while (w->round == last)
      pthread_cond_wait(&w->c, &w->m);
    int r = w->round;
    char agent[64];
    snprintf(agent, sizeof agent, "%s", w->agent);
    pthread_mutex_unlock(&w->m);
    if (r < 0)
      break;
    double t0 = now_ms();
    long st = lease(h, &w->a, agent, "w", 30);
    double t = now_ms();
    pthread_mutex_lock(&w->m);
    w->sent = t0;
    w->arrived = t;
    w->status = st;
    w->done = last = r;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
  }
  curl_easy_cleanup(h);
  return NULL;
}

/* Polls GET /agents until `agent` is listed: its lease has looked at the queue and waits. */
static void until_listed(CURL *h, struct answer *a, const char *agent) {
  char quoted[80];
  snprintf(quoted, sizeof quoted, "\"%s\"", agent);
  double t0 = now_ms();
  for (;;) {
    long st = request(h, agent_token, "/api/v1/agents", NULL, a);
    if (st != 200) {
      failed("agents", st, a);
      return;
    }
    if (strstr(a->body.data, quoted))
      return;
    if (now_ms() - t0 > 20e3) {
      failed("the waiting agent never listed", st, a);
      return;
    }
    sleep_ms(1);
  }
}

/* `rounds` wake-ups; prints their rows. `tag` names the phase in agent names and labels.
 * The requests made while the lease waits go on the main thread's keep-alive connection. */
static void wake_ups(CURL *h, struct answer *a, int rounds, const char *tag, const char *label) {
  struct waiter w = {.round = 0, .done = 0};
  pthread_mutex_init(&w.m, NULL);
  pthread_cond_init(&w.c, NULL);
  bg_buf_init(&w.a.body, 0);
  pthread_t th;
  pthread_create(&th, NULL, waiter_main, &w);
  double *lat = bg_xcalloc((size_t)rounds, sizeof *lat);
  double *enq = bg_xcalloc((size_t)rounds, sizeof *enq),
         *waited = bg_xcalloc((size_t)rounds, sizeof *waited),
         *beside = bg_xcalloc((size_t)rounds, sizeof *beside);
  int n = 0;
  for (int r = 1; r <= rounds; r++) {
    pthread_mutex_lock(&w.m);
    snprintf(w.agent, sizeof w.agent, "waiter-%s-%d", tag, r);
    w.round = r;
    pthread_cond_broadcast(&w.c);
    pthread_mutex_unlock(&w.m);
    until_listed(h, a, w.agent);
    sleep_ms(2); /* past the look at the queue, parked */
    double tb = now_ms();
    long bst = request(h, agent_token, "/api/v1/agents", NULL, a);
    beside[n] = now_ms() - tb;
    if (bst != 200)
      failed("agents beside the parked lease", bst, a);
    char sha[41];
    sha_of(sha, take(&next_sha));
    double t0 = now_ms();
    enqueue(h, a, sha, "w", &enq[n]);
    pthread_mutex_lock(&w.m);
    while (w.done != r)
      pthread_cond_wait(&w.c, &w.m);
    double arrived = w.arrived, sent = w.sent;
    long st = w.status;
    pthread_mutex_unlock(&w.m);
    if (st != 200) {
      failed("waiting lease", st, &w.a);
      if (lease(h, &w.a, "cleaner", "w", 0) == 200) /* the round's job, off the queue */
        complete(h, a, &w.a, "w");
      continue;
    }
    waited[n] = arrived - sent;
    lat[n++] = arrived - t0;
    complete(h, a, &w.a, "w");
  }
  pthread_mutex_lock(&w.m);
  w.round = -1;
  pthread_cond_broadcast(&w.c);
  pthread_mutex_unlock(&w.m);
  pthread_join(th, NULL);
  if (n) {
    double p50 = quantile(lat, (size_t)n, 0.5), p95 = quantile(lat, (size_t)n, 0.95),
           max = lat[n - 1];
    printf(
        "| wake-up, %s: enqueue start to the waiting lease's answer, p50 | %.2f ms | <= 50 ms |\n",
        label, p50);
    printf("| wake-up, %s: p95 / max | %.2f ms / %.2f ms | |\n", label, p95, max);
    printf("| wake-up, %s: the enqueue's own round trip (keep-alive), p50 | %.2f ms | |\n", label,
           quantile(enq, (size_t)n, 0.5));
    printf("| wake-up, %s: the waiting lease's round trip p50 (its wait included) | %.2f ms | |\n",
           label, quantile(waited, (size_t)n, 0.5));
    double beside_p50 = quantile(beside, (size_t)n, 0.5); /* sorts beside */
    printf("| wake-up, %s: GET /agents beside the parked lease (keep-alive), round trip p50 / max "
           "| %.2f ms / %.2f ms | |\n",
           label, beside_p50, beside[n - 1]);
  }
  free(beside);
  free(waited);
  free(lat);
  free(enq);
  bg_buf_free(&w.a.body);
  pthread_cond_destroy(&w.c);
  pthread_mutex_destroy(&w.m);
}

/* ---- leases without waiting ---- */

struct lease_times {
  double server_p50, rt_p50, server_p95, rt_p95;
};

/* `rounds` leases of "m", each after an enqueue on "m", each leased job completed. */
static struct lease_times leases(CURL *h, struct answer *a, int rounds) {
  struct answer got;
  bg_buf_init(&got.body, 0);
  double *sv = bg_xcalloc((size_t)rounds, sizeof *sv), *rt = bg_xcalloc((size_t)rounds, sizeof *rt);
  int n = 0;
  for (int r = 0; r < rounds; r++) {
    char sha[41];
    sha_of(sha, take(&next_sha));
    enqueue(h, a, sha, "m", NULL);
    double t0 = now_ms();
    long st = lease(h, &got, "bench-m", "m", 0);
    double t = now_ms() - t0;
    if (st != 200) {
      failed("lease", st, &got);
      continue;
    }
    rt[n] = t;
    sv[n++] = got.server_ms;
    complete(h, a, &got, "m");
  }
  struct lease_times lt = {NAN, NAN, NAN, NAN};
  if (n) {
    lt.server_p50 = quantile(sv, (size_t)n, 0.5);
    lt.server_p95 = quantile(sv, (size_t)n, 0.95);
    lt.rt_p50 = quantile(rt, (size_t)n, 0.5);
    lt.rt_p95 = quantile(rt, (size_t)n, 0.95);
  }
  free(sv);
  free(rt);
  bg_buf_free(&got.body);
  return lt;
}

/* ---- the fill ---- */

static int fill_next, fill_total;
static pthread_mutex_t fill_lock = PTHREAD_MUTEX_INITIALIZER;

/* Filler job k: even ones on "m", odd ones over o1..o4. */
static void filler_testbed(int k, char tb[8]) {
  if (k % 2 == 0)
    snprintf(tb, 8, "m");
  else
    snprintf(tb, 8, "o%d", 1 + (k / 2) % OTHER_BEDS);
}

static void *filler(void *arg) {
  (void)arg;
  CURL *h = curl_easy_init();
  struct answer a;
  bg_buf_init(&a.body, 0);
  for (;;) {
    pthread_mutex_lock(&fill_lock);
    int k = fill_next < fill_total ? fill_next++ : -1;
    pthread_mutex_unlock(&fill_lock);
    if (k < 0)
      break;
    char sha[41], tb[8];
    sha_of(sha, take(&next_sha));
    filler_testbed(k, tb);
    enqueue(h, &a, sha, tb, NULL);
  }
  bg_buf_free(&a.body);
  curl_easy_cleanup(h);
  return NULL;
}

/* Enqueues `total` filler jobs; returns the seconds it took. */
static double fill(int total) {
  fill_total = total;
  double t0 = now_ms();
  pthread_t th[FILL_THREADS];
  for (int i = 0; i < FILL_THREADS; i++)
    pthread_create(&th[i], NULL, filler, NULL);
  for (int i = 0; i < FILL_THREADS; i++)
    pthread_join(th[i], NULL);
  return (now_ms() - t0) / 1e3;
}

/* HELD leases of "o" jobs by agents holder-1.. that keep them. */
static void hold(CURL *h, struct answer *a) {
  for (int i = 0; i < HELD; i++) {
    char agent[32], tb[8];
    snprintf(agent, sizeof agent, "holder-%d", i + 1);
    snprintf(tb, sizeof tb, "o%d", 1 + i % OTHER_BEDS);
    long st = lease(h, a, agent, tb, 0);
    if (st != 200)
      failed("held lease", st, a);
  }
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: perf_jobs URL PROJECT CI_TOKEN AGENT_TOKEN [ROUNDS] [QUEUED]\n");
    return 2;
  }
  url = argv[1];
  project = argv[2];
  ci_token = argv[3];
  agent_token = argv[4];
  int rounds = argc > 5 ? (int)strtol(argv[5], NULL, 10) : 200;
  int queued = argc > 6 ? (int)strtol(argv[6], NULL, 10) : 10000;
  if (rounds < 1 || queued < 2 * rounds || queued < 2 * HELD) {
    fprintf(stderr, "perf_jobs: ROUNDS >= 1, QUEUED >= 2 * ROUNDS and >= %d\n", 2 * HELD);
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *h = curl_easy_init();
  struct answer a;
  bg_buf_init(&a.body, 0);
  /* Testbeds exist once a run named them. */
  const char *beds[] = {"w", "m", "o1", "o2", "o3", "o4"};
  for (size_t i = 0; i < sizeof beds / sizeof *beds; i++) {
    char sha[41];
    sha_of(sha, take(&next_sha));
    upload(h, &a, sha, beds[i], 0);
  }
  printf("| measure (%d rounds each) | value | target |\n|---|---|---|\n", rounds);
  wake_ups(h, &a, rounds, "empty", "empty queue");
  struct lease_times small = leases(h, &a, rounds);
  double secs = fill(queued + HELD);
  hold(h, &a);
  struct lease_times big = leases(h, &a, rounds);
  char label[64];
  snprintf(label, sizeof label, "%d jobs queued", queued);
  wake_ups(h, &a, rounds, "full", label);
  printf("| lease (wait 0), 1 job queued: server time p50 / p95 | %.3f ms / %.3f ms | |\n",
         small.server_p50, small.server_p95);
  printf("| lease (wait 0), %d other jobs queued: server time p50 / p95 | %.3f ms / %.3f ms | |\n",
         queued, big.server_p50, big.server_p95);
  printf("| lease, %d other jobs queued / 1 job queued: server time p50 | %.2f x | <= 2 x |\n",
         queued, big.server_p50 / small.server_p50);
  printf("| lease (wait 0), 1 job queued: round trip p50 / p95 | %.3f ms / %.3f ms | |\n",
         small.rt_p50, small.rt_p95);
  printf("| lease (wait 0), %d other jobs queued: round trip p50 / p95 | %.3f ms / %.3f ms | |\n",
         queued, big.rt_p50, big.rt_p95);
  printf("| lease, %d other jobs queued / 1 job queued: round trip p50 | %.2f x | <= 2 x |\n",
         queued, big.rt_p50 / small.rt_p50);
  printf(
      "| the fill: %d enqueues by %d clients (%d leases then held) | %.1f s, %.0f enqueues/s | |\n",
      queued + HELD, FILL_THREADS, HELD, secs, (queued + HELD) / secs);
  bg_buf_free(&a.body);
  curl_easy_cleanup(h);
  curl_global_cleanup();
  if (failures)
    printf("| failed requests | %d | 0 |\n", failures);
  return failures ? 1 : 0;
}
