/* alerts.h: the storage of alerts, acknowledgements and series baseline starts.
 *
 * An alert says that a series got worse: a 'regression' alert opens when a verdict finds a
 * result regressed, a 'changepoint' alert when change-point detection finds a worsening
 * level shift. Acknowledging one records why the change is accepted (acknowledgements) and
 * moves the series' baseline start (series_baseline) to its commit, as a change point does.
 * This module owns those three tables: the rows, the JSON object of an alert and the lists of
 * alerts the API and the series read give. What an acknowledgement does (ack.h) and when an
 * alert opens (verdict.c, changepoints.c) is decided above it.
 */
#ifndef BG_ALERTS_H
#define BG_ALERTS_H

#include "buf.h"
#include "error.h"
#include "store.h"

#include <stddef.h>

/* The series and commit an alert is about. */
struct bg_alert_key {
  long long project, testbed, benchmark, measure;
  long long commit; /* 0: none (an alert without a commit) */
};

/* An alert as acknowledging it needs it. */
struct bg_alert {
  struct bg_alert_key key;
  int regression; /* 1: kind 'regression' (else 'changepoint') */
  int open;       /* 1: state 'open' (else 'acknowledged') */
};

/* ---- reads ---- */

/* Appends {"alerts":[...]} of project p, newest first (at most 1000). state: "open",
 * "acknowledged" or NULL for all. BG_OK or BG_EDB. */
int bg_alerts_json(struct bg_store *s, const struct bg_project *p, const char *state,
                   struct bg_buf *out);

/* Appends alert `id` of project p as a JSON object, or null when there is none. BG_OK or
 * BG_EDB. */
int bg_alerts_alert_json(struct bg_store *s, const struct bg_project *p, long long id,
                         struct bg_buf *out);

/* Appends a JSON array of the alerts (open and acknowledged, newest first, at most 100) of
 * series (testbed, benchmark, measure) of project project_id. BG_OK or BG_EDB. */
int bg_alerts_series_json(struct bg_store *s, long long project_id, long long testbed_id,
                          long long benchmark_id, long long measure_id, struct bg_buf *out);

/* Reads alert `id` of project project_id into *a. BG_OK, BG_ENOENT (no such alert), BG_EDB. */
int bg_alerts_get(struct bg_store *s, long long project_id, long long id, struct bg_alert *a);

/* *seen = 1 when series (k->testbed, k->benchmark, k->measure) has a 'changepoint' alert at
 * one of commits[0..4] (ids; -1 for none). BG_OK or BG_EDB. */
int bg_alerts_changepoint_seen(struct bg_store *s, const struct bg_alert_key *k,
                               const long long commits[5], int *seen);

/* The runs.id of the runs of commit `commit_id` on testbed `testbed_id`, ascending, in
 * *ids[*n] (caller frees *ids; NULL when none): the runs an acknowledgement re-evaluates.
 * BG_OK or BG_EDB. */
int bg_alerts_commit_runs(struct bg_store *s, long long commit_id, long long testbed_id,
                          long long **ids, size_t *n);

/* ---- writes (inside the caller's write transaction) ---- */

/* Opens a 'regression' alert of series and commit k for run `rid`, with the change and its
 * interval (NAN: not known), created at `now`. A regression alert of that run and series that
 * exists already (open or acknowledged) stays as it is. BG_OK or BG_EDB. */
int bg_alerts_open_regression(struct bg_store *s, const struct bg_alert_key *k, long long rid,
                              double change, double change_lo, double change_hi, long long now);

/* Opens a 'changepoint' alert of series k at change point commit k->commit, found by run
 * `rid` (0: none), the level before it ending at commit `prev_commit`; change is relative.
 * BG_OK or BG_EDB. */
int bg_alerts_open_changepoint(struct bg_store *s, const struct bg_alert_key *k, long long rid,
                               long long prev_commit, double change, long long now);

/* Marks alert `id` (as *a read it) acknowledged with note and who (may be NULL) at `now`;
 * a regression alert takes with it the open regression alerts of its series at its commit
 * (one regression, found by several runs). BG_OK or BG_EDB. */
int bg_alerts_acknowledge(struct bg_store *s, long long id, const struct bg_alert *a,
                          const char *note, const char *who, long long now);

/* Records the acknowledgement of alert `id` of series and commit a->key: the verdicts of that
 * commit count the series' regression as accepted. BG_OK or BG_EDB. */
int bg_alerts_record_ack(struct bg_store *s, long long id, const struct bg_alert *a,
                         const char *note, const char *who, long long now);

/* Later default-branch baselines of series (testbed, benchmark, measure) start at commit
 * `commit_id` (its epoch); the start only ever moves forward (a start older than the current
 * one is ignored). reason: "changepoint" or "acknowledged". Existing verdicts are not
 * re-evaluated. BG_OK; BG_EINVAL (reason); BG_ENOENT (no such commit); BG_EDB. */
int bg_alerts_series_start(struct bg_store *s, long long project_id, long long testbed_id,
                           long long benchmark_id, long long measure_id, long long commit_id,
                           const char *reason);

#endif
