/* json.c: the JSON writer of json.h. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bg_json_str(struct bg_buf *out, const char *s) {
  static const char hex[] = "0123456789abcdef";
  if (!s) {
    bg_buf_puts(out, "null");
    return;
  }
  bg_buf_append(out, "\"", 1);
  const char *run = s;
  for (const char *p = s;; p++) {
    unsigned char c = (unsigned char)*p;
    if (c != 0 && c >= 0x20 && c != '"' && c != '\\')
      continue;
    bg_buf_append(out, run, (size_t)(p - run));
    if (c == 0)
      break;
    char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
    size_t n = 2;
    switch (c) {
    case '"':
      esc[1] = '"';
      break;
    case '\\':
      esc[1] = '\\';
      break;
    case '\n':
      esc[1] = 'n';
      break;
    case '\r':
      esc[1] = 'r';
      break;
    case '\t':
      esc[1] = 't';
      break;
    default:
      esc[1] = 'u';
      esc[2] = '0';
      esc[3] = '0';
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      n = 6;
    }
    bg_buf_append(out, esc, n);
    run = p + 1;
  }
  bg_buf_append(out, "\"", 1);
}

void bg_json_num(struct bg_buf *out, double v) {
  if (!isfinite(v)) {
    bg_buf_puts(out, "null");
    return;
  }
  char tmp[40];
  if (v == floor(v) && fabs(v) < 1e15) {
    snprintf(tmp, sizeof tmp, "%.0f", v);
  } else {
    snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v)
      snprintf(tmp, sizeof tmp, "%.17g", v);
  }
  bg_buf_puts(out, tmp);
}

void bg_json_int(struct bg_buf *out, long long v) {
  char tmp[24], *end = tmp + sizeof tmp, *p = end;
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    *--p = '-';
  bg_buf_append(out, p, (size_t)(end - p));
}

/* Appends v with 12 significant digits, without printf in the common range: a trend of
 * 10 000 points holds 30 000 numbers, and printf's exact float formatting would dominate the
 * request. Twelve digits are far beyond what a benchmark measures. */
void bg_json_num12(struct bg_buf *out, double v) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                               1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
  double a = fabs(v);
  if (!isfinite(v) || a < 1e-6 || a >= 1e15) {
    if (!isfinite(v)) {
      bg_buf_puts(out, "null");
    } else {
      char tmp[32];
      snprintf(tmp, sizeof tmp, "%.12g", v);
      bg_buf_puts(out, a == 0 ? "0" : tmp);
    }
    return;
  }
  int mag = (int)floor(log10(a)) + 1; /* digits before the point; <= 0 below 1 */
  int dec = 12 - mag;
  if (dec < 0)
    dec = 0;
  if (dec > 18)
    dec = 18;
  unsigned long long unit = (unsigned long long)p10[dec];
  unsigned long long scaled = (unsigned long long)llround(a * p10[dec]);
  unsigned long long ip = scaled / unit, fp = scaled % unit;
  char tmp[48], *end = tmp + sizeof tmp, *p = end;
  if (fp) {
    int digits = dec;
    while (fp % 10 == 0) {
      fp /= 10;
      digits--;
    }
    for (; digits > 0; digits--, fp /= 10)
      *--p = (char)('0' + fp % 10);
    *--p = '.';
  }
  do {
    *--p = (char)('0' + ip % 10);
    ip /= 10;
  } while (ip);
  if (v < 0)
    *--p = '-';
  bg_buf_append(out, p, (size_t)(end - p));
}

void bg_json_num12_int(struct bg_buf *out, double v) {
  if (!(v == floor(v) && fabs(v) < 1e15)) {
    bg_json_num12(out, v);
    return;
  }
  char digits[24], *e = digits + sizeof digits, *q = e;
  long long k = (long long)v;
  unsigned long long u = k < 0 ? 0ULL - (unsigned long long)k : (unsigned long long)k;
  do {
    *--q = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (k < 0 || (k == 0 && signbit(v)))
    *--q = '-';
  bg_buf_append(out, q, (size_t)(e - q));
}
