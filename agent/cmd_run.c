/* cmd_run.c: `benchgate run`: the commit from git, the measurement (measure.h), save and upload. */
#include "cmd_run.h"

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "confirmation.h"
#include "deliver.h"
#include "git.h"
#include "interleave.h"
#include "measure.h"
#include "measure_ab.h"
#include "mem.h"
#include "report.h"
#include "spool.h"
#include "uuid.h"
#include "valid.h"
#include "verdict_wait.h"
#include "workspace.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GATE_WAIT_NS (900LL * 1000000000LL)
#define GATE_POLL_SECONDS 2

static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the command ------------------------------------------------------------------------ */

struct flags {
  const char *config, *commit, *branch, *baseline_sha, *server, *token, *token_file;
  const char *testbed, *output, *spool;
  int dry_run, gate, verbose, retries, no_preflight;
  int interleave; /* 1 --interleave, -1 --no-interleave, 0 as the project says */
  long rounds;    /* --interleave=R; 0: as the project says */
};

static void usage(FILE *f) {
  fprintf(f, "usage: benchgate run [options]\n"
             "  Builds (if configured) and runs the benchmark suites of benchgate.yml in the\n"
             "  current checkout, then uploads the run to the server.\n"
             "options:\n"
             "  -c, --config FILE    configuration (default benchgate.yml; docs/config.md)\n"
             "  --commit SHA         commit the results belong to (default: git HEAD)\n"
             "  --branch B           its branch (default: from git or GITHUB_HEAD_REF)\n"
             "  --baseline-sha S     fork point to compare against (default: git merge-base)\n"
             "  --server URL         server (default: server: in the config)\n"
             "  --token-file FILE    API token file (or set BENCHGATE_TOKEN)\n"
             "  --token T            API token (discouraged: command lines get logged)\n"
             "  --testbed NAME       testbed (default: testbed: in the config)\n"
             "  -o, --output FILE    also write the run as JSON to FILE\n"
             "  --dry-run            do not upload (and do not contact the server)\n"
             "  --no-preflight       do not ask the server, before the first suite, whether\n"
             "                       the project exists and the token may upload to it\n"
             "  --gate               wait for the verdict; exit 1 when it fails; runs the\n"
             "                       confirmations a doubtful verdict asks for\n"
             "  --interleave[=R]     measure the base commit (--baseline-sha, else the fork\n"
             "                       point) and this one alternately, R rounds (2..%d; default\n"
             "                       the project's interleave_rounds, else %d), and upload\n"
             "                       the rounds for the gate's paired comparison\n"
             "  --no-interleave      measure this commit alone, whatever the project asks\n"
             "  -v, --verbose        show the benchmarks' output on stderr\n"
             "  --spool DIR          where a run goes when the server cannot take it (default\n"
             "                       $BENCHGATE_SPOOL, else $XDG_STATE_HOME/benchgate/spool\n"
             "                       or ~/.local/state/benchgate/spool); see benchgate flush\n"
             "  --retries N          upload tries before spooling (default 5, with backoff)\n"
             "  -h, --help           show this help\n"
             "Before the first suite the server is asked whether the project exists and the\n"
             "token may upload to it; a refused token or an unknown project ends the run\n"
             "there (exit 2). An unreachable server does not: the suites run and the run is\n"
             "spooled if the server is still unreachable at the upload.\n"
             "The access answer also says how the project compares a run: with comparison\n"
             "interleaved or both, a run whose base commit differs from it (a pull request,\n"
             "a branch) is measured interleaved with the base, as --interleave does\n"
             "(with --dry-run or --no-preflight nothing is asked: only --interleave does).\n"
             "exit codes: 0 pass, 1 regression (--gate), 2 usage/input/benchmark error or a\n"
             "            refused token or project, 3 server unreachable or failing (the run\n"
             "            was spooled)\n",
          BG_INTERLEAVE_MAX_ROUNDS, BG_INTERLEAVE_DEFAULT_ROUNDS);
}

