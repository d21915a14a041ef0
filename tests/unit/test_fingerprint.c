/* test_fingerprint.c: the testbed fingerprint from a fake /proc and /sys tree, its warnings,
 * and the real machine's fingerprint having every field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fingerprint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char root[64];

static void put(const char *path, const char *text) {
  char full[512], dir[600];
  snprintf(full, sizeof full, "%s%s", root, path);
  snprintf(dir, sizeof dir, "mkdir -p \"$(dirname '%s')\"", full);
  assert_int_equal(system(dir), 0);
  FILE *f = fopen(full, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  snprintf(root, sizeof root, "/tmp/bg_fp_XXXXXX");
  return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  return system(cmd) == 0 ? 0 : -1;
}

static void reads_every_field_from_proc_and_sys(void **state) {
  (void)state;
  put("/proc/cpuinfo", "processor\t: 0\nmodel name\t: AMD EPYC 7763 64-Core Processor\n");
  put("/sys/devices/system/cpu/online", "0-3,6\n");
  put("/sys/devices/system/cpu/smt/active", "1\n");
  put("/sys/devices/system/cpu/isolated", "2-3\n");
  put("/proc/sys/kernel/osrelease", "6.1.0-13-amd64\n");
  put("/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "performance\n");
  put("/sys/devices/system/cpu/intel_pstate/no_turbo", "1\n");
  put("/proc/sys/kernel/randomize_va_space", "2\n");
  put("/proc/loadavg", "0.12 0.30 0.40 1/123 4567\n");
  put("/proc/meminfo", "MemTotal:       16318504 kB\nMemFree: 1 kB\n");
  int cpus[] = {2, 3};
  cJSON *fp = bg_fingerprint_collect(root, cpus, 2, 1);
  char *s = cJSON_PrintUnformatted(fp);
  assert_string_equal(s, "{\"cpu_model\":\"AMD EPYC 7763 64-Core Processor\",\"cpus\":5,"
                         "\"smt\":true,\"pinned_cpus\":[2,3],\"isolated_cpus\":[2,3],"
                         "\"kernel\":\"6.1.0-13-amd64\",\"governor\":\"performance\","
                         "\"boost\":false,\"aslr\":false,\"load_avg_1m\":0.12,"
                         "\"memory_bytes\":16710148096}");
  cJSON_free(s);
  struct bg_run *run = bg_run_new();
  bg_fingerprint_warn(fp, run);
  assert_int_equal(run->nwarnings, 0);
  bg_run_free(run);
  cJSON_Delete(fp);
  /* ASLR is reported on when benchmark processes keep it. */
  fp = bg_fingerprint_collect(root, cpus, 2, 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fp, "aslr")));
  cJSON_Delete(fp);
}

static void missing_values_are_null_and_warnings_are_added(void **state) {
  (void)state;
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s/sys %s/proc/cpuinfo", root, root);
  assert_int_equal(system(cmd), 0);
  put("/proc/loadavg", "3.50 0.30 0.40 1/123 4567\n");
  put("/sys/devices/system/cpu/online", "0-1\n");
  put("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave\n");
  put("/sys/devices/system/cpu/cpufreq/boost", "1\n");
  cJSON *fp = bg_fingerprint_collect(root, NULL, 0, 1);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(fp, "cpu_model")));
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(fp, "smt")));
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(fp, "isolated_cpus")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fp, "boost")));
  struct bg_run *run = bg_run_new();
  bg_fingerprint_warn(fp, run);
  assert_int_equal(run->nwarnings, 4);
  assert_non_null(strstr(run->warnings[0], "load average 3.50 is high for 2 CPUs"));
  assert_non_null(strstr(run->warnings[1], "not pinned"));
  assert_non_null(strstr(run->warnings[2], "'powersave'"));
  assert_non_null(strstr(run->warnings[3], "boost"));
  bg_run_free(run);
  cJSON_Delete(fp);
}

static void real_machine_fingerprint_has_every_field(void **state) {
  (void)state;
  int cpu = 0;
  cJSON *fp = bg_fingerprint_collect(NULL, &cpu, 1, 1);
  const char *keys[] = {"cpu_model", "cpus",  "smt",  "pinned_cpus", "isolated_cpus", "kernel",
                        "governor",  "boost", "aslr", "load_avg_1m", "memory_bytes"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    if (!cJSON_GetObjectItemCaseSensitive(fp, keys[i]))
      fail_msg("no %s", keys[i]);
  assert_true(cJSON_GetObjectItemCaseSensitive(fp, "cpus")->valuedouble >= 1);
  assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fp, "kernel")));
  cJSON_Delete(fp);
}

/* What an adapter says of the machine (Go's gomaxprocs) joins the run's fingerprint; a second
 * suite that says otherwise keeps the first value and warns. */
static void adopts_what_a_harness_says_and_warns_on_a_conflict(void **state) {
  (void)state;
  struct bg_run *run = bg_run_new(), *part = bg_run_new(), *other = bg_run_new();
  run->fingerprint = cJSON_CreateObject();
  cJSON_AddNumberToObject(run->fingerprint, "cpus", 2);
  bg_fingerprint_adopt(run, part, "none"); /* no fingerprint: nothing happens */
  assert_int_equal(cJSON_GetArraySize(run->fingerprint), 1);
  part->fingerprint = cJSON_CreateObject();
  cJSON_AddNumberToObject(part->fingerprint, "gomaxprocs", 2);
  bg_fingerprint_adopt(run, part, "go-a");
  bg_fingerprint_adopt(run, part, "go-b"); /* the same value again: no warning */
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(run->fingerprint, "gomaxprocs")->valueint, 2);
  assert_int_equal(run->nwarnings, 0);
  other->fingerprint = cJSON_CreateObject();
  cJSON_AddNumberToObject(other->fingerprint, "gomaxprocs", 4);
  bg_fingerprint_adopt(run, other, "go-c");
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(run->fingerprint, "gomaxprocs")->valueint, 2);
  assert_int_equal(run->nwarnings, 1);
  assert_string_equal(run->warnings[0], "suite go-c: fingerprint gomaxprocs is 4 here but 2 in an "
                                        "earlier suite; kept 2");
  bg_run_free(run);
  bg_run_free(part);
  bg_run_free(other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reads_every_field_from_proc_and_sys),
      cmocka_unit_test(missing_values_are_null_and_warnings_are_added),
      cmocka_unit_test(real_machine_fingerprint_has_every_field),
      cmocka_unit_test(adopts_what_a_harness_says_and_warns_on_a_conflict),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
