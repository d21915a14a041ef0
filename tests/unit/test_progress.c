/* test_progress.c: progress of `benchgate run`: the estimates, the redrawn line on a terminal
 * (a real pseudo-terminal, with the module and with the benchgate binary) and plain lines in
 * CI or into a pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define S 1000000000LL

static void estimates_suite_and_run_time_left(void **state) {
  (void)state;
  struct bg_progress p;
  long long sl, rl;
  FILE *null = fopen("/dev/null", "w");
  bg_progress_init(&p, null, 0, 4 + 8); /* two suites: 4 runs, then 8 */
  bg_progress_suite_begin(&p, "a", 4, NULL, 100 * S);
  bg_progress_estimate(&p, 0, 100 * S, &sl, &rl);
  assert_int_equal(sl, -1); /* nothing done: no estimate */
  assert_int_equal(rl, -1);
  /* 2 runs in 4 s: 2 s per run; 2 left here, 8 in the next suite at the same rate */
  bg_progress_estimate(&p, 2, 104 * S, &sl, &rl);
  assert_int_equal(sl, 4 * S);
  assert_int_equal(rl, 4 * S + 16 * S);
  bg_progress_suite_end(&p, 1, 108 * S);
  /* second suite runs at 0.5 s per run; later suites: none, so run left == suite left */
  bg_progress_suite_begin(&p, "b", 8, NULL, 108 * S);
  bg_progress_estimate(&p, 4, 110 * S, &sl, &rl);
  assert_int_equal(sl, 2 * S);
  assert_int_equal(rl, 2 * S);
  /* callgrind runs discovered late extend both */
  bg_progress_add_units(&p, 4);
  bg_progress_estimate(&p, 4, 110 * S, &sl, &rl);
  assert_int_equal(sl, 4 * S);
  assert_int_equal(p.total_units, 16);
  bg_progress_suite_end(&p, 1, 112 * S);
  fclose(null);
}

/* Reads everything from fd until EOF/EIO (a pty master after the slave closes) or timeout. */
static void read_all(int fd, struct bg_buf *b, int timeout_ms) {
  char chunk[4096];
  for (;;) {
    struct pollfd pf = {fd, POLLIN, 0};
    if (poll(&pf, 1, timeout_ms) <= 0)
      return;
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    bg_buf_append(b, chunk, (size_t)n);
  }
}

static void raw_slave(int fd) {
  struct termios t;
  tcgetattr(fd, &t);
  cfmakeraw(&t); /* no \n -> \r\n translation: every \r seen was written by us */
  tcsetattr(fd, TCSANOW, &t);
}

static void redraws_one_line_on_a_terminal(void **state) {
  (void)state;
  int master, slave;
  assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
  raw_slave(slave);
  assert_true(isatty(slave));
  FILE *out = fdopen(slave, "w");
  struct bg_progress p;
  bg_progress_init(&p, out, 1, 3);
  bg_progress_suite_begin(&p, "parse", 3, "3 repetitions", 0);
  for (long i = 1; i <= 3; i++)
    bg_progress_step(&p, "repetition", i, 3, i - 1, (i - 1) * S);
  bg_progress_suite_end(&p, 1, 3 * S);
  fclose(out);
  struct bg_buf b;
  bg_buf_init(&b, 0);
  read_all(master, &b, 500);
  close(master);
  assert_non_null(b.data);
  assert_non_null(strstr(b.data, "\rparse: repetition 1/3 (0 ms elapsed)\033[K"));
  assert_non_null(strstr(
      b.data, "\rparse: repetition 3/3 (2.0 s elapsed, suite ~1.0 s left, run ~1.0 s left)"));
  /* the line is cleared and the suite's last word is a line of its own */
  const char *end = "\r\033[Kbenchgate: suite parse: done in 3.0 s\n";
  assert_true(b.len >= strlen(end));
  assert_string_equal(b.data + b.len - strlen(end), end);
  assert_null(strstr(b.data, "3 repetitions")); /* the start line is for plain mode */
  bg_buf_free(&b);
}