/* --interleave[=R]. */
static int parse_rounds(const char *v, struct flags *fl) {
  char *end;
  fl->interleave = 1;
  fl->rounds = 0;
  if (!v)
    return 0;
  long r = strtol(v, &end, 10);
  if (*end || end == v || r < 2 || r > BG_INTERLEAVE_MAX_ROUNDS) {
    bg_cli_error("run: --interleave: '%s' is not a number of rounds 2..%d", v,
                 BG_INTERLEAVE_MAX_ROUNDS);
    return -1;
  }
  fl->rounds = r;
  return 0;
}

static int parse_flags(int argc, char **argv, struct flags *fl) {
  enum {
    O_COMMIT = 256,
    O_BRANCH,
    O_BASE,
    O_SERVER,
    O_TOKEN,
    O_TOKEN_FILE,
    O_TESTBED,
    O_DRY,
    O_GATE,
    O_SPOOL,
    O_RETRIES,
    O_NO_PREFLIGHT,
    O_INTERLEAVE,
    O_NO_INTERLEAVE
  };
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"commit", required_argument, NULL, O_COMMIT},
                                       {"branch", required_argument, NULL, O_BRANCH},
                                       {"baseline-sha", required_argument, NULL, O_BASE},
                                       {"server", required_argument, NULL, O_SERVER},
                                       {"token", required_argument, NULL, O_TOKEN},
                                       {"token-file", required_argument, NULL, O_TOKEN_FILE},
                                       {"testbed", required_argument, NULL, O_TESTBED},
                                       {"output", required_argument, NULL, 'o'},
                                       {"dry-run", no_argument, NULL, O_DRY},
                                       {"gate", no_argument, NULL, O_GATE},
                                       {"spool", required_argument, NULL, O_SPOOL},
                                       {"retries", required_argument, NULL, O_RETRIES},
                                       {"no-preflight", no_argument, NULL, O_NO_PREFLIGHT},
                                       {"interleave", optional_argument, NULL, O_INTERLEAVE},
                                       {"no-interleave", no_argument, NULL, O_NO_INTERLEAVE},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  memset(fl, 0, sizeof *fl);
  fl->config = "benchgate.yml";
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:o:vh", opts, NULL)) != -1) {
    switch (c) {
    case 'c':
      fl->config = optarg;
      break;
    case O_COMMIT:
      fl->commit = optarg;
      break;
    case O_BRANCH:
      fl->branch = optarg;
      break;
    case O_BASE:
      fl->baseline_sha = optarg;
      break;
    case O_SERVER:
      fl->server = optarg;
      break;
    case O_TOKEN:
      fl->token = optarg;
      break;
    case O_TOKEN_FILE:
      fl->token_file = optarg;
      break;
    case O_TESTBED:
      fl->testbed = optarg;
      break;
    case 'o':
      fl->output = optarg;
      break;
    case O_DRY:
      fl->dry_run = 1;
      break;
    case O_GATE:
      fl->gate = 1;
      break;
    case O_SPOOL:
      fl->spool = optarg;
      break;
    case O_RETRIES: {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || end == optarg || v < 1 || v > 100) {
        bg_cli_error("run: --retries: '%s' is not a number 1..100", optarg);
        return -1;
      }
      fl->retries = (int)v;
      break;
    }
    case O_NO_PREFLIGHT:
      fl->no_preflight = 1;
      break;
    case O_INTERLEAVE:
      if (parse_rounds(optarg, fl) < 0)
        return -1;
      break;
    case O_NO_INTERLEAVE:
      fl->interleave = -1;
      fl->rounds = 0;
      break;
    case 'v':
      fl->verbose = 1;
      break;
    case 'h':
      usage(stdout);
      return 1;
    default:
      usage(stderr);
      return -1;
    }
  }
  if (optind != argc) {
    bg_cli_error("run: unexpected argument '%s'", argv[optind]);
    usage(stderr);
    return -1;
  }
  if (fl->gate && fl->dry_run) {
    bg_cli_error("run: --gate needs an upload; it cannot go with --dry-run");
    return -1;
  }
  return 0;
}

