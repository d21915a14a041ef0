/* config.c: benchgate.yml and agent.yml, read with libyaml's document API.
 *
 * The document is loaded whole (files are small and capped), then walked with a table of
 * known keys per mapping so that unknown and duplicate keys are reported with their line.
 * Scalars are typed here, not by libyaml: a plain scalar may be a number or a boolean, a
 * quoted one is always a string.
 */
#include "config.h"

#include "adapter.h"
#include "buf.h"
#include "gate_thresholds.h"
#include "mem.h"
#include "run.h"
#include "suite_filter.h"
#include "valid.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct ctx {
  yaml_document_t *doc;
  const char *name;
  char *err;
  size_t errlen;
};

static int line_of(const yaml_node_t *n) {
  return n ? (int)n->start_mark.line + 1 : 1;
}

static int fail(struct ctx *c, const yaml_node_t *n, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct ctx *c, const yaml_node_t *n, const char *field, const char *fmt, ...) {
  if (c->errlen) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s:%d: %s%s%s", c->name, line_of(n), field ? field : "",
             field && *field ? ": " : "", msg);
  }
  return BG_EINVAL;
}

static const char *sval(const yaml_node_t *n) {
  return (const char *)n->data.scalar.value;
}

static int is_plain(const yaml_node_t *n) {
  return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A plain empty scalar, "~" or "null" stands for "no value". */
static int is_null(const yaml_node_t *n) {
  if (!is_plain(n))
    return 0;
  const char *s = sval(n);
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static const char *kind(const yaml_node_t *n) {
  switch (n->type) {
  case YAML_MAPPING_NODE:
    return "a mapping";
  case YAML_SEQUENCE_NODE:
    return "a list";
  default:
    return "a scalar";
  }
}

/* Copies a string value. `multiline` allows newlines and tabs (shell commands). */
static int get_string(struct ctx *c, const yaml_node_t *n, const char *field, int multiline,
                      char **out) {
  if (n->type != YAML_SCALAR_NODE)
    return fail(c, n, field, "must be a string, not %s", kind(n));
  if (is_null(n) || !n->data.scalar.length)
    return fail(c, n, field, "must not be empty");
  if (!bg_valid_text(sval(n), n->data.scalar.length, multiline))
    return fail(c, n, field, "must be UTF-8 text without control characters");
  free(*out);
  *out = bg_xstrndup(sval(n), n->data.scalar.length);
  return BG_OK;
}

static int get_long(struct ctx *c, const yaml_node_t *n, const char *field, long lo, long hi,
                    long *out) {
  char *end = NULL;
  long v = 0;
  if (is_plain(n) && *sval(n)) {
    errno = 0;
    v = strtol(sval(n), &end, 10);
  }
  if (!end || *end || errno || v < lo || v > hi)
    return fail(c, n, field, "must be an integer %ld..%ld", lo, hi);
  *out = v;
  return BG_OK;
}

static int get_double(struct ctx *c, const yaml_node_t *n, const char *field, double lo, double hi,
                      double *out) {
  char *end = NULL;
  double v = 0;
  if (is_plain(n) && *sval(n)) {
    errno = 0;
    v = strtod(sval(n), &end);
  }
  if (!end || *end || errno || !isfinite(v) || v < lo || v > hi)
    return fail(c, n, field, "must be a number %g..%g", lo, hi);
  *out = v;
  return BG_OK;
}

static int get_bool(struct ctx *c, const yaml_node_t *n, const char *field, int *out) {
  static const char *const yes[] = {"true", "yes", "on"};
  static const char *const no[] = {"false", "no", "off"};
  if (is_plain(n)) {
    for (size_t i = 0; i < 3; i++) {
      if (!strcasecmp(sval(n), yes[i])) {
        *out = 1;
        return BG_OK;
      }
      if (!strcasecmp(sval(n), no[i])) {
        *out = 0;
        return BG_OK;
      }
    }
  }
  return fail(c, n, field, "must be true or false");
}

/* Walks a mapping: for each pair calls fn with the index of the key in `keys` (a NULL-ended
 * list). Unknown keys, duplicate keys and non-scalar keys are errors. */
typedef int (*pair_fn)(struct ctx *c, int key, const yaml_node_t *v, const char *field, void *arg);

static int walk_map(struct ctx *c, const yaml_node_t *map, const char *field,
                    const char *const *keys, pair_fn fn, void *arg) {
  unsigned long long seen = 0;
  char known[512] = "";
  char path[320];
  if (map->type != YAML_MAPPING_NODE)
    return fail(c, map, field, "must be a mapping, not %s", kind(map));
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
    if (!k || !v || k->type != YAML_SCALAR_NODE)
      return fail(c, k, field, "keys must be plain strings");
    int idx = -1;
    for (int i = 0; keys[i]; i++)
      if (!strcmp(keys[i], sval(k)))
        idx = i;
    snprintf(path, sizeof path, "%s%s%s", field, *field ? "." : "", sval(k));
    if (idx < 0) {
      size_t used = 0;
      for (int i = 0; keys[i] && used < sizeof known; i++) {
        int n = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", keys[i]);
        if (n < 0)
          break;
        used += (size_t)n;
      }
      return fail(c, k, path, "unknown key (known keys: %s)", known);
    }
    if (seen & (1ull << idx))
      return fail(c, k, path, "duplicate key");
    seen |= 1ull << idx;
    int rc = fn(c, idx, v, path, arg);
    if (rc != BG_OK)
      return rc;
  }
  return BG_OK;
}

static int get_cpus(struct ctx *c, const yaml_node_t *n, const char *field, int **cpus,
                    size_t *ncpus) {
  free(*cpus);
  *cpus = NULL;
  *ncpus = 0;
  if (is_null(n))
    return BG_OK;
  const yaml_node_item_t *start = NULL, *top = NULL;
  yaml_node_item_t single = 0;
  if (n->type == YAML_SEQUENCE_NODE) {
    start = n->data.sequence.items.start;
    top = n->data.sequence.items.top;
  } else if (n->type == YAML_SCALAR_NODE) {
    single = (yaml_node_item_t)(n - c->doc->nodes.start) + 1;
    start = &single;
    top = start + 1;
  } else {
    return fail(c, n, field, "must be a list of CPU numbers");
  }
  size_t count = (size_t)(top - start);
  if (count > BG_CONFIG_MAX_CPUS)
    return fail(c, n, field, "more than %d CPUs", BG_CONFIG_MAX_CPUS);
  *cpus = bg_xcalloc(count ? count : 1, sizeof **cpus);
  for (size_t i = 0; i < count; i++) {
    yaml_node_t *item = yaml_document_get_node(c->doc, start[i]);
    char f[300];
    long v;
    snprintf(f, sizeof f, "%s[%zu]", field, i);
    int rc = get_long(c, item, f, 0, BG_CONFIG_MAX_CPUS - 1, &v);
    if (rc != BG_OK)
      return rc;
    for (size_t j = 0; j < i; j++)
      if ((*cpus)[j] == (int)v)
        return fail(c, item, f, "CPU %ld is listed twice", v);
    (*cpus)[i] = (int)v;
    *ncpus = i + 1;
  }
  return BG_OK;
}

/* --- thresholds ------------------------------------------------------------------------ */

static int set_min_effect(struct ctx *c, const yaml_node_t *v, const char *field, cJSON *o) {
  double d;
  int rc = get_double(c, v, field, 0, 10, &d);
  if (rc == BG_OK)
    cJSON_AddNumberToObject(o, "min_effect", d);
  return rc;
}

static const char *const default_keys[] = {"min_effect", NULL};

static int default_pair(struct ctx *c, int key, const yaml_node_t *v, const char *field,
                        void *arg) {
  (void)key;
  return set_min_effect(c, v, field, arg);
}

static const char *const rule_keys[] = {"match",  "measure", "min_effect",
                                        "ignore", "control", NULL};

static int rule_pair(struct ctx *c, int key, const yaml_node_t *v, const char *field, void *arg) {
  cJSON *o = arg;
  char *s = NULL;
  int rc = BG_OK, b;
  switch (key) {
  case 0:
    if ((rc = get_string(c, v, field, 0, &s)) == BG_OK) {
      if (strlen(s) > BG_GATE_MAX_MATCH)
        rc = fail(c, v, field, "longer than %d bytes", BG_GATE_MAX_MATCH);
      else
        cJSON_AddStringToObject(o, "match", s);
    }
    break;
  case 1:
    if ((rc = get_string(c, v, field, 0, &s)) == BG_OK) {
      if (!bg_valid_measure(s))
        rc = fail(c, v, field, "must be a measure slug [a-z0-9_]{1,64}");
      else
        cJSON_AddStringToObject(o, "measure", s);
    }
    break;
  case 2:
    rc = set_min_effect(c, v, field, o);
    break;
  default: /* ignore, control */
    if ((rc = get_bool(c, v, field, &b)) == BG_OK)
      cJSON_AddBoolToObject(o, rule_keys[key], b);
  }
  free(s);
  return rc;
}

static const char *const threshold_keys[] = {"default", "rules", NULL};

static int threshold_pair(struct ctx *c, int key, const yaml_node_t *v, const char *field,
                          void *arg) {
  cJSON *th = arg;
  if (key == 0) {
    cJSON *d = cJSON_AddObjectToObject(th, "default");
    return walk_map(c, v, field, default_keys, default_pair, d);
  }
  if (v->type != YAML_SEQUENCE_NODE)
    return fail(c, v, field, "must be a list of rules");
  /* The server refuses more (gate_thresholds.h): each rule is matched against every result. */
  if (v->data.sequence.items.top - v->data.sequence.items.start > BG_GATE_MAX_RULES)
    return fail(c, v, field, "more than %d rules", BG_GATE_MAX_RULES);
  cJSON *rules = cJSON_AddArrayToObject(th, "rules");
  size_t i = 0;
  for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
       it++, i++) {
    yaml_node_t *r = yaml_document_get_node(c->doc, *it);
    char f[300];
    snprintf(f, sizeof f, "%s[%zu]", field, i);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(rules, o);
    int rc = walk_map(c, r, f, rule_keys, rule_pair, o);
    if (rc != BG_OK)
      return rc;
    if (!cJSON_GetObjectItemCaseSensitive(o, "match"))
      return fail(c, r, f, "match: required (a benchmark name pattern)");
    if (!cJSON_GetObjectItemCaseSensitive(o, "min_effect") &&
        !cJSON_GetObjectItemCaseSensitive(o, "ignore") &&
        !cJSON_GetObjectItemCaseSensitive(o, "control"))
      return fail(c, r, f, "needs min_effect, ignore or control");
  }
  return BG_OK;
}

