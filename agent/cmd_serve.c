/* cmd_serve.c: `benchgate serve`: lease, check out, measure, upload, and again (cmd_serve.h). */
#include "cmd_serve.h"

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "config.h"
#include "confirmation.h"
#include "deliver.h"
#include "git.h"
#include "lease.h"
#include "interleave.h"
#include "measure.h"
#include "measure_ab.h"
#include "mem.h"
#include "uuid.h"
#include "valid.h"
#include "workspace.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEASE_WAIT_S 30      /* the longest the server waits with an answer */
#define BACKOFF_MAX_MS 30000 /* the longest wait for a server that is down */
#define QUICK_EMPTY_MS 1000  /* an empty answer sooner than this: the server did not wait */

/* What the signal handler sets; the one state of the agent that cannot be passed down,
 * because a handler gets none. stop: finish the current job and leave; abort: stop the
 * command that runs and give the job back. */
struct serve_signals {
  volatile sig_atomic_t stop, abort;
};
static struct serve_signals signals;

static void on_signal(int sig) {
  (void)sig;
  if (signals.stop)
    signals.abort = 1;
  signals.stop = 1;
}

/* Everything the loop uses, set up once. */
struct serve {
  struct bg_agent_config *cf;
  char name[65];
  char *token;
  struct bg_workspace ws;
  char spool[BG_WORKSPACE_PATH_MAX + 16];
  const char **projects;
  struct bg_lease_agent agent;
  struct bg_client lease_client; /* stops a wait for a job on the first signal */
  struct bg_client client;       /* heartbeats and giving up: never stopped halfway */
  struct bg_retry retry;
  int verbose, once, check;
  long done, failed;
};

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms milliseconds, or less when a signal comes. */
static void nap(long long ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  if (!signals.stop)
    nanosleep(&ts, NULL);
}

static void usage(FILE *f) {
  fprintf(f, "usage: benchgate serve [options]\n"
             "  The job loop of a bench machine: leases the jobs queued for its testbed,\n"
             "  checks each commit out in the work directory, builds it and runs the suites\n"
             "  of that commit's benchgate.yml, and uploads the run, which completes the job.\n"
             "  When the project compares interleaved (or both), a job whose base commit\n"
             "  differs from its commit measures the two alternately (the base with its own\n"
             "  benchgate.yml, checked out next to the job's) for the project's rounds.\n"
             "options:\n"
             "  -c, --config FILE    agent configuration (default agent.yml; docs/config.md)\n"
             "  --token-file FILE    API token file (default: token_file: in the config, else\n"
             "                       BENCHGATE_TOKEN)\n"
             "  --once               take one job, run it and exit (0 done, 3 failed)\n"
             "  --check              check agent.yml and exit (0 valid, 2 not)\n"
             "  -v, --verbose        show the builds' and benchmarks' output on stderr\n"
             "  -h, --help           show this help\n"
             "A failing build or suite gives the job up with the error and its stderr tail\n"
             "(the server fails it after 3 attempts); the agent goes on with the next job.\n"
             "A server that is down is waited out; a run it cannot take is spooled in\n"
             "<workdir>/spool and delivered before the next job.\n"
             "signals: SIGTERM or SIGINT finishes the current job and exits 0; a second one\n"
             "         stops it and gives the job back.\n"
             "exit codes: 0 stopped by a signal (or --once: the job was done), 2 bad\n"
             "            agent.yml or a refused token, 3 --once: the job failed\n");
}

