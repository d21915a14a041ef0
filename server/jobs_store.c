/* jobs_store.c: the SQLite storage of the job queue and of the agents (jobs_store.h).
 *
 * The lease reads the partial index jobs_queue (the queued jobs of a testbed, oldest first),
 * checking a job's project against the token's and the named projects' (a list looked up
 * once per statement) job by job: about 1 ms past 10 000 queued jobs of other projects
 * (test_jobs). The expiry reads jobs_leases; a project's list reads jobs_by_project.
 */
#include "jobs_store.h"

#include "store_private.h"

#include <string.h>

#define JOB_SELECT                                                                                 \
  "SELECT j.id, j.project_id, j.testbed_id, j.pull_request, j.run_id, j.sha, j.base_sha, "         \
  "j.branch, j.testbed, j.state, j.reason, j.agent, j.attempts, j.lease_expires, j.created_at, "   \
  "j.updated_at, p.slug, j.base_branch FROM jobs j JOIN projects p ON p.id = j.project_id "

enum jid {
  J_OPEN,
  J_INSERT,
  J_SUPERSEDE,
  J_CANCEL_PR,
  J_EXPIRE,
  J_DUE_FINAL,
  J_NEXT_EXPIRY,
  J_OLDEST,
  J_ANNOUNCE,
  J_LEASE,
  J_GET,
  J_MOVE,
  J_AGENT,
  J_LIST,
  J_AGENTS,
  J_TESTBEDS,
  J_COUNT
};

static const char *const sql_text[J_COUNT] = {
    [J_OPEN] = "SELECT id FROM jobs WHERE project_id = ?1 AND testbed_id = ?2 AND sha = ?3 "
               "AND state IN ('queued', 'leased', 'running') ORDER BY id LIMIT 1",
    [J_INSERT] = "INSERT INTO jobs (project_id, sha, branch, base_sha, pull_request, testbed_id, "
                 "testbed, created_at, updated_at, base_branch) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
    [J_SUPERSEDE] = "UPDATE jobs SET state = 'canceled', reason = 'superseded by job ' || ?4, "
                    "updated_at = ?5 WHERE project_id = ?1 AND pull_request = ?2 "
                    "AND testbed_id = ?3 AND state = 'queued' AND id <> ?4",
    [J_DUE_FINAL] = "SELECT id FROM jobs WHERE state IN ('leased', 'running') "
                    "AND lease_expires <= ?1 AND attempts >= ?2 ORDER BY id LIMIT ?3",
    [J_CANCEL_PR] = "UPDATE jobs SET state = 'canceled', reason = ?3, updated_at = ?4 "
                    "WHERE project_id = ?1 AND pull_request = ?2 AND state = 'queued'",
    [J_EXPIRE] =
        "UPDATE jobs SET state = CASE WHEN attempts >= ?2 THEN 'failed' ELSE 'queued' END, "
        "reason = 'lease expired', lease_expires = NULL, updated_at = ?1 "
        "WHERE state IN ('leased', 'running') AND lease_expires <= ?1",
    [J_NEXT_EXPIRY] = "SELECT min(lease_expires) FROM jobs WHERE state IN ('leased', 'running')",
    [J_OLDEST] = "SELECT id FROM jobs WHERE testbed = ?1 AND state = 'queued' "
                 "AND (?2 = 0 OR project_id = ?2) AND (?3 IS NULL OR project_id IN "
                 "(SELECT id FROM projects WHERE slug IN (SELECT value FROM json_each(?3)))) "
                 "ORDER BY id LIMIT 1",
    [J_ANNOUNCE] = "INSERT OR IGNORE INTO testbeds (project_id, name) SELECT id, ?1 FROM projects "
                   "WHERE (?2 = 0 OR id = ?2) AND (?3 IS NULL OR slug IN "
                   "(SELECT value FROM json_each(?3)))",
    [J_LEASE] = "UPDATE jobs SET state = 'leased', agent = ?2, lease_expires = ?3, "
                "attempts = attempts + 1, updated_at = ?4 WHERE id = ?1 AND state = 'queued'",
    [J_GET] = JOB_SELECT "WHERE j.id = ?1",
    [J_MOVE] = "UPDATE jobs SET state = ?4, reason = coalesce(?5, reason), "
               "lease_expires = nullif(?6, 0), run_id = coalesce(nullif(?7, 0), run_id), "
               "updated_at = ?8 WHERE id = ?1 AND (?3 IS NULL OR agent = ?3) AND CASE ?2 "
               "WHEN 'open' THEN state IN ('queued', 'leased', 'running') "
               "WHEN 'held' THEN state IN ('leased', 'running') ELSE state = ?2 END",
    [J_AGENT] = "INSERT INTO agents (project_id, name, testbed, last_seen, job_id) "
                "VALUES (?1, ?2, ?3, ?4, nullif(?5, 0)) ON CONFLICT (project_id, name) DO UPDATE "
                "SET testbed = excluded.testbed, last_seen = excluded.last_seen, "
                "job_id = excluded.job_id",
    [J_LIST] = JOB_SELECT "WHERE j.project_id = ?1 AND (?2 IS NULL OR j.state = ?2) "
                          "AND (?3 IS NULL OR substr(j.sha, 1, length(?3)) = ?3) "
                          "ORDER BY j.id DESC LIMIT 1000",
    [J_AGENTS] = "SELECT a.name, a.testbed, a.last_seen, j.id FROM agents a LEFT JOIN jobs j "
                 "ON j.id = a.job_id AND j.agent = a.name AND j.state IN ('leased', 'running') "
                 "ORDER BY a.name, a.project_id",
    [J_TESTBEDS] = "SELECT id, name FROM testbeds WHERE project_id = ?1 ORDER BY name LIMIT ?2",
};

