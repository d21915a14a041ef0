/* cmd_check.h: `benchgated check --db FILE`, the read-only health check of a database. */
#ifndef BG_CMD_CHECK_H
#define BG_CMD_CHECK_H

/* Runs the command on argv[0] == "check" and its flags; returns the exit code: 0 when the
 * database is healthy, 1 when a check found a problem (named on stdout), 2 on a usage error
 * (bad flags, no such file, not a benchgate database). */
int bg_cmd_check_main(int argc, char **argv);

#endif
