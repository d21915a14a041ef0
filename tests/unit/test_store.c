/* test_store.c: the SQLite store: migrations, idempotent uploads, history, series, backup.
 *
 * Each test works on a fresh database file in its own temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "migrations.h"
#include "reads.h"
#include "run.h"
#include "series.h"
#include "store.h"
#include "store_private.h"
#include "upload.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"

/* A run payload: run_id suffix, commit sha character, timestamp, one sample value. */
static struct bg_run *make_run(int id, char sha_char, const char *ts, double sample) {
  char sha[41], json[1024];
  memset(sha, sha_char, 40);
  sha[40] = '\0';
  snprintf(json, sizeof json,
           "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-%012d\","
           "\"commit\":{\"sha\":\"%s\",\"branch\":\"main\",\"timestamp\":\"%s\"},"
           "\"testbed\":{\"name\":\"tb\"},\"results\":["
           "{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[%g,%g,%g]},"
           "{\"benchmark\":\"b\",\"measure\":\"wall_time\","
           "\"summary\":{\"n\":10,\"mean\":5,\"stddev\":1}}]}",
           id, sha, ts, sample, sample + 1, sample + 2);
  struct bg_run *run = NULL;
  struct bg_ferr e;
  assert_int_equal(bg_run_from_json(json, strlen(json), &run, &e), BG_OK);
  return run;
}

static void insert(struct fixture *f, struct bg_run *run, int expect_rc, int expect_replay) {
  struct bg_buf out;
  int replay = -1;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_upload_run(f->s, &f->p, run, &replay, &out), expect_rc);
  if (expect_rc == BG_OK) {
    assert_int_equal(replay, expect_replay);
    assert_non_null(strstr(out.data, run->run_id));
    assert_non_null(strstr(out.data, "\"verdict\":{\"state\":"));
  }
  bg_buf_free(&out);
  bg_run_free(run);
}

static void migrations_apply_from_empty_and_reopen_cleanly(void **state) {
  struct fixture *f = *state;
  char err[256];
  int latest = bg_migrations[bg_migrations_count - 1].version;
  assert_true(bg_migrations_count >= 1);
  assert_int_equal(bg_migrations[0].version, 1);
  assert_int_equal(bg_store_version(f->s), latest);
  /* A second connection finds the schema in place and applies nothing twice. */
  struct bg_store *again = NULL;
  assert_int_equal(bg_store_open(f->path, &again, err, sizeof err), BG_OK);
  assert_int_equal(bg_store_version(again), latest);
  assert_int_equal(bg_store_ping(again), BG_OK);
  struct bg_project p;
  assert_int_equal(bg_store_project_get(again, "demo", &p), BG_OK);
  assert_string_equal(p.default_branch, "main");
  bg_store_close(again);
}

/* 006 moves the pinned gate inputs out of the runs rows and keeps the pending marks. A
 * database at version 5 (made by the migrations before it) with three runs: decided, pending,
 * and stored before the gate. */
static void migration_006_moves_gate_inputs_and_keeps_pending_marks(void **state) {
  (void)state;
  char path[] = "/tmp/bg-m006-XXXXXX", err[256];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  for (size_t i = 0; i < bg_migrations_count && bg_migrations[i].version <= 5; i++)
    assert_int_equal(sqlite3_exec(db, bg_migrations[i].sql, NULL, NULL, NULL), SQLITE_OK);
  const char *rows =
      "PRAGMA user_version = 5;"
      "INSERT INTO projects (id, slug, created_at) VALUES (1, 'old', 0);"
      "INSERT INTO branches (id, project_id, name) VALUES (1, 1, 'main');"
      "INSERT INTO testbeds (id, project_id, name) VALUES (1, 1, 'tb');"
      "INSERT INTO commits (id, project_id, sha, epoch) VALUES (1, 1, 'aaaa', 0);"
      "INSERT INTO runs (id, project_id, run_id, commit_id, branch_id, testbed_id, commit_epoch,"
      " received_at, content_hash, gate_input) VALUES"
      " (1, 1, 'r1', 1, 1, 1, 0, 0, x'00', '{\"runs\":[],\"ref\":[0,1]}'),"
      " (2, 1, 'r2', 1, 1, 1, 0, 0, x'01', 'pending'),"
      " (3, 1, 'r3', 1, 1, 1, 0, 0, x'02', NULL);";
  assert_int_equal(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  struct bg_store *s = NULL;
  assert_int_equal(bg_store_open(path, &s, err, sizeof err), BG_OK);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(bg_store_sqlite(s),
                                      "SELECT r.id, r.gate_input, i.input FROM runs r LEFT JOIN "
                                      "run_gate_inputs i ON i.run_id = r.id ORDER BY r.id",
                                      -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_type(st, 1), SQLITE_NULL);
  assert_string_equal((const char *)sqlite3_column_text(st, 2), "{\"runs\":[],\"ref\":[0,1]}");
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 1), "pending");
  assert_int_equal(sqlite3_column_type(st, 2), SQLITE_NULL);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_type(st, 1), SQLITE_NULL);
  assert_int_equal(sqlite3_column_type(st, 2), SQLITE_NULL);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  bg_store_close(s);
  unlink(path);
}

