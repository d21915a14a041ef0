/* cmd_run.h: `benchgate run`, the bench agent's main job for the current checkout.
 *
 * Builds (when configured), runs every suite of benchgate.yml, assembles a run payload
 * with the commit from git, the testbed's fingerprint and the config's
 * thresholds, validates it, writes it with --output, and uploads it unless --dry-run.
 * On GitHub Actions, pull_request is taken from GITHUB_REF (refs/pull/<n>/merge).
 * Building and running the suites is measure.h's.
 */
#ifndef BG_CMD_RUN_H
#define BG_CMD_RUN_H

/* Runs the subcommand; argv[0] is "run". Returns the exit code (BG_EXIT_*). */
int bg_cmd_run_main(int argc, char **argv);

#endif
