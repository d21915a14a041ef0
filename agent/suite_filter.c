/* suite_filter.c: see suite_filter.h. */
#include "suite_filter.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

const char *bg_suite_filter_of(const struct bg_suite *s) {
  if (s->filter)
    return strcmp(s->filter, BG_SUITE_FILTER_NONE) ? s->filter : NULL;
  if (s->format && !strcmp(s->format, "gbench"))
    return "--benchmark_filter=" BG_SUITE_FILTER_REGEX;
  return NULL;
}

/* Appends name to b with every extended-regex metacharacter escaped. */
static void regex_literal(struct bg_buf *b, const char *name) {
  for (const char *p = name; *p; p++) {
    if (strchr("\\.[]{}()*+?^$|", *p))
      bg_buf_append(b, "\\", 1);
    bg_buf_append(b, p, 1);
  }
}

/* The selection as a regex: ^(a|b|...)$, each name also without a "<suite>/" prefix. */
static void selection_regex(struct bg_buf *b, const struct bg_suite *s, const char *const *names,
                            size_t n) {
  size_t plen = strlen(s->name);
  bg_buf_puts(b, "^(");
  for (size_t i = 0; i < n; i++) {
    if (i)
      bg_buf_puts(b, "|");
    regex_literal(b, names[i]);
    if (!strncmp(names[i], s->name, plen) && names[i][plen] == '/' && names[i][plen + 1]) {
      bg_buf_puts(b, "|");
      regex_literal(b, names[i] + plen + 1);
    }
  }
  bg_buf_puts(b, ")$");
}

/* Appends text to b as one /bin/sh word: in single quotes, each ' written as '\''. */
static void shell_quote(struct bg_buf *b, const char *text, size_t len) {
  bg_buf_puts(b, "'");
  for (size_t i = 0; i < len; i++) {
    if (text[i] == '\'')
      bg_buf_puts(b, "'\\''");
    else
      bg_buf_append(b, text + i, 1);
  }
  bg_buf_puts(b, "'");
}

char *bg_suite_filter_command(const struct bg_suite *s, const char *const *names, size_t n) {
  const char *filter = bg_suite_filter_of(s);
  const char *at = filter ? strstr(filter, BG_SUITE_FILTER_REGEX) : NULL;
  if (!at || !n)
    return NULL;
  /* Unbounded while built, the length checked once at the end. */
  struct bg_buf re, arg, cmd;
  bg_buf_init(&re, 0);
  bg_buf_init(&arg, 0);
  bg_buf_init(&cmd, 0);
  selection_regex(&re, s, names, n);
  /* The filter is one argument: its text around {regex} and the regex, quoted together. */
  bg_buf_append(&arg, filter, (size_t)(at - filter));
  bg_buf_append(&arg, re.data, re.len);
  bg_buf_puts(&arg, at + strlen(BG_SUITE_FILTER_REGEX));
  bg_buf_puts(&cmd, s->command);
  bg_buf_puts(&cmd, " ");
  shell_quote(&cmd, arg.data, arg.len);
  bg_buf_free(&re);
  bg_buf_free(&arg);
  if (cmd.len > BG_SUITE_FILTER_MAX_BYTES) {
    bg_buf_free(&cmd);
    return NULL;
  }
  return bg_buf_steal(&cmd);
}