static void refuses_a_database_newer_than_the_binary(void **state) {
  struct fixture *f = *state;
  char err[256], path[128];
  snprintf(path, sizeof path, "%s/new.db", f->dir);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  struct bg_store *s = NULL;
  assert_int_equal(bg_store_open(path, &s, err, sizeof err), BG_EDB);
  assert_null(s);
  assert_non_null(strstr(err, "newer"));
}

static void duplicate_project_is_eexist(void **state) {
  struct fixture *f = *state;
  assert_int_equal(bg_store_project_create(f->s, "demo", "o/r", "trunk", NULL), BG_EEXIST);
  struct bg_project p;
  assert_int_equal(bg_store_project_get(f->s, "nope", &p), BG_ENOENT);
}

static void replay_of_same_run_is_idempotent_and_changed_run_conflicts(void **state) {
  struct fixture *f = *state;
  insert(f, make_run(1, 'a', "2026-11-20T12:00:00Z", 100), BG_OK, 0);
  insert(f, make_run(1, 'a', "2026-11-20T12:00:00Z", 100), BG_OK, 1);
  insert(f, make_run(1, 'a', "2026-11-20T12:00:00Z", 101), BG_ECONFLICT, 0);
  /* The conflict left nothing behind: still one run on the commit. */
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(
      bg_reads_commit_json(f->s, &f->p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &out), BG_OK);
  assert_non_null(strstr(out.data, "\"results\":2"));
  assert_null(strstr(out.data, "000000000002"));
  bg_buf_free(&out);
}

static void a_later_run_completes_what_the_first_left_out(void **state) {
  struct fixture *f = *state;
  struct bg_run *bare = make_run(1, 'a', "2026-11-01T00:00:00Z", 10);
  free(bare->commit.timestamp);
  bare->commit.timestamp = NULL;
  insert(f, bare, BG_OK, 0);
  struct bg_run *full = make_run(2, 'a', "2026-11-01T00:00:00Z", 10);
  bg_run_set(&full->commit.message, "Speed up");
  insert(f, full, BG_OK, 0);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(
      bg_reads_commit_json(f->s, &f->p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &out), BG_OK);
  assert_non_null(strstr(out.data, "\"message\":\"Speed up\""));
  assert_non_null(strstr(out.data, "\"timestamp\":\"2026-11-01T00:00:00Z\""));
  bg_buf_free(&out);
}

static void stored_run_reads_back_with_samples_and_summary(void **state) {
  struct fixture *f = *state;
  insert(f, make_run(7, 'c', "2026-11-20T12:00:00Z", 1.5), BG_OK, 0);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_reads_run_json(f->s, &f->p, "00000000-0000-4000-8000-000000000007", &out),
                   BG_OK);
  assert_non_null(strstr(out.data, "\"samples\":[1.5,2.5,3.5]"));
  assert_non_null(strstr(out.data, "\"median\":2.5"));
  assert_non_null(strstr(out.data, "\"min\":1.5,\"median\":2.5,\"max\":3.5"));
  assert_non_null(strstr(out.data, "\"n\":10,\"mean\":5,\"stddev\":1,\"min\":null,"
                                   "\"median\":null,\"max\":null"));
  bg_buf_reset(&out);
  assert_int_equal(bg_reads_run_json(f->s, &f->p, "00000000-0000-4000-8000-000000000008", &out),
                   BG_ENOENT);
  bg_buf_free(&out);
}

