/* test_spool.c: the spool of undelivered runs: where it lives, write/read round trips,
 * oldest-first listing, removal, rejection, and that a writer killed mid-write never leaves
 * a half file where the listing can see it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ID1 "0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b11"
#define ID2 "1f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b12"
#define ID3 "2f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b13"

static int setup(void **state) {
  char *dir = strdup("/tmp/bg_spool_test_XXXXXX");
  assert_non_null(mkdtemp(dir));
  *state = dir;
  return 0;
}

static int teardown(void **state) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", (char *)*state);
  if (system(cmd) != 0)
    return -1;
  free(*state);
  return 0;
}

static void picks_the_directory_flag_env_xdg_home(void **state) {
  (void)state;
  char d[256];
  setenv("BENCHGATE_SPOOL", "/env/spool", 1);
  setenv("XDG_STATE_HOME", "/xdg", 1);
  setenv("HOME", "/home/u", 1);
  assert_int_equal(bg_spool_dir("/flag", d, sizeof d), BG_OK);
  assert_string_equal(d, "/flag");
  assert_int_equal(bg_spool_dir(NULL, d, sizeof d), BG_OK);
  assert_string_equal(d, "/env/spool");
  unsetenv("BENCHGATE_SPOOL");
  assert_int_equal(bg_spool_dir(NULL, d, sizeof d), BG_OK);
  assert_string_equal(d, "/xdg/benchgate/spool");
  setenv("XDG_STATE_HOME", "relative", 1); /* the XDG spec ignores relative paths */
  assert_int_equal(bg_spool_dir(NULL, d, sizeof d), BG_OK);
  assert_string_equal(d, "/home/u/.local/state/benchgate/spool");
  unsetenv("XDG_STATE_HOME");
  unsetenv("HOME");
  assert_int_equal(bg_spool_dir(NULL, d, sizeof d), BG_EINVAL);
  assert_int_equal(bg_spool_dir("/a/very/long/flag", d, 8), BG_EINVAL);
}

static void writes_and_reads_a_run_back(void **state) {
  char dir[512], path[1024], err[512];
  snprintf(dir, sizeof dir, "%s/deep/spool", (char *)*state); /* created on demand */
  assert_int_equal(bg_spool_write(dir, "http://s:1", "demo", ID1,
                                  "{\"run_id\":\"" ID1 "\",\"results\":[1.5]}", path, sizeof path,
                                  err, sizeof err),
                   BG_OK);
  assert_non_null(strstr(path, ID1 ".json"));
  struct stat st;
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  struct bg_spool_entry *e;
  size_t n;
  assert_int_equal(bg_spool_list(dir, &e, &n, err, sizeof err), BG_OK);
  assert_int_equal(n, 1);
  assert_string_equal(e[0].run_id, ID1);
  struct bg_spool_run r;
  assert_int_equal(bg_spool_read(e[0].path, &r, err, sizeof err), BG_OK);
  assert_string_equal(r.server, "http://s:1");
  assert_string_equal(r.project, "demo");
  assert_string_equal(r.run_json, "{\"run_id\":\"" ID1 "\",\"results\":[1.5]}");
  bg_spool_run_clear(&r);
  assert_int_equal(bg_spool_remove(e[0].path, err, sizeof err), BG_OK);
  bg_spool_list_free(e, n);
  assert_int_equal(bg_spool_list(dir, &e, &n, err, sizeof err), BG_OK);
  assert_int_equal(n, 0);
  bg_spool_list_free(e, n);
}

static void refuses_a_bad_run_id_or_run(void **state) {
  char err[512];
  const char *dir = *state;
  assert_int_equal(
      bg_spool_write(dir, "s", "p", "../../etc/passwd", "{}", NULL, 0, err, sizeof err), BG_EINVAL);
  assert_non_null(strstr(err, "not a UUID"));
  assert_int_equal(bg_spool_write(dir, "s", "p", ID1, "{broken", NULL, 0, err, sizeof err),
                   BG_EINVAL);
}

