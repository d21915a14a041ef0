/* test_baseline.c: baseline selection and verdicts of server/verdict.c on a real store.
 *
 * Runs are stored through bg_upload_run (which decides and stores each verdict as the server
 * does); baselines are checked through bg_verdict_baseline and
 * through the verdict JSON the upload answers.
 */
/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "ack.h"
#include "alerts.h"
#include "reads.h"
#include "baseline.h"
#include "decision_cache.h"
#include "store.h"
#include "store_private.h"
#include "upload.h"
#include "verdict.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"

struct spec {
  int commit;             /* sha(commit) */
  const char *branch;     /* default "main" */
  int minute;             /* commit time: 2026-11-20T10:<minute> */
  int pr;                 /* pull request number, 0 none */
  int fork;               /* baseline.sha = sha(fork) when > 0 */
  int parent;             /* parents: [sha(parent)] when > 0 */
  double level;           /* every benchmark's centre is level * (1 + b/10) */
  const char *thresholds; /* JSON or NULL */
};

static char *verdict_text_of(const char *answer) {
  const char *v = strstr(answer, ",\"verdict\":");
  assert_non_null(v);
  char *t = strdup(v + 11);
  t[strlen(t) - 1] = '\0'; /* the answer's closing brace */
  return t;
}

/* An upload decides its verdict from the payload, beside the insert; the same run decided
 * once stored, from its rows on a new connection, must come out the same, byte for byte. */
