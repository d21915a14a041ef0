/* github_http.h: one request to GitHub's REST API, with libcurl.
 *
 * The sender (github_sender.c) owns one curl handle on its thread and makes every request
 * through bg_github_http, which sends the JSON body with the Authorization header it is
 * given and reads back the status, the body (capped), and the headers the sender's retry
 * policy reads: Retry-After, X-RateLimit-Remaining, X-RateLimit-Reset and Link's rel="next".
 * Nothing here logs; errors name no header value.
 */
#ifndef BG_GITHUB_HTTP_H
#define BG_GITHUB_HTTP_H

#include "buf.h"

#include <stdatomic.h>
#include <stddef.h>

#define BG_GITHUB_BODY_MAX                                                                         \
  (16u << 20) /* the most of an answer's body that is read: a page                                 \
                of 100 comments of up to 64 KiB each, and more */

struct bg_github_response {
  long status;             /* the HTTP status; 0 when no answer came */
  struct bg_buf body;      /* the answer's body, NUL-terminated */
  long long retry_after_s; /* Retry-After in seconds; -1 when absent */
  long long rl_remaining;  /* X-RateLimit-Remaining; -1 when absent */
  long long rl_reset;      /* X-RateLimit-Reset, seconds since the epoch; 0 when absent */
  char next_url[2048];     /* Link's rel="next", "" when none */
  char error[256];         /* why no answer came */
};

/* Opens a curl handle for one thread's requests (free with bg_github_http_close). NULL on
 * failure. */
void *bg_github_http_open(void);
void bg_github_http_close(void *h);

/* Sends `method` to `url` with the header "Authorization: <auth>" and the JSON `body` (NULL:
 * none), and fills *res (init it with bg_github_response_init, free with
 * bg_github_response_free). The request is abandoned as soon as *cancel (when not NULL)
 * becomes non-zero. Returns BG_OK when an answer came, whatever its status, or BG_ENET with
 * the reason in res->error (connection refused, timeout, body too large, canceled). */
int bg_github_http(void *h, const char *method, const char *url, const char *auth, const char *body,
                   const atomic_int *cancel, struct bg_github_response *res);

void bg_github_response_init(struct bg_github_response *res);
void bg_github_response_free(struct bg_github_response *res);

#endif