/* Fills the run's commit and baseline from flags and git. */
static int fill_commit(const struct flags *fl, struct bg_run *run, char *err, size_t errlen) {
  struct bg_git_commit gc;
  char gerr[512];
  const char *rev = fl->commit ? fl->commit : "HEAD";
  int rc = bg_git_commit_read(NULL, rev, &gc, gerr, sizeof gerr);
  if (rc == BG_OK) {
    bg_run_set(&run->commit.sha, gc.sha);
    for (size_t i = 0; i < gc.nparents; i++)
      bg_run_add_parent(run, gc.parents[i]);
    bg_run_set(&run->commit.message, gc.message);
    bg_run_set(&run->commit.author, gc.author);
    bg_run_set(&run->commit.timestamp, gc.timestamp);
    bg_git_commit_clear(&gc);
  } else if (fl->commit) {
    if (!bg_valid_sha(fl->commit)) {
      snprintf(err, errlen,
               "--commit: '%s' is not a 40 or 64 digit lowercase hex sha and git "
               "does not know it (%s)",
               fl->commit, gerr);
      return BG_EINVAL;
    }
    bg_cli_warn("commit %.12s is not in this checkout (%s); its message, author and time are "
                "left out",
                fl->commit, gerr);
    bg_run_set(&run->commit.sha, fl->commit);
  } else {
    snprintf(err, errlen,
             "cannot read the commit from git (%s); run inside a git checkout or "
             "pass --commit and --branch",
             gerr);
    return BG_EINVAL;
  }

  char *branch = NULL;
  if (fl->branch)
    branch = bg_xstrdup(fl->branch);
  else if ((rc = bg_git_branch(NULL, &branch, err, errlen)) != BG_OK)
    return BG_EINVAL;
  if (!bg_valid_branch(branch)) {
    snprintf(err, errlen, "branch '%s' is not a valid git branch name", branch);
    free(branch);
    return BG_EINVAL;
  }
  bg_run_set(&run->commit.branch, branch);
  free(branch);

  long long pr = bg_cli_github_pull_request();
  if (pr)
    run->pull_request = pr;

  char *def = bg_git_default_branch(NULL);
  if (fl->baseline_sha) {
    if (!bg_valid_sha(fl->baseline_sha)) {
      snprintf(err, errlen, "--baseline-sha: '%s' is not a 40 or 64 digit lowercase hex sha",
               fl->baseline_sha);
      free(def);
      return BG_EINVAL;
    }
    bg_run_set(&run->baseline_branch, def);
    bg_run_set(&run->baseline_sha, fl->baseline_sha);
  } else if (strcmp(def, run->commit.branch)) {
    char *fork = NULL;
    if (bg_git_fork_point(NULL, run->commit.sha, def, &fork, gerr, sizeof gerr) == BG_OK) {
      bg_run_set(&run->baseline_branch, def);
      bg_run_set(&run->baseline_sha, fork);
      free(fork);
    } else {
      bg_cli_warn("%s; the server will look for the baseline from the commit's parents", gerr);
    }
  }
  free(def);
  return BG_OK;
}

static int write_output(const char *path, const struct bg_run *run) {
  char tmp[4200];
  char *text = bg_run_to_json(run, 1);
  int rc = BG_OK;
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0) {
    rc = BG_EIO;
  }
  if (f && fclose(f) != 0)
    rc = BG_EIO;
  if (rc == BG_OK && rename(tmp, path) < 0)
    rc = BG_EIO;
  if (rc != BG_OK) {
    bg_cli_error("%s: cannot write: %s", path, strerror(errno));
    unlink(tmp);
  }
  cJSON_free(text);
  return rc;
}

