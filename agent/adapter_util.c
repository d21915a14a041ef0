/* adapter_util.c: helpers shared by the harness adapters (see adapter_util.h). */
#include "adapter_util.h"

#include "mem.h"
#include "valid.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t bg_adapter_line_of(const char *text, size_t at) {
  size_t line = 1;
  for (size_t i = 0; i < at && text[i]; i++)
    if (text[i] == '\n')
      line++;
  return line;
}

int bg_adapter_json(const char *text, size_t len, cJSON **out, struct bg_ferr *e) {
  const char *end = NULL;
  *out = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (*out)
    return BG_OK;
  size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
  /* cJSON stops before the blanks that precede the offending token; point at the token. */
  while (at < len && strchr(" \t\r\n", text[at]) && text[at])
    at++;
  size_t line = bg_adapter_line_of(text, at), col = 1;
  for (size_t i = at; i > 0 && text[i - 1] != '\n'; i--)
    col++;
  char f[32];
  snprintf(f, sizeof f, "line %zu", line);
  bg_ferr_set(e, f, len == 0 ? "empty input" : "malformed JSON at column %zu", col);
  return BG_EPARSE;
}

int bg_adapter_json_each(const char *text, size_t len, struct bg_run *run, const char *key,
                         const char *what, bg_adapter_entry_fn fn, struct bg_ferr *e) {
  cJSON *root = NULL;
  struct bg_adapter_index ix = {0};
  int rc = bg_adapter_json(text, len, &root, e);
  if (rc)
    return rc;
  const cJSON *list = key ? cJSON_GetObjectItemCaseSensitive(root, key) : root;
  const char *name = key ? key : "";
  if ((key && !cJSON_IsObject(root)) || !cJSON_IsArray(list)) {
    rc = bg_ferr_set(e, name, "required (an array of %s)", what);
    goto out;
  }
  if (cJSON_GetArraySize(list) < 1) {
    rc = bg_ferr_set(e, name, "no %s", what);
    goto out;
  }
  size_t i = 0;
  const cJSON *o;
  cJSON_ArrayForEach(o, list) {
    char where[48];
    snprintf(where, sizeof where, "%s[%zu]", name, i++);
    if ((rc = fn(run, &ix, o, where, e)))
      goto out;
  }
out:
  bg_adapter_index_free(&ix);
  cJSON_Delete(root);
  return rc;
}