static int parse_flags(int argc, char **argv, const char **config, const char **token_file,
                       struct serve *s) {
  enum { O_TOKEN_FILE = 256, O_ONCE, O_CHECK };
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"token-file", required_argument, NULL, O_TOKEN_FILE},
                                       {"once", no_argument, NULL, O_ONCE},
                                       {"check", no_argument, NULL, O_CHECK},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
    if (c == 'c')
      *config = optarg;
    else if (c == O_TOKEN_FILE)
      *token_file = optarg;
    else if (c == O_ONCE)
      s->once = 1;
    else if (c == O_CHECK)
      s->check = 1;
    else if (c == 'v')
      s->verbose = 1;
    else if (c == 'h') {
      usage(stdout);
      return 1;
    } else {
      usage(stderr);
      return -1;
    }
  }
  if (optind != argc) {
    bg_cli_error("serve: unexpected argument '%s'", argv[optind]);
    usage(stderr);
    return -1;
  }
  return 0;
}

/* Reads agent.yml, the token and the work directory into s. BG_EXIT_PASS or BG_EXIT_USAGE. */
static int setup(struct serve *s, const char *config, const char *token_file) {
  char err[8192];
  if (bg_agent_config_load(config, &s->cf, err, sizeof err) != BG_OK) {
    bg_cli_error("%s", err);
    return BG_EXIT_USAGE;
  }
  if (!s->cf->nprojects) {
    bg_cli_error("%s: projects: required: the repositories this agent checks out", config);
    return BG_EXIT_USAGE;
  }
  if (s->cf->name)
    snprintf(s->name, sizeof s->name, "%s", s->cf->name);
  else if (gethostname(s->name, sizeof s->name - 1) < 0 || !bg_valid_testbed(s->name)) {
    bg_cli_error("%s: name: the host name is not a valid agent name; set name: in agent.yml",
                 config);
    return BG_EXIT_USAGE;
  }
  if (s->check) {
    printf("%s: agent %s on testbed %s, %zu project%s, server %s, workdir %s\n", config, s->name,
           s->cf->testbed, s->cf->nprojects, s->cf->nprojects == 1 ? "" : "s", s->cf->server,
           s->cf->workdir);
    return BG_EXIT_PASS;
  }
  if (bg_client_token(NULL, token_file ? token_file : s->cf->token_file, &s->token, err,
                      sizeof err) != BG_OK) {
    bg_cli_error("%s", err);
    return BG_EXIT_USAGE;
  }
  if (!s->token) {
    bg_cli_error("no API token: set token_file: in %s, pass --token-file or set "
                 "BENCHGATE_TOKEN",
                 config);
    return BG_EXIT_USAGE;
  }
  if (bg_workspace_open(&s->ws, s->cf->workdir, err, sizeof err) != BG_OK) {
    bg_cli_error("%s", err);
    return BG_EXIT_USAGE;
  }
  bg_workspace_spool(&s->ws, s->spool, sizeof s->spool);
  s->projects = bg_xcalloc(s->cf->nprojects, sizeof *s->projects);
  for (size_t i = 0; i < s->cf->nprojects; i++)
    s->projects[i] = s->cf->projects[i].name;
  s->agent = (struct bg_lease_agent){s->name, s->cf->testbed, s->projects, s->cf->nprojects};
  s->lease_client = (struct bg_client){s->cf->server, s->token, 10000, (LEASE_WAIT_S + 15) * 1000L,
                                       &signals.stop};
  s->client = (struct bg_client){s->cf->server, s->token, 5000, 20000, NULL};
  bg_retry_from_env(&s->retry);
  return BG_EXIT_PASS;
}

static const struct bg_agent_project *find_project(const struct serve *s, const char *slug) {
  for (size_t i = 0; i < s->cf->nprojects; i++)
    if (!strcmp(s->cf->projects[i].name, slug))
      return &s->cf->projects[i];
  return NULL;
}

/* Gives job j up with the reason, which is also said on stderr. */
static void give_up(struct serve *s, const struct bg_lease_job *j, const char *reason) {
  char err[1024];
  s->failed++;
  bg_cli_error("job %lld: failed: %s", j->id, reason);
  if (bg_lease_fail(&s->client, &s->retry, s->name, j->id, reason, err, sizeof err) != BG_OK)
    bg_cli_warn("job %lld: could not give it up (%s); its lease runs out instead", j->id, err);
}

