/* report.h: where the agent puts a verdict's Markdown report: stdout and the CI job summary.
 *
 * `benchgate run --gate` and `benchgate compare` print the report for people and, on GitHub
 * Actions, append it to the file named by $GITHUB_STEP_SUMMARY so it shows on the job page.
 */
#ifndef BG_REPORT_H
#define BG_REPORT_H

/* Prints `markdown` to stdout (with a final newline) and appends it to $GITHUB_STEP_SUMMARY
 * when that is set. Returns 0, or -1 when the summary file cannot be written (a warning is
 * printed; the report on stdout is still complete). */
int bg_report_write(const char *markdown);

#endif
