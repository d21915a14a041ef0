/* test_changepoints_server.c: change points of server/changepoints.c on a real store.
 *
 * Runs are stored through bg_upload_run, which judges each run and then recomputes the
 * change points of its default-branch series inside the upload transaction, as the server
 * does. Change points and alerts are read back through GET .../series (bg_series_json),
 * the alert list and the series' baseline start.
 */
/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "ack.h"
#include "alerts.h"
#include "changepoints.h"
#include "series.h"
#include "store.h"
#include "store_private.h"
#include "store_runs.h"
#include "upload.h"
#include "verdict.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"

/* Stores a run of commit k (commit time k minutes after 10:00) on `branch` (NULL: main) with
 * two benchmarks: bench_0 centred on `level`, bench_1 always on 50. Each run's centre has a
 * deterministic noise-like run-to-run jitter of up to ±0.4 % and its five samples a ±0.2 %
 * spread. `thresholds` (JSON or NULL) goes into the run. */
static char *put_answer(struct fixture *f, int k, double level, const char *branch,
                        const char *thresholds, int answer) {
  char json[4096], results[2048] = "", th[256] = "";
  size_t used = 0;
  int id = ++f->next_run;
  for (int b = 0; b < 2; b++) {
    /* splitmix64 of (run, benchmark): noise-like, reproducible. */
    unsigned long long h = (unsigned long long)(id * 2 + b) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    double c = (b ? 50 : level) * (1 + 0.008 * ((double)(h >> 11) / 9007199254740992.0 - 0.5));
    used += (size_t)snprintf(results + used, sizeof results - used,
                             "%s{\"benchmark\":\"bench_%d\",\"measure\":\"wall_time\","
                             "\"samples\":[%.6f,%.6f,%.6f,%.6f,%.6f]}",
                             b ? "," : "", b, c * 0.998, c * 0.999, c, c * 1.001, c * 1.002);
  }
  if (thresholds)
    snprintf(th, sizeof th, ",\"thresholds\":%s", thresholds);
  snprintf(json, sizeof json,
           "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-%012d\","
           "\"commit\":{\"sha\":\"%s\",\"branch\":\"%s\",\"timestamp\":"
           "\"2026-11-20T%02d:%02d:00Z\"}%s,\"testbed\":{\"name\":\"tb\"},\"results\":[%s]}",
           id, sha(k), branch ? branch : "main", 10 + k / 60, k % 60, th, results);
  return store_json(f, json, answer);
}

static void put(struct fixture *f, int k, double level, const char *branch,
                const char *thresholds) {
  put_answer(f, k, level, branch, thresholds, 0);
}

/* GET .../series of benchmark `bench` on `branch` (NULL: default), parsed. */
static cJSON *series(struct fixture *f, const char *bench, const char *branch) {
  struct bg_series_query q = {
      .benchmark = bench, .measure = "wall_time", .branch = branch, .limit = 1000};
  struct bg_buf out;
  struct bg_ferr e;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_series_json(f->s, &f->p, &q, &out, &e), BG_OK);
  cJSON *root = cJSON_Parse(out.data);
  bg_buf_free(&out);
  assert_non_null(root);
  return root;
}

static const cJSON *change_points(const cJSON *root) {
  const cJSON *cps = cJSON_GetObjectItem(root, "change_points");
  assert_true(cJSON_IsArray(cps));
  return cps;
}

static const char *str(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItem(o, name);
  assert_true(cJSON_IsString(v));
  return v->valuestring;
}

static double num(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItem(o, name);
  assert_true(cJSON_IsNumber(v));
  return v->valuedouble;
}

static long long count(struct fixture *f, const char *sql) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(bg_store_sqlite(f->s), sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  long long n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

static long long changepoint_alerts(struct fixture *f) {
  return count(f, "SELECT count(*) FROM alerts WHERE kind = 'changepoint'");
}

/* Commits 1..20 at 100, then 21..30 at `after`. */
static void step_series(struct fixture *f, double after) {
  for (int k = 1; k <= 30; k++)
    put(f, k, k <= 20 ? 100 : after, NULL, NULL);
}

/* The baseline runs of bench_0 in an upload's answer. */
static int bench0_baseline_runs(const char *answer) {
  cJSON *root = cJSON_Parse(answer), *r;
  int runs = -1;
  assert_non_null(root);
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "verdict"), "results"))
    if (!strcmp(str(r, "benchmark"), "bench_0"))
      runs = (int)num(cJSON_GetObjectItem(r, "baseline"), "runs");
  cJSON_Delete(root);
  return runs;
}

