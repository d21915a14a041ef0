/* jsonpath.h: names the place in a JSON text where parsing stopped.
 *
 * cJSON reports only a byte offset for malformed JSON. A client that sent NaN or Infinity
 * as a sample deserves the same field-named error as any other bad value, so the server
 * re-reads the text up to that offset and names the member it was in ("results[3]
 * .samples[7]").
 */
#ifndef BG_JSONPATH_H
#define BG_JSONPATH_H

#include <stddef.h>

/* Writes into out (outlen bytes, always terminated) the path of the value at byte `offset` of
 * the JSON text of `len` bytes: object members as ".key" (no dot at the start), array
 * elements as "[i]". Writes "" at the top level. Keys are copied as written, without escape
 * processing, and a path too long for out is cut. */
void bg_jsonpath_at(const char *text, size_t len, size_t offset, char *out, size_t outlen);

#endif