/* --- suites ------------------------------------------------------------------------------ */

struct suite_arg {
  struct bg_suite *s;
  int has_reps, has_warmup;
  const yaml_node_t *measures_node;
  const yaml_node_t *output_node;
  const yaml_node_t *filter_node;
};

static const char *const suite_keys[] = {"name",    "format",   "command", "output",
                                         "cwd",     "repetitions", "warmup", "timeout",
                                         "measures", "filter",   NULL};

static const char *const command_measures[] = {"wall_time", "cpu_time", "max_rss", "instructions",
                                               NULL};

static int suite_measures(struct ctx *c, const yaml_node_t *v, const char *field,
                          struct bg_suite *s) {
  if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
    return fail(c, v, field, "must be a non-empty list of measures");
  size_t i = 0;
  for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
       it++, i++) {
    yaml_node_t *m = yaml_document_get_node(c->doc, *it);
    char f[300];
    char *name = NULL;
    snprintf(f, sizeof f, "%s[%zu]", field, i);
    int rc = get_string(c, m, f, 0, &name);
    if (rc != BG_OK)
      return rc;
    int known = 0;
    for (size_t k = 0; command_measures[k]; k++)
      known |= !strcmp(command_measures[k], name);
    for (size_t k = 0; k < s->nmeasures; k++)
      if (!strcmp(s->measures[k], name)) {
        free(name);
        return fail(c, m, f, "listed twice");
      }
    if (!known) {
      free(name);
      return fail(c, m, f,
                  "unknown measure (command suites measure wall_time, cpu_time, "
                  "max_rss, instructions)");
    }
    s->measures = bg_xrealloc(s->measures, (s->nmeasures + 1) * sizeof *s->measures);
    s->measures[s->nmeasures++] = name;
  }
  return BG_OK;
}