static void check_decided_as_stored(struct fixture *f, long long rid, const char *answer) {
  struct bg_store *fresh = NULL;
  struct bg_verdict_answer *a = NULL;
  char err[256];
  assert_int_equal(bg_store_open(f->path, &fresh, err, sizeof err), BG_OK);
  assert_int_equal(sqlite3_exec(bg_store_sqlite(fresh), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(bg_verdict_decide_run(fresh, &f->p, rid, &a), BG_OK);
  sqlite3_exec(bg_store_sqlite(fresh), "COMMIT", NULL, NULL, NULL);
  char *stored = bg_verdict_answer_text(a), *uploaded = verdict_text_of(answer);
  assert_string_equal(uploaded, stored);
  cJSON_free(stored);
  free(uploaded);
  bg_verdict_answer_free(a);
  bg_store_close(fresh);
}

/* Stores a run of 4 benchmarks x 5 samples with a deterministic ±0.3 % jitter. Returns its
 * runs.id and, when `answer` is not NULL, the upload's answer (caller frees). */
static long long put(struct fixture *f, const struct spec *sp, char **answer) {
  char json[8192], results[6000] = "", parents[64] = "", fork[80] = "", pr[32] = "", th[512] = "";
  size_t used = 0;
  int id = ++f->next_run;
  for (int b = 0; b < 4; b++) {
    double c = sp->level * (1 + b / 10.0);
    used += (size_t)snprintf(results + used, sizeof results - used,
                             "%s{\"benchmark\":\"bench_%d\",\"measure\":\"wall_time\","
                             "\"samples\":[%.6f,%.6f,%.6f,%.6f,%.6f]}",
                             b ? "," : "", b, c * (1 + 0.003 * ((id + b) % 3 - 1)),
                             c * (1 + 0.002 * ((id * 7 + b) % 3 - 1)), c * 1.001, c * 0.999,
                             c * (1 + 0.001 * ((id + 2 * b) % 3 - 1)));
  }
  if (sp->parent)
    snprintf(parents, sizeof parents, ",\"parents\":[\"%s\"]", sha(sp->parent));
  if (sp->fork)
    snprintf(fork, sizeof fork, ",\"baseline\":{\"sha\":\"%s\"}", sha(sp->fork));
  if (sp->pr)
    snprintf(pr, sizeof pr, ",\"pull_request\":%d", sp->pr);
  if (sp->thresholds)
    snprintf(th, sizeof th, ",\"thresholds\":%s", sp->thresholds);
  snprintf(json, sizeof json,
           "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-%012d\","
           "\"commit\":{\"sha\":\"%s\",\"branch\":\"%s\",\"timestamp\":"
           "\"2026-11-20T10:%02d:00Z\"%s}%s%s%s,\"testbed\":{\"name\":\"tb\"},\"results\":[%s]}",
           id, sha(sp->commit), sp->branch ? sp->branch : "main", sp->minute, parents, fork, pr, th,
           results);
  char *text = store_json(f, json, 1);
  sqlite3_stmt *st;
  char q[128];
  snprintf(q, sizeof q, "SELECT id FROM runs WHERE run_id = '00000000-0000-4000-8000-%012d'", id);
  assert_int_equal(sqlite3_prepare_v2(bg_store_sqlite(f->s), q, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  long long rid = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  check_decided_as_stored(f, rid, text);
  if (answer)
    *answer = text;
  else
    free(text);
  return rid;
}

/* The baseline of run rid as a string of commit numbers, newest first: "4,3,2". */
static void baseline_of(struct fixture *f, long long rid, char *out, size_t n) {
  struct bg_baseline b;
  assert_int_equal(bg_baseline_of_run(f->s, &f->p, rid, &b), BG_OK);
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < b.n; i++) {
    int k = -1;
    for (int c = 0; c < 256; c++)
      if (!strcmp(b.shas[i], sha(c)))
        k = c;
    used += (size_t)snprintf(out + used, n - used, "%s%d", i ? "," : "", k);
  }
  bg_baseline_free(&b);
}

/* The verdict object of an upload answer's text. */
static cJSON *verdict_of(const char *answer) {
  cJSON *root = cJSON_Parse(answer);
  assert_non_null(root);
  cJSON *v = cJSON_DetachItemFromObject(root, "verdict");
  cJSON_Delete(root);
  assert_true(cJSON_IsObject(v));
  return v;
}

static const char *state_of(const cJSON *v) {
  return cJSON_GetObjectItem(v, "state")->valuestring;
}

static void default_branch_takes_earlier_commits_newest_first_within_the_window(void **state) {
  struct fixture *f = *state;
  char got[256];
  assert_int_equal(
      sqlite3_exec(bg_store_sqlite(f->s), "UPDATE projects SET gate_window = 4, noise_window = 4",
                   NULL, NULL, NULL),
      SQLITE_OK);
  long long first = 0;
  for (int c = 1; c <= 5; c++) {
    struct spec sp = {.commit = c, .minute = 2 * c, .level = 100};
    long long rid = put(f, &sp, NULL);
    if (c == 1)
      first = rid;
  }
  /* Two runs of commit 3 count as two runs. */
  struct spec again = {.commit = 3, .minute = 6, .level = 100};
  put(f, &again, NULL);
  struct spec six = {.commit = 6, .minute = 12, .level = 100};
  long long rid = put(f, &six, NULL);
  baseline_of(f, rid, got, sizeof got);
  assert_string_equal(got, "5,4,3,3");
  baseline_of(f, first, got, sizeof got);
  assert_string_equal(got, "");
  /* A late upload of an older commit sees only commits before it. */
  struct spec late = {.commit = 7, .minute = 5, .level = 100, .parent = 2};
  rid = put(f, &late, NULL);
  baseline_of(f, rid, got, sizeof got);
  assert_string_equal(got, "2,1");
}

static void the_noise_reads_further_back_than_the_level(void **state) {
  struct fixture *f = *state;
  char got[256], *answer = NULL;
  /* A stored noise_window below gate_window counts as gate_window. */
  assert_int_equal(sqlite3_exec(bg_store_sqlite(f->s),
                                "UPDATE projects SET gate_window = 2, noise_window = 1", NULL,
                                NULL, NULL),
                   SQLITE_OK);
  for (int c = 1; c <= 6; c++) {
    struct spec sp = {.commit = c, .minute = c, .level = 100};
    put(f, &sp, NULL);
  }
  struct spec seven = {.commit = 7, .minute = 7, .level = 100};
  baseline_of(f, put(f, &seven, NULL), got, sizeof got);
  assert_string_equal(got, "6,5");
  assert_int_equal(sqlite3_exec(bg_store_sqlite(f->s), "UPDATE projects SET noise_window = 5", NULL,
                                NULL, NULL),
                   SQLITE_OK);
  struct spec eight = {.commit = 8, .minute = 8, .level = 100};
  long long rid = put(f, &eight, &answer);
  baseline_of(f, rid, got, sizeof got);
  assert_string_equal(got, "7,6,5,4,3");
  /* The verdict: the level from the newest 2 runs, the noise from all 5; "first" is the
   * level's oldest commit. */
  cJSON *v = verdict_of(answer);
  cJSON *base = cJSON_GetObjectItem(v, "baseline");
  assert_int_equal(cJSON_GetObjectItem(base, "runs")->valueint, 2);
  assert_int_equal(cJSON_GetObjectItem(base, "noise_runs")->valueint, 5);
  assert_string_equal(cJSON_GetObjectItem(base, "first")->valuestring, sha(6));
  assert_string_equal(cJSON_GetObjectItem(base, "last")->valuestring, sha(7));
  cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "results"), 0);
  cJSON *rb = cJSON_GetObjectItem(r0, "baseline");
  assert_int_equal(cJSON_GetObjectItem(rb, "runs")->valueint, 2);
  assert_int_equal(cJSON_GetObjectItem(rb, "noise_runs")->valueint, 5);
  cJSON_Delete(v);
  free(answer);
  /* The pinned verdict renders the same windows later, though the project's changed since. */
  assert_int_equal(sqlite3_exec(bg_store_sqlite(f->s),
                                "UPDATE projects SET gate_window = 3, noise_window = 3", NULL,
                                NULL, NULL),
                   SQLITE_OK);
  char *again = NULL;
  assert_int_equal(bg_verdict_run_json(f->s, &f->p, rid, &again), BG_OK);
  cJSON *w = cJSON_Parse(again);
  assert_non_null(w);
  base = cJSON_GetObjectItem(w, "baseline");
  assert_int_equal(cJSON_GetObjectItem(base, "runs")->valueint, 2);
  assert_int_equal(cJSON_GetObjectItem(base, "noise_runs")->valueint, 5);
  cJSON_Delete(w);
  cJSON_free(again);
  /* The five consecutive run ids are pinned as one stretch; the explicit list of earlier
   * stores reads the same. */
  sqlite3_stmt *st;
  char q[160];
  snprintf(q, sizeof q, "SELECT input FROM run_gate_inputs WHERE run_id = %lld", rid);
  assert_int_equal(sqlite3_prepare_v2(bg_store_sqlite(f->s), q, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  char pinned[512], expect[64], list[128];
  snprintf(pinned, sizeof pinned, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  snprintf(expect, sizeof expect, "{\"runs\":[[%lld,5]],\"window\":2,", rid - 1);
  assert_true(strncmp(pinned, expect, strlen(expect)) == 0);
  snprintf(list, sizeof list, "{\"runs\":[%lld,%lld,%lld,%lld,%lld],\"window\":2,", rid - 1,
           rid - 2, rid - 3, rid - 4, rid - 5);
  char legacy[600], sql[800];
  snprintf(legacy, sizeof legacy, "%s%s", list, pinned + strlen(expect));
  snprintf(sql, sizeof sql, "UPDATE run_gate_inputs SET input = '%s' WHERE run_id = %lld", legacy,
           rid);
  assert_int_equal(sqlite3_exec(bg_store_sqlite(f->s), sql, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(bg_verdict_run_json(f->s, &f->p, rid, &again), BG_OK);
  w = cJSON_Parse(again);
  base = cJSON_GetObjectItem(w, "baseline");
  assert_int_equal(cJSON_GetObjectItem(base, "noise_runs")->valueint, 5);
  assert_string_equal(cJSON_GetObjectItem(base, "first")->valuestring, sha(6));
  cJSON_Delete(w);
  cJSON_free(again);
}

static void a_branch_reaches_up_to_and_including_its_fork_point(void **state) {
  struct fixture *f = *state;
  char got[256];
  for (int c = 1; c <= 4; c++) {
    struct spec sp = {.commit = c, .minute = c, .level = 100};
    put(f, &sp, NULL);
  }
  struct spec by_sha = {.commit = 20, .branch = "feature", .minute = 30, .fork = 2, .level = 100};
  baseline_of(f, put(f, &by_sha, NULL), got, sizeof got);
  assert_string_equal(got, "2,1");
  struct spec by_parent = {
      .commit = 21, .branch = "other", .minute = 31, .parent = 3, .level = 100};
  baseline_of(f, put(f, &by_parent, NULL), got, sizeof got);
  assert_string_equal(got, "3,2,1");
  /* Branch runs never become a default-branch baseline. */
  struct spec five = {.commit = 5, .minute = 40, .level = 100};
  baseline_of(f, put(f, &five, NULL), got, sizeof got);
  assert_string_equal(got, "4,3,2,1");
}

static void pull_request_runs_never_enter_a_default_branch_baseline(void **state) {
  struct fixture *f = *state;
  char got[256];
  struct spec one = {.commit = 1, .minute = 1, .level = 100};
  put(f, &one, NULL);
  /* A pull-request run labelled with the default branch (a merge ref) is judged like a
   * branch: against the history up to its fork point, and never becomes a baseline. */
  struct spec pr = {.commit = 2, .minute = 2, .pr = 7, .fork = 1, .level = 100};
  baseline_of(f, put(f, &pr, NULL), got, sizeof got);
  assert_string_equal(got, "1");
  struct spec pr2 = {.commit = 3, .branch = "feature", .minute = 3, .pr = 8, .level = 100};
  put(f, &pr2, NULL);
  struct spec four = {.commit = 4, .minute = 4, .level = 100};
  baseline_of(f, put(f, &four, NULL), got, sizeof got);
  assert_string_equal(got, "1");
}

/* The first result of a verdict named `bench`. */
static const cJSON *result_named(const cJSON *v, const char *bench) {
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(v, "results")) {
    if (!strcmp(cJSON_GetObjectItem(r, "benchmark")->valuestring, bench))
      return r;
  }
  fail_msg("no result %s", bench);
  return NULL;
}

static long long open_alert(struct fixture *f) {
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_alerts_json(f->s, &f->p, "open", &out), BG_OK);
  cJSON *root = cJSON_Parse(out.data);
  bg_buf_free(&out);
  const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "alerts"), 0);
  long long id = a ? (long long)cJSON_GetObjectItem(a, "id")->valuedouble : 0;
  cJSON_Delete(root);
  return id;
}

static void an_acknowledged_regression_passes_and_moves_the_series_baseline(void **state) {
  struct fixture *f = *state;
  char *answer;
  for (int c = 1; c <= 6; c++) {
    struct spec sp = {.commit = c, .minute = c, .level = 100};
    put(f, &sp, NULL);
  }
  /* Commit 7 is 30 % slower in every benchmark. */
  struct spec slow = {.commit = 7, .minute = 7, .level = 130};
  put(f, &slow, &answer);
  cJSON *v = verdict_of(answer);
  free(answer);
  assert_string_equal(state_of(v), "fail");
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "counts"), "regressed")->valueint, 4);
  cJSON_Delete(v);
  long long alert = open_alert(f);
  assert_true(alert > 0);
  /* Acknowledge one series: its result no longer fails, the others still do. */
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_ack_alert(f->s, &f->p, alert, "accepted", "test", &out), BG_OK);
  assert_non_null(strstr(out.data, "\"state\":\"acknowledged\""));
  bg_buf_reset(&out);
  assert_int_equal(bg_ack_alert(f->s, &f->p, alert, "again", "test", &out), BG_ECONFLICT);
  /* Acknowledge the rest. */
  long long next;
  while ((next = open_alert(f)) != 0) {
    bg_buf_reset(&out);
    assert_int_equal(bg_ack_alert(f->s, &f->p, next, "accepted", "test", &out), BG_OK);
  }
  cJSON *root = cJSON_Parse(out.data);
  v = cJSON_GetObjectItem(root, "verdict");
  assert_string_equal(state_of(v), "pass");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(result_named(v, "bench_0"), "acknowledged")));
  cJSON_Delete(root);
  bg_buf_reset(&out);
  assert_int_equal(bg_verdict_commit_json(f->s, &f->p, sha(7), "tb", &out, NULL), BG_OK);
  assert_non_null(strstr(out.data, "\"state\":\"pass\""));
  bg_buf_free(&out);
  /* Commit 8 keeps the new level: its baseline starts at commit 7 for every series. */
  struct spec same = {.commit = 8, .minute = 8, .level = 130};
  put(f, &same, &answer);
  v = verdict_of(answer);
  free(answer);
  assert_string_equal(state_of(v), "pass");
  const cJSON *r = result_named(v, "bench_2");
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "baseline"), "runs")->valueint, 1);
  cJSON_Delete(v);
  /* A branch forked before the acknowledged commit keeps the older baseline. */
  struct spec old = {.commit = 30, .branch = "old", .minute = 9, .fork = 5, .level = 100};
  put(f, &old, &answer);
  v = verdict_of(answer);
  free(answer);
  r = result_named(v, "bench_2");
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "baseline"), "runs")->valueint, 5);
  assert_string_equal(state_of(v), "pass");
  cJSON_Delete(v);
}

