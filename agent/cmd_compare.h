/* cmd_compare.h: `benchgate compare [--base FILE]... [BASE] HEAD`, the gate offline. */
#ifndef BG_CMD_COMPARE_H
#define BG_CMD_COMPARE_H

/* Runs the subcommand; argv[0] is "compare". Each BASE file (or every file of a BASE
 * directory) is one baseline run, HEAD the candidate; files are read by bg_adapter_parse.
 * Prints a table sorted by severity and the verdict line. Returns the exit code: 0 no
 * regression, 1 regression, 2 usage or input error (with "FILE: field: message"). */
int bg_cmd_compare_main(int argc, char **argv);

#endif
