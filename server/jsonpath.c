/* jsonpath.c: names the place in a JSON text where parsing stopped.
 *
 * A small scanner follows brackets, strings, colons and commas up to the offset, keeping a
 * stack of open objects (with their current key) and arrays (with their current index).
 */
#include "jsonpath.h"

#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_KEY 64

struct frame {
  int array;         /* 1: array, 0: object */
  size_t index;      /* current element of an array */
  char key[MAX_KEY]; /* current member of an object */
  int has_key;       /* the object's current key has been read (its ':' seen or pending) */
  int in_value;      /* the object's ':' was seen */
};

void bg_jsonpath_at(const char *text, size_t len, size_t offset, char *out, size_t outlen) {
  struct frame st[MAX_DEPTH];
  int depth = 0;
  if (outlen)
    out[0] = '\0';
  if (offset > len)
    offset = len;
  for (size_t i = 0; i < offset; i++) {
    char c = text[i];
    struct frame *top = depth ? &st[depth - 1] : NULL;
    if (c == '"') {
      size_t start = ++i;
      while (i < offset && text[i] != '"')
        i += text[i] == '\\' ? 2 : 1;
      if (top && !top->array && !top->in_value) {
        size_t n = (i < offset ? i : offset) - start;
        if (n >= MAX_KEY)
          n = MAX_KEY - 1;
        memcpy(top->key, text + start, n);
        top->key[n] = '\0';
        top->has_key = 1;
      }
      continue;
    }
    if (c == '{' || c == '[') {
      if (depth == MAX_DEPTH)
        break;
      struct frame *f = &st[depth++];
      memset(f, 0, sizeof *f);
      f->array = c == '[';
    } else if ((c == '}' || c == ']') && depth) {
      depth--;
    } else if (c == ':' && top && !top->array) {
      top->in_value = 1;
    } else if (c == ',' && top) {
      if (top->array) {
        top->index++;
      } else {
        top->has_key = 0;
        top->in_value = 0;
      }
    }
  }
  size_t n = 0;
  for (int d = 0; d < depth && n + 1 < outlen; d++) {
    const struct frame *f = &st[d];
    int w;
    if (f->array)
      w = snprintf(out + n, outlen - n, "[%zu]", f->index);
    else if (f->has_key)
      w = snprintf(out + n, outlen - n, "%s%s", n ? "." : "", f->key);
    else
      break; /* inside an object before its next key: the object itself is the place */
    if (w < 0)
      break;
    n += (size_t)w < outlen - n ? (size_t)w : outlen - n - 1;
  }
}
