/* test_runner.c: the command runner with real child processes: timing, rusage, errors,
 * timeouts, pinning, ASLR and the environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "runner.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct bg_runner_opts opts(const char *cmd, long reps) {
  struct bg_runner_opts o;
  memset(&o, 0, sizeof o);
  o.command = cmd;
  o.repetitions = reps;
  o.timeout = 60;
  return o;
}

static int run(const struct bg_runner_opts *o, struct bg_runner_result *r, char *err,
               size_t errlen) {
  bg_runner_result_init(r);
  return bg_runner_run(o, r, err, errlen);
}

static void times_sleep_within_sane_bounds(void **state) {
  (void)state;
  struct bg_runner_opts o = opts("sleep 0.05", 3);
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  assert_int_equal(r.nsamples, 3);
  for (size_t i = 0; i < r.nsamples; i++) {
    assert_true(r.samples[i].wall_ns >= 50000000LL);
    assert_true(r.samples[i].wall_ns < 500000000LL);
    /* sleeping costs little CPU */
    assert_true(r.samples[i].cpu_ns < 40000000LL);
    assert_int_equal(r.samples[i].instructions, -1);
  }
  bg_runner_result_free(&r);
}

static void measures_cpu_time_of_busy_loop(void **state) {
  (void)state;
  struct bg_runner_opts o = opts("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done", 1);
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  const struct bg_sample *s = &r.samples[0];
  assert_true(s->cpu_ns > 20000000LL);
  /* a single-threaded loop: a good share of wall time (loose: the machine is shared), never
   * much above it */
  assert_true(s->cpu_ns > s->wall_ns / 10);
  assert_true(s->cpu_ns <= s->wall_ns + 10000000LL);
  bg_runner_result_free(&r);
}

static void max_rss_of_50mb_allocation_is_at_least_50mb(void **state) {
  (void)state;
  struct bg_runner_opts o = opts("dd if=/dev/zero of=/dev/null bs=60M count=1 2>/dev/null", 1);
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  assert_true(r.samples[0].max_rss >= 50LL * 1024 * 1024);
  bg_runner_result_free(&r);
  struct bg_runner_opts small = opts("true", 1);
  assert_int_equal(run(&small, &r, err, sizeof err), BG_OK);
  assert_true(r.samples[0].max_rss < 50LL * 1024 * 1024);
  assert_true(r.samples[0].max_rss > 0);
  bg_runner_result_free(&r);
}

/* GNU time's max RSS of `cmd` in bytes (it forks the command from its own small process and
 * reads wait4's ru_maxrss), or -1. ASLR is off for it as the runner switches it off: with a
 * random layout the same program's max RSS moves by some 5 % from run to run (`sleep 0`:
 * 1564 to 1808 KiB in five runs), without it by nothing. */
static long long gnu_time_max_rss(const char *cmd) {
  char out[] = "/tmp/bg_test_time_XXXXXX", line[2048];
  int fd = mkstemp(out);
  long long kb = -1;
  if (fd < 0)
    return -1;
  close(fd);
  snprintf(line, sizeof line, "setarch -R /usr/bin/time -f %%M -o %s %s >/dev/null 2>&1", out, cmd);
  FILE *f = system(line) == 0 ? fopen(out, "r") : NULL;
  if (f && fscanf(f, "%lld", &kb) != 1)
    kb = -1;
  if (f)
    fclose(f);
  unlink(out);
  return kb < 0 ? -1 : kb * 1024;
}

/* max_rss is the command's own peak, not the agent's: the test process first makes itself
 * 64 MiB large, as the agent is some megabytes large, and every command's max_rss must still
 * be within 5 % (or 256 KiB) of what GNU time says, from `sleep` (under 2 MB) to 1 GiB. */
