/* cmd_gate.h: `benchgate gate`, the CI step of the job loop.
 *
 * With --enqueue it asks the server for one job per testbed for a commit (the commit, its
 * branch, pull request and fork point from the flags or from git and the GitHub Actions
 * environment); without, it finds the commit's jobs, or waits for runs a self-hosted
 * `benchgate run` uploads. Then it follows each testbed's job until it is done and its
 * verdict until it is decided, prints the Markdown reports (and appends them to
 * $GITHUB_STEP_SUMMARY), and exits 0 (pass or no baseline), 1 (a regression), 2 (usage or
 * input error) or 3 (infrastructure: a failed or canceled job, a timeout, the server).
 */
#ifndef BG_CMD_GATE_H
#define BG_CMD_GATE_H

/* Runs the subcommand; argv[0] is "gate". Returns the exit code (BG_EXIT_*). */
int bg_cmd_gate_main(int argc, char **argv);

/* Parses a duration: whole seconds ("90"), or numbers with units h, m, s in that order, each
 * at most once ("90s", "15m", "2h", "1h30m"). Returns 0 with the nanoseconds in *ns, or -1
 * for an empty, malformed, zero or negative duration, or one of more than 7 days. */
int bg_cmd_gate_duration(const char *text, long long *ns);

#endif