/* `filter` (suite_filter.h): "none", or an argument with {regex} in it exactly once. */
static int suite_filter(struct ctx *c, const yaml_node_t *v, const char *field,
                        struct bg_suite *s) {
  int rc = get_string(c, v, field, 0, &s->filter);
  if (rc != BG_OK || !strcmp(s->filter, BG_SUITE_FILTER_NONE))
    return rc;
  const char *at = strstr(s->filter, BG_SUITE_FILTER_REGEX);
  if (!at || strstr(at + 1, BG_SUITE_FILTER_REGEX))
    return fail(c, v, field, "must hold %s exactly once (or be %s)", BG_SUITE_FILTER_REGEX,
                BG_SUITE_FILTER_NONE);
  return BG_OK;
}

static int suite_pair(struct ctx *c, int key, const yaml_node_t *v, const char *field, void *arg) {
  struct suite_arg *a = arg;
  struct bg_suite *s = a->s;
  switch (key) {
  case 0:
    return get_string(c, v, field, 0, &s->name);
  case 1: {
    int rc = get_string(c, v, field, 0, &s->format);
    if (rc == BG_OK && strcmp(s->format, "auto") && !bg_adapter_find(s->format)) {
      char names[256];
      bg_adapter_names(names, sizeof names);
      return fail(c, v, field, "unknown format '%s' (known: auto, %s)", s->format, names);
    }
    return rc;
  }
  case 2:
    return get_string(c, v, field, 1, &s->command);
  case 3:
    a->output_node = v;
    return get_string(c, v, field, 0, &s->output);
  case 4:
    return get_string(c, v, field, 0, &s->cwd);
  case 5:
    a->has_reps = 1;
    return get_long(c, v, field, 1, BG_CONFIG_MAX_REPETITIONS, &s->repetitions);
  case 6:
    a->has_warmup = 1;
    return get_long(c, v, field, 0, BG_CONFIG_MAX_WARMUP, &s->warmup);
  case 7:
    return get_long(c, v, field, 1, BG_CONFIG_MAX_TIMEOUT, &s->timeout);
  case 8:
    a->measures_node = v;
    return suite_measures(c, v, field, s);
  default:
    a->filter_node = v;
    return suite_filter(c, v, field, s);
  }
}