static long long one_id(struct fixture *f, const char *sql) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(bg_store_sqlite(f->s), sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  long long id = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return id;
}

static int baseline_runs_of(const cJSON *v, const char *bench) {
  return cJSON_GetObjectItem(cJSON_GetObjectItem(result_named(v, bench), "baseline"), "runs")
      ->valueint;
}

static void a_change_point_start_cuts_that_series_only_and_never_moves_back(void **state) {
  struct fixture *f = *state;
  char *answer, q[160];
  for (int c = 1; c <= 6; c++) {
    struct spec sp = {.commit = c, .minute = c, .level = 100};
    put(f, &sp, NULL);
  }
  long long tb = one_id(f, "SELECT id FROM testbeds WHERE name = 'tb'");
  long long bench = one_id(f, "SELECT id FROM benchmarks WHERE name = 'bench_1'");
  long long wall = one_id(f, "SELECT id FROM measures WHERE slug = 'wall_time'");
  snprintf(q, sizeof q, "SELECT id FROM commits WHERE sha = '%s'", sha(4));
  long long c4 = one_id(f, q);
  snprintf(q, sizeof q, "SELECT id FROM commits WHERE sha = '%s'", sha(2));
  long long c2 = one_id(f, q);
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  assert_int_equal(bg_alerts_series_start(f->s, f->p.id, tb, bench, wall, c4, "changepoint"),
                   BG_OK);
  assert_int_equal(bg_alerts_series_start(f->s, f->p.id, tb, bench, wall, c2, "changepoint"),
                   BG_OK);
  assert_int_equal(bg_alerts_series_start(f->s, f->p.id, tb, bench, wall, c2, "other"), BG_EINVAL);
  assert_int_equal(bg_store_write_end(f->s, 1), BG_OK);
  struct spec seven = {.commit = 7, .minute = 7, .level = 100};
  put(f, &seven, &answer);
  cJSON *v = verdict_of(answer);
  free(answer);
  assert_int_equal(baseline_runs_of(v, "bench_1"), 3); /* commits 6, 5, 4 */
  assert_int_equal(baseline_runs_of(v, "bench_0"), 6);
  cJSON_Delete(v);
}

