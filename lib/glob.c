/* glob.c: the compiled globs of glob.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "glob.h"

#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STACK_WORDS 32 /* state vectors up to 2 047 pattern bytes live on the stack */

struct bg_glob {
  char *head, *tail; /* the bytes before the first star and after the last (owned) */
  size_t nhead, ntail;
  int has_star;
  /* The middle *M* (has_middle 0: no star, or only stars, between head and tail). */
  int has_middle;
  size_t k;          /* non-star bytes of M: states 0..k */
  size_t words;      /* 64-bit words per state vector */
  uint64_t *loop;    /* words: states a star follows */
  uint64_t *masks;   /* (classes) x words: per byte class, the states it may enter */
  uint16_t cls[256]; /* byte -> its class; 0: a byte M does not hold ('?' only) */
  /* A middle without '?': its star-free pieces, found leftmost one after the other. */
  char *pieces;      /* the middle's bytes without stars, NUL-separated (owned) */
  size_t *piece_len; /* npieces lengths */
  size_t npieces;
  /* A middle with '?': its longest run of plain bytes, which a matching name must hold. */
  char *must;
  size_t nmust;
};

static int bytes_match(const char *pat, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (pat[i] != '?' && pat[i] != s[i])
      return 0;
  return 1;
}

static void set_bit(uint64_t *v, size_t j) {
  v[j / 64] |= (uint64_t)1 << (j % 64);
}

/* The pieces of a middle m (n bytes) that holds no '?'. */
static void compile_pieces(struct bg_glob *g, const char *m, size_t n) {
  g->pieces = bg_xmalloc(n + 1);
  g->piece_len = bg_xcalloc(n / 2 + 1, sizeof *g->piece_len);
  char *out = g->pieces;
  for (size_t i = 0; i < n;) {
    while (i < n && m[i] == '*')
      i++;
    size_t start = i;
    while (i < n && m[i] != '*')
      *out++ = m[i++];
    if (i > start) {
      g->piece_len[g->npieces++] = i - start;
      *out++ = '\0';
    }
  }
}

/* The NFA of middle m (n bytes, starting and ending with a star). */
static void compile_middle(struct bg_glob *g, const char *m, size_t n) {
  size_t k = 0, nclasses = 1;
  for (size_t i = 0; i < n; i++)
    if (m[i] != '*')
      k++;
  g->k = k;
  g->words = (k + 1 + 63) / 64;
  memset(g->cls, 0, sizeof g->cls);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)m[i];
    if (c != '*' && c != '?' && !g->cls[c])
      g->cls[c] = (uint16_t)nclasses++;
  }
  g->loop = bg_xcalloc(g->words, sizeof *g->loop);
  g->masks = bg_xcalloc(nclasses * g->words, sizeof *g->masks);
  size_t j = 0; /* states matched so far */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)m[i];
    if (c == '*') {
      set_bit(g->loop, j);
      continue;
    }
    j++;
    if (c == '?') {
      for (size_t cl = 0; cl < nclasses; cl++)
        set_bit(g->masks + cl * g->words, j);
    } else {
      set_bit(g->masks + g->cls[c] * g->words, j);
    }
  }
  g->has_middle = k > 0;
  if (k && !memchr(m, '?', n)) {
    compile_pieces(g, m, n);
    return;
  }
  size_t best = 0, best_len = 0;
  for (size_t i = 0; i < n;) {
    size_t start = i;
    while (i < n && m[i] != '*' && m[i] != '?')
      i++;
    if (i - start > best_len) {
      best = start;
      best_len = i - start;
    }
    i += i == start;
  }
  if (best_len) {
    g->must = bg_xmalloc(best_len);
    memcpy(g->must, m + best, best_len);
    g->nmust = best_len;
  }
}

struct bg_glob *bg_glob_compile(const char *pattern) {
  struct bg_glob *g = bg_xcalloc(1, sizeof *g);
  size_t n = strlen(pattern);
  const char *first = memchr(pattern, '*', n);
  if (!first) {
    g->head = bg_xstrdup(pattern);
    g->nhead = n;
    g->tail = bg_xstrdup("");
    return g;
  }
  const char *last = strrchr(pattern, '*');
  g->has_star = 1;
  g->nhead = (size_t)(first - pattern);
  g->head = bg_xmalloc(g->nhead + 1);
  memcpy(g->head, pattern, g->nhead);
  g->head[g->nhead] = '\0';
  g->tail = bg_xstrdup(last + 1);
  g->ntail = strlen(g->tail);
  compile_middle(g, first, (size_t)(last - first) + 1);
  return g;
}

/* Runs the middle's NFA over s[0..n). */
static int match_middle(const struct bg_glob *g, const unsigned char *s, size_t n) {
  if (n < g->k)
    return 0; /* every non-star byte of M takes a byte of the name */
  if (g->nmust && !memmem(s, n, g->must, g->nmust))
    return 0; /* most names a rule does not match fail here, at memmem's speed */
  uint64_t stack[STACK_WORDS], *d = g->words <= STACK_WORDS ? stack : NULL;
  size_t w = g->words;
  if (!d)
    d = bg_xmalloc(w * sizeof *d);
  memset(d, 0, w * sizeof *d);
  d[0] = 1; /* state 0: nothing of M matched yet */
  for (size_t i = 0; i < n; i++) {
    const uint64_t *mask = g->masks + g->cls[s[i]] * w;
    uint64_t any = 0;
    /* From the top word down, so that d[x - 1] is still the previous step's. */
    for (size_t x = w; x-- > 0;) {
      uint64_t shifted = d[x] << 1 | (x ? d[x - 1] >> 63 : 0);
      d[x] = (shifted & mask[x]) | (d[x] & g->loop[x]);
      any |= d[x];
    }
    if (!any)
      break;
  }
  int ok = (d[g->k / 64] >> (g->k % 64)) & 1;
  if (d != stack)
    free(d);
  return ok;
}

/* A middle without '?' as its pieces, each at its leftmost place after the one before: the
 * stars between them take what lies between, so if the pieces fit at all they fit so. */
static int match_pieces(const struct bg_glob *g, const char *s, size_t n) {
  const char *piece = g->pieces, *end = s + n;
  for (size_t i = 0; i < g->npieces; i++) {
    size_t len = g->piece_len[i];
    const char *at = memmem(s, (size_t)(end - s), piece, len);
    if (!at)
      return 0;
    s = at + len;
    piece += len + 1;
  }
  return 1;
}

int bg_glob_match(const struct bg_glob *g, const char *name, size_t len) {
  if (!g->has_star)
    return len == g->nhead && bytes_match(g->head, name, len);
  if (len < g->nhead + g->ntail || !bytes_match(g->head, name, g->nhead) ||
      !bytes_match(g->tail, name + len - g->ntail, g->ntail))
    return 0;
  if (!g->has_middle)
    return 1;
  if (g->pieces)
    return match_pieces(g, name + g->nhead, len - g->nhead - g->ntail);
  return match_middle(g, (const unsigned char *)name + g->nhead, len - g->nhead - g->ntail);
}

void bg_glob_free(struct bg_glob *g) {
  if (!g)
    return;
  free(g->head);
  free(g->tail);
  free(g->loop);
  free(g->masks);
  free(g->pieces);
  free(g->piece_len);
  free(g->must);
  free(g);
}
