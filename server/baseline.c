/* baseline.c: the baseline rule of baseline.h, on the gate's storage (verdict_store.h). */
#include "baseline.h"

#include "mem.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bg_baseline_on_default(const struct bg_project *p, const char *branch, long long pr) {
  return !pr && branch && !strcmp(branch, p->default_branch);
}

int bg_baseline_cand_stored(struct bg_store *s, const struct bg_project *p, long long rid,
                            struct bg_baseline_cand *c) {
  struct bg_vstore_run r;
  memset(c, 0, sizeof *c);
  int rc = bg_vstore_run(s, rid, &r);
  if (rc)
    return rc;
  c->rid = rid;
  c->commit_id = r.commit_id;
  c->epoch = r.epoch;
  c->testbed_id = r.testbed_id;
  c->branch_id = r.branch_id;
  c->pr = r.pr;
  memcpy(c->sha, r.sha, sizeof c->sha);
  memcpy(c->branch, r.branch, sizeof c->branch);
  memcpy(c->testbed, r.testbed, sizeof c->testbed);
  memcpy(c->baseline_sha, r.baseline_sha, sizeof c->baseline_sha);
  c->on_default = bg_baseline_on_default(p, c->branch, c->pr);
  return BG_OK;
}

int bg_baseline_cand_payload(struct bg_store *s, const struct bg_project *p,
                             const struct bg_run *run, long long now, struct bg_baseline_cand *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->sha, sizeof c->sha, "%s", run->commit.sha ? run->commit.sha : "");
  snprintf(c->branch, sizeof c->branch, "%s", run->commit.branch ? run->commit.branch : "");
  snprintf(c->testbed, sizeof c->testbed, "%s", run->testbed ? run->testbed : "");
  snprintf(c->baseline_sha, sizeof c->baseline_sha, "%s",
           run->baseline_sha ? run->baseline_sha : "");
  c->pr = run->pull_request;
  c->on_default = bg_baseline_on_default(p, c->branch, c->pr);
  int rc = bg_store_commit_find(s, p->id, c->sha, &c->commit_id, &c->epoch);
  if (rc)
    return rc;
  if (!c->commit_id) {
    long long t;
    c->commit_id = BG_BASELINE_TEMP_COMMIT;
    c->epoch = run->commit.timestamp && bg_valid_timestamp(run->commit.timestamp, &t) ? t : now;
    c->run = run;
  }
  if ((rc = bg_store_testbed_id(s, p->id, c->testbed, &c->testbed_id, NULL)) == BG_OK)
    rc = bg_store_branch_id(s, p->id, c->branch, &c->branch_id);
  return rc;
}

void bg_baseline_cand_bind(struct bg_baseline_cand *c, struct bg_baseline *b, long long *th_run,
                           long long rid, long long commit_id, long long epoch, long long branch_id,
                           long long testbed_id) {
  c->rid = rid;
  c->commit_id = commit_id;
  c->epoch = epoch;
  c->branch_id = branch_id;
  c->testbed_id = testbed_id;
  c->run = NULL;
  if (*th_run == BG_BASELINE_TH_SELF)
    *th_run = rid;
  if (b->on_default) {
    b->ref_epoch = epoch;
    b->ref_commit = commit_id;
  }
}

static long long clamp_window(long long w) {
  return w < 1 ? 1 : w > BG_VERDICT_MAX_WINDOW ? BG_VERDICT_MAX_WINDOW : w;
}

int bg_baseline_windows(struct bg_store *s, const struct bg_project *p, long long *window,
                        long long *noise) {
  *window = BG_STORE_DEFAULT_WINDOW;
  *noise = BG_STORE_DEFAULT_NOISE_WINDOW;
  int rc = bg_vstore_windows(s, p->id, window, noise);
  *window = clamp_window(*window);
  *noise = clamp_window(*noise > *window ? *noise : *window);
  return rc;
}

#define FORK_PARENTS 8 /* the parents of a commit that are tried as its fork point */

/* The fork point of a branch run: baseline.sha, else the first parent that is a measured
 * default-branch commit. */