static void thresholds_come_only_from_the_default_branch(void **state) {
  struct fixture *f = *state;
  char *answer;
  for (int c = 1; c <= 6; c++) {
    struct spec sp = {.commit = c,
                      .minute = c,
                      .level = 100,
                      .thresholds = "{\"default\":{\"min_effect\":0.02}}"};
    put(f, &sp, NULL);
  }
  /* A pull request that tries to loosen its own gate still fails on a slowdown. */
  struct spec pr = {.commit = 40,
                    .branch = "loose",
                    .minute = 10,
                    .pr = 3,
                    .fork = 6,
                    .level = 130,
                    .thresholds = "{\"default\":{\"min_effect\":10},"
                                  "\"rules\":[{\"match\":\"*\",\"ignore\":true}]}"};
  put(f, &pr, &answer);
  cJSON *v = verdict_of(answer);
  free(answer);
  assert_string_equal(state_of(v), "fail");
  assert_true(cJSON_GetObjectItem(result_named(v, "bench_0"), "min_effect")->valuedouble < 0.05);
  cJSON_Delete(v);
  /* The default branch's own thresholds do apply: min_effect 10 there lets 30 % through. */
  struct spec main_loose = {
      .commit = 7, .minute = 7, .level = 130, .thresholds = "{\"default\":{\"min_effect\":10}}"};
  put(f, &main_loose, &answer);
  v = verdict_of(answer);
  free(answer);
  assert_string_equal(state_of(v), "pass");
  cJSON_Delete(v);
}

