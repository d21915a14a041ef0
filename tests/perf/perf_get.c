/* perf_get.c: GET throughput under concurrent keep-alive connections.
 *
 * Performance requirement: benchgated's plain GETs under 8 connections reach at least half the throughput
 * of a trivial libmicrohttpd handler on the same machine (tests/perf/trivial_httpd.c). Each
 * connection is one thread with a blocking socket that sends a GET, reads the whole answer
 * (headers, then Content-Length bytes) and sends the next, for a fixed time after a short
 * warm-up. The same client measures both servers, so its own cost is the same on both sides.
 *
 * usage: perf_get URL PATH [CONNECTIONS] [SECONDS]   prints requests per second; exit status
 * 1 when any answer was not 200.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char host[256], port[16], request[1024];
static atomic_int phase; /* 0 warm-up, 1 counting, 2 stop */
static atomic_long done, bad;

static int connect_to(void) {
  struct addrinfo hints = {0}, *ai;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &ai))
    return -1;
  int fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  int one = 1;
  if (fd >= 0)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* Reads one response; returns its status or -1 when the connection failed. */
static int read_response(int fd, char *buf, size_t cap, size_t *have) {
  size_t n = *have;
  char *end;
  for (;;) {
    buf[n] = '\0';
    if ((end = strstr(buf, "\r\n\r\n")))
      break;
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r <= 0)
      return -1;
    n += (size_t)r;
  }
  int status = (int)strtol(buf + 9, NULL, 10);
  size_t len = 0;
  for (char *h = strstr(buf, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n"))
    if (strncasecmp(h + 2, "Content-Length:", 15) == 0)
      len = (size_t)strtoul(h + 17, NULL, 10);
  size_t head = (size_t)(end + 4 - buf), body = n - head;
  if (body >= len) { /* the whole body is here; keep what follows it */
    memmove(buf, buf + head + len, body - len);
    *have = body - len;
    return status;
  }
  for (size_t need = len - body; need;) { /* read the rest of the body and drop it */
    ssize_t r = read(fd, buf, need < cap - 1 ? need : cap - 1);
    if (r <= 0)
      return -1;
    need -= (size_t)r;
  }
  *have = 0;
  return status;
}

static void *client(void *arg) {
  (void)arg;
  size_t cap = 1 << 16, have = 0;
  char *buf = malloc(cap);
  int fd = connect_to();
  size_t rlen = strlen(request);
  while (fd >= 0 && atomic_load(&phase) < 2) {
    if (write(fd, request, rlen) != (ssize_t)rlen)
      break;
    int status = read_response(fd, buf, cap, &have);
    if (status < 0)
      break;
    if (atomic_load(&phase) == 1) {
      atomic_fetch_add(&done, 1);
      if (status != 200)
        atomic_fetch_add(&bad, 1);
    }
  }
  if (atomic_load(&phase) < 2)
    atomic_fetch_add(&bad, 1);
  if (fd >= 0)
    close(fd);
  free(buf);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: perf_get URL PATH [CONNECTIONS] [SECONDS]\n");
    return 2;
  }
  if (sscanf(argv[1], "http://%255[^:/]:%15[0-9]", host, port) != 2) {
    fprintf(stderr, "perf_get: URL must be http://HOST:PORT\n");
    return 2;
  }
  int conns = argc > 3 ? atoi(argv[3]) : 8;
  double secs = argc > 4 ? strtod(argv[4], NULL) : 5;
  if (conns < 1 || conns > 256)
    conns = 8;
  snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", argv[2], host, port);
  pthread_t th[256];
  for (int i = 0; i < conns; i++)
    pthread_create(&th[i], NULL, client, NULL);
  struct timespec warm = {0, 500 * 1000 * 1000}, t0, t1;
  nanosleep(&warm, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  atomic_store(&phase, 1);
  struct timespec run = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
  nanosleep(&run, NULL);
  atomic_store(&phase, 2);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long n = atomic_load(&done);
  for (int i = 0; i < conns; i++)
    pthread_join(th[i], NULL);
  double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%.0f\n", (double)n / el);
  if (atomic_load(&bad))
    fprintf(stderr, "perf_get: %ld failed requests or connections\n", atomic_load(&bad));
  return atomic_load(&bad) ? 1 : 0;
}
