/* cmd_changepoints.h: `benchgate changepoints`: change points of a series file, as JSON.
 *
 * benchgate changepoints [--format tcpd|csv] FILE
 * FILE is a TCPD series document (a JSON object: {"series": [{"raw": [numbers or null]}]})
 * or plain text with one value per line ("NA", "NaN", "null" or "nan" mark a missing value,
 * blank lines are skipped); the format is detected from the first non-blank character unless
 * --format is given; "-" reads standard input. Prints
 * {"change_points": [{"index": i, "magnitude": m, "relative": r, "score": s}, ...]} with the
 * detector's default configuration ("relative" only when both levels are positive; with
 * several TCPD dimensions each point also has "dimension").
 */
#ifndef BG_CMD_CHANGEPOINTS_H
#define BG_CMD_CHANGEPOINTS_H

#include <stdio.h>

/* Runs the command with argv[0] = "changepoints" (or any name) and the arguments after it,
 * printing to stdout and stderr. Returns 0 on success, 2 on a usage error or bad input (the
 * message on stderr names the file and the line or field), 1 on an internal error. */
int bg_cmd_changepoints_main(int argc, char **argv);

/* As bg_cmd_changepoints_main, writing to `out` and `err` instead (for tests). */
int bg_cmd_changepoints_run(int argc, char **argv, FILE *out, FILE *err);

#endif
