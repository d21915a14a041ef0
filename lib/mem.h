/* mem.h: allocation wrappers that abort on out-of-memory.
 *
 * Out-of-memory is not recoverable in any useful way for benchgate's programs, so the wrappers
 * print a message and abort instead of making every caller handle NULL. Sizes that come from
 * a client never reach these directly: they go through a capped struct bg_buf first.
 */
#ifndef BG_MEM_H
#define BG_MEM_H

#include <stddef.h>

/* malloc/calloc/realloc/strdup/strndup that never return NULL (they abort instead).
 * bg_xstrdup(NULL) returns NULL. The caller frees the result with free(). */
void *bg_xmalloc(size_t n);
void *bg_xcalloc(size_t count, size_t size);
void *bg_xrealloc(void *p, size_t n);
char *bg_xstrdup(const char *s);
char *bg_xstrndup(const char *s, size_t n);

/* Grows *p (an array of *cap elements of `size` bytes) so that it holds at least `need`
 * elements, doubling the capacity. Aborts on overflow or out-of-memory. */
void bg_xgrow(void **p, size_t *cap, size_t need, size_t size);

#endif