/* Maps an HTTP answer to an exit code, printing the server's message for failures. */
static int judge_status(const struct bg_response *res, const char *what) {
  char msg[512];
  if (res->status >= 200 && res->status < 300)
    return BG_EXIT_PASS;
  bg_client_error_message(res, msg, sizeof msg);
  bg_cli_error("%s: server answered %ld: %s", what, res->status, msg);
  return res->status >= 400 && res->status < 500 ? BG_EXIT_USAGE : BG_EXIT_INFRA;
}

static int wait_verdict(const struct bg_client *cl, const char *project, const struct bg_run *run,
                        struct bg_verdict *v) {
  char err[1024];
  struct bg_retry once = {1, 0, 0, 0, 1};
  long long deadline = mono_ns() + GATE_WAIT_NS;
  bg_cli_error("waiting for the verdict of %.12s on %s", run->commit.sha, run->testbed);
  while (mono_ns() < deadline) {
    int rc = bg_verdict_fetch(cl, &once, project, run->commit.sha, run->testbed, v, NULL, 0, err,
                              sizeof err);
    if (rc != BG_OK && rc != BG_ENOENT) {
      bg_cli_error("%s", err);
      return BG_EXIT_INFRA;
    }
    if (!bg_verdict_pending(v->state))
      return BG_EXIT_PASS;
    sleep(GATE_POLL_SECONDS);
  }
  bg_cli_error("no verdict after %lld s", GATE_WAIT_NS / 1000000000LL);
  return BG_EXIT_INFRA;
}

/* What a confirmation run of `benchgate run --gate` needs (confirmation.h). */
struct confirming {
  const struct flags *fl;
  const struct bg_config *cf;
  const struct bg_delivery *d;
};

static int measure_interleaved(const struct flags *fl, const struct bg_config *cf,
                               const struct bg_measure_opts *mo, size_t rounds,
                               const char *base_sha, struct bg_run *run, int *unready, char *err,
                               size_t errlen);

/* A confirmation: the suites only[] names, interleaved with base_sha when the verdict asks
 * (alone, with a warning, when the base cannot be checked out or configured). */
static int confirm_measure(void *ctx, const unsigned char *only,
                           const struct bg_confirmation_ask *ask, struct bg_run *run, char *err,
                           size_t errlen) {
  const struct confirming *c = ctx;
  struct bg_measure_opts mo = {.cpus = c->cf->cpus,
                               .ncpus = c->cf->ncpus,
                               .clean_env = c->cf->clean_env,
                               .verbose = c->fl->verbose,
                               .interactive = bg_cli_interactive(),
                               .only = only,
                               .benchmarks = (const char *const *)ask->benchmarks,
                               .nbenchmarks = ask->nbenchmarks,
                               .no_build = 1};
  if (ask->rounds) {
    int unready = 0;
    int rc = measure_interleaved(c->fl, c->cf, &mo, ask->rounds, ask->base_sha, run, &unready,
                                 err, errlen);
    if (rc == BG_OK || !unready)
      return rc;
    bg_cli_warn("%s; confirming with the commit alone", err); /* nothing measured yet */
  }
  return bg_measure_run(c->cf, &mo, run, err, errlen);
}

static int confirm_upload(void *ctx, const struct bg_run *run, char **answer, char *err,
                          size_t errlen) {
  const struct confirming *c = ctx;
  struct bg_response res;
  char spooled[4352], msg[512];
  int rc = bg_deliver_run(c->d, run, &res, spooled, sizeof spooled, err, errlen);
  if (rc == BG_ENET)
    snprintf(err + strlen(err), errlen - strlen(err), "; confirmation run %s spooled to %s",
             run->run_id, spooled);
  if (rc != BG_OK)
    return rc;
  if (res.status / 100 != 2) {
    bg_client_error_message(&res, msg, sizeof msg);
    snprintf(err, errlen, "confirmation run %s: server answered %ld: %s", run->run_id, res.status,
             msg);
    bg_response_free(&res);
    return BG_EINVAL;
  }
  printf("%s\n", run->run_id);
  *answer = bg_xstrdup(res.body.data ? res.body.data : "");
  bg_response_free(&res);
  return BG_OK;
}

