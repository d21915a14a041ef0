/* run.h: the run model and its JSON form, benchgate.run/v1.
 *
 * A struct bg_run is one execution of a commit's suites on one testbed: the commit, where it
 * came from, the testbed's fingerprint, thresholds, and the results. The agent builds one
 * from measurements or harness files; the server parses one from an upload. Both sides use
 * bg_run_validate, so every rule of the run payload lives here once, with field-named errors.
 */
#ifndef BG_RUN_H
#define BG_RUN_H

#include "error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define BG_RUN_SCHEMA "benchgate.run/v1"
#define BG_RUN_MAX_SAMPLES 100000   /* samples per result */
#define BG_RUN_MAX_RESULTS 100000   /* results per run */
#define BG_RUN_MAX_BODY (32u << 20) /* default upload limit in bytes */
#define BG_RUN_MAX_ROUNDS 100       /* rounds of an interleaved run */

enum bg_direction {
  BG_LOWER = 0, /* smaller is better: times, memory, instructions */
  BG_HIGHER = 1 /* larger is better: throughput */
};

/* One (benchmark, measure) of a run: raw samples (one per repetition) or, where a harness
 * only reports a summary, n, mean and stddev. */
struct bg_result {
  char *benchmark;
  char *measure;
  char *unit;
  enum bg_direction direction;
  double *samples; /* owned; NULL when the result is a summary */
  size_t nsamples;
  size_t samples_cap;
  int has_summary; /* 1 when n/mean/stddev are given instead of samples */
  long long n;
  double mean;
  double stddev;
};

struct bg_commit {
  char *sha;
  char *branch;
  char **parents; /* owned array of owned strings */
  size_t nparents;
  char *message;
  char *author;
  char *timestamp; /* RFC 3339 */
};

struct bg_run;

/* Base and head measured alternately on one machine within one job (interleaved A/B,
 * DESIGN 6.6): round i holds one run of the base commit's suites and one of the head's (the
 * run's own commit), back to back, so that a drift of the machine hits both sides alike.
 * Each side is a run that holds only results. The run's own results are the head's, pooled
 * over the rounds (what its history and trends show); the gate compares the rounds' pairs
 * (lib/interleave.h). */
struct bg_round {
  struct bg_run *base, *head; /* owned */
};

struct bg_interleaved {
  char *base_sha;          /* the base commit: the pull request's fork point */
  struct bg_round *rounds; /* owned */
  size_t nrounds, rounds_cap;
};

/* Every string member is owned by the run (NULL when absent); bg_run_free frees them all. */
struct bg_run {
  char *run_id;
  struct bg_commit commit;
  char *baseline_branch;
  char *baseline_sha;
  long long pull_request; /* 0 when absent */
  long long job_id;       /* 0 when absent */
  char *confirms;         /* run_id of the first run this one confirms (same commit and
                           * testbed), or NULL (lib/confirm.h) */
  int confirmable;        /* 1: the uploader runs confirmations when the verdict asks */
  char *testbed;
  cJSON *fingerprint; /* owned object or NULL */
  char *agent_name;
  char *agent_version;
  char *started_at;
  char *finished_at;
  cJSON *thresholds; /* owned object or NULL: {"default": {...}, "rules": [...]} */
  char **warnings;   /* owned array of owned strings: what the agent noticed while measuring */
  size_t nwarnings;
  struct bg_result *results; /* owned array */
  size_t nresults;
  size_t results_cap;
  struct bg_interleaved *interleaved; /* owned, or NULL for a run of the head alone */
};

/* Returns a new empty run; the caller frees it with bg_run_free. Never NULL. */
struct bg_run *bg_run_new(void);

/* Frees the run and everything it owns. Accepts NULL. */
void bg_run_free(struct bg_run *run);

/* Replaces *field (a string member of a run or result) with a copy of `value` (may be NULL). */
void bg_run_set(char **field, const char *value);

/* Appends a parent sha to the commit. */
void bg_run_add_parent(struct bg_run *run, const char *sha);

/* Appends a warning (copied). */
void bg_run_add_warning(struct bg_run *run, const char *text);