/* The commit's benchgate.yml, named in messages by its path in the repository. */
static int load_config(const char *dir, const char *rel, struct bg_config **cf, char *err,
                       size_t errlen) {
  char path[BG_WORKSPACE_PATH_MAX + 512];
  struct bg_buf b;
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  bg_buf_init(&b, BG_CONFIG_MAX_BYTES);
  int rc = bg_buf_read_file(&b, path);
  if (rc != BG_OK)
    snprintf(err, errlen, "%s: cannot read it in the commit: %s", rel,
             rc == BG_ETOOBIG ? "too large" : strerror(errno));
  else
    rc = bg_config_parse(b.data, b.len, rel, cf, err, errlen);
  bg_buf_free(&b);
  return rc;
}

/* The run's identity for job j, whose commit is checked out in dir. */
static int job_run(const struct serve *s, const struct bg_lease_job *j, const char *dir,
                   struct bg_run *run, char *err, size_t errlen) {
  struct bg_git_commit gc;
  char id[BG_UUID_LEN + 1];
  if (bg_uuid_v4(id) != BG_OK) {
    snprintf(err, errlen, "cannot make a run id: no randomness from the kernel");
    return BG_EIO;
  }
  if (bg_git_commit_read(dir, j->sha, &gc, err, errlen) != BG_OK)
    return BG_EIO;
  bg_run_set(&run->run_id, id);
  bg_run_set(&run->commit.sha, gc.sha);
  for (size_t i = 0; i < gc.nparents; i++)
    bg_run_add_parent(run, gc.parents[i]);
  bg_run_set(&run->commit.message, gc.message);
  bg_run_set(&run->commit.author, gc.author);
  bg_run_set(&run->commit.timestamp, gc.timestamp);
  bg_git_commit_clear(&gc);
  bg_run_set(&run->commit.branch, j->branch);
  run->pull_request = j->pull_request;
  run->job_id = j->id;
  bg_run_set(&run->testbed, s->cf->testbed);
  bg_run_set(&run->agent_name, s->name);
  bg_run_set(&run->agent_version, BG_VERSION);
  /* The fork point: the job's, else the merge-base with the branch a pull request goes into
   * (a webhook's job says which), else with the default branch. */
  char *def = *j->base_branch ? bg_xstrdup(j->base_branch) : bg_git_default_branch(dir);
  char *fork = NULL, gerr[512];
  if (*j->base_sha) {
    bg_run_set(&run->baseline_branch, def);
    bg_run_set(&run->baseline_sha, j->base_sha);
  } else if (strcmp(def, j->branch) &&
             bg_git_fork_point(dir, j->sha, def, &fork, gerr, sizeof gerr) == BG_OK) {
    bg_run_set(&run->baseline_branch, def);
    bg_run_set(&run->baseline_sha, fork);
    free(fork);
  } else if (strcmp(def, j->branch)) {
    bg_cli_warn("job %lld: %s; the server looks for the baseline from the commit's parents", j->id,
                gerr);
  }
  free(def);
  return BG_OK;
}

/* A job's measurement: its checkout, the commit's configuration and where each suite's
 * results end (what its confirmations re-run, confirmation.h). */
struct job_measure {
  struct serve *s;
  const char *dir;
  struct bg_config *cf;
  size_t *suite_end;
  const struct bg_delivery *d;
  const struct bg_lease_job *j;     /* for an interleaved confirmation's base checkout */
  const struct bg_agent_project *p;
};

/* The measurement options of the job's checkout: the suites only[] names (NULL: all, with
 * the build), narrowed to ask's benchmarks where a suite can be (ask may be NULL). */
