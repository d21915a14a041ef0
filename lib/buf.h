/* buf.h: a growable byte buffer with a hard maximum size.
 *
 * Everything whose size a client controls (request bodies, harness files, command output)
 * is collected in a struct bg_buf so that the cap is checked in one place. The data is
 * always NUL-terminated (the terminator is not counted in len).
 */
#ifndef BG_BUF_H
#define BG_BUF_H

#include <stddef.h>

struct bg_buf {
  char *data; /* NULL until the first append; NUL-terminated afterwards */
  size_t len; /* bytes used, without the terminator */
  size_t cap; /* bytes allocated */
  size_t max; /* most bytes len may reach; 0 means no limit */
};

/* Initialises an empty buffer that may hold at most `max` bytes (0: unlimited). */
void bg_buf_init(struct bg_buf *b, size_t max);

/* Appends n bytes. Returns BG_OK, or BG_ETOOBIG (buffer unchanged) past the maximum. */
int bg_buf_append(struct bg_buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string; as bg_buf_append. */
int bg_buf_puts(struct bg_buf *b, const char *s);

/* Appends printf-style text; as bg_buf_append. */
int bg_buf_printf(struct bg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Makes the buffer empty, keeping its memory and maximum. */
void bg_buf_reset(struct bg_buf *b);

/* Hands the data to the caller (who frees it with free()) and empties the buffer. Returns
 * an empty allocated string when nothing was appended. */
char *bg_buf_steal(struct bg_buf *b);

/* Frees the data; the buffer may be used again after bg_buf_init. Accepts NULL. */
void bg_buf_free(struct bg_buf *b);

/* Reads a whole file into `b`, honouring its maximum. Returns BG_OK, BG_EIO (errno set) or
 * BG_ETOOBIG. */
int bg_buf_read_file(struct bg_buf *b, const char *path);

#endif
