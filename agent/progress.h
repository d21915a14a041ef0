/* progress.h: what `benchgate run` shows while it works.
 *
 * On a terminal one line per suite is redrawn in place with a carriage return (at most
 * every 20 ms): the phase (warm-up, repetition, callgrind), i of n, the time elapsed in the
 * suite, and estimates of the time left in the suite and in the whole run; the suite's
 * final line ("suite S: done in 1.2 s") replaces it. In CI (CI set) or without a terminal
 * the output is plain lines only, never a carriage return: a start and an end line per
 * suite, and a progress line at most every `plain_every_ns` (10 s by default) so that long
 * suites still show life.
 *
 * Estimates: the suite's own rate (time per run so far) for the rest of the suite; for
 * later suites the average time per run over everything done so far.
 */
#ifndef BG_PROGRESS_H
#define BG_PROGRESS_H

#include <stdio.h>

#define BG_PROGRESS_PLAIN_EVERY_NS (10LL * 1000000000LL)
#define BG_PROGRESS_REDRAW_NS (20LL * 1000000LL) /* terminal: least time between redraws */

struct bg_progress {
  FILE *out;
  int interactive;          /* 1: redraw one line with \r */
  long long plain_every_ns; /* plain mode: least time between progress lines */
  long total_units;         /* runs of the command in all suites (warm-ups included) */
  long done_units;          /* runs finished in earlier suites */
  long long done_ns;        /* time spent in earlier suites */
  const char *suite;        /* the current suite */
  long suite_units;         /* its runs */
  long suite_done;          /* of which finished */
  long long suite_t0;       /* its start, monotonic ns */
  long long last_plain;     /* when the last progress line was printed or redrawn */
  int drawn;                /* 1 when a redrawn line is on screen */
};

/* Prepares `p` to print on `out`. `total_units` is the number of command runs the whole run
 * will make (0 when unknown: no run estimate). */
void bg_progress_init(struct bg_progress *p, FILE *out, int interactive, long total_units);

/* A suite of `units` runs starts at `now_ns` (monotonic). Plain mode prints "benchgate:
 * suite S: <what>" when `what` is not NULL. */
void bg_progress_suite_begin(struct bg_progress *p, const char *suite, long units, const char *what,
                             long long now_ns);

/* Adds `extra` runs to the current suite and the whole run (e.g. callgrind runs found to be
 * needed only once the suite started). */
void bg_progress_add_units(struct bg_progress *p, long extra);

/* Run `i` of `n` of the phase `phase` ("warm-up", "repetition", ...) starts at `now_ns`;
 * `suite_done` runs of the suite are finished. Redraws the line (terminal) or prints a plain
 * line when one is due. */
void bg_progress_step(struct bg_progress *p, const char *phase, long i, long n, long suite_done,
                      long long now_ns);

/* The suite ended at `now_ns`: clears the redrawn line and prints "benchgate: suite S: done
 * in T" (ok) or nothing (the caller reports the error). */
void bg_progress_suite_end(struct bg_progress *p, int ok, long long now_ns);

/* Writes the estimated time left in the suite and in the run, in nanoseconds, for the
 * state after `suite_done` runs at `now_ns`; -1 when no estimate exists yet. */
void bg_progress_estimate(const struct bg_progress *p, long suite_done, long long now_ns,
                          long long *suite_left, long long *run_left);

#endif
