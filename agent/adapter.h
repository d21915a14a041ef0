/* adapter.h: harness adapters, which turn a benchmark harness's output into run results.
 *
 * Each format is one adapter_<name>.c with a struct bg_adapter; adapter.c keeps
 * the table, detects formats from content and dispatches. Adapters append results to a run
 * the caller owns; on error they name the line or field in a struct bg_ferr, and the caller
 * adds the file name.
 */
#ifndef BG_ADAPTER_H
#define BG_ADAPTER_H

#include "buf.h"
#include "error.h"
#include "run.h"

#include <stddef.h>

struct bg_adapter {
  const char *name; /* the --format name, e.g. "gbench" */
  /* Returns how sure the adapter is (0: not this format, 100: certain) that `text` is its
   * format. Must be cheap and must not fail. */
  int (*detect)(const char *text, size_t len);
  /* Appends the results of `text` (len bytes, NUL-terminated at len) to `run`. Returns BG_OK,
   * or BG_EPARSE/BG_EINVAL with `e` naming the line ("line 12") or field. */
  int (*parse)(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e);
};

/* Returns the adapter called `name`, or NULL. */
const struct bg_adapter *bg_adapter_find(const char *name);

/* Returns the adapter most sure of `text`, or NULL when none recognises it. */
const struct bg_adapter *bg_adapter_detect(const char *text, size_t len);

/* Writes the comma-separated names of all formats into buf (for usage and error messages). */
void bg_adapter_names(char *buf, size_t len);

/* Parses `text` with the adapter named `format`, or the detected one when `format` is NULL,
 * appending to `run`; then checks the results (bg_run_validate's result rules, duplicates
 * included). Returns BG_OK; BG_EINVAL for text that is empty or only white space (message
 * says so); BG_EUNSUPP for an unknown or undetectable format (message says which formats
 * exist); or the adapter's error. `e` (may be NULL) gets the detail. */
int bg_adapter_parse(const char *format, const char *text, size_t len, struct bg_run *run,
                     struct bg_ferr *e);

/* Collects a Criterion.rs results directory (e.g. target/criterion) into the stream the
 * "criterion" format reads: for every <id>/new/ directory holding benchmark.json and
 * sample.json, in sorted path order, both files one after the other. Appends to `out`, whose
 * maximum bounds the total. Returns BG_OK; BG_ENOENT when the tree has no such directory;
 * BG_EIO (an unreadable directory or file, named in `e`); BG_ETOOBIG past out's maximum. The
 * CLI calls this when `benchgate parse --format criterion` is given a directory. */
int bg_adapter_criterion_collect(const char *dir, struct bg_buf *out, struct bg_ferr *e);

/* The most bytes a harness file may have (bigger files are refused, not truncated). */
#define BG_ADAPTER_MAX_FILE (256u << 20)

/* Reads `path` ("-" for standard input; a directory is read as a Criterion target/criterion
 * tree) and parses it as bg_adapter_parse does, appending to `run`. Errors name the file in
 * `e->field` ("bench.json: results[3].samples[7]" style: field is "<path>" or
 * "<path>: <field>"). Returns BG_OK, BG_EIO, BG_ETOOBIG, BG_ENOENT (a directory that holds no
 * Criterion results: "a directory, not a benchmark output file"), BG_EINVAL (a directory
 * with a --format other than criterion) or the adapter's error. */
int bg_adapter_parse_file(const char *format, const char *path, struct bg_run *run,
                          struct bg_ferr *e);

#endif