static int parse_suite(struct ctx *c, const yaml_node_t *n, const char *field, struct bg_suite *s) {
  struct suite_arg a = {s, 0, 0, NULL, NULL, NULL};
  s->line = line_of(n);
  s->timeout = 600;
  int rc = walk_map(c, n, field, suite_keys, suite_pair, &a);
  if (rc != BG_OK)
    return rc;
  if (!s->name)
    return fail(c, n, field, "name: required");
  if (!bg_valid_benchmark(s->name))
    return fail(c, n, field, "name: must be 1-1024 bytes of UTF-8 without control characters");
  if (!s->command)
    return fail(c, n, field, "command: required");
  if (s->format) {
    if (a.measures_node)
      return fail(c, a.measures_node, field,
                  "measures: only for command suites (a harness reports its own measures)");
    if (!a.has_reps)
      s->repetitions = 1;
    if (!a.has_warmup)
      s->warmup = 0;
  } else {
    if (a.output_node)
      return fail(c, a.output_node, field, "output: only for suites with a format");
    if (a.filter_node)
      return fail(c, a.filter_node, field,
                  "filter: only for suites with a format (a command suite is one benchmark)");
    if (!a.has_reps)
      s->repetitions = 10;
    if (!a.has_warmup)
      s->warmup = 1;
    if (!s->nmeasures) {
      for (size_t k = 0; k < 3; k++) {
        s->measures = bg_xrealloc(s->measures, (k + 1) * sizeof *s->measures);
        s->measures[k] = bg_xstrdup(command_measures[k]);
      }
      s->nmeasures = 3;
    }
  }
  return BG_OK;
}

