/* report.c: prints a verdict's Markdown report and appends it to the CI job summary. */
#include "report.h"

#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bg_report_write(const char *markdown) {
  size_t n = strlen(markdown);
  int nl = n && markdown[n - 1] == '\n';
  fputs(markdown, stdout);
  if (!nl)
    fputc('\n', stdout);
  fflush(stdout);
  const char *path = getenv("GITHUB_STEP_SUMMARY");
  if (!path || !*path)
    return 0;
  FILE *f = fopen(path, "a");
  if (!f) {
    bg_cli_warn("GITHUB_STEP_SUMMARY %s: %s", path, strerror(errno));
    return -1;
  }
  int bad = fputs(markdown, f) < 0 || (!nl && fputc('\n', f) == EOF);
  if (fclose(f) != 0 || bad) {
    bg_cli_warn("GITHUB_STEP_SUMMARY %s: cannot write", path);
    return -1;
  }
  return 0;
}
