/* verdict.c: the gate inside benchgated: verdicts of uploads and of stored runs, their
 * answers, comparisons.
 *
 * lib/gate.c decides; baseline.c says on what (the baseline rule), decision_cache.c keeps what
 * decisions share, verdict_render.c writes the verdict object and verdict_store.c holds the
 * queries. This file puts a decision together: the candidate's items (a result each, matched
 * to the baseline's points by series through a keyed table, so the work is linear in the rows
 * read), the series' baseline starts and the commit's acknowledgements, the gate's items and
 * its verdict, which it stores with the run's row, opening a 'regression' alert (alerts.h) per
 * regressed result.
 *
 * An upload's verdict is decided from its payload, beside the insert, on a snapshot without
 * the run (bg_verdict_decide_payload, then bg_verdict_answer_bind and
 * bg_verdict_store_decision), with the database's shared decision cache. Everything else
 * decides stored runs (bg_verdict_update_run, bg_verdict_run_json) with a cache per
 * connection.
 *
 * A full verdict of 1 000 results is ~300 KB of JSON, more than the run's samples; the run
 * keeps only its head and what it was decided on (the baseline runs, the reference commit,
 * the thresholds' run), and every read renders the full verdict again from those with the
 * commit's current acknowledgements.
 */
#include "verdict.h"

#include "alerts.h"
#include "baseline.h"
#include "confirm.h"
#include "decision.h"
#include "decision_cache.h"
#include "events.h"
#include "gate.h"
#include "interleave.h"
#include "interleaved.h"
#include "mem.h"
#include "notify.h"
#include "verdict_render.h"
#include "verdict_store.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the verdicts of a database say besides the decision: the dashboard's address. */
struct settings {
  char public_url[1024];
};

static void *settings_create(void) {
  return bg_xcalloc(1, sizeof(struct settings));
}

static const struct bg_db_shared settings_kind = {"verdict settings", settings_create, free};

void bg_verdict_set_public_url(struct bg_db *db, const char *url) {
  struct settings *st = bg_db_shared(db, &settings_kind);
  snprintf(st->public_url, sizeof st->public_url, "%s", url ? url : "");
  size_t n = strlen(st->public_url);
  while (n && st->public_url[n - 1] == '/')
    st->public_url[--n] = '\0';
}

/* The dashboard's page of commit `sha` into url ("" without a public URL). */
static void commit_url(struct bg_store *s, const struct bg_project *p, const char *sha, char *url,
                       size_t n) {
  const struct settings *st = bg_db_shared(bg_store_database(s), &settings_kind);
  url[0] = '\0';
  if (st && st->public_url[0])
    snprintf(url, n, "%s/#/p/%s/c/%s", st->public_url, p->slug, sha);
}

/* 1 when fingerprint `fp` (JSON text, may be NULL) describes another machine than the newest
 * run of baseline b. */
static int fingerprint_moved(struct bg_store *s, const struct bg_baseline *b, const char *fp) {
  char *base = NULL;
  if (!fp || !b->n || bg_vstore_fingerprint(s, b->runs[0], &base) != BG_OK)
    return 0;
  int moved = bg_run_fingerprints_differ(base, fp);
  free(base);
  return moved;
}

/* The confirmation rule (lib/confirm.h) on decision d of `runs` runs against baseline b, for a
 * candidate measured on a machine of fingerprint `fp`. */
static void confirm(struct bg_store *s, struct bg_decision *d, const struct bg_project *p,
                    const struct bg_baseline *b, const char *fp, size_t runs, int confirmable) {
  bg_confirm_apply(d->v, runs, p->confirm_runs > 0 ? (size_t)p->confirm_runs : 0, confirmable,
                   fingerprint_moved(s, b, fp), NULL);
  /* A project that compares interleaved runs confirms that way too: a shift of the machine
   * that lasts through the re-runs slows the base as much as the head. The base is the
   * interleaved run's own, or else the newest baseline commit. */
  struct bg_gate_confirmation *c = &d->v->confirmation;
  const char *base = d->v->comparison.rounds ? d->v->comparison.base_sha : b->n ? b->shas[0] : NULL;
  if (p->comparison != BG_COMPARE_HISTORY && c->decision && !strcmp(c->decision, "needed") &&
      base && *base) {
    snprintf(c->base_sha, sizeof c->base_sha, "%s", base);
    c->rounds = p->interleave_rounds > 1 ? (size_t)p->interleave_rounds : BG_INTERLEAVE_DEFAULT_ROUNDS;
  }
}

