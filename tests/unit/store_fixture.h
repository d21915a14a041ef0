/* store_fixture.h: a scratch database holding one project "demo", shared by the unit tests of
 * the store and of the modules built on it (test_store.c, test_baseline.c,
 * test_changepoints_server.c). Include it after cmocka.h, store.h and upload.h.
 */
#ifndef BG_STORE_FIXTURE_H
#define BG_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
  char dir[64];
  char path[96];
  struct bg_store *s;
  struct bg_project p;
  int next_run; /* for tests that number their runs */
};

/* cmocka setup: a new temporary directory with t.db opened and the project "demo". */
static inline int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  char err[256];
  snprintf(f->dir, sizeof f->dir, "/tmp/bg_test_storeXXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
  assert_int_equal(bg_store_open(f->path, &f->s, err, sizeof err), BG_OK);
  assert_int_equal(bg_store_project_create(f->s, "demo", NULL, NULL, &f->p), BG_OK);
  *state = f;
  return 0;
}

/* cmocka teardown: closes the store and removes the directory. */
static inline int teardown(void **state) {
  struct fixture *f = *state;
  char cmd[128];
  bg_store_close(f->s);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

/* Parses the run payload `json` (failing the test on a parse error) and stores it in the
 * fixture's project as an upload does. Returns the upload's answer (caller frees) when
 * `answer` is set, else NULL. Needs run.h. */
static inline char *store_json(struct fixture *f, const char *json, int answer) {
  struct bg_run *run = NULL;
  struct bg_ferr e;
  if (bg_run_from_json(json, strlen(json), &run, &e) != BG_OK)
    fail_msg("bad test payload: %s: %s", e.field, e.message);
  struct bg_buf out;
  int replay = 0;
  bg_buf_init(&out, 0);
  assert_int_equal(bg_upload_run(f->s, &f->p, run, &replay, &out), BG_OK);
  bg_run_free(run);
  char *text = answer ? strdup(out.data) : NULL;
  bg_buf_free(&out);
  return text;
}

/* A 40-hex sha for commit k (k < 256): distinct for distinct k. The result lives in one of
 * eight rotating buffers, so up to eight may be used at once. */
static inline const char *sha(int k) {
  static char buf[8][41];
  static int slot;
  char *s = buf[slot++ % 8];
  memset(s, "0123456789abcdef"[k % 16], 40);
  s[0] = "0123456789abcdef"[(k / 16) % 16];
  s[40] = '\0';
  return s;
}

#endif