static void touch_at(const char *path, time_t t) {
  struct timespec ts[2] = {{t, 0}, {t, 0}};
  assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void lists_oldest_first_and_skips_other_files(void **state) {
  const char *dir = *state;
  char p1[1024], p2[1024], p3[1024], junk[1024], err[512];
  assert_int_equal(bg_spool_write(dir, "s", "p", ID1, "{}", p1, sizeof p1, err, sizeof err), 0);
  assert_int_equal(bg_spool_write(dir, "s", "p", ID2, "{}", p2, sizeof p2, err, sizeof err), 0);
  assert_int_equal(bg_spool_write(dir, "s", "p", ID3, "{}", p3, sizeof p3, err, sizeof err), 0);
  touch_at(p1, 3000);
  touch_at(p2, 1000);
  touch_at(p3, 2000);
  /* a leftover temporary, a stray file and a subdirectory are not runs */
  snprintf(junk, sizeof junk, "%s/." ID1 ".json.tmp99", dir);
  FILE *f = fopen(junk, "w");
  fputs("{\"spool\":", f);
  fclose(f);
  snprintf(junk, sizeof junk, "%s/notes.txt", dir);
  f = fopen(junk, "w");
  fclose(f);
  snprintf(junk, sizeof junk, "%s/rejected", dir);
  mkdir(junk, 0700);
  struct bg_spool_entry *e;
  size_t n;
  assert_int_equal(bg_spool_list(dir, &e, &n, err, sizeof err), BG_OK);
  assert_int_equal(n, 3);
  assert_string_equal(e[0].run_id, ID2);
  assert_string_equal(e[1].run_id, ID3);
  assert_string_equal(e[2].run_id, ID1);
  bg_spool_list_free(e, n);
}

static void a_missing_directory_is_an_empty_spool(void **state) {
  char dir[512], err[256];
  struct bg_spool_entry *e;
  size_t n = 9;
  snprintf(dir, sizeof dir, "%s/none", (char *)*state);
  assert_int_equal(bg_spool_list(dir, &e, &n, err, sizeof err), BG_OK);
  assert_int_equal(n, 0);
  assert_null(e);
}

static void rejects_into_a_side_directory_with_the_reason(void **state) {
  const char *dir = *state;
  char p[1024], err[512], moved[1024];
  assert_int_equal(bg_spool_write(dir, "s", "p", ID1, "{}", p, sizeof p, err, sizeof err), 0);
  struct bg_spool_entry *e;
  size_t n;
  assert_int_equal(bg_spool_list(dir, &e, &n, err, sizeof err), BG_OK);
  assert_int_equal(n, 1);
  assert_int_equal(bg_spool_reject(dir, &e[0], "400: results: empty", err, sizeof err), BG_OK);
  bg_spool_list_free(e, n);
  assert_int_equal(bg_spool_list(dir, &e, &n, err, sizeof err), BG_OK);
  assert_int_equal(n, 0);
  snprintf(moved, sizeof moved, "%s/rejected/" ID1 ".json", dir);
  assert_int_equal(access(moved, R_OK), 0);
  snprintf(moved, sizeof moved, "%s/rejected/" ID1 ".error", dir);
  char text[128] = "";
  FILE *f = fopen(moved, "r");
  assert_non_null(f);
  assert_non_null(fgets(text, sizeof text, f));
  fclose(f);
  assert_string_equal(text, "400: results: empty\n");
}

static void a_file_that_is_not_a_spool_envelope_is_named(void **state) {
  char path[1024], err[512];
  snprintf(path, sizeof path, "%s/" ID1 ".json", (char *)*state);
  FILE *f = fopen(path, "w");
  fputs("{\"spool\":\"benchgate.spool/v1\",\"server\":\"s\",\"project\":\"p\"}", f);
  fclose(f);
  struct bg_spool_run r;
  assert_int_equal(bg_spool_read(path, &r, err, sizeof err), BG_EPARSE);
  assert_non_null(strstr(err, "run missing or malformed"));
}

static void a_writer_killed_mid_write_leaves_no_half_file(void **state) {
  const char *dir = *state;
  /* A run of about 8 MB so that each write takes a while. */
  size_t big = 8u << 20;
  char *run = malloc(big + 64);
  assert_non_null(run);
  int k = snprintf(run, 64, "{\"pad\":\"");
  memset(run + k, 'x', big);
  memcpy(run + k + big, "\"}", 3);
  for (int round = 0; round < 6; round++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      char err[256], id[40];
      for (unsigned i = 0;; i++) {
        snprintf(id, sizeof id, "%08x-0000-4000-8000-%012x", (unsigned)round, i);
        if (bg_spool_write(dir, "s", "p", id, run, NULL, 0, err, sizeof err) != BG_OK)
          _exit(1);
      }
    }
    struct timespec ts = {0, 20000000L + round * 37000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  free(run);
  struct bg_spool_entry *e;
  size_t n;
  char err[512];
  assert_int_equal(bg_spool_list(dir, &e, &n, err, sizeof err), BG_OK);
  /* Every visible run reads back whole; leftovers are only hidden temporaries. */
  for (size_t i = 0; i < n; i++) {
    struct bg_spool_run r;
    assert_int_equal(bg_spool_read(e[i].path, &r, err, sizeof err), BG_OK);
    assert_int_equal(strlen(r.run_json), big + 10);
    bg_spool_run_clear(&r);
  }
  bg_spool_list_free(e, n);
  DIR *d = opendir(dir);
  struct dirent *de;
  int hidden = 0;
  while ((de = readdir(d)))
    if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp"))
      hidden++;
  closedir(d);
  print_message("%zu whole runs, %d interrupted temporaries\n", n, hidden);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(picks_the_directory_flag_env_xdg_home),
      cmocka_unit_test_setup_teardown(writes_and_reads_a_run_back, setup, teardown),
      cmocka_unit_test_setup_teardown(refuses_a_bad_run_id_or_run, setup, teardown),
      cmocka_unit_test_setup_teardown(lists_oldest_first_and_skips_other_files, setup, teardown),
      cmocka_unit_test_setup_teardown(a_missing_directory_is_an_empty_spool, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_into_a_side_directory_with_the_reason, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_file_that_is_not_a_spool_envelope_is_named, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_writer_killed_mid_write_leaves_no_half_file, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
