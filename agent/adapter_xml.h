/* adapter_xml.h: a small, bounded XML pull reader for harness reports (Catch2's reporter).
 *
 * It reads elements and attributes, decodes the five predefined entities and character
 * references, skips comments, processing instructions, CDATA, text and a DOCTYPE without an
 * internal subset (so no entity expansion attacks), checks that tags nest, and bounds depth,
 * name length and attribute count. It is not a validating or namespace-aware parser. Errors
 * name the line ("line 12").
 */
#ifndef BG_ADAPTER_XML_H
#define BG_ADAPTER_XML_H

#include "error.h"

#include <stddef.h>

#define BG_XML_MAX_DEPTH 256
#define BG_XML_MAX_ATTRS 64

enum bg_xml_kind { BG_XML_START, BG_XML_END, BG_XML_EOF };

struct bg_xml_attr {
  char *name;  /* owned by the reader */
  char *value; /* decoded; owned by the reader */
};

/* One event. Strings stay valid until the next bg_xml_next or bg_xml_free. A self-closing
 * element gives a START and then an END. */
struct bg_xml_token {
  enum bg_xml_kind kind;
  const char *name; /* element name (START and END) */
  struct bg_xml_attr attrs[BG_XML_MAX_ATTRS];
  size_t nattrs;
  size_t line; /* line of the tag's '<' */
  int depth;   /* 1 for the root element */
};

struct bg_xml {
  const char *text, *p, *end;
  size_t line;
  char *stack[BG_XML_MAX_DEPTH]; /* owned names of the open elements */
  int depth;
  int pending_end; /* a self-closing element still owes its END */
  int seen_root;
  struct bg_xml_token tok;
};

/* Starts reading `len` bytes of text (borrowed for the reader's life). */
void bg_xml_init(struct bg_xml *x, const char *text, size_t len);

/* Reads the next event into *t (pointing into the reader). Returns BG_OK, or BG_EPARSE with
 * `e` naming the line. At the end of a well-formed document t->kind is BG_XML_EOF. */
int bg_xml_next(struct bg_xml *x, const struct bg_xml_token **t, struct bg_ferr *e);

/* Returns the decoded value of attribute `name` of t, or NULL. */
const char *bg_xml_attr(const struct bg_xml_token *t, const char *name);

/* Frees what the reader owns. Accepts NULL. */
void bg_xml_free(struct bg_xml *x);

#endif
