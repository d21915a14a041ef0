/* valid.c: the naming rules of projects, testbeds, benchmarks, measures, shas and branches.
 *
 * The rules are written as small character-class loops rather than regular expressions so
 * they cost nothing on the upload path (a run may carry 100 000 benchmark names).
 */
#include "valid.h"

#include <string.h>
#include <time.h>

static int is_lower_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(unsigned char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int bg_valid_project(const char *s) {
  if (!s || !is_lower_alnum((unsigned char)s[0]))
    return 0;
  size_t i = 1;
  for (; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (i >= 64 || !(is_lower_alnum(c) || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

int bg_valid_testbed(const char *s) {
  if (!s || !s[0])
    return 0;
  for (size_t i = 0; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (i >= 64 || !(is_alnum(c) || c == '.' || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

int bg_valid_measure(const char *s) {
  if (!s || !s[0])
    return 0;
  for (size_t i = 0; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (i >= 64 || !(is_lower_alnum(c) || c == '_'))
      return 0;
  }
  return 1;
}

int bg_valid_unit(const char *s) {
  if (!s || !s[0])
    return 0;
  for (size_t i = 0; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (i >= 32 || c <= ' ' || c >= 0x7f)
      return 0;
  }
  return 1;
}

int bg_valid_sha(const char *s) {
  if (!s)
    return 0;
  size_t n = 0;
  for (; s[n]; n++) {
    unsigned char c = (unsigned char)s[n];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return 0;
  }
  return n == 40 || n == 64;
}

int bg_valid_uuid(const char *s) {
  if (!s || strlen(s) != 36)
    return 0;
  for (size_t i = 0; i < 36; i++) {
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex((unsigned char)s[i]))
      return 0;
  }
  return 1;
}

/* Length in bytes of the UTF-8 sequence at s (at most `avail` bytes), or 0 when invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t avail) {
  unsigned char c = s[0];
  size_t len;
  unsigned int cp;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len > avail)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  if (cp >= 0xd800 && cp <= 0xdfff)
    return 0;
  return len;
}

size_t bg_valid_utf8_prefix(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    /* ASCII runs are the common case: no sequence decoding for them. */
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    size_t n = utf8_seq(p + i, len - i);
    if (!n)
      break;
    i += n;
  }
  return i;
}

int bg_valid_utf8(const char *s, size_t len) {
  return s && bg_valid_utf8_prefix(s, len) == len;
}

int bg_valid_text(const char *s, size_t len, int allow_newlines) {
  if (!s)
    return 0;
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    unsigned char c = p[i];
    if (c < 0x20 || c == 0x7f) {
      if (!(allow_newlines && (c == '\n' || c == '\t' || c == '\r')))
        return 0;
    }
    size_t n = utf8_seq(p + i, len - i);
    if (!n)
      return 0;
    /* C1 control characters U+0080..U+009F are encoded as C2 80..C2 9F. */
    if (n == 2 && c == 0xc2 && p[i + 1] < 0xa0)
      return 0;
    i += n;
  }
  return 1;
}

int bg_valid_benchmark(const char *s) {
  if (!s)
    return 0;
  size_t n = strlen(s);
  return n >= 1 && n <= 1024 && bg_valid_text(s, n, 0);
}

int bg_valid_branch(const char *s) {
  if (!s)
    return 0;
  size_t n = strlen(s);
  if (n < 1 || n > 255 || !bg_valid_text(s, n, 0))
    return 0;
  if (s[0] == '-' || s[0] == '/' || s[n - 1] == '/' || s[n - 1] == '.')
    return 0;
  if (n >= 5 && strcmp(s + n - 5, ".lock") == 0)
    return 0;
  if (strstr(s, "..") || strstr(s, "//") || strstr(s, "@{"))
    return 0;
  return strpbrk(s, " ~^:?*[\\") == NULL;
}

int bg_valid_github_repo(const char *s) {
  if (!s)
    return 0;
  const char *slash = strchr(s, '/');
  if (!slash || strchr(slash + 1, '/'))
    return 0;
  size_t owner = (size_t)(slash - s), name = strlen(slash + 1);
  if (owner < 1 || owner > 100 || name < 1 || name > 100)
    return 0;
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (p != slash && !(is_alnum(c) || c == '_' || c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

/* Reads exactly `n` digits at *p into *out and advances *p. */
static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    char c = (*p)[i];
    if (c < '0' || c > '9')
      return 0;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return 1;
}

static long long days_from_civil(int y, int m, int d) {
  /* Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date. */
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long long)doe - 719468;
}

int bg_valid_timestamp(const char *s, long long *epoch) {
  if (!s)
    return 0;
  const char *p = s;
  int y, mo, d, h, mi, se;
  if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
      !digits(&p, 2, &d))
    return 0;
  if (*p != 'T' && *p != 't' && *p != ' ')
    return 0;
  p++;
  if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
      !digits(&p, 2, &se))
    return 0;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
    return 0;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9')
      return 0;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  long long offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1, oh, om;
    p++;
    if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
      return 0;
    offset = sign * (oh * 3600LL + om * 60LL);
  } else {
    return 0;
  }
  if (*p)
    return 0;
  if (epoch)
    *epoch = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + se - offset;
  return 1;
}
