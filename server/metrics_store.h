/* metrics_store.h: what /metrics and /readyz read from the database at request time.
 *
 * A storage module: the counts behind benchgated's gauges (verdicts, jobs and agents by
 * state, the outbox), the file sizes, and whether the database takes writes. The HTTP layer
 * renders them (metrics.h); nothing here knows the exposition format.
 */
#ifndef BG_METRICS_STORE_H
#define BG_METRICS_STORE_H

#include "db.h"

#include <stddef.h>

/* The states counted, in the order of the arrays below. */
#define BG_MSTORE_VERDICTS 4 /* pass, fail, no_baseline, pending */
#define BG_MSTORE_JOBS 6     /* queued, leased, running, done, failed, canceled */
#define BG_MSTORE_AGENTS 3   /* busy, idle, offline */
extern const char *const bg_mstore_verdict_states[BG_MSTORE_VERDICTS];
extern const char *const bg_mstore_job_states[BG_MSTORE_JOBS];
extern const char *const bg_mstore_agent_states[BG_MSTORE_AGENTS];

/* An agent not seen for this long is offline (about five lease heartbeats missed). */
#define BG_MSTORE_AGENT_OFFLINE_S 300

struct bg_store_gauges {
  long long verdicts[BG_MSTORE_VERDICTS]; /* runs stored with each verdict state */
  long long jobs[BG_MSTORE_JOBS];
  long long agents[BG_MSTORE_AGENTS];      /* busy: holds a leased or running job; idle: seen
                                              within BG_MSTORE_AGENT_OFFLINE_S; offline: not */
  long long outbox_pending, outbox_failed; /* rows */
  long long outbox_failed_attempts;        /* every attempt that did not deliver, over all rows
                                              (rows are never deleted, so it only grows) */
  long long db_bytes;                      /* page_count * page_size */
  long long wal_bytes;                     /* the -wal file's size; 0 when absent */
  int schema_version, schema_latest;
};

/* Reads the gauges at `now` (seconds, for the agents' states). BG_OK or BG_EDB. */
int bg_store_gauges(struct bg_store *s, long long now, struct bg_store_gauges *g);

/* Whether the database is ready for writes: its schema version is the latest this binary
 * knows and a write transaction can start (BEGIN IMMEDIATE, then ROLLBACK, under the write
 * lock). BG_OK, or BG_EDB with the reason in why. */
int bg_store_ready(struct bg_store *s, char *why, size_t whylen);

#endif
