/* adapter_go.c: `go test -bench` output, as text or as `go test -json` events.
 *
 * A result line is "BenchmarkName-P  <iterations>  <value> <unit>  <value> <unit> ...". Each
 * line is one sample (run with -count N for N samples): ns/op as wall_time (ns), B/op as
 * bytes_per_op (bytes), allocs/op as allocs_per_op (count), MB/s as bytes_per_second
 * (bytes/s, higher), and any b.ReportMetric unit as a measure named after the unit (higher
 * when it ends in "/s", lower otherwise). With -json the "output" events of each package are
 * joined (go splits one result line over two events) and read as text. A benchmark name seen
 * in two packages is an error rather than a silent merge. Errors name the line of the input.
 *
 * The GOMAXPROCS suffix: Go names a result "BenchmarkX-P" when GOMAXPROCS is P > 1 and
 * "BenchmarkX" when it is 1, so the same benchmark would become a new series whenever the CPU
 * count changes. The suffix is dropped, and P goes to the run's testbed fingerprint as
 * "gomaxprocs", when every result line of the input ends in the same "-P" with P >= 2: one
 * `go test` run has one GOMAXPROCS, while names of their own rarely all end in the same
 * "-<digits>". Where go announces each benchmark by its bare name before its result (-json,
 * -v), a result printed under its announced name proves it has no suffix, and nothing is
 * dropped. With a -cpu list (lines "X" and "X-2" alike) names stay as Go writes them, one
 * series per GOMAXPROCS, and no fingerprint entry is made. GOMAXPROCS 1 is recorded (as 1)
 * when a result proves it: a name without "-<digits>", or an announced one. What this cannot
 * tell apart: a run at GOMAXPROCS 1, without -json or -v, in which every benchmark's own name
 * ends in the same "-N" (only `-bench 'Copy'` of "BenchmarkCopy/size-1024", say) is read as
 * GOMAXPROCS N.
 */
#include "adapter.h"
#include "adapter_util.h"

#include "buf.h"
#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PACKAGES 10000
#define MAX_LINE_FIELDS 64

/* Returns 1 when line (n bytes) looks like a benchmark result line: "Benchmark..." then
 * blanks, digits, blanks. */
static int result_line(const char *s, size_t n) {
  size_t i = 0;
  if (n < 10 || memcmp(s, "Benchmark", 9) != 0)
    return 0;
  while (i < n && s[i] != ' ' && s[i] != '\t')
    i++;
  size_t b = i;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  if (i == b || i >= n || s[i] < '0' || s[i] > '9')
    return 0;
  while (i < n && s[i] >= '0' && s[i] <= '9')
    i++;
  return i < n && (s[i] == ' ' || s[i] == '\t');
}

static int detect(const char *text, size_t len) {
  /* -json: one event object per line with Action and Output. */
  if (bg_adapter_starts_with(text, len, '{')) {
    if (bg_adapter_has_key(text, len, "Action", 4096) &&
        bg_adapter_has_key(text, len, "Package", 4096) && strstr(text, "Benchmark"))
      return 95;
    return 0;
  }
  size_t n = 0;
  for (const char *p = text, *end = text + len; p < end && n < 100000; n++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (result_line(p, l))
      return strstr(text, "ns/op") ? 90 : 60;
    p += l + 1;
  }
  return 0;
}

/* What a unit of a result line is, or a measure named after it. */
static void unit_measure(const char *unit, char *measure, size_t mlen, const char **out_unit,
                         double *scale, enum bg_direction *dir) {
  static const struct {
    const char *unit, *measure, *out;
    double scale;
    enum bg_direction dir;
  } known[] = {{"ns/op", "wall_time", "ns", 1, BG_LOWER},
               {"B/op", "bytes_per_op", "bytes", 1, BG_LOWER},
               {"allocs/op", "allocs_per_op", "count", 1, BG_LOWER},
               {"MB/s", "bytes_per_second", "bytes/s", 1e6, BG_HIGHER}};
  for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
    if (strcmp(unit, known[i].unit) == 0) {
      snprintf(measure, mlen, "%s", known[i].measure);
      *out_unit = known[i].out;
      *scale = known[i].scale;
      *dir = known[i].dir;
      return;
    }
  }
  measure[0] = '\0';
  bg_adapter_slug(unit, measure, mlen);
  *out_unit = unit;
  *scale = 1;
  size_t ul = strlen(unit);
  *dir = ul > 2 && strcmp(unit + ul - 2, "/s") == 0 ? BG_HIGHER : BG_LOWER;
}