static void max_rss_matches_gnu_time_whatever_the_agent_holds(void **state) {
  (void)state;
  assert_int_equal(access("/usr/bin/time", X_OK), 0); /* Debian package time (scripts/deps.sh) */
  size_t ballast_len = 64u << 20;
  char *ballast = malloc(ballast_len);
  assert_non_null(ballast);
  memset(ballast, 1, ballast_len);
  const char *cmds[] = {"sleep 0.01", BG_BINARY_DIR "/tests/touch_mem 1",
                        BG_BINARY_DIR "/tests/touch_mem 100",
                        BG_BINARY_DIR "/tests/touch_mem 1024"};
  for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
    long long ref = gnu_time_max_rss(cmds[i]);
    assert_true(ref > 0);
    struct bg_runner_opts o = opts(cmds[i], 1);
    struct bg_runner_result r;
    char err[1024];
    assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
    long long got = r.samples[0].max_rss;
    double rel = (double)(got - ref) / (double)ref;
    printf("max_rss %-40s runner %lld B, GNU time %lld B (%+.1f %%)\n", cmds[i], got, ref,
           rel * 100);
    /* 5 %, or 256 KiB for the smallest commands: `sleep`'s own peak moves by some 250 KiB
     * from run to run; the agent's 64 MiB would be far beyond either. */
    assert_true((rel > -0.05 && rel < 0.05) || llabs(got - ref) <= 256 * 1024);
    assert_string_equal(r.warning, "");
    bg_runner_result_free(&r);
  }
  assert_int_equal(ballast[ballast_len / 2], 1);
  free(ballast);
}

static void reports_nonzero_exit_with_stderr_tail(void **state) {
  (void)state;
  struct bg_runner_opts o =
      opts("echo early-line >&2; i=0; while [ $i -lt 30 ]; do echo noise $i >&2; i=$((i+1)); "
           "done; echo final-words >&2; exit 3",
           2);
  struct bg_runner_result r;
  char err[8192];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_EIO);
  assert_non_null(strstr(err, "repetition 1: exited with status 3"));
  assert_non_null(strstr(err, "final-words"));
  assert_non_null(strstr(err, "noise 29"));
  assert_null(strstr(err, "early-line")); /* only the last lines */
  bg_runner_result_free(&r);
}

static void reports_death_by_signal(void **state) {
  (void)state;
  struct bg_runner_opts o = opts("kill -SEGV $$", 1);
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_EIO);
  assert_non_null(strstr(err, "killed by signal 11"));
  bg_runner_result_free(&r);
}

static int gone(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 1;
  int zombie = 0;
  if (fgets(line, sizeof line, f)) {
    char *p = strrchr(line, ')');
    zombie = p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
  }
  fclose(f);
  return zombie;
}

static void timeout_kills_the_process_group_with_grandchildren(void **state) {
  (void)state;
  char tmpl[] = "/tmp/bg_runner_XXXXXX", cmd[512];
  int fd = mkstemp(tmpl);
  assert_true(fd >= 0);
  close(fd);
  /* A grandchild that ignores SIGTERM, and the shell waiting on it. */
  snprintf(cmd, sizeof cmd, "(trap '' TERM; exec sleep 30) & echo $! > %s; wait", tmpl);
  struct bg_runner_opts o = opts(cmd, 1);
  o.timeout = 0.3;
  struct bg_runner_result r;
  char err[1024];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(run(&o, &r, err, sizeof err), BG_ETIMEOUT);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_non_null(strstr(err, "timed out after 0.3 s"));
  assert_true(t1.tv_sec - t0.tv_sec < 10);
  FILE *f = fopen(tmpl, "r");
  long pid = 0;
  assert_non_null(f);
  assert_int_equal(fscanf(f, "%ld", &pid), 1);
  fclose(f);
  unlink(tmpl);
  assert_true(pid > 1);
  int dead = 0;
  for (int i = 0; i < 200 && !dead; i++) {
    dead = gone((pid_t)pid);
    if (!dead)
      usleep(10000);
  }
  if (!dead)
    kill((pid_t)pid, SIGKILL);
  assert_true(dead);
  bg_runner_result_free(&r);
}

static void captures_stdout_and_caps_it(void **state) {
  (void)state;
  struct bg_runner_opts o = opts("printf 'hello\\nworld\\n'", 1);
  o.output = BG_OUT_CAPTURE;
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  assert_string_equal(r.out.data, "hello\nworld\n");
  bg_runner_result_free(&r);
  struct bg_runner_opts big = opts("head -c 100000 /dev/zero", 1);
  big.output = BG_OUT_CAPTURE;
  big.stdout_max = 1000;
  assert_int_equal(run(&big, &r, err, sizeof err), BG_ETOOBIG);
  assert_non_null(strstr(err, "stdout larger than 1000 bytes"));
  bg_runner_result_free(&r);
}

