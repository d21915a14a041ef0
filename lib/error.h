/* error.h: the one error enum of benchgate, and field-named error details.
 *
 * Functions that can fail return BG_OK (0) or a negative BG_E* code. Human detail goes into
 * a caller-supplied buffer; where an API must name the offending field (run payloads,
 * configs, harness files) the detail is a struct bg_ferr with the field and a message.
 */
#ifndef BG_ERROR_H
#define BG_ERROR_H

#include <stddef.h>

enum bg_err {
  BG_OK = 0,
  BG_ENOMEM = -1,     /* out of memory */
  BG_EINVAL = -2,     /* invalid input: a field, a flag, a file */
  BG_ENOENT = -3,     /* no such object */
  BG_EEXIST = -4,     /* already exists */
  BG_ECONFLICT = -5,  /* exists with different content */
  BG_ETOOBIG = -6,    /* over a size limit */
  BG_EIO = -7,        /* operating-system or file error */
  BG_EDB = -8,        /* database error */
  BG_EAUTH = -9,      /* missing or unknown credentials */
  BG_EPERM = -10,     /* credentials lack the role */
  BG_EPARSE = -11,    /* malformed document */
  BG_ETIMEOUT = -12,  /* ran out of time */
  BG_ENET = -13,      /* network or server unreachable */
  BG_EUNSUPP = -14,   /* not supported here (no PMU, no valgrind, unknown format) */
  BG_EBUSY = -15,     /* try again later */
  BG_ECANCELED = -16  /* stopped on request (the agent was told to stop) */
};

/* Returns a static, human-readable name for an error code; never NULL. */
const char *bg_strerror(int rc);

/* A field-named error: `field` is a JSON-path-like name ("results[3].samples[7]", "suites[1]
 * .command", "line 12"), `message` says what is wrong with it. Both are always terminated. */
struct bg_ferr {
  char field[256];
  char message[512];
};

/* Fills `e` (which may be NULL) with the field and a printf-style message. Returns BG_EINVAL
 * so callers can write `return bg_ferr_set(e, "run_id", "not a UUID");`. */
int bg_ferr_set(struct bg_ferr *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears `e` (which may be NULL). */
void bg_ferr_clear(struct bg_ferr *e);

#endif
