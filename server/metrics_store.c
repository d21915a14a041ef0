/* metrics_store.c: the SQLite side of /metrics and /readyz (metrics_store.h).
 *
 * Every count is one aggregate query; the verdict count scans runs' verdict_state (a column
 * of the run row, no index: about a millisecond per 100 000 runs), the others read small
 * tables or partial indexes. Nothing is written.
 */
#include "metrics_store.h"

#include "migrations.h"
#include "store_private.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *const bg_mstore_verdict_states[BG_MSTORE_VERDICTS] = {"pass", "fail", "no_baseline",
                                                                      "pending"};
const char *const bg_mstore_job_states[BG_MSTORE_JOBS] = {"queued", "leased", "running",
                                                          "done",   "failed", "canceled"};
const char *const bg_mstore_agent_states[BG_MSTORE_AGENTS] = {"busy", "idle", "offline"};

enum mid { M_VERDICTS, M_JOBS, M_AGENTS, M_OUTBOX, M_PAGES, M_PAGE_SIZE };

static const char *const metrics_sql_text[] = {
    [M_VERDICTS] = "SELECT " BG_STORE_VERDICT_STATE("runs") " AS state, count(*) FROM runs "
                   "WHERE verdict_state IS NOT NULL OR confirming GROUP BY state",
    [M_JOBS] = "SELECT state, count(*) FROM jobs GROUP BY state",
    [M_AGENTS] = "SELECT CASE WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.id = a.job_id "
                 "AND j.agent = a.name AND j.state IN ('leased', 'running')) THEN 'busy' "
                 "WHEN a.last_seen >= ?1 THEN 'idle' ELSE 'offline' END AS st, count(*) "
                 "FROM agents a GROUP BY st",
    [M_OUTBOX] = "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'failed'), 0), "
                 "coalesce(sum(attempts), 0) - coalesce(sum(state = 'delivered'), 0) FROM outbox",
    [M_PAGES] = "PRAGMA page_count",
    [M_PAGE_SIZE] = "PRAGMA page_size",
};

static const struct bg_store_module metrics_sql = {
    "metrics", metrics_sql_text, sizeof metrics_sql_text / sizeof *metrics_sql_text, NULL, NULL};

/* Steps a (state, count) query into counts[] by the index of its state in names[]; states
 * not in names are left out. */
static int by_state(struct bg_store *s, sqlite3_stmt *st, const char *const *names, size_t n,
                    long long *counts, const char *what) {
  int r;
  if (!st)
    return BG_EDB;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    const char *name = bg_store_col_text(st, 0);
    for (size_t i = 0; name && i < n; i++)
      if (!strcmp(name, names[i]))
        counts[i] = sqlite3_column_int64(st, 1);
  }
  bg_store_done(st);
  return r == SQLITE_DONE ? BG_OK : bg_store_fail(s, what);
}

/* Steps a one-row query into up to three integers. */
static int one_row(struct bg_store *s, sqlite3_stmt *st, long long *a, long long *b, long long *c,
                   const char *what) {
  if (!st)
    return BG_EDB;
  int r = sqlite3_step(st);
  if (r == SQLITE_ROW) {
    *a = sqlite3_column_int64(st, 0);
    if (b)
      *b = sqlite3_column_int64(st, 1);
    if (c)
      *c = sqlite3_column_int64(st, 2);
  }
  bg_store_done(st);
  return r == SQLITE_ROW ? BG_OK : bg_store_fail(s, what);
}

static long long file_size(const char *path, const char *suffix) {
  char name[4096];
  struct stat st;
  if ((size_t)snprintf(name, sizeof name, "%s%s", path, suffix) >= sizeof name ||
      stat(name, &st) != 0)
    return 0;
  return (long long)st.st_size;
}

int bg_store_gauges(struct bg_store *s, long long now, struct bg_store_gauges *g) {
  long long pages = 0, page_size = 0;
  memset(g, 0, sizeof *g);
  sqlite3_stmt *agents = bg_store_stmt(s, &metrics_sql, M_AGENTS);
  if (agents)
    sqlite3_bind_int64(agents, 1, now - BG_MSTORE_AGENT_OFFLINE_S);
  int rc = by_state(s, bg_store_stmt(s, &metrics_sql, M_VERDICTS), bg_mstore_verdict_states,
                    BG_MSTORE_VERDICTS, g->verdicts, "metrics: verdicts");
  if (!rc)
    rc = by_state(s, bg_store_stmt(s, &metrics_sql, M_JOBS), bg_mstore_job_states, BG_MSTORE_JOBS,
                  g->jobs, "metrics: jobs");
  if (!rc)
    rc =
        by_state(s, agents, bg_mstore_agent_states, BG_MSTORE_AGENTS, g->agents, "metrics: agents");
  if (!rc)
    rc = one_row(s, bg_store_stmt(s, &metrics_sql, M_OUTBOX), &g->outbox_pending, &g->outbox_failed,
                 &g->outbox_failed_attempts, "metrics: outbox");
  if (!rc)
    rc = one_row(s, bg_store_stmt(s, &metrics_sql, M_PAGES), &pages, NULL, NULL,
                 "metrics: page_count");
  if (!rc)
    rc = one_row(s, bg_store_stmt(s, &metrics_sql, M_PAGE_SIZE), &page_size, NULL, NULL,
                 "metrics: page_size");
  bg_store_done(agents);
  g->db_bytes = pages * page_size;
  g->wal_bytes = file_size(bg_db_path(bg_store_database(s)), "-wal");
  g->schema_version = bg_store_version(s);
  g->schema_latest = bg_migrations_count ? bg_migrations[bg_migrations_count - 1].version : 0;
  return rc;
}

int bg_store_ready(struct bg_store *s, char *why, size_t whylen) {
  int latest = bg_migrations_count ? bg_migrations[bg_migrations_count - 1].version : 0;
  int v = bg_store_version(s);
  if (v != latest) {
    snprintf(why, whylen, "the database's schema version is %d, this benchgated needs %d", v,
             latest);
    return BG_EDB;
  }
  /* BEGIN IMMEDIATE takes SQLite's write lock: it fails on a read-only file, a read-only
   * file system, or a lock another process keeps past the busy timeout. */
  if (bg_store_write_begin(s) != BG_OK) {
    snprintf(why, whylen, "the database does not take writes: %s", bg_store_errmsg(s));
    return BG_EDB;
  }
  bg_store_write_end(s, 0);
  /* BEGIN IMMEDIATE writes nothing, so a full disk passes it: after a write failed for want
   * of space, the space itself is probed. */
  return bg_db_space_probe(bg_store_database(s), why, whylen) == BG_OK ? BG_OK : BG_EDB;
}