/* Decides stored run `rid` against baseline b with the connection's cache; the thresholds
 * are those of run `th_run` (0: defaults). A confirmation is decided on its chain: the run
 * pooled with the confirmations before it, the first run only where none re-ran a series. */
static int decide(struct bg_store *s, const struct bg_project *p, long long rid, long long testbed,
                  const struct bg_baseline *b, int cuts, long long ack_commit, long long th_run,
                  struct bg_decision *d) {
  struct bg_decision_items *it = NULL;
  struct bg_gate_thresholds *th = NULL;
  struct bg_vstore_chain chain = {0};
  char *fp = NULL;
  int rc;
  memset(d, 0, sizeof *d);
  struct bg_dcache *cache = bg_dcache_of(s);
  if ((rc = bg_decision_stored(s, rid, &it)) == BG_OK &&
      (rc = bg_vstore_chain(s, rid, &chain)) == BG_OK &&
      (!chain.first ||
       (rc = bg_decision_pool(s, it, chain.first, chain.earlier, chain.n)) == BG_OK) &&
      (rc = bg_baseline_thresholds(s, th_run, NULL, &th)) == BG_OK) {
    bg_decision_thresholds_kept(it, th, cache, rid, th_run);
    rc = bg_decision_make(s, cache, p, it, testbed, b, cuts, ack_commit, th, d);
    if (rc == BG_OK)
      rc = bg_interleaved_apply_stored(s, p, rid, chain.earlier, chain.first ? chain.n : 0, d);
    if (rc == BG_OK && (rc = bg_vstore_fingerprint(s, rid, &fp)) == BG_OK)
      confirm(s, d, p, b, fp, chain.first ? chain.n + 2 : 1, chain.confirmable);
  }
  free(fp);
  free(chain.earlier);
  bg_gate_thresholds_free(th);
  bg_decision_items_recycle(it, cache);
  bg_decision_items_free(it);
  return rc;
}

/* ---- rendering and storing ---- */

/* A copy of a buffer's text that the caller frees with cJSON_free. */
static char *buf_text(struct bg_buf *b) {
  char *text = cJSON_malloc(b->len + 1);
  memcpy(text, b->data ? b->data : "", b->len + 1);
  return text;
}

/* The oldest commit of the level's window. */
static const char *first_sha(const struct bg_baseline *b) {
  size_t k = b->level && b->level < b->n ? b->level : b->n;
  return k ? b->shas[k - 1] : NULL;
}

/* What render writes (verdict_render.h). */
enum form {
  HEAD,   /* what runs.verdict keeps */
  FULL,   /* GET .../verdict */
  ANSWER, /* an upload's answer: full up to BG_VERDICT_ANSWER_FULL_MAX results, else a summary */
};

/* The path of the full verdict of commit `sha` on `testbed` (GET .../verdict). */
static void verdict_path(struct bg_buf *out, const struct bg_project *p, const char *sha,
                         const char *testbed) {
  static const char hex[] = "0123456789ABCDEF";
  bg_buf_printf(out, "/api/v1/projects/%s/commits/%s/verdict?testbed=", p->slug, sha);
  for (const unsigned char *c = (const unsigned char *)testbed; c && *c; c++) {
    if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
        *c == '-' || *c == '.' || *c == '_' || *c == '~') {
      bg_buf_append(out, (const char *)c, 1);
    } else {
      char esc[3] = {'%', hex[*c >> 4], hex[*c & 15]};
      bg_buf_append(out, esc, 3);
    }
  }
}

/* Appends verdict v of commit `sha` on `testbed` against baseline b of `base_branch` (NULL
 * for a comparison) in form `form`. */
static void render(struct bg_buf *buf, const struct bg_project *p, const char *sha,
                   const char *testbed, const char *base_branch, const struct bg_baseline *b,
                   const struct bg_gate_verdict *v, const char *url, enum form form) {
  const struct bg_gate_context ctx = {p->slug,
                                      sha,
                                      testbed,
                                      base_branch,
                                      first_sha(b),
                                      b->n ? b->shas[0] : NULL,
                                      url && url[0] ? url : NULL};
  if (form != ANSWER) {
    bg_verdict_render(buf, v, &ctx, form == FULL);
    return;
  }
  struct bg_buf path;
  bg_buf_init(&path, 0);
  verdict_path(&path, p, sha, testbed);
  bg_verdict_render_answer(buf, v, &ctx, path.data);
  bg_buf_free(&path);
}