static void suite_clear(struct bg_suite *s) {
  free(s->name);
  free(s->format);
  free(s->command);
  free(s->output);
  free(s->cwd);
  free(s->filter);
  for (size_t i = 0; i < s->nmeasures; i++)
    free(s->measures[i]);
  free(s->measures);
}

/* --- benchgate.yml ----------------------------------------------------------------------- */

static const char *const top_keys[] = {"project",   "server", "testbed",    "cpus", "build",
                                       "clean_env", "suites", "thresholds", NULL};

static int check_server(struct ctx *c, const yaml_node_t *v, const char *field, char *url) {
  if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
    return fail(c, v, field, "must be an http:// or https:// URL");
  return BG_OK;
}

static int top_pair(struct ctx *c, int key, const yaml_node_t *v, const char *field, void *arg) {
  struct bg_config *cf = arg;
  int rc;
  switch (key) {
  case 0:
    if ((rc = get_string(c, v, field, 0, &cf->project)) == BG_OK && !bg_valid_project(cf->project))
      rc = fail(c, v, field, "must be a project slug [a-z0-9][a-z0-9_-]{0,63}");
    return rc;
  case 1:
    if ((rc = get_string(c, v, field, 0, &cf->server)) == BG_OK)
      rc = check_server(c, v, field, cf->server);
    return rc;
  case 2:
    if ((rc = get_string(c, v, field, 0, &cf->testbed)) == BG_OK && !bg_valid_testbed(cf->testbed))
      rc = fail(c, v, field, "must match [A-Za-z0-9._-]{1,64}");
    return rc;
  case 3:
    return get_cpus(c, v, field, &cf->cpus, &cf->ncpus);
  case 4:
    return is_null(v) ? BG_OK : get_string(c, v, field, 1, &cf->build);
  case 5:
    return get_bool(c, v, field, &cf->clean_env);
  case 6: {
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
      return fail(c, v, field, "must be a non-empty list of suites");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    cf->suites = bg_xcalloc(n, sizeof *cf->suites);
    for (size_t i = 0; i < n; i++) {
      yaml_node_t *s = yaml_document_get_node(c->doc, v->data.sequence.items.start[i]);
      char f[64];
      snprintf(f, sizeof f, "suites[%zu]", i);
      cf->nsuites = i + 1;
      if ((rc = parse_suite(c, s, f, &cf->suites[i])) != BG_OK)
        return rc;
      for (size_t j = 0; j < i; j++)
        if (!strcmp(cf->suites[j].name, cf->suites[i].name))
          return fail(c, s, f, "name: '%s' is already the name of suites[%zu]", cf->suites[i].name,
                      j);
    }
    return BG_OK;
  }
  default:
    if (is_null(v))
      return BG_OK;
    cJSON_Delete(cf->thresholds);
    cf->thresholds = cJSON_CreateObject();
    return walk_map(c, v, field, threshold_keys, threshold_pair, cf->thresholds);
  }
}

/* Loads the YAML document; on a syntax error reports file and line. Returns the root or
 * NULL with rc set. */
static yaml_node_t *load_doc(struct ctx *c, const char *text, size_t len, int *rc) {
  yaml_parser_t parser;
  yaml_node_t *root = NULL;
  *rc = BG_OK;
  if (!yaml_parser_initialize(&parser))
    abort();
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, c->doc)) {
    if (c->errlen)
      snprintf(c->err, c->errlen, "%s:%d: YAML syntax error: %s%s%s", c->name,
               (int)parser.problem_mark.line + 1, parser.problem ? parser.problem : "unknown",
               parser.context ? " " : "", parser.context ? parser.context : "");
    *rc = BG_EPARSE;
    memset(c->doc, 0, sizeof *c->doc);
    yaml_parser_delete(&parser);
    return NULL;
  }
  yaml_parser_delete(&parser);
  root = yaml_document_get_root_node(c->doc);
  if (!root || is_null(root)) {
    fail(c, root, "", "empty file (expected a mapping with the configuration)");
    *rc = BG_EINVAL;
    return NULL;
  }
  return root;
}