int bg_adapter_time_scale(const char *unit, double *scale) {
  static const struct {
    const char *name;
    double scale;
  } units[] = {{"ns", 1.0}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  for (size_t i = 0; unit && i < sizeof units / sizeof *units; i++) {
    if (strcmp(unit, units[i].name) == 0) {
      *scale = units[i].scale;
      return 1;
    }
  }
  return 0;
}

int bg_adapter_slug(const char *name, char *out, size_t outlen) {
  size_t n = 0;
  int gap = 0;
  if (outlen == 0)
    return 0;
  for (const unsigned char *p = (const unsigned char *)name; *p && n < 64 && n + 1 < outlen; p++) {
    unsigned char c = *p;
    if (c >= 'A' && c <= 'Z')
      c = (unsigned char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (gap && n > 0 && n + 2 < outlen && n < 63)
        out[n++] = '_';
      gap = 0;
      out[n++] = (char)c;
    } else {
      gap = 1;
    }
  }
  out[n] = '\0';
  return n > 0;
}

int bg_adapter_starts_with(const char *text, size_t len, char c) {
  size_t i = 0;
  /* A UTF-8 byte order mark is allowed before the document. */
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
    i++;
  return i < len && text[i] == c;
}

int bg_adapter_has_key(const char *text, size_t len, const char *key, size_t limit) {
  size_t klen = strlen(key);
  if (limit && limit < len)
    len = limit;
  const char *p = text, *end = text + len;
  while (p + klen + 2 <= end) {
    const char *q = memchr(p, '"', (size_t)(end - p) - klen - 1);
    if (!q)
      return 0;
    p = q + 1;
    if (memcmp(p, key, klen) != 0 || p[klen] != '"')
      continue;
    const char *c = p + klen + 1;
    while (c < end && (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n'))
      c++;
    if (c < end && *c == ':')
      return 1;
  }
  return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  size_t len;
  unsigned long cp;
  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    len = 2, cp = s[0] & 0x1f;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    len = 3, cp = s[0] & 0x0f;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    len = 4, cp = s[0] & 0x07;
  else
    return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

void bg_adapter_warn(struct bg_run *run, const char *fmt, ...) {
  char buf[1001];
  if (run->nwarnings > BG_ADAPTER_MAX_WARNINGS)
    return;
  if (run->nwarnings == BG_ADAPTER_MAX_WARNINGS) {
    bg_run_add_warning(run, "more warnings were left out");
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  size_t n = strlen(buf);
  for (size_t i = 0; i < n;) {
    size_t l = utf8_len((const unsigned char *)buf + i, n - i);
    /* The run model's own rule decides per character (it also rejects C1 controls). */
    if (l == 0 || !bg_valid_text(buf + i, l, 0)) {
      buf[i++] = '?';
      continue;
    }
    i += l;
  }
  bg_run_add_warning(run, buf);
}

/* ---- the (benchmark, measure) index ---- */

static unsigned long long hash_pair(const char *benchmark, const char *measure) {
  unsigned long long h = 1469598103934665603ULL;
  for (const char *p = benchmark; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  h = (h ^ 0xff) * 1099511628211ULL;
  for (const char *p = measure; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return h;
}

void bg_adapter_index_free(struct bg_adapter_index *ix) {
  if (!ix)
    return;
  free(ix->slots);
  ix->slots = NULL;
  ix->cap = ix->used = 0;
}

/* Rebuilds the table at twice the size (or 64), re-indexing every result of the run, so the
 * index also covers results that were in the run before this adapter started. */
static void rehash(struct bg_adapter_index *ix, const struct bg_run *run) {
  size_t cap = ix->cap ? ix->cap * 2 : 64;
  while (cap < run->nresults * 2 + 2)
    cap *= 2;
  free(ix->slots);
  ix->slots = bg_xmalloc(cap * sizeof *ix->slots);
  ix->cap = cap;
  for (size_t i = 0; i < cap; i++)
    ix->slots[i] = (size_t)-1;
  for (size_t i = 0; i < run->nresults; i++) {
    const struct bg_result *r = &run->results[i];
    size_t s = (size_t)hash_pair(r->benchmark, r->measure) & (cap - 1);
    while (ix->slots[s] != (size_t)-1)
      s = (s + 1) & (cap - 1);
    ix->slots[s] = i;
  }
  ix->used = run->nresults;
}

struct bg_result *bg_adapter_result(struct bg_run *run, struct bg_adapter_index *ix,
                                    const char *benchmark, const char *measure, const char *unit,
                                    enum bg_direction direction, int *created) {
  if (ix->used != run->nresults || (run->nresults + 1) * 2 > ix->cap)
    rehash(ix, run);
  size_t s = (size_t)hash_pair(benchmark, measure) & (ix->cap - 1);
  for (; ix->slots[s] != (size_t)-1; s = (s + 1) & (ix->cap - 1)) {
    struct bg_result *r = &run->results[ix->slots[s]];
    if (strcmp(r->benchmark, benchmark) == 0 && strcmp(r->measure, measure) == 0) {
      if (created)
        *created = 0;
      return r;
    }
  }
  ix->slots[s] = run->nresults;
  ix->used = run->nresults + 1;
  if (created)
    *created = 1;
  return bg_run_add_result(run, benchmark, measure, unit, direction);
}

struct bg_result *bg_adapter_lookup(struct bg_run *run, struct bg_adapter_index *ix,
                                    const char *benchmark, const char *measure) {
  if (ix->used != run->nresults || (run->nresults + 1) * 2 > ix->cap)
    rehash(ix, run);
  size_t s = (size_t)hash_pair(benchmark, measure) & (ix->cap - 1);
  for (; ix->slots[s] != (size_t)-1; s = (s + 1) & (ix->cap - 1)) {
    struct bg_result *r = &run->results[ix->slots[s]];
    if (strcmp(r->benchmark, benchmark) == 0 && strcmp(r->measure, measure) == 0)
      return r;
  }
  return NULL;
}

/* ---- values ---- */

/* Writes "<where>.<key>" (or just key at the root) into f. */
static void join(char *f, size_t n, const char *where, const char *key) {
  if (where && *where)
    snprintf(f, n, "%s.%s", where, key);
  else
    snprintf(f, n, "%s", key);
}

int bg_adapter_check_value(double v, int allow_negative, const char *field, struct bg_ferr *e) {
  if (!isfinite(v))
    return bg_ferr_set(e, field, "not a finite number");
  if (v < 0 && !allow_negative)
    return bg_ferr_set(e, field, "negative value %g", v);
  if (fabs(v) > BG_ADAPTER_MAX_VALUE)
    return bg_ferr_set(e, field, "absurd value %g (more than %g)", v, BG_ADAPTER_MAX_VALUE);
  return BG_OK;
}

int bg_adapter_add_sample(struct bg_result *r, double v, int allow_negative, const char *field,
                          struct bg_ferr *e) {
  int rc = bg_adapter_check_value(v, allow_negative, field, e);
  if (rc)
    return rc;
  if (r->has_summary)
    return bg_ferr_set(e, field,
                       "'%.200s' (%s) has a summary already; samples and summaries "
                       "cannot mix",
                       r->benchmark, r->measure);
  if (r->nsamples >= BG_RUN_MAX_SAMPLES)
    return bg_ferr_set(e, field, "more than %d samples for '%.200s' (%s)", BG_RUN_MAX_SAMPLES,
                       r->benchmark, r->measure);
  bg_result_add_sample(r, v);
  return BG_OK;
}

int bg_adapter_number(const cJSON *obj, const char *key, const char *where, int required,
                      double *out, int *found, struct bg_ferr *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  char f[256];
  join(f, sizeof f, where, key);
  if (found)
    *found = 0;
  if (!v || cJSON_IsNull(v))
    return required ? bg_ferr_set(e, f, "required") : BG_OK;
  if (!cJSON_IsNumber(v))
    return bg_ferr_set(e, f, "must be a number");
  if (!isfinite(v->valuedouble))
    return bg_ferr_set(e, f, "not a finite number");
  *out = v->valuedouble;
  if (found)
    *found = 1;
  return BG_OK;
}

int bg_adapter_string(const cJSON *obj, const char *key, const char *where, int required,
                      const char **out, struct bg_ferr *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  char f[256];
  join(f, sizeof f, where, key);
  if (!v || cJSON_IsNull(v))
    return required ? bg_ferr_set(e, f, "required") : BG_OK;
  if (!cJSON_IsString(v))
    return bg_ferr_set(e, f, "must be a string");
  *out = v->valuestring;
  return BG_OK;
}