/* Appends an empty result for (benchmark, measure) with the given unit and direction; the
 * strings are copied. Returns a pointer into the run's array that stays valid until the next
 * bg_run_add_result. Duplicates are not checked here (bg_run_validate does). */
struct bg_result *bg_run_add_result(struct bg_run *run, const char *benchmark, const char *measure,
                                    const char *unit, enum bg_direction direction);

/* Returns the result for (benchmark, measure) or NULL. Linear scan. */
struct bg_result *bg_run_find_result(const struct bg_run *run, const char *benchmark,
                                     const char *measure);

/* Appends one sample to a result. */
void bg_result_add_sample(struct bg_result *r, double value);

/* Makes the result a summary (n, mean, stddev), dropping any samples. */
void bg_result_set_summary(struct bg_result *r, long long n, double mean, double stddev);

/* Makes run interleaved against base commit base_sha (copied; replaces one set before) with
 * no rounds yet, and returns its interleaved part. */
struct bg_interleaved *bg_run_interleave(struct bg_run *run, const char *base_sha);

/* Appends a round of two empty runs (base and head) and returns it; valid until the next
 * call. */
struct bg_round *bg_interleaved_add_round(struct bg_interleaved *iv);

/* Looks up a well-known measure (wall_time, cpu_time, max_rss, instructions, throughput).
 * Returns 1 and sets *unit and *direction (either may be NULL) when known, 0 otherwise. */
int bg_measure_lookup(const char *measure, const char **unit, enum bg_direction *direction);

/* "lower"/"higher" to enum and back. bg_direction_parse returns 1 on success, 0 otherwise. */
int bg_direction_parse(const char *s, enum bg_direction *out);
const char *bg_direction_name(enum bg_direction d);

/* Checks every rule of the payload that does not depend on the server's state: required
 * fields, names and slugs, 1-100 000 finite samples or a summary with n >= 1, 1 to 100 000
 * results, no duplicate (benchmark, measure), thresholds member by member (with the gate's
 * own parser, bg_gate_thresholds_parse), and valid UTF-8 in every string and member name of
 * testbed.fingerprint and thresholds; an interleaved part with a base sha and 2 to
 * BG_RUN_MAX_ROUNDS rounds, each side holding results by the rules of the run's own. Returns
 * BG_OK or BG_EINVAL with `e` (may be NULL)
 * naming the first offending field, e.g. "results[3].samples[7]" or
 * "thresholds.rules[2].min_effect". */
int bg_run_validate(const struct bg_run *run, struct bg_ferr *e);

/* Parses and validates a run payload of `len` bytes (need not be NUL-terminated). On success
 * returns BG_OK and a new run in *out (the caller frees it with bg_run_free). Errors:
 * BG_EPARSE for text that is not JSON (field "" and the byte offset in the message),
 * BG_EINVAL for a payload that breaks a rule (field named in `e`), including a string or
 * member name anywhere in the text that is not UTF-8. *out is NULL on error. */
int bg_run_from_json(const char *text, size_t len, struct bg_run **out, struct bg_ferr *e);

/* Reads results from a JSON array of result objects into `run` (used by the native adapter
 * too). `prefix` names the array in error fields ("results"). Returns as bg_run_from_json. */
int bg_run_results_from_cjson(struct bg_run *run, const cJSON *array, const char *prefix,
                              struct bg_ferr *e);

/* 1 when fingerprints a and b (testbed.fingerprint objects as JSON text) describe different
 * machines: a member differs, or is in one of them only, other than load_avg_1m, which
 * changes from run to run on the same machine. 0 when they agree, or when either is NULL or
 * not a JSON object (nothing to compare). */
int bg_run_fingerprints_differ(const char *a, const char *b);

/* Serialises the run to a new cJSON object (the caller frees it with cJSON_Delete). Absent
 * optional members are left out, so parse(serialise(run)) equals run. */
cJSON *bg_run_to_cjson(const struct bg_run *run);

/* Serialises the run to text; `pretty` selects indentation. The caller frees the string with
 * cJSON_free. Never NULL. */
char *bg_run_to_json(const struct bg_run *run, int pretty);

#endif
