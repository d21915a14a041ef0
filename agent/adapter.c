/* adapter.c: the table of harness adapters, format detection and dispatch. */
#include "adapter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

extern const struct bg_adapter bg_adapter_native, bg_adapter_gbench, bg_adapter_hyperfine,
    bg_adapter_criterion, bg_adapter_go, bg_adapter_catch2, bg_adapter_pytest, bg_adapter_bmf,
    bg_adapter_jmh;

/* Detection asks every adapter; on a tie the earlier entry wins, so list the more specific
 * formats first. Each detector looks for keys or markup that only its format has (see the
 * adapter files and tests/unit/test_adapters.c, which checks every fixture is detected as its
 * own format); BMF, which has no marker of its own, checks the whole shape and scores lower. */
static const struct bg_adapter *const adapters[] = {
    &bg_adapter_native,    &bg_adapter_gbench, &bg_adapter_hyperfine,
    &bg_adapter_criterion, &bg_adapter_go,     &bg_adapter_catch2,
    &bg_adapter_pytest,    &bg_adapter_jmh,    &bg_adapter_bmf,
};

#define NADAPTERS (sizeof adapters / sizeof *adapters)

const struct bg_adapter *bg_adapter_find(const char *name) {
  for (size_t i = 0; name && i < NADAPTERS; i++)
    if (strcmp(adapters[i]->name, name) == 0)
      return adapters[i];
  return NULL;
}

const struct bg_adapter *bg_adapter_detect(const char *text, size_t len) {
  const struct bg_adapter *best = NULL;
  int best_score = 0;
  for (size_t i = 0; i < NADAPTERS; i++) {
    int s = adapters[i]->detect(text, len);
    if (s > best_score) {
      best_score = s;
      best = adapters[i];
    }
  }
  return best;
}

void bg_adapter_names(char *buf, size_t len) {
  size_t used = 0;
  if (len)
    buf[0] = '\0';
  for (size_t i = 0; i < NADAPTERS && used < len; i++) {
    int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", adapters[i]->name);
    if (n < 0)
      break;
    used += (size_t)n;
  }
}

/* The result rules of bg_run_validate, applied to a run that may lack its identity fields:
 * validate a shallow copy that borrows the results and has placeholder identity. */
static int check_results(struct bg_run *run, struct bg_ferr *e) {
  struct bg_run probe = {0};
  probe.run_id = "00000000-0000-0000-0000-000000000000";
  probe.commit.sha = "0000000000000000000000000000000000000000";
  probe.commit.branch = "main";
  probe.testbed = "adapter";
  probe.results = run->results;
  probe.nresults = run->nresults;
  return bg_run_validate(&probe, e);
}

int bg_adapter_parse(const char *format, const char *text, size_t len, struct bg_run *run,
                     struct bg_ferr *e) {
  char names[256];
  const struct bg_adapter *a;
  bg_ferr_clear(e);
  /* Said before detection: "not a recognised format" would send the user looking for a
   * --format when the harness wrote nothing. */
  size_t lead = 0;
  while (lead < len && strchr(" \t\r\n", text[lead]))
    lead++;
  if (lead == len) {
    bg_ferr_set(e, "", "%s",
                len ? "only white space: no benchmark output in it"
                    : "empty: no benchmark output in it");
    return BG_EINVAL;
  }
  if (format) {
    a = bg_adapter_find(format);
    if (!a) {
      bg_adapter_names(names, sizeof names);
      bg_ferr_set(e, "format", "unknown format '%s' (known: %s)", format, names);
      return BG_EUNSUPP;
    }
  } else {
    a = bg_adapter_detect(text, len);
    if (!a) {
      bg_adapter_names(names, sizeof names);
      bg_ferr_set(e, "", "not a recognised benchmark format (known: %s); use --format", names);
      return BG_EUNSUPP;
    }
  }
  int rc = a->parse(text, len, run, e);
  if (rc == BG_OK)
    rc = check_results(run, e);
  return rc;
}

static int read_stream(FILE *f, struct bg_buf *b) {
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    if (bg_buf_append(b, chunk, n) != BG_OK)
      return BG_ETOOBIG;
  if (ferror(f))
    return BG_EIO;
  return bg_buf_append(b, "", 0);
}

/* Prefixes the file name to the error's field, so every caller reports "FILE: field"; a field
 * that already names a path inside it (a file of a directory) stays as it is. */
static void name_file(struct bg_ferr *e, const char *path) {
  size_t pl = strlen(path);
  if (!e || (!strncmp(e->field, path, pl) && (e->field[pl] == '/' || e->field[pl] == '\0')))
    return;
  char field[sizeof e->field];
  /* A very long path and field are cut, which still names the file. */
  if (snprintf(field, sizeof field, "%s%s%s", path, e->field[0] ? ": " : "", e->field) < 0)
    return;
  memcpy(e->field, field, sizeof field);
}

int bg_adapter_parse_file(const char *format, const char *path, struct bg_run *run,
                          struct bg_ferr *e) {
  struct bg_buf b;
  struct stat st;
  int rc;
  bg_buf_init(&b, BG_ADAPTER_MAX_FILE);
  bg_ferr_clear(e);
  if (strcmp(path, "-") == 0) {
    rc = read_stream(stdin, &b);
  } else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (format && strcmp(format, "criterion") != 0) {
      bg_ferr_set(e, "",
                  "a directory, not a file (--format %s reads a file; only criterion "
                  "reads a directory, target/criterion)",
                  format);
      rc = BG_EINVAL;
    } else if ((rc = bg_adapter_criterion_collect(path, &b, e)) == BG_ENOENT) {
      bg_ferr_set(e, "",
                  "a directory, not a benchmark output file (nor a Criterion "
                  "target/criterion tree: no <benchmark>/new/ with benchmark.json and "
                  "sample.json in it)");
    } else if (rc == BG_OK && !format) {
      format = "criterion";
    }
  } else {
    errno = 0;
    rc = bg_buf_read_file(&b, path);
  }
  if (rc == BG_EIO || rc == BG_ETOOBIG) {
    if (!e || !e->message[0])
      bg_ferr_set(e, "", "%s", rc == BG_ETOOBIG ? "file too large" : strerror(errno ? errno : EIO));
  } else if (rc == BG_OK) {
    rc = bg_adapter_parse(format, b.data, b.len, run, e);
  }
  if (rc != BG_OK)
    name_file(e, path);
  bg_buf_free(&b);
  return rc;
}