static void min_and_max_come_from_unsorted_samples(void **state) {
  /* 004_diet.sql dropped the min and max columns: the run JSON finds them in the samples, and
   * renders -0 as the REAL column did (0). */
  struct fixture *f = *state;
  const char *json =
      "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-000000000009\","
      "\"commit\":{\"sha\":\"dddddddddddddddddddddddddddddddddddddddd\",\"branch\":\"main\"},"
      "\"testbed\":{\"name\":\"tb\"},\"results\":["
      "{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[4,9.25,-2,7,-2]},"
      "{\"benchmark\":\"z\",\"measure\":\"throughput\",\"samples\":[3,-0.0,1,-0.0]}]}";
  struct bg_run *run = NULL;
  struct bg_ferr e;
  assert_int_equal(bg_run_from_json(json, strlen(json), &run, &e), BG_OK);
  insert(f, run, BG_OK, 0);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_reads_run_json(f->s, &f->p, "00000000-0000-4000-8000-000000000009", &out),
                   BG_OK);
  assert_non_null(strstr(out.data, "\"min\":-2,\"median\":4,\"max\":9.25"));
  assert_non_null(strstr(out.data, "\"min\":0,\"median\":0.5,\"max\":3,"));
  bg_buf_free(&out);
}

/* Reads the decimal number at p (test helper; strtol with its end pointer unused). */
static int atoi_like(const char *p) {
  return (int)strtol(p, NULL, 10);
}

/* Counts occurrences of needle in hay. */
static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p++)
    n++;
  return n;
}

static void history_pages_newest_first_with_a_sha_cursor(void **state) {
  struct fixture *f = *state;
  /* Commits b..f with increasing timestamps, inserted out of order. */
  const char shas[] = "dbfce";
  const char *ts[] = {"2026-11-04T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-06T00:00:00Z",
                      "2026-11-03T00:00:00Z", "2026-11-05T00:00:00Z"};
  for (int i = 0; i < 5; i++)
    insert(f, make_run(10 + i, shas[i], ts[i], 10), BG_OK, 0);
  insert(f, make_run(20, 'f', "2026-11-06T00:00:00Z", 11), BG_OK, 0); /* 2nd run of f */
  struct bg_history_query q = {NULL, NULL, NULL, 2};
  struct bg_buf out;
  struct bg_ferr e;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_reads_commits_json(f->s, &f->p, &q, &out, &e), BG_OK);
  const char *page1 = out.data;
  assert_true(strstr(page1, "ffffffff") < strstr(page1, "eeeeeeee"));
  assert_non_null(strstr(page1, "\"runs\":2"));
  assert_non_null(strstr(page1, "\"next\":\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\""));
  q.before = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
  bg_buf_reset(&out);
  assert_int_equal(bg_reads_commits_json(f->s, &f->p, &q, &out, &e), BG_OK);
  assert_true(strstr(out.data, "dddddddd") < strstr(out.data, "cccccccc"));
  assert_int_equal(count(out.data, "\"sha\""), 2);
  q.before = "cccccccccccccccccccccccccccccccccccccccc";
  bg_buf_reset(&out);
  assert_int_equal(bg_reads_commits_json(f->s, &f->p, &q, &out, &e), BG_OK);
  assert_int_equal(count(out.data, "\"sha\""), 1);
  assert_non_null(strstr(out.data, "bbbbbbbb"));
  assert_non_null(strstr(out.data, "\"next\":null"));
  /* A cursor that is not in this history names the parameter. */
  q.before = "9999999999999999999999999999999999999999";
  bg_buf_reset(&out);
  assert_int_equal(bg_reads_commits_json(f->s, &f->p, &q, &out, &e), BG_EINVAL);
  assert_string_equal(e.field, "before");
  /* A branch or testbed the project does not have is not found, naming the parameter. */
  struct bg_history_query other = {"feature", NULL, NULL, 50};
  bg_buf_reset(&out);
  assert_int_equal(bg_reads_commits_json(f->s, &f->p, &other, &out, &e), BG_ENOENT);
  assert_string_equal(e.field, "branch");
  struct bg_history_query no_tb = {NULL, "no-such-testbed", NULL, 50};
  bg_buf_reset(&out);
  assert_int_equal(bg_reads_commits_json(f->s, &f->p, &no_tb, &out, &e), BG_ENOENT);
  assert_string_equal(e.field, "testbed");
  bg_buf_free(&out);
}

