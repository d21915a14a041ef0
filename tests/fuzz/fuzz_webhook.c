/* fuzz_webhook.c: libFuzzer target for the webhook receiver's signature check and payload
 * parser (server/webhook_payload.c).
 *
 * Input is "EVENT\nBODY" (no newline: the whole input is the body of a push). For any input,
 * bg_webhook_parse accepts it with a kind whose members are valid (a full lowercase sha, git
 * branch names, a repository name, a pull request number in range), or rejects it with
 * BG_EINVAL naming a field and saying why; it never crashes or reads past the body, which is
 * not NUL-terminated here. bg_webhook_verify accepts the body's own HMAC-SHA256 under the
 * secret, in either case of hex, and refuses it with one digit changed, under another secret,
 * without the "sha256=" prefix, and for an empty secret.
 */
#include "valid.h"
#include "webhook_payload.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char secret[] = "fuzz-secret";

static void check_event(int rc, const struct bg_webhook_event *ev, const struct bg_ferr *e) {
  if (rc != BG_OK) {
    if (rc != BG_EINVAL || !e->field[0] || !e->message[0])
      abort();
    return;
  }
  switch (ev->kind) {
  case BG_WEBHOOK_PUSH:
    if (!bg_valid_sha(ev->sha) || !bg_valid_branch(ev->branch) || !bg_valid_github_repo(ev->repo))
      abort();
    break;
  case BG_WEBHOOK_PR_RUN:
    if (!bg_valid_sha(ev->sha) || !bg_valid_branch(ev->branch) || !bg_valid_branch(ev->base_branch))
      abort();
    /* fall through */
  case BG_WEBHOOK_PR_CLOSED:
    if (!bg_valid_github_repo(ev->repo) || ev->pull_request < 1 ||
        ev->pull_request > BG_WEBHOOK_PR_MAX)
      abort();
    break;
  case BG_WEBHOOK_IGNORE:
    if (!ev->why[0])
      abort();
    break;
  case BG_WEBHOOK_PING:
    break;
  default:
    abort();
  }
}

static void check_signature(const char *body, size_t len) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  char header[7 + 64 + 1];
  if (!HMAC(EVP_sha256(), secret, sizeof secret - 1, (const unsigned char *)body, len, mac, &n))
    abort();
  memcpy(header, "sha256=", 7);
  for (unsigned i = 0; i < n; i++)
    snprintf(header + 7 + 2 * i, 3, "%02x", mac[i]);
  if (!bg_webhook_verify(secret, sizeof secret - 1, header, body, len))
    abort();
  if (bg_webhook_verify(secret, 0, header, body, len) ||
      bg_webhook_verify((const unsigned char *)"other", 5, header, body, len) ||
      bg_webhook_verify(secret, sizeof secret - 1, header + 7, body, len))
    abort();
  for (char *c = header + 7; *c; c++)
    *c = (char)(*c >= 'a' && *c <= 'f' ? *c - 'a' + 'A' : *c);
  if (!bg_webhook_verify(secret, sizeof secret - 1, header, body, len))
    abort();
  size_t at = 7 + (len ? (unsigned char)body[0] % 64 : 0);
  header[at] = header[at] == '0' ? '1' : '0';
  if (bg_webhook_verify(secret, sizeof secret - 1, header, body, len))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const char *nl = memchr(text, '\n', size);
  char event[80] = "push";
  const char *body = text;
  size_t len = size;
  if (nl) {
    size_t n = (size_t)(nl - text);
    if (n >= sizeof event)
      n = sizeof event - 1;
    memcpy(event, text, n);
    event[n] = '\0';
    body = nl + 1;
    len = size - (size_t)(nl + 1 - text);
  }
  /* An exact copy of the body, so that ASan sees a read past its end. */
  char *copy = malloc(len ? len : 1);
  memcpy(copy, body, len);
  struct bg_webhook_event ev;
  struct bg_ferr e;
  check_event(bg_webhook_parse(event, copy, len, &ev, &e), &ev, &e);
  check_signature(copy, len);
  free(copy);
  return 0;
}
