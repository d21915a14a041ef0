/* store.h: benchgated's SQLite store: projects, runs and their results, history, series.
 *
 * A struct bg_store is one connection of a database (db.h). Read functions write their JSON
 * answer into a caller's struct bg_buf, so the HTTP layer sends it as it is.
 */
#ifndef BG_STORE_H
#define BG_STORE_H

#include "buf.h"
#include "db.h"
#include "error.h"
#include "json.h"
#include "run.h"

#include <stddef.h>

struct bg_store;

/* A project as stored. */
struct bg_project {
  long long id;
  char slug[65];
  char github_repo[202]; /* "" when not set */
  char default_branch[256];
  double alpha;         /* the gate's false discovery rate */
  long long created_at; /* seconds since the epoch */
  int gate_window;      /* most baseline runs of a default-branch verdict */
  int noise_window;     /* most baseline runs for the run-to-run noise (>= gate_window) */
};

#define BG_STORE_DEFAULT_ALPHA 0.05
#define BG_STORE_DEFAULT_WINDOW 30
#define BG_STORE_DEFAULT_NOISE_WINDOW 100

/* Checks that the database answers a query. BG_OK or BG_EDB. */
int bg_store_ping(struct bg_store *s);

/* ---- projects ---- */

/* Creates a project; github_repo may be NULL, default_branch NULL means "main". The caller
 * validates the names. Returns BG_OK (and the project in *out when not NULL), BG_EEXIST when
 * the slug is taken, or BG_EDB. */
int bg_store_project_create(struct bg_store *s, const char *slug, const char *github_repo,
                            const char *default_branch, struct bg_project *out);

/* As bg_store_project_create, with the gate's settings: alpha in (0, 1), a baseline window
 * for the level of at least 2 runs and one for the noise (raised to the level's when
 * smaller); 0 for any means the default (BG_STORE_DEFAULT_*). */
int bg_store_project_create_gated(struct bg_store *s, const char *slug, const char *github_repo,
                                  const char *default_branch, double alpha, int window,
                                  int noise_window, struct bg_project *out);

/* Looks a project up by slug. BG_OK, BG_ENOENT or BG_EDB. */
int bg_store_project_get(struct bg_store *s, const char *slug, struct bg_project *out);

/* Looks a project up by id. BG_OK, BG_ENOENT or BG_EDB. */
int bg_store_project_by_id(struct bg_store *s, long long id, struct bg_project *out);

/* Appends the project as a JSON object to out. */
void bg_store_project_json(const struct bg_project *p, struct bg_buf *out);

/* Appends a JSON array of every project (or only project `only_id` when it is not 0), by
 * slug. BG_OK or BG_EDB. */
int bg_store_projects_json(struct bg_store *s, long long only_id, struct bg_buf *out);

/* ---- runs ---- */

/* Appends the run (commit, testbed, metadata, results with samples) as JSON. BG_OK,
 * BG_ENOENT or BG_EDB. */
int bg_store_run_json(struct bg_store *s, const struct bg_project *p, const char *run_id,
                      struct bg_buf *out);

/* A page of commit history. NULL filters are not applied. */
struct bg_history_query {
  const char *branch;  /* runs on this branch only */
  const char *testbed; /* runs on this testbed only */
  const char *before;  /* sha of the last commit of the previous page */
  int limit;           /* 1..BG_STORE_HISTORY_MAX */
};
#define BG_STORE_HISTORY_DEFAULT 50
#define BG_STORE_HISTORY_MAX 500

/* Appends {"commits":[...],"next":sha|null}: commits with runs matching the filters, newest
 * first by commit time, then by the order their runs arrived. Each commit carries its run
 * count and verdict state (null until the gate exists). BG_OK; BG_EINVAL with e->field
 * "before" when the cursor is not in this history; BG_ENOENT with e->field "branch" or
 * "testbed" when the project has none of that name; BG_EDB. */
int bg_store_commits_json(struct bg_store *s, const struct bg_project *p,
                          const struct bg_history_query *q, struct bg_buf *out, struct bg_ferr *e);

