/* log.h: benchgated's structured log lines on stderr, key=value or JSON (--log-format).
 *
 * A line is built field by field and written with one write(2), so lines of several threads
 * never interleave. Every line starts with ts (UTC, milliseconds) and event. In kv form a
 * value with a space, '"', '=' or a control character is quoted with backslash escapes; in
 * JSON form a line is one object. Callers never pass a token or secret: a request's line
 * names its token by id and name.
 */
#ifndef BG_LOG_H
#define BG_LOG_H

#include "buf.h"

enum bg_log_format { BG_LOG_KV = 0, BG_LOG_JSON };

/* Parses "kv" or "json"; 1 on success, 0 otherwise. */
int bg_log_format_parse(const char *s, enum bg_log_format *out);

struct bg_log_line {
  enum bg_log_format format;
  struct bg_buf buf;
};

/* Starts a line of `event` ("request", ...). */
void bg_log_begin(struct bg_log_line *l, enum bg_log_format f, const char *event);
void bg_log_str(struct bg_log_line *l, const char *key, const char *value); /* NULL: left out */
void bg_log_int(struct bg_log_line *l, const char *key, long long value);
void bg_log_num(struct bg_log_line *l, const char *key, double value); /* 3 decimals */
/* Ends the line, writes it to stderr and frees it. */
void bg_log_end(struct bg_log_line *l);

/* A line of `event` with level and message fields: bg_log_event(f, "error", "health_check",
 * why). */
void bg_log_event(enum bg_log_format f, const char *level, const char *event, const char *msg);

#endif
