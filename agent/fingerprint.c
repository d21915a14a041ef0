/* fingerprint.c: reads /proc and /sys for the testbed fingerprint. */
#include "fingerprint.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Reads the first line of root/path into out without its newline; 0 when unreadable. */
static int read_line(const char *root, const char *path, char *out, size_t outlen) {
  char full[512];
  snprintf(full, sizeof full, "%s%s", root, path);
  FILE *f = fopen(full, "r");
  if (!f)
    return 0;
  int ok = fgets(out, (int)outlen, f) != NULL;
  fclose(f);
  if (ok)
    out[strcspn(out, "\n")] = '\0';
  return ok;
}

/* Finds "key<spaces>: value" in a /proc text file; copies value. */
static int find_field(const char *root, const char *path, const char *key, char *out,
                      size_t outlen) {
  char full[512], line[1024];
  size_t kl = strlen(key);
  int found = 0;
  snprintf(full, sizeof full, "%s%s", root, path);
  FILE *f = fopen(full, "r");
  if (!f)
    return 0;
  while (!found && fgets(line, sizeof line, f)) {
    if (strncmp(line, key, kl) || !strchr(" \t:", line[kl]))
      continue;
    char *v = strchr(line + kl, ':');
    if (!v)
      continue;
    v++;
    while (*v == ' ' || *v == '\t')
      v++;
    v[strcspn(v, "\n")] = '\0';
    snprintf(out, outlen, "%s", v);
    found = 1;
  }
  fclose(f);
  return found;
}

/* Parses a kernel CPU list ("0-3,8,10-11") into a JSON array; an empty list gives []. */
static cJSON *cpu_list(const char *s) {
  cJSON *a = cJSON_CreateArray();
  while (*s) {
    char *end;
    long lo = strtol(s, &end, 10), hi;
    if (end == s)
      break;
    hi = lo;
    if (*end == '-') {
      s = end + 1;
      hi = strtol(s, &end, 10);
      if (end == s)
        break;
    }
    for (long c = lo; c <= hi && c - lo < 4096; c++)
      cJSON_AddItemToArray(a, cJSON_CreateNumber((double)c));
    s = end;
    if (*s == ',')
      s++;
    else
      break;
  }
  return a;
}

cJSON *bg_fingerprint_collect(const char *root, const int *cpus, size_t ncpus, int aslr_disabled) {
  cJSON *fp = cJSON_CreateObject();
  char v[512], path[256];
  if (!root)
    root = "";

  if (find_field(root, "/proc/cpuinfo", "model name", v, sizeof v) ||
      find_field(root, "/proc/cpuinfo", "Model", v, sizeof v) ||
      find_field(root, "/proc/cpuinfo", "cpu model", v, sizeof v))
    cJSON_AddStringToObject(fp, "cpu_model", v);
  else
    cJSON_AddNullToObject(fp, "cpu_model");

  long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (read_line(root, "/sys/devices/system/cpu/online", v, sizeof v)) {
    cJSON *l = cpu_list(v);
    online = cJSON_GetArraySize(l);
    cJSON_Delete(l);
  }
  cJSON_AddNumberToObject(fp, "cpus", (double)online);

  if (read_line(root, "/sys/devices/system/cpu/smt/active", v, sizeof v))
    cJSON_AddBoolToObject(fp, "smt", strcmp(v, "1") == 0);
  else
    cJSON_AddNullToObject(fp, "smt");

  cJSON *pinned = cJSON_AddArrayToObject(fp, "pinned_cpus");
  for (size_t i = 0; i < ncpus; i++)
    cJSON_AddItemToArray(pinned, cJSON_CreateNumber(cpus[i]));

  if (read_line(root, "/sys/devices/system/cpu/isolated", v, sizeof v))
    cJSON_AddItemToObject(fp, "isolated_cpus", cpu_list(v));
  else
    cJSON_AddNullToObject(fp, "isolated_cpus");

  struct utsname u;
  if (*root == '\0' && uname(&u) == 0)
    cJSON_AddStringToObject(fp, "kernel", u.release);
  else if (read_line(root, "/proc/sys/kernel/osrelease", v, sizeof v))
    cJSON_AddStringToObject(fp, "kernel", v);
  else
    cJSON_AddNullToObject(fp, "kernel");

  snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
           ncpus ? cpus[0] : 0);
  if (read_line(root, path, v, sizeof v))
    cJSON_AddStringToObject(fp, "governor", v);
  else
    cJSON_AddNullToObject(fp, "governor");

  /* Boost: acpi-cpufreq's "boost" (1 = on) or intel_pstate's "no_turbo" (1 = off). */
  if (read_line(root, "/sys/devices/system/cpu/cpufreq/boost", v, sizeof v))
    cJSON_AddBoolToObject(fp, "boost", strcmp(v, "1") == 0);
  else if (read_line(root, "/sys/devices/system/cpu/intel_pstate/no_turbo", v, sizeof v))
    cJSON_AddBoolToObject(fp, "boost", strcmp(v, "0") == 0);
  else
    cJSON_AddNullToObject(fp, "boost");

  if (read_line(root, "/proc/sys/kernel/randomize_va_space", v, sizeof v))
    cJSON_AddBoolToObject(fp, "aslr", strcmp(v, "0") != 0 && !aslr_disabled);
  else
    cJSON_AddBoolToObject(fp, "aslr", !aslr_disabled);

  double load = -1;
  if (read_line(root, "/proc/loadavg", v, sizeof v)) {
    char *end;
    load = strtod(v, &end);
    if (end == v)
      load = -1;
  }
  if (load >= 0)
    cJSON_AddNumberToObject(fp, "load_avg_1m", load);
  else
    cJSON_AddNullToObject(fp, "load_avg_1m");

  if (find_field(root, "/proc/meminfo", "MemTotal", v, sizeof v)) {
    char *end;
    long long kib = strtoll(v, &end, 10);
    cJSON_AddNumberToObject(fp, "memory_bytes", (double)kib * 1024.0);
  } else {
    cJSON_AddNullToObject(fp, "memory_bytes");
  }
  return fp;
}