static void plain_lines_without_carriage_returns(void **state) {
  (void)state;
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  struct bg_progress p;
  bg_progress_init(&p, out, 0, 40);
  p.plain_every_ns = 10 * S;
  bg_progress_suite_begin(&p, "slow", 40, "40 repetitions (+0 warm-up)", 0);
  for (long i = 1; i <= 40; i++)
    bg_progress_step(&p, "repetition", i, 40, i - 1, (i - 1) * S);
  bg_progress_suite_end(&p, 1, 40 * S);
  fclose(out);
  assert_null(strchr(text, '\r'));
  assert_null(strchr(text, '\033'));
  assert_non_null(strstr(text, "benchgate: suite slow: 40 repetitions (+0 warm-up)\n"));
  /* a line every 10 s: at 10, 20 and 30 s */
  assert_non_null(strstr(text, "benchgate: suite slow: repetition 11/40 (10.0 s elapsed, suite "
                               "~30.0 s left, run ~30.0 s left)\n"));
  assert_non_null(strstr(text, "repetition 21/40"));
  assert_non_null(strstr(text, "repetition 31/40"));
  assert_null(strstr(text, "repetition 12/40"));
  assert_non_null(strstr(text, "benchgate: suite slow: done in 40.0 s\n"));
  free(text);
}

/* Runs `benchgate run --dry-run` in a temporary directory with stderr on a pty (or a pipe
 * when pty is 0); returns what it wrote. */
static char *run_benchgate(int pty, const char *ci) {
  char dir[] = "/tmp/bg_progress_XXXXXX", cfg[128];
  assert_non_null(mkdtemp(dir));
  snprintf(cfg, sizeof cfg, "%s/benchgate.yml", dir);
  FILE *f = fopen(cfg, "w");
  /* Each repetition sleeps longer than BG_PROGRESS_REDRAW_NS (20 ms), so every step redraws the
   * line however loaded the machine is. */
  fputs("project: demo\ntestbed: t\nsuites:\n"
        "  - {name: first, command: sleep 0.03, repetitions: 4, warmup: 1}\n"
        "  - {name: second, command: sleep 0.03, repetitions: 3, warmup: 0}\n",
        f);
  fclose(f);
  int fd[2], master = -1;
  pid_t pid;
  if (pty) {
    struct termios t;
    memset(&t, 0, sizeof t);
    cfmakeraw(&t);
    pid = forkpty(&master, NULL, &t, NULL);
  } else {
    assert_int_equal(pipe(fd), 0);
    pid = fork();
  }
  assert_true(pid >= 0);
  if (pid == 0) {
    if (!pty) {
      dup2(fd[1], 2);
      dup2(fd[1], 1);
      close(fd[0]);
    }
    if (chdir(dir) < 0)
      _exit(126);
    if (ci)
      setenv("CI", ci, 1);
    else
      unsetenv("CI");
    execl(BG_BINARY_DIR "/bin/benchgate", "benchgate", "run", "--dry-run", "--commit",
          "0123456789012345678901234567890123456789", "--branch", "main", (char *)NULL);
    _exit(127);
  }
  if (!pty) {
    close(fd[1]);
    master = fd[0];
  }
  struct bg_buf b;
  bg_buf_init(&b, 0);
  read_all(master, &b, 10000);
  close(master);
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  char rm[160];
  snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
  assert_int_equal(system(rm), 0);
  bg_buf_append(&b, "", 0);
  return bg_buf_steal(&b);
}

static void benchgate_run_redraws_under_a_pty(void **state) {
  (void)state;
  char *out = run_benchgate(1, NULL);
  int redraws = 0;
  for (const char *c = out; (c = strstr(c, "\rfirst: repetition ")); c++)
    redraws++;
  if (redraws != 4)
    print_message("output: %s\n", out);
  assert_int_equal(redraws, 4);
  assert_non_null(strstr(out, "\rfirst: warm-up 1/1"));
  assert_non_null(strstr(out, "\rsecond: repetition 3/3 ("));
  assert_non_null(strstr(out, "run ~"));
  assert_non_null(strstr(out, "\r\033[Kbenchgate: suite first: done in "));
  assert_non_null(strstr(out, "\r\033[Kbenchgate: suite second: done in "));
  free(out);
}

static void benchgate_run_prints_plain_lines_in_ci_and_into_pipes(void **state) {
  (void)state;
  for (int pty = 1; pty >= 0; pty--) {
    char *out = run_benchgate(pty, pty ? "true" : NULL);
    if (strchr(out, '\r'))
      print_message("output: %s\n", out);
    assert_null(strchr(out, '\r'));
    assert_non_null(strstr(out, "benchgate: suite first: 4 repetitions (+1 warm-up)\n"));
    assert_non_null(strstr(out, "benchgate: suite second: done in "));
    free(out);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(estimates_suite_and_run_time_left),
      cmocka_unit_test(redraws_one_line_on_a_terminal),
      cmocka_unit_test(plain_lines_without_carriage_returns),
      cmocka_unit_test(benchgate_run_redraws_under_a_pty),
      cmocka_unit_test(benchgate_run_prints_plain_lines_in_ci_and_into_pipes),
  };
  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