static void no_baseline_at_all_is_its_own_state_and_history_lists_verdicts(void **state) {
  struct fixture *f = *state;
  char *answer;
  struct spec one = {.commit = 1, .minute = 1, .level = 100};
  put(f, &one, &answer);
  cJSON *v = verdict_of(answer);
  free(answer);
  assert_string_equal(state_of(v), "no_baseline");
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "counts"), "new")->valueint, 4);
  cJSON_Delete(v);
  struct bg_history_query q = {NULL, NULL, NULL, 10};
  struct bg_buf out;
  struct bg_ferr e;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_reads_commits_json(f->s, &f->p, &q, &out, &e), BG_OK);
  assert_non_null(strstr(out.data, "\"verdict\":{\"state\":\"no_baseline\",\"counts\":"
                                   "{\"regressed\":0,\"inconclusive\":0,\"improved\":0,"
                                   "\"missing\":0,\"new\":4,"));
  bg_buf_free(&out);
}

static void compare_judges_head_against_the_base_commit_runs(void **state) {
  struct fixture *f = *state;
  struct spec a = {.commit = 1, .minute = 1, .level = 100};
  put(f, &a, NULL);
  put(f, &a, NULL);
  put(f, &a, NULL);
  struct spec b = {.commit = 2, .branch = "x", .minute = 2, .level = 150};
  put(f, &b, NULL);
  struct bg_buf out;
  struct bg_ferr e = {{0}, {0}};
  bg_buf_init(&out, 0);
  assert_int_equal(bg_verdict_compare_json(f->s, &f->p, sha(1), sha(2), NULL, &out, &e), BG_OK);
  cJSON *v = cJSON_Parse(out.data);
  assert_string_equal(state_of(v), "fail");
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "baseline"), "runs")->valueint, 3);
  cJSON_Delete(v);
  bg_buf_reset(&out);
  assert_int_equal(bg_verdict_compare_json(f->s, &f->p, sha(9), sha(2), NULL, &out, &e), BG_ENOENT);
  assert_string_equal(e.field, "base");
  bg_buf_free(&out);
}

/* Runs one SQL statement on the fixture's connection. */
static void sql(struct fixture *f, const char *q) {
  assert_int_equal(sqlite3_exec(bg_store_sqlite(f->s), q, NULL, NULL, NULL), SQLITE_OK);
}

/* The verdict member of an upload answer, as text (caller frees). */
/* What an upload that stopped after storing its run leaves: the run, no verdict, no alerts. */
static void interrupt(struct fixture *f, long long rid) {
  char q[256];
  snprintf(q, sizeof q,
           "UPDATE runs SET gate_input = '" BG_VERDICT_PENDING "', verdict = NULL, "
           "verdict_state = NULL WHERE id = %lld; DELETE FROM alerts WHERE run_id = %lld; "
           "DELETE FROM run_gate_inputs WHERE run_id = %lld",
           rid, rid, rid);
  sql(f, q);
}

static void an_interrupted_upload_is_settled_by_its_replay_and_at_start(void **state) {
  struct fixture *f = *state;
  char *first, *again, *json;
  int pending;
  for (int c = 1; c <= 4; c++) {
    struct spec base = {.commit = c, .minute = c, .level = 100};
    put(f, &base, NULL);
  }
  struct spec slow = {.commit = 5, .minute = 5, .level = 110};
  long long rid = put(f, &slow, &first);
  char *decided = verdict_text_of(first);
  assert_non_null(strstr(decided, "\"state\":\"fail\""));
  assert_int_equal(bg_verdict_pending(f->s, rid, &pending), BG_OK);
  assert_int_equal(pending, 0);

  /* The agent retries the upload whose answer it never got: the replay settles the run with
   * the same verdict and opens its alerts again. */
  interrupt(f, rid);
  assert_int_equal(bg_verdict_pending(f->s, rid, &pending), BG_OK);
  assert_int_equal(pending, 1);
  assert_int_equal(bg_verdict_run_json(f->s, &f->p, rid, &json), BG_OK);
  assert_non_null(strstr(json, "\"state\":\"pending\""));
  cJSON_free(json);
  f->next_run--; /* the same run_id and payload */
  assert_int_equal(put(f, &slow, &again), rid);
  char *replayed = verdict_text_of(again);
  assert_string_equal(replayed, decided);
  assert_int_equal(bg_verdict_pending(f->s, rid, &pending), BG_OK);
  assert_int_equal(pending, 0);
  assert_int_not_equal(open_alert(f), 0);
  free(again);
  free(replayed);

  /* The server restarts before anyone retried: it settles the run at start. */
  interrupt(f, rid);
  assert_int_equal(bg_upload_recover(f->s), BG_OK);
  assert_int_equal(bg_verdict_pending(f->s, rid, &pending), BG_OK);
  assert_int_equal(pending, 0);
  assert_int_equal(bg_verdict_run_json(f->s, &f->p, rid, &json), BG_OK);
  assert_string_equal(json, decided);
  assert_int_not_equal(open_alert(f), 0);
  cJSON_free(json);
  /* Nothing left to settle: a second start changes nothing. */
  assert_int_equal(bg_upload_recover(f->s), BG_OK);
  free(first);
  free(decided);
}

