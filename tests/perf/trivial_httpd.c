/* trivial_httpd.c: the reference for GET throughput, a libmicrohttpd server that answers every
 * request with a fixed 3-byte body.
 *
 * The performance requirements ask benchgated's plain GETs to reach half the throughput of a trivial
 * libmicrohttpd handler on the same machine in the same run. This is that handler, started
 * with the daemon flags and thread-pool size benchgated uses (server/http.c), so the ratio
 * measures what benchgated does per request and not a different server configuration.
 *
 * usage: trivial_httpd [THREADS]   prints "trivial_httpd listening on http://127.0.0.1:PORT"
 * and serves until SIGTERM or SIGINT.
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state) {
  (void)cls;
  (void)url;
  (void)method;
  (void)version;
  (void)upload;
  (void)upload_size;
  if (!*state) { /* the first call only announces the request */
    *state = (void *)1;
    return MHD_YES;
  }
  static const char body[] = "ok\n";
  struct MHD_Response *r =
      MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
  enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return ret;
}

int main(int argc, char **argv) {
  unsigned threads = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 4;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                   MHD_USE_ERROR_LOG | MHD_USE_TURBO;
  struct MHD_Daemon *d =
      MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                       MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "trivial_httpd: cannot start\n");
    return 1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("trivial_httpd listening on http://127.0.0.1:%u\n", info ? info->port : 0u);
  fflush(stdout);
  while (!stop)
    pause();
  MHD_stop_daemon(d);
  return 0;
}
