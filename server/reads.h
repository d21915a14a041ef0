/* reads.h: the reads of a project's runs and history: one run with its results and samples,
 * pages of the commit history, one commit with its runs, and commits named by a sha prefix.
 *
 * Each writes its JSON answer into a caller's struct bg_buf, so the HTTP layer sends it as it
 * is. The benchmarks and series are in series.h.
 */
#ifndef BG_READS_H
#define BG_READS_H

#include "buf.h"
#include "error.h"
#include "store.h"

#include <stddef.h>

/* Appends the run (commit, testbed, metadata, results with samples) as JSON. BG_OK,
 * BG_ENOENT or BG_EDB. */
int bg_reads_run_json(struct bg_store *s, const struct bg_project *p, const char *run_id,
                      struct bg_buf *out);

/* A page of commit history. NULL filters are not applied. */
struct bg_history_query {
  const char *branch;  /* runs on this branch only */
  const char *testbed; /* runs on this testbed only */
  const char *before;  /* sha of the last commit of the previous page */
  int limit;           /* 1..BG_READS_HISTORY_MAX */
};
#define BG_READS_HISTORY_DEFAULT 50
#define BG_READS_HISTORY_MAX 500

/* Appends {"commits":[...],"next":sha|null}: commits with runs matching the filters, newest
 * first by commit time, then by the order their runs arrived. Each commit carries its run
 * count and verdict state (null until the gate exists). BG_OK; BG_EINVAL with e->field
 * "before" when the cursor is not in this history; BG_ENOENT with e->field "branch" or
 * "testbed" when the project has none of that name; BG_EDB. */
int bg_reads_commits_json(struct bg_store *s, const struct bg_project *p,
                          const struct bg_history_query *q, struct bg_buf *out, struct bg_ferr *e);

/* Appends the members "commit":{...},"runs":[...] of one commit (no enclosing braces: the
 * caller adds its verdicts and closes the object). BG_OK, BG_ENOENT, BG_EDB. */
int bg_reads_commit_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                         struct bg_buf *out);

/* Resolves a commit named by `prefix` (7-64 lowercase hex digits: a full sha or the start of
 * one) in project project_id: the commit whose sha equals it, else the only one that starts
 * with it. BG_OK with its sha in sha[shalen]; BG_ENOENT; BG_ECONFLICT when several start with
 * it (sha and other then hold two of them); BG_EDB. */
int bg_reads_commit_resolve(struct bg_store *s, long long project_id, const char *prefix, char *sha,
                            size_t shalen, char *other, size_t otherlen);

#endif
