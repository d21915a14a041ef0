/* test_jobs.c: the job queue's state machine (jobs.h): enqueue, supersede, dedupe, leases
 * oldest first, expiry, heartbeats, three failed attempts, completion by an upload, two
 * agents racing for one job, the next lapse a waiting lease wakes for, leases limited to named
 * projects (also past a long queue of another project) and the lease's length. The clock is the
 * `now` each call is given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jobs.h"
#include "run.h"
#include "store.h"
#include "upload.h"

#include <pthread.h>

#include "store_fixture.h"

#define T0 1700000000LL
#define SHA(c)                                                                                     \
  (c == 'a'   ? "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"                                         \
   : c == 'b' ? "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"                                         \
              : "cccccccccccccccccccccccccccccccccccccccc")

/* Uploads a run on testbed `tb` (which creates the testbed), naming job `job` (0: none). */
static char *upload(struct fixture *f, const char *tb, long long job, int answer) {
  char json[1024], job_member[48] = "";
  if (job)
    snprintf(job_member, sizeof job_member, "\"job_id\":%lld,", job);
  snprintf(json, sizeof json,
           "{\"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-%012d\","
           "\"commit\":{\"sha\":\"%s\",\"branch\":\"main\"},%s"
           "\"testbed\":{\"name\":\"%s\"},\"results\":[{\"benchmark\":\"a\","
           "\"measure\":\"wall_time\",\"samples\":[1,2,3]}]}",
           ++f->next_run, SHA('a'), job_member, tb);
  return store_json(f, json, answer);
}

static int setup_testbeds(void **state) {
  setup(state);
  struct fixture *f = *state;
  upload(f, "tb1", 0, 0);
  upload(f, "tb2", 0, 0);
  return 0;
}

/* Enqueues sha on the testbeds named (NULL-terminated; none: all) for pull request pr;
 * returns how many jobs were new, with the answer in *json (caller frees) when json is set. */
static int enqueue(struct fixture *f, char c, long long pr, const char *tb, int *rc_out,
                   char **json) {
  struct bg_jobs_request r = {.sha = SHA(c), .branch = "feature", .pull_request = pr};
  struct bg_buf out;
  struct bg_ferr e = {0};
  int created = 0;
  if (tb)
    r.testbeds[r.ntestbeds++] = tb;
  bg_buf_init(&out, 0);
  int rc = bg_jobs_enqueue(f->s, &f->p, &r, T0, &created, &out, &e);
  if (rc_out)
    *rc_out = rc;
  else
    assert_int_equal(rc, BG_OK);
  if (json)
    *json = out.data ? bg_buf_steal(&out) : NULL;
  bg_buf_free(&out);
  return created;
}

/* Leases as a lease request of a token of project_id (0: server-wide) does, with the default
 * lease length and no projects member. */
static int lease(struct bg_store *s, long long project_id, const char *agent, const char *testbed,
                 long long now, struct bg_job *j) {
  struct bg_jobs_lease_request r = {
      .agent = agent, .testbed = testbed, .project_id = project_id, .lease_s = BG_JOBS_LEASE_S};
  return bg_jobs_lease(s, &r, now, j);
}

static struct bg_job get(struct fixture *f, long long id, long long now) {
  struct bg_job j;
  assert_int_equal(bg_jobs_get(f->s, id, now, &j), BG_OK);
  return j;
}

static void test_enqueue_one_per_testbed_and_dedupe(void **state) {
  struct fixture *f = *state;
  char *json = NULL;
  assert_int_equal(enqueue(f, 'a', 0, NULL, NULL, &json), 2);
  assert_non_null(strstr(json, "\"testbed\":\"tb1\""));
  assert_non_null(strstr(json, "\"testbed\":\"tb2\""));
  assert_non_null(strstr(json, "\"state\":\"queued\""));
  free(json);
  /* The same sha while its jobs are open: the open jobs, nothing new. */
  assert_int_equal(enqueue(f, 'a', 0, NULL, NULL, NULL), 0);
  assert_int_equal(enqueue(f, 'a', 0, "tb1", NULL, NULL), 0);
  struct bg_job j = get(f, 1, T0);
  assert_string_equal(j.testbed, "tb1");
  assert_string_equal(j.sha, SHA('a'));
  assert_int_equal(bg_jobs_get(f->s, 3, T0, &j), BG_ENOENT);
}