struct state {
  struct bg_adapter_index ix;
  const char **pkg_of; /* package of each result added by this parse (borrowed strings) */
  size_t npkg_of;
  size_t first;    /* run->nresults before the parse */
  char **packages; /* owned package names */
  size_t npackages;
  size_t last; /* index of the package interned last */
  char **bare; /* owned: benchmark names go announced alone on a line (-json, -v) */
  size_t nbare, bare_cap;
};

static const char *intern(struct state *st, const char *pkg) {
  /* Events of one package mostly come in runs: try the last one first. */
  if (st->npackages && strcmp(st->packages[st->last], pkg) == 0)
    return st->packages[st->last];
  for (size_t i = 0; i < st->npackages; i++)
    if (strcmp(st->packages[i], pkg) == 0)
      return st->packages[st->last = i];
  if (st->npackages >= MAX_PACKAGES)
    return NULL;
  st->packages = bg_xrealloc(st->packages, (st->npackages + 1) * sizeof *st->packages);
  st->packages[st->npackages] = bg_xstrdup(pkg);
  st->last = st->npackages;
  return st->packages[st->npackages++];
}

/* Parses one result line (NUL-terminated copy). `lineno` names it in errors. */
static int line(struct bg_run *run, struct state *st, char *s, const char *pkg, size_t lineno,
                struct bg_ferr *e) {
  char f[48];
  snprintf(f, sizeof f, "line %zu", lineno);
  char *fields[MAX_LINE_FIELDS];
  size_t nf = 0;
  for (char *p = s; *p;) {
    while (*p == ' ' || *p == '\t' || *p == '\r')
      p++;
    if (!*p)
      break;
    if (nf == MAX_LINE_FIELDS)
      return bg_ferr_set(e, f, "more than %d fields", MAX_LINE_FIELDS);
    fields[nf++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r')
      p++;
    if (*p)
      *p++ = '\0';
  }
  if (nf < 4 || nf % 2 != 0)
    return bg_ferr_set(e, f, "expected 'Benchmark<name> <iterations> <value> <unit>...'");
  const char *name = fields[0];
  for (size_t k = 2; k < nf; k += 2) {
    char *end;
    errno = 0;
    double v = strtod(fields[k], &end);
    if (end == fields[k] || *end || errno == ERANGE)
      return bg_ferr_set(e, f, "'%.40s' is not a number", fields[k]);
    char measure[80];
    const char *unit;
    double scale;
    enum bg_direction dir;
    unit_measure(fields[k + 1], measure, sizeof measure, &unit, &scale, &dir);
    if (!measure[0])
      return bg_ferr_set(e, f, "unknown unit '%.40s'", fields[k + 1]);
    int rc, created;
    size_t before = run->nresults;
    struct bg_result *r = bg_adapter_result(run, &st->ix, name, measure, unit, dir, &created);
    if (created) {
      st->pkg_of = bg_xrealloc(st->pkg_of, (run->nresults - st->first) * sizeof *st->pkg_of);
      st->pkg_of[before - st->first] = pkg;
      st->npkg_of = run->nresults - st->first;
    } else {
      size_t idx = (size_t)(r - run->results);
      if (strcmp(r->unit, unit) != 0)
        return bg_ferr_set(e, f, "unit '%.40s' of %s differs from an earlier '%.40s'", unit,
                           measure, r->unit);
      if (idx >= st->first && idx - st->first < st->npkg_of) {
        const char *was = st->pkg_of[idx - st->first];
        if (was != pkg)
          return bg_ferr_set(e, f, "'%.200s' appears in packages '%.200s' and '%.200s'", name,
                             was ? was : "(none)", pkg ? pkg : "(none)");
      }
    }
    if ((rc = bg_adapter_add_sample(r, v * scale, 0, f, e)))
      return rc;
  }
  return BG_OK;
}

/* Reads the text form. `lines` (may be NULL) maps each line of text to a line of the
 * original input (for -json, the event's line). `pkg0` is the package the text belongs to. */
static int text_form(struct bg_run *run, struct state *st, const char *text, size_t len,
                     const size_t *lines, const char *pkg0, struct bg_ferr *e) {
  const char *pkg = pkg0;
  size_t n = 0;
  int rc = BG_OK;
  char *copy = NULL;
  for (const char *p = text, *end = text + len; p < end; n++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
    size_t lineno = lines ? lines[n] : n + 1;
    if (l > 5 && memcmp(p, "pkg: ", 5) == 0 && !pkg0) {
      copy = bg_xstrndup(p + 5, l - 5);
      copy[strcspn(copy, "\r")] = '\0';
      pkg = intern(st, copy);
      free(copy);
      copy = NULL;
      if (!pkg) {
        char f[48];
        snprintf(f, sizeof f, "line %zu", lineno);
        return bg_ferr_set(e, f, "more than %d packages", MAX_PACKAGES);
      }
    } else if (result_line(p, l)) {
      copy = bg_xstrndup(p, l);
      rc = line(run, st, copy, pkg, lineno, e);
      free(copy);
      copy = NULL;
      if (rc)
        return rc;
    } else if (l > 9 && memcmp(p, "Benchmark", 9) == 0 && !memchr(p, ' ', l) &&
               !memchr(p, '\t', l)) {
      bg_xgrow((void **)&st->bare, &st->bare_cap, st->nbare + 1, sizeof *st->bare);
      st->bare[st->nbare] = bg_xstrndup(p, l);
      st->bare[st->nbare][strcspn(st->bare[st->nbare], "\r")] = '\0';
      st->nbare++;
    } else if (l >= 4 && memcmp(p, "FAIL", 4) == 0) {
      bg_adapter_warn(run, "go: %.*s", (int)(l > 500 ? 500 : l), p);
    }
    p += l + 1;
  }
  return rc;
}

/* One package's joined output of -json events, with the event line of each text line. */
struct pkgout {
  const char *pkg;
  struct bg_buf text;
  size_t *lines;
  size_t nlines, cap;
};

static int json_form(struct bg_run *run, struct state *st, const char *text, size_t len,
                     struct bg_ferr *e) {
  struct pkgout *outs = NULL;
  size_t nouts = 0, last_out = 0;
  int rc = BG_OK;
  size_t lineno = 0;
  for (const char *p = text, *end = text + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
    lineno++;
    const char *q = p;
    p += l + 1;
    while (l && (q[l - 1] == '\r' || q[l - 1] == ' '))
      l--;
    if (l == 0)
      continue;
    char f[48];
    snprintf(f, sizeof f, "line %zu", lineno);
    cJSON *ev = cJSON_ParseWithLength(q, l);
    if (!cJSON_IsObject(ev)) {
      cJSON_Delete(ev);
      /* go test -json passes through non-JSON lines (build errors) as text. */
      if (l && q[0] != '{') {
        bg_adapter_warn(run, "go: %.*s", (int)(l > 500 ? 500 : l), q);
        continue;
      }
      rc = bg_ferr_set(e, f, "malformed JSON event");
      rc = BG_EPARSE;
      goto out;
    }
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(ev, "Action");
    const cJSON *output = cJSON_GetObjectItemCaseSensitive(ev, "Output");
    const cJSON *package = cJSON_GetObjectItemCaseSensitive(ev, "Package");
    if (!cJSON_IsString(action)) {
      cJSON_Delete(ev);
      rc = bg_ferr_set(e, f, "event without an Action string");
      goto out;
    }
    if (strcmp(action->valuestring, "output") != 0) {
      cJSON_Delete(ev);
      continue;
    }
    if (!cJSON_IsString(output) || (package && !cJSON_IsString(package))) {
      cJSON_Delete(ev);
      rc = bg_ferr_set(e, f, "output event needs Output (and Package) strings");
      goto out;
    }
    const char *pkg = intern(st, package ? package->valuestring : "");
    size_t k = nouts && outs[last_out].pkg == pkg ? last_out : 0;
    while (k < nouts && outs[k].pkg != pkg)
      k++;
    last_out = k;
    if (!pkg) {
      cJSON_Delete(ev);
      rc = bg_ferr_set(e, f, "more than %d packages", MAX_PACKAGES);
      goto out;
    }
    if (k == nouts) {
      outs = bg_xrealloc(outs, (nouts + 1) * sizeof *outs);
      memset(&outs[nouts], 0, sizeof *outs);
      outs[nouts].pkg = pkg;
      bg_buf_init(&outs[nouts].text, 0);
      nouts++;
    }
    struct pkgout *o = &outs[k];
    /* The first line of the package's text, and every line that starts inside this event,
     * map to this event's line. */
    const char *s = output->valuestring;
    if (o->nlines == 0 || (o->text.len && o->text.data[o->text.len - 1] == '\n')) {
      bg_xgrow((void **)&o->lines, &o->cap, o->nlines + 1, sizeof *o->lines);
      o->lines[o->nlines++] = lineno;
    }
    for (const char *c = s; *c; c++) {
      if (*c == '\n' && c[1]) {
        bg_xgrow((void **)&o->lines, &o->cap, o->nlines + 1, sizeof *o->lines);
        o->lines[o->nlines++] = lineno;
      }
    }
    bg_buf_puts(&o->text, s);
    cJSON_Delete(ev);
  }
  for (size_t k = 0; k < nouts; k++) {
    /* Guard: a line count that disagrees with the text would index past `lines`. */
    size_t need = 1;
    for (size_t i = 0; i < outs[k].text.len; i++)
      if (outs[k].text.data[i] == '\n')
        need++;
    while (outs[k].nlines < need) {
      bg_xgrow((void **)&outs[k].lines, &outs[k].cap, outs[k].nlines + 1, sizeof *outs[k].lines);
      outs[k].lines[outs[k].nlines++] = lineno;
    }
    if (outs[k].text.len && (rc = text_form(run, st, outs[k].text.data, outs[k].text.len,
                                            outs[k].lines, outs[k].pkg, e)))
      goto out;
  }
out:
  for (size_t k = 0; k < nouts; k++) {
    bg_buf_free(&outs[k].text);
    free(outs[k].lines);
  }
  free(outs);
  return rc;
}

/* The "-<digits>" at the end of name that Go's GOMAXPROCS suffix could be (digits without a
 * leading zero), or NULL. */
static char *procs_suffix(char *name) {
  size_t n = strlen(name), i = n;
  while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
    i--;
  if (i == n || i < 2 || name[i - 1] != '-' || name[i] == '0')
    return NULL;
  return name + i - 1;
}

static int by_string(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int announced(const struct state *st, const char *name) {
  return st->nbare && bsearch(&name, st->bare, st->nbare, sizeof *st->bare, by_string);
}

/* Drops the GOMAXPROCS suffix from the names of this parse's results and records
 * GOMAXPROCS in the fingerprint, as the file comment says. */
static void gomaxprocs(struct bg_run *run, struct state *st) {
  char suffix[32] = "";
  int same = 1, proven_one = 0, cpu_list = 0;
  qsort(st->bare, st->nbare, sizeof *st->bare, by_string);
  for (size_t i = st->first; i < run->nresults; i++) {
    struct bg_result *r = &run->results[i];
    char *s = procs_suffix(r->benchmark);
    if (announced(st, r->benchmark) || !s)
      proven_one = 1;
    if (!s || strlen(s) >= sizeof suffix || (suffix[0] && strcmp(s, suffix) != 0))
      same = 0;
    else if (!suffix[0])
      snprintf(suffix, sizeof suffix, "%s", s);
    if (s) { /* "X" beside "X-2": a -cpu list */
      char *base = bg_xstrndup(r->benchmark, (size_t)(s - r->benchmark));
      cpu_list |= bg_adapter_lookup(run, &st->ix, base, r->measure) != NULL;
      free(base);
    }
  }
  long procs = 0;
  if (same && suffix[0] && !proven_one) {
    procs = strtol(suffix + 1, NULL, 10);
    if (procs < 2)
      return;
    size_t sl = strlen(suffix);
    for (size_t i = st->first; i < run->nresults; i++)
      run->results[i].benchmark[strlen(run->results[i].benchmark) - sl] = '\0';
  } else if (proven_one && !cpu_list) {
    procs = 1;
  } else {
    return;
  }
  if (!run->fingerprint)
    run->fingerprint = cJSON_CreateObject();
  cJSON_DeleteItemFromObjectCaseSensitive(run->fingerprint, "gomaxprocs");
  cJSON_AddNumberToObject(run->fingerprint, "gomaxprocs", (double)procs);
}

static int parse(const char *text, size_t len, struct bg_run *run, struct bg_ferr *e) {
  struct state st = {0};
  st.first = run->nresults;
  int rc;
  if (bg_adapter_starts_with(text, len, '{'))
    rc = json_form(run, &st, text, len, e);
  else
    rc = text_form(run, &st, text, len, NULL, NULL, e);
  if (rc == BG_OK && run->nresults == st.first)
    rc = bg_ferr_set(e, "line 1", "no benchmark result lines (Benchmark<name> <n> <v> ns/op)");
  if (rc == BG_OK)
    gomaxprocs(run, &st);
  bg_adapter_index_free(&st.ix);
  for (size_t i = 0; i < st.nbare; i++)
    free(st.bare[i]);
  free(st.bare);
  free(st.pkg_of);
  for (size_t i = 0; i < st.npackages; i++)
    free(st.packages[i]);
  free(st.packages);
  return rc;
}

const struct bg_adapter bg_adapter_go = {"go", detect, parse};
