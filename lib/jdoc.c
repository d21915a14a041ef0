/* jdoc.c: a strict, bounded JSON reader into one flat node array (see jdoc.h).
 *
 * Recursive descent with an explicit depth limit; every read checks the end of the text, so
 * the input need not be NUL-terminated. Strings decode into one arena reserved at the size of
 * the text (decoded JSON strings are never longer than their source), so a string costs no
 * allocation. Arrays start "packed": numbers go straight into doc->nums; the first element
 * that is not a number turns the numbers read so far into ordinary nodes.
 */
#include "jdoc.h"

#include "mem.h"

#include <errno.h>
#include <float.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
  struct bg_jdoc *d;
  const unsigned char *s;
  size_t len, pos;
  char *err;
  size_t errlen;
};

void bg_jdoc_init(struct bg_jdoc *d) {
  memset(d, 0, sizeof *d);
}

void bg_jdoc_free(struct bg_jdoc *d) {
  if (!d)
    return;
  free(d->nodes);
  free(d->strs);
  free(d->nums);
  bg_jdoc_init(d);
}

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...) {
  if (p->err && p->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static void skip_ws(struct parser *p) {
  while (p->pos < p->len) {
    unsigned char c = p->s[p->pos];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
      return;
    p->pos++;
  }
}

static uint32_t push_node(struct parser *p, int type) {
  struct bg_jdoc *d = p->d;
  if (d->nnodes == d->ncap)
    bg_xgrow((void **)&d->nodes, &d->ncap, d->nnodes + 1, sizeof *d->nodes);
  struct bg_jnode *n = &d->nodes[d->nnodes];
  memset(n, 0, sizeof *n);
  n->type = (unsigned char)type;
  n->next = (uint32_t)d->nnodes + 1;
  return (uint32_t)d->nnodes++;
}

/* ---- numbers ---- */

/* Exact powers of ten: every 10^k with k <= 22 is a double without rounding. */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define MANTISSA_EXACT (1ULL << 53)

/* x87 extended precision: a 64-bit significand stored first, little-endian. */
#if (defined(__x86_64__) || defined(__i386__)) && LDBL_MANT_DIG == 64
#define X87_EXTENDED 1
static const long double pow10_ld[28] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                         1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                         1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
                                         1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
#else
#define X87_EXTENDED 0
#endif

/* The slow path: strtod on a NUL-terminated copy with the locale's decimal point. */
static double slow_number(const char *s, size_t n) {
  char small[128];
  char *copy = n < sizeof small ? small : bg_xmalloc(n + 1);
  memcpy(copy, s, n);
  copy[n] = '\0';
  const char *dp = nl_langinfo(RADIXCHAR); /* localeconv() is not thread-safe */
  if (dp && dp[0] != '.' && dp[0] && !dp[1]) {
    char *dot = memchr(copy, '.', n);
    if (dot)
      *dot = dp[0];
  }
  errno = 0;
  double v = strtod(copy, NULL); /* ERANGE: +-inf or a denormal/zero, as strtod rounds it */
  if (copy != small)
    free(copy);
  return v;
}

static int is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

/* One function, longer than the others: every number of every upload body passes through it
 * (10 000 for a run of 1 000 results), and split into helpers the scan no longer keeps its
 * state in registers (callgrind: +50 % instructions per number). */
size_t bg_jdoc_number(const char *text, size_t len, double *out) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  int neg = 0;
  uint64_t mant = 0;
  int digits = 0;      /* significant digits accumulated in mant */
  int dropped = 0;     /* significant digits that did not fit */
  long long exp10 = 0; /* decimal exponent of mant */
  if (i < len && s[i] == '-') {
    neg = 1;
    i++;
  }
  if (i >= len || !is_digit(s[i]))
    return 0;
  if (s[i] == '0') {
    i++;
  } else {
    for (; i < len && is_digit(s[i]); i++) {
      if (digits < 19) {
        mant = mant * 10 + (uint64_t)(s[i] - '0');
        digits += mant != 0;
      } else {
        dropped++;
        exp10++;
      }
    }
  }
  if (i < len && s[i] == '.') {
    i++;
    if (i >= len || !is_digit(s[i]))
      return 0;
    for (; i < len && is_digit(s[i]); i++) {
      if (digits < 19) {
        mant = mant * 10 + (uint64_t)(s[i] - '0');
        digits += mant != 0;
        exp10--;
      } else {
        dropped++;
      }
    }
  }
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    int eneg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
      eneg = s[i++] == '-';
    if (i >= len || !is_digit(s[i]))
      return 0;
    long long e = 0;
    for (; i < len && is_digit(s[i]); i++)
      if (e < 100000000)
        e = e * 10 + (s[i] - '0');
    exp10 += eneg ? -e : e;
  }
  /* Clinger's fast path: both operands exact, so the one rounding of * or / is strtod's. It
   * needs arithmetic in double precision, which FLT_EVAL_METHOD 0 promises. */
#if FLT_EVAL_METHOD == 0
  if (!dropped && mant <= MANTISSA_EXACT && exp10 >= -22 && exp10 <= 22) {
    double v = (double)mant;
    v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
    *out = neg ? -v : v;
    return i;
  }
#endif
#if X87_EXTENDED
  /* Printed doubles carry 17 digits, beyond Clinger's 53 bits. With x87's 64-bit significand
   * both operands are still exact (mant < 10^19 < 2^64, 10^k = 2^k 5^k with 5^27 < 2^64), so
   * the product or quotient is rounded once to 64 bits; rounding that to 53 bits gives
   * strtod's answer unless the 64-bit value lies exactly on a halfway point between two
   * doubles (its low 11 bits are 10000000000b), when the first rounding may have decided it:
   * those few go to strtod. The range keeps every result a normal double. */
  if (!dropped && exp10 >= -27 && exp10 <= 27 && mant != 0) {
    long double v = (long double)mant;
    v = exp10 < 0 ? v / pow10_ld[-exp10] : v * pow10_ld[exp10];
    uint64_t sig;
    memcpy(&sig, &v, sizeof sig); /* the x87 format's explicit 64-bit significand */
    if ((sig & 0x7ff) != 0x400) {
      double r = (double)v;
      *out = neg ? -r : r;
      return i;
    }
  }
#endif
  *out = slow_number(text, i);
  return i;
}