/* An upload keeps the run it stored in its connection's cache of baseline summaries; the next
 * verdicts must not differ from verdicts read from the database. Results of every kind: a
 * summary only, samples not all positive, zeros (-0 comes back from SQLite as 0). */
static void verdicts_from_cached_summaries_equal_verdicts_read_back(void **state) {
  struct fixture *f = *state;
  char err[256];
  long long last = 0;
  char *answer = NULL;
  for (int k = 1; k <= 8; k++) {
    char json[2048];
    double j = 1 + 0.004 * (k % 3 - 1) + (k == 8 ? 0.2 : 0);
    snprintf(json, sizeof json,
             "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-%012d\","
             "\"commit\":{\"sha\":\"%s\",\"branch\":\"main\",\"timestamp\":"
             "\"2026-11-20T10:%02d:00Z\"},\"testbed\":{\"name\":\"tb\"},\"results\":["
             "{\"benchmark\":\"pos\",\"measure\":\"wall_time\",\"samples\":[%.6f,%.6f,%.6f]},"
             "{\"benchmark\":\"sum\",\"measure\":\"wall_time\","
             "\"summary\":{\"n\":10,\"mean\":%.6f,\"stddev\":%.6f}},"
             "{\"benchmark\":\"neg\",\"measure\":\"delta\",\"unit\":\"ms\",\"direction\":\"lower\","
             "\"samples\":[%.6f,%.6f,-0.0]},"
             "{\"benchmark\":\"zero\",\"measure\":\"delta\",\"unit\":\"ms\",\"direction\":"
             "\"lower\",\"samples\":[-0.0,0,-0.0]}]}",
             k, sha(k), k, 100 * j, 101 * j, 99 * j, 50 * j, 0.5 * j, -3 * j, 2 * j);
    free(answer);
    answer = store_json(f, json, 1);
    last = k;
  }
  /* The last verdict was decided from cached summaries; a new connection reads them all. */
  struct bg_store *fresh = NULL;
  assert_int_equal(bg_store_open(f->path, &fresh, err, sizeof err), BG_OK);
  char *json = NULL, *decided = verdict_text_of(answer);
  assert_int_equal(bg_verdict_run_json(fresh, &f->p, last, &json), BG_OK);
  assert_string_equal(json, decided);
  assert_non_null(strstr(decided, "\"runs\":7"));
  assert_non_null(strstr(decided, "\"state\":\"fail\""));
  cJSON_free(json);
  bg_store_close(fresh);
  free(decided);
  free(answer);
}

/* The side connection keeps each series' baseline centres sorted from one upload to the
 * next (one insertion, one deletion). With windows of 3 (level) and 7 (noise) runs both
 * slide many times over 24 commits; pull-request runs in between judge against other
 * windows (their fork points), and a re-run of a commit against the same one: every verdict
 * must still equal the stored run's decided afresh on a new connection (put checks it). */
static void sorted_windows_kept_across_uploads_decide_as_sorted_afresh(void **state) {
  struct fixture *f = *state;
  assert_int_equal(sqlite3_exec(bg_store_sqlite(f->s),
                                "UPDATE projects SET gate_window = 3, noise_window = 7", NULL, NULL,
                                NULL),
                   SQLITE_OK);
  for (int c = 1; c <= 24; c++) {
    struct spec sp = {.commit = c, .minute = c, .level = 100 * (1 + 0.004 * ((c * 7) % 5))};
    put(f, &sp, NULL);
    if (c % 5 == 0) {
      struct spec pr = {.commit = 100 + c,
                        .branch = "topic",
                        .minute = c,
                        .pr = c,
                        .parent = c - 2,
                        .level = 101};
      put(f, &pr, NULL);
      put(f, &sp, NULL); /* a second run of commit c */
    }
  }
  char got[256];
  struct spec last = {.commit = 25, .minute = 25, .level = 100};
  baseline_of(f, put(f, &last, NULL), got, sizeof got);
  assert_string_equal(got, "24,23,22,21,20,20,19");
}