static struct bg_measure_opts measure_opts(const struct job_measure *m, const unsigned char *only,
                                           const struct bg_confirmation_ask *ask) {
  const struct serve *s = m->s;
  const struct bg_config *cf = m->cf;
  /* The machine knows its CPUs better than the repository does. */
  struct bg_measure_opts mo = {.dir = m->dir,
                               .cpus = s->cf->ncpus ? s->cf->cpus : cf->cpus,
                               .ncpus = s->cf->ncpus ? s->cf->ncpus : cf->ncpus,
                               .clean_env = cf->clean_env,
                               .verbose = s->verbose,
                               .interactive = bg_cli_interactive(),
                               .cancel = &signals.abort,
                               .only = only,
                               .no_build = only != NULL,
                               .suite_end = only ? NULL : m->suite_end};
  if (ask) {
    mo.benchmarks = (const char *const *)ask->benchmarks;
    mo.nbenchmarks = ask->nbenchmarks;
  }
  return mo;
}

/* Measures the suites only[] names (NULL: all, with the build) of the job's checkout into
 * run, narrowed to ask's benchmarks (ask may be NULL). */
static int measure_suites(struct job_measure *m, const unsigned char *only,
                          const struct bg_confirmation_ask *ask, struct bg_run *run, char *err,
                          size_t errlen) {
  struct bg_measure_opts mo = measure_opts(m, only, ask);
  return bg_measure_run(m->cf, &mo, run, err, errlen);
}

/* The rounds job j's run interleaves with its base commit: what the project's comparison
 * (the access check's answer) asks for a run whose base is another commit; 0 for none. */
static size_t job_rounds(struct serve *s, const struct bg_lease_job *j, const struct bg_run *run) {
  struct bg_client_access a = {BG_COMPARE_HISTORY, 0};
  struct bg_retry retry = s->retry;
  char err[1024];
  if (!run->baseline_sha || !strcmp(run->baseline_sha, run->commit.sha))
    return 0;
  retry.attempts = retry.attempts > 3 ? 3 : retry.attempts;
  retry.quiet = 1;
  if (bg_client_check_upload(&s->client, &retry, j->project, &a, err, sizeof err) != BG_OK) {
    bg_cli_warn("job %lld: %s; measuring the commit alone", j->id, err);
    return 0;
  }
  if (a.mode == BG_COMPARE_HISTORY)
    return 0;
  return a.rounds ? a.rounds : BG_INTERLEAVE_DEFAULT_ROUNDS;
}

/* Measures job j's commit interleaved with its base, checked out next to the job's checkout
 * with the base's own configuration; alone when the base cannot be checked out or has no
 * usable configuration. */
static int measure_ab(struct serve *s, const struct bg_lease_job *j,
                      const struct bg_agent_project *p, struct job_measure *m, size_t rounds,
                      const char *base_sha, const unsigned char *only,
                      const struct bg_confirmation_ask *ask, struct bg_run *run, char *err,
                      size_t errlen) {
  char dir[BG_WORKSPACE_PATH_MAX + 64];
  struct bg_config *bcf = NULL;
  bg_cli_error("job %lld: checking out the base %.12s", j->id, base_sha);
  int rc = bg_workspace_checkout_base(&s->ws, j->project, p->repository, base_sha, j->id, dir,
                                      sizeof dir, err, errlen);
  if (rc != BG_OK)
    snprintf(err + strlen(err), errlen - strlen(err), " (checkout of the base)");
  else if ((rc = load_config(dir, p->config, &bcf, err, errlen)) != BG_OK)
    snprintf(err + strlen(err), errlen - strlen(err), " (the base %.12s)", base_sha);
  if (rc != BG_OK) {
    /* The commit alone still gets its verdict, on the history. */
    bg_cli_warn("job %lld: %s; measuring the commit alone", j->id, err);
    rc = measure_suites(m, only, ask, run, err, errlen);
  } else {
    struct bg_measure_ab ab = {.base = {dir, bcf},
                               .head = {m->dir, m->cf},
                               .base_sha = base_sha,
                               .rounds = rounds,
                               .opts = measure_opts(m, only, ask),
                               .suite_end = only ? NULL : m->suite_end,
                               .only = only,
                               .head_built = only != NULL};
    rc = bg_measure_ab_run(&ab, run, err, errlen);
  }
  bg_config_free(bcf);
  return rc; /* the base's checkout goes with the job's (bg_workspace_release) */
}

