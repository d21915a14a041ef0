/* cli.c: shared helpers of the benchgate subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void bg_cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("benchgate: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

void bg_cli_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("benchgate: warning: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

int bg_cli_interactive(void) {
  const char *ci = getenv("CI");
  return isatty(2) && !(ci && *ci);
}

void bg_cli_duration(long long ns, char *out, size_t outlen) {
  double s = (double)ns / 1e9;
  if (s < 1)
    snprintf(out, outlen, "%.0f ms", s * 1e3);
  else if (s < 60)
    snprintf(out, outlen, "%.1f s", s);
  else
    snprintf(out, outlen, "%lld min %02lld s", (long long)s / 60, (long long)s % 60);
}

void bg_cli_now_rfc3339(char *out, size_t outlen) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long long bg_cli_github_pull_request(void) {
  const char *ref = getenv("GITHUB_REF");
  if (!ref || strncmp(ref, "refs/pull/", 10))
    return 0;
  char *end;
  errno = 0;
  long long pr = strtoll(ref + 10, &end, 10);
  return !errno && end != ref + 10 && *end == '/' && pr > 0 ? pr : 0;
}