/* With --gate: the confirmations the answer asks for, each answer replacing *answer. */
static int confirm(const struct confirming *c, const struct bg_run *run, const size_t *suite_end,
                   char **answer) {
  char err[8192];
  size_t done = 0;
  const struct bg_confirmation_ops ops = {confirm_measure, confirm_upload, (void *)c};
  int rc =
      bg_confirmation_loop(&ops, run, c->cf->nsuites, suite_end, answer, &done, err, sizeof err);
  if (rc != BG_OK) {
    bg_cli_error("%s", err);
    return rc == BG_EINVAL ? BG_EXIT_USAGE : BG_EXIT_INFRA;
  }
  if (done)
    bg_cli_error("%zu confirmation run%s uploaded", done, done == 1 ? "" : "s");
  return BG_EXIT_PASS;
}

static int upload(const struct flags *fl, const char *server, const char *token,
                  const struct bg_config *cf, const struct bg_run *run, const size_t *suite_end) {
  const char *project = cf->project;
  struct bg_client cl = {
      .server = server, .token = token, .connect_timeout_ms = 10000, .timeout_ms = 120000};
  struct bg_response res;
  struct bg_retry retry;
  char dir[4096], spooled[4352], err[6000], *answer = NULL;
  struct bg_verdict v = {{0}, {0}, {0}, NULL, 0};
  bg_retry_from_env(&retry);
  if (fl->retries)
    retry.attempts = fl->retries;
  struct bg_delivery d = {server, token, project, NULL, &retry};
  if (bg_spool_dir(fl->spool, dir, sizeof dir) == BG_OK)
    d.spool = dir;
  int rc = bg_deliver_run(&d, run, &res, spooled, sizeof spooled, err, sizeof err);
  if (rc != BG_OK) {
    bg_cli_error("%s", err);
    if (rc == BG_EIO && fl->output)
      bg_cli_error("the run is saved in %s", fl->output);
    if (rc == BG_ENET)
      bg_cli_error("run %s spooled to %s; deliver it later with `benchgate flush` (the next "
                   "`benchgate run` tries too)",
                   run->run_id, spooled);
    return rc == BG_EINVAL ? BG_EXIT_USAGE : BG_EXIT_INFRA;
  }
  int code = judge_status(&res, "upload");
  if (code == BG_EXIT_PASS) {
    bg_verdict_parse(res.body.data, &v);
    answer = bg_xstrdup(res.body.data ? res.body.data : "");
    printf("%s\n", run->run_id);
    bg_cli_error("uploaded run %s (%s %.12s on %s)%s%s", run->run_id, project, run->commit.sha,
                 run->testbed, *v.state ? ", verdict: " : "", v.state);
  }
  bg_response_free(&res);
  if (code != BG_EXIT_PASS || !fl->gate)
    goto out;
  const struct confirming c = {fl, cf, &d};
  if ((code = confirm(&c, run, suite_end, &answer)))
    goto out;
  bg_verdict_parse(answer, &v);
  /* A large run's answer summarizes its verdict; the report comes with the full one. */
  if ((bg_verdict_pending(v.state) || v.summarized) && (code = wait_verdict(&cl, project, run, &v)))
    goto out;
  printf("verdict: %s%s%s\n", v.state, *v.summary ? ": " : "", v.summary);
  if (v.markdown) {
    printf("\n");
    bg_report_write(v.markdown);
  }
  code = strcmp(v.state, "fail") ? BG_EXIT_PASS : BG_EXIT_REGRESSION;
out:
  free(answer);
  bg_verdict_clear(&v);
  return code;
}