static int last_allowed_cpu(void) {
  cpu_set_t s;
  int last = 0;
  assert_int_equal(sched_getaffinity(0, sizeof s, &s), 0);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &s))
      last = c;
  return last;
}

static void pins_the_child_to_configured_cpus(void **state) {
  (void)state;
  int cpu = last_allowed_cpu();
  struct bg_runner_opts o = opts("grep Cpus_allowed_list /proc/self/status", 1);
  o.output = BG_OUT_CAPTURE;
  o.cpus = &cpu;
  o.ncpus = 1;
  struct bg_runner_result r;
  char err[1024], expect[64];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  snprintf(expect, sizeof expect, "Cpus_allowed_list:\t%d\n", cpu);
  assert_string_equal(r.out.data, expect);
  bg_runner_result_free(&r);
}

static void rejects_cpu_that_does_not_exist(void **state) {
  (void)state;
  int cpu = 1023;
  struct bg_runner_opts o = opts("true", 1);
  o.cpus = &cpu;
  o.ncpus = 1;
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_EINVAL);
  assert_non_null(strstr(err, "CPU 1023 is not available"));
  bg_runner_result_free(&r);
}

static void switches_aslr_off_unless_kept(void **state) {
  (void)state;
  struct bg_runner_opts o = opts("cat /proc/self/personality", 1);
  o.output = BG_OUT_CAPTURE;
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  if (!r.aslr_disabled) {
    /* The kernel refused (seccomp): then the runner must say so, not fail. */
    assert_non_null(strstr(r.warning, "ASLR could not be switched off"));
    assert_string_equal(r.out.data, "00000000\n");
  } else {
    assert_string_equal(r.out.data, "00040000\n"); /* ADDR_NO_RANDOMIZE */
    assert_string_equal(r.warning, "");
  }
  bg_runner_result_free(&r);
  o.keep_aslr = 1;
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  assert_string_equal(r.out.data, "00000000\n");
  bg_runner_result_free(&r);
}

static void clean_env_has_only_fixed_variables(void **state) {
  (void)state;
  setenv("BG_TEST_SECRET", "leak", 1);
  struct bg_runner_opts o = opts("env | sort", 1);
  o.output = BG_OUT_CAPTURE;
  o.clean_env = 1;
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  assert_null(strstr(r.out.data, "BG_TEST_SECRET"));
  assert_non_null(strstr(r.out.data, "LC_ALL=C\n"));
  assert_non_null(strstr(r.out.data, "TZ=UTC\n"));
  assert_non_null(strstr(r.out.data, "PATH="));
  bg_runner_result_free(&r);
  o.clean_env = 0;
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  assert_non_null(strstr(r.out.data, "BG_TEST_SECRET=leak"));
  bg_runner_result_free(&r);
  unsetenv("BG_TEST_SECRET");
}

struct counts {
  int calls, warm;
};

static void count_progress(void *ctx, long rep, long total, int warmup, long long el) {
  struct counts *c = ctx;
  (void)rep;
  (void)total;
  (void)el;
  c->calls++;
  c->warm += warmup;
}

static void warmup_runs_are_not_recorded(void **state) {
  (void)state;
  char tmpl[] = "/tmp/bg_runner_XXXXXX", cmd[256];
  int fd = mkstemp(tmpl);
  assert_true(fd >= 0);
  close(fd);
  snprintf(cmd, sizeof cmd, "echo x >> %s", tmpl);
  struct bg_runner_opts o = opts(cmd, 3);
  struct counts c = {0, 0};
  o.warmup = 2;
  o.progress = count_progress;
  o.progress_ctx = &c;
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  assert_int_equal(r.nsamples, 3);
  assert_int_equal(c.calls, 5);
  assert_int_equal(c.warm, 2);
  FILE *f = fopen(tmpl, "r");
  int lines = 0, ch;
  while ((ch = fgetc(f)) != EOF)
    lines += ch == '\n';
  fclose(f);
  unlink(tmpl);
  assert_int_equal(lines, 5);
  bg_runner_result_free(&r);
}