/* ---- strings ---- */

static int hex4(struct parser *p, unsigned *out) {
  if (p->len - p->pos < 4)
    return fail(p, "truncated \\u escape");
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    unsigned char c = p->s[p->pos++];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return fail(p, "bad hex digit in a \\u escape");
  }
  *out = v;
  return 0;
}

static char *put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xc0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xe0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
    *o++ = (char)(0x80 | (cp & 0x3f));
  } else {
    *o++ = (char)(0xf0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
    *o++ = (char)(0x80 | (cp & 0x3f));
  }
  return o;
}

/* Reads the string whose opening quote is at p->pos into the arena; off and n locate it. The
 * arena holds the whole text's size plus one, and a decoded string plus its NUL is never
 * longer than its quoted source, so writing needs no capacity checks. */
static int parse_string(struct parser *p, uint32_t *off, uint32_t *n) {
  struct bg_jdoc *d = p->d;
  char *start = d->strs + d->slen, *o = start;
  p->pos++; /* the opening quote */
  for (;;) {
    const unsigned char *s = p->s + p->pos, *end = p->s + p->len;
    const unsigned char *q = s;
    while (q < end && *q != '"' && *q != '\\' && *q >= 0x20)
      q++;
    memcpy(o, s, (size_t)(q - s));
    o += q - s;
    p->pos = (size_t)(q - p->s);
    if (q == end)
      return fail(p, "unterminated string");
    if (*q == '"') {
      p->pos++;
      break;
    }
    if (*q < 0x20)
      return fail(p, "control character 0x%02x in a string (escape it)", *q);
    /* A backslash. */
    if (++p->pos >= p->len)
      return fail(p, "unterminated string");
    unsigned char c = p->s[p->pos++];
    switch (c) {
    case '"':
      *o++ = '"';
      break;
    case '\\':
      *o++ = '\\';
      break;
    case '/':
      *o++ = '/';
      break;
    case 'b':
      *o++ = '\b';
      break;
    case 'f':
      *o++ = '\f';
      break;
    case 'n':
      *o++ = '\n';
      break;
    case 'r':
      *o++ = '\r';
      break;
    case 't':
      *o++ = '\t';
      break;
    case 'u': {
      unsigned cp, lo;
      if (hex4(p, &cp))
        return -1;
      if (cp >= 0xdc00 && cp <= 0xdfff)
        return fail(p, "lone low surrogate \\u%04x", cp);
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
          return fail(p, "high surrogate \\u%04x without a low surrogate", cp);
        p->pos += 2;
        if (hex4(p, &lo))
          return -1;
        if (lo < 0xdc00 || lo > 0xdfff)
          return fail(p, "high surrogate \\u%04x followed by \\u%04x", cp, lo);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      }
      o = put_utf8(o, cp);
      break;
    }
    default:
      p->pos--;
      return fail(p, "unknown escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
    }
  }
  *o = '\0';
  *off = (uint32_t)d->slen;
  *n = (uint32_t)(o - start);
  d->slen += (size_t)(o - start) + 1;
  return 0;
}

