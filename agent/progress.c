/* progress.c: the live progress line on a terminal, plain lines elsewhere. */
#include "progress.h"

#include "cli.h"

#include <string.h>

void bg_progress_init(struct bg_progress *p, FILE *out, int interactive, long total_units) {
  memset(p, 0, sizeof *p);
  p->out = out;
  p->interactive = interactive;
  p->plain_every_ns = BG_PROGRESS_PLAIN_EVERY_NS;
  p->total_units = total_units;
}

void bg_progress_suite_begin(struct bg_progress *p, const char *suite, long units, const char *what,
                             long long now_ns) {
  p->suite = suite;
  p->suite_units = units;
  p->suite_done = 0;
  p->suite_t0 = now_ns;
  p->last_plain = now_ns;
  if (!p->interactive && what) {
    fprintf(p->out, "benchgate: suite %s: %s\n", suite, what);
    fflush(p->out);
  }
}

void bg_progress_add_units(struct bg_progress *p, long extra) {
  p->suite_units += extra;
  if (p->total_units)
    p->total_units += extra;
}

void bg_progress_estimate(const struct bg_progress *p, long suite_done, long long now_ns,
                          long long *suite_left, long long *run_left) {
  long long el = now_ns - p->suite_t0;
  *suite_left = *run_left = -1;
  if (suite_done <= 0)
    return;
  long rest = p->suite_units - suite_done;
  *suite_left = el / suite_done * (rest > 0 ? rest : 0);
  if (!p->total_units)
    return;
  long later = p->total_units - p->done_units - p->suite_units;
  long long per = (p->done_ns + el) / (p->done_units + suite_done);
  *run_left = *suite_left + per * (later > 0 ? later : 0);
}

void bg_progress_step(struct bg_progress *p, const char *phase, long i, long n, long suite_done,
                      long long now_ns) {
  char el[32], sl[32], rl[32], est[96] = "";
  long long sleft, rleft;
  p->suite_done = suite_done;
  if (!p->interactive && now_ns - p->last_plain < p->plain_every_ns)
    return;
  /* Thousands of sub-millisecond repetitions need not each repaint the terminal. */
  if (p->interactive && p->drawn && now_ns - p->last_plain < BG_PROGRESS_REDRAW_NS)
    return;
  bg_progress_estimate(p, suite_done, now_ns, &sleft, &rleft);
  bg_cli_duration(now_ns - p->suite_t0, el, sizeof el);
  if (sleft >= 0) {
    bg_cli_duration(sleft, sl, sizeof sl);
    if (rleft >= 0) {
      bg_cli_duration(rleft, rl, sizeof rl);
      snprintf(est, sizeof est, ", suite ~%s left, run ~%s left", sl, rl);
    } else {
      snprintf(est, sizeof est, ", suite ~%s left", sl);
    }
  }
  if (p->interactive) {
    fprintf(p->out, "\r%s: %s %ld/%ld (%s elapsed%s)\033[K", p->suite, phase, i, n, el, est);
    p->drawn = 1;
    p->last_plain = now_ns;
  } else {
    fprintf(p->out, "benchgate: suite %s: %s %ld/%ld (%s elapsed%s)\n", p->suite, phase, i, n, el,
            est);
    p->last_plain = now_ns;
  }
  fflush(p->out);
}

void bg_progress_suite_end(struct bg_progress *p, int ok, long long now_ns) {
  char d[32];
  if (p->drawn) {
    fputs("\r\033[K", p->out);
    p->drawn = 0;
  }
  p->done_units += p->suite_units;
  p->done_ns += now_ns - p->suite_t0;
  if (ok) {
    bg_cli_duration(now_ns - p->suite_t0, d, sizeof d);
    fprintf(p->out, "benchgate: suite %s: done in %s\n", p->suite, d);
  }
  fflush(p->out);
}