static void test_unknown_testbed(void **state) {
  struct fixture *f = *state;
  int rc = 0;
  assert_int_equal(enqueue(f, 'a', 0, "nope", &rc, NULL), 0);
  assert_int_equal(rc, BG_ENOENT);
}

static void test_supersede_same_pull_request(void **state) {
  struct fixture *f = *state;
  assert_int_equal(enqueue(f, 'a', 7, "tb1", NULL, NULL), 1);
  assert_int_equal(enqueue(f, 'a', 8, "tb2", NULL, NULL), 1); /* another pull request */
  assert_int_equal(enqueue(f, 'b', 7, "tb1", NULL, NULL), 1);
  struct bg_job old = get(f, 1, T0), other = get(f, 2, T0), cur = get(f, 3, T0);
  assert_string_equal(old.state, "canceled");
  assert_string_equal(old.reason, "superseded by job 3");
  assert_string_equal(other.state, "queued");
  assert_string_equal(cur.state, "queued");
}

static void test_lease_oldest_first_and_204(void **state) {
  struct fixture *f = *state;
  struct bg_job j;
  enqueue(f, 'a', 0, "tb1", NULL, NULL);
  enqueue(f, 'b', 0, "tb1", NULL, NULL);
  enqueue(f, 'c', 0, "tb2", NULL, NULL);
  assert_int_equal(lease(f->s, 0, "ag1", "tb1", T0, &j), BG_OK);
  assert_int_equal(j.id, 1);
  assert_string_equal(j.state, "leased");
  assert_string_equal(j.agent, "ag1");
  assert_string_equal(j.project, "demo");
  assert_int_equal(j.attempts, 1);
  assert_int_equal(lease(f->s, 0, "ag2", "tb1", T0, &j), BG_OK);
  assert_int_equal(j.id, 2);
  assert_int_equal(lease(f->s, 0, "ag3", "tb1", T0, &j), BG_ENOENT);
  assert_int_equal(lease(f->s, 0, "ag3", "tb9", T0, &j), BG_ENOENT);
  /* A token of another project leases none of this project's jobs. */
  assert_int_equal(lease(f->s, f->p.id + 1, "ag3", "tb2", T0, &j), BG_ENOENT);
  assert_int_equal(lease(f->s, f->p.id, "ag3", "tb2", T0, &j), BG_OK);
  assert_int_equal(j.id, 3);
}

static void test_expiry_and_heartbeat(void **state) {
  struct fixture *f = *state;
  struct bg_job j;
  enqueue(f, 'a', 0, "tb1", NULL, NULL);
  assert_int_equal(lease(f->s, 0, "ag1", "tb1", T0, &j), BG_OK);
  /* Only the holder keeps the lease. */
  assert_int_equal(bg_jobs_heartbeat(f->s, 1, "ag2", BG_JOBS_LEASE_S, T0 + 10, &j), BG_ECONFLICT);
  assert_int_equal(bg_jobs_heartbeat(f->s, 1, "ag1", BG_JOBS_LEASE_S, T0 + 50, &j), BG_OK);
  assert_string_equal(j.state, "running");
  assert_int_equal(j.lease_expires, T0 + 50 + BG_JOBS_LEASE_S);
  /* Past the first expiry but within the renewed lease: still running. */
  j = get(f, 1, T0 + BG_JOBS_LEASE_S + 1);
  assert_string_equal(j.state, "running");
  /* The lease ran out: back to the queue on the next read, and the holder's heartbeat is
   * refused. */
  j = get(f, 1, T0 + 50 + BG_JOBS_LEASE_S);
  assert_string_equal(j.state, "queued");
  assert_string_equal(j.reason, "lease expired");
  assert_int_equal(bg_jobs_heartbeat(f->s, 1, "ag1", BG_JOBS_LEASE_S, T0 + 200, &j), BG_ECONFLICT);
  assert_int_equal(lease(f->s, 0, "ag2", "tb1", T0 + 200, &j), BG_OK);
  assert_int_equal(j.attempts, 2);
  assert_string_equal(j.agent, "ag2");
}

static void test_third_expiry_fails(void **state) {
  struct fixture *f = *state;
  struct bg_job j;
  long long now = T0;
  enqueue(f, 'a', 0, "tb1", NULL, NULL);
  for (int i = 1; i <= BG_JOBS_MAX_ATTEMPTS; i++) {
    assert_int_equal(lease(f->s, 0, "ag1", "tb1", now, &j), BG_OK);
    now += BG_JOBS_LEASE_S;
  }
  j = get(f, 1, now);
  assert_string_equal(j.state, "failed");
  assert_string_equal(j.reason, "lease expired");
  assert_int_equal(j.attempts, BG_JOBS_MAX_ATTEMPTS);
}