static const struct bg_store_module jobs_sql = {"jobs", sql_text, J_COUNT, NULL, NULL};

/* Steps a bound statement of one id column and resets it: *id, 0 when it has no row. */
static int one_id(struct bg_store *s, sqlite3_stmt *st, long long *id, const char *what) {
  int r = sqlite3_step(st), rc = BG_OK;
  *id = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  if (r != SQLITE_ROW && r != SQLITE_DONE)
    rc = bg_store_fail(s, what);
  bg_store_done(st);
  return rc;
}

int bg_jobs_store_open_id(struct bg_store *s, long long project_id, long long testbed_id,
                          const char *sha, long long *id) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_OPEN);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  sqlite3_bind_int64(st, 2, testbed_id);
  bg_store_bind_text(st, 3, sha);
  return one_id(s, st, id, "jobs: open job");
}

int bg_jobs_store_insert(struct bg_store *s, const struct bg_job *j, long long now, long long *id) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_INSERT);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, j->project_id);
  bg_store_bind_text(st, 2, j->sha);
  bg_store_bind_text(st, 3, j->branch);
  bg_store_bind_text(st, 4, j->base_sha[0] ? j->base_sha : NULL);
  bg_store_bind_id(st, 5, j->pull_request);
  sqlite3_bind_int64(st, 6, j->testbed_id);
  bg_store_bind_text(st, 7, j->testbed);
  sqlite3_bind_int64(st, 8, now);
  bg_store_bind_text(st, 9, j->base_branch[0] ? j->base_branch : NULL);
  int rc = bg_store_step_done(s, st, "jobs: insert");
  *id = rc ? 0 : sqlite3_last_insert_rowid(bg_store_sqlite(s));
  return rc;
}

int bg_jobs_store_supersede(struct bg_store *s, long long project_id, long long pr,
                            long long testbed_id, long long keep, long long now) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_SUPERSEDE);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  sqlite3_bind_int64(st, 2, pr);
  sqlite3_bind_int64(st, 3, testbed_id);
  sqlite3_bind_int64(st, 4, keep);
  sqlite3_bind_int64(st, 5, now);
  return bg_store_step_done(s, st, "jobs: supersede");
}