/* Measures job j's commit, checked out in m->dir, into run, keeping its configuration in m.
 * BG_OK or the reason in err. */
static int measure(struct serve *s, const struct bg_lease_job *j, const struct bg_agent_project *p,
                   struct job_measure *m, struct bg_run *run, char *err, size_t errlen) {
  int rc = load_config(m->dir, p->config, &m->cf, err, errlen);
  m->j = j;
  m->p = p;
  if (rc == BG_OK && m->cf->project && strcmp(m->cf->project, j->project))
    bg_cli_warn("job %lld: %s names project %s; the job is for %s, where the run goes", j->id,
                p->config, m->cf->project, j->project);
  if (rc == BG_OK)
    rc = job_run(s, j, m->dir, run, err, errlen);
  if (rc == BG_OK) {
    run->confirmable = 1; /* this agent runs the confirmations the verdict asks for */
    m->suite_end = bg_xcalloc(m->cf->nsuites ? m->cf->nsuites : 1, sizeof *m->suite_end);
    size_t rounds = job_rounds(s, j, run);
    rc = rounds ? measure_ab(s, j, p, m, rounds, run->baseline_sha, NULL, NULL, run, err, errlen)
                : measure_suites(m, NULL, NULL, run, err, errlen);
  }
  return rc;
}

/* A confirmation: the suites only[] names, interleaved with base_sha when the verdict asks. */
static int confirm_measure(void *ctx, const unsigned char *only,
                           const struct bg_confirmation_ask *ask, struct bg_run *run, char *err,
                           size_t errlen) {
  struct job_measure *m = ctx;
  if (ask->rounds && m->j && m->p)
    return measure_ab(m->s, m->j, m->p, m, ask->rounds, ask->base_sha, only, ask, run, err,
                      errlen);
  return measure_suites(m, only, ask, run, err, errlen);
}

static int confirm_upload(void *ctx, const struct bg_run *run, char **answer, char *err,
                          size_t errlen) {
  const struct job_measure *m = ctx;
  struct bg_response res;
  char spooled[BG_WORKSPACE_PATH_MAX + 256], msg[512];
  int rc = bg_deliver_run(m->d, run, &res, spooled, sizeof spooled, err, errlen);
  if (rc != BG_OK)
    return rc;
  if (res.status / 100 != 2) {
    bg_client_error_message(&res, msg, sizeof msg);
    snprintf(err, errlen, "the server refused confirmation run %s (%ld): %s", run->run_id,
             res.status, msg);
    bg_response_free(&res);
    return BG_EINVAL;
  }
  *answer = bg_xstrdup(res.body.data ? res.body.data : "");
  bg_response_free(&res);
  return BG_OK;
}

/* Where a job's time went, in milliseconds: the agent's own parts and the measurement. */
struct job_times {
  long long checkout, measure, upload;
};

/* The confirmations the first run's answer asks for (its verdict pending), each uploaded
 * naming the job; the one whose verdict is final completes it. 1 when done, 0 when one could
 * not be measured or delivered and the job was given back. */
static int confirm(struct serve *s, const struct bg_lease_job *j, struct job_measure *m,
                   const struct bg_run *run, char **answer) {
  char err[BG_MEASURE_ERR_MAX + 512], reason[700];
  size_t done = 0;
  const struct bg_confirmation_ops ops = {confirm_measure, confirm_upload, m};
  int rc =
      bg_confirmation_loop(&ops, run, m->cf->nsuites, m->suite_end, answer, &done, err, sizeof err);
  if (done)
    bg_cli_error("job %lld: %zu confirmation run%s", j->id, done, done == 1 ? "" : "s");
  if (rc == BG_OK)
    return 1;
  snprintf(reason, sizeof reason, "confirmation: %.600s", err);
  give_up(s, j, reason);
  return 0;
}

