/* test_window.c: lib/window.c, a window of runs' values kept sorted as it moves on.
 *
 * Every state of the window is checked against the definition: `sorted` is the window's
 * values, ascending (libc's qsort of them), and ids/vals are what was set last.
 */
/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The value every run has (a run's value never changes): ties are common. */
static double value_of(long long run) {
  unsigned long long h = (unsigned long long)run * 0x9E3779B97F4A7C15ULL;
  return (double)((h >> 40) % 23) - 7 + ((h >> 20) % 3 ? 0 : 0.5);
}

static void set_and_check(struct bg_window *w, const long long *ids, size_t n) {
  double v[200] = {0}, ref[200] = {0};
  for (size_t i = 0; i < n; i++)
    v[i] = ref[i] = value_of(ids[i]);
  bg_window_set(w, ids, v, n);
  qsort(ref, n, sizeof *ref, cmp_double);
  assert_int_equal(w->n, n);
  if (n) {
    assert_memory_equal(w->sorted, ref, n * sizeof *ref);
    assert_memory_equal(w->ids, ids, n * sizeof *ids);
    assert_memory_equal(w->vals, v, n * sizeof *v);
  }
}

/* The newest `len` of runs 1..newest, newest first. */
static size_t newest_runs(long long newest, size_t len, long long *ids) {
  size_t n = 0;
  for (long long r = newest; r >= 1 && n < len; r--)
    ids[n++] = r;
  return n;
}

/* A window of 100 growing from nothing and moving on by 1 to 12 runs at a time (in place up
 * to BG_WINDOW_MAX_STEPS, sorted afresh beyond), now and then back by 1 to 5 and forward again
 * (uploads decided out of order), with the length changing between 97 and 100 (a noise
 * window; a cut shortens one), and a jump to unrelated runs and back. */
static void a_moving_window_stays_sorted(void **state) {
  (void)state;
  struct bg_window w = {0};
  long long ids[200];
  unsigned long long r = 42;
  long long newest = 0;
  for (int round = 0; round < 2000; round++) {
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
    newest += 1 + (long long)((r >> 33) % (round % 50 == 49 ? 12 : 3));
    size_t len = newest > 300 ? 97 + (size_t)((r >> 45) % 4) : 100;
    set_and_check(&w, ids, newest_runs(newest, len, ids));
    if (round % 97 == 0) {
      for (size_t i = 0; i < 40; i++)
        ids[i] = 100000 + round * 50 - (long long)i; /* another series' window */
      set_and_check(&w, ids, 40);
    }
    if (round % 13 == 0) /* the same window again */
      set_and_check(&w, ids, newest_runs(newest, len, ids));
    if (round % 7 == 0) { /* an older snapshot decided late, then the newest again */
      set_and_check(&w, ids, newest_runs(newest - 1 - (long long)(round % 5), len, ids));
      set_and_check(&w, ids, newest_runs(newest, len, ids));
    }
  }
  set_and_check(&w, ids, 0);
  set_and_check(&w, ids, newest_runs(5, 1, ids));
  bg_window_free(&w);
  assert_null(w.sorted);
  bg_window_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_moving_window_stays_sorted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