/* render as text (caller frees with cJSON_free). */
static char *render_text(const struct bg_project *p, const char *sha, const char *testbed,
                         const char *base_branch, const struct bg_baseline *b,
                         const struct bg_gate_verdict *v, const char *url, enum form full) {
  struct bg_buf buf;
  bg_buf_init(&buf, 0);
  render(&buf, p, sha, testbed, base_branch, b, v, url, full);
  char *text = buf_text(&buf);
  bg_buf_free(&buf);
  return text;
}

/* Stores decision d of candidate c as its run's verdict (head text `head`), pins baseline b
 * and the thresholds' run, and opens an alert per regressed result that is neither
 * acknowledged nor ignored. */
/* Tells GitHub of a stored verdict (notify.h), in its transaction: the full verdict, Markdown
 * report included, rendered only for a project with a GitHub repository. */
static int notify_verdict(struct bg_store *s, const struct bg_project *p,
                          const struct bg_baseline_cand *c, const struct bg_decision *d,
                          const struct bg_baseline *b, long long now) {
  char url[1400];
  if (!p->github_repo[0])
    return BG_OK;
  commit_url(s, p, c->sha, url, sizeof url);
  char *full = render_text(p, c->sha, c->testbed, p->default_branch, b, d->v, url, FULL);
  int rc = bg_notify_verdict(s, p, c->sha, c->testbed, c->pr, full, now);
  cJSON_free(full);
  return rc;
}

static int store_verdict(struct bg_store *s, const struct bg_project *p,
                         const struct bg_baseline_cand *c, const struct bg_decision *d,
                         const char *head, const struct bg_baseline *b, long long th_run) {
  int rc;
  if ((rc =
           bg_vstore_set_verdict(s, c->rid, head, bg_gate_state_name(d->v->state), d->v->counts)) ||
      (rc = bg_vstore_pin(s, c->rid, b, th_run)))
    return rc;
  long long now = (long long)time(NULL);
  /* A verdict pending a confirmation opens no alert: the confirmation decides. */
  for (size_t i = 0; i < d->v->n && rc == BG_OK && d->v->state != BG_GATE_PENDING; i++) {
    const struct bg_gate_outcome *o = &d->v->outcomes[i];
    if (o->cls != BG_GATE_REGRESSED || o->acknowledged || o->ignored)
      continue;
    const struct bg_alert_key k = {p->id, c->testbed_id, d->bids[i], d->mids[i], c->commit_id};
    rc = bg_alerts_open_regression(s, &k, c->rid, o->change, o->change_lo, o->change_hi, now);
  }
  if (!rc) {
    struct bg_log_line l;
    bg_event_begin(bg_store_database(s), &l, "verdict_decided");
    bg_log_str(&l, "project", p->slug);
    bg_log_str(&l, "sha", c->sha);
    bg_log_str(&l, "testbed", c->testbed);
    bg_log_str(&l, "state", bg_gate_state_name(d->v->state));
    bg_log_int(&l, "run", c->rid);
    bg_log_end(&l);
  }
  return rc ? rc : notify_verdict(s, p, c, d, b, now);
}

/* A decision kept for storing and rendering after the upload's transaction. */
struct bg_verdict_answer {
  struct bg_project p;
  struct bg_baseline_cand c;
  long long th_run; /* BG_BASELINE_TH_SELF: the run's own thresholds, before it has an id */
  struct bg_baseline b;
  struct bg_decision d;
  struct bg_baseline_temps t;
  char url[1400];
  char *head; /* rendered ahead by bg_verdict_answer_render, or NULL */
};

/* A decision kept for its run: takes over b and d (left zeroed). */
static struct bg_verdict_answer *answer_of(struct bg_store *s, const struct bg_project *p,
                                           const struct bg_baseline_cand *c, long long th_run,
                                           struct bg_baseline *b, struct bg_decision *d) {
  struct bg_verdict_answer *a = bg_xcalloc(1, sizeof *a);
  a->p = *p;
  a->c = *c;
  a->th_run = th_run;
  a->b = *b;
  a->d = *d;
  commit_url(s, p, c->sha, a->url, sizeof a->url);
  memset(b, 0, sizeof *b);
  memset(d, 0, sizeof *d);
  return a;
}