/* An upload is judged against the series starts from before its own change-point screening,
 * however late its decision thread gets a core: the run whose screening finds the step (run
 * 24 finds it at commit 21) keeps its whole baseline, the next run's starts at commit 21. The
 * decision's snapshot is taken before the insert begins, so a decision thread that starts late
 * (the cores busy with other uploads, here made to sleep 30 ms) still cannot see it. */
static void an_upload_is_judged_before_its_own_screening(void **state) {
  struct fixture *f = *state, *late = NULL;
  setup((void **)&late);
  bg_upload_delay_decisions(bg_store_database(late->s), 30);
  for (int k = 1; k <= 25; k++) {
    double level = k <= 20 ? 100 : 101.2;
    char *now = put_answer(f, k, level, NULL, NULL, 1);
    char *later = put_answer(late, k, level, NULL, NULL, 1);
    int same = !strcmp(now, later), runs = bench0_baseline_runs(now);
    free(now);
    free(later);
    if (!same || (k == 24 && runs != 23) || (k == 25 && runs != 4)) {
      void *st = late;
      teardown(&st);
      fail_msg("commit %d: answers %s, bench_0 baseline of %d runs", k,
               same ? "equal" : "differ", runs);
    }
  }
  char q[200];
  snprintf(q, sizeof q,
           "SELECT count(*) FROM series_baseline s JOIN commits c ON c.id = s.start_commit_id "
           "WHERE c.sha = '%s'",
           sha(21));
  long long at21 = count(late, q);
  void *st = late;
  teardown(&st);
  assert_int_equal(at21, 1);
  assert_int_equal(count(f, q), 1);
}

static void a_step_gives_one_change_point_at_the_first_commit_of_the_new_level(void **state) {
  struct fixture *f = *state;
  step_series(f, 110);
  cJSON *root = series(f, "bench_0", NULL);
  const cJSON *cps = change_points(root);
  assert_int_equal(cJSON_GetArraySize(cps), 1);
  const cJSON *cp = cJSON_GetArrayItem(cps, 0);
  assert_string_equal(str(cp, "sha"), sha(21));
  assert_string_equal(str(cp, "last_sha"), sha(21));
  assert_string_equal(str(cp, "first_sha"), sha(20));
  assert_int_equal((int)num(cp, "index"), 20); /* points are oldest first: commit 21 is [20] */
  assert_true(num(cp, "change") > 0.09 && num(cp, "change") < 0.11);
  assert_true(num(cp, "before") > 99 && num(cp, "before") < 101);
  assert_true(num(cp, "after") > 109 && num(cp, "after") < 111);
  assert_true(num(cp, "score") > 0);
  cJSON_Delete(root);
  /* The flat series beside it has none. */
  root = series(f, "bench_1", NULL);
  assert_int_equal(cJSON_GetArraySize(change_points(root)), 0);
  cJSON_Delete(root);
}

static void a_spike_gives_no_change_point_and_no_alert(void **state) {
  struct fixture *f = *state;
  for (int k = 1; k <= 30; k++)
    put(f, k, k == 15 ? 130 : 100, NULL, NULL);
  cJSON *root = series(f, "bench_0", NULL);
  assert_int_equal(cJSON_GetArraySize(change_points(root)), 0);
  cJSON_Delete(root);
  assert_int_equal(changepoint_alerts(f), 0);
  assert_int_equal(count(f, "SELECT count(*) FROM series_baseline"), 0);
}

static void the_baseline_window_starts_at_the_new_level(void **state) {
  struct fixture *f = *state;
  step_series(f, 110);
  char q[400];
  snprintf(q, sizeof q,
           "SELECT count(*) FROM series_baseline s JOIN commits c ON c.id = s.start_commit_id "
           "JOIN benchmarks b ON b.id = s.benchmark_id WHERE b.name = 'bench_0' "
           "AND s.reason = 'changepoint' AND c.sha = '%s'",
           sha(21));
  assert_int_equal(count(f, q), 1);
  assert_int_equal(count(f, "SELECT count(*) FROM series_baseline s JOIN benchmarks b "
                            "ON b.id = s.benchmark_id WHERE b.name = 'bench_1'"),
                   0);
  /* The next commit's bench_0 baseline holds only the new level: commits 21..30. */
  put(f, 31, 110, NULL, NULL);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_verdict_commit_json(f->s, &f->p, sha(31), "tb", &out, NULL), BG_OK);
  cJSON *v = cJSON_Parse(out.data);
  bg_buf_free(&out);
  const cJSON *r;
  int seen = 0;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(v, "results")) {
    int runs = (int)num(cJSON_GetObjectItem(r, "baseline"), "runs");
    if (!strcmp(str(r, "benchmark"), "bench_0")) {
      assert_int_equal(runs, 10);
      seen++;
    } else {
      assert_int_equal(runs, 30);
    }
  }
  assert_int_equal(seen, 1);
  assert_string_equal(str(v, "state"), "pass");
  cJSON_Delete(v);
}

