/* log.c: structured log lines, key=value or JSON (log.h). */
#include "log.h"

#include "json.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int bg_log_format_parse(const char *s, enum bg_log_format *out) {
  if (s && !strcmp(s, "kv"))
    *out = BG_LOG_KV;
  else if (s && !strcmp(s, "json"))
    *out = BG_LOG_JSON;
  else
    return 0;
  return 1;
}

/* Appends the separator and the key. */
static void key(struct bg_log_line *l, const char *k) {
  if (l->format == BG_LOG_JSON) {
    bg_buf_puts(&l->buf, ",");
    bg_json_str(&l->buf, k);
    bg_buf_puts(&l->buf, ":");
  } else {
    bg_buf_printf(&l->buf, " %s=", k);
  }
}

static int needs_quotes(const char *v) {
  if (!*v)
    return 1;
  for (const unsigned char *p = (const unsigned char *)v; *p; p++)
    if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
      return 1;
  return 0;
}

static void kv_value(struct bg_buf *b, const char *v) {
  if (!needs_quotes(v)) {
    bg_buf_puts(b, v);
    return;
  }
  bg_buf_puts(b, "\"");
  for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
    if (*p == '"' || *p == '\\')
      bg_buf_printf(b, "\\%c", *p);
    else if (*p < ' ' || *p == 0x7f)
      bg_buf_printf(b, "\\x%02x", *p);
    else
      bg_buf_append(b, p, 1);
  }
  bg_buf_puts(b, "\"");
}

void bg_log_begin(struct bg_log_line *l, enum bg_log_format f, const char *event) {
  struct timespec ts;
  struct tm tm;
  char when[40];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);
  l->format = f;
  bg_buf_init(&l->buf, 0);
  if (f == BG_LOG_JSON) {
    bg_buf_puts(&l->buf, "{\"ts\":");
    bg_json_str(&l->buf, when);
  } else {
    bg_buf_printf(&l->buf, "ts=%s", when);
  }
  bg_log_str(l, "event", event);
}

void bg_log_str(struct bg_log_line *l, const char *k, const char *v) {
  if (!v)
    return;
  key(l, k);
  if (l->format == BG_LOG_JSON)
    bg_json_str(&l->buf, v);
  else
    kv_value(&l->buf, v);
}

void bg_log_int(struct bg_log_line *l, const char *k, long long v) {
  key(l, k);
  bg_buf_printf(&l->buf, "%lld", v);
}

void bg_log_num(struct bg_log_line *l, const char *k, double v) {
  key(l, k);
  bg_buf_printf(&l->buf, "%.3f", v);
}

void bg_log_event(enum bg_log_format f, const char *level, const char *event, const char *msg) {
  struct bg_log_line l;
  bg_log_begin(&l, f, event);
  bg_log_str(&l, "level", level);
  bg_log_str(&l, "message", msg);
  bg_log_end(&l);
}

void bg_log_end(struct bg_log_line *l) {
  bg_buf_puts(&l->buf, l->format == BG_LOG_JSON ? "}\n" : "\n");
  if (l->buf.data) {
    /* One write: a line is never split between threads. A failed write has nowhere to go. */
    ssize_t w = write(STDERR_FILENO, l->buf.data, l->buf.len);
    (void)w;
  }
  bg_buf_free(&l->buf);
}