static char *answer_render(const struct bg_verdict_answer *a, enum form full) {
  return render_text(&a->p, a->c.sha, a->c.testbed, a->p.default_branch, &a->b, a->d.v, a->url,
                     full);
}

void bg_verdict_answer_render(struct bg_verdict_answer *a) {
  if (!a->head)
    a->head = answer_render(a, HEAD);
}

void bg_verdict_answer_write(const struct bg_verdict_answer *a, struct bg_buf *out) {
  render(out, &a->p, a->c.sha, a->c.testbed, a->p.default_branch, &a->b, a->d.v, a->url, ANSWER);
}

char *bg_verdict_answer_text(const struct bg_verdict_answer *a) {
  return answer_render(a, FULL);
}

void bg_verdict_answer_free(struct bg_verdict_answer *a) {
  if (!a)
    return;
  bg_decision_free(&a->d);
  bg_baseline_free(&a->b);
  bg_baseline_temps_free(&a->t);
  cJSON_free(a->head);
  free(a);
}

/* {"state":"pending","commit":sha}: the verdict of a run stored before the gate existed. */
static char *pending_text(const char *sha) {
  struct bg_buf buf;
  bg_buf_init(&buf, 0);
  bg_buf_puts(&buf, "{\"state\":\"pending\",\"commit\":");
  bg_json_str(&buf, sha);
  bg_buf_puts(&buf, "}");
  char *text = buf_text(&buf);
  bg_buf_free(&buf);
  return text;
}

/* Judges stored run `rid`: with a fresh baseline selection (`select`, at upload) or with the
 * baseline and thresholds pinned at upload; stores the result when `keep`. The full verdict
 * text goes to *json when json is not NULL; with `later` the decision is handed over for
 * bg_verdict_answer_text (or bg_verdict_store_decision) instead. */
static int judge(struct bg_store *s, const struct bg_project *p, long long rid, int select,
                 int keep, enum form form, char **json, struct bg_verdict_answer **later) {
  struct bg_baseline_cand c;
  struct bg_baseline b = {0};
  struct bg_decision d = {0};
  char *head = NULL, url[1400];
  long long th_run = 0;
  int rc, found = 1;
  if (json)
    *json = NULL;
  if ((rc = bg_baseline_cand_stored(s, p, rid, &c)))
    goto out;
  if (select) {
    if ((rc = bg_baseline_select(s, p, &c, &b)) ||
        (rc = bg_baseline_thresholds_run(s, p, &c, &th_run)))
      goto out;
  } else if ((rc = bg_vstore_pinned(s, rid, &b, &th_run, &found))) {
    goto out;
  }
  if (!found) {
    if (json)
      *json = pending_text(c.sha);
    goto out;
  }
  if ((rc = decide(s, p, rid, c.testbed_id, &b, 1, c.commit_id, th_run, &d)))
    goto out;
  commit_url(s, p, c.sha, url, sizeof url);
  if (keep) {
    head = render_text(p, c.sha, c.testbed, p->default_branch, &b, d.v, url, HEAD);
    if ((rc = store_verdict(s, p, &c, &d, head, &b, th_run)))
      goto out;
  }
  if (json)
    *json = render_text(p, c.sha, c.testbed, p->default_branch, &b, d.v, url, form);
  if (later)
    *later = answer_of(s, p, &c, th_run, &b, &d);
out:
  cJSON_free(head);
  bg_decision_free(&d);
  bg_baseline_free(&b);
  return rc;
}

int bg_verdict_update_run(struct bg_store *s, const struct bg_project *p, long long rid,
                          struct bg_verdict_answer **answer) {
  if (answer)
    *answer = NULL;
  return judge(s, p, rid, 1, 1, FULL, NULL, answer);
}

int bg_verdict_rejudge_run(struct bg_store *s, const struct bg_project *p, long long rid,
                           char **json) {
  return judge(s, p, rid, 0, 1, FULL, json, NULL);
}

int bg_verdict_run_json(struct bg_store *s, const struct bg_project *p, long long rid,
                        char **json) {
  return judge(s, p, rid, 0, 0, FULL, json, NULL);
}

int bg_verdict_run_answer(struct bg_store *s, const struct bg_project *p, long long rid,
                          char **json) {
  return judge(s, p, rid, 0, 0, ANSWER, json, NULL);
}

