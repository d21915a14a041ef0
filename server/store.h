/* store.h: projects, tokens, and the lookups of names the other storage modules share.
 *
 * A struct bg_store is one connection of a database (db.h). How a run is stored is in
 * store_runs.h, the reads of runs and history in reads.h, those of benchmarks and series in
 * series.h. Like every storage header, it speaks of ids, names and JSON text, never of
 * SQLite (docs/architecture.md, the storage seam).
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
  int pr_comments;      /* 1: the verdict of a pull request's run is also a comment on it */
  int confirm_runs;     /* confirmation runs a doubtful verdict may ask for (lib/confirm.h) */
  int comparison;       /* enum bg_compare_mode: what a pull request's run is compared with */
  int interleave_rounds; /* rounds its agents run for an interleaved run (lib/interleave.h) */
};

/* What a new project may set beside its names; 0 for any means the default. */
struct bg_project_settings {
  double alpha;
  int window, noise_window;
  int pr_comments;
  int confirm_runs; /* 0: the default (BG_CONFIRM_DEFAULT_RUNS); -1: none */
  int comparison;   /* enum bg_compare_mode (0: history) */
  int interleave_rounds; /* 0: the default (BG_INTERLEAVE_DEFAULT_ROUNDS) */
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

/* As bg_store_project_create, with the settings: alpha in (0, 1), a baseline window for the
 * level of at least 2 runs and one for the noise (raised to the level's when smaller), 0 for
 * any meaning the default (BG_STORE_DEFAULT_*); pull-request comments on or off. */
int bg_store_project_create_gated(struct bg_store *s, const char *slug, const char *github_repo,
                                  const char *default_branch, const struct bg_project_settings *set,
                                  struct bg_project *out);

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

/* ---- names: the lookups the reads, the run rows, change points and the gate share ---- */

/* The id of benchmark `name` of project `pid` as the connection's snapshot knows it (*id 0:
 * none yet), through the connection's id cache (store_runs.c). BG_OK or BG_EDB. */
int bg_store_benchmark_id(struct bg_store *s, long long pid, const char *name, long long *id);

/* A name the client gave that the project does not have: e names `what` ("no such testbed in
 * this project"). Returns BG_ENOENT. */
static inline int bg_store_no_such(struct bg_ferr *e, const char *what) {
  bg_ferr_set(e, what, "no such %s in this project", what);
  return BG_ENOENT;
}

/* The testbed a read names: `name`, or the project's only testbed when name is NULL. BG_OK
 * with its id in *id and its name in name_out[n]; when name is NULL and the project has no
 * testbed, BG_OK with *id 0 and name_out "" unless `required`. Errors naming "testbed":
 * BG_ENOENT (no testbed `name`, or none at all when required), BG_EINVAL (name NULL and the
 * project has several); BG_EDB. */
int bg_store_testbed_find(struct bg_store *s, long long project_id, const char *name, int required,
                          long long *id, char *name_out, size_t n, struct bg_ferr *e);

/* The id of testbed `name` of the project (*id 0: none) and, when `fingerprint` is not NULL,
 * its stored fingerprint in *fingerprint (JSON text to free(); NULL when it has none). BG_OK
 * or BG_EDB. */
int bg_store_testbed_id(struct bg_store *s, long long project_id, const char *name, long long *id,
                        char **fingerprint);

/* The id of branch `name` of the project (*id 0: none). BG_OK or BG_EDB. */
int bg_store_branch_id(struct bg_store *s, long long project_id, const char *name, long long *id);

/* Commit `sha` of the project: its *id (0: not stored) and, when epoch is not NULL, its
 * *epoch (the time runs are ordered by). BG_OK or BG_EDB. */
int bg_store_commit_find(struct bg_store *s, long long project_id, const char *sha, long long *id,
                         long long *epoch);

/* A measure as stored. */
struct bg_store_measure {
  long long id; /* 0: the project has no such measure */
  char unit[40];
  char direction[8]; /* "lower" or "higher" */
};

/* Measure `slug` of the project into *out. BG_OK or BG_EDB. */
int bg_store_measure_find(struct bg_store *s, long long project_id, const char *slug,
                          struct bg_store_measure *out);

/* The names of a series, as stored (sized for what an upload may store). */
struct bg_store_series_names {
  char benchmark[1025]; /* at most 1024 bytes (bg_valid_benchmark) */
  char measure[65];
  char unit[40];
  char direction[8]; /* "lower" or "higher" */
};

/* The names of series (benchmark_id, measure_id) into *out. BG_OK, or BG_EDB (also when
 * either id is unknown). */
int bg_store_series_names(struct bg_store *s, long long benchmark_id, long long measure_id,
                          struct bg_store_series_names *out);

/* The parents of commit `commit_id` in order: appends each sha with its NUL to `shas` and
 * counts them in *n. BG_OK or BG_EDB. */
int bg_store_commit_parents(struct bg_store *s, long long commit_id, struct bg_buf *shas,
                            size_t *n);

/* ---- tokens (hashing and roles live in auth.c) ---- */

/* A token row. project_id is 0 for a server-wide token. */
struct bg_token_row {
  long long id;
  long long project_id;
  char role[8];
  unsigned char hash[32];
  int revoked;
  char name[201]; /* "" when the token has none */
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
