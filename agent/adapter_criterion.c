/* adapter_criterion.c: Rust Criterion.rs results (target/criterion/<id>/new/).
 *
 * Criterion keeps each benchmark in a directory: benchmark.json names it (full_id, title,
 * group_id/function_id/value_str) and sample.json holds the measurement, "iters" (iterations
 * per sample) and "times" (total ns per sample). The adapter reads a stream of these JSON
 * objects, each sample.json paired with the benchmark.json next to it (before or after), as
 * written by
 *   for d in $(find target/criterion -name new -type d); do
 *     cat "$d/benchmark.json" "$d/sample.json"; done
 * Each sample's time per iteration (times[i] / iters[i], ns) is one wall_time sample.
 * The stream may also be `cargo criterion --message-format=json` output, one message per line
 * (https://bheisler.github.io/criterion.rs/book/cargo_criterion/external_tools.html): each
 * "benchmark-complete" message gives its id and measured_values / iteration_count, as
 * wall_time when the unit is ns, else as a measure named after the unit (lower better).
 * Criterion's estimates.json and tukey.json carry no samples and are rejected by name.
 * bg_adapter_criterion_collect builds the same stream from a results directory.
 */
#include "adapter.h"
#include "adapter_util.h"

#include "mem.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_OBJECTS 200000

static int detect(const char *text, size_t len) {
  if (!bg_adapter_starts_with(text, len, '{'))
    return 0;
  if (bg_adapter_has_key(text, len, "reason", 0) && strstr(text, "\"benchmark-complete\"") &&
      bg_adapter_has_key(text, len, "measured_values", 0))
    return 95;
  int sample =
      bg_adapter_has_key(text, len, "iters", 0) && bg_adapter_has_key(text, len, "times", 0);
  int id = bg_adapter_has_key(text, len, "group_id", 0) &&
           (bg_adapter_has_key(text, len, "full_id", 0) ||
            bg_adapter_has_key(text, len, "function_id", 0));
  return sample && id ? 95 : sample || id ? 60 : 0;
}

/* The benchmark's name: full_id, else title, else group_id[/function_id][/value_str]. */
static int name_of(const cJSON *o, const char *where, char *out, size_t outlen, struct bg_ferr *e) {
  const char *full = NULL, *title = NULL, *group = NULL, *func = NULL, *value = NULL;
  int rc;
  if ((rc = bg_adapter_string(o, "full_id", where, 0, &full, e)) ||
      (rc = bg_adapter_string(o, "title", where, 0, &title, e)) ||
      (rc = bg_adapter_string(o, "group_id", where, 0, &group, e)) ||
      (rc = bg_adapter_string(o, "function_id", where, 0, &func, e)) ||
      (rc = bg_adapter_string(o, "value_str", where, 0, &value, e)))
    return rc;
  if (full || title) {
    snprintf(out, outlen, "%s", full ? full : title);
  } else if (group) {
    snprintf(out, outlen, "%s%s%s%s%s", group, func ? "/" : "", func ? func : "", value ? "/" : "",
             value ? value : "");
  } else {
    return bg_ferr_set(e, where, "benchmark.json without full_id, title or group_id");
  }
  if (!*out)
    return bg_ferr_set(e, where, "empty benchmark name");
  return BG_OK;
}

/* Divides each total (`times_key`) by its iteration count (`iters_key`) into samples of
 * (name, measure). sample.json calls them iters/times, cargo-criterion's messages
 * iteration_count/measured_values. */
static int samples(struct bg_run *run, struct bg_adapter_index *ix, const cJSON *o,
                   const char *iters_key, const char *times_key, const char *name,
                   const char *measure, const char *unit, const char *where, struct bg_ferr *e) {
  char f[128];
  const cJSON *iters = cJSON_GetObjectItemCaseSensitive(o, iters_key);
  const cJSON *times = cJSON_GetObjectItemCaseSensitive(o, times_key);
  snprintf(f, sizeof f, "%s.%s", where, iters_key);
  if (!cJSON_IsArray(iters))
    return bg_ferr_set(e, f, "must be an array of numbers");
  snprintf(f, sizeof f, "%s.%s", where, times_key);
  if (!cJSON_IsArray(times))
    return bg_ferr_set(e, f, "must be an array of numbers");
  int n = cJSON_GetArraySize(iters);
  if (n != cJSON_GetArraySize(times))
    return bg_ferr_set(e, f, "has %d entries but %s has %d", cJSON_GetArraySize(times), iters_key,
                       n);
  if (n < 1)
    return bg_ferr_set(e, f, "empty");
  int created;
  struct bg_result *r = bg_adapter_result(run, ix, name, measure, unit, BG_LOWER, &created);
  if (!created)
    return bg_ferr_set(e, where, "benchmark '%.200s' appears twice", name);
  const cJSON *it = iters->child, *t = times->child;
  for (int j = 0; j < n && it && t; j++, it = it->next, t = t->next) {
    int rc;
    snprintf(f, sizeof f, "%s.%s[%d]", where, iters_key, j);
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= 1) || it->valuedouble > 1e18 ||
        it->valuedouble != floor(it->valuedouble))
      return bg_ferr_set(e, f, "must be an integer >= 1");
    snprintf(f, sizeof f, "%s.%s[%d]", where, times_key, j);
    if (!cJSON_IsNumber(t))
      return bg_ferr_set(e, f, "must be a number");
    if ((rc = bg_adapter_check_value(t->valuedouble, 0, f, e)) ||
        (rc = bg_adapter_add_sample(r, t->valuedouble / it->valuedouble, 0, f, e)))
      return rc;
  }
  return BG_OK;
}