int bg_verdict_decide_run(struct bg_store *s, const struct bg_project *p, long long rid,
                          struct bg_verdict_answer **answer) {
  *answer = NULL;
  return judge(s, p, rid, 1, 0, FULL, NULL, answer);
}

/* ---- an upload's decision, made from its payload before it is stored ---- */

int bg_verdict_decide_payload(struct bg_store *s, const struct bg_project *p,
                              const struct bg_run *run, const struct bg_verdict_row *rows,
                              long long now, struct bg_verdict_answer **answer) {
  struct bg_baseline_cand c;
  struct bg_baseline b = {0};
  struct bg_decision_items *it = NULL;
  struct bg_baseline_temps t = {0};
  struct bg_decision d = {0};
  struct bg_gate_thresholds *th = NULL;
  long long th_run = 0;
  int rc;
  *answer = NULL;
  if ((rc = bg_baseline_cand_payload(s, p, run, now, &c)) ||
      (rc = bg_baseline_select(s, p, &c, &b)) ||
      (rc = bg_baseline_thresholds_run(s, p, &c, &th_run)) ||
      (rc = bg_baseline_thresholds(s, th_run, run, &th)) ||
      (rc = bg_decision_payload(s, p, run, rows, &t, &it)))
    goto out;
  bg_decision_thresholds(it, th); /* outside the lock every upload's decision takes */
  struct bg_dcache *cache = bg_dcache_lock(bg_store_database(s));
  rc = bg_decision_make(s, cache, p, it, c.testbed_id, &b, 1, c.commit_id, th, &d);
  bg_decision_items_recycle(it, cache);
  bg_dcache_unlock(bg_store_database(s));
  if (rc || (rc = bg_interleaved_apply_payload(p, run, &d)))
    goto out;
  char *fp = run->fingerprint ? cJSON_PrintUnformatted(run->fingerprint) : NULL;
  confirm(s, &d, p, &b, fp, 1, run->confirmable); /* a confirmation: on its stored chain */
  cJSON_free(fp);
  *answer = answer_of(s, p, &c, th_run, &b, &d);
  (*answer)->t = t;
  memset(&t, 0, sizeof t);
out:
  bg_decision_free(&d);
  bg_baseline_free(&b);
  bg_gate_thresholds_free(th);
  bg_decision_items_free(it);
  bg_baseline_temps_free(&t);
  return rc;
}

int bg_verdict_answer_final(const struct bg_verdict_answer *a) {
  return a && a->d.v && a->d.v->state != BG_GATE_PENDING;
}

void bg_verdict_hold_decisions(struct bg_store *s, int hold) {
  if (hold)
    bg_dcache_lock(bg_store_database(s));
  else
    bg_dcache_unlock(bg_store_database(s));
}

void bg_verdict_cache_run(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                          long long rid, const struct bg_verdict_row *rows, size_t n) {
  if (!bg_baseline_admits(p, run->commit.branch, run->pull_request, rows, n))
    return;
  struct bg_dcache *cache = bg_dcache_lock(bg_store_database(s));
  bg_dcache_put(cache, rid, rows, n);
  bg_dcache_unlock(bg_store_database(s));
}

void bg_verdict_answer_bind(struct bg_verdict_answer *a, long long rid, long long commit_id,
                            long long epoch, long long branch_id, long long testbed_id,
                            const struct bg_verdict_row *rows, size_t nrows) {
  bg_baseline_cand_bind(&a->c, &a->b, &a->th_run, rid, commit_id, epoch, branch_id, testbed_id);
  for (size_t k = 0; a->d.v && k < a->d.v->n; k++)
    bg_baseline_temps_resolve(&a->t, &a->d.bids[k], &a->d.mids[k], rows, nrows);
}

int bg_verdict_pending(struct bg_store *s, long long rid, int *pending) {
  return bg_vstore_pending(s, rid, pending);
}

int bg_verdict_store_decision(struct bg_store *s, const struct bg_verdict_answer *a, int *stored) {
  int rc, pending;
  *stored = 0;
  if ((rc = bg_verdict_pending(s, a->c.rid, &pending)) || !pending)
    return rc;
  char *head = a->head ? NULL : answer_render(a, HEAD);
  if ((rc = store_verdict(s, &a->p, &a->c, &a->d, a->head ? a->head : head, &a->b, a->th_run)) ==
      BG_OK)
    *stored = 1;
  cJSON_free(head);
  return rc;
}

