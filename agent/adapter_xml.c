/* adapter_xml.c: a small, bounded XML pull reader (see adapter_xml.h). */
#include "adapter_xml.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 256
#define MAX_VALUE (1u << 20)

void bg_xml_init(struct bg_xml *x, const char *text, size_t len) {
  memset(x, 0, sizeof *x);
  x->text = x->p = text;
  x->end = text + len;
  x->line = 1;
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
    x->p += 3;
}

static void clear_token(struct bg_xml *x) {
  for (size_t i = 0; i < x->tok.nattrs; i++) {
    free(x->tok.attrs[i].name);
    free(x->tok.attrs[i].value);
  }
  x->tok.nattrs = 0;
}

void bg_xml_free(struct bg_xml *x) {
  if (!x)
    return;
  clear_token(x);
  for (int i = 0; i < x->depth; i++)
    free(x->stack[i]);
  x->depth = 0;
}

static int fail(struct bg_xml *x, size_t line, struct bg_ferr *e, const char *msg) {
  char f[32];
  (void)x;
  snprintf(f, sizeof f, "line %zu", line);
  bg_ferr_set(e, f, "%s", msg);
  return BG_EPARSE;
}

/* Advances over n bytes, counting newlines. */
static void skip(struct bg_xml *x, size_t n) {
  for (size_t i = 0; i < n && x->p < x->end; i++, x->p++)
    if (*x->p == '\n')
      x->line++;
}

static void skip_blanks(struct bg_xml *x) {
  while (x->p < x->end && *x->p && strchr(" \t\r\n", *x->p))
    skip(x, 1);
}

/* Skips to just past `term`; returns 0 when it never comes. */
static int skip_past(struct bg_xml *x, const char *term) {
  size_t tl = strlen(term);
  while (x->p + tl <= x->end) {
    if (memcmp(x->p, term, tl) == 0) {
      skip(x, tl);
      return 1;
    }
    skip(x, 1);
  }
  return 0;
}

static int name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
         (unsigned char)c >= 0x80;
}

static int name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Reads a name into a new string, or returns NULL. */
static char *read_name(struct bg_xml *x) {
  const char *s = x->p;
  if (s >= x->end || !name_start(*s))
    return NULL;
  while (x->p < x->end && name_char(*x->p) && x->p - s < MAX_NAME)
    x->p++;
  if (x->p - s >= MAX_NAME)
    return NULL;
  return bg_xstrndup(s, (size_t)(x->p - s));
}

/* Appends the UTF-8 encoding of code point cp to out at *n. Returns 0 for an invalid one. */
static int put_utf8(char *out, size_t *n, unsigned long cp) {
  if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  if (cp < 0x80) {
    out[(*n)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*n)++] = (char)(0xc0 | (cp >> 6));
    out[(*n)++] = (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out[(*n)++] = (char)(0xe0 | (cp >> 12));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[(*n)++] = (char)(0x80 | (cp & 0x3f));
  } else {
    out[(*n)++] = (char)(0xf0 | (cp >> 18));
    out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[(*n)++] = (char)(0x80 | (cp & 0x3f));
  }
  return 1;
}