/* Holds upload decisions until run `run_id` is committed with its verdict pending. */
struct holder {
  struct bg_store *s; /* names the database */
  const char *path;
  int run_id;
  int saw_pending;
};

static void *hold_until_pending(void *arg) {
  struct holder *h = arg;
  sqlite3 *db;
  char q[256];
  snprintf(q, sizeof q,
           "SELECT gate_input FROM runs WHERE run_id = '00000000-0000-4000-8000-%012d'", h->run_id);
  bg_verdict_hold_decisions(h->s, 1);
  assert_int_equal(sqlite3_open(h->path, &db), SQLITE_OK);
  for (int i = 0; i < 5000 && !h->saw_pending; i++) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) == SQLITE_TEXT)
      h->saw_pending = !strcmp((const char *)sqlite3_column_text(st, 0), BG_VERDICT_PENDING);
    sqlite3_finalize(st);
    usleep(1000);
  }
  sqlite3_close(db);
  bg_verdict_hold_decisions(h->s, 0);
  return NULL;
}

/* A decision still running when the insert is done (other uploads keep the cores busy) is
 * not waited for under the write lock: the run commits with its verdict pending and the
 * verdict follows in a transaction of its own. The answer and the stored verdict are the
 * same as on the one-transaction path. */
static void a_slow_decision_stores_its_verdict_in_a_second_transaction(void **state) {
  struct fixture *f = *state;
  for (int c = 1; c <= 4; c++) {
    struct spec sp = {.commit = c, .minute = c, .level = c == 4 ? 120 : 100};
    struct holder h = {f->s, f->path, f->next_run + 1, 0};
    pthread_t t;
    if (c >= 3)
      assert_int_equal(pthread_create(&t, NULL, hold_until_pending, &h), 0);
    if (c >= 3)
      usleep(20000); /* the holder has the decisions before the upload starts */
    char *answer = NULL;
    long long rid = put(f, &sp, &answer); /* checks the answer against the stored run */
    if (c >= 3) {
      pthread_join(t, NULL);
      assert_true(h.saw_pending);
    }
    int pending = 1;
    assert_int_equal(bg_verdict_pending(f->s, rid, &pending), BG_OK);
    assert_false(pending);
    char *json = NULL, *uploaded = verdict_text_of(answer);
    assert_int_equal(bg_verdict_run_json(f->s, &f->p, rid, &json), BG_OK);
    assert_string_equal(json, uploaded);
    if (c == 4)
      assert_non_null(strstr(json, "\"state\":\"fail\""));
    cJSON_free(json);
    free(uploaded);
    free(answer);
  }
  /* The regression of commit 4 opened its alerts in the second transaction. */
  sqlite3_stmt *st;
  assert_int_equal(
      sqlite3_prepare_v2(bg_store_sqlite(f->s), "SELECT count(*) FROM alerts", -1, &st, NULL),
      SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 4);
  sqlite3_finalize(st);
}