/* ---- values ---- */

static int parse_value(struct parser *p, int depth);

static int literal(struct parser *p, const char *word, int type) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
    return fail(p, "unexpected character");
  p->pos += n;
  push_node(p, type);
  return 0;
}

static int parse_number_node(struct parser *p) {
  double v;
  size_t used = bg_jdoc_number((const char *)p->s + p->pos, p->len - p->pos, &v);
  if (!used)
    return fail(p, "malformed number");
  p->pos += used;
  uint32_t i = push_node(p, BG_JNUM);
  p->d->nodes[i].v.num = v;
  return 0;
}

/* Turns the numbers an array packed so far into ordinary nodes. */
static void unpack(struct parser *p, size_t first) {
  struct bg_jdoc *d = p->d;
  for (size_t k = first; k < d->nnums; k++) {
    uint32_t i = push_node(p, BG_JNUM);
    d->nodes[i].v.num = d->nums[k];
  }
  d->nnums = first;
}

static int parse_array(struct parser *p, int depth) {
  struct bg_jdoc *d = p->d;
  uint32_t self = push_node(p, BG_JARR);
  size_t first = d->nnums;
  int packed = 1;
  uint32_t count = 0;
  p->pos++; /* '[' */
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == ']') {
    p->pos++;
    return 0;
  }
  for (;;) {
    skip_ws(p);
    if (p->pos >= p->len)
      return fail(p, "unterminated array");
    unsigned char c = p->s[p->pos];
    if (packed && (c == '-' || is_digit(c))) {
      double v;
      size_t used = bg_jdoc_number((const char *)p->s + p->pos, p->len - p->pos, &v);
      if (!used)
        return fail(p, "malformed number");
      p->pos += used;
      if (d->nnums == d->numcap)
        bg_xgrow((void **)&d->nums, &d->numcap, d->nnums + 1, sizeof *d->nums);
      d->nums[d->nnums++] = v;
    } else {
      if (packed) {
        unpack(p, first);
        packed = 0;
      }
      if (parse_value(p, depth + 1))
        return -1;
    }
    count++;
    skip_ws(p);
    if (p->pos >= p->len)
      return fail(p, "unterminated array");
    c = p->s[p->pos++];
    if (c == ']')
      break;
    if (c != ',') {
      p->pos--;
      return fail(p, "expected ',' or ']' in an array");
    }
  }
  struct bg_jnode *n = &d->nodes[self];
  n->count = count;
  n->packed = (unsigned char)packed;
  if (packed)
    n->v.nums = (uint32_t)first;
  n->next = (uint32_t)d->nnodes;
  return 0;
}

static int parse_object(struct parser *p, int depth) {
  struct bg_jdoc *d = p->d;
  uint32_t self = push_node(p, BG_JOBJ);
  uint32_t count = 0;
  p->pos++; /* '{' */
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == '}') {
    p->pos++;
    return 0;
  }
  for (;;) {
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '"')
      return fail(p, p->pos >= p->len ? "unterminated object" : "expected a member name");
    uint32_t koff, klen;
    if (parse_string(p, &koff, &klen))
      return -1;
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != ':')
      return fail(p, "expected ':' after a member name");
    p->pos++;
    skip_ws(p);
    size_t member = d->nnodes;
    if (parse_value(p, depth + 1))
      return -1;
    d->nodes[member].key = koff;
    d->nodes[member].keylen = klen;
    count++;
    skip_ws(p);
    if (p->pos >= p->len)
      return fail(p, "unterminated object");
    unsigned char c = p->s[p->pos++];
    if (c == '}')
      break;
    if (c != ',') {
      p->pos--;
      return fail(p, "expected ',' or '}' in an object");
    }
  }
  d->nodes[self].count = count;
  d->nodes[self].next = (uint32_t)d->nnodes;
  return 0;
}

static int parse_value(struct parser *p, int depth) {
  if (depth > BG_JDOC_MAX_DEPTH)
    return fail(p, "nested deeper than %d", BG_JDOC_MAX_DEPTH);
  skip_ws(p);
  if (p->pos >= p->len)
    return fail(p, "unexpected end of text");
  unsigned char c = p->s[p->pos];
  switch (c) {
  case '{':
    return parse_object(p, depth);
  case '[':
    return parse_array(p, depth);
  case '"': {
    uint32_t off, n;
    if (parse_string(p, &off, &n))
      return -1;
    uint32_t i = push_node(p, BG_JSTR);
    p->d->nodes[i].v.str.off = off;
    p->d->nodes[i].v.str.len = n;
    return 0;
  }
  case 't':
    return literal(p, "true", BG_JTRUE);
  case 'f':
    return literal(p, "false", BG_JFALSE);
  case 'n':
    return literal(p, "null", BG_JNULL);
  default:
    if (c == '-' || is_digit(c))
      return parse_number_node(p);
    return fail(p, "unexpected character");
  }
}