int bg_jobs_store_cancel_pull_request(struct bg_store *s, long long project_id, long long pr,
                                      const char *reason, long long now, int *canceled) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_CANCEL_PR);
  *canceled = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  sqlite3_bind_int64(st, 2, pr);
  bg_store_bind_text(st, 3, reason);
  sqlite3_bind_int64(st, 4, now);
  int rc = bg_store_step_done(s, st, "jobs: cancel a pull request's");
  *canceled = rc ? 0 : sqlite3_changes(bg_store_sqlite(s));
  return rc;
}

int bg_jobs_store_expire(struct bg_store *s, long long now, int max_attempts) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_EXPIRE);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_int(st, 2, max_attempts);
  return bg_store_step_done(s, st, "jobs: expire");
}

int bg_jobs_store_due_final(struct bg_store *s, long long now, int max_attempts, long long *ids,
                            size_t max, size_t *n) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_DUE_FINAL);
  int r;
  *n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_int(st, 2, max_attempts);
  sqlite3_bind_int64(st, 3, (long long)max);
  while ((r = sqlite3_step(st)) == SQLITE_ROW)
    ids[(*n)++] = sqlite3_column_int64(st, 0);
  int rc = r == SQLITE_DONE ? BG_OK : bg_store_fail(s, "jobs: due leases");
  bg_store_done(st);
  return rc;
}

int bg_jobs_store_next_expiry(struct bg_store *s, long long *at) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_NEXT_EXPIRY);
  if (!st)
    return BG_EDB;
  return one_id(s, st, at, "jobs: next expiry"); /* min() of no row is NULL: 0 */
}

/* The oldest queued job `pick` allows: *id, 0 when none. The project slugs go in as one JSON
 * array, so one statement serves any number of them. */
static void bind_pick(sqlite3_stmt *st, const struct bg_jobs_pick *pick, struct bg_buf *slugs) {
  bg_buf_init(slugs, 0);
  if (pick->projects) {
    bg_buf_puts(slugs, "[");
    for (size_t i = 0; i < pick->nprojects; i++) {
      bg_buf_puts(slugs, i ? "," : "");
      bg_json_str(slugs, pick->projects[i]);
    }
    bg_buf_puts(slugs, "]");
  }
  bg_store_bind_text(st, 1, pick->testbed);
  sqlite3_bind_int64(st, 2, pick->project_id);
  bg_store_bind_text(st, 3, pick->projects ? slugs->data : NULL);
}

static int oldest_queued(struct bg_store *s, const struct bg_jobs_pick *pick, long long *id) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_OLDEST);
  struct bg_buf slugs;
  if (!st)
    return BG_EDB;
  bind_pick(st, pick, &slugs);
  int rc = one_id(s, st, id, "jobs: oldest queued");
  bg_buf_free(&slugs);
  return rc;
}

int bg_jobs_store_announce(struct bg_store *s, const struct bg_jobs_pick *pick) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_ANNOUNCE);
  struct bg_buf slugs;
  if (!st)
    return BG_EDB;
  bind_pick(st, pick, &slugs);
  int rc = bg_store_step_done(s, st, "jobs: announce the testbed");
  bg_buf_free(&slugs);
  return rc;
}

int bg_jobs_store_lease(struct bg_store *s, const struct bg_jobs_pick *pick, const char *agent,
                        long long now, long long lease_s, struct bg_job *j) {
  long long id = 0;
  sqlite3_stmt *st;
  if (oldest_queued(s, pick, &id))
    return BG_EDB;
  if (!id)
    return BG_ENOENT;
  st = bg_store_stmt(s, &jobs_sql, J_LEASE);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  bg_store_bind_text(st, 2, agent);
  sqlite3_bind_int64(st, 3, now + lease_s);
  sqlite3_bind_int64(st, 4, now);
  int rc = bg_store_step_done(s, st, "jobs: lease");
  return rc ? rc : bg_jobs_store_get(s, id, j);
}