static void test_fail_three_times(void **state) {
  struct fixture *f = *state;
  struct bg_job j;
  enqueue(f, 'a', 0, "tb1", NULL, NULL);
  for (int i = 1; i <= BG_JOBS_MAX_ATTEMPTS; i++) {
    assert_int_equal(lease(f->s, 0, "ag1", "tb1", T0 + i, &j), BG_OK);
    assert_int_equal(j.attempts, i);
    assert_int_equal(bg_jobs_fail(f->s, 1, "ag2", "not mine", T0 + i, &j), BG_ECONFLICT);
    assert_int_equal(bg_jobs_fail(f->s, 1, "ag1", "build failed", T0 + i, &j), BG_OK);
    assert_string_equal(j.state, i < BG_JOBS_MAX_ATTEMPTS ? "queued" : "failed");
    assert_string_equal(j.reason, "build failed");
  }
  assert_int_equal(lease(f->s, 0, "ag1", "tb1", T0 + 9, &j), BG_ENOENT);
  assert_int_equal(bg_jobs_fail(f->s, 1, "ag1", "again", T0 + 9, &j), BG_ECONFLICT);
}

static void test_completion_by_upload_idempotent(void **state) {
  struct fixture *f = *state;
  struct bg_job j;
  enqueue(f, 'a', 0, "tb1", NULL, NULL);
  assert_int_equal(lease(f->s, 0, "ag1", "tb1", T0, &j), BG_OK);
  upload(f, "tb1", 1, 0);
  j = get(f, 1, T0);
  assert_string_equal(j.state, "done");
  long long run = j.run_id;
  assert_true(run > 0);
  /* The job is no one's any more, and completing it again (another run naming it) changes
   * nothing. */
  assert_int_equal(bg_jobs_heartbeat(f->s, 1, "ag1", BG_JOBS_LEASE_S, T0, &j), BG_ECONFLICT);
  upload(f, "tb1", 1, 0);
  j = get(f, 1, T0);
  assert_string_equal(j.state, "done");
  assert_int_equal(j.run_id, run);
  int completed = 1;
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  int rc = bg_jobs_complete(f->s, f->p.id, 1, run, T0, &completed);
  assert_int_equal(bg_store_write_end(f->s, 1), BG_OK);
  assert_int_equal(rc, BG_OK);
  assert_int_equal(completed, 0);
  /* A job_id nobody enqueued completes nothing and fails no upload. */
  upload(f, "tb1", 99, 0);
}

struct racer {
  const char *path, *agent;
  long long got;
  int rc;
};

static void *race(void *arg) {
  struct racer *r = arg;
  struct bg_store *s = NULL;
  struct bg_job j;
  char err[256];
  r->rc = bg_store_open(r->path, &s, err, sizeof err);
  if (!r->rc)
    r->rc = lease(s, 0, r->agent, "tb1", T0, &j);
  r->got = r->rc ? 0 : j.id;
  bg_store_close(s);
  return NULL;
}