static void history_pages_through_commits_of_the_same_time(void **state) {
  struct fixture *f = *state;
  /* Same commit time: arrival order decides, latest first; a re-run moves a commit up. */
  insert(f, make_run(1, 'a', "2026-11-01T00:00:00Z", 10), BG_OK, 0);
  insert(f, make_run(2, 'b', "2026-11-01T00:00:00Z", 10), BG_OK, 0);
  insert(f, make_run(3, 'c', "2026-11-01T00:00:00Z", 10), BG_OK, 0);
  insert(f, make_run(4, 'a', "2026-11-01T00:00:00Z", 11), BG_OK, 0);
  const char *want = "acb";
  struct bg_history_query q = {"main", "tb", NULL, 1};
  struct bg_buf out;
  struct bg_ferr e;
  char cursor[41];
  bg_buf_init(&out, 0);
  for (int page = 0; page < 3; page++) {
    bg_buf_reset(&out);
    assert_int_equal(bg_reads_commits_json(f->s, &f->p, &q, &out, &e), BG_OK);
    assert_int_equal(count(out.data, "\"sha\""), 1);
    const char *sha = strstr(out.data, "\"sha\":\"") + 7;
    assert_int_equal(sha[0], want[page]);
    memcpy(cursor, sha, 40);
    cursor[40] = '\0';
    q.before = cursor;
  }
  bg_buf_reset(&out);
  assert_int_equal(bg_reads_commits_json(f->s, &f->p, &q, &out, &e), BG_OK);
  assert_string_equal(out.data, "{\"commits\":[],\"next\":null}");
  bg_buf_free(&out);
}

static void series_is_oldest_first_and_pools_runs_of_one_commit(void **state) {
  struct fixture *f = *state;
  insert(f, make_run(1, 'b', "2026-11-03T00:00:00Z", 30), BG_OK, 0);
  insert(f, make_run(2, 'a', "2026-11-01T00:00:00Z", 10), BG_OK, 0);
  insert(f, make_run(3, 'c', "2026-11-02T00:00:00Z", 20), BG_OK, 0);
  insert(f, make_run(4, 'c', "2026-11-02T00:00:00Z", 22), BG_OK, 0);
  struct bg_series_query q = {"a", "wall_time", NULL, NULL, 10, 0, 0};
  struct bg_buf out;
  struct bg_ferr e;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_series_json(f->s, &f->p, &q, &out, &e), BG_OK);
  const char *a = strstr(out.data, "aaaa"), *c = strstr(out.data, "cccc"),
             *b = strstr(out.data, "bbbb");
  assert_true(a && c && b && a < c && c < b);
  /* Commit c: samples 20,21,22 and 22,23,24 pooled: n 6, mean 22. */
  assert_non_null(strstr(out.data, "\"n\":6,\"mean\":22,"));
  assert_non_null(strstr(out.data, "\"change_points\":[],\"alerts\":[]"));
  /* limit keeps the latest commits. */
  q.limit = 1;
  bg_buf_reset(&out);
  assert_int_equal(bg_series_json(f->s, &f->p, &q, &out, &e), BG_OK);
  assert_non_null(strstr(out.data, "bbbb"));
  assert_null(strstr(out.data, "aaaa"));
  q.benchmark = "missing";
  bg_buf_reset(&out);
  assert_int_equal(bg_series_json(f->s, &f->p, &q, &out, &e), BG_ENOENT);
  assert_string_equal(e.field, "benchmark");
  bg_buf_free(&out);
}

static void benchmarks_list_latest_values(void **state) {
  struct fixture *f = *state;
  insert(f, make_run(1, 'a', "2026-11-01T00:00:00Z", 10), BG_OK, 0);
  insert(f, make_run(2, 'b', "2026-11-02T00:00:00Z", 40), BG_OK, 0);
  struct bg_buf out;
  struct bg_ferr e;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_series_benchmarks_json(f->s, &f->p, NULL, NULL, 0, &out, &e), BG_OK);
  assert_non_null(strstr(out.data, "\"mean\":41"));
  assert_null(strstr(out.data, "\"mean\":11"));
  assert_int_equal(count(out.data, "\"benchmark\""), 2);
  bg_buf_free(&out);
}