static int fork_point(struct bg_store *s, const struct bg_project *p,
                      const struct bg_baseline_cand *c, long long default_branch, long long *cid,
                      long long *epoch) {
  int rc = BG_OK;
  *cid = 0;
  if (c->baseline_sha[0] &&
      (rc = bg_vstore_fork(s, p->id, c->baseline_sha, default_branch, c->testbed_id, cid, epoch)))
    return rc;
  if (*cid)
    return BG_OK;
  /* The parents as a list of NUL-terminated shas: the payload's, or the stored commit's. */
  struct bg_buf shas;
  size_t n = 0;
  bg_buf_init(&shas, 0);
  if (c->run) {
    for (n = 0; n < c->run->commit.nparents; n++)
      bg_buf_append(&shas, c->run->commit.parents[n], strlen(c->run->commit.parents[n]) + 1);
  } else {
    rc = bg_store_commit_parents(s, c->commit_id, &shas, &n);
  }
  for (size_t i = 0, at = 0; i < n && i < FORK_PARENTS && !*cid && rc == BG_OK; i++) {
    rc = bg_vstore_fork(s, p->id, shas.data + at, default_branch, c->testbed_id, cid, epoch);
    at += strlen(shas.data + at) + 1;
  }
  bg_buf_free(&shas);
  return rc;
}

int bg_baseline_select(struct bg_store *s, const struct bg_project *p,
                       const struct bg_baseline_cand *c, struct bg_baseline *b) {
  long long defbr, level, window, cid = 0, epoch = 0;
  int rc;
  memset(b, 0, sizeof *b);
  /* Read as many runs as the noise uses; the gate takes the level from the newest `level`. */
  if ((rc = bg_store_branch_id(s, p->id, p->default_branch, &defbr)) ||
      (rc = bg_baseline_windows(s, p, &level, &window)))
    return rc;
  b->level = (size_t)level;
  b->on_default = c->on_default;
  if (b->on_default) {
    /* Earlier default-branch commits: (epoch, commit) strictly below the candidate's. */
    b->ref_epoch = c->epoch;
    b->ref_commit = c->commit_id;
    return defbr ? bg_vstore_base_runs(s, p->id, c->testbed_id, defbr, c->epoch, c->commit_id,
                                       window, b)
                 : BG_OK;
  }
  if (!defbr)
    return BG_OK;
  if ((rc = fork_point(s, p, c, defbr, &cid, &epoch)))
    return rc;
  if (cid) {
    /* Up to and including the fork point. */
    b->ref_epoch = epoch;
    b->ref_commit = cid;
    return bg_vstore_base_runs(s, p->id, c->testbed_id, defbr, epoch, cid + 1, window, b);
  }
  /* No known fork point: the default-branch history up to the candidate commit's time. */
  b->ref_epoch = c->epoch;
  b->ref_commit = 0;
  return bg_vstore_base_runs(s, p->id, c->testbed_id, defbr, c->epoch, LLONG_MAX, window, b);
}

int bg_baseline_of_run(struct bg_store *s, const struct bg_project *p, long long rid,
                       struct bg_baseline *b) {
  struct bg_baseline_cand c;
  memset(b, 0, sizeof *b);
  int rc = bg_baseline_cand_stored(s, p, rid, &c);
  if (rc == BG_OK && (rc = bg_baseline_select(s, p, &c, b)))
    bg_baseline_free(b);
  return rc;
}

int bg_baseline_thresholds_run(struct bg_store *s, const struct bg_project *p,
                               const struct bg_baseline_cand *c, long long *th_run) {
  long long defbr, epoch = 0;
  int rc;
  *th_run = 0;
  if ((rc = bg_store_branch_id(s, p->id, p->default_branch, &defbr)))
    return rc;
  if (defbr && (rc = bg_vstore_latest_run(s, p->id, defbr, th_run, &epoch)))
    return rc;
  /* An upload not stored yet is the latest default-branch run once stored when no such run
   * has a later commit (ties go to the newest run id: the upload's). */
  if (c && !c->rid && c->on_default && (!*th_run || c->epoch >= epoch))
    *th_run = BG_BASELINE_TH_SELF;
  return BG_OK;
}

