/* cmd_flush.c: `benchgate flush`: upload spooled runs oldest first, keep or set aside the rest. */
#include "cmd_flush.h"

#include "cli.h"
#include "deliver.h"
#include "mem.h"
#include "spool.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void usage(FILE *f) {
  fprintf(f, "usage: benchgate flush [options]\n"
             "  Uploads the runs that `benchgate run` spooled while the server was unreachable,\n"
             "  oldest first, each to the server and project it was meant for.\n"
             "options:\n"
             "  --spool DIR          spool directory (default $BENCHGATE_SPOOL, else\n"
             "                       $XDG_STATE_HOME/benchgate/spool or\n"
             "                       ~/.local/state/benchgate/spool)\n"
             "  --server URL         send every run here instead of its recorded server\n"
             "  --token-file FILE    API token file (or set BENCHGATE_TOKEN)\n"
             "  --token T            API token (discouraged: command lines get logged)\n"
             "  --retries N          tries per run (default 5; BENCHGATE_RETRY_ATTEMPTS)\n"
             "  -h, --help           show this help\n"
             "exit codes: 0 all delivered, 2 some rejected by the server (kept in\n"
             "            rejected/), 3 some still spooled\n");
}

int bg_cmd_flush_main(int argc, char **argv) {
  enum { O_SPOOL = 256, O_SERVER, O_TOKEN, O_TOKEN_FILE, O_RETRIES };
  static const struct option opts[] = {{"spool", required_argument, NULL, O_SPOOL},
                                       {"server", required_argument, NULL, O_SERVER},
                                       {"token", required_argument, NULL, O_TOKEN},
                                       {"token-file", required_argument, NULL, O_TOKEN_FILE},
                                       {"retries", required_argument, NULL, O_RETRIES},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *spool = NULL, *server = NULL, *flag_token = NULL, *token_file = NULL;
  char dir[4096], err[1024], *token = NULL;
  struct bg_retry retry;
  int c, code = BG_EXIT_USAGE;
  bg_retry_from_env(&retry);
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case O_SPOOL:
      spool = optarg;
      break;
    case O_SERVER:
      server = optarg;
      break;
    case O_TOKEN:
      flag_token = optarg;
      break;
    case O_TOKEN_FILE:
      token_file = optarg;
      break;
    case O_RETRIES: {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || end == optarg || v < 1 || v > 100) {
        bg_cli_error("flush: --retries: '%s' is not a number 1..100", optarg);
        return BG_EXIT_USAGE;
      }
      retry.attempts = (int)v;
      break;
    }
    case 'h':
      usage(stdout);
      return BG_EXIT_PASS;
    default:
      usage(stderr);
      return BG_EXIT_USAGE;
    }
  }
  if (optind != argc) {
    bg_cli_error("flush: unexpected argument '%s'", argv[optind]);
    usage(stderr);
    return BG_EXIT_USAGE;
  }
  if (bg_spool_dir(spool, dir, sizeof dir) != BG_OK) {
    bg_cli_error("flush: no spool directory: pass --spool DIR or set BENCHGATE_SPOOL");
    return BG_EXIT_USAGE;
  }
  if (bg_client_token(flag_token, token_file, &token, err, sizeof err) != BG_OK) {
    bg_cli_error("%s", err);
    return BG_EXIT_USAGE;
  }
  struct bg_spool_stats st;
  if (bg_deliver_spool(dir, server, NULL, token, &retry, 0, &st, err, sizeof err) != BG_OK) {
    bg_cli_error("%s", err);
    code = BG_EXIT_INFRA;
    goto out;
  }
  bg_cli_error("flush: %zu delivered, %zu still spooled, %zu rejected (%s)", st.delivered,
               st.remaining, st.rejected, dir);
  code = st.remaining ? BG_EXIT_INFRA : st.rejected ? BG_EXIT_USAGE : BG_EXIT_PASS;
out:
  if (token) {
    memset(token, 0, strlen(token));
    free(token);
  }
  return code;
}