/* Uploads the run of job j, then the confirmations its verdict asks for; the upload whose
 * verdict is final completes the job. 1 when the job is done (or will be, from the spool), 0
 * when the server refused the run and the job was given up. */
static int upload(struct serve *s, const struct bg_lease_job *j, struct job_measure *m,
                  const struct bg_run *run, struct job_times *t) {
  long long t0 = mono_ms();
  struct bg_delivery d = {s->cf->server, s->token, j->project, s->spool, &s->retry};
  struct bg_response res;
  char spooled[BG_WORKSPACE_PATH_MAX + 256], err[6000], msg[512], reason[700];
  int rc = bg_deliver_run(&d, run, &res, spooled, sizeof spooled, err, sizeof err);
  t->upload = mono_ms() - t0;
  if (rc == BG_ENET) {
    bg_cli_error("job %lld: %s; run %s spooled to %s, delivered before the next job", j->id, err,
                 run->run_id, spooled);
    return 1;
  }
  if (rc != BG_OK) {
    snprintf(reason, sizeof reason, "upload: %.600s", err);
    give_up(s, j, reason);
    return 0;
  }
  if (res.status / 100 != 2) {
    bg_client_error_message(&res, msg, sizeof msg);
    snprintf(reason, sizeof reason, "the server refused the run (%ld): %s", res.status, msg);
    bg_response_free(&res);
    give_up(s, j, reason);
    return 0;
  }
  char *answer = bg_xstrdup(res.body.data ? res.body.data : "");
  bg_response_free(&res);
  m->d = &d;
  if (!confirm(s, j, m, run, &answer)) {
    free(answer);
    return 0;
  }
  cJSON *o = cJSON_Parse(answer);
  free(answer);
  const cJSON *st =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "verdict"), "state");
  /* The times let an operator see the agent's own share of a job (perf: serve_overhead.sh). */
  bg_cli_error("job %lld: done: run %s, verdict %s (checkout %.3f s, build and suites %.3f s, "
               "upload %.3f s)",
               j->id, run->run_id, cJSON_IsString(st) ? st->valuestring : "unknown",
               (double)t->checkout / 1e3, (double)t->measure / 1e3, (double)t->upload / 1e3);
  cJSON_Delete(o);
  s->done++;
  return 1;
}

/* Runs one leased job from checkout to upload. 1 when it was done, 0 when it failed. */
static int run_job(struct serve *s, const struct bg_lease_job *j) {
  char dir[BG_WORKSPACE_PATH_MAX + 64], err[BG_MEASURE_ERR_MAX + 512];
  bg_cli_error("job %lld: %s %.12s (%s%s%.0lld) on %s, attempt %d", j->id, j->project, j->sha,
               j->branch, j->pull_request ? ", pull request " : "", j->pull_request, j->testbed,
               j->attempts);
  const struct bg_agent_project *p = find_project(s, j->project);
  if (!p) {
    snprintf(err, sizeof err, "agent %s has no repository for project %s (agent.yml projects:)",
             s->name, j->project);
    give_up(s, j, err);
    return 0;
  }
  struct bg_heartbeat hb;
  int beating = bg_heartbeat_start(&hb, &s->client, s->name, j) == BG_OK;
  if (!beating)
    bg_cli_warn("job %lld: cannot start the heartbeat thread; the lease may run out", j->id);
  struct bg_run *run = bg_run_new();
  struct job_times t = {0, 0, 0};
  long long t0 = mono_ms();
  int rc = bg_workspace_checkout(&s->ws, j->project, p->repository, j->sha, j->id, dir, sizeof dir,
                                 err, sizeof err);
  t.checkout = mono_ms() - t0;
  struct job_measure m = {s, dir, NULL, NULL, NULL, NULL, NULL};
  if (rc == BG_OK)
    rc = measure(s, j, p, &m, run, err, sizeof err);
  else
    snprintf(err + strlen(err), sizeof err - strlen(err), " (checkout)");
  t.measure = mono_ms() - t0 - t.checkout;
  int ok = 0;
  if (rc == BG_ECANCELED)
    give_up(s, j, "the agent was stopped during the job (second SIGTERM); given back");
  else if (rc != BG_OK)
    give_up(s, j, err);
  else
    ok = upload(s, j, &m, run, &t); /* with its confirmations, under the lease */
  if (beating)
    bg_heartbeat_stop(&hb);
  bg_config_free(m.cf);
  free(m.suite_end);
  bg_run_free(run);
  bg_workspace_release(&s->ws, j->project, j->id);
  return ok;
}

