/* perf_store.c: the server's memory and the database's size after 1 M stored results.
 *
 * Performance requirement: the server's RSS stays at most 100 MB after 1 M stored results, and the
 * database takes at most 24 bytes per stored sample. This program uploads runs of 1 000
 * results x 10 samples to a live benchgated (CLIENTS at a time) until the database holds
 * TARGET results, then reads the server's resident set (VmRSS, and its peak VmHWM) from
 * /proc/PID/status, checkpoints the WAL into the database file and divides the file's size by
 * the samples stored. It reports numbers; it asserts nothing.
 *
 * usage: perf_store URL PROJECT TOKEN DB SERVER_PID [TARGET] [CLIENTS]
 */
#include "buf.h"
#include "mem.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RESULTS 1000
#define SAMPLES 10

static const char *url, *project, *token;
static long long next_run, last_run;
static int failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double urand(unsigned long long *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((*s >> 11) + 0.5) / 9007199254740992.0;
}

/* Run k: 1 000 wall_time results of 10 log-normal samples, printed as a client prints them. */
static void payload(struct bg_buf *b, long long k) {
  unsigned long long rng = (unsigned long long)k * 7919 + 17;
  bg_buf_reset(b);
  bg_buf_printf(b,
                "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"f111f111-0000-4000-8000-%012llx\","
                "\"commit\":{\"sha\":\"f%039llx\",\"branch\":\"main\",\"timestamp\":"
                "\"2026-06-%02lldT%02lld:%02lld:00Z\"},\"testbed\":{\"name\":\"perf\"},"
                "\"results\":[",
                k, k, 1 + (k / 1440) % 28, (k / 60) % 24, k % 60);
  for (int r = 0; r < RESULTS; r++) {
    bg_buf_printf(b,
                  "%s{\"benchmark\":\"BM_Suite/case_%04d\",\"measure\":\"wall_time\","
                  "\"samples\":[",
                  r ? "," : "", r);
    double level = 1000.0 * (1 + r % 97);
    for (int j = 0; j < SAMPLES; j++) {
      double z = sqrt(-2 * log(urand(&rng))) * cos(6.283185307179586 * urand(&rng));
      bg_buf_printf(b, "%s%.17g", j ? "," : "", level * exp(0.01 * z));
    }
    bg_buf_puts(b, "]}");
  }
  bg_buf_puts(b, "]}");
}

static size_t discard(char *p, size_t size, size_t n, void *arg) {
  (void)p;
  (void)arg;
  return size * n;
}

static void *client(void *arg) {
  (void)arg;
  CURL *h = curl_easy_init();
  struct bg_buf b;
  bg_buf_init(&b, 0);
  char target[512], auth[512];
  snprintf(target, sizeof target, "%s/api/v1/projects/%s/runs", url, project);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
  hdr = curl_slist_append(hdr, auth);
  for (;;) {
    pthread_mutex_lock(&lock);
    long long k = next_run <= last_run ? next_run++ : -1;
    pthread_mutex_unlock(&lock);
    if (k < 0)
      break;
    payload(&b, k);
    curl_easy_setopt(h, CURLOPT_URL, target);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, b.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)b.len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 201) {
      pthread_mutex_lock(&lock);
      if (!failures++)
        fprintf(stderr, "perf_store: run %lld: HTTP %ld\n", k, status);
      pthread_mutex_unlock(&lock);
    }
  }
  curl_slist_free_all(hdr);
  bg_buf_free(&b);
  curl_easy_cleanup(h);
  return NULL;
}

static long long query_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* VmRSS or VmHWM of a process in kB; -1 when unknown. */
static long proc_kb(long pid, const char *key) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  size_t klen = strlen(key);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, klen) && line[klen] == ':')
      kb = strtol(line + klen + 1, NULL, 10);
  if (f)
    fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: perf_store URL PROJECT TOKEN DB SERVER_PID [TARGET] [CLIENTS]\n");
    return 2;
  }
  url = argv[1];
  project = argv[2];
  token = argv[3];
  const char *db_path = argv[4];
  long pid = strtol(argv[5], NULL, 10);
  long long target = argc > 6 ? strtoll(argv[6], NULL, 10) : 1000000;
  int clients = argc > 7 ? (int)strtol(argv[7], NULL, 10) : 2;
  if (clients < 1 || clients > 16)
    clients = 2;
  sqlite3 *db;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    fprintf(stderr, "perf_store: cannot open %s\n", db_path);
    return 1;
  }
  sqlite3_busy_timeout(db, 60000);
  long long have = query_int(db, "SELECT count(*) FROM results");
  long rss_before = proc_kb(pid, "VmRSS");
  long long add = have < target ? (target - have + RESULTS - 1) / RESULTS : 0;
  next_run = 1;
  last_run = add;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  double t0 = now_s();
  pthread_t th[16];
  for (int i = 0; i < clients; i++)
    pthread_create(&th[i], NULL, client, NULL);
  for (int i = 0; i < clients; i++)
    pthread_join(th[i], NULL);
  double secs = now_s() - t0;
  curl_global_cleanup();
  long rss = proc_kb(pid, "VmRSS"), hwm = proc_kb(pid, "VmHWM");
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  long long results = query_int(db, "SELECT count(*) FROM results");
  long long samples = query_int(db, "SELECT sum(n) FROM results WHERE samples IS NOT NULL");
  long long runs = query_int(db, "SELECT count(*) FROM runs");
  long long pages = query_int(db, "PRAGMA page_count"), psize = query_int(db, "PRAGMA page_size");
  long long freel = query_int(db, "PRAGMA freelist_count");
  sqlite3_close(db);
  struct stat sb;
  long long file = stat(db_path, &sb) == 0 ? (long long)sb.st_size : -1;
  printf("| measure (%lld runs uploaded in %.0f s by %d clients) | value | target |\n"
         "|---|---|---|\n",
         add, secs, clients);
  printf("| results stored | %lld (%lld runs) | >= 1 000 000 |\n", results, runs);
  printf("| samples stored | %lld | |\n", samples);
  printf("| server RSS before filling (%lld results) | %.1f MB | |\n", have, rss_before / 1024.0);
  printf("| server RSS after %lld results | %.1f MB | <= 100 MB |\n", results, rss / 1024.0);
  printf("| server peak RSS (VmHWM, whole run) | %.1f MB | |\n", hwm / 1024.0);
  printf("| database file after checkpoint | %.1f MB (%lld pages of %lld, %lld free) | |\n",
         file / 1048576.0, pages, psize, freel);
  printf("| database bytes per stored sample | %.1f | <= 24 |\n",
         samples > 0 ? (double)file / (double)samples : NAN);
  printf("| failed uploads | %d | 0 |\n", failures);
  return failures ? 1 : 0;
}