/* Reads a quoted attribute value, decoding references. Returns NULL with *why set. */
static char *read_value(struct bg_xml *x, const char **why) {
  char q = *x->p;
  if (q != '"' && q != '\'') {
    *why = "attribute value must be quoted";
    return NULL;
  }
  skip(x, 1);
  const char *s = x->p;
  while (x->p < x->end && *x->p != q)
    skip(x, 1);
  if (x->p >= x->end) {
    *why = "unterminated attribute value";
    return NULL;
  }
  size_t raw = (size_t)(x->p - s);
  skip(x, 1);
  if (raw > MAX_VALUE) {
    *why = "attribute value too long";
    return NULL;
  }
  /* Decoded text is never longer than the raw text (a reference of k bytes yields at most 4
   * bytes and is at least 4 bytes long). */
  char *out = bg_xmalloc(raw + 1);
  size_t n = 0;
  for (size_t i = 0; i < raw;) {
    char c = s[i];
    if (c == '<') {
      free(out);
      *why = "'<' in attribute value";
      return NULL;
    }
    if (c != '&') {
      out[n++] = c;
      i++;
      continue;
    }
    const char *semi = memchr(s + i, ';', raw - i < 16 ? raw - i : 16);
    if (!semi) {
      free(out);
      *why = "unterminated entity reference";
      return NULL;
    }
    size_t rl = (size_t)(semi - (s + i)) + 1;
    const char *r = s + i;
    static const struct {
      const char *ref;
      char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    int ok = 0;
    for (size_t k = 0; k < sizeof ents / sizeof *ents; k++) {
      if (rl == strlen(ents[k].ref) && memcmp(r, ents[k].ref, rl) == 0) {
        out[n++] = ents[k].c;
        ok = 1;
      }
    }
    if (!ok && rl > 3 && r[1] == '#') {
      unsigned long cp = 0;
      int hex = r[2] == 'x';
      size_t j = hex ? 3 : 2;
      ok = j < rl - 1;
      for (; ok && j < rl - 1; j++) {
        char d = r[j];
        int v = d >= '0' && d <= '9'          ? d - '0'
                : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10
                                              : -1;
        if (v < 0 || cp > 0x10ffff)
          ok = 0;
        else
          cp = cp * (hex ? 16 : 10) + (unsigned long)v;
      }
      ok = ok && put_utf8(out, &n, cp);
    }
    if (!ok) {
      free(out);
      *why = "unknown entity or bad character reference";
      return NULL;
    }
    i += rl;
  }
  out[n] = '\0';
  return out;
}

/* Skips markup that is not an element: comment, PI, CDATA, DOCTYPE. Returns 1 when it
 * skipped something, 0 when x->p is at an element tag, -1 on error. */
static int skip_other(struct bg_xml *x, const char **why) {
  size_t left = (size_t)(x->end - x->p);
  if (left >= 4 && memcmp(x->p, "<!--", 4) == 0) {
    *why = "unterminated comment";
    return skip_past(x, "-->") ? 1 : -1;
  }
  if (left >= 2 && memcmp(x->p, "<?", 2) == 0) {
    *why = "unterminated processing instruction";
    return skip_past(x, "?>") ? 1 : -1;
  }
  if (left >= 9 && memcmp(x->p, "<![CDATA[", 9) == 0) {
    *why = "unterminated CDATA section";
    if (x->depth == 0)
      return -1;
    return skip_past(x, "]]>") ? 1 : -1;
  }
  if (left >= 9 && memcmp(x->p, "<!DOCTYPE", 9) == 0) {
    /* No internal subset: that is where entity definitions would live. */
    const char *gt = memchr(x->p, '>', left);
    const char *br = memchr(x->p, '[', left);
    *why = "DOCTYPE with an internal subset is not supported";
    if (!gt || (br && br < gt) || x->seen_root)
      return -1;
    skip(x, (size_t)(gt - x->p) + 1);
    return 1;
  }
  if (left >= 2 && x->p[1] == '!') {
    *why = "unsupported markup declaration";
    return -1;
  }
  return 0;
}

int bg_xml_next(struct bg_xml *x, const struct bg_xml_token **t, struct bg_ferr *e) {
  const char *why = NULL;
  clear_token(x);
  *t = &x->tok;
  if (x->pending_end) {
    x->pending_end = 0;
    x->tok.kind = BG_XML_END;
    x->tok.name = x->stack[x->depth - 1];
    x->tok.depth = x->depth;
    /* The name stays valid: it is freed on the next call, via the stack pop below. */
    return BG_OK;
  }
  /* Pop an element closed by the previous END. */
  if (x->tok.kind == BG_XML_END && x->tok.name && x->depth > 0 &&
      x->tok.name == x->stack[x->depth - 1]) {
    free(x->stack[--x->depth]);
    x->tok.name = NULL;
  }
  for (;;) {
    /* Text between tags: only whitespace is allowed outside the root. */
    while (x->p < x->end && *x->p != '<') {
      if (x->depth == 0 && !strchr(" \t\r\n", *x->p))
        return fail(x, x->line, e, "text outside the root element");
      if (*x->p == '\0')
        return fail(x, x->line, e, "NUL byte in the document");
      skip(x, 1);
    }
    if (x->p >= x->end) {
      if (x->depth > 0) {
        char msg[320];
        snprintf(msg, sizeof msg, "unexpected end of document inside <%.256s>",
                 x->stack[x->depth - 1]);
        return fail(x, x->line, e, msg);
      }
      if (!x->seen_root)
        return fail(x, x->line, e, "no root element");
      x->tok.kind = BG_XML_EOF;
      x->tok.name = NULL;
      x->tok.line = x->line;
      return BG_OK;
    }
    size_t line = x->line;
    int r = skip_other(x, &why);
    if (r < 0)
      return fail(x, line, e, why);
    if (r > 0)
      continue;
    x->tok.line = line;
    if (x->p + 1 < x->end && x->p[1] == '/') {
      skip(x, 2);
      char *name = read_name(x);
      skip_blanks(x);
      if (!name || x->p >= x->end || *x->p != '>') {
        free(name);
        return fail(x, line, e, "malformed end tag");
      }
      skip(x, 1);
      if (x->depth == 0 || strcmp(name, x->stack[x->depth - 1]) != 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "</%.256s> does not close <%.256s>", name,
                 x->depth ? x->stack[x->depth - 1] : "(nothing)");
        free(name);
        return fail(x, line, e, msg);
      }
      free(name);
      x->tok.kind = BG_XML_END;
      x->tok.name = x->stack[x->depth - 1];
      x->tok.depth = x->depth;
      return BG_OK;
    }
    skip(x, 1);
    if (x->seen_root && x->depth == 0)
      return fail(x, line, e, "more than one root element");
    char *name = read_name(x);
    if (!name)
      return fail(x, line, e, "malformed start tag");
    if (x->depth >= BG_XML_MAX_DEPTH) {
      free(name);
      return fail(x, line, e, "elements nested too deeply");
    }
    x->stack[x->depth++] = name;
    x->seen_root = 1;
    x->tok.kind = BG_XML_START;
    x->tok.name = name;
    x->tok.depth = x->depth;
    for (;;) {
      const char *before = x->p;
      skip_blanks(x);
      if (x->p >= x->end)
        return fail(x, line, e, "unterminated start tag");
      if (*x->p == '>') {
        skip(x, 1);
        return BG_OK;
      }
      if (*x->p == '/') {
        if (x->p + 1 >= x->end || x->p[1] != '>')
          return fail(x, line, e, "malformed start tag");
        skip(x, 2);
        x->pending_end = 1;
        return BG_OK;
      }
      if (before == x->p)
        return fail(x, x->line, e, "attributes must be separated by blanks");
      if (x->tok.nattrs >= BG_XML_MAX_ATTRS)
        return fail(x, x->line, e, "too many attributes");
      char *an = read_name(x);
      if (!an)
        return fail(x, x->line, e, "malformed attribute name");
      skip_blanks(x);
      if (x->p >= x->end || *x->p != '=') {
        free(an);
        return fail(x, x->line, e, "attribute without '='");
      }
      skip(x, 1);
      skip_blanks(x);
      char *av = x->p < x->end ? read_value(x, &why) : (why = "missing attribute value", NULL);
      if (!av) {
        free(an);
        return fail(x, x->line, e, why);
      }
      for (size_t i = 0; i < x->tok.nattrs; i++) {
        if (strcmp(x->tok.attrs[i].name, an) == 0) {
          free(an);
          free(av);
          return fail(x, x->line, e, "duplicate attribute");
        }
      }
      x->tok.attrs[x->tok.nattrs].name = an;
      x->tok.attrs[x->tok.nattrs].value = av;
      x->tok.nattrs++;
    }
  }
}

const char *bg_xml_attr(const struct bg_xml_token *t, const char *name) {
  for (size_t i = 0; i < t->nattrs; i++)
    if (strcmp(t->attrs[i].name, name) == 0)
      return t->attrs[i].value;
  return NULL;
}