int bg_baseline_thresholds(struct bg_store *s, long long th_run, const struct bg_run *run,
                           struct bg_gate_thresholds **th) {
  *th = NULL;
  if (th_run == BG_BASELINE_TH_SELF) {
    /* Thresholds were validated at upload; should they not parse, defaults apply. */
    if (run && run->thresholds && bg_gate_thresholds_parse(run->thresholds, th, NULL) != BG_OK)
      *th = NULL;
    return BG_OK;
  }
  if (!th_run)
    return BG_OK;
  char *text = NULL;
  int rc = bg_vstore_thresholds(s, th_run, &text);
  if (rc == BG_OK && text) {
    cJSON *j = cJSON_Parse(text);
    /* A stored document that does not parse gets the defaults. */
    if (bg_gate_thresholds_parse_stored(j, th) != BG_OK)
      *th = NULL;
    cJSON_Delete(j);
  }
  free(text);
  return rc;
}

int bg_baseline_admits(const struct bg_project *p, const char *branch, long long pr,
                       const struct bg_verdict_row *rows, size_t n) {
  if (!bg_baseline_on_default(p, branch, pr))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (isnan(rows[i].raw_center))
      return 0;
  return 1;
}

/* ---- summaries ---- */

/* The summary of a row whose raw_center is not NULL, from its columns (NAN for NULL). */
static void cols_summary(const struct bg_verdict_row *r, struct bg_gate_summary *g) {
  g->n = r->n;
  g->mean = r->mean;
  g->stddev = r->stddev;
  g->median = isnan(r->median) ? r->mean : r->median;
  /* No min/max columns since 004_diet.sql; the gate decides on neither. */
  g->min = g->max = g->median;
  g->log_center = r->log_center;
  g->log_w = r->log_w;
  g->all_positive = isfinite(g->log_center) ? 1 : 0;
  g->raw_center = r->raw_center;
  g->raw_w = r->raw_w;
  /* The one-sided centres, stored since 013_run_centres.sql (NULL before: none). */
  g->log_low = r->log_low;
  g->log_high = r->log_high;
  g->tail_n = isfinite(r->log_low) && isfinite(r->log_high) ? 1 : 0;
}

void bg_baseline_row_summary(const struct bg_vstore_result *r, struct bg_gate_summary *g) {
  if (!isnan(r->row.raw_center)) {
    cols_summary(&r->row, g);
    return;
  }
  if (r->samples && r->nsamples && bg_gate_summarize(r->samples, r->nsamples, g) == BG_OK)
    return;
  if (bg_gate_summarize_moments(r->row.n, r->row.mean, r->row.stddev, g) != BG_OK)
    bg_gate_summarize_moments(1, r->row.mean, 0, g);
}

void bg_baseline_payload_summary(const struct bg_result *r, const struct bg_verdict_row *row,
                                 struct bg_gate_summary *g) {
  struct bg_vstore_result st = {0};
  st.row = bg_vstore_as_stored(*row);
  /* A payload row without summary columns is stored with its samples, or is a summary. */
  if (isnan(st.row.raw_center) && !r->has_summary) {
    st.samples = r->samples;
    st.nsamples = r->nsamples;
  }
  bg_baseline_row_summary(&st, g);
}

/* ---- temporary series ids ---- */

void bg_baseline_temps_init(struct bg_baseline_temps *t, size_t n) {
  memset(t, 0, sizeof *t);
  t->bench = bg_xcalloc(n ? n : 1, sizeof *t->bench);
  t->measure = bg_xcalloc(n ? n : 1, sizeof *t->measure);
}

long long bg_baseline_temp_bench(struct bg_baseline_temps *t, size_t i) {
  t->bench[t->nbench] = i;
  return BG_BASELINE_TEMP_ID + (long long)t->nbench++;
}

long long bg_baseline_temp_measure(struct bg_baseline_temps *t, size_t i) {
  t->measure[t->nmeasure] = i;
  return BG_BASELINE_TEMP_ID + (long long)t->nmeasure++;
}

void bg_baseline_temps_resolve(const struct bg_baseline_temps *t, long long *bid, long long *mid,
                               const struct bg_verdict_row *rows, size_t nrows) {
  long long tb = *bid - BG_BASELINE_TEMP_ID, tm = *mid - BG_BASELINE_TEMP_ID;
  if (tb >= 0 && (size_t)tb < t->nbench && t->bench[tb] < nrows)
    *bid = rows[t->bench[tb]].bid;
  if (tm >= 0 && (size_t)tm < t->nmeasure && t->measure[tm] < nrows)
    *mid = rows[t->measure[tm]].mid;
}

void bg_baseline_temps_free(struct bg_baseline_temps *t) {
  free(t->bench);
  free(t->measure);
  memset(t, 0, sizeof *t);
}
