/* perf_upload.c: measures run uploads against a live benchgated, and the SQLite ceiling.
 *
 * Performance requirement: an upload of 1 000 results x 10 samples (verdict included) takes at most 25 ms
 * of server time at the median; 4 concurrent clients sustain 40 runs/s; the server stores
 * rows at no less than half the rate plain SQLite inserts the same rows into the same schema
 * in the same run. This program measures all three: server time from the Server-Timing
 * header, round trips from the client, throughput with 1 and with C clients, and the ceiling
 * by inserting identical result rows with prepared statements into a scratch database built
 * from the schema/ migrations with the server's pragmas, holding as many runs as the server
 * holds when the phase starts (and, for reference, into an empty one). It reports numbers;
 * it asserts nothing.
 *
 * usage: perf_upload URL PROJECT TOKEN SCHEMA_DIR [RUNS] [CLIENTS] [ROUNDS]
 */
#include "buf.h"
#include "mem.h"
#include "run.h"

#include <curl/curl.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RESULTS 1000
#define SAMPLES 10

static const char *url, *project, *token;
static unsigned long long sequence; /* makes every run_id and sha unique across the run */
static pthread_mutex_t seq_lock = PTHREAD_MUTEX_INITIALIZER;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double urand(unsigned long long *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((*s >> 11) + 0.5) / 9007199254740992.0;
}

/* A payload like a real suite's: 1 000 benchmarks of wall_time, 10 log-normal samples each. */
static char *make_payload(unsigned long long id) {
  struct bg_run *run = bg_run_new();
  char s[80];
  snprintf(s, sizeof s, "%08llx-0000-4000-8000-%012llx", id >> 32, id & 0xffffffffffffULL);
  bg_run_set(&run->run_id, s);
  snprintf(s, sizeof s, "%040llx", id);
  bg_run_set(&run->commit.sha, s);
  bg_run_set(&run->commit.branch, "main");
  snprintf(s, sizeof s, "2026-11-%02lluT%02llu:%02llu:00Z", 1 + (id / 1440) % 28, (id / 60) % 24,
           id % 60);
  bg_run_set(&run->commit.timestamp, s);
  bg_run_set(&run->testbed, "perf");
  unsigned long long rng = id * 7919 + 1;
  for (int b = 0; b < RESULTS; b++) {
    snprintf(s, sizeof s, "BM_Suite/case_%04d", b);
    struct bg_result *r = bg_run_add_result(run, s, "wall_time", "ns", BG_LOWER);
    double level = 1000.0 * (1 + b % 97);
    for (int k = 0; k < SAMPLES; k++) {
      double z = sqrt(-2 * log(urand(&rng))) * cos(6.283185307179586 * urand(&rng));
      bg_result_add_sample(r, level * exp(0.01 * z));
    }
  }
  char *json = bg_run_to_json(run, 0);
  bg_run_free(run);
  return json;
}

static unsigned long long next_id(void) {
  pthread_mutex_lock(&seq_lock);
  unsigned long long id = ++sequence;
  pthread_mutex_unlock(&seq_lock);
  return id;
}

struct timing {
  double server_ms; /* from Server-Timing: app;dur= */
};

static size_t on_header(char *p, size_t size, size_t n, void *arg) {
  struct timing *t = arg;
  size_t len = size * n;
  if (len > 14 && strncasecmp(p, "Server-Timing:", 14) == 0) {
    const char *d = strstr(p, "dur=");
    if (d)
      t->server_ms = strtod(d + 4, NULL);
  }
  return len;
}

static size_t discard(char *p, size_t size, size_t n, void *arg) {
  (void)p;
  (void)arg;
  return size * n;
}