/* One line of `cargo criterion --message-format=json`: benchmark-complete messages carry the
 * id and the measurements; other messages (group-complete) are skipped. */
static int message(struct bg_run *run, struct bg_adapter_index *ix, const cJSON *o,
                   const char *where, struct bg_ferr *e) {
  const char *reason = NULL, *id = NULL, *unit = "ns";
  int rc;
  if ((rc = bg_adapter_string(o, "reason", where, 1, &reason, e)))
    return rc;
  if (strcmp(reason, "benchmark-complete") != 0)
    return BG_OK;
  if ((rc = bg_adapter_string(o, "id", where, 1, &id, e)) ||
      (rc = bg_adapter_string(o, "unit", where, 0, &unit, e)))
    return rc;
  /* Wall time is in ns; custom measurements (cycles, instructions) keep their unit. */
  char slug[80];
  const char *measure = "wall_time";
  if (strcmp(unit, "ns") != 0) {
    char f[96];
    snprintf(f, sizeof f, "%s.unit", where);
    if (!bg_adapter_slug(unit, slug, sizeof slug))
      return bg_ferr_set(e, f, "unknown unit '%.32s'", unit);
    measure = slug;
  }
  return samples(run, ix, o, "iteration_count", "measured_values", id, measure, unit, where, e);
}

enum kind { SAMPLE, ID, MESSAGE };