int bg_config_parse(const char *text, size_t len, const char *name, struct bg_config **out,
                    char *err, size_t errlen) {
  yaml_document_t doc;
  struct ctx c = {&doc, name ? name : "benchgate.yml", err, errlen};
  struct bg_config *cf = bg_xcalloc(1, sizeof *cf);
  int rc;
  *out = NULL;
  if (errlen)
    err[0] = '\0';
  cf->path = bg_xstrdup(c.name);
  yaml_node_t *root = load_doc(&c, text, len, &rc);
  if (!root) {
    if (rc == BG_EPARSE)
      goto out;
    goto out_doc;
  }
  if ((rc = walk_map(&c, root, "", top_keys, top_pair, cf)) != BG_OK)
    goto out_doc;
  if (!cf->project) {
    rc = fail(&c, root, "project", "required");
    goto out_doc;
  }
  if (!cf->nsuites) {
    rc = fail(&c, root, "suites", "required (a list of benchmark suites)");
    goto out_doc;
  }
out_doc:
  yaml_document_delete(&doc);
out:
  if (rc == BG_OK)
    *out = cf;
  else
    bg_config_free(cf);
  return rc;
}

static int read_capped(const char *path, struct bg_buf *b, char *err, size_t errlen) {
  bg_buf_init(b, BG_CONFIG_MAX_BYTES);
  int rc = bg_buf_read_file(b, path);
  if (rc == BG_EIO && errlen)
    snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
  else if (rc == BG_ETOOBIG && errlen)
    snprintf(err, errlen, "%s: larger than %u bytes", path, BG_CONFIG_MAX_BYTES);
  return rc;
}

int bg_config_load(const char *path, struct bg_config **out, char *err, size_t errlen) {
  struct bg_buf b;
  *out = NULL;
  int rc = read_capped(path, &b, err, errlen);
  if (rc == BG_OK)
    rc = bg_config_parse(b.data, b.len, path, out, err, errlen);
  bg_buf_free(&b);
  return rc;
}

const struct bg_suite *bg_config_find_suite(const struct bg_config *c, const char *name) {
  for (size_t i = 0; c && name && i < c->nsuites; i++)
    if (!strcmp(c->suites[i].name, name))
      return &c->suites[i];
  return NULL;
}

void bg_config_free(struct bg_config *c) {
  if (!c)
    return;
  free(c->path);
  free(c->project);
  free(c->server);
  free(c->testbed);
  free(c->cpus);
  free(c->build);
  for (size_t i = 0; i < c->nsuites; i++)
    suite_clear(&c->suites[i]);
  free(c->suites);
  cJSON_Delete(c->thresholds);
  free(c);
}

/* --- agent.yml --------------------------------------------------------------------------- */

static const char *const project_keys[] = {"repository", "config", NULL};

static int project_pair(struct ctx *c, int key, const yaml_node_t *v, const char *field,
                        void *arg) {
  struct bg_agent_project *p = arg;
  return get_string(c, v, field, 0, key == 0 ? &p->repository : &p->config);
}

static int parse_projects(struct ctx *c, const yaml_node_t *v, const char *field,
                          struct bg_agent_config *ac) {
  if (v->type != YAML_MAPPING_NODE)
    return fail(c, v, field, "must be a mapping of project slug to {repository: URL}");
  size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
  ac->projects = bg_xcalloc(n ? n : 1, sizeof *ac->projects);
  for (size_t i = 0; i < n; i++) {
    yaml_node_pair_t *pr = &v->data.mapping.pairs.start[i];
    yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
    yaml_node_t *val = yaml_document_get_node(c->doc, pr->value);
    if (!k || !val || k->type != YAML_SCALAR_NODE || !bg_valid_project(sval(k)))
      return fail(c, k, field, "keys must be project slugs [a-z0-9][a-z0-9_-]{0,63}");
    char f[320];
    snprintf(f, sizeof f, "%s.%s", field, sval(k));
    for (size_t j = 0; j < i; j++)
      if (!strcmp(ac->projects[j].name, sval(k)))
        return fail(c, k, f, "duplicate key");
    struct bg_agent_project *p = &ac->projects[i];
    ac->nprojects = i + 1;
    p->name = bg_xstrdup(sval(k));
    int rc = walk_map(c, val, f, project_keys, project_pair, p);
    if (rc != BG_OK)
      return rc;
    if (!p->repository)
      return fail(c, val, f, "repository: required");
    if (!p->config)
      p->config = bg_xstrdup("benchgate.yml");
  }
  return BG_OK;
}

