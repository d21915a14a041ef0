/* buf.c: a growable byte buffer with a hard maximum size. */
#include "buf.h"

#include "error.h"
#include "mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bg_buf_init(struct bg_buf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

static int reserve(struct bg_buf *b, size_t extra) {
  if (extra > (size_t)-1 - b->len - 1)
    return BG_ETOOBIG;
  if (b->max && b->len + extra > b->max)
    return BG_ETOOBIG;
  size_t need = b->len + extra + 1;
  if (need > b->cap) {
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need)
      ncap = ncap > ((size_t)-1) / 2 ? need : ncap * 2;
    b->data = bg_xrealloc(b->data, ncap);
    b->cap = ncap;
  }
  return BG_OK;
}

int bg_buf_append(struct bg_buf *b, const void *p, size_t n) {
  int rc = reserve(b, n);
  if (rc != BG_OK)
    return rc;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return BG_OK;
}

int bg_buf_puts(struct bg_buf *b, const char *s) {
  return bg_buf_append(b, s, strlen(s));
}

int bg_buf_printf(struct bg_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return BG_EINVAL;
  int rc = reserve(b, (size_t)n);
  if (rc != BG_OK)
    return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return BG_OK;
}

void bg_buf_reset(struct bg_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

char *bg_buf_steal(struct bg_buf *b) {
  char *d = b->data ? b->data : bg_xstrdup("");
  b->data = NULL;
  b->len = b->cap = 0;
  return d;
}

void bg_buf_free(struct bg_buf *b) {
  if (!b)
    return;
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

int bg_buf_read_file(struct bg_buf *b, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return BG_EIO;
  int rc = BG_OK;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    rc = bg_buf_append(b, chunk, n);
    if (rc != BG_OK)
      goto out;
  }
  if (ferror(f))
    rc = BG_EIO;
  else if (!b->data)
    rc = bg_buf_append(b, "", 0);
out:
  fclose(f);
  return rc;
}
