/* fingerprint.h: what the benchmark machine looks like, for testbed.fingerprint.
 *
 * The server compares fingerprints of one testbed over time and warns when they change, so
 * the fields are the ones that move benchmark numbers: CPU model and count, SMT, pinned and
 * isolated CPUs, kernel, frequency governor and boost, ASLR, load, memory. Values the machine
 * does not show (no cpufreq in a VM) are JSON null, never guessed.
 */
#ifndef BG_FINGERPRINT_H
#define BG_FINGERPRINT_H

#include "run.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* Load average (1 minute) per online CPU above which a warning is added. */
#define BG_FINGERPRINT_LOAD_WARN 0.25

/* Builds the fingerprint object: cpu_model, cpus, smt, pinned_cpus, isolated_cpus, kernel,
 * governor, boost, aslr (1 only when benchmark processes run with ASLR: system setting on and
 * `aslr_disabled` 0), load_avg_1m, memory_bytes. `root` is the file-system root to read
 * /proc and /sys from ("" or NULL for the real one; tests pass a fake tree). Returns a new
 * object the caller frees with cJSON_Delete; never NULL. */
cJSON *bg_fingerprint_collect(const char *root, const int *cpus, size_t ncpus, int aslr_disabled);

/* Adds the warnings a fingerprint calls for to `run`: load average high for the machine,
 * benchmarks not pinned, governor other than "performance", boost on. */
void bg_fingerprint_warn(const cJSON *fingerprint, struct bg_run *run);

/* Adds to run's fingerprint what a harness adapter put in the fingerprint of `part` (the
 * run one suite's output was parsed into), e.g. Go's "gomaxprocs"; creates run's fingerprint
 * when it has none. A member run already has with another value is kept, and a warning naming
 * `suite`, both values and the member is added. Copies; part is not changed. */
void bg_fingerprint_adopt(struct bg_run *run, const struct bg_run *part, const char *suite);

#endif
