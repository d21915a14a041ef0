/* cli.h: what every `benchgate` subcommand shares: exit codes, messages, terminal checks.
 *
 * Exit codes are a contract: 0 pass (or no baseline), 1 regression, 2 usage or
 * input error, 3 infrastructure error. Messages go to stderr prefixed with "benchgate: ".
 */
#ifndef BG_CLI_H
#define BG_CLI_H

#include <stddef.h>

#define BG_EXIT_PASS 0
#define BG_EXIT_REGRESSION 1
#define BG_EXIT_USAGE 2
#define BG_EXIT_INFRA 3

/* Prints "benchgate: <message>\n" to stderr. */
void bg_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "benchgate: warning: <message>\n" to stderr. */
void bg_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns 1 when progress may redraw a line: stderr is a terminal and CI is not set. */
int bg_cli_interactive(void);

/* Formats a duration in nanoseconds for people ("850 ms", "12.4 s", "3 min 05 s"). */
void bg_cli_duration(long long ns, char *out, size_t outlen);

/* Writes the current UTC time as RFC 3339 ("2026-11-20T12:00:00Z") into out (>= 21 bytes). */
void bg_cli_now_rfc3339(char *out, size_t outlen);

/* The pull request a GitHub Actions workflow runs for: N of GITHUB_REF=refs/pull/N/merge (or
 * refs/pull/N/head); 0 when GITHUB_REF names no pull request. */
long long bg_cli_github_pull_request(void);

#endif
