/* cmd_parse.c: `benchgate parse`, for checking what benchgate reads from a harness's output. */
#include "cmd_parse.h"

#include "adapter.h"
#include "buf.h"
#include "cli.h"
#include "run.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
  char names[256];
  bg_adapter_names(names, sizeof names);
  fprintf(f,
          "usage: benchgate parse [--format F] FILE\n"
          "  Prints the results of a benchmark harness's output file as run-payload JSON\n"
          "  (with testbed.fingerprint where the output tells of the machine: Go's GOMAXPROCS).\n"
          "  FILE '-' reads stdin; a directory is read as Criterion's target/criterion.\n"
          "options:\n"
          "  -f, --format F   the file's format instead of detecting it, one of:\n"
          "                   %s\n"
          "  -h, --help       show this help\n"
          "exit codes: 0 printed, 2 usage error or a file that cannot be read or parsed\n",
          names);
}

int bg_cmd_parse_main(int argc, char **argv) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *format = NULL;
  int c, code = BG_EXIT_USAGE;
  struct bg_run *run = NULL;
  struct bg_ferr fe;
  optind = 1;
  while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
    if (c == 'f') {
      format = optarg;
    } else if (c == 'h') {
      usage(stdout);
      return BG_EXIT_PASS;
    } else {
      usage(stderr);
      return BG_EXIT_USAGE;
    }
  }
  if (optind != argc - 1) {
    usage(stderr);
    return BG_EXIT_USAGE;
  }
  run = bg_run_new();
  if (bg_adapter_parse_file(format, argv[optind], run, &fe) != BG_OK) {
    bg_cli_error("%s: %s", fe.field, fe.message);
    goto out;
  }
  cJSON *o = bg_run_to_cjson(run);
  cJSON *results = cJSON_DetachItemFromObjectCaseSensitive(o, "results");
  cJSON_Delete(o);
  o = cJSON_CreateObject();
  if (run->fingerprint) { /* what the harness says of the machine, e.g. Go's gomaxprocs */
    cJSON *t = cJSON_AddObjectToObject(o, "testbed");
    cJSON_AddItemToObject(t, "fingerprint", cJSON_Duplicate(run->fingerprint, 1));
  }
  cJSON_AddItemToObject(o, "results", results);
  char *text = cJSON_Print(o);
  cJSON_Delete(o);
  if (text) {
    puts(text);
    cJSON_free(text);
  }
  code = fflush(stdout) == 0 ? BG_EXIT_PASS : BG_EXIT_INFRA;
out:
  bg_run_free(run);
  return code;
}