/* ---- reads ---- */

/* Resolves a testbed name (or the only testbed when NULL) to its id and name. */
static int resolve_testbed(struct bg_store *s, const struct bg_project *p, const char *name,
                           long long *id, char *name_out, size_t n, struct bg_ferr *e) {
  return bg_store_testbed_find(s, p->id, name, 1, id, name_out, n, e);
}

int bg_verdict_commit_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                           const char *testbed, struct bg_buf *out, struct bg_ferr *e) {
  long long cid, tb = 0, rid = 0;
  char tbname[80];
  int rc;
  if ((rc = bg_store_commit_find(s, p->id, sha, &cid, NULL)))
    return rc;
  if (!cid) {
    bg_ferr_set(e, "sha", "no run of this commit");
    return BG_ENOENT;
  }
  if (testbed && (rc = resolve_testbed(s, p, testbed, &tb, tbname, sizeof tbname, e)))
    return rc;
  if ((rc = bg_vstore_newest_run(s, cid, tb, &rid)))
    return rc;
  if (!rid) {
    bg_ferr_set(e, testbed ? "testbed" : "sha", "no run of this commit%s",
                testbed ? " on this testbed" : "");
    return BG_ENOENT;
  }
  char *text = NULL;
  if ((rc = bg_verdict_run_json(s, p, rid, &text)) == BG_OK)
    bg_buf_puts(out, text);
  cJSON_free(text);
  return rc;
}

int bg_verdict_commit_verdicts_json(struct bg_store *s, const struct bg_project *p, const char *sha,
                                    struct bg_buf *out) {
  long long cid, *rids = NULL;
  size_t n = 0;
  int rc;
  if ((rc = bg_store_commit_find(s, p->id, sha, &cid, NULL)))
    return rc;
  if (!cid)
    return BG_ENOENT;
  /* Collected first: rendering a verdict uses statements of its own. */
  rc = bg_vstore_newest_runs(s, cid, &rids, &n);
  bg_buf_puts(out, "[");
  for (size_t i = 0; i < n && rc == BG_OK; i++) {
    char *text = NULL;
    if ((rc = bg_verdict_run_json(s, p, rids[i], &text)) == BG_OK) {
      bg_buf_puts(out, i ? "," : "");
      bg_buf_puts(out, text);
    }
    cJSON_free(text);
  }
  bg_buf_puts(out, "]");
  free(rids);
  return rc;
}

int bg_verdict_compare_json(struct bg_store *s, const struct bg_project *p, const char *base,
                            const char *head, const char *testbed, struct bg_buf *out,
                            struct bg_ferr *e) {
  long long tb, bcid, hcid, window, noise, th_run;
  char tbname[80] = "", url[1400];
  struct bg_baseline b = {0}, h = {0};
  struct bg_decision d = {0};
  int rc;
  if ((rc = resolve_testbed(s, p, testbed, &tb, tbname, sizeof tbname, e)) ||
      (rc = bg_baseline_windows(s, p, &window, &noise)) ||
      (rc = bg_store_commit_find(s, p->id, base, &bcid, NULL)) ||
      (rc = bg_store_commit_find(s, p->id, head, &hcid, NULL)))
    goto out;
  if (bcid && (rc = bg_vstore_commit_runs(s, bcid, tb, window, &b)))
    goto out;
  if (hcid && (rc = bg_vstore_commit_runs(s, hcid, tb, 1, &h)))
    goto out;
  if (!b.n || !h.n) {
    bg_ferr_set(e, b.n ? "head" : "base", "no run of this commit on testbed %s", tbname);
    rc = BG_ENOENT;
    goto out;
  }
  b.ref_epoch = b.epochs[0];
  b.ref_commit = bcid;
  /* Two commits with a run or two each cannot show the run-to-run noise: the same stated
   * noise as `benchgate compare` with one BASE. */
  b.noise_cv = BG_GATE_COMPARE_NOISE_CV;
  if ((rc = bg_baseline_thresholds_run(s, p, NULL, &th_run)) ||
      (rc = decide(s, p, h.runs[0], tb, &b, 0, hcid, th_run, &d)))
    goto out;
  commit_url(s, p, head, url, sizeof url);
  render(out, p, head, tbname, NULL, &b, d.v, url, 1);
out:
  bg_decision_free(&d);
  bg_baseline_free(&b);
  bg_baseline_free(&h);
  return rc;
}