static void test_two_agents_never_hold_one_job(void **state) {
  struct fixture *f = *state;
  enqueue(f, 'a', 0, "tb1", NULL, NULL);
  struct racer a = {f->path, "ag1", 0, 0}, b = {f->path, "ag2", 0, 0};
  pthread_t ta, tb;
  pthread_create(&ta, NULL, race, &a);
  pthread_create(&tb, NULL, race, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  /* One of them has job 1, the other (on its own database) got none. */
  assert_true((a.rc == BG_OK) != (b.rc == BG_OK));
  assert_int_equal(a.got + b.got, 1);
  assert_int_equal(a.rc ? a.rc : b.rc, BG_ENOENT);
}

/* The next lapse a waiting lease wakes up for: now + the lease length with no lease in force,
 * the earliest expiry of those in force when sooner, moved on by heartbeats and expiry. */
static void test_next_lapse(void **state) {
  struct fixture *f = *state;
  struct bg_job j;
  long long at = 0;
  assert_int_equal(bg_jobs_next_lapse(f->s, 30, T0, &at), BG_OK);
  assert_int_equal(at, T0 + 30); /* none in force: a lease taken from now lapses no sooner */
  enqueue(f, 'a', 0, "tb1", NULL, NULL);
  enqueue(f, 'b', 0, "tb2", NULL, NULL);
  assert_int_equal(lease(f->s, 0, "ag1", "tb1", T0, &j), BG_OK); /* lapses at T0 + 60 */
  assert_int_equal(bg_jobs_next_lapse(f->s, 30, T0, &at), BG_OK);
  assert_int_equal(at, T0 + 30);
  assert_int_equal(bg_jobs_next_lapse(f->s, 90, T0 + 10, &at), BG_OK);
  assert_int_equal(at, T0 + BG_JOBS_LEASE_S);
  assert_int_equal(lease(f->s, 0, "ag2", "tb2", T0 + 20, &j), BG_OK); /* at T0 + 80 */
  assert_int_equal(bg_jobs_heartbeat(f->s, 1, "ag1", BG_JOBS_LEASE_S, T0 + 40, &j), BG_OK);
  assert_int_equal(bg_jobs_next_lapse(f->s, 90, T0 + 40, &at), BG_OK);
  assert_int_equal(at, T0 + 20 + BG_JOBS_LEASE_S); /* job 1's lease moved past job 2's */
  /* Due but not yet expired: at or before now, so the waiter looks (and expires it) at once. */
  assert_int_equal(bg_jobs_next_lapse(f->s, 90, T0 + 85, &at), BG_OK);
  assert_true(at <= T0 + 85);
  assert_string_equal(get(f, 2, T0 + 85).state, "queued");
  assert_int_equal(bg_jobs_next_lapse(f->s, 90, T0 + 85, &at), BG_OK);
  assert_int_equal(at, T0 + 40 + BG_JOBS_LEASE_S);
}

/* Creates the project "other" with the testbed tb1 and enqueues sha `c` there: job `want`. */
static struct bg_project other_project_job(struct fixture *f, char c, long long want) {
  struct bg_project demo = f->p, other;
  assert_int_equal(bg_store_project_create(f->s, "other", NULL, NULL, &other), BG_OK);
  f->p = other;
  upload(f, "tb1", 0, 0);
  assert_int_equal(enqueue(f, c, 0, "tb1", NULL, NULL), 1);
  f->p = demo;
  assert_int_equal(get(f, want, T0).project_id, other.id);
  return other;
}

/* A lease request of a server-wide token (or of project_id's) limited to `projects` (a
 * NULL-terminated list). */
static struct bg_jobs_lease_request by_projects(long long project_id, const char *testbed,
                                                const char *const *projects) {
  struct bg_jobs_lease_request r = {.agent = "ag1",
                                    .testbed = testbed,
                                    .project_id = project_id,
                                    .by_project = 1,
                                    .lease_s = BG_JOBS_LEASE_S};
  while (projects[r.nprojects]) {
    r.projects[r.nprojects] = projects[r.nprojects];
    r.nprojects++;
  }
  return r;
}

static void test_lease_only_named_projects(void **state) {
  struct fixture *f = *state;
  struct bg_job j;
  struct bg_project other = other_project_job(f, 'a', 1); /* the oldest job, of "other" */
  enqueue(f, 'b', 0, "tb1", NULL, NULL);                  /* job 2, of "demo" */
  static const char *const demo[] = {"demo", NULL}, *const nobody[] = {"nope", NULL},
                           *const none[] = {NULL}, *const both[] = {"nope", "other", NULL};
  struct bg_jobs_lease_request r = by_projects(0, "tb1", nobody);
  /* A slug of no project is no error; it matches nothing, as an empty list does. */
  assert_int_equal(bg_jobs_lease(f->s, &r, T0, &j), BG_ENOENT);
  r = by_projects(0, "tb1", none);
  assert_int_equal(bg_jobs_lease(f->s, &r, T0, &j), BG_ENOENT);
  r = by_projects(0, "tb1", demo);
  assert_int_equal(bg_jobs_lease(f->s, &r, T0, &j), BG_OK);
  assert_int_equal(j.id, 2); /* demo's, though other's is older */
  assert_string_equal(j.project, "demo");
  /* A token of demo never leases other's job, whatever it names. */
  r = by_projects(f->p.id, "tb1", both);
  assert_int_equal(bg_jobs_lease(f->s, &r, T0, &j), BG_ENOENT);
  r = by_projects(0, "tb1", both);
  assert_int_equal(bg_jobs_lease(f->s, &r, T0, &j), BG_OK);
  assert_int_equal(j.id, 1);
  assert_int_equal(j.project_id, other.id);
}

static void test_lease_length_and_lease_seconds(void **state) {
  struct fixture *f = *state;
  struct bg_job j;
  struct bg_buf out;
  enqueue(f, 'a', 0, "tb1", NULL, NULL);
  struct bg_jobs_lease_request r = {.agent = "ag1", .testbed = "tb1", .lease_s = 7};
  assert_int_equal(bg_jobs_lease(f->s, &r, T0, &j), BG_OK);
  assert_int_equal(j.lease_expires, T0 + 7);
  bg_buf_init(&out, 0);
  bg_jobs_store_render(&j, &out);
  assert_non_null(strstr(out.data, "\"lease_seconds\":7,"));
  assert_int_equal(bg_jobs_heartbeat(f->s, 1, "ag1", 9, T0 + 5, &j), BG_OK);
  assert_int_equal(j.lease_expires, T0 + 14);
  bg_buf_reset(&out);
  bg_jobs_store_render(&j, &out);
  assert_non_null(strstr(out.data, "\"lease_seconds\":9,"));
  /* Past the lease: queued again, with no lease in force. */
  j = get(f, 1, T0 + 14);
  assert_string_equal(j.state, "queued");
  bg_buf_reset(&out);
  bg_jobs_store_render(&j, &out);
  assert_non_null(strstr(out.data, "\"lease_seconds\":null,"));
  bg_buf_free(&out);
}

/* 10 000 queued jobs of another project on the agent's testbed, older than any of its own:
 * a lease limited to its projects still answers at once (the queue's index, read oldest
 * first, with the project checked per job). */
static void test_lease_by_project_with_a_long_queue(void **state) {
  struct fixture *f = *state;
  struct bg_job j;
  other_project_job(f, 'a', 1);
  struct bg_job row = get(f, 1, T0);
  long long id;
  assert_int_equal(bg_store_write_begin(f->s), BG_OK);
  int rc = BG_OK;
  for (int i = 0; i < 10000 && !rc; i++) {
    snprintf(row.sha, sizeof row.sha, "%040d", i);
    rc = bg_jobs_store_insert(f->s, &row, T0, &id);
  }
  assert_int_equal(bg_store_write_end(f->s, rc == BG_OK), BG_OK);
  assert_int_equal(rc, BG_OK);
  static const char *const demo[] = {"demo", NULL};
  struct bg_jobs_lease_request r = by_projects(0, "tb1", demo);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 20; i++)
    assert_int_equal(bg_jobs_lease(f->s, &r, T0, &j), BG_ENOENT);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms =
      ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / 20;
  print_message("lease by project past 10000 queued jobs of another: %.2f ms\n", ms);
  assert_true(ms < 100);
  enqueue(f, 'b', 0, "tb1", NULL, NULL);
  assert_int_equal(bg_jobs_lease(f->s, &r, T0, &j), BG_OK);
  assert_string_equal(j.project, "demo");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_enqueue_one_per_testbed_and_dedupe, setup_testbeds,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_unknown_testbed, setup_testbeds, teardown),
      cmocka_unit_test_setup_teardown(test_supersede_same_pull_request, setup_testbeds, teardown),
      cmocka_unit_test_setup_teardown(test_lease_oldest_first_and_204, setup_testbeds, teardown),
      cmocka_unit_test_setup_teardown(test_expiry_and_heartbeat, setup_testbeds, teardown),
      cmocka_unit_test_setup_teardown(test_third_expiry_fails, setup_testbeds, teardown),
      cmocka_unit_test_setup_teardown(test_fail_three_times, setup_testbeds, teardown),
      cmocka_unit_test_setup_teardown(test_completion_by_upload_idempotent, setup_testbeds,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_two_agents_never_hold_one_job, setup_testbeds, teardown),
      cmocka_unit_test_setup_teardown(test_next_lapse, setup_testbeds, teardown),
      cmocka_unit_test_setup_teardown(test_lease_only_named_projects, setup_testbeds, teardown),
      cmocka_unit_test_setup_teardown(test_lease_length_and_lease_seconds, setup_testbeds,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_lease_by_project_with_a_long_queue, setup_testbeds,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
