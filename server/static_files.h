/* static_files.h: the dashboard's files as benchgated serves them from --web: resolving a
 * request path under the web directory without letting it escape, content types, ETags.
 * http.c sends the file; this module decides which file, if any, and how it is labelled.
 */
#ifndef BG_STATIC_FILES_H
#define BG_STATIC_FILES_H

#include <stddef.h>
#include <sys/stat.h>

/* Returns the Content-Type for a file name by its extension
 * ("application/octet-stream" when unknown). */
const char *bg_static_content_type(const char *path);

/* Resolves a request path under the real path `root`: rejects ".." segments, NUL-free
 * paths only, maps a trailing "/" to index.html, and refuses anything whose real path
 * (after symlinks) leaves root. Returns a new path (caller frees) or NULL. */
char *bg_static_path(const char *root, const char *url);

/* A file's ETag from its size and modification time (to the nanosecond), which change
 * whenever the file does, without reading it: `etag` gets a quoted string. */
void bg_static_etag(const struct stat *st, char *etag, size_t n);

#endif
