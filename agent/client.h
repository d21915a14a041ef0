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

#include <stddef.h>

#define BG_CLIENT_BODY_MAX (16u << 20) /* answers larger than this are refused */

struct bg_client {
  const char *server;      /* base URL, "https://bench.example.org" (a trailing / is fine) */
  const char *token;       /* NULL: no Authorization header */
  long connect_timeout_ms; /* 0: 10 s */
  long timeout_ms;         /* 0: 60 s */
};

struct bg_response {
  long status;        /* HTTP status, 0 when there was no answer */
  struct bg_buf body; /* the answer's body, NUL-terminated */
};

/* Initialises libcurl; call once at program start, before any thread. Returns BG_OK. */
int bg_client_global_init(void);
void bg_client_global_cleanup(void);

/* Sends `method` ("GET", "POST") to server + `path` ("/api/v1/..."), with `json` as the body
 * when not NULL. On BG_OK *res holds the status and body (initialised here; the caller frees
 * it with bg_response_free) whatever the status. Errors: BG_ENET when no answer came (DNS,
 * refused, TLS, timeout: message in err), BG_ETOOBIG when the answer passed its cap,
 * BG_EINVAL for a bad URL. */
int bg_client_request(const struct bg_client *c, const char *method, const char *path,
                      const char *json, struct bg_response *res, char *err, size_t errlen);

void bg_response_free(struct bg_response *res);

/* Picks the API token: --token-file FILE (first line, trimmed), else --token TEXT (with a
 * warning on stderr that command lines end up in logs), else $BENCHGATE_TOKEN. Returns BG_OK
 * with a new string in *token (the caller frees it) or NULL when none is given; BG_EIO or
 * BG_EINVAL when the file cannot be read or holds no token (message in err). */
int bg_client_token(const char *flag_token, const char *token_file, char **token, char *err,
                    size_t errlen);

/* Extracts the human message of a server error answer {"error":{"code","message","field"}}
 * into out ("field: message" when a field is named); falls back to the start of the body. */
void bg_client_error_message(const struct bg_response *res, char *out, size_t outlen);

#endif
