/* suite_filter.h: running some of a harness suite's benchmarks alone, for confirmation runs.
 *
 * A confirmation re-runs only what its first run left in doubt (confirmation.h), usually one
 * or two benchmarks of a suite of dozens. Re-running the whole suite would cost a whole run
 * for each doubt; a harness that can select benchmarks by name costs only theirs. A suite
 * says how its harness selects with `filter` (docs/config.md): an argument appended to its
 * command, in which `{regex}` becomes an extended regular expression that matches exactly the
 * benchmarks asked for, `^(name|name)$` with the metacharacters of each name escaped, quoted
 * for /bin/sh. Google Benchmark suites (format gbench) have the filter
 * `--benchmark_filter={regex}` unless they say `filter: none`; other suites have none unless
 * they set one, and re-run whole.
 */
#ifndef BG_SUITE_FILTER_H
#define BG_SUITE_FILTER_H

#include "config.h"

#include <stddef.h>

#define BG_SUITE_FILTER_NONE "none"          /* `filter: none`: the suite re-runs whole */
#define BG_SUITE_FILTER_REGEX "{regex}"      /* what a filter must contain once */
#define BG_SUITE_FILTER_MAX_BYTES (64u << 10) /* longer selections re-run the whole suite */

/* The filter suite s uses: its own, else its format's default; NULL when it has none. */
const char *bg_suite_filter_of(const struct bg_suite *s);

/* The command that runs only the benchmarks names[0..n) of suite s (a name may carry the
 * "<suite>/" prefix of a renamed result, measure.h: both forms are selected): s->command, a
 * space and s's filter with {regex} replaced. NULL when s has no filter, n is 0 or the
 * command would exceed BG_SUITE_FILTER_MAX_BYTES: then the whole suite runs. Free with
 * free(). */
char *bg_suite_filter_command(const struct bg_suite *s, const char *const *names, size_t n);

#endif