/* The id of run `run_id` (its last 12 digits). */
static long long rid_of(struct fixture *f, int run_id) {
  sqlite3_stmt *st;
  char q[128];
  snprintf(q, sizeof q, "SELECT id FROM runs WHERE run_id = '00000000-0000-4000-8000-%012d'",
           run_id);
  assert_int_equal(sqlite3_prepare_v2(bg_store_sqlite(f->s), q, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  long long rid = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rid;
}

/* The upload decides before its new series have ids: the payload lists them out of the order
 * the store numbers them, mixes new and known benchmarks, brings a new measure whose
 * direction differs from the payload's later claim, a summary-only result and a re-run of a
 * stored commit. Each verdict must equal the stored run's, in content and order. */
static void a_verdict_decided_from_the_payload_equals_the_stored_runs(void **state) {
  struct fixture *f = *state;
  static const char *const results[] = {
      /* runs 1-3: two known series */
      "{\"benchmark\":\"zeta\",\"measure\":\"wall_time\",\"samples\":[%1$.4f,%2$.4f,%3$.4f]},"
      "{\"benchmark\":\"alpha\",\"measure\":\"wall_time\",\"samples\":[%2$.4f,%3$.4f,%1$.4f]}",
      /* runs 4-6: new benchmarks before known ones, a new "higher" measure first */
      "{\"benchmark\":\"mid\",\"measure\":\"ops\",\"unit\":\"1/s\",\"direction\":\"higher\","
      "\"samples\":[%1$.4f,%2$.4f,%3$.4f]},"
      "{\"benchmark\":\"zeta\",\"measure\":\"wall_time\",\"samples\":[%1$.4f,%2$.4f,%3$.4f]},"
      "{\"benchmark\":\"beta\",\"measure\":\"wall_time\",\"summary\":{\"n\":7,\"mean\":%1$.4f,"
      "\"stddev\":0.5}},"
      "{\"benchmark\":\"mid\",\"measure\":\"wall_time\",\"samples\":[%3$.4f,%2$.4f,%1$.4f]},"
      "{\"benchmark\":\"alpha\",\"measure\":\"wall_time\",\"samples\":[%2$.4f,%3$.4f,%1$.4f]}",
      /* run 7: the measure again with another direction (the stored one holds), alpha gone */
      "{\"benchmark\":\"mid\",\"measure\":\"ops\",\"unit\":\"1/s\",\"direction\":\"lower\","
      "\"samples\":[%1$.4f,%2$.4f,%3$.4f]},"
      "{\"benchmark\":\"zeta\",\"measure\":\"wall_time\",\"samples\":[%1$.4f,%2$.4f,%3$.4f]},"
      "{\"benchmark\":\"beta\",\"measure\":\"wall_time\",\"summary\":{\"n\":7,\"mean\":%1$.4f,"
      "\"stddev\":0.5}},"
      "{\"benchmark\":\"mid\",\"measure\":\"wall_time\",\"samples\":[%3$.4f,%2$.4f,%1$.4f]}"};
  for (int k = 1; k <= 8; k++) {
    char fmt[2048], json[4096], body[2048];
    double c = 100 * (1 + 0.002 * (k % 3)) * (k >= 7 ? 1.25 : 1);
    snprintf(fmt, sizeof fmt, "%s", results[k <= 3 ? 0 : k <= 6 ? 1 : 2]);
    snprintf(body, sizeof body, fmt, c, c * 1.001, c * 0.999);
    /* run 8 re-runs commit 7 */
    snprintf(json, sizeof json,
             "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-%012d\","
             "\"commit\":{\"sha\":\"%s\",\"branch\":\"main\",\"timestamp\":"
             "\"2026-11-20T10:%02d:00Z\"},\"testbed\":{\"name\":\"tb\"},\"results\":[%s]}",
             k, sha(k == 8 ? 7 : k), k == 8 ? 7 : k, body);
    char *answer = store_json(f, json, 1);
    check_decided_as_stored(f, rid_of(f, k), answer);
    if (k == 7) {
      /* ops is "higher" as first stored: 25 % more ops is an improvement, not a regression */
      cJSON *v = verdict_of(answer);
      assert_string_equal(state_of(v), "fail");
      cJSON *ops = cJSON_GetObjectItem(result_named(v, "mid"), "class");
      assert_non_null(ops);
      cJSON_Delete(v);
      assert_non_null(strstr(answer, "\"benchmark\":\"mid\",\"measure\":\"ops\",\"unit\":\"1/s\","
                                     "\"direction\":\"higher\",\"class\":\"improved\""));
      assert_non_null(strstr(answer, "\"benchmark\":\"alpha\",\"measure\":\"wall_time\","
                                     "\"unit\":\"ns\",\"direction\":\"lower\",\"class\":"
                                     "\"missing\""));
    }
    free(answer);
  }
}

/* The decision cache serves any window a project sets: with a noise window of 150 runs,
 * each upload past the 150th finds all 150 baseline runs in the shared cache and reads none
 * from the store (every verdict still equals its stored run's, decided afresh by put). */
static void a_long_noise_window_is_served_from_the_decision_cache(void **state) {
  struct fixture *f = *state;
  assert_int_equal(sqlite3_exec(bg_store_sqlite(f->s),
                                "UPDATE projects SET gate_window = 30, noise_window = 150", NULL,
                                NULL, NULL),
                   SQLITE_OK);
  struct bg_db *db = bg_store_database(f->s);
  struct bg_dcache_stats before, after;
  for (int c = 1; c <= 160; c++) {
    /* One commit time for all: the baseline is ordered by commit id then. */
    struct spec sp = {.commit = c, .minute = 1, .level = 100};
    if (c == 156)
      bg_dcache_stats(db, &before);
    put(f, &sp, NULL);
  }
  bg_dcache_stats(db, &after);
  assert_int_equal(after.reads - before.reads, 0);
  assert_int_equal(after.hits - before.hits, 5 * 150);
  assert_true(after.capacity >= 150);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          default_branch_takes_earlier_commits_newest_first_within_the_window, setup, teardown),
      cmocka_unit_test_setup_teardown(the_noise_reads_further_back_than_the_level, setup, teardown),
      cmocka_unit_test_setup_teardown(a_branch_reaches_up_to_and_including_its_fork_point, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(pull_request_runs_never_enter_a_default_branch_baseline,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          an_acknowledged_regression_passes_and_moves_the_series_baseline, setup, teardown),
      cmocka_unit_test_setup_teardown(thresholds_come_only_from_the_default_branch, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          a_change_point_start_cuts_that_series_only_and_never_moves_back, setup, teardown),
      cmocka_unit_test_setup_teardown(
          no_baseline_at_all_is_its_own_state_and_history_lists_verdicts, setup, teardown),
      cmocka_unit_test_setup_teardown(compare_judges_head_against_the_base_commit_runs, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(an_interrupted_upload_is_settled_by_its_replay_and_at_start,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(verdicts_from_cached_summaries_equal_verdicts_read_back,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(a_verdict_decided_from_the_payload_equals_the_stored_runs,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(sorted_windows_kept_across_uploads_decide_as_sorted_afresh,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(a_long_noise_window_is_served_from_the_decision_cache, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_slow_decision_stores_its_verdict_in_a_second_transaction,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