/* Reads the columns of JOB_SELECT of the current row into *j. */
static void job_row(sqlite3_stmt *st, struct bg_job *j) {
  memset(j, 0, sizeof *j);
  j->id = sqlite3_column_int64(st, 0);
  j->project_id = sqlite3_column_int64(st, 1);
  j->testbed_id = sqlite3_column_int64(st, 2);
  j->pull_request = sqlite3_column_int64(st, 3);
  j->run_id = sqlite3_column_int64(st, 4);
  bg_store_copy_text(j->sha, sizeof j->sha, bg_store_col_text(st, 5));
  bg_store_copy_text(j->base_sha, sizeof j->base_sha, bg_store_col_text(st, 6));
  bg_store_copy_text(j->branch, sizeof j->branch, bg_store_col_text(st, 7));
  bg_store_copy_text(j->testbed, sizeof j->testbed, bg_store_col_text(st, 8));
  bg_store_copy_text(j->state, sizeof j->state, bg_store_col_text(st, 9));
  bg_store_copy_text(j->reason, sizeof j->reason, bg_store_col_text(st, 10));
  bg_store_copy_text(j->agent, sizeof j->agent, bg_store_col_text(st, 11));
  j->attempts = sqlite3_column_int(st, 12);
  j->lease_expires = sqlite3_column_int64(st, 13);
  j->created_at = sqlite3_column_int64(st, 14);
  j->updated_at = sqlite3_column_int64(st, 15);
  bg_store_copy_text(j->project, sizeof j->project, bg_store_col_text(st, 16));
  bg_store_copy_text(j->base_branch, sizeof j->base_branch, bg_store_col_text(st, 17));
}

int bg_jobs_store_get(struct bg_store *s, long long id, struct bg_job *j) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_GET);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  int r = sqlite3_step(st), rc = BG_OK;
  if (r == SQLITE_ROW)
    job_row(st, j);
  else
    rc = r == SQLITE_DONE ? BG_ENOENT : bg_store_fail(s, "jobs: get");
  bg_store_done(st);
  return rc;
}

int bg_jobs_store_move(struct bg_store *s, long long id, const char *from, const char *agent,
                       const char *state, const char *reason, long long lease_expires,
                       long long run_id, long long now, int *changed) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_MOVE);
  *changed = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  bg_store_bind_text(st, 2, from);
  bg_store_bind_text(st, 3, agent);
  bg_store_bind_text(st, 4, state);
  bg_store_bind_text(st, 5, reason);
  sqlite3_bind_int64(st, 6, lease_expires);
  sqlite3_bind_int64(st, 7, run_id);
  sqlite3_bind_int64(st, 8, now);
  int rc = bg_store_step_done(s, st, "jobs: move");
  *changed = !rc && sqlite3_changes(bg_store_sqlite(s)) > 0;
  return rc;
}

int bg_jobs_store_agent_seen(struct bg_store *s, long long project_id, const char *name,
                             const char *testbed, long long job_id, long long now) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_AGENT);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bg_store_bind_text(st, 2, name);
  bg_store_bind_text(st, 3, testbed);
  sqlite3_bind_int64(st, 4, now);
  sqlite3_bind_int64(st, 5, job_id);
  return bg_store_step_done(s, st, "jobs: agent");
}

/* Appends a string member, null for "". */
static void str_or_null(struct bg_buf *out, const char *name, const char *v) {
  bg_buf_puts(out, name);
  if (v[0])
    bg_json_str(out, v);
  else
    bg_buf_puts(out, "null");
}

/* Appends an integer member, null for 0. */
static void int_or_null(struct bg_buf *out, const char *name, long long v) {
  bg_buf_puts(out, name);
  if (v)
    bg_json_int(out, v);
  else
    bg_buf_puts(out, "null");
}

