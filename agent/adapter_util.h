/* adapter_util.h: helpers shared by the harness adapters (private to agent/adapter_*.c).
 *
 * Every adapter turns numbers in some unit into results of a run; these helpers do the common
 * parts once: JSON parsing with line numbers in errors, unit scales, measure slugs, cheap
 * content probes for detection, and a (benchmark, measure) index so that appending a sample
 * to an existing result stays O(1) for files with many benchmarks.
 */
#ifndef BG_ADAPTER_UTIL_H
#define BG_ADAPTER_UTIL_H

#include "error.h"
#include "run.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* Most values any adapter accepts in one number (times in ns, counters): beyond this a value
 * is absurd rather than measured (about 31 years in ns). */
#define BG_ADAPTER_MAX_VALUE 1e18

/* Parses `len` bytes of JSON. On success returns BG_OK and *out (free with cJSON_Delete). On
 * failure returns BG_EPARSE with `e` naming the line and column ("line 3"). Nesting deeper
 * than cJSON's limit is also a parse error. */
int bg_adapter_json(const char *text, size_t len, cJSON **out, struct bg_ferr *e);

struct bg_adapter_index;

/* Reads one entry of a harness's list: `item` is the entry, `where` its field name
 * ("results[3]"). Returns BG_OK or an error naming the field in `e`. */
typedef int (*bg_adapter_entry_fn)(struct bg_run *run, struct bg_adapter_index *ix,
                                   const cJSON *item, const char *where, struct bg_ferr *e);

/* The shape most JSON harnesses share: parses `text`, finds the list of entries (the member
 * `key` of the root object, or the root array itself when `key` is NULL), requires it to be a
 * non-empty array (`what` names its entries in errors: "commands"), and calls `fn` on each
 * entry with a result index shared across entries. Returns BG_OK, BG_EPARSE (malformed JSON,
 * line named) or the first error of `fn`. */
int bg_adapter_json_each(const char *text, size_t len, struct bg_run *run, const char *key,
                         const char *what, bg_adapter_entry_fn fn, struct bg_ferr *e);

/* Returns the 1-based line of byte offset `at` in text. */
size_t bg_adapter_line_of(const char *text, size_t at);

/* Scale of a time unit to nanoseconds ("ns" 1, "us"/"µs" 1e3, "ms" 1e6, "s" 1e9). Returns 1
 * and sets *scale when known, 0 otherwise. */
int bg_adapter_time_scale(const char *unit, double *scale);

/* Writes a measure slug ([a-z0-9_]{1,64}) made from `name` into out (at least 65 bytes):
 * lowercase letters and digits kept, every other run of bytes becomes one '_', ends trimmed.
 * Returns 1, or 0 when nothing usable is left. */
int bg_adapter_slug(const char *name, char *out, size_t outlen);

/* Returns 1 when the first non-blank byte of text is `c`. */
int bg_adapter_starts_with(const char *text, size_t len, char c);

/* Returns 1 when text contains the JSON key `"key"` followed by optional blanks and ':'. The
 * search covers at most the first `limit` bytes (0: all). Cheap enough for detection. */
int bg_adapter_has_key(const char *text, size_t len, const char *key, size_t limit);

/* Most warnings one parse adds to a run; later ones are dropped after a note saying so. */
#define BG_ADAPTER_MAX_WARNINGS 100

/* Adds a printf-style warning to the run, made safe for the run model: at most 1000 bytes,
 * control characters (C0, DEL, C1) and invalid UTF-8 (harness output is untrusted) replaced
 * by '?'. */
void bg_adapter_warn(struct bg_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Index of a run's results by (benchmark, measure). Owned by the adapter during a parse. */
struct bg_adapter_index {
  size_t *slots; /* result indices, (size_t)-1 when empty */
  size_t cap;
  size_t used;
};

/* Frees the index's memory (not the run). Accepts NULL. */
void bg_adapter_index_free(struct bg_adapter_index *ix);

/* Returns the result (benchmark, measure) of `run`, appending it with unit and direction when
 * absent; *created (may be NULL) says which. The pointer is valid until the next append. */
struct bg_result *bg_adapter_result(struct bg_run *run, struct bg_adapter_index *ix,
                                    const char *benchmark, const char *measure, const char *unit,
                                    enum bg_direction direction, int *created);

/* Returns the result (benchmark, measure) of `run` or NULL, without appending. */
struct bg_result *bg_adapter_lookup(struct bg_run *run, struct bg_adapter_index *ix,
                                    const char *benchmark, const char *measure);

/* Checks one value before it becomes a sample: finite, >= 0 unless `allow_negative`, and at
 * most BG_ADAPTER_MAX_VALUE in magnitude. Returns BG_OK or BG_EINVAL naming `field`. */
int bg_adapter_check_value(double v, int allow_negative, const char *field, struct bg_ferr *e);

/* Appends a checked sample to r (see bg_adapter_check_value); BG_EINVAL when r already holds
 * BG_RUN_MAX_SAMPLES samples or is a summary. */
int bg_adapter_add_sample(struct bg_result *r, double v, int allow_negative, const char *field,
                          struct bg_ferr *e);

/* Reads the member `key` of obj as a finite number into *out. Returns BG_OK, or BG_EINVAL
 * naming "<where>.<key>": required when `required` is 1, "must be a number" on a wrong type.
 * An absent optional member leaves *out untouched and returns BG_OK with *found 0. */
int bg_adapter_number(const cJSON *obj, const char *key, const char *where, int required,
                      double *out, int *found, struct bg_ferr *e);

/* Reads the member `key` of obj as a string into *out (borrowed from obj). Rules as
 * bg_adapter_number. */
int bg_adapter_string(const cJSON *obj, const char *key, const char *where, int required,
                      const char **out, struct bg_ferr *e);

#endif