static void a_worsening_raises_exactly_one_alert_naming_the_range(void **state) {
  struct fixture *f = *state;
  step_series(f, 110);
  assert_int_equal(changepoint_alerts(f), 1);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_alerts_json(f->s, &f->p, "open", &out), BG_OK);
  cJSON *root = cJSON_Parse(out.data);
  const cJSON *a, *found = NULL;
  cJSON_ArrayForEach(a, cJSON_GetObjectItem(root, "alerts")) {
    if (!strcmp(str(a, "kind"), "changepoint"))
      found = a;
  }
  assert_non_null(found);
  assert_string_equal(str(found, "benchmark"), "bench_0");
  assert_string_equal(str(found, "first"), sha(20));
  assert_string_equal(str(found, "last"), sha(21));
  assert_string_equal(str(found, "commit"), sha(21));
  assert_true(num(found, "change") > 0.09);
  long long id = (long long)num(found, "id");
  cJSON_Delete(root);
  /* More commits at the new level, a second run of an old commit and an explicit
   * recomputation find the same change point again: no second alert. */
  for (int k = 31; k <= 40; k++)
    put(f, k, 110, NULL, NULL);
  put(f, 25, 110, NULL, NULL);
  long long tb = count(f, "SELECT id FROM testbeds WHERE name = 'tb'");
  long long bid = count(f, "SELECT id FROM benchmarks WHERE name = 'bench_0'");
  long long mid = count(f, "SELECT id FROM measures WHERE slug = 'wall_time'");
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  assert_int_equal(bg_changepoints_recompute(f->s, &f->p, tb, bid, mid), BG_OK);
  assert_int_equal(bg_store_write_end(f->s, 1), BG_OK);
  assert_int_equal(changepoint_alerts(f), 1);
  /* The series lists it; acknowledging it marks it accepted and re-evaluates no verdict. */
  root = series(f, "bench_0", NULL);
  assert_int_equal(cJSON_GetArraySize(change_points(root)), 1);
  int listed = 0;
  cJSON_ArrayForEach(a, cJSON_GetObjectItem(root, "alerts")) {
    if (!strcmp(str(a, "kind"), "changepoint") && (long long)num(a, "id") == id)
      listed++;
  }
  assert_int_equal(listed, 1);
  cJSON_Delete(root);
  bg_buf_reset(&out);
  assert_int_equal(bg_ack_alert(f->s, &f->p, id, "accepted: new parser", "test", &out), BG_OK);
  root = cJSON_Parse(out.data);
  assert_string_equal(str(cJSON_GetObjectItem(root, "alert"), "state"), "acknowledged");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(root, "verdict")));
  cJSON_Delete(root);
  bg_buf_free(&out);
  assert_int_equal(count(f, "SELECT count(*) FROM acknowledgements"), 0);
  put(f, 41, 110, NULL, NULL);
  assert_int_equal(changepoint_alerts(f), 1);
}

static void an_improvement_raises_no_alert(void **state) {
  struct fixture *f = *state;
  step_series(f, 90);
  cJSON *root = series(f, "bench_0", NULL);
  assert_int_equal(cJSON_GetArraySize(change_points(root)), 1);
  assert_true(num(cJSON_GetArrayItem(change_points(root), 0), "change") < -0.09);
  cJSON_Delete(root);
  assert_int_equal(changepoint_alerts(f), 0);
}

static void a_worsening_below_min_effect_raises_no_alert(void **state) {
  struct fixture *f = *state;
  /* A 4 % step against a project min_effect of 5 %. */
  for (int k = 1; k <= 30; k++)
    put(f, k, k <= 20 ? 100 : 104, NULL, "{\"default\":{\"min_effect\":0.05}}");
  cJSON *root = series(f, "bench_0", NULL);
  assert_int_equal(cJSON_GetArraySize(change_points(root)), 1);
  cJSON_Delete(root);
  assert_int_equal(changepoint_alerts(f), 0);
}

static void branch_runs_have_no_change_points(void **state) {
  struct fixture *f = *state;
  for (int k = 1; k <= 10; k++)
    put(f, k, 100, NULL, NULL);
  for (int k = 11; k <= 30; k++)
    put(f, k, k <= 20 ? 100 : 120, "feature", NULL);
  cJSON *root = series(f, "bench_0", "feature");
  assert_int_equal(cJSON_GetArraySize(change_points(root)), 0);
  cJSON_Delete(root);
  assert_int_equal(count(f, "SELECT count(*) FROM changepoints"), 0);
  assert_int_equal(changepoint_alerts(f), 0);
}