void bg_jobs_store_render(const struct bg_job *j, struct bg_buf *out) {
  bg_buf_puts(out, "{\"id\":");
  bg_json_int(out, j->id);
  bg_buf_puts(out, ",\"project\":");
  bg_json_str(out, j->project);
  bg_buf_puts(out, ",\"sha\":");
  bg_json_str(out, j->sha);
  bg_buf_puts(out, ",\"branch\":");
  bg_json_str(out, j->branch);
  str_or_null(out, ",\"base_sha\":", j->base_sha);
  str_or_null(out, ",\"base_branch\":", j->base_branch);
  int_or_null(out, ",\"pull_request\":", j->pull_request);
  bg_buf_puts(out, ",\"testbed\":");
  bg_json_str(out, j->testbed);
  bg_buf_puts(out, ",\"state\":");
  bg_json_str(out, j->state);
  bg_buf_puts(out, ",\"attempts\":");
  bg_json_int(out, j->attempts);
  str_or_null(out, ",\"reason\":", j->reason);
  str_or_null(out, ",\"agent\":", j->agent);
  int_or_null(out, ",\"lease_expires_at\":", j->lease_expires);
  int_or_null(out, ",\"lease_seconds\":", j->lease_expires ? j->lease_expires - j->updated_at : 0);
  bg_buf_puts(out, ",\"created_at\":");
  bg_json_int(out, j->created_at);
  bg_buf_puts(out, ",\"updated_at\":");
  bg_json_int(out, j->updated_at);
  int_or_null(out, ",\"run\":", j->run_id);
  bg_buf_puts(out, "}");
}

static void job_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  struct bg_job j;
  (void)ctx;
  job_row(st, &j);
  bg_jobs_store_render(&j, out);
}

int bg_jobs_store_list_json(struct bg_store *s, long long project_id, const char *state,
                            const char *sha, struct bg_buf *out) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_LIST);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  bg_store_bind_text(st, 2, state);
  bg_store_bind_text(st, 3, sha);
  bg_buf_puts(out, "{\"jobs\":[");
  int rc = bg_store_json_rows(s, st, job_json, NULL, out, NULL, "jobs: list");
  bg_buf_puts(out, "]}");
  return rc;
}

static void agent_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  (void)ctx;
  bg_buf_puts(out, "{\"name\":");
  bg_json_str(out, bg_store_col_text(st, 0));
  bg_buf_puts(out, ",\"testbed\":");
  bg_json_str(out, bg_store_col_text(st, 1));
  bg_buf_puts(out, ",\"last_seen\":");
  bg_json_int(out, sqlite3_column_int64(st, 2));
  int_or_null(out, ",\"job\":", sqlite3_column_int64(st, 3));
  bg_buf_puts(out, "}");
}

int bg_jobs_store_agents_json(struct bg_store *s, struct bg_buf *out) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_AGENTS);
  if (!st)
    return BG_EDB;
  bg_buf_puts(out, "{\"agents\":[");
  int rc = bg_store_json_rows(s, st, agent_json, NULL, out, NULL, "jobs: agents");
  bg_buf_puts(out, "]}");
  return rc;
}

int bg_jobs_store_testbeds(struct bg_store *s, long long project_id, struct bg_jobs_testbed *tb,
                           size_t max, size_t *n) {
  sqlite3_stmt *st = bg_store_stmt(s, &jobs_sql, J_TESTBEDS);
  *n = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, project_id);
  sqlite3_bind_int64(st, 2, (long long)max);
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    tb[*n].id = sqlite3_column_int64(st, 0);
    bg_store_copy_text(tb[*n].name, sizeof tb[*n].name, bg_store_col_text(st, 1));
    (*n)++;
  }
  int rc = r == SQLITE_DONE ? BG_OK : bg_store_fail(s, "jobs: testbeds");
  bg_store_done(st);
  return rc;
}