/* Before new work, delivers what earlier runs spooled for this server (one quiet try each). */
static void flush_earlier(const struct flags *fl, const char *server, const char *token) {
  char dir[4096], err[1024];
  struct bg_spool_stats st;
  struct bg_retry once = {1, 10000, 1, 1, 1};
  if (bg_spool_dir(fl->spool, dir, sizeof dir) != BG_OK)
    return;
  if (bg_deliver_spool(dir, NULL, server, token, &once, 1, &st, err, sizeof err) != BG_OK) {
    bg_cli_warn("%s", err);
    return;
  }
  if (st.delivered || st.rejected)
    bg_cli_error("spool %s: delivered %zu earlier run%s%s", dir, st.delivered,
                 st.delivered == 1 ? "" : "s",
                 st.rejected ? "; some were rejected (see rejected/)" : "");
  if (st.remaining)
    bg_cli_warn("spool %s: %zu run%s still waiting (benchgate flush)", dir, st.remaining,
                st.remaining == 1 ? "" : "s");
}

/* Asks the server whether the token may upload to the project before anything runs. Returns
 * BG_EXIT_PASS to go on (*reachable 0 when the server gave no usable answer) or BG_EXIT_USAGE
 * when the token or the project is refused: better now than after an hour of benchmarks. */
static int preflight(const char *server, const char *token, const char *project, int *reachable,
                     struct bg_client_access *access) {
  struct bg_client cl = {
      .server = server, .token = token, .connect_timeout_ms = 5000, .timeout_ms = 15000};
  struct bg_retry retry;
  char err[1024];
  bg_retry_from_env(&retry);
  /* A short look: the upload itself retries for minutes and spools. */
  if (retry.attempts > 3)
    retry.attempts = 3;
  if (retry.max_total_ms > 10000)
    retry.max_total_ms = 10000;
  retry.quiet = 1;
  *reachable = 1;
  int rc = bg_client_check_upload(&cl, &retry, project, access, err, sizeof err);
  if (rc == BG_OK)
    return BG_EXIT_PASS;
  if (rc == BG_ENET) {
    /* A bench machine may lose the network for a while; the run is worth keeping. */
    *reachable = 0;
    bg_cli_warn("%s; running the suites anyway: the run is uploaded if the server is back by "
                "then, else spooled (benchgate flush delivers it later)",
                err);
    return BG_EXIT_PASS;
  }
  if (rc == BG_EUNSUPP) {
    bg_cli_warn("%s; the project and the token are checked at the upload", err);
    return BG_EXIT_PASS;
  }
  bg_cli_error("%s; nothing was run", err);
  return BG_EXIT_USAGE;
}

/* ---- interleaved A/B (measure_ab.h) ------------------------------------------------------ */

/* How many rounds the run interleaves into *rounds, 0 for a run of the commit alone: forced
 * by --interleave, else what the project's comparison asks for a run whose base commit is
 * another one. BG_EINVAL (said) for --interleave without a base commit. */
static int interleave_rounds(const struct flags *fl, const struct bg_client_access *a,
                             const struct bg_run *run, size_t *rounds) {
  *rounds = 0;
  if (fl->interleave < 0)
    return BG_OK;
  if (fl->interleave > 0 && !run->baseline_sha) {
    bg_cli_error("run: --interleave: no base commit: pass --baseline-sha, or run on a branch "
                 "that forked from the default branch");
    return BG_EINVAL;
  }
  int asked = a->mode != BG_COMPARE_HISTORY && run->baseline_sha &&
              strcmp(run->baseline_sha, run->commit.sha);
  if (fl->interleave > 0 || asked)
    *rounds = fl->rounds ? (size_t)fl->rounds
                         : a->rounds ? a->rounds : (size_t)BG_INTERLEAVE_DEFAULT_ROUNDS;
  return BG_OK;
}

static volatile sig_atomic_t stopped;

static void on_stop(int sig) {
  (void)sig;
  stopped = 1;
}

/* The base's benchgate.yml: the head's path (relative to the current directory) in the
 * base's checkout; an absolute path names one file for both. */