void bg_fingerprint_warn(const cJSON *fp, struct bg_run *run) {
  char w[256];
  const cJSON *load = cJSON_GetObjectItemCaseSensitive(fp, "load_avg_1m");
  const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(fp, "cpus");
  const cJSON *pinned = cJSON_GetObjectItemCaseSensitive(fp, "pinned_cpus");
  const cJSON *gov = cJSON_GetObjectItemCaseSensitive(fp, "governor");
  const cJSON *boost = cJSON_GetObjectItemCaseSensitive(fp, "boost");
  double n = cJSON_IsNumber(cpus) && cpus->valuedouble > 0 ? cpus->valuedouble : 1;
  if (cJSON_IsNumber(load) && load->valuedouble > BG_FINGERPRINT_LOAD_WARN * n) {
    snprintf(w, sizeof w,
             "load average %.2f is high for %.0f CPUs: other work may disturb "
             "the measurements",
             load->valuedouble, n);
    bg_run_add_warning(run, w);
  }
  if (!cJSON_IsArray(pinned) || cJSON_GetArraySize(pinned) == 0)
    bg_run_add_warning(run, "benchmarks are not pinned to CPUs (set cpus: in the config)");
  if (cJSON_IsString(gov) && strcmp(gov->valuestring, "performance")) {
    snprintf(w, sizeof w, "CPU frequency governor is '%.64s', not 'performance'", gov->valuestring);
    bg_run_add_warning(run, w);
  }
  if (cJSON_IsTrue(boost))
    bg_run_add_warning(run, "CPU boost (turbo) is on: clock speed varies with temperature");
}

void bg_fingerprint_adopt(struct bg_run *run, const struct bg_run *part, const char *suite) {
  const cJSON *m;
  if (!cJSON_IsObject(part->fingerprint))
    return;
  if (!run->fingerprint)
    run->fingerprint = cJSON_CreateObject();
  cJSON_ArrayForEach(m, part->fingerprint) {
    const cJSON *had = cJSON_GetObjectItemCaseSensitive(run->fingerprint, m->string);
    if (!had) {
      cJSON_AddItemToObject(run->fingerprint, m->string, cJSON_Duplicate(m, 1));
    } else if (!cJSON_Compare(had, m, 1)) {
      char *a = cJSON_PrintUnformatted(had), *b = cJSON_PrintUnformatted(m), w[512];
      snprintf(w, sizeof w,
               "suite %.100s: fingerprint %.64s is %.64s here but %.64s in an earlier "
               "suite; kept %.64s",
               suite, m->string, b ? b : "?", a ? a : "?", a ? a : "?");
      bg_run_add_warning(run, w);
      cJSON_free(a);
      cJSON_free(b);
    }
  }
}
