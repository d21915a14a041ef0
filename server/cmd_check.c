/* cmd_check.c: `benchgated check --db FILE` (cmd_check.h).
 *
 * Prints a short report on stdout: the file, its size and journal mode, its schema version
 * against the migrations this binary knows, and the result of each check, then "ok" or
 * "problem: ..." naming what was found. The checks are db_check.h's; this file is the flags,
 * the words and the exit codes.
 */
#include "cmd_check.h"

#include "db_check.h"
#include "error.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

static const char check_usage[] = "usage: benchgated check --db FILE\n";

static int help(void) {
  printf("%s"
         "\n"
         "Checks a benchgate database without changing it (read-only; it never migrates),\n"
         "safe on a live server's database and on a backup:\n"
         "  PRAGMA integrity_check and PRAGMA foreign_key_check, the schema version against\n"
         "  the migrations this benchgated knows, and the tables, indexes and triggers\n"
         "  against those the migrations build.\n"
         "\n"
         "  --db FILE          the database to check (required)\n"
         "  --help, -h         this text;  --version  the version\n"
         "\n"
         "exit codes: 0 ok, 1 a check found a problem (named on stdout), 2 bad flags, no\n"
         "  such file, or not a benchgate database\n",
         check_usage);
  return 0;
}

static int usage(const char *msg) {
  fprintf(stderr, "benchgated check: %s\n%s", msg, check_usage);
  return 2;
}

/* One line per check: "ok" or how many problems it found. */
static void line(const char *name, long long problems) {
  if (problems)
    printf("%-18s %lld problem%s\n", name, problems, problems == 1 ? "" : "s");
  else
    printf("%-18s ok\n", name);
}

static void report(const char *path, const struct bg_db_check *c) {
  printf("database           %s\n", path);
  printf("size               %lld pages of %lld bytes (%lld free), journal %s\n", c->pages,
         c->page_size, c->freelist, c->journal);
  printf("schema version     %d (this benchgated knows up to %d%s)\n", c->version, c->known,
         c->too_new              ? ": the database is newer"
         : c->version < c->known ? "; benchgated applies the rest when it starts"
                                 : ": up to date");
  line("integrity_check", c->integrity);
  line("foreign_key_check", c->foreign_keys);
  if (!c->too_new)
    line("schema", c->schema);
  if (c->findings.len)
    fputs(c->findings.data, stdout);
}

int bg_cmd_check_main(int argc, char **argv) {
  const char *db = NULL;
  char err[1024];
  struct bg_db_check c;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      return help();
    if (!strcmp(argv[i], "--version")) {
      printf("benchgated %s\n", BG_VERSION);
      return 0;
    }
    if (!strcmp(argv[i], "--db") && i + 1 < argc)
      db = argv[++i];
    else if (!strcmp(argv[i], "--db"))
      return usage("--db needs a value");
    else if (argv[i][0] == '-')
      return usage("unknown flag");
    else
      return usage("unexpected argument");
  }
  if (!db)
    return usage("--db FILE is required");
  int rc = bg_db_check(db, &c, err, sizeof err);
  if (rc == BG_ENOENT || rc == BG_EINVAL) {
    fprintf(stderr, "benchgated check: %s\n", err);
    return 2;
  }
  if (rc != BG_OK) {
    /* Damage that stops a check half-way is a finding too, not a usage error. */
    printf("database           %s\nproblem: %s\n", db, err);
    return 1;
  }
  report(db, &c);
  long long n = bg_db_check_problems(&c);
  if (n)
    printf("problem:%s%s%s%s\n", c.too_new ? " schema version newer than this benchgated" : "",
           c.integrity ? " integrity_check failed" : "",
           c.foreign_keys ? " foreign keys broken" : "", c.schema ? " schema differs" : "");
  else
    printf("ok\n");
  bg_buf_free(&c.findings);
  return n ? 1 : 0;
}
