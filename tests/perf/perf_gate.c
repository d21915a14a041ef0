/* perf_gate.c: time of bg_gate_decide alone, as the server calls it for one upload.
 *
 * 1 000 items (one measure), each with a baseline of K runs and a candidate, summaries built
 * from 10 log-normal repetitions. Prints, per (level window, noise window), the median and
 * min of R timed decisions after a warm-up: the gate sorting the centres itself, and (last
 * line) with the centres handed in sorted, as benchgated keeps them across uploads. It
 * asserts nothing: docs/performance.md records what it printed.
 *
 * Usage: perf_gate [REPEATS]  (default 51)
 */
#include "gate.h"
#include "mem.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ITEMS 1000
#define MAXK 100
#define REPS 10

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static double unif(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void) {
  return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

static void summary(double level, double cv, struct bg_gate_summary *s) {
  double x[REPS];
  for (int i = 0; i < REPS; i++)
    x[i] = exp(level + cv * gauss());
  bg_gate_summarize(x, REPS, s);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  long repeats = argc > 1 ? strtol(argv[1], NULL, 10) : 51;
  if (repeats < 1)
    repeats = 51;
  struct bg_gate_point *base = bg_xmalloc((size_t)ITEMS * MAXK * sizeof *base);
  struct bg_gate_summary *cand = bg_xmalloc(ITEMS * sizeof *cand);
  struct bg_gate_item *items = bg_xcalloc(ITEMS, sizeof *items);
  char (*names)[16] = bg_xmalloc(ITEMS * sizeof *names);
  for (int i = 0; i < ITEMS; i++) {
    double level = 5 + 10 * unif(), cv = 0.002 + 0.03 * unif();
    for (int k = 0; k < MAXK; k++) {
      struct bg_gate_summary s;
      summary(level, cv, &s);
      bg_gate_point_of(&s, &base[i * MAXK + k]);
    }
    summary(level, cv, &cand[i]);
    snprintf(names[i], sizeof names[i], "bench_%04d", i);
    items[i] = (struct bg_gate_item){.benchmark = names[i], .measure = "wall_time",
                                     .unit = "ns", .direction = BG_LOWER,
                                     .baseline = &base[i * MAXK], .candidate = &cand[i],
                                     .min_effect = 0.02};
  }
  /* {level, noise, centres handed in sorted} */
  static const size_t windows[][3] = {{30, 30, 0}, {30, 100, 0}, {30, 100, 1}};
  double *sorted = bg_xmalloc((size_t)ITEMS * (MAXK + 30) * sizeof *sorted);
  double *ms = bg_xmalloc((size_t)repeats * sizeof *ms);
  printf("bg_gate_decide, %d items x %d repetitions, median (min) of %ld decisions\n", ITEMS,
         REPS, repeats);
  for (size_t w = 0; w < sizeof windows / sizeof *windows; w++) {
    struct bg_gate_config cfg;
    bg_gate_config_init(&cfg);
    cfg.window = windows[w][0];
    cfg.noise_window = windows[w][1];
    for (int i = 0; i < ITEMS; i++) {
      items[i].nbaseline = windows[w][1];
      double *l = &sorted[(size_t)i * (MAXK + 30)], *m = l + 30;
      for (size_t k = 0; k < windows[w][1]; k++) {
        m[k] = base[(size_t)i * MAXK + k].log_center;
        if (k < 30)
          l[k] = m[k];
      }
      qsort(l, 30, sizeof *l, cmp);
      qsort(m, windows[w][1], sizeof *m, cmp);
      items[i].level_sorted = windows[w][2] ? l : NULL;
      items[i].noise_sorted = windows[w][2] ? m : NULL;
      items[i].sorted_log = 1;
    }
    for (long r = -5; r < repeats; r++) {
      struct bg_gate_verdict *v;
      double t0 = now_ms();
      if (bg_gate_decide(items, ITEMS, &cfg, &v) != BG_OK) {
        fprintf(stderr, "perf_gate: bg_gate_decide failed\n");
        return 2;
      }
      double t1 = now_ms();
      bg_gate_verdict_free(v);
      if (r >= 0)
        ms[r] = t1 - t0;
    }
    qsort(ms, (size_t)repeats, sizeof *ms, cmp);
    printf("level %3zu runs, noise %3zu runs%s: %.3f ms (min %.3f)\n", windows[w][0], windows[w][1],
           windows[w][2] ? ", centres handed in sorted" : "", ms[repeats / 2], ms[0]);
  }
  free(ms);
  free(sorted);
  free(names);
  free(items);
  free(cand);
  free(base);
  return 0;
}