/* Posts one payload; returns the HTTP status (0 on transport failure). */
static long post(CURL *h, const char *json, struct timing *t) {
  char target[512], auth[512];
  snprintf(target, sizeof target, "%s/api/v1/projects/%s/runs", url, project);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
  hdr = curl_slist_append(hdr, auth);
  curl_easy_setopt(h, CURLOPT_URL, target);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  t->server_ms = NAN;
  long status = 0;
  if (curl_easy_perform(h) == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hdr);
  return status;
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

/* Payloads are built before the clock starts so only the upload is timed. */
struct client {
  char **payloads;
  int count;
  double *server_ms, *round_ms;
  int failures;
};

static void *client_main(void *arg) {
  struct client *c = arg;
  CURL *h = curl_easy_init();
  for (int i = 0; i < c->count; i++) {
    struct timing t;
    double t0 = now_ms();
    long status = post(h, c->payloads[i], &t);
    c->round_ms[i] = now_ms() - t0;
    c->server_ms[i] = t.server_ms;
    if (status != 201)
      c->failures++;
  }
  curl_easy_cleanup(h);
  return NULL;
}

/* Uploads `runs` runs split over `clients` threads. Returns runs per second; fills the
 * latencies (server and round trip) of every upload into the arrays. */
static double upload_phase(int runs, int clients, double *server_ms, double *round_ms,
                           int *failures) {
  struct client *cs = bg_xcalloc((size_t)clients, sizeof *cs);
  pthread_t *th = bg_xcalloc((size_t)clients, sizeof *th);
  int per = runs / clients;
  for (int c = 0; c < clients; c++) {
    cs[c].count = per;
    cs[c].payloads = bg_xcalloc((size_t)per, sizeof(char *));
    for (int i = 0; i < per; i++)
      cs[c].payloads[i] = make_payload(next_id());
    cs[c].server_ms = server_ms + c * per;
    cs[c].round_ms = round_ms + c * per;
  }
  double t0 = now_ms();
  for (int c = 0; c < clients; c++)
    pthread_create(&th[c], NULL, client_main, &cs[c]);
  for (int c = 0; c < clients; c++)
    pthread_join(th[c], NULL);
  double secs = (now_ms() - t0) / 1e3;
  *failures = 0;
  for (int c = 0; c < clients; c++) {
    *failures += cs[c].failures;
    for (int i = 0; i < per; i++)
      cJSON_free(cs[c].payloads[i]);
    free(cs[c].payloads);
  }
  free(cs);
  free(th);
  return per * clients / secs;
}

static int exec_file(sqlite3 *db, const char *path) {
  struct bg_buf b;
  bg_buf_init(&b, 1 << 20);
  int rc = bg_buf_read_file(&b, path);
  if (rc == BG_OK && sqlite3_exec(db, b.data, NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "perf_upload: %s: %s\n", path, sqlite3_errmsg(db));
    rc = BG_EDB;
  }
  bg_buf_free(&b);
  return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

/* The ceiling: the same result rows (every column the server stores: ids, n, mean, stddev,
 * median, the samples BLOB and the gate's four summary columns, with values of the same kind)
 * inserted with one prepared statement per row and one BEGIN IMMEDIATE transaction per run,
 * into the server's schema with the server's pragmas (WAL, synchronous NORMAL, 8 MB cache).
 * Inserting into an index costs more as it grows (results_series gets one entry per result
 * in every benchmark's range), so the ceiling database is first filled, untimed, to as many
 * runs as the server holds at that moment (`held`); `*fresh` receives the rate into an empty
 * database with SQLite's default checkpoints, for reference. Returns rows per second. */
struct ceiling {
  sqlite3 *db;
  sqlite3_stmt *st;
  long long runs; /* runs inserted so far */
  char path[256];
  unsigned long long rng;
};

static sqlite3 *ceiling_db(const char *schema_dir, const char *path) {
  unlink(path);
  sqlite3 *db;
  sqlite3_open(path, &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
               "PRAGMA cache_size=-8000; PRAGMA mmap_size=0",
               NULL, NULL, NULL);
  struct dirent **ents;
  int n = scandir(schema_dir, &ents, NULL, by_name);
  for (int i = 0; i < n; i++) {
    size_t len = strlen(ents[i]->d_name);
    if (len > 4 && strcmp(ents[i]->d_name + len - 4, ".sql") == 0) {
      char f[4096];
      snprintf(f, sizeof f, "%s/%s", schema_dir, ents[i]->d_name);
      exec_file(db, f);
    }
    free(ents[i]);
  }
  free(ents);
  return db;
}

static void ceiling_open(struct ceiling *c, const char *schema_dir, const char *tag) {
  snprintf(c->path, sizeof c->path, "/tmp/bg_perf_ceiling_%s_%d.db", tag, (int)getpid());
  c->db = ceiling_db(schema_dir, c->path);
  c->runs = 0;
  c->rng = 99;
  sqlite3_prepare_v2(c->db,
                     "INSERT INTO results (run_id, benchmark_id, measure_id, n, mean, stddev, "
                     "median, samples, log_center, log_w, raw_center, raw_w) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                     -1, &c->st, NULL);
}

static void ceiling_close(struct ceiling *c) {
  sqlite3_finalize(c->st);
  sqlite3_close(c->db);
  unlink(c->path);
  char wal[300];
  snprintf(wal, sizeof wal, "%s-wal", c->path);
  unlink(wal);
  snprintf(wal, sizeof wal, "%s-shm", c->path);
  unlink(wal);
}

static void ceiling_insert(struct ceiling *c, int runs) {
  double blob[SAMPLES];
  for (int r = 0; r < runs; r++) {
    long long run = ++c->runs;
    sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (int b = 1; b <= RESULTS; b++) {
      for (int k = 0; k < SAMPLES; k++)
        blob[k] = 1000.0 * (1 + b % 97) * (1 + 0.01 * urand(&c->rng));
      sqlite3_bind_int64(c->st, 1, run);
      sqlite3_bind_int64(c->st, 2, b);
      sqlite3_bind_int64(c->st, 3, 1);
      sqlite3_bind_int64(c->st, 4, SAMPLES);
      sqlite3_bind_double(c->st, 5, blob[0]);
      sqlite3_bind_double(c->st, 6, blob[1]);
      sqlite3_bind_double(c->st, 7, blob[2]);
      sqlite3_bind_blob(c->st, 8, blob, sizeof blob, SQLITE_TRANSIENT);
      /* The gate's columns (log centre, its within-run variance, raw centre and variance):
       * non-integral doubles, as the server's, so that rows and index entries are as long. */
      sqlite3_bind_double(c->st, 9, log(blob[3]));
      sqlite3_bind_double(c->st, 10, 1e-5 * blob[4]);
      sqlite3_bind_double(c->st, 11, blob[5]);
      sqlite3_bind_double(c->st, 12, 1e-3 * blob[6]);
      sqlite3_step(c->st);
      sqlite3_reset(c->st);
    }
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  }
}

static double sqlite_ceiling(struct ceiling *held_db, const char *schema_dir, long long held,
                             int runs, double *fresh) {
  if (held > held_db->runs)
    ceiling_insert(held_db, (int)(held - held_db->runs));
  /* The strictest ceiling: no checkpoint inside the timed inserts (the server checkpoints on
   * a thread of its own); the WAL is checkpointed after the clock stops. */
  sqlite3_exec(held_db->db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA wal_autocheckpoint=0", NULL,
               NULL, NULL);
  double t0 = now_ms();
  ceiling_insert(held_db, runs);
  double rate = runs * (double)RESULTS / ((now_ms() - t0) / 1e3);
  sqlite3_exec(held_db->db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA wal_autocheckpoint=1000", NULL,
               NULL, NULL);
  struct ceiling empty;
  ceiling_open(&empty, schema_dir, "fresh");
  t0 = now_ms();
  ceiling_insert(&empty, runs);
  *fresh = runs * (double)RESULTS / ((now_ms() - t0) / 1e3);
  ceiling_close(&empty);
  return rate;
}

static double median(double *v, int n) {
  return quantile(v, (size_t)n, 0.5);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: perf_upload URL PROJECT TOKEN SCHEMA_DIR [RUNS] [CLIENTS] [ROUNDS]\n");
    return 2;
  }
  url = argv[1];
  project = argv[2];
  token = argv[3];
  const char *schema_dir = argv[4];
  int runs = argc > 5 ? (int)strtol(argv[5], NULL, 10) : 40;
  int clients = argc > 6 ? (int)strtol(argv[6], NULL, 10) : 4;
  int rounds = argc > 7 ? (int)strtol(argv[7], NULL, 10) : 3;
  if (runs < clients || clients < 1 || rounds < 1) {
    fprintf(stderr, "perf_upload: RUNS must be >= CLIENTS >= 1, ROUNDS >= 1\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  /* Warm-up: enough sequential uploads that every measured upload's verdict has the full
   * 30-run baseline (the requirement is the verdict against 30 baseline runs). */
  const char *wenv = getenv("BG_PERF_WARMUP");
  int warm = wenv ? (int)strtol(wenv, NULL, 10) : 35;
  if (warm < clients)
    warm = clients;
  size_t slots = (size_t)(runs > warm ? runs : warm);
  double *sv = bg_xcalloc(slots, sizeof *sv), *rt = bg_xcalloc(slots, sizeof *rt);
  double p50s[16], p99s[16], rtt50[16], rate1[16], rateC[16], ceil1[16], ceilC[16], fresh[16];
  int failures = 0, f;
  if (rounds > 16)
    rounds = 16;
  struct ceiling held;
  ceiling_open(&held, schema_dir, "held");
  /* Warm the server's caches (benchmark ids, page cache) and fill the baseline window. */
  upload_phase(warm, 1, sv, rt, &f);
  fprintf(stderr,
          "warm-up: %d runs, server p50 %.2f ms over the last 5 (baseline 30 from run 31)\n", warm,
          warm >= 5 ? quantile(sv + warm - 5, 5, 0.5) : 0.0);
  long long stored = warm; /* runs the server holds */
  for (int k = 0; k < rounds; k++) {
    /* Each phase is compared with the ceiling measured at the same database size. */
    ceil1[k] = sqlite_ceiling(&held, schema_dir, stored, runs, &fresh[k]);
    rate1[k] = upload_phase(runs, 1, sv, rt, &f);
    failures += f;
    stored += runs;
    p50s[k] = quantile(sv, (size_t)runs, 0.5);
    p99s[k] = quantile(sv, (size_t)runs, 0.99);
    rtt50[k] = quantile(rt, (size_t)runs, 0.5);
    double unused;
    ceilC[k] = sqlite_ceiling(&held, schema_dir, stored, runs, &unused);
    rateC[k] = upload_phase(runs, clients, sv, rt, &f);
    failures += f;
    stored += runs;
    fprintf(stderr,
            "round %d: server p50 %.2f ms p99 %.2f ms, round trip p50 %.2f ms, %.1f runs/s "
            "(1 client; ceiling %.0f rows/s), %.1f runs/s (%d clients; ceiling %.0f rows/s), "
            "ceiling into an empty database %.0f rows/s\n",
            k + 1, p50s[k], p99s[k], rtt50[k], rate1[k], ceil1[k], rateC[k], clients, ceilC[k],
            fresh[k]);
  }
  ceiling_close(&held);
  double share1[16], shareC[16];
  for (int k = 0; k < rounds; k++) {
    share1[k] = 100 * rate1[k] * RESULTS / ceil1[k];
    shareC[k] = 100 * rateC[k] * RESULTS / ceilC[k];
  }
  double rows1 = median(rate1, rounds) * RESULTS, rowsC = median(rateC, rounds) * RESULTS;
  printf("| measure (median of %d rounds, %d runs each, %d x %d samples per run) | value | "
         "target |\n|---|---|---|\n",
         rounds, runs, RESULTS, SAMPLES);
  printf("| upload server time p50 | %.2f ms | <= 25 ms |\n", median(p50s, rounds));
  printf("| upload server time p99 | %.2f ms | |\n", median(p99s, rounds));
  printf("| upload round trip p50 (client) | %.2f ms | |\n", median(rtt50, rounds));
  printf("| runs/s, 1 client | %.1f | |\n", median(rate1, rounds));
  printf("| runs/s, %d clients | %.1f | >= 40 |\n", clients, median(rateC, rounds));
  printf("| plain SQLite insert of the same rows, same database size (1-client phase) | "
         "%.0f rows/s | (ceiling) |\n",
         median(ceil1, rounds));
  printf("| plain SQLite insert of the same rows, same database size (%d-client phase) | "
         "%.0f rows/s | (ceiling) |\n",
         clients, median(ceilC, rounds));
  printf("| plain SQLite insert of the same rows into an empty database, default checkpoints | "
         "%.0f rows/s | |\n",
         median(fresh, rounds));
  printf("| server rows/s, 1 client | %.0f (%.0f %% of ceiling) | >= 50 %% |\n", rows1,
         median(share1, rounds));
  printf("| server rows/s, %d clients | %.0f (%.0f %% of ceiling) | >= 50 %% |\n", clients, rowsC,
         median(shareC, rounds));
  printf("| runs stored at the end | %lld | |\n", stored);
  printf("| failed uploads | %d | 0 |\n", failures);
  free(sv);
  free(rt);
  curl_global_cleanup();
  return failures ? 1 : 0;
}