int bg_jdoc_parse(struct bg_jdoc *d, const char *text, size_t len, size_t *err_at, char *err,
                  size_t errlen) {
  struct parser p = {d, (const unsigned char *)text, len, 0, err, errlen};
  d->nnodes = d->slen = d->nnums = 0;
  if (err && errlen)
    err[0] = '\0';
  int rc = 0;
  if (len >= BG_JDOC_MAX_TEXT) {
    rc = fail(&p, "longer than %u bytes", BG_JDOC_MAX_TEXT - 1);
    goto out;
  }
  if (d->scap < len + 1) {
    free(d->strs);
    d->strs = bg_xmalloc(len + 1);
    d->scap = len + 1;
  }
  if ((rc = parse_value(&p, 1)))
    goto out;
  skip_ws(&p);
  if (p.pos < p.len)
    rc = fail(&p, "text after the end of the document");
out:
  if (rc && err_at)
    *err_at = p.pos;
  return rc;
}

/* ---- reading a document ---- */

const struct bg_jnode *bg_jdoc_root(const struct bg_jdoc *d) {
  return d->nodes;
}

const struct bg_jnode *bg_jdoc_first(const struct bg_jdoc *d, const struct bg_jnode *parent) {
  (void)d;
  if ((parent->type != BG_JARR && parent->type != BG_JOBJ) || parent->packed || !parent->count)
    return NULL;
  return parent + 1;
}

const struct bg_jnode *bg_jdoc_next(const struct bg_jdoc *d, const struct bg_jnode *parent,
                                    const struct bg_jnode *n) {
  return n->next < parent->next ? &d->nodes[n->next] : NULL;
}

int bg_jdoc_member(const struct bg_jdoc *d, const struct bg_jnode *obj, const char *key,
                   const struct bg_jnode **out) {
  int found = 0;
  size_t klen = strlen(key);
  *out = NULL;
  if (obj->type != BG_JOBJ)
    return 0;
  for (const struct bg_jnode *m = bg_jdoc_first(d, obj); m; m = bg_jdoc_next(d, obj, m)) {
    if (m->keylen == klen && memcmp(d->strs + m->key, key, klen) == 0) {
      if (!found++)
        *out = m;
    }
  }
  return found;
}

const char *bg_jdoc_str(const struct bg_jdoc *d, const struct bg_jnode *n) {
  return d->strs + n->v.str.off;
}

size_t bg_jdoc_strlen(const struct bg_jnode *n) {
  return n->v.str.len;
}

const char *bg_jdoc_key(const struct bg_jdoc *d, const struct bg_jnode *n) {
  return d->strs + n->key;
}

cJSON *bg_jdoc_to_cjson(const struct bg_jdoc *d, const struct bg_jnode *n) {
  cJSON *o = NULL;
  switch (n->type) {
  case BG_JNULL:
    return cJSON_CreateNull();
  case BG_JTRUE:
    return cJSON_CreateTrue();
  case BG_JFALSE:
    return cJSON_CreateFalse();
  case BG_JNUM:
    return cJSON_CreateNumber(n->v.num);
  case BG_JSTR:
    if (strlen(bg_jdoc_str(d, n)) != n->v.str.len)
      return NULL;
    return cJSON_CreateString(bg_jdoc_str(d, n));
  case BG_JARR:
    o = cJSON_CreateArray();
    if (n->packed) {
      for (uint32_t k = 0; k < n->count; k++)
        cJSON_AddItemToArray(o, cJSON_CreateNumber(d->nums[n->v.nums + k]));
      return o;
    }
    break;
  default:
    o = cJSON_CreateObject();
    break;
  }
  for (const struct bg_jnode *c = bg_jdoc_first(d, n); c; c = bg_jdoc_next(d, n, c)) {
    cJSON *v = bg_jdoc_to_cjson(d, c);
    if (!v || (n->type == BG_JOBJ && strlen(bg_jdoc_key(d, c)) != c->keylen)) {
      cJSON_Delete(v);
      cJSON_Delete(o);
      return NULL;
    }
    if (n->type == BG_JOBJ)
      cJSON_AddItemToObject(o, bg_jdoc_key(d, c), v);
    else
      cJSON_AddItemToArray(o, v);
  }
  return o;
}