static const char *const agent_keys[] = {"server",     "testbed",  "cpus", "workdir",
                                         "token_file", "projects", "name", NULL};

static int agent_pair(struct ctx *c, int key, const yaml_node_t *v, const char *field, void *arg) {
  struct bg_agent_config *ac = arg;
  int rc;
  switch (key) {
  case 0:
    if ((rc = get_string(c, v, field, 0, &ac->server)) == BG_OK)
      rc = check_server(c, v, field, ac->server);
    return rc;
  case 1:
    if ((rc = get_string(c, v, field, 0, &ac->testbed)) == BG_OK && !bg_valid_testbed(ac->testbed))
      rc = fail(c, v, field, "must match [A-Za-z0-9._-]{1,64}");
    return rc;
  case 2:
    return get_cpus(c, v, field, &ac->cpus, &ac->ncpus);
  case 3:
    return get_string(c, v, field, 0, &ac->workdir);
  case 4:
    return get_string(c, v, field, 0, &ac->token_file);
  case 5:
    return parse_projects(c, v, field, ac);
  default:
    if ((rc = get_string(c, v, field, 0, &ac->name)) == BG_OK && !bg_valid_testbed(ac->name))
      rc = fail(c, v, field, "must match [A-Za-z0-9._-]{1,64}");
    return rc;
  }
}

int bg_agent_config_parse(const char *text, size_t len, const char *name,
                          struct bg_agent_config **out, char *err, size_t errlen) {
  yaml_document_t doc;
  struct ctx c = {&doc, name ? name : "agent.yml", err, errlen};
  struct bg_agent_config *ac = bg_xcalloc(1, sizeof *ac);
  int rc;
  *out = NULL;
  if (errlen)
    err[0] = '\0';
  ac->path = bg_xstrdup(c.name);
  yaml_node_t *root = load_doc(&c, text, len, &rc);
  if (!root) {
    if (rc == BG_EPARSE)
      goto out;
    goto out_doc;
  }
  if ((rc = walk_map(&c, root, "", agent_keys, agent_pair, ac)) != BG_OK)
    goto out_doc;
  if (!ac->server)
    rc = fail(&c, root, "server", "required");
  else if (!ac->testbed)
    rc = fail(&c, root, "testbed", "required");
  else if (!ac->workdir)
    rc = fail(&c, root, "workdir", "required");
out_doc:
  yaml_document_delete(&doc);
out:
  if (rc == BG_OK)
    *out = ac;
  else
    bg_agent_config_free(ac);
  return rc;
}

int bg_agent_config_load(const char *path, struct bg_agent_config **out, char *err, size_t errlen) {
  struct bg_buf b;
  *out = NULL;
  int rc = read_capped(path, &b, err, errlen);
  if (rc == BG_OK)
    rc = bg_agent_config_parse(b.data, b.len, path, out, err, errlen);
  bg_buf_free(&b);
  return rc;
}

void bg_agent_config_free(struct bg_agent_config *c) {
  if (!c)
    return;
  free(c->path);
  free(c->server);
  free(c->testbed);
  free(c->cpus);
  free(c->workdir);
  free(c->token_file);
  free(c->name);
  for (size_t i = 0; i < c->nprojects; i++) {
    free(c->projects[i].name);
    free(c->projects[i].repository);
    free(c->projects[i].config);
  }
  free(c->projects);
  free(c);
}
