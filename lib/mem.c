/* mem.c: allocation wrappers that abort on out-of-memory. */
#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n) {
  fprintf(stderr, "benchgate: out of memory allocating %zu bytes\n", n);
  abort();
}

void *bg_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    oom(n);
  return p;
}

void *bg_xcalloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p)
    oom(count * size);
  return p;
}

void *bg_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    oom(n);
  return q;
}

char *bg_xstrdup(const char *s) {
  return s ? bg_xstrndup(s, strlen(s)) : NULL;
}

char *bg_xstrndup(const char *s, size_t n) {
  if (!s)
    return NULL;
  size_t len = strnlen(s, n);
  char *d = bg_xmalloc(len + 1);
  memcpy(d, s, len);
  d[len] = '\0';
  return d;
}

void bg_xgrow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return;
  size_t ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2)
      oom(SIZE_MAX);
    ncap *= 2;
  }
  if (ncap > SIZE_MAX / size)
    oom(SIZE_MAX);
  *p = bg_xrealloc(*p, ncap * size);
  *cap = ncap;
}
