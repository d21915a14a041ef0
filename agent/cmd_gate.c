/* cmd_gate.c: `benchgate gate`: enqueue or find a commit's jobs, follow each testbed's job and
 * verdict, print the reports and judge them. */
#include "cmd_gate.h"

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "git.h"
#include "mem.h"
#include "report.h"
#include "valid.h"
#include "verdict_wait.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS 1000000000LL
#define TESTBEDS_MAX 64
#define DEFAULT_WAIT_NS (30LL * 60 * NS)
#define MAX_WAIT_NS (7LL * 86400 * NS)
#define POLL_FIRST_MS 1000 /* right after a change, more changes tend to follow */
#define POLL_MAX_MS 5000
#define ERR_MAX 1200

struct flags {
  const char *project, *commit, *branch, *base_sha, *server, *token_file, *wait;
  const char *testbeds[TESTBEDS_MAX];
  size_t ntestbeds;
  long long pr, wait_ns;
  int enqueue;
};

enum phase { P_JOB, P_VERDICT, P_DONE };

/* One testbed waited for: its job (when there is one), then its verdict. */
struct tb {
  char name[80];
  enum phase phase;
  long long job;   /* 0: no job known, the verdict comes from a run uploaded otherwise */
  char jstate[16]; /* the job's state as last seen, "" before */
  long long attempts;
  char agent[80], reason[300], base_sha[65];
  int pending_seen; /* 1 once "verdict pending" was said */
  struct bg_verdict v;
  int code;      /* the testbed's exit code once P_DONE */
  char why[800]; /* why it ended without a verdict ("" when it has one) */
};

struct gate {
  const struct flags *fl;
  struct bg_client cl;
  struct bg_retry retry;
  char sha[65];          /* full; a prefix only without --enqueue when git does not know it */
  char base_branch[256]; /* the branch of the fork point sent with --enqueue, "" when none */
  char base_sha[65];     /* the fork point sent with --enqueue, "" when none */
  struct tb tbs[TESTBEDS_MAX];
  size_t ntbs;
  int known;       /* 1 once the testbeds to wait for are known */
  int interactive; /* redraw one status line on stderr, else plain lines per change */
  int drawn;       /* 1 while a status line is on the terminal */
  long long t0, deadline;
  char err[ERR_MAX]; /* the last failure to reach or use the server */
};

static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * NS + ts.tv_nsec;
}

static void clear_line(struct gate *g) {
  if (g->drawn)
    fputs("\r\033[K", stderr);
  g->drawn = 0;
}

