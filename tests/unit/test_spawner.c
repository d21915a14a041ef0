/* test_spawner.c: the spawn helper with real processes: its children are ours to wait for,
 * get the descriptors we pass, wait on a sync pipe before exec, and report a failed exec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "error.h"
#include "spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct pipes {
  int out[2], err[2], status[2], sync[2];
};

static void open_pipes(struct pipes *p, int with_sync) {
  assert_int_equal(pipe2(p->out, O_CLOEXEC), 0);
  assert_int_equal(pipe2(p->err, O_CLOEXEC), 0);
  assert_int_equal(pipe2(p->status, O_CLOEXEC), 0);
  p->sync[0] = p->sync[1] = -1;
  if (with_sync)
    assert_int_equal(pipe2(p->sync, O_CLOEXEC), 0);
}

/* Starts argv through a new helper; closes our copies of the child's ends. */
static pid_t spawn(struct bg_spawner *sp, char *const *argv, struct pipes *p) {
  struct bg_childexec_spec spec = {argv, environ, NULL, NULL, 1};
  char err[256];
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  assert_true(devnull >= 0);
  assert_int_equal(bg_spawner_start(sp, &spec, devnull, err, sizeof err), BG_OK);
  close(devnull);
  struct bg_childexec_fds fds = {-1, p->out[1], p->err[1], p->status[1], p->sync[0]};
  pid_t pid = 0;
  assert_int_equal(bg_spawner_spawn(sp, &fds, &pid, err, sizeof err), BG_OK);
  assert_true(pid > 0);
  int mine[] = {p->out[1], p->err[1], p->status[1], p->sync[0]};
  for (size_t i = 0; i < 4; i++)
    if (mine[i] >= 0)
      close(mine[i]);
  return pid;
}

static void children_are_ours_and_write_where_we_say(void **state) {
  (void)state;
  struct bg_spawner sp;
  struct pipes p;
  char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
  open_pipes(&p, 0);
  pid_t pid = spawn(&sp, argv, &p);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid); /* CLONE_PARENT: our child, not the helper's */
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 3);
  char buf[64] = "";
  assert_int_equal(read(p.out[0], buf, sizeof buf - 1), 4);
  assert_string_equal(buf, "out\n");
  memset(buf, 0, sizeof buf);
  assert_int_equal(read(p.err[0], buf, sizeof buf - 1), 4);
  assert_string_equal(buf, "err\n");
  assert_int_equal(read(p.status[0], buf, sizeof buf), 0); /* exec'd: nothing on the status pipe */
  bg_spawner_stop(&sp);
  assert_int_equal(sp.pid, 0);
  close(p.out[0]);
  close(p.err[0]);
  close(p.status[0]);
}

static void child_waits_for_the_sync_byte_before_exec(void **state) {
  (void)state;
  struct bg_spawner sp;
  struct pipes p;
  char *argv[] = {"/bin/echo", "ran", NULL};
  open_pipes(&p, 1);
  pid_t pid = spawn(&sp, argv, &p);
  struct pollfd pf = {p.out[0], POLLIN, 0};
  assert_int_equal(poll(&pf, 1, 200), 0); /* nothing before the byte */
  assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
  assert_int_equal(write(p.sync[1], "g", 1), 1);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char buf[16] = "";
  assert_int_equal(read(p.out[0], buf, sizeof buf - 1), 4);
  assert_string_equal(buf, "ran\n");
  bg_spawner_stop(&sp);
  close(p.out[0]);
  close(p.err[0]);
  close(p.status[0]);
  close(p.sync[1]);
}

static void failed_exec_is_reported_on_the_status_pipe(void **state) {
  (void)state;
  struct bg_spawner sp;
  struct pipes p;
  char *argv[] = {"/no/such/program", NULL};
  open_pipes(&p, 0);
  pid_t pid = spawn(&sp, argv, &p);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_int_equal(WEXITSTATUS(status), 127);
  struct bg_childexec_msg m;
  assert_int_equal(read(p.status[0], &m, sizeof m), (ssize_t)sizeof m);
  assert_int_equal(m.tag, 'E');
  assert_int_equal(m.stage, BG_CHILDEXEC_EXEC);
  assert_int_equal(m.err, ENOENT);
  bg_spawner_stop(&sp);
  close(p.out[0]);
  close(p.err[0]);
  close(p.status[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(children_are_ours_and_write_where_we_say),
      cmocka_unit_test(child_waits_for_the_sync_byte_before_exec),
      cmocka_unit_test(failed_exec_is_reported_on_the_status_pipe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