static void runs_in_cwd_and_reports_a_missing_one(void **state) {
  (void)state;
  struct bg_runner_opts o = opts("pwd", 1);
  o.output = BG_OUT_CAPTURE;
  o.cwd = "/tmp";
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  assert_string_equal(r.out.data, "/tmp\n");
  bg_runner_result_free(&r);
  o.cwd = "/nonexistent/dir";
  assert_int_equal(run(&o, &r, err, sizeof err), BG_EIO);
  assert_non_null(strstr(err, "cannot chdir"));
  bg_runner_result_free(&r);
}

static void overhead_per_repetition_is_small(void **state) {
  (void)state;
  /* `true` has no shell words, so this is fork + exec of /usr/bin/true plus the agent. A
   * generous bound (CI machines are noisy); the median must stay low. */
  struct bg_runner_opts o = opts("true", 21);
  struct bg_runner_result r;
  char err[1024];
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  long long v[21];
  for (int i = 0; i < 21; i++)
    v[i] = r.samples[i].wall_ns;
  for (int i = 1; i < 21; i++)
    for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
      long long t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  print_message("median wall time of true (exec'd directly): %.3f ms\n", (double)v[10] / 1e6);
  assert_true(v[10] < 20000000LL);
  bg_runner_result_free(&r);
}

static void counts_instructions_or_says_why_not(void **state) {
  (void)state;
  struct bg_runner_opts o = opts("i=0; while [ $i -lt 1000 ]; do i=$((i+1)); done", 2);
  o.count_instructions = 1;
  struct bg_runner_result r;
  char err[1024];
  int rc = run(&o, &r, err, sizeof err);
  if (rc == BG_OK) {
    /* a thousand shell loop iterations take well over 100 000 user-space instructions */
    assert_true(r.samples[0].instructions > 100000);
    assert_true(r.samples[1].instructions > 100000);
  } else {
    /* No PMU (a VM) or perf_event_paranoid forbids it: a clear error, not a zero. */
    assert_int_equal(rc, BG_EUNSUPP);
    assert_non_null(strstr(err, "instructions: "));
    assert_non_null(strstr(err, "perf_event_open"));
    assert_int_equal(r.nsamples, 0);
  }
  bg_runner_result_free(&r);
}

static long long callgrind_count(const char *cmd, int clean_env, long reps, long long *second) {
  struct bg_runner_opts o = opts(cmd, reps);
  struct bg_runner_result r;
  char err[2048];
  o.count_instructions = 1;
  o.force_callgrind = 1;
  o.clean_env = clean_env;
  int rc = run(&o, &r, err, sizeof err);
  if (rc != BG_OK)
    print_message("%s\n", err);
  assert_int_equal(rc, BG_OK);
  assert_string_equal(r.instructions_by, "callgrind");
  assert_int_equal(r.nsamples, reps);
  long long v = r.samples[0].instructions;
  if (second)
    *second = r.samples[reps - 1].instructions;
  /* the timed repetitions are ordinary runs: milliseconds, not valgrind's start-up */
  for (long i = 0; i < reps; i++)
    assert_true(r.samples[i].wall_ns < 150000000LL);
  bg_runner_result_free(&r);
  return v;
}

static void callgrind_counts_are_identical_with_clean_env(void **state) {
  (void)state;
  long long last;
  long long a = callgrind_count("true", 1, 2, &last);
  long long b = callgrind_count("true", 1, 1, NULL);
  print_message("callgrind: true = %lld instructions\n", a);
  assert_true(a > 10000); /* the dynamic loader alone runs tens of thousands */
  assert_int_equal(a, last);
  assert_int_equal(a, b);
  /* through the shell: every process it starts counts, and the count is exact too */
  long long s1 =
      callgrind_count("i=0; while [ $i -lt 500 ]; do i=$((i+1)); done; /bin/true", 1, 1, NULL);
  long long s2 =
      callgrind_count("i=0; while [ $i -lt 500 ]; do i=$((i+1)); done; /bin/true", 1, 1, NULL);
  long long s3 =
      callgrind_count("i=0; while [ $i -lt 1500 ]; do i=$((i+1)); done; /bin/true", 1, 1, NULL);
  print_message("callgrind: 500-step loop %lld, 1500-step loop %lld\n", s1, s3);
  assert_int_equal(s1, s2);
  assert_true(s1 > a);           /* the shell and /bin/true */
  assert_true(s3 - s1 > 100000); /* 1000 more iterations */
}

