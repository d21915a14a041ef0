/* project_reads.h: the reads of projects the dashboard lists: each project with its latest
 * default-branch commit and that commit's verdict, one project with its testbeds and branches,
 * and the subject line of a commit message.
 *
 * Each writes its JSON answer into a caller's struct bg_buf, so the HTTP layer sends it as it
 * is.
 */
#ifndef BG_PROJECT_READS_H
#define BG_PROJECT_READS_H

#include "buf.h"
#include "store.h"

#include <stddef.h>

/* The most bytes of a commit subject: the first line of its message, cut on a UTF-8
 * boundary. */
#define BG_SUBJECT_MAX 120

/* Appends the subject of `message` as a JSON string (null when message is NULL). */
void bg_project_reads_subject_json(struct bg_buf *out, const char *message);

/* Appends [project, ...] (bg_store_project_json objects, by slug), each with "latest": the
 * newest commit of the default branch that has a run, {"sha","time","subject","verdict"}
 * (verdict: the combined state and counts GET /commits gives, or null), or null. Only project
 * only_id when it is not 0. One query for the list, then two per project (its row and its
 * latest run). BG_OK or BG_EDB. */
int bg_project_reads_list_json(struct bg_store *s, long long only_id, struct bg_buf *out);

/* Appends project p's object with "testbeds": [names, sorted] and "branches": [{"name",
 * "pull_request","last_time"}]: the default branch first, then the others by the commit time
 * of their newest run, newest first, at most BG_PROJECT_READS_BRANCHES. BG_OK or BG_EDB. */
#define BG_PROJECT_READS_BRANCHES 100
int bg_project_reads_detail_json(struct bg_store *s, const struct bg_project *p,
                                 struct bg_buf *out);

#endif