static int base_config(const struct flags *fl, const char *base_cwd, struct bg_config **out,
                       char *err, size_t errlen) {
  char path[8400];
  if (fl->config[0] == '/') {
    bg_cli_warn("%s is outside the checkout: the base is measured with it too", fl->config);
    snprintf(path, sizeof path, "%s", fl->config);
  } else {
    snprintf(path, sizeof path, "%s/%s", base_cwd, fl->config);
  }
  return bg_config_load(path, out, err, errlen);
}

/* Measures the run interleaved with its base commit in a temporary worktree, which is
 * removed afterwards, also on failure or when SIGINT or SIGTERM stop the measurement.
 * *unready is 1 when it failed before measuring anything (the base could not be checked out
 * or has no usable benchgate.yml). */
static int measure_interleaved(const struct flags *fl, const struct bg_config *cf,
                               const struct bg_measure_opts *mo, size_t rounds,
                               const char *base_sha, struct bg_run *run, int *unready, char *err,
                               size_t errlen) {
  char tmp[4096], prefix[4096], base_cwd[8300];
  const char *td = getenv("TMPDIR");
  struct bg_config *bcf = NULL;
  *unready = 1;
  snprintf(tmp, sizeof tmp, "%s/benchgate-base.XXXXXX", td && *td ? td : "/tmp");
  int rc = bg_git_prefix(NULL, prefix, sizeof prefix, err, errlen);
  if (rc != BG_OK)
    return rc;
  stopped = 0;
  if (!mkdtemp(tmp)) {
    snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
    return BG_EIO;
  }
  struct sigaction sa, old_int, old_term;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  bg_cli_error("checking out the base %.12s in %s", base_sha, tmp);
  snprintf(base_cwd, sizeof base_cwd, "%s/%s", tmp, prefix);
  char gerr[1024];
  rc = bg_measure_ab_worktree_add(NULL, base_sha, tmp, gerr, sizeof gerr);
  if (rc != BG_OK)
    snprintf(err, errlen, "the base %.12s: cannot check it out: %s", base_sha, gerr);
  else if ((rc = base_config(fl, base_cwd, &bcf, err, errlen)) != BG_OK)
    snprintf(err + strlen(err), errlen - strlen(err), " (the base %.12s)", base_sha);
  if (rc == BG_OK) {
    struct bg_measure_ab ab = {.base = {base_cwd, bcf},
                               .head = {NULL, cf},
                               .base_sha = base_sha,
                               .rounds = rounds,
                               .opts = *mo,
                               .suite_end = mo->suite_end,
                               .only = mo->only,
                               .head_built = mo->no_build};
    ab.opts.cancel = &stopped;
    *unready = 0;
    rc = bg_measure_ab_run(&ab, run, err, errlen);
  }
  bg_measure_ab_worktree_remove(NULL, tmp);
  bg_workspace_remove_tree(tmp);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  bg_config_free(bcf);
  return rc;
}