static void several_runs_of_one_commit_are_one_point(void **state) {
  struct fixture *f = *state;
  /* Two runs per commit; the step at commit 11 shows at index 10 of the per-commit points. */
  for (int k = 1; k <= 20; k++) {
    put(f, k, k <= 10 ? 100 : 110, NULL, NULL);
    put(f, k, k <= 10 ? 100 : 110, NULL, NULL);
  }
  cJSON *root = series(f, "bench_0", NULL);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "points")), 20);
  const cJSON *cps = change_points(root);
  assert_int_equal(cJSON_GetArraySize(cps), 1);
  assert_string_equal(str(cJSON_GetArrayItem(cps, 0), "sha"), sha(11));
  assert_int_equal((int)num(cJSON_GetArrayItem(cps, 0), "index"), 10);
  cJSON_Delete(root);
  assert_int_equal(changepoint_alerts(f), 1);
}

static void a_change_point_older_than_the_tail_is_kept(void **state) {
  struct fixture *f = *state;
  /* The step at commit 21 leaves the 128-run tail after commit 148; it stays stored. */
  for (int k = 1; k <= 170; k++)
    put(f, k, k <= 20 ? 100 : 110, NULL, NULL);
  cJSON *root = series(f, "bench_0", NULL);
  const cJSON *cps = change_points(root);
  assert_int_equal(cJSON_GetArraySize(cps), 1);
  assert_string_equal(str(cJSON_GetArrayItem(cps, 0), "sha"), sha(21));
  cJSON_Delete(root);
  assert_int_equal(changepoint_alerts(f), 1);
}

/* The verdict's and the change points' statements live side by side on one connection: a
 * decision from a payload followed by a change-point update on the same connection both find
 * their own SQL. */
static void a_decision_and_a_change_point_update_share_one_connection(void **state) {
  struct fixture *f = *state;
  for (int k = 1; k <= 5; k++)
    put(f, k, 100, NULL, NULL);
  const char *json =
      "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-000000000099\","
      "\"commit\":{\"sha\":\"%s\",\"branch\":\"main\"},\"testbed\":{\"name\":\"tb\"},"
      "\"results\":[{\"benchmark\":\"bench_0\",\"measure\":\"wall_time\","
      "\"samples\":[100,101,99]}]}";
  char text[1024];
  snprintf(text, sizeof text, json, sha(6));
  struct bg_run *run = NULL;
  struct bg_ferr e;
  assert_int_equal(bg_run_from_json(text, strlen(text), &run, &e), BG_OK);
  struct bg_verdict_row rows[1];
  bg_store_result_rows(run, rows);
  struct bg_verdict_answer *answer = NULL;
  sqlite3 *db = bg_store_sqlite(f->s);
  assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(bg_verdict_decide_payload(f->s, &f->p, run, rows, 0, &answer), BG_OK);
  assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
  bg_verdict_answer_free(answer);
  bg_run_free(run);
  long long rid = count(f, "SELECT max(id) FROM runs");
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  /* The transaction ends before the assertion: a failed test must not keep the write lock. */
  int rc = bg_changepoints_update_run(f->s, &f->p, rid);
  assert_int_equal(bg_store_write_end(f->s, rc == BG_OK), BG_OK);
  assert_int_equal(rc, BG_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(an_upload_is_judged_before_its_own_screening,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          a_step_gives_one_change_point_at_the_first_commit_of_the_new_level, setup, teardown),
      cmocka_unit_test_setup_teardown(a_spike_gives_no_change_point_and_no_alert, setup, teardown),
      cmocka_unit_test_setup_teardown(the_baseline_window_starts_at_the_new_level, setup, teardown),
      cmocka_unit_test_setup_teardown(a_worsening_raises_exactly_one_alert_naming_the_range, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(an_improvement_raises_no_alert, setup, teardown),
      cmocka_unit_test_setup_teardown(a_worsening_below_min_effect_raises_no_alert, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(branch_runs_have_no_change_points, setup, teardown),
      cmocka_unit_test_setup_teardown(several_runs_of_one_commit_are_one_point, setup, teardown),
      cmocka_unit_test_setup_teardown(a_change_point_older_than_the_tail_is_kept, setup, teardown),
      cmocka_unit_test_setup_teardown(a_decision_and_a_change_point_update_share_one_connection,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
