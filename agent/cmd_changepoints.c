/* cmd_changepoints.c: `benchgate changepoints`: reads a series, runs bg_cpd_detect, prints JSON.
 *
 * Input is read whole into a capped buffer (256 MiB); parse errors name the file and the
 * line (text) or the field (JSON). The detector runs with its one default configuration.
 */
#include "cmd_changepoints.h"

#include "buf.h"
#include "cpd.h"
#include "error.h"
#include "mem.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_INPUT (256u << 20)

enum fmt { FMT_AUTO, FMT_TCPD, FMT_CSV };

/* One series to analyse. */
struct series {
  double *x;
  size_t n;
};

static void usage(FILE *err) {
  fprintf(err, "usage: benchgate changepoints [--format tcpd|csv] FILE\n"
               "  Finds the level shifts in a series and prints them as JSON\n"
               "  ({\"change_points\": [...]}), with the same detector as the server.\n"
               "  FILE '-' reads stdin.\n"
               "options:\n"
               "  --format tcpd    FILE is a TCPD series (a JSON object, as in the Turing\n"
               "                   change-point dataset)\n"
               "  --format csv     FILE holds one value per line\n"
               "                   (default: tcpd when the file starts with '{', else csv)\n"
               "  -h, --help       show this help\n"
               "exit codes: 0 printed, 1 the detector or the output failed, 2 usage error\n"
               "            or a file that cannot be read or parsed\n");
}

static int read_input(const char *path, struct bg_buf *b, FILE *err) {
  if (strcmp(path, "-") != 0) {
    int rc = bg_buf_read_file(b, path);
    if (rc != BG_OK)
      fprintf(err, "benchgate changepoints: %s: %s\n", path,
              rc == BG_EIO ? strerror(errno) : bg_strerror(rc));
    return rc;
  }
  char chunk[65536];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
    if (bg_buf_append(b, chunk, got) != BG_OK) {
      fprintf(err, "benchgate changepoints: -: input larger than %u bytes\n", MAX_INPUT);
      return BG_ETOOBIG;
    }
  }
  if (ferror(stdin)) {
    fprintf(err, "benchgate changepoints: -: read error\n");
    return BG_EIO;
  }
  if (bg_buf_append(b, "", 0) != BG_OK) /* makes data non-NULL and terminated */
    return BG_ETOOBIG;
  return BG_OK;
}

static int is_missing_word(const char *s, size_t len) {
  static const char *words[] = {"na", "nan", "null"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strlen(words[i]) == len && strncasecmp(s, words[i], len) == 0)
      return 1;
  return 0;
}

/* One value per line. */
static int parse_lines(const char *path, char *text, struct series *s, FILE *err) {
  size_t cap = 0, line = 0;
  char *p = text;
  while (*p) {
    char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
    line++;
    char *a = p, *b = end;
    while (a < b && isspace((unsigned char)*a))
      a++;
    while (b > a && isspace((unsigned char)b[-1]))
      b--;
    if (a < b) {
      double v;
      if (is_missing_word(a, (size_t)(b - a))) {
        v = NAN;
      } else {
        char saved = *b, *stop;
        *b = '\0';
        errno = 0;
        v = strtod(a, &stop);
        int bad = stop != b || errno == ERANGE || !isfinite(v);
        if (bad)
          fprintf(err, "benchgate changepoints: %s: line %zu: not a finite number: '%.40s'\n", path,
                  line, a);
        *b = saved;
        if (bad)
          return BG_EPARSE;
      }
      bg_xgrow((void **)&s->x, &cap, s->n + 1, sizeof *s->x);
      s->x[s->n++] = v;
    }
    p = nl ? nl + 1 : end;
  }
  return BG_OK;
}

/* Line number of byte offset `off` in text. */
static size_t line_of(const char *text, size_t off) {
  size_t line = 1;
  for (size_t i = 0; i < off && text[i]; i++)
    line += text[i] == '\n';
  return line;
}

