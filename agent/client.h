/* client.h: the agent's HTTP client for the benchgate server (libcurl).
 *
 * One easy handle per call, so calls are safe from any thread once bg_client_global_init
 * has run. JSON goes out with `Authorization: Bearer <token>`; TLS is always verified; the
 * connect and total times are bounded. The result separates "no answer" (BG_ENET: the server
 * is unreachable, exit code 3) from an answer with any HTTP status, which the caller judges.
 */
#ifndef BG_CLIENT_H
#define BG_CLIENT_H

#include "buf.h"
#include "error.h"
#include "interleave.h"

#include <signal.h>
#include <stddef.h>
#include <time.h>

#define BG_CLIENT_BODY_MAX (16u << 20) /* answers larger than this are refused */

struct bg_client {
  const char *server;      /* base URL, "https://bench.example.org" (a trailing / is fine) */
  const char *token;       /* NULL: no Authorization header */
  long connect_timeout_ms; /* 0: 10 s */
  long timeout_ms;         /* 0: 60 s */
  /* When not NULL, a request ends with BG_ECANCELED soon after it turns non-zero (a signal
   * handler sets it: `serve` stops waiting for a job on SIGTERM). */
  const volatile sig_atomic_t *cancel;
};

struct bg_response {
  long status;          /* HTTP status, 0 when there was no answer */
  struct bg_buf body;   /* the answer's body, NUL-terminated */
  char retry_after[64]; /* the Retry-After header's value, "" when absent */
};

/* How often and how long a request is tried again (bg_client_request_retry). Zero fields
 * take the defaults below; bg_retry_from_env applies the BENCHGATE_RETRY_* variables. */
struct bg_retry {
  int attempts;           /* tries in all, >= 1; default 5 */
  long long max_total_ms; /* no new try starts when it would end past this; default 120 s */
  long base_ms;           /* first backoff ceiling, doubling per try; default 500 ms */
  long cap_ms;            /* most any one wait may last, Retry-After included; default 30 s */
  int quiet;              /* 1: no "retrying in ..." lines on stderr */
};

#define BG_RETRY_ATTEMPTS 5
#define BG_RETRY_MAX_TOTAL_MS 120000LL
#define BG_RETRY_BASE_MS 500L
#define BG_RETRY_CAP_MS 30000L

/* Initialises libcurl; call once at program start, before any thread. Returns BG_OK. */
int bg_client_global_init(void);
void bg_client_global_cleanup(void);

/* Sends `method` ("GET", "POST") to server + `path` ("/api/v1/..."), with `json` as the body
 * when not NULL. On BG_OK *res holds the status and body (initialised here; the caller frees
 * it with bg_response_free) whatever the status. Errors: BG_ENET when no answer came (DNS,
 * refused, TLS, timeout: message in err), BG_ECANCELED when c->cancel turned non-zero, BG_ETOOBIG when the answer passed its cap,
 * BG_EINVAL for a bad URL. */
int bg_client_request(const struct bg_client *c, const char *method, const char *path,
                      const char *json, struct bg_response *res, char *err, size_t errlen);

void bg_response_free(struct bg_response *res);

/* Fills `r` with the defaults, then overrides them from the environment:
 * BENCHGATE_RETRY_ATTEMPTS (1..100), BENCHGATE_RETRY_MAX_SECONDS (> 0, fractions allowed),
 * BENCHGATE_RETRY_BASE_MS and BENCHGATE_RETRY_CAP_MS (>= 1). Malformed values are ignored
 * with a warning on stderr. */
void bg_retry_from_env(struct bg_retry *r);

/* 1 when an outcome is worth another try: no answer (rc BG_ENET), a 5xx or a 429. */
int bg_retry_worth(int rc, long status);

/* The wait before try number `attempt` + 1 (attempt >= 1 tries are done), in milliseconds.
 * Without a Retry-After (retry_after_ms < 0) this is full jitter: u * min(cap, base * 2^(
 * attempt - 1)) with u uniform in [0, 1) supplied by the caller; with one, the server's
 * wish, at most cap. */
long long bg_retry_delay_ms(const struct bg_retry *r, int attempt, long long retry_after_ms,
                            double u);

/* Parses a Retry-After value, delta seconds ("120") or an HTTP-date ("Fri, 27 Nov 2026
 * 04:00:00 GMT", also the obsolete RFC 850 and asctime forms), into milliseconds from `now`
 * (a date in the past gives 0). Returns -1 for an empty or malformed value. */
long long bg_client_retry_after_ms(const char *value, time_t now);

/* bg_client_request, tried again per `r` (NULL: defaults from bg_retry_from_env) while
 * bg_retry_worth says so, sleeping bg_retry_delay_ms between tries. Returns what the last
 * try returned: BG_ENET when no try got an answer, else BG_OK with the last answer in *res
 * (a 5xx or 429 when every try failed). `*tries` (may be NULL) gets the number of tries. */
int bg_client_request_retry(const struct bg_client *c, const struct bg_retry *r, const char *method,
                            const char *path, const char *json, struct bg_response *res, int *tries,
                            char *err, size_t errlen);

/* Picks the API token: --token-file FILE (first line, trimmed), else --token TEXT (with a
 * warning on stderr that command lines end up in logs), else $BENCHGATE_TOKEN. Returns BG_OK
 * with a new string in *token (the caller frees it) or NULL when none is given; BG_EIO or
 * BG_EINVAL when the file cannot be read or holds no token (message in err). */
int bg_client_token(const char *flag_token, const char *token_file, char **token, char *err,
                    size_t errlen);

/* What the access check says of how the project compares a run (lib/interleave.h): its
 * answer's "comparison": {"mode": M, "rounds": R}; history and 0 rounds when absent. */
struct bg_client_access {
  enum bg_compare_mode mode;
  size_t rounds; /* 0: not given */
};

/* Asks the server, without uploading anything, whether `token` (in c) may upload runs to
 * `project` (GET /api/v1/projects/{project}/access), trying again per `r` (NULL: defaults)
 * on no answer, a 5xx or a 429. Returns BG_OK when it may. Otherwise err says what, in
 * words for people, and the code says which: BG_ENET no answer or the server failing;
 * BG_EAUTH the token was refused (401); BG_EPERM the token is of another project (403) or of
 * a role that cannot upload; BG_ENOENT no such project; BG_EUNSUPP the server does not offer
 * the check (it answered 404 or 405 for the path itself); BG_EINVAL a bad server URL or an
 * answer that makes no sense. With BG_OK, *access (may be NULL) gets the answer's comparison;
 * an unknown mode or rounds outside 2..BG_INTERLEAVE_MAX_ROUNDS read as absent. */
int bg_client_check_upload(const struct bg_client *c, const struct bg_retry *r, const char *project,
                           struct bg_client_access *access, char *err, size_t errlen);

/* Extracts the human message of a server error answer {"error":{"code","message","field"}}
 * into out ("field: message" when a field is named); falls back to the start of the body. */
void bg_client_error_message(const struct bg_response *res, char *out, size_t outlen);

/* The `code` member of a server error answer ("project_not_found", ...) into out; "" when the
 * answer carries none. */
void bg_client_error_code(const struct bg_response *res, char *out, size_t outlen);

#endif
