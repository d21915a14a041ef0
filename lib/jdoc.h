/* jdoc.h: a strict, bounded JSON reader that parses a document into one flat array of nodes.
 *
 * bg_run_from_json reads uploads of 10 000 and more numbers; a tree of one allocation per
 * value (cJSON) costs more than storing them. A struct bg_jdoc holds the whole document in
 * three arrays: nodes (one per value, in document order, each knowing where its subtree
 * ends), the decoded strings, and the numbers of arrays that hold only numbers ("packed"
 * arrays: a samples array is one node and a run of doubles). Numbers are read with Clinger's
 * fast path (exact when the decimal mantissa fits in 53 bits and |exponent| <= 22) and with
 * strtod otherwise, so every value is bit-for-bit what strtod returns.
 *
 * The grammar is RFC 8259 and nothing more: no trailing text, no raw control characters in
 * strings, no lone surrogates in \u escapes, nesting at most BG_JDOC_MAX_DEPTH. Raw bytes of
 * strings are not checked for UTF-8 here (the run model's validators do that, naming the
 * field). Numbers that overflow a double read as +-infinity (as strtod returns them), so the
 * caller can say which field is not finite. Duplicate member names are kept in the document;
 * bg_jdoc_member reports how many there are, and the caller decides.
 */
#ifndef BG_JDOC_H
#define BG_JDOC_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define BG_JDOC_MAX_DEPTH 1000      /* as cJSON's CJSON_NESTING_LIMIT */
#define BG_JDOC_MAX_TEXT (1u << 31) /* longest document in bytes */

enum bg_jtype { BG_JNULL, BG_JFALSE, BG_JTRUE, BG_JNUM, BG_JSTR, BG_JARR, BG_JOBJ };

/* One value. Container children follow their parent in the node array; `next` is the index
 * of the node after the subtree, so a container's children are walked with
 * i = index + 1, i = nodes[i].next. A packed array has no child nodes: its `count` numbers
 * are doc->nums[v.nums ...]. */
struct bg_jnode {
  unsigned char type;   /* enum bg_jtype */
  unsigned char packed; /* BG_JARR of numbers only, kept in doc->nums */
  uint32_t count;       /* elements of an array, members of an object */
  uint32_t next;        /* index of the first node after this value's subtree */
  uint32_t key;         /* member name (offset in doc->strs) when the parent is an object */
  uint32_t keylen;
  union {
    double num; /* BG_JNUM */
    struct {
      uint32_t off, len; /* BG_JSTR: decoded bytes in doc->strs, NUL-terminated */
    } str;
    uint32_t nums; /* packed BG_JARR: first number in doc->nums */
  } v;
};

struct bg_jdoc {
  struct bg_jnode *nodes; /* nodes[0] is the root */
  size_t nnodes, ncap;
  char *strs; /* decoded strings and member names, each NUL-terminated */
  size_t slen, scap;
  double *nums; /* numbers of packed arrays */
  size_t nnums, numcap;
};

/* Parses `len` bytes of `text` (need not be NUL-terminated) into `d`, which the caller
 * initialised with bg_jdoc_init (a document may be parsed into again; it is reset first).
 * Returns 0 on success. On malformed text returns -1, sets *err_at (may be NULL) to the byte
 * offset where reading stopped and writes a reason into err (may be NULL). Memory grows with
 * the text: at most about 11 bytes per byte of text for the nodes (an input of nested empty
 * arrays) or 4 for the numbers of packed arrays, plus one byte per byte of text for strings. */
int bg_jdoc_parse(struct bg_jdoc *d, const char *text, size_t len, size_t *err_at, char *err,
                  size_t errlen);

/* Prepares an empty document; frees what a document holds (it may be used again). */
void bg_jdoc_init(struct bg_jdoc *d);
void bg_jdoc_free(struct bg_jdoc *d);

/* The root value of a parsed document. */
const struct bg_jnode *bg_jdoc_root(const struct bg_jdoc *d);

/* Looks `key` up among the members of object `obj`. Returns how many members have that name
 * (0 when obj is not an object) and sets *out to the first of them (NULL when none). */
int bg_jdoc_member(const struct bg_jdoc *d, const struct bg_jnode *obj, const char *key,
                   const struct bg_jnode **out);

/* The first child of a container that is not packed (NULL when empty), and the node after
 * `n` among its parent's children (NULL after the last: pass the parent). */
const struct bg_jnode *bg_jdoc_first(const struct bg_jdoc *d, const struct bg_jnode *parent);
const struct bg_jnode *bg_jdoc_next(const struct bg_jdoc *d, const struct bg_jnode *parent,
                                    const struct bg_jnode *n);

/* A string node's decoded bytes (NUL-terminated; may hold a NUL of its own from \u0000, so
 * compare strlen with the length bg_jdoc_strlen returns), and its length. */
const char *bg_jdoc_str(const struct bg_jdoc *d, const struct bg_jnode *n);
size_t bg_jdoc_strlen(const struct bg_jnode *n);

/* A member's name (NUL-terminated) for a node whose parent is an object. */
const char *bg_jdoc_key(const struct bg_jdoc *d, const struct bg_jnode *n);

/* A deep copy of the value as a cJSON tree (the caller frees it with cJSON_Delete); NULL when
 * a string in it holds U+0000, which a cJSON string cannot carry. */
cJSON *bg_jdoc_to_cjson(const struct bg_jdoc *d, const struct bg_jnode *n);

/* Reads one JSON number (RFC 8259 grammar) at the start of s[0..len). Returns the number of
 * bytes it used and the value in *out (+-infinity on overflow, as strtod), or 0 when s does
 * not start with a valid JSON number or the number is followed by more digits, '.', 'e' or
 * 'E' that the grammar cannot take. */
size_t bg_jdoc_number(const char *s, size_t len, double *out);

#endif