/* TCPD series document; fills *out with one series per dimension. */
static int parse_tcpd(const char *path, const char *text, struct series **out, size_t *nout,
                      FILE *err) {
  int rc = BG_OK;
  cJSON *doc = cJSON_Parse(text);
  if (!doc) {
    const char *at = cJSON_GetErrorPtr();
    size_t off = at && at >= text ? (size_t)(at - text) : 0;
    fprintf(err, "benchgate changepoints: %s: line %zu: malformed JSON\n", path,
            line_of(text, off));
    return BG_EPARSE;
  }
  const cJSON *series = cJSON_GetObjectItemCaseSensitive(doc, "series");
  if (!cJSON_IsObject(doc) || !cJSON_IsArray(series) || cJSON_GetArraySize(series) < 1) {
    fprintf(err, "benchgate changepoints: %s: series: missing or not a non-empty array\n", path);
    rc = BG_EPARSE;
    goto out;
  }
  size_t nd = (size_t)cJSON_GetArraySize(series);
  *out = bg_xcalloc(nd, sizeof **out);
  *nout = nd;
  for (size_t d = 0; d < nd; d++) {
    const cJSON *dim = cJSON_GetArrayItem(series, (int)d);
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(dim, "raw");
    if (!cJSON_IsArray(raw)) {
      fprintf(err, "benchgate changepoints: %s: series[%zu].raw: missing or not an array\n", path,
              d);
      rc = BG_EPARSE;
      goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(raw), i = 0;
    struct series *s = &(*out)[d];
    s->x = bg_xmalloc((n ? n : 1) * sizeof *s->x);
    const cJSON *e;
    cJSON_ArrayForEach(e, raw) {
      if (cJSON_IsNull(e)) {
        s->x[i++] = NAN;
      } else if (cJSON_IsNumber(e) && isfinite(e->valuedouble)) {
        s->x[i++] = e->valuedouble;
      } else {
        fprintf(err, "benchgate changepoints: %s: series[%zu].raw[%zu]: not a number or null\n",
                path, d, i);
        rc = BG_EPARSE;
        goto out;
      }
    }
    s->n = i;
  }
out:
  cJSON_Delete(doc);
  return rc;
}

static void add_points(cJSON *arr, const struct bg_cpd_result *r, size_t dim, int with_dim) {
  for (size_t i = 0; i < r->count; i++) {
    const struct bg_cpd_point *p = &r->points[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)p->index);
    if (with_dim)
      cJSON_AddNumberToObject(o, "dimension", (double)dim);
    cJSON_AddNumberToObject(o, "magnitude", p->magnitude);
    if (isfinite(p->relative))
      cJSON_AddNumberToObject(o, "relative", p->relative);
    cJSON_AddNumberToObject(o, "score", p->score);
    cJSON_AddItemToArray(arr, o);
  }
}

int bg_cmd_changepoints_run(int argc, char **argv, FILE *out, FILE *err) {
  int rc = 0;
  enum fmt fmt = FMT_AUTO;
  const char *path = NULL;
  struct bg_buf b;
  struct series *ser = NULL;
  size_t nser = 0;
  cJSON *doc = NULL;
  char *printed = NULL;
  bg_buf_init(&b, MAX_INPUT);

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = NULL;
    if (!strcmp(a, "--format")) {
      if (i + 1 >= argc) {
        fprintf(err, "benchgate changepoints: --format needs a value (tcpd or csv)\n");
        rc = 2;
        goto out;
      }
      val = argv[++i];
    } else if (!strncmp(a, "--format=", 9)) {
      val = a + 9;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(out);
      goto out;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(err, "benchgate changepoints: unknown option %s\n", a);
      usage(err);
      rc = 2;
      goto out;
    } else if (path) {
      fprintf(err, "benchgate changepoints: only one FILE, got %s and %s\n", path, a);
      rc = 2;
      goto out;
    } else {
      path = a;
    }
    if (val) {
      if (!strcmp(val, "tcpd")) {
        fmt = FMT_TCPD;
      } else if (!strcmp(val, "csv")) {
        fmt = FMT_CSV;
      } else {
        fprintf(err, "benchgate changepoints: --format: '%s' is neither tcpd nor csv\n", val);
        rc = 2;
        goto out;
      }
    }
  }
  if (!path) {
    usage(err);
    rc = 2;
    goto out;
  }
  if (read_input(path, &b, err) != BG_OK) {
    rc = 2;
    goto out;
  }
  if (fmt == FMT_AUTO) {
    const char *p = b.data ? b.data : "";
    while (isspace((unsigned char)*p))
      p++;
    fmt = *p == '{' ? FMT_TCPD : FMT_CSV;
  }
  int prc;
  if (fmt == FMT_TCPD) {
    prc = parse_tcpd(path, b.data ? b.data : "", &ser, &nser, err);
  } else {
    ser = bg_xcalloc(1, sizeof *ser);
    nser = 1;
    prc = parse_lines(path, b.data ? b.data : "", ser, err);
  }
  if (prc != BG_OK) {
    rc = 2;
    goto out;
  }

  doc = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(doc, "change_points");
  for (size_t d = 0; d < nser; d++) {
    struct bg_cpd_result r;
    int drc = bg_cpd_detect(ser[d].x, NULL, ser[d].n, NULL, &r);
    if (drc != BG_OK) {
      fprintf(err, "benchgate changepoints: %s: %s\n", path, bg_strerror(drc));
      bg_cpd_result_free(&r);
      rc = 1;
      goto out;
    }
    add_points(arr, &r, d, nser > 1);
    bg_cpd_result_free(&r);
  }
  printed = cJSON_PrintUnformatted(doc);
  if (!printed) {
    rc = 1;
    goto out;
  }
  fprintf(out, "%s\n", printed);
  if (fflush(out) != 0)
    rc = 1;

out:
  for (size_t d = 0; d < nser; d++)
    free(ser[d].x);
  free(ser);
  cJSON_free(printed);
  cJSON_Delete(doc);
  bg_buf_free(&b);
  return rc;
}

int bg_cmd_changepoints_main(int argc, char **argv) {
  return bg_cmd_changepoints_run(argc, argv, stdout, stderr);
}
