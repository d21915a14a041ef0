/* static_files.c: which file of --web a request names, and how it is labelled
 * (static_files.h). */
#include "static_files.h"

#include "buf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bg_static_content_type(const char *path) {
  static const struct {
    const char *ext, *type;
  } types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
      {".yaml", "application/yaml"},
  };
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (dot && (!slash || dot > slash))
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
      if (!strcmp(dot, types[i].ext))
        return types[i].type;
  return "application/octet-stream";
}

char *bg_static_path(const char *root, const char *url) {
  struct bg_buf p;
  char *real = NULL, *out = NULL;
  if (!root || !url || url[0] != '/')
    return NULL;
  /* Refuse backslashes and any segment starting with '.' (so "..", and dotfiles such as
   * .git or .env that a web directory may hold) outright, before touching the file system. */
  for (const char *s = url; *s; s++) {
    if (*s == '\\')
      return NULL;
    if (s[0] == '.' && (s == url || s[-1] == '/'))
      return NULL;
  }
  bg_buf_init(&p, PATH_MAX);
  if (bg_buf_puts(&p, root) || bg_buf_puts(&p, url) ||
      (url[strlen(url) - 1] == '/' && bg_buf_puts(&p, "index.html")))
    goto out;
  real = realpath(p.data, NULL);
  if (!real)
    goto out;
  size_t n = strlen(root);
  if (strncmp(real, root, n) != 0 || (real[n] != '/' && real[n] != '\0'))
    goto out; /* a symlink pointing out of the web directory */
  if (strstr(real + n, "/."))
    goto out; /* a symlink to a dotfile inside it */
  struct stat st;
  if (stat(real, &st) != 0)
    goto out;
  if (S_ISDIR(st.st_mode)) {
    /* A directory without the trailing slash: serve its index.html. */
    bg_buf_reset(&p);
    if (bg_buf_puts(&p, real) || bg_buf_puts(&p, "/index.html"))
      goto out;
    free(real);
    real = realpath(p.data, NULL);
    if (!real || strncmp(real, root, n) != 0 || real[n] != '/')
      goto out;
  }
  out = real;
  real = NULL;
out:
  free(real);
  bg_buf_free(&p);
  return out;
}

/* A static file's ETag: its size and modification time (to the nanosecond), which change
 * whenever the file does, without reading it. */
void bg_static_etag(const struct stat *st, char *etag, size_t n) {
  snprintf(etag, n, "\"%llx-%llx.%lx\"", (unsigned long long)st->st_size,
           (unsigned long long)st->st_mtim.tv_sec, (unsigned long)st->st_mtim.tv_nsec);
}
