/* cmd_parse.h: `benchgate parse [--format F] FILE`, a harness file as run-payload results. */
#ifndef BG_CMD_PARSE_H
#define BG_CMD_PARSE_H

/* Runs the subcommand; argv[0] is "parse". Prints {"results":[...]} on stdout. Returns the
 * exit code: 0, or 2 with "FILE: field: message" on stderr for unreadable or malformed input
 * and for usage errors. */
int bg_cmd_parse_main(int argc, char **argv);

#endif
