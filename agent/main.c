/* main.c: the `benchgate` command line: dispatches to one subcommand per verb.
 *
 * Each subcommand lives in cmd_<verb>.c with an `int bg_cmd_<verb>_main(int argc, char
 * **argv)` that gets argv starting at the verb and returns the exit code (cli.h). To add a
 * command, include its header and add one line to the table below.
 */
#include "cli.h"
#include "client.h"
#include "cmd_changepoints.h"
#include "cmd_compare.h"
#include "cmd_flush.h"
#include "cmd_gate.h"
#include "cmd_parse.h"
#include "cmd_run.h"
#include "cmd_serve.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

struct command {
  const char *name;
  int (*main)(int argc, char **argv);
  const char *summary;
};

/* The commands, in the order `benchgate help` lists them. */
static const struct command commands[] = {
    {"run", bg_cmd_run_main, "build and run the suites of benchgate.yml here, upload the run"},
    {"serve", bg_cmd_serve_main, "the job loop of a bench machine: lease, check out, run, upload"},
    {"gate", bg_cmd_gate_main, "CI step: wait for a commit's jobs and verdicts, print the reports"},
    {"parse", bg_cmd_parse_main, "print a benchmark harness's output as run-payload results"},
    {"compare", bg_cmd_compare_main, "apply the gate offline between result files"},
    {"changepoints", bg_cmd_changepoints_main,
     "find level shifts in a series (TCPD JSON or one value per line)"},
    {"flush", bg_cmd_flush_main, "upload the runs spooled while the server was unreachable"},
    /* -- add new commands above this line -- */
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show this help (help COMMAND: that command's options)"},
};

#define NCOMMANDS (sizeof commands / sizeof *commands)

static int cmd_version(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("benchgate %s\n", BG_VERSION);
  return BG_EXIT_PASS;
}

static void help(FILE *f) {
  fprintf(f,
          "benchgate %s: a performance regression gate for CI\n\n"
          "usage: benchgate COMMAND [options]\n"
          "       benchgate COMMAND --help      (or benchgate help COMMAND) for its options\n"
          "       benchgate --version           (or benchgate version)\n"
          "       benchgate --help              (or -h, or benchgate help): this text\n\n"
          "commands:\n",
          BG_VERSION);
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nexit codes: 0 pass, 1 regression, 2 usage or input error, "
             "3 infrastructure error\n"
             "environment:\n"
             "  BENCHGATE_TOKEN              API token (or --token-file)\n"
             "  BENCHGATE_SERVER             the server for gate (or --server)\n"
             "  BENCHGATE_SPOOL              spool directory (default\n"
             "                               $XDG_STATE_HOME/benchgate/spool, XDG_STATE_HOME\n"
             "                               defaulting to ~/.local/state)\n"
             "  BENCHGATE_RETRY_ATTEMPTS     upload tries (1..100, default 5)\n"
             "  BENCHGATE_RETRY_MAX_SECONDS  no new try after this many seconds (default 120)\n"
             "  BENCHGATE_RETRY_BASE_MS      first wait between tries, doubling (default 500)\n"
             "  BENCHGATE_RETRY_CAP_MS       longest wait between tries (default 30000)\n"
             "  CI                           set: plain progress lines, no redrawing\n"
             "  GITHUB_HEAD_REF, GITHUB_REF_NAME  the branch when git has none (detached)\n"
             "  GITHUB_REF                   refs/pull/N/merge: the run is for pull request N\n"
             "  GITHUB_BASE_REF              a pull request's base branch (gate: its fork point)\n"
             "  GITHUB_STEP_SUMMARY          a file the verdict's Markdown report is added to\n"
             "  TMPDIR                       where run checks out an interleaved run's base\n"
             "                               commit (default /tmp)\n"
             "configuration: benchgate.yml, every key in docs/config.md\n");
}

/* `benchgate help [COMMAND]`: this text, or COMMAND's own --help. */
static int cmd_help(int argc, char **argv) {
  if (argc < 2) {
    help(stdout);
    return BG_EXIT_PASS;
  }
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (strcmp(commands[i].name, argv[1]) || commands[i].main == cmd_help)
      continue;
    char *args[] = {argv[1], "--help", NULL};
    return commands[i].main(2, args);
  }
  bg_cli_error("help: unknown command '%s'", argv[1]);
  help(stderr);
  return BG_EXIT_USAGE;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    help(stderr);
    return BG_EXIT_USAGE;
  }
  const char *verb = argv[1];
  if (!strcmp(verb, "--help") || !strcmp(verb, "-h"))
    verb = "help";
  else if (!strcmp(verb, "--version"))
    verb = "version";
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (strcmp(commands[i].name, verb))
      continue;
    /* A closed server connection must be an error from write(), not a dead process. */
    signal(SIGPIPE, SIG_IGN);
    if (bg_client_global_init() != BG_OK) {
      bg_cli_error("cannot initialise libcurl");
      return BG_EXIT_INFRA;
    }
    int code = commands[i].main(argc - 1, argv + 1);
    bg_client_global_cleanup();
    fflush(stdout);
    return code;
  }
  bg_cli_error("unknown command '%s'", argv[1]);
  help(stderr);
  return BG_EXIT_USAGE;
}