/* Appends the members "commit":{...},"runs":[...] of one commit (no enclosing braces: the
 * caller adds its verdicts and closes the object). BG_OK, BG_ENOENT, BG_EDB. */
int bg_store_commit_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                         struct bg_buf *out);

/* Resolves a commit named by `prefix` (7-64 lowercase hex digits: a full sha or the start of
 * one) in project project_id: the commit whose sha equals it, else the only one that starts
 * with it. BG_OK with its sha in sha[shalen]; BG_ENOENT; BG_ECONFLICT when several start with
 * it (sha and other then hold two of them); BG_EDB. */
int bg_store_commit_resolve(struct bg_store *s, long long project_id, const char *prefix, char *sha,
                            size_t shalen, char *other, size_t otherlen);

/* Appends {"testbed","branch","benchmarks":[{benchmark, measure, unit, direction, latest}]}:
 * every (benchmark, measure) seen in the latest BG_STORE_LATEST_RUNS runs on the testbed and
 * branch, with its latest value (the scan stops early once three runs in a row add nothing).
 * testbed NULL: the project's only testbed (BG_EINVAL naming "testbed" when it has several); branch
 * NULL: the default branch. BG_OK, BG_EINVAL, BG_ENOENT naming "testbed" or "branch" when a
 * name given is not the project's, BG_EDB. */
#define BG_STORE_LATEST_RUNS 50
int bg_store_benchmarks_json(struct bg_store *s, const struct bg_project *p, const char *testbed,
                             const char *branch, struct bg_buf *out, struct bg_ferr *e);

/* A trend query: one point per commit for (benchmark, measure) on testbed and branch. */
struct bg_series_query {
  const char *benchmark; /* required */
  const char *measure;   /* required */
  const char *testbed;   /* NULL: the project's only testbed */
  const char *branch;    /* NULL: the project's default branch */
  int limit;             /* latest `limit` commits, 1..BG_STORE_SERIES_MAX */
};
#define BG_STORE_SERIES_DEFAULT 1000
#define BG_STORE_SERIES_MAX 10000

/* Appends {"benchmark",...,"points":[{sha,time,mean,lower,upper,n}],"change_points":[...],
 * "alerts":[...]}, points oldest first; change points (default branch only) and the series'
 * alerts as changepoints_store.h lists them. Several runs of one commit are pooled into one
 * point; the interval is mean +- 1.96 stddev / sqrt(n). An unknown benchmark, measure, or a testbed
 * or branch given that the project does not have, gives BG_ENOENT with e->field naming it;
 * BG_EINVAL for an ambiguous testbed; BG_EDB. */
int bg_store_series_json(struct bg_store *s, const struct bg_project *p,
                         const struct bg_series_query *q, struct bg_buf *out, struct bg_ferr *e);

/* ---- tokens (hashing and roles live in auth.c) ---- */

/* A token row. project_id is 0 for a server-wide token. */
struct bg_token_row {
  long long id;
  long long project_id;
  char role[8];
  unsigned char hash[32];
  int revoked;
};

/* Inserts a token with its SHA-256 hash; project_id 0 for server-wide, name may be NULL.
 * BG_OK with the new id in *id, or BG_EDB. */
int bg_store_token_insert(struct bg_store *s, long long project_id, const char *role,
                          const char *name, const unsigned char hash[32], long long *id);

/* Finds the token with this hash. BG_OK, BG_ENOENT or BG_EDB. */
int bg_store_token_find(struct bg_store *s, const unsigned char hash[32], struct bg_token_row *out);

/* Appends one line per token (id, project, role, name, created, revoked; no secrets). */
int bg_store_token_list(struct bg_store *s, struct bg_buf *out);

/* Marks a token revoked. BG_OK, BG_ENOENT (no such token, or already revoked), BG_EDB. */
int bg_store_token_revoke(struct bg_store *s, long long id);

/* ---- maintenance ---- */

/* Copies the database at db_path to out_path with the online backup API while the server may
 * be writing. BG_OK, or BG_EDB/BG_EIO with the reason in err. */
int bg_store_backup(const char *db_path, const char *out_path, char *err, size_t errlen);

#endif