/* A message on stderr ("benchgate: ..."), after clearing the status line. */
static void say(struct gate *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct gate *g, const char *fmt, ...) {
  va_list ap;
  clear_line(g);
  va_start(ap, fmt);
  fputs("benchgate: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* ---- flags -------------------------------------------------------------------------------- */

int bg_cmd_gate_duration(const char *text, long long *ns) {
  static const struct {
    char unit;
    long long ns;
  } units[] = {{'h', 3600 * NS}, {'m', 60 * NS}, {'s', NS}};
  const char *p = text;
  long long total = 0;
  size_t next = 0; /* units before this one were used */
  if (!p || !*p)
    return -1;
  while (*p) {
    if (!isdigit((unsigned char)*p))
      return -1;
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (errno || v > MAX_WAIT_NS / NS)
      return -1;
    p = end;
    if (!*p && p == text + strlen(text) && next == 0 && total == 0) {
      total = v * NS; /* whole seconds */
      break;
    }
    size_t i = next;
    while (i < 3 && units[i].unit != *p)
      i++;
    if (i == 3)
      return -1;
    total += v * units[i].ns;
    next = i + 1;
    p++;
  }
  if (total <= 0 || total > MAX_WAIT_NS)
    return -1;
  *ns = total;
  return 0;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: benchgate gate --project P --commit SHA [options]\n"
          "  The CI step: with --enqueue, asks the server to run the commit on every testbed\n"
          "  (or those named); without, finds the commit's jobs (enqueued by the webhook), or\n"
          "  waits for runs a self-hosted `benchgate run` uploads. Then waits for each\n"
          "  testbed's verdict, prints its Markdown report to stdout and appends it to\n"
          "  $GITHUB_STEP_SUMMARY when set.\n"
          "options:\n"
          "  --project P          the project on the server (required)\n"
          "  --commit SHA         the commit: a sha, a unique prefix or (in a checkout) any\n"
          "                       revision git knows; --enqueue needs git or a full sha\n"
          "  --enqueue            enqueue one job per testbed (needs a ci or admin token)\n"
          "  --branch B           the commit's branch (--enqueue; default: from git, else\n"
          "                       GITHUB_HEAD_REF or GITHUB_REF_NAME)\n"
          "  --pr N               the pull request (--enqueue; default: N of\n"
          "                       GITHUB_REF=refs/pull/N/merge)\n"
          "  --base-sha S         the fork point to compare with (--enqueue; default for a\n"
          "                       pull request: git merge-base of the commit and the base\n"
          "                       branch, GITHUB_BASE_REF or else the default branch)\n"
          "  --testbed T          only this testbed; repeat for several (default: all the\n"
          "                       project's testbeds with --enqueue, else those with a job\n"
          "                       or a run of the commit)\n"
          "  --wait DURATION      how long to wait for all verdicts (default 30m): 90 (seconds),\n"
          "                       90s, 15m, 2h, 1h30m\n"
          "  --server URL         the server (default $BENCHGATE_SERVER)\n"
          "  --token-file FILE    API token file (or set BENCHGATE_TOKEN); not needed to read\n"
          "                       a public server, required with --enqueue\n"
          "  -h, --help           show this help\n"
          "Progress goes to stderr: a redrawn status line on a terminal; in CI (CI set, or\n"
          "no terminal) one line per change (\"job 12 on epyc: queued -> leased (agent\n"
          "bench-01)\"). Polls every second at first, backing off to every 5 seconds.\n"
          "exit codes: 0 every testbed passes (or has no baseline yet); 1 a regression on\n"
          "            any testbed, even when another ended in an infrastructure error (a\n"
          "            real regression is never hidden); 2 usage or input error (a bad flag\n"
          "            or duration, an unknown project or testbed, a malformed sha, a refused\n"
          "            token); 3 infrastructure error on some testbed and no regression on\n"
          "            any: a job failed (its reason and attempts are printed) or was\n"
          "            canceled without a newer job of the commit, no verdict in --wait,\n"
          "            the server unreachable (after retries) or failing (5xx)\n");
}

/* The rules between flags. Returns 0, or -1 after a usage error. */
static int check_flags(const struct flags *fl) {
  const char *missing = !fl->project ? "--project" : !fl->commit ? "--commit" : NULL;
  if (missing) {
    bg_cli_error("gate: %s is required", missing);
    usage(stderr);
    return -1;
  }
  if (!bg_valid_project(fl->project)) {
    bg_cli_error("gate: --project: '%s' is not a project slug ([a-z0-9][a-z0-9_-]{0,63})",
                 fl->project);
    return -1;
  }
  const char *only = fl->branch ? "--branch" : fl->base_sha ? "--base-sha" : fl->pr ? "--pr" : NULL;
  if (only && !fl->enqueue) {
    bg_cli_error("gate: %s describes the jobs to enqueue; it goes with --enqueue", only);
    return -1;
  }
  return 0;
}

/* Returns 0 to go on, 1 after --help, -1 after a usage error. */
static int parse_flags(int argc, char **argv, struct flags *fl) {
  enum {
    O_PROJECT = 256,
    O_COMMIT,
    O_ENQUEUE,
    O_BRANCH,
    O_BASE,
    O_PR,
    O_TESTBED,
    O_WAIT,
    O_SERVER,
    O_TOKEN_FILE
  };
  static const struct option opts[] = {{"project", required_argument, NULL, O_PROJECT},
                                       {"commit", required_argument, NULL, O_COMMIT},
                                       {"enqueue", no_argument, NULL, O_ENQUEUE},
                                       {"branch", required_argument, NULL, O_BRANCH},
                                       {"base-sha", required_argument, NULL, O_BASE},
                                       {"pr", required_argument, NULL, O_PR},
                                       {"testbed", required_argument, NULL, O_TESTBED},
                                       {"wait", required_argument, NULL, O_WAIT},
                                       {"server", required_argument, NULL, O_SERVER},
                                       {"token-file", required_argument, NULL, O_TOKEN_FILE},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  memset(fl, 0, sizeof *fl);
  fl->wait_ns = DEFAULT_WAIT_NS;
  fl->wait = "30m";
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case O_PROJECT:
      fl->project = optarg;
      break;
    case O_COMMIT:
      fl->commit = optarg;
      break;
    case O_ENQUEUE:
      fl->enqueue = 1;
      break;
    case O_BRANCH:
      fl->branch = optarg;
      break;
    case O_BASE:
      fl->base_sha = optarg;
      break;
    case O_PR: {
      char *end;
      errno = 0;
      long long v = strtoll(optarg, &end, 10);
      if (errno || end == optarg || *end || v < 1 || v > (1LL << 40)) {
        bg_cli_error("gate: --pr: '%s' is not a pull request number", optarg);
        return -1;
      }
      fl->pr = v;
      break;
    }
    case O_TESTBED:
      if (!bg_valid_testbed(optarg)) {
        bg_cli_error("gate: --testbed: '%s' must match [A-Za-z0-9._-]{1,64}", optarg);
        return -1;
      }
      if (fl->ntestbeds == TESTBEDS_MAX) {
        bg_cli_error("gate: --testbed: at most %d testbeds", TESTBEDS_MAX);
        return -1;
      }
      fl->testbeds[fl->ntestbeds++] = optarg;
      break;
    case O_WAIT:
      fl->wait = optarg;
      if (bg_cmd_gate_duration(optarg, &fl->wait_ns) < 0) {
        bg_cli_error("gate: --wait: '%s' is not a duration such as 90, 90s, 15m, 2h or 1h30m "
                     "(more than 0, at most 7 days)",
                     optarg);
        return -1;
      }
      break;
    case O_SERVER:
      fl->server = optarg;
      break;
    case O_TOKEN_FILE:
      fl->token_file = optarg;
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
    bg_cli_error("gate: unexpected argument '%s'", argv[optind]);
    usage(stderr);
    return -1;
  }
  return check_flags(fl);
}


/* ---- talking to the server ------------------------------------------------------------------ */

/* One request, tried again per g->retry on no answer, a 5xx or a 429. Returns BG_EXIT_PASS
 * with a 2xx answer's JSON in *json (the caller deletes it; NULL when json is NULL), else the
 * exit code the failure means with a message naming `what` in g->err, the status in *status
 * (0: no answer) and the error code in code: BG_EXIT_USAGE for a 4xx (the request, a name or
 * the token is wrong), BG_EXIT_INFRA for no answer, a 5xx, a 429 or a body that is no JSON. */
static int call(struct gate *g, const char *method, const char *path, const char *body,
                const char *what, cJSON **json, long *status, char *code, size_t codelen) {
  struct bg_response res;
  char err[1024], msg[512];
  if (json)
    *json = NULL;
  *status = 0;
  code[0] = '\0';
  int rc =
      bg_client_request_retry(&g->cl, &g->retry, method, path, body, &res, NULL, err, sizeof err);
  if (rc != BG_OK) {
    snprintf(g->err, sizeof g->err, "%s: %s", what, err);
    return rc == BG_EINVAL ? BG_EXIT_USAGE : BG_EXIT_INFRA;
  }
  *status = res.status;
  int out = BG_EXIT_PASS;
  if (res.status >= 200 && res.status < 300) {
    if (json && !(*json = cJSON_ParseWithLength(res.body.data, res.body.len))) {
      snprintf(g->err, sizeof g->err, "%s: the server's answer is no JSON: %.200s", what,
               res.body.data);
      out = BG_EXIT_INFRA;
    }
  } else {
    bg_client_error_message(&res, msg, sizeof msg);
    bg_client_error_code(&res, code, codelen);
    snprintf(g->err, sizeof g->err, "%s: server answered %ld: %s", what, res.status, msg);
    out =
        res.status >= 400 && res.status < 500 && res.status != 429 ? BG_EXIT_USAGE : BG_EXIT_INFRA;
  }
  bg_response_free(&res);
  return out;
}

static const char *jstr(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static long long jint(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

/* 1 when a job's sha is the commit's (g->sha may be a prefix). */
static int sha_matches(const struct gate *g, const char *sha) {
  return !strncmp(sha, g->sha, strlen(g->sha));
}

/* The project's jobs of the commit into *root (caller deletes), newest first. The server
 * filters by the sha or its prefix; a prefix may also match another commit, which
 * sha_matches tells apart. */
static int list_jobs(struct gate *g, cJSON **root) {
  char path[512], code[64];
  long status;
  snprintf(path, sizeof path, "/api/v1/projects/%s/jobs?sha=%s", g->fl->project, g->sha);
  return call(g, "GET", path, NULL, "jobs", root, &status, code, sizeof code);
}

/* ---- following the testbeds ----------------------------------------------------------------- */

static struct tb *tb_find(struct gate *g, const char *name) {
  for (size_t i = 0; i < g->ntbs; i++)
    if (!strcmp(g->tbs[i].name, name))
      return &g->tbs[i];
  return NULL;
}

static struct tb *tb_add(struct gate *g, const char *name, enum phase phase) {
  if (g->ntbs == TESTBEDS_MAX || !bg_valid_testbed(name))
    return NULL;
  struct tb *t = &g->tbs[g->ntbs++];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", name);
  t->phase = phase;
  return t;
}

static void tb_finish(struct tb *t, int code) {
  t->phase = P_DONE;
  t->code = code;
}

/* Takes in a job's state; says what changed (plain mode) and sets *changed. */
static void job_seen(struct gate *g, struct tb *t, const cJSON *j, int *changed) {
  char old[sizeof t->jstate], detail[400] = "";
  long long old_attempts = t->attempts;
  snprintf(old, sizeof old, "%s", t->jstate);
  snprintf(t->jstate, sizeof t->jstate, "%s", jstr(j, "state"));
  snprintf(t->agent, sizeof t->agent, "%s", jstr(j, "agent"));
  snprintf(t->reason, sizeof t->reason, "%s", jstr(j, "reason"));
  snprintf(t->base_sha, sizeof t->base_sha, "%s", jstr(j, "base_sha"));
  t->attempts = jint(j, "attempts");
  if (!strcmp(old, t->jstate) && old_attempts == t->attempts)
    return;
  *changed = 1;
  /* A failed or canceled job is said with its consequence (poll_job). */
  if (g->interactive || !strcmp(t->jstate, "failed") || !strcmp(t->jstate, "canceled"))
    return;
  if ((!strcmp(t->jstate, "leased") || !strcmp(t->jstate, "running")) && *t->agent)
    snprintf(detail, sizeof detail, " (agent %s)", t->agent);
  else if (!strcmp(t->jstate, "queued") && t->attempts > 0 && *t->reason)
    snprintf(detail, sizeof detail, " (attempt %lld failed: %s)", t->attempts, t->reason);
  if (!strcmp(old, t->jstate))
    say(g, "job %lld on %s: %s again%s", t->job, t->name, t->jstate, detail);
  else
    say(g, "job %lld on %s: %s%s%s%s", t->job, t->name, old, *old ? " -> " : "", t->jstate,
        detail);
}

/* Follows the testbed's newest job of the commit after job t->job ended failed or canceled.
 * Returns BG_EXIT_PASS with *found 1 when there is one, or the exit code of a failed read. */
static int follow_newer(struct gate *g, struct tb *t, int *found, int *changed) {
  cJSON *root;
  const cJSON *j;
  *found = 0;
  int rc = list_jobs(g, &root);
  if (rc)
    return rc;
  cJSON_ArrayForEach(j, cJSON_GetObjectItemCaseSensitive(root, "jobs")) {
    if (sha_matches(g, jstr(j, "sha")) && !strcmp(jstr(j, "testbed"), t->name) &&
        jint(j, "id") > t->job) {
      say(g, "job %lld on %s: %s; following job %lld, a newer job of the same commit", t->job,
          t->name, t->jstate, jint(j, "id"));
      t->job = jint(j, "id");
      t->jstate[0] = '\0';
      job_seen(g, t, j, changed);
      *found = 1;
      break;
    }
  }
  cJSON_Delete(root);
  return BG_EXIT_PASS;
}

static int poll_job(struct gate *g, struct tb *t, int *changed) {
  char path[128], what[64], code[64];
  long status;
  cJSON *j;
  snprintf(path, sizeof path, "/api/v1/jobs/%lld", t->job);
  snprintf(what, sizeof what, "job %lld", t->job);
  int rc = call(g, "GET", path, NULL, what, &j, &status, code, sizeof code);
  if (rc) /* a job that vanished is the server's doing, not the caller's */
    return status == 404 ? BG_EXIT_INFRA : rc;
  job_seen(g, t, j, changed);
  cJSON_Delete(j);
  if (!strcmp(t->jstate, "done")) {
    t->phase = P_VERDICT;
    return BG_EXIT_PASS;
  }
  if (strcmp(t->jstate, "failed") && strcmp(t->jstate, "canceled"))
    return BG_EXIT_PASS;
  int found;
  if ((rc = follow_newer(g, t, &found, changed)) || found)
    return rc;
  if (!strcmp(t->jstate, "failed"))
    snprintf(t->why, sizeof t->why, "job %lld failed after %lld attempt%s: %s", t->job,
             t->attempts, t->attempts == 1 ? "" : "s", *t->reason ? t->reason : "no reason given");
  else
    snprintf(t->why, sizeof t->why, "job %lld was canceled%s%s, and the commit has no newer job",
             t->job, *t->reason ? ": " : "", t->reason);
  say(g, "%s: no verdict: %s", t->name, t->why);
  tb_finish(t, BG_EXIT_INFRA);
  return BG_EXIT_PASS;
}

static int poll_verdict(struct gate *g, struct tb *t, int *changed) {
  char code[64], err[1024];
  int rc = bg_verdict_fetch(&g->cl, &g->retry, g->fl->project, g->sha, t->name, &t->v, code,
                            sizeof code, err, sizeof err);
  if (rc == BG_ENOENT && strcmp(code, "project_not_found"))
    return BG_EXIT_PASS; /* no run of the commit on the testbed yet */
  if (rc != BG_OK) {
    snprintf(g->err, sizeof g->err, "%s", err);
    return rc == BG_ENET ? BG_EXIT_INFRA : BG_EXIT_USAGE;
  }
  if (bg_verdict_pending(t->v.state)) {
    if (!t->pending_seen++) {
      *changed = 1;
      if (!g->interactive)
        say(g, "%s: verdict pending", t->name);
    }
    return BG_EXIT_PASS;
  }
  *changed = 1;
  say(g, "%s: verdict %s%s%s", t->name, t->v.state, *t->v.summary ? ": " : "", t->v.summary);
  if (!strcmp(t->v.state, "fail")) {
    tb_finish(t, BG_EXIT_REGRESSION);
  } else if (!strcmp(t->v.state, "pass") || !strcmp(t->v.state, "no_baseline")) {
    tb_finish(t, BG_EXIT_PASS);
  } else {
    snprintf(t->why, sizeof t->why, "the verdict's state '%s' is unknown to this benchgate",
             t->v.state);
    tb_finish(t, BG_EXIT_INFRA);
  }
  return BG_EXIT_PASS;
}

/* Without --enqueue: adopts the commit's jobs for testbeds without one, and while the testbeds
 * are unknown, takes them from the jobs or, for a run uploaded by `benchgate run`, from the
 * commit's verdicts. */
static int discover(struct gate *g, int *changed) {
  int need = !g->known;
  for (size_t i = 0; i < g->ntbs; i++)
    need |= g->tbs[i].phase != P_DONE && !g->tbs[i].job;
  if (!need)
    return BG_EXIT_PASS;
  cJSON *root;
  const cJSON *j;
  int rc = list_jobs(g, &root);
  if (rc)
    return rc;
  cJSON_ArrayForEach(j, cJSON_GetObjectItemCaseSensitive(root, "jobs")) { /* newest first */
    if (!sha_matches(g, jstr(j, "sha")))
      continue;
    struct tb *t = tb_find(g, jstr(j, "testbed"));
    if (!t && !g->fl->ntestbeds && !g->known)
      t = tb_add(g, jstr(j, "testbed"), P_JOB);
    if (!t || t->job || t->phase == P_DONE)
      continue;
    t->job = jint(j, "id");
    t->phase = P_JOB;
    job_seen(g, t, j, changed);
  }
  cJSON_Delete(root);
  g->known |= g->ntbs > 0;
  if (g->known)
    return BG_EXIT_PASS;

  char path[512], code[64];
  long status;
  snprintf(path, sizeof path, "/api/v1/projects/%s/commits/%s", g->fl->project, g->sha);
  rc = call(g, "GET", path, NULL, "commit", &root, &status, code, sizeof code);
  if (rc)
    return status == 404 && strcmp(code, "project_not_found") ? BG_EXIT_PASS : rc;
  cJSON_ArrayForEach(j, cJSON_GetObjectItemCaseSensitive(root, "verdicts")) {
    if (!tb_find(g, jstr(j, "testbed")) && tb_add(g, jstr(j, "testbed"), P_VERDICT))
      *changed = 1;
  }
  cJSON_Delete(root);
  g->known = g->ntbs > 0;
  return BG_EXIT_PASS;
}

static void tb_status(const struct tb *t, struct bg_buf *b) {
  if (t->phase == P_JOB)
    bg_buf_printf(b, "%s: job %lld %s", t->name, t->job, *t->jstate ? t->jstate : "?");
  else if (t->phase == P_VERDICT)
    bg_buf_printf(b, "%s: %s", t->name,
                  t->job || t->pending_seen ? "verdict pending" : "waiting for a run");
  else
    bg_buf_printf(b, "%s: %s", t->name, *t->why ? "error" : t->v.state);
  if (t->phase == P_JOB && *t->agent && strcmp(t->jstate, "queued"))
    bg_buf_printf(b, " (agent %s)", t->agent);
}

/* On a terminal: the status of every testbed on one redrawn line. */
static void draw(struct gate *g, long long now) {
  if (!g->interactive)
    return;
  struct bg_buf b;
  char el[32];
  bg_buf_init(&b, 0);
  bg_buf_printf(&b, "benchgate: ");
  if (!g->known)
    bg_buf_printf(&b, "looking for jobs or runs of %.12s", g->sha);
  for (size_t i = 0; i < g->ntbs; i++) {
    if (i)
      bg_buf_puts(&b, "; ");
    tb_status(&g->tbs[i], &b);
  }
  bg_cli_duration(now - g->t0, el, sizeof el);
  bg_buf_printf(&b, " [%s]", el);
  fprintf(stderr, "\r\033[K%.*s", 160, b.data);
  g->drawn = 1;
  bg_buf_free(&b);
}

/* Ends every testbed still waiting with the reason given, saying so when `loud`. */
static void finish_waiting(struct gate *g, const char *why, int loud) {
  for (size_t i = 0; i < g->ntbs; i++) {
    struct tb *t = &g->tbs[i];
    if (t->phase == P_DONE)
      continue;
    char state[sizeof t->jstate];
    snprintf(state, sizeof state, "%s", t->jstate); /* t->why's neighbour */
    if (t->phase == P_JOB)
      snprintf(t->why, sizeof t->why, "%s (job %lld is still %s)", why, t->job, state);
    else
      snprintf(t->why, sizeof t->why, "%s (%s)", why,
               t->job ? "its job is done, the verdict is still pending"
                      : "no run of the commit yet");
    tb_finish(t, BG_EXIT_INFRA);
    if (loud)
      say(g, "%s: no verdict: %s", t->name, t->why);
  }
}

/* Polls until every testbed has ended or --wait is over. Returns BG_EXIT_PASS, or the exit
 * code of a failure to use the server (message in g->err). */
static int wait_all(struct gate *g) {
  long interval = POLL_FIRST_MS;
  for (;;) {
    int changed = 0, rc = BG_EXIT_PASS, open = 0;
    if (!g->fl->enqueue)
      rc = discover(g, &changed);
    for (size_t i = 0; i < g->ntbs && !rc; i++) {
      struct tb *t = &g->tbs[i];
      if (t->phase == P_JOB)
        rc = poll_job(g, t, &changed);
      if (!rc && t->phase == P_VERDICT)
        rc = poll_verdict(g, t, &changed);
      open += t->phase != P_DONE;
    }
    if (rc || (g->known && !open))
      return rc;
    long long now = mono_ns();
    if (now >= g->deadline) {
      char why[96];
      snprintf(why, sizeof why, "--wait %.40s ran out", g->fl->wait);
      if (!g->known)
        snprintf(g->err, sizeof g->err, "%s with no job and no run of commit %.12s", why, g->sha);
      finish_waiting(g, why, 1);
      return g->known ? BG_EXIT_PASS : BG_EXIT_INFRA;
    }
    draw(g, now);
    interval = changed                          ? POLL_FIRST_MS
               : interval * 3 / 2 > POLL_MAX_MS ? POLL_MAX_MS
                                                : interval * 3 / 2;
    long long left = g->deadline - now, wait = (long long)interval * 1000000LL;
    if (wait > left)
      wait = left;
    struct timespec ts = {(time_t)(wait / NS), (long)(wait % NS)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
      ;
  }
}

/* ---- enqueue ------------------------------------------------------------------------------ */

/* The fork point for a pull request without --base-sha, from git (empty when git has none). */
static void fork_point(struct gate *g) {
  const char *base = getenv("GITHUB_BASE_REF");
  char *def = base && *base ? bg_xstrdup(base) : bg_git_default_branch(NULL);
  char *sha = NULL, err[512];
  if (bg_git_fork_point(NULL, g->sha, def, &sha, err, sizeof err) == BG_OK) {
    snprintf(g->base_sha, sizeof g->base_sha, "%s", sha);
    snprintf(g->base_branch, sizeof g->base_branch, "%s", def);
  } else {
    bg_cli_warn("no fork point of %.12s from %s in this checkout (%s); the jobs go without one "
                "and the server compares with the history before the commit (pass --base-sha "
                "to choose)",
                g->sha, def, err);
  }
  free(sha);
  free(def);
}

/* The enqueue body; the caller frees it with cJSON_free. */
static char *enqueue_body(struct gate *g, const char *branch, long long pr) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "sha", g->sha);
  cJSON_AddStringToObject(o, "branch", branch);
  if (*g->base_sha)
    cJSON_AddStringToObject(o, "base_sha", g->base_sha);
  if (pr)
    cJSON_AddNumberToObject(o, "pull_request", (double)pr);
  if (g->fl->ntestbeds) {
    cJSON *a = cJSON_AddArrayToObject(o, "testbeds");
    for (size_t i = 0; i < g->fl->ntestbeds; i++)
      cJSON_AddItemToArray(a, cJSON_CreateString(g->fl->testbeds[i]));
  }
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

/* The commit's base (--base-sha, or for a pull request the fork point from git) into g. */
static int choose_base(struct gate *g, long long pr) {
  if (g->fl->base_sha) {
    snprintf(g->base_sha, sizeof g->base_sha, "%s", g->fl->base_sha);
    for (char *c = g->base_sha; *c; c++)
      *c = (char)tolower((unsigned char)*c);
    if (!bg_valid_sha(g->base_sha)) {
      bg_cli_error("gate: --base-sha: '%s' is not a full commit sha (40 or 64 hex digits)",
                   g->fl->base_sha);
      return BG_EXIT_USAGE;
    }
    const char *base = getenv("GITHUB_BASE_REF");
    snprintf(g->base_branch, sizeof g->base_branch, "%s", base ? base : "");
  } else if (pr) {
    fork_point(g);
  }
  return BG_EXIT_PASS;
}

static int enqueue(struct gate *g) {
  char *branch = NULL, err[512], path[512], code[64];
  long status;
  cJSON *root = NULL;
  const cJSON *j;
  int rc = BG_EXIT_USAGE;
  long long pr = g->fl->pr ? g->fl->pr : bg_cli_github_pull_request();
  if (g->fl->branch)
    branch = bg_xstrdup(g->fl->branch);
  else if (bg_git_branch(NULL, &branch, err, sizeof err) != BG_OK) {
    bg_cli_error("gate: --branch: %s", err);
    goto out;
  }
  if (!bg_valid_branch(branch)) {
    bg_cli_error("gate: --branch: '%s' is not a valid git branch name", branch);
    goto out;
  }
  if ((rc = choose_base(g, pr)))
    goto out;
  char *body = enqueue_body(g, branch, pr);
  snprintf(path, sizeof path, "/api/v1/projects/%s/jobs", g->fl->project);
  rc = call(g, "POST", path, body, "enqueue", &root, &status, code, sizeof code);
  cJSON_free(body);
  if (rc) {
    bg_cli_error("%s", g->err);
    goto out;
  }
  const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");
  if (!cJSON_GetArraySize(jobs)) {
    bg_cli_error("gate: project %s has no testbed to run on yet (a testbed exists once a run "
                 "names it); nothing was enqueued",
                 g->fl->project);
    rc = BG_EXIT_USAGE;
    goto out;
  }
  g->known = 1;
  char what[160] = "", base[320] = "";
  if (pr)
    snprintf(what, sizeof what, ", pull request %lld", pr);
  if (*g->base_sha)
    snprintf(base, sizeof base, ", compared with the fork point %.7s%s%s", g->base_sha,
             *g->base_branch ? " of " : "", g->base_branch);
  say(g, "enqueued %.12s (branch %s%s) on %d testbed%s%s", g->sha, branch, what,
      cJSON_GetArraySize(jobs), cJSON_GetArraySize(jobs) == 1 ? "" : "s", base);
  int changed = 0;
  cJSON_ArrayForEach(j, jobs) {
    struct tb *t = tb_add(g, jstr(j, "testbed"), P_JOB);
    if (t) {
      t->job = jint(j, "id");
      job_seen(g, t, j, &changed);
    }
  }
out:
  cJSON_Delete(root);
  free(branch);
  return rc;
}

/* Without --enqueue: the named testbeds, each checked to exist (a typo would wait forever). */
static int prepare_reads(struct gate *g) {
  for (size_t i = 0; i < g->fl->ntestbeds; i++) {
    char path[512], what[128], code[64];
    long status;
    snprintf(path, sizeof path, "/api/v1/projects/%s/commits?testbed=%s&limit=1", g->fl->project,
             g->fl->testbeds[i]);
    snprintf(what, sizeof what, "--testbed %s", g->fl->testbeds[i]);
    int rc = call(g, "GET", path, NULL, what, NULL, &status, code, sizeof code);
    if (rc) {
      bg_cli_error("%s", g->err);
      return rc;
    }
    if (!tb_find(g, g->fl->testbeds[i]))
      tb_add(g, g->fl->testbeds[i], P_VERDICT);
  }
  g->known = g->ntbs > 0;
  return BG_EXIT_PASS;
}

/* ---- the command ------------------------------------------------------------------------- */

/* The commit as the server wants it: git resolves refs and prefixes in a checkout. */
static int resolve_commit(struct gate *g) {
  const char *c = g->fl->commit;
  struct bg_git_commit gc;
  char gerr[512];
  if (c[0] != '-' && bg_git_commit_read(NULL, c, &gc, gerr, sizeof gerr) == BG_OK) {
    snprintf(g->sha, sizeof g->sha, "%s", gc.sha);
    bg_git_commit_clear(&gc);
    return BG_EXIT_PASS;
  }
  size_t n = strlen(c);
  int hex = n >= 7 && n <= 64;
  for (size_t i = 0; hex && i < n; i++) {
    g->sha[i] = (char)tolower((unsigned char)c[i]);
    hex = isxdigit((unsigned char)c[i]);
  }
  g->sha[hex ? n : 0] = '\0';
  if (!hex) {
    bg_cli_error("gate: --commit: '%s' is neither a commit sha (7 to 64 hex digits) nor a "
                 "revision git knows here",
                 c);
    return BG_EXIT_USAGE;
  }
  if (g->fl->enqueue && !bg_valid_sha(g->sha)) {
    bg_cli_error("gate: --commit: a job needs the full sha (40 or 64 hex digits), and git does "
                 "not know '%s' here",
                 c);
    return BG_EXIT_USAGE;
  }
  return BG_EXIT_PASS;
}

/* Prints each testbed's report (stdout and $GITHUB_STEP_SUMMARY); returns the exit code: 1 for
 * any regression, else 3 for any testbed without a verdict, else 0. */
static int report(struct gate *g) {
  int regression = 0, infra = 0;
  struct bg_buf md;
  bg_buf_init(&md, 0);
  for (size_t i = 0; i < g->ntbs; i++) {
    struct tb *t = &g->tbs[i];
    bg_buf_reset(&md);
    regression |= t->code == BG_EXIT_REGRESSION;
    infra |= t->code == BG_EXIT_INFRA;
    if (i)
      printf("\n");
    if (*t->why) {
      bg_buf_printf(&md, "benchgate on %s: no verdict: %s\n", t->name, t->why);
      bg_report_write(md.data);
      continue;
    }
    printf("verdict on %s: %s%s%s\n\n", t->name, t->v.state, *t->v.summary ? ": " : "",
           t->v.summary);
    const char *base = *t->base_sha ? t->base_sha : g->base_sha;
    const char *branch = *g->base_branch ? g->base_branch : t->v.baseline_branch;
    if (*base)
      bg_buf_printf(&md, "Compared with the fork point %.7s%s%s.\n\n", base, *branch ? " of " : "",
                    branch);
    if (t->v.markdown)
      bg_buf_puts(&md, t->v.markdown);
    else
      bg_buf_printf(&md, "benchgate on %s: %s%s%s\n", t->name, t->v.state,
                    *t->v.summary ? ": " : "", t->v.summary);
    bg_report_write(md.data);
  }
  bg_buf_free(&md);
  return regression ? BG_EXIT_REGRESSION : infra ? BG_EXIT_INFRA : BG_EXIT_PASS;
}

int bg_cmd_gate_main(int argc, char **argv) {
  struct flags fl;
  char err[ERR_MAX], *token = NULL;
  int code = BG_EXIT_USAGE;
  int pf = parse_flags(argc, argv, &fl);
  if (pf)
    return pf > 0 ? BG_EXIT_PASS : BG_EXIT_USAGE;
  struct gate *g = bg_xcalloc(1, sizeof *g); /* large: room for every testbed */
  g->fl = &fl;
  const char *server = fl.server ? fl.server : getenv("BENCHGATE_SERVER");
  if (!server || !*server) {
    bg_cli_error("gate: no server: pass --server URL or set BENCHGATE_SERVER");
    goto out;
  }
  if (bg_client_token(NULL, fl.token_file, &token, err, sizeof err) != BG_OK) {
    bg_cli_error("gate: %s", err);
    goto out;
  }
  if (fl.enqueue && !token) {
    bg_cli_error("gate: --enqueue needs a ci token: set BENCHGATE_TOKEN or pass --token-file");
    goto out;
  }
  if ((code = resolve_commit(g)))
    goto out;
  g->cl = (struct bg_client){.server = server, .token = token, .connect_timeout_ms = 10000, .timeout_ms = 60000};
  bg_retry_from_env(&g->retry);
  g->interactive = bg_cli_interactive();
  g->t0 = mono_ns();
  g->deadline = g->t0 + fl.wait_ns;
  code = fl.enqueue ? enqueue(g) : prepare_reads(g);
  if (!code && (code = wait_all(g)))
    say(g, "%s", g->err);
  clear_line(g);
  if (code == BG_EXIT_INFRA) {
    snprintf(err, sizeof err, "%s", g->err); /* the testbeds' reasons live in *g too */
    finish_waiting(g, err, 0);
  }
  if (code == BG_EXIT_USAGE)
    goto out;
  if (!g->ntbs) { /* nothing was judged: never a pass */
    code = code ? code : BG_EXIT_INFRA;
    goto out;
  }
  code = report(g);
out:
  for (size_t i = 0; i < g->ntbs; i++)
    bg_verdict_clear(&g->tbs[i].v);
  free(g);
  if (token) {
    memset(token, 0, strlen(token));
    free(token);
  }
  return code;
}