int bg_cmd_run_main(int argc, char **argv) {
  struct flags fl;
  struct bg_config *cf = NULL;
  struct bg_run *run = NULL;
  char err[8192], *token = NULL;
  size_t *suite_end = NULL;
  int code = BG_EXIT_USAGE;

  int pf = parse_flags(argc, argv, &fl);
  if (pf)
    return pf > 0 ? BG_EXIT_PASS : BG_EXIT_USAGE;
  if (bg_config_load(fl.config, &cf, err, sizeof err) != BG_OK) {
    bg_cli_error("%s", err);
    goto out;
  }
  const char *testbed = fl.testbed ? fl.testbed : cf->testbed;
  const char *server = fl.server ? fl.server : cf->server;
  if (!testbed) {
    bg_cli_error("no testbed: set testbed: in %s or pass --testbed", fl.config);
    goto out;
  }
  if (!bg_valid_testbed(testbed)) {
    bg_cli_error("--testbed: '%s' must match [A-Za-z0-9._-]{1,64}", testbed);
    goto out;
  }
  if (!fl.dry_run) {
    if (!server) {
      bg_cli_error("no server: set server: in %s, pass --server, or use --dry-run", fl.config);
      goto out;
    }
    if (bg_client_token(fl.token, fl.token_file, &token, err, sizeof err) != BG_OK) {
      bg_cli_error("%s", err);
      goto out;
    }
    if (!token) {
      bg_cli_error("no API token: set BENCHGATE_TOKEN or pass --token-file FILE");
      goto out;
    }
  }

  int reachable = 1;
  struct bg_client_access access = {BG_COMPARE_HISTORY, 0};
  if (!fl.dry_run && !fl.no_preflight &&
      (code = preflight(server, token, cf->project, &reachable, &access)) != BG_EXIT_PASS)
    goto out;
  code = BG_EXIT_USAGE;
  if (!fl.dry_run && reachable)
    flush_earlier(&fl, server, token);

  run = bg_run_new();
  char id[BG_UUID_LEN + 1], host[256] = "";
  if (bg_uuid_v4(id) != BG_OK) {
    bg_cli_error("cannot make a run id: no randomness from the kernel");
    code = BG_EXIT_INFRA;
    goto out;
  }
  bg_run_set(&run->run_id, id);
  if (fill_commit(&fl, run, err, sizeof err) != BG_OK) {
    bg_cli_error("%s", err);
    goto out;
  }
  bg_run_set(&run->testbed, testbed);
  gethostname(host, sizeof host - 1);
  bg_run_set(&run->agent_name, *host ? host : "unknown");
  bg_run_set(&run->agent_version, BG_VERSION);
  /* With --gate the run's verdict may ask for confirmations, which this command runs. */
  run->confirmable = fl.gate;
  suite_end = bg_xcalloc(cf->nsuites ? cf->nsuites : 1, sizeof *suite_end);
  struct bg_measure_opts mo = {.cpus = cf->cpus,
                               .ncpus = cf->ncpus,
                               .clean_env = cf->clean_env,
                               .verbose = fl.verbose,
                               .interactive = bg_cli_interactive(),
                               .suite_end = suite_end};
  size_t rounds = 0;
  if (interleave_rounds(&fl, &access, run, &rounds) != BG_OK)
    goto out;
  int unready = 0;
  int rc = rounds ? measure_interleaved(&fl, cf, &mo, rounds, run->baseline_sha, run, &unready, err,
                                        sizeof err)
                  : bg_measure_run(cf, &mo, run, err, sizeof err);
  /* The project asked, the base cannot be measured (say, the pull request adds benchgate.yml):
   * the commit alone still gets its verdict, on the history. */
  if (rc != BG_OK && unready && fl.interleave == 0) {
    bg_cli_warn("%s; measuring the commit alone", err);
    rc = bg_measure_run(cf, &mo, run, err, sizeof err);
  }
  if (rc != BG_OK) {
    bg_cli_error("%s; nothing uploaded", err);
    goto out;
  }
  if (fl.output && write_output(fl.output, run) != BG_OK)
    goto out;
  if (fl.dry_run) {
    char ab[64] = "";
    if (run->interleaved)
      snprintf(ab, sizeof ab, " (%zu rounds interleaved with the base)", run->interleaved->nrounds);
    bg_cli_error("dry run: %zu results of %zu suites%s, not uploaded%s%s", run->nresults,
                 cf->nsuites, ab, fl.output ? "; written to " : "", fl.output ? fl.output : "");
    printf("%s\n", run->run_id);
    code = BG_EXIT_PASS;
    goto out;
  }
  code = upload(&fl, server, token, cf, run, suite_end);
out:
  free(suite_end);
  if (token) {
    memset(token, 0, strlen(token));
    free(token);
  }
  bg_run_free(run);
  bg_config_free(cf);
  return code;
}
