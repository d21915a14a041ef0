/* json.h: the JSON writer for answers written by hand into a struct bg_buf.
 *
 * The API's answers are written straight into the response buffer, member by member, rather
 * than built as cJSON trees and printed: a trend of 10 000 points or a verdict of 1 000
 * results is written in a fraction of the time and memory. These functions are the one place
 * that knows how a string is escaped and how a number is spelled.
 */
#ifndef BG_JSON_H
#define BG_JSON_H

#include "buf.h"

#include <string.h>

/* Appends s as a JSON string literal (quoted and escaped), or null when s is NULL. */
void bg_json_str(struct bg_buf *out, const char *s);

/* Appends a finite double in the shortest form that reads back exactly; null otherwise. */
void bg_json_num(struct bg_buf *out, double v);

/* Appends a double with 12 significant digits, fast (no printf in the common range); null
 * when not finite. */
void bg_json_num12(struct bg_buf *out, double v);

/* Appends an integer, without printf (hot loops). */
void bg_json_int(struct bg_buf *out, long long v);

/* Appends an integral value below 1e15 in full, without printf (-0 keeps its sign), anything
 * else as bg_json_num12: how a verdict spells its numbers. */
void bg_json_num12_int(struct bg_buf *out, double v);

/* Appends n bytes of s as they are (JSON punctuation and member names). The copy is inlined
 * when it fits: a verdict of 1 000 results is ~30 000 appends. */
static inline void bg_json_raw(struct bg_buf *out, const char *s, size_t n) {
  if (out->data && out->len + n < out->cap && (!out->max || out->len + n <= out->max)) {
    memcpy(out->data + out->len, s, n);
    out->len += n;
    out->data[out->len] = '\0';
  } else {
    bg_buf_append(out, s, n);
  }
}

/* bg_json_raw of a string literal. */
#define BG_JSON_LIT(out, lit) bg_json_raw((out), "" lit, sizeof(lit) - 1)

#endif