static int parse(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e) {
  struct bg_adapter_index ix = {0};
  cJSON *pending = NULL; /* a sample.json waiting for its name */
  char pending_where[48] = "", name[1100] = "";
  int have_name = 0, rc = BG_OK;
  size_t pos = 0, count = 0, nmessages = 0, before = run->nresults;
  for (;;) {
    while (pos < len && strchr(" \t\r\n", text[pos]))
      pos++;
    if (pos >= len)
      break;
    char where[48], f[48];
    snprintf(where, sizeof where, "object %zu", count + 1);
    snprintf(f, sizeof f, "line %zu", bg_adapter_line_of(text, pos));
    if (++count > MAX_OBJECTS) {
      rc = bg_ferr_set(e, f, "more than %d objects", MAX_OBJECTS);
      goto out;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(text + pos, len - pos, &end, 0);
    if (!o) {
      size_t at = end && end >= text + pos ? (size_t)(end - text) : pos;
      snprintf(f, sizeof f, "line %zu", bg_adapter_line_of(text, at));
      rc = bg_ferr_set(e, f, count == 1 ? "malformed JSON" : "malformed JSON in %s", where);
      rc = BG_EPARSE;
      goto out;
    }
    pos = (size_t)(end - text);
    if (!cJSON_IsObject(o)) {
      cJSON_Delete(o);
      rc = bg_ferr_set(e, f, "%s must be a JSON object", where);
      goto out;
    }
    enum kind kind;
    if (cJSON_GetObjectItemCaseSensitive(o, "reason")) {
      kind = MESSAGE;
    } else if (cJSON_GetObjectItemCaseSensitive(o, "iters") ||
               cJSON_GetObjectItemCaseSensitive(o, "times")) {
      kind = SAMPLE;
    } else if (cJSON_GetObjectItemCaseSensitive(o, "group_id") ||
               cJSON_GetObjectItemCaseSensitive(o, "full_id") ||
               cJSON_GetObjectItemCaseSensitive(o, "title")) {
      kind = ID;
    } else {
      cJSON_Delete(o);
      rc = bg_ferr_set(e, f,
                       "%s is neither a sample.json (iters, times) nor a benchmark.json "
                       "(group_id, full_id); estimates.json has no samples",
                       where);
      goto out;
    }
    if (kind == MESSAGE) {
      nmessages++;
      rc = message(run, &ix, o, where, e);
      cJSON_Delete(o);
      if (rc)
        goto out;
      continue;
    }
    if (kind == ID) {
      if (have_name) {
        cJSON_Delete(o);
        rc = bg_ferr_set(e, f, "benchmark.json of '%.200s' without its sample.json", name);
        goto out;
      }
      rc = name_of(o, where, name, sizeof name, e);
      cJSON_Delete(o);
      if (rc)
        goto out;
      have_name = 1;
      if (pending) {
        /* The sample came first: it belongs to this benchmark.json. */
        rc =
            samples(run, &ix, pending, "iters", "times", name, "wall_time", "ns", pending_where, e);
        cJSON_Delete(pending);
        pending = NULL;
        have_name = 0;
        if (rc)
          goto out;
      }
      continue;
    }
    if (have_name) {
      rc = samples(run, &ix, o, "iters", "times", name, "wall_time", "ns", where, e);
      cJSON_Delete(o);
      have_name = 0;
      if (rc)
        goto out;
      continue;
    }
    if (pending) {
      cJSON_Delete(o);
      rc = bg_ferr_set(e, pending_where, "sample.json without a benchmark.json next to it");
      goto out;
    }
    pending = o;
    snprintf(pending_where, sizeof pending_where, "%s", where);
  }
  if (pending)
    rc = bg_ferr_set(e, pending_where,
                     "sample.json without a benchmark.json next to it "
                     "(cat benchmark.json and sample.json of each benchmark)");
  else if (count == 0)
    rc = bg_ferr_set(e, "line 1", "empty input"), rc = BG_EPARSE;
  else if (have_name)
    rc = bg_ferr_set(e, "", "benchmark.json of '%.200s' without its sample.json", name);
  else if (nmessages && run->nresults == before)
    rc = bg_ferr_set(e, "", "no benchmark-complete message");
out:
  cJSON_Delete(pending);
  bg_adapter_index_free(&ix);
  return rc;
}

/* ---- collecting a results directory ---- */

#define MAX_DEPTH 16
#define MAX_DIRS 100000

struct paths {
  char **v;
  size_t n, cap;
};

static int exists(const char *dir, const char *name) {
  char p[4200];
  struct stat st;
  if (snprintf(p, sizeof p, "%s/%s", dir, name) >= (int)sizeof p)
    return 0;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds every "new" directory with both files under `dir`. Symbolic links are not followed,
 * so a loop in the tree cannot recurse forever. */
static int walk(const char *dir, int depth, struct paths *out, struct bg_ferr *e) {
  DIR *d = opendir(dir);
  if (!d) {
    bg_ferr_set(e, dir, "cannot open the directory");
    return BG_EIO;
  }
  int rc = BG_OK;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0 ||
        strcmp(ent->d_name, "report") == 0)
      continue;
    char p[4096];
    struct stat st;
    if (snprintf(p, sizeof p, "%s/%s", dir, ent->d_name) >= (int)sizeof p)
      continue;
    if (lstat(p, &st) != 0 || !S_ISDIR(st.st_mode))
      continue;
    if (strcmp(ent->d_name, "new") == 0 && exists(p, "benchmark.json") &&
        exists(p, "sample.json")) {
      if (out->n >= MAX_DIRS) {
        rc = bg_ferr_set(e, dir, "more than %d benchmarks", MAX_DIRS);
        goto out;
      }
      bg_xgrow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v);
      out->v[out->n++] = bg_xstrdup(p);
    } else if (depth < MAX_DEPTH && (rc = walk(p, depth + 1, out, e))) {
      goto out;
    }
  }
out:
  closedir(d);
  return rc;
}

static int by_string(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int bg_adapter_criterion_collect(const char *dir, struct bg_buf *out, struct bg_ferr *e) {
  struct paths found = {0};
  bg_ferr_clear(e);
  int rc = walk(dir, 0, &found, e);
  if (rc)
    goto out;
  if (found.n == 0) {
    bg_ferr_set(e, dir, "no <benchmark>/new/ directory with benchmark.json and sample.json");
    rc = BG_ENOENT;
    goto out;
  }
  qsort(found.v, found.n, sizeof *found.v, by_string);
  for (size_t i = 0; i < found.n; i++) {
    static const char *const files[] = {"benchmark.json", "sample.json"};
    for (int k = 0; k < 2; k++) {
      char p[4200];
      snprintf(p, sizeof p, "%s/%s", found.v[i], files[k]);
      if ((rc = bg_buf_read_file(out, p)) || (rc = bg_buf_append(out, "\n", 1))) {
        bg_ferr_set(
            e, p, rc == BG_ETOOBIG ? "the results exceed the size limit" : "cannot read the file");
        goto out;
      }
    }
  }
out:
  for (size_t i = 0; i < found.n; i++)
    free(found.v[i]);
  free(found.v);
  return rc;
}

const struct bg_adapter bg_adapter_criterion = {"criterion", detect, parse};