/* Delivers the runs the spool holds for this server, quietly; says what it did. */
static void flush_spool(struct serve *s) {
  struct bg_spool_stats st;
  struct bg_retry once = {1, 10000, 1, 1, 1};
  char err[1024];
  if (bg_deliver_spool(s->spool, NULL, s->cf->server, s->token, &once, 1, &st, err, sizeof err) !=
      BG_OK)
    bg_cli_warn("%s", err);
  else if (st.delivered || st.rejected)
    bg_cli_error("spool: delivered %zu run%s%s", st.delivered, st.delivered == 1 ? "" : "s",
                 st.rejected ? "; some were rejected (see spool/rejected/)" : "");
}

/* The loop until a signal (or one job with --once). Returns the exit code. */
static int loop(struct serve *s) {
  long long backoff = 0;
  char err[2048];
  bg_cli_error("agent %s on testbed %s: waiting for jobs from %s", s->name, s->cf->testbed,
               s->cf->server);
  while (!signals.stop) {
    struct bg_lease_job j;
    flush_spool(s);
    long long t0 = mono_ms();
    int rc = bg_lease_ask(&s->lease_client, &s->agent, LEASE_WAIT_S, &j, err, sizeof err);
    if (rc == BG_OK || rc == BG_ENOENT) {
      if (backoff)
        bg_cli_error("the server answers again");
      backoff = 0;
    }
    if (rc == BG_OK) {
      int ok = run_job(s, &j);
      if (s->once)
        return ok ? BG_EXIT_PASS : BG_EXIT_INFRA;
    } else if (rc == BG_ENOENT) {
      if (mono_ms() - t0 < QUICK_EMPTY_MS)
        nap(QUICK_EMPTY_MS); /* the server had no room to wait: do not ask in a tight loop */
    } else if (rc == BG_ENET) {
      backoff = backoff ? backoff * 2 : 1000;
      if (backoff > BACKOFF_MAX_MS)
        backoff = BACKOFF_MAX_MS;
      bg_cli_warn("%s; asking again in %lld s", err, backoff / 1000);
      nap(backoff);
    } else if (rc != BG_ECANCELED) {
      bg_cli_error("%s", err);
      return BG_EXIT_USAGE;
    }
  }
  bg_cli_error("stopped: %ld job%s done, %ld failed", s->done, s->done == 1 ? "" : "s", s->failed);
  return BG_EXIT_PASS;
}

int bg_cmd_serve_main(int argc, char **argv) {
  struct serve s;
  const char *config = "agent.yml", *token_file = NULL;
  memset(&s, 0, sizeof s);
  s.ws.lock_fd = -1;
  int pf = parse_flags(argc, argv, &config, &token_file, &s);
  if (pf)
    return pf > 0 ? BG_EXIT_PASS : BG_EXIT_USAGE;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a signal wakes the waits it should end */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  setenv("GIT_TERMINAL_PROMPT", "0", 1); /* a clone that wants a password fails, never hangs */
  int code = setup(&s, config, token_file);
  if (code == BG_EXIT_PASS && !s.check)
    code = loop(&s);
  bg_workspace_close(&s.ws);
  free(s.projects);
  if (s.token) {
    memset(s.token, 0, strlen(s.token));
    free(s.token);
  }
  bg_agent_config_free(s.cf);
  return code;
}
