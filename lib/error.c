/* error.c: names of error codes and the field-named error detail. */
#include "error.h"

#include "valid.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *bg_strerror(int rc) {
  switch (rc) {
  case BG_OK: return "ok";
  case BG_ENOMEM: return "out of memory";
  case BG_EINVAL: return "invalid input";
  case BG_ENOENT: return "not found";
  case BG_EEXIST: return "already exists";
  case BG_ECONFLICT: return "conflicts with stored content";
  case BG_ETOOBIG: return "too large";
  case BG_EIO: return "input/output error";
  case BG_EDB: return "database error";
  case BG_EAUTH: return "authentication required";
  case BG_EPERM: return "permission denied";
  case BG_EPARSE: return "malformed document";
  case BG_ETIMEOUT: return "timed out";
  case BG_ENET: return "network error";
  case BG_EUNSUPP: return "not supported";
  case BG_EBUSY: return "busy";
  case BG_ECANCELED: return "canceled";
  default: return "unknown error";
  }
}

int bg_ferr_set(struct bg_ferr *e, const char *field, const char *fmt, ...) {
  if (!e)
    return BG_EINVAL;
  snprintf(e->field, sizeof e->field, "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  /* The detail goes back to clients inside JSON: cut at a multi-byte character that the
   * length limit split (or at any byte that is not UTF-8), never send it broken. */
  e->field[bg_valid_utf8_prefix(e->field, strlen(e->field))] = '\0';
  e->message[bg_valid_utf8_prefix(e->message, strlen(e->message))] = '\0';
  return BG_EINVAL;
}

void bg_ferr_clear(struct bg_ferr *e) {
  if (e)
    memset(e, 0, sizeof *e);
}