static void backup_copies_a_live_database(void **state) {
  struct fixture *f = *state;
  char err[256], path[128];
  insert(f, make_run(1, 'a', "2026-11-01T00:00:00Z", 10), BG_OK, 0);
  snprintf(path, sizeof path, "%s/copy.db", f->dir);
  assert_int_equal(bg_store_backup(f->path, path, err, sizeof err), BG_OK);
  struct bg_store *copy;
  assert_int_equal(bg_store_open(path, &copy, err, sizeof err), BG_OK);
  struct bg_buf out;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_reads_run_json(copy, &f->p, "00000000-0000-4000-8000-000000000001", &out),
                   BG_OK);
  bg_buf_free(&out);
  bg_store_close(copy);
}

struct writer {
  struct bg_db *db;
  const struct bg_project *p;
  int first;
  int failures;
};

/* Inserts 10 runs through this thread's own connection, then releases it. */
static void *write_runs(void *arg) {
  struct writer *w = arg;
  char err[256];
  struct bg_store *s = bg_db_thread(w->db, err, sizeof err);
  if (!s) {
    w->failures = 10;
    return NULL;
  }
  for (int i = 0; i < 10; i++) {
    struct bg_run *run = make_run(w->first + i, 'a' + (char)(i % 6), "2026-11-01T00:00:00Z", i);
    struct bg_buf out;
    int replay;
    bg_buf_init(&out, 0);
    if (bg_upload_run(s, w->p, run, &replay, &out) != BG_OK || replay)
      w->failures++;
    bg_buf_free(&out);
    bg_run_free(run);
  }
  bg_db_thread_release(w->db);
  return NULL;
}

static void concurrent_writers_on_their_own_connections_all_commit(void **state) {
  struct fixture *f = *state;
  pthread_t t[4];
  struct writer w[4];
  struct bg_db *db = NULL;
  char err[256];
  assert_int_equal(bg_db_open(f->path, &db, err, sizeof err), BG_OK);
  for (int i = 0; i < 4; i++) {
    w[i] = (struct writer){db, &f->p, 100 * (i + 1), 0};
    assert_int_equal(pthread_create(&t[i], NULL, write_runs, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  bg_db_close(db);
  for (int i = 0; i < 4; i++)
    assert_int_equal(w[i].failures, 0);
  struct bg_history_query q = {NULL, NULL, NULL, 50};
  struct bg_buf out;
  struct bg_ferr e;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_reads_commits_json(f->s, &f->p, &q, &out, &e), BG_OK);
  /* 40 runs over the 6 commits a..f. */
  assert_int_equal(count(out.data, "\"sha\""), 6);
  int total = 0;
  for (const char *p = out.data; (p = strstr(p, "\"runs\":")); p++)
    total += atoi_like(p + 7);
  assert_int_equal(total, 40);
  bg_buf_free(&out);
}

static void json_strings_are_escaped(void **state) {
  (void)state;
  struct bg_buf out;
  bg_buf_init(&out, 0);
  bg_json_str(&out, "a\"b\\c\n\x01");
  assert_string_equal(out.data, "\"a\\\"b\\\\c\\n\\u0001\"");
  bg_buf_reset(&out);
  bg_json_num(&out, 0.1);
  bg_buf_puts(&out, ",");
  bg_json_num(&out, 1.0 / 3);
  assert_string_equal(out.data, "0.1,0.33333333333333331");
  bg_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(migrations_apply_from_empty_and_reopen_cleanly, setup,
                                      teardown),
      cmocka_unit_test(migration_006_moves_gate_inputs_and_keeps_pending_marks),
      cmocka_unit_test_setup_teardown(refuses_a_database_newer_than_the_binary, setup, teardown),
      cmocka_unit_test_setup_teardown(duplicate_project_is_eexist, setup, teardown),
      cmocka_unit_test_setup_teardown(replay_of_same_run_is_idempotent_and_changed_run_conflicts,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(a_later_run_completes_what_the_first_left_out, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(stored_run_reads_back_with_samples_and_summary, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(min_and_max_come_from_unsorted_samples, setup, teardown),
      cmocka_unit_test_setup_teardown(history_pages_newest_first_with_a_sha_cursor, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(history_pages_through_commits_of_the_same_time, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(series_is_oldest_first_and_pools_runs_of_one_commit, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(benchmarks_list_latest_values, setup, teardown),
      cmocka_unit_test_setup_teardown(backup_copies_a_live_database, setup, teardown),
      cmocka_unit_test_setup_teardown(concurrent_writers_on_their_own_connections_all_commit, setup,
                                      teardown),
      cmocka_unit_test(json_strings_are_escaped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
