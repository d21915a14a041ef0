/* json.h: the server's JSON writer for answers written by hand into a struct bg_buf.
 *
 * The API's answers are written straight into the response buffer, member by member, rather
 * than built as cJSON trees and printed: a trend of 10 000 points or a verdict of 1 000
 * results is written in a fraction of the time and memory. These functions are the one place
 * that knows how a string is escaped and how a number is spelled.
 */
#ifndef BG_JSON_H
#define BG_JSON_H

#include "buf.h"

/* Appends s as a JSON string literal (quoted and escaped), or null when s is NULL. */
void bg_json_str(struct bg_buf *out, const char *s);

/* Appends a finite double in the shortest form that reads back exactly; null otherwise. */
void bg_json_num(struct bg_buf *out, double v);

/* Appends a double with 12 significant digits, fast (no printf in the common range); null
 * when not finite. */
void bg_json_num12(struct bg_buf *out, double v);

/* Appends an integer, without printf (hot loops). */
void bg_json_int(struct bg_buf *out, long long v);

#endif
