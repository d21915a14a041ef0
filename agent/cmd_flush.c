/* cmd_flush.c: `benchgate flush`: upload spooled runs oldest first, keep or set aside the rest. */
#include "cmd_flush.h"

#include "cli.h"
#include "mem.h"
#include "spool.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEAD 16 /* servers remembered as unreachable during one pass */

static int is_dead(char *const *dead, size_t ndead, const char *server) {
  for (size_t i = 0; i < ndead; i++)
    if (!strcmp(dead[i], server))
      return 1;
  return 0;
}

int bg_cmd_flush_spool(const char *dir, const char *server, const char *only_server,
                       const char *token, const struct bg_retry *retry, int quiet,
                       struct bg_flush_stats *st, char *err, size_t errlen) {
  struct bg_spool_entry *e = NULL;
  size_t n = 0, ndead = 0;
  char *dead[MAX_DEAD];
  memset(st, 0, sizeof *st);
  int rc = bg_spool_list(dir, &e, &n, err, errlen);
  if (rc != BG_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    struct bg_spool_run r;
    char msg[1024], path[512];
    if (bg_spool_read(e[i].path, &r, msg, sizeof msg) != BG_OK) {
      /* Unreadable as a spool file: set it aside so it cannot block the queue. */
      if (bg_spool_reject(dir, &e[i], msg, err, errlen) == BG_OK) {
        st->rejected++;
        if (!quiet)
          bg_cli_error("flush: %s; moved to %s/rejected/", msg, dir);
      } else {
        st->remaining++;
        if (!quiet)
          bg_cli_error("flush: %s", err);
      }
      continue;
    }
    const char *to = server ? server : r.server;
    if ((only_server && strcmp(only_server, r.server)) || !*to || is_dead(dead, ndead, to)) {
      st->remaining++;
      bg_spool_run_clear(&r);
      continue;
    }
    struct bg_client cl = {.server = to, .token = token, .connect_timeout_ms = 10000, .timeout_ms = 120000};
    struct bg_response res;
    snprintf(path, sizeof path, "/api/v1/projects/%s/runs", r.project);
    int urc =
        bg_client_request_retry(&cl, retry, "POST", path, r.run_json, &res, NULL, msg, sizeof msg);
    if (urc != BG_OK) {
      st->remaining++;
      if (urc == BG_ENET && ndead < MAX_DEAD)
        dead[ndead++] = bg_xstrdup(to);
      if (!quiet)
        bg_cli_error("flush: run %s kept: %s", e[i].run_id, msg);
    } else if (res.status >= 200 && res.status < 300) {
      if (bg_spool_remove(e[i].path, msg, sizeof msg) == BG_OK) {
        st->delivered++;
        if (!quiet)
          bg_cli_error("flush: delivered run %s to %s (%ld)", e[i].run_id, to, res.status);
      } else {
        st->remaining++;
        bg_cli_error("flush: run %s delivered but %s", e[i].run_id, msg);
      }
    } else if (res.status == 401 || res.status == 403) {
      /* The token, not the run, is refused: keep every run of this server for a later try. */
      char why[900];
      bg_client_error_message(&res, why, sizeof why);
      st->remaining++;
      if (ndead < MAX_DEAD)
        dead[ndead++] = bg_xstrdup(to);
      if (!quiet)
        bg_cli_error("flush: %s refused the token (%ld: %s); runs kept", to, res.status, why);
    } else if (res.status >= 400 && res.status < 500 && res.status != 429) {
      char why[900], full[1000];
      bg_client_error_message(&res, why, sizeof why);
      snprintf(full, sizeof full, "%s answered %ld: %s", to, res.status, why);
      if (bg_spool_reject(dir, &e[i], full, msg, sizeof msg) == BG_OK) {
        st->rejected++;
        if (!quiet)
          bg_cli_error("flush: run %s rejected (%s); moved to %s/rejected/", e[i].run_id, full,
                       dir);
      } else {
        st->remaining++;
        bg_cli_error("flush: run %s rejected (%s) and %s", e[i].run_id, full, msg);
      }
    } else {
      st->remaining++;
      if (!quiet)
        bg_cli_error("flush: run %s kept: server answered %ld", e[i].run_id, res.status);
    }
    if (urc == BG_OK)
      bg_response_free(&res);
    bg_spool_run_clear(&r);
  }
  for (size_t i = 0; i < ndead; i++)
    free(dead[i]);
  bg_spool_list_free(e, n);
  return BG_OK;
}

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
  struct bg_flush_stats st;
  if (bg_cmd_flush_spool(dir, server, NULL, token, &retry, 0, &st, err, sizeof err) != BG_OK) {
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