static void says_what_to_install_without_pmu_or_valgrind(void **state) {
  (void)state;
  char *path = strdup(getenv("PATH"));
  struct bg_runner_opts o = opts("true", 1);
  struct bg_runner_result r;
  char err[1024];
  o.count_instructions = 1;
  o.force_callgrind = 1; /* as if there were no PMU */
  setenv("PATH", "/nonexistent", 1);
  int rc = run(&o, &r, err, sizeof err);
  setenv("PATH", path, 1);
  free(path);
  assert_int_equal(rc, BG_EUNSUPP);
  assert_non_null(strstr(err, "instructions need a PMU or valgrind; install valgrind"));
  bg_runner_result_free(&r);
}

static void execs_plain_words_without_a_shell(void **state) {
  (void)state;
  static const struct {
    const char *cmd;
    int direct;
  } cases[] = {
      {"true", 1},       {"  /bin/echo a-b c=d 1.5,2:x  ", 1},
      {"true; true", 0}, {"x=1 true", 0},
      {"echo $HOME", 0}, {"echo 'a b'", 0},
      {"echo *", 0},     {"echo a > /dev/null", 0},
      {"cd /", 0},       {"exit 0", 0},
      {"if true", 0}, /* keyword: the shell reports the syntax error */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct bg_runner_opts o = opts(cases[i].cmd, 1);
    struct bg_runner_result r;
    char err[1024];
    run(&o, &r, err, sizeof err);
    if (r.direct_exec != cases[i].direct)
      print_message("%s: direct_exec %d\n", cases[i].cmd, r.direct_exec);
    assert_int_equal(r.direct_exec, cases[i].direct);
    bg_runner_result_free(&r);
  }
  /* direct exec passes the words unchanged */
  struct bg_runner_opts o = opts("/bin/echo a-b   c=d", 1);
  struct bg_runner_result r;
  char err[1024];
  o.output = BG_OUT_CAPTURE;
  assert_int_equal(run(&o, &r, err, sizeof err), BG_OK);
  assert_string_equal(r.out.data, "a-b c=d\n");
  bg_runner_result_free(&r);
  /* a program that does not exist goes to the shell, which says so */
  o = opts("no-such-program-here --flag", 1);
  assert_int_equal(run(&o, &r, err, sizeof err), BG_EIO);
  assert_int_equal(r.direct_exec, 0);
  assert_non_null(strstr(err, "exited with status 127"));
  assert_non_null(strstr(err, "not found"));
  bg_runner_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(times_sleep_within_sane_bounds),
      cmocka_unit_test(measures_cpu_time_of_busy_loop),
      cmocka_unit_test(max_rss_of_50mb_allocation_is_at_least_50mb),
      cmocka_unit_test(max_rss_matches_gnu_time_whatever_the_agent_holds),
      cmocka_unit_test(reports_nonzero_exit_with_stderr_tail),
      cmocka_unit_test(reports_death_by_signal),
      cmocka_unit_test(timeout_kills_the_process_group_with_grandchildren),
      cmocka_unit_test(captures_stdout_and_caps_it),
      cmocka_unit_test(pins_the_child_to_configured_cpus),
      cmocka_unit_test(rejects_cpu_that_does_not_exist),
      cmocka_unit_test(switches_aslr_off_unless_kept),
      cmocka_unit_test(clean_env_has_only_fixed_variables),
      cmocka_unit_test(warmup_runs_are_not_recorded),
      cmocka_unit_test(runs_in_cwd_and_reports_a_missing_one),
      cmocka_unit_test(overhead_per_repetition_is_small),
      cmocka_unit_test(counts_instructions_or_says_why_not),
      cmocka_unit_test(callgrind_counts_are_identical_with_clean_env),
      cmocka_unit_test(says_what_to_install_without_pmu_or_valgrind),
      cmocka_unit_test(execs_plain_words_without_a_shell),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
