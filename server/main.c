/* main.c: benchgated, the benchgate server, and its maintenance commands.
 *
 *   benchgated [--db FILE] [--listen HOST:PORT] [--web DIR] [--threads N] [--private]
 *              [--max-body BYTES] [--public-url URL] [--job-lease SECONDS]
 *              [--webhook-secret-file FILE] [--github-api URL] [--github-token-file FILE]
 *              [--github-app-id ID --github-app-key-file FILE]
 *   benchgated token create --db FILE [--project P] --role admin|agent|ci|read [--name N]
 *   benchgated token list --db FILE
 *   benchgated token revoke --db FILE ID
 *   benchgated backup --db FILE --out FILE
 *   benchgated check --db FILE
 *
 * The server prints one line "benchgated listening on http://HOST:PORT" once it accepts
 * connections, and on SIGTERM or SIGINT lets requests in flight finish, then exits 0. Bad
 * flags exit 2, runtime failures 1; --help and --version (anywhere) print to stdout and exit 0.
 * The GitHub token (--github-token-file, else BENCHGATE_GITHUB_TOKEN) is read once here and
 * handed to the outbox's sender thread (github_sender.h), which runs while the server does.
 */
#include "auth.h"
#include "cmd_check.h"
#include "events.h"
#include "github_auth.h"
#include "github_sender.h"
#include "http.h"
#include "jobs.h"
#include "migrations.h"
#include "notify.h"
#include "run.h"
#include "store.h"
#include "upload.h"
#include "valid.h"
#include "verdict.h"
#include "version.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAIN_MS 30000
#define OUTBOX_GRACE_MS 2000 /* a stop's time for sending the outbox rows due */
/* Connection bounds and request deadlines (conn_guard.h), each a flag. */
#define MAX_CONNS 1024
#define MAX_CONNS_CLIENT 128
#define HEADER_TIMEOUT_S 10
#define REQUEST_TIMEOUT_S 300
#define MIN_RATE 1024
/* --max-uploads: four uploads of 100 000 results at once take ~0.3-0.4 GB */
#define MAX_UPLOADS_DEFAULT 4
#define CHECKPOINT_MS 100 /* frequent enough that the WAL stays near BG_STORE_WAL_RESET pages */

struct options {
  const char *db, *listen, *web, *project, *role, *name, *out, *public_url, *webhook_secret_file;
  const char *github_api, *github_token_file, *github_app_key_file, *log_format;
  long long github_app_id;
  long long threads, max_body, job_lease;
  long long max_conns, max_conns_client, header_timeout, request_timeout, min_rate;
  long long max_uploads;
  int private_reads, help, version;
  const char *positional[4];
  int npositional;
};

static int usage(const char *msg) {
  if (msg)
    fprintf(stderr, "benchgated: %s\n", msg);
  fprintf(stderr,
          "usage: benchgated [--db FILE] [--listen HOST:PORT] [--web DIR] [--threads N]\n"
          "                  [--private] [--max-body BYTES] [--max-uploads N]\n"
          "                  [--public-url URL]\n"
          "                  [--job-lease SECONDS] [--webhook-secret-file FILE]\n"
          "                  [--github-api URL] [--github-token-file FILE]\n"
          "                  [--github-app-id ID --github-app-key-file FILE]\n"
          "                  [--log-format kv|json]\n"
          "       benchgated token create --db FILE [--project P] --role admin|agent|ci|read "
          "[--name N]\n"
          "       benchgated token list --db FILE\n"
          "       benchgated token revoke --db FILE ID\n"
          "       benchgated backup --db FILE --out FILE\n"
          "       benchgated check --db FILE\n");
  return 2;
}

/* --help: every command and flag, on stdout. */
static int help(void) {
  printf("benchgated %s: the benchgate server (REST API, verdicts, dashboard)\n"
         "\n"
         "usage: benchgated [--db FILE] [--listen HOST:PORT] [--web DIR] [--threads N]\n"
         "                  [--private] [--max-body BYTES] [--max-uploads N]\n"
         "                  [--public-url URL]\n"
         "                  [--job-lease SECONDS] [--webhook-secret-file FILE]\n"
         "                  [--github-api URL] [--github-token-file FILE]\n"
         "                  [--github-app-id ID --github-app-key-file FILE]\n"
         "                  [--log-format kv|json]\n"
         "       benchgated token create --db FILE [--project P] --role admin|agent|ci|read "
         "[--name N]\n"
         "       benchgated token list --db FILE\n"
         "       benchgated token revoke --db FILE ID\n"
         "       benchgated backup --db FILE --out FILE\n"
         "       benchgated check --db FILE\n"
         "\n"
         "serving:\n"
         "  --db FILE          SQLite database, created and migrated when needed "
         "(default benchgate.db)\n"
         "  --listen HOST:PORT address to listen on (default 127.0.0.1:8080; port 0 picks a "
         "free one;\n"
         "                     [::1]:PORT for IPv6); prints \"benchgated listening on URL\" "
         "when ready\n"
         "  --web DIR          serve the dashboard's files from DIR at / (default: no "
         "dashboard)\n"
         "  --threads N        worker threads, 1-256 (default 4)\n"
         "  --private          reads need a token too, /metrics included (default: reads are "
         "public)\n"
         "  --log-format kv|json  each request's log line on stderr as key=value pairs or one "
         "JSON object\n"
         "                     (default kv)\n"
         "  --max-body BYTES   largest request body; larger ones get 413 (default %u)\n"
         "  --max-uploads N    uploads handled at once, 1-256 (default %d); one more is\n"
         "                     answered 503 with Retry-After (the agent tries again)\n"
         "  --max-connections N  client connections open at once, 1-100000 (default %d); one\n"
         "                     beyond is closed at once\n"
         "  --max-connections-per-client N  the same for one client address, 0-100000\n"
         "                     (default %d; 0: no bound of its own; raise it behind a proxy)\n"
         "  --header-timeout SECONDS  a connection must send a whole request head within this\n"
         "                     of opening or of its last answer, 1-3600 (default %d)\n"
         "  --request-timeout SECONDS  a request body must arrive within this, 1-86400\n"
         "                     (default %d)\n"
         "  --min-rate BYTES   and after its first 10 s at this many bytes a second on average\n"
         "                     (default %d; 0: none)\n"
         "  --public-url URL   the dashboard's public address, for links in verdicts "
         "(http:// or https://)\n"
         "  --job-lease SECONDS how long a job's lease lasts past the agent's last heartbeat,\n"
         "                     %d-%d (default %d); an expired lease puts the job back in the "
         "queue\n"
         "  --webhook-secret-file FILE the GitHub webhook secret (default: the environment's\n"
         "                     BENCHGATE_WEBHOOK_SECRET); POST /api/v1/github/webhook takes\n"
         "                     deliveries signed with it (25 MB at most), and answers 503\n"
         "                     when the server has none\n"
         "  --github-api URL   GitHub's REST API for statuses, check runs and comments\n"
         "                     (default " BG_GITHUB_API_DEFAULT "; GitHub Enterprise: "
         "https://HOST/api/v3)\n"
         "  --github-token-file FILE  the token benchgated writes to GitHub with (first line);\n"
         "                     else BENCHGATE_GITHUB_TOKEN; without one the writes wait in the "
         "outbox\n"
         "  --github-app-id ID --github-app-key-file FILE  write as this GitHub App instead\n"
         "                     (its private key, PEM); installation tokens are fetched and\n"
         "                     renewed per repository, and verdicts also become check runs\n"
         "\n"
         "tokens (shown once when created; the database keeps only their SHA-256):\n"
         "  token create       --db FILE --role ROLE, optionally --project P (default: "
         "server-wide)\n"
         "                     and --name N; prints the token on stdout\n"
         "  token list         --db FILE: id, project, role, name, created, revoked; no "
         "secrets\n"
         "  token revoke ID    --db FILE: the token stops working at once\n"
         "  roles: admin (everything), agent (upload runs), ci (read verdicts), read\n"
         "\n"
         "backup:\n"
         "  backup             --db FILE --out FILE: an online copy, safe while serving\n"
         "  check              --db FILE: read-only integrity, foreign-key and schema checks\n"
         "                     and the schema version; exit 1 names a problem found\n"
         "\n"
         "  --help, -h         this text;  --version  the version\n"
         "\n"
         "exit codes: 0 ok (and after SIGTERM or SIGINT once requests in flight finish),\n"
         "  1 runtime failure, 2 bad flags or arguments\n",
         BG_VERSION, (unsigned)BG_RUN_MAX_BODY, MAX_UPLOADS_DEFAULT, MAX_CONNS, MAX_CONNS_CLIENT,
         HEADER_TIMEOUT_S, REQUEST_TIMEOUT_S, MIN_RATE, BG_JOBS_LEASE_MIN_S, BG_JOBS_LEASE_MAX_S,
         BG_JOBS_LEASE_S);
  return 0;
}

/* Answers --help or --version when parse saw one; returns -1 when neither was given. */
static int help_or_version(const struct options *o) {
  if (o->help)
    return help();
  if (o->version) {
    printf("benchgated %s\n", BG_VERSION);
    return 0;
  }
  return -1;
}

static int parse_int(const char *flag, const char *v, long long min, long long max,
                     long long *out) {
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || end == v || *end || n < min || n > max) {
    fprintf(stderr, "benchgated: %s: expected an integer from %lld to %lld, got '%s'\n", flag, min,
            max, v);
    return 0;
  }
  *out = n;
  return 1;
}

/* The integer flags: name, bounds, where the value goes. */
struct int_flag {
  const char *name;
  long long min, max;
  size_t offset; /* of the long long in struct options */
};

static const struct int_flag INT_FLAGS[] = {
    {"--threads", 1, 256, offsetof(struct options, threads)},
    {"--max-body", 1, 1LL << 32, offsetof(struct options, max_body)},
    {"--github-app-id", 1, 1LL << 53, offsetof(struct options, github_app_id)},
    {"--job-lease", BG_JOBS_LEASE_MIN_S, BG_JOBS_LEASE_MAX_S, offsetof(struct options, job_lease)},
    {"--max-connections", 1, 100000, offsetof(struct options, max_conns)},
    {"--max-connections-per-client", 0, 100000, offsetof(struct options, max_conns_client)},
    {"--header-timeout", 1, 3600, offsetof(struct options, header_timeout)},
    {"--request-timeout", 1, 86400, offsetof(struct options, request_timeout)},
    {"--min-rate", 0, 1LL << 30, offsetof(struct options, min_rate)},
    {"--max-uploads", 1, 256, offsetof(struct options, max_uploads)},
    {NULL, 0, 0, 0}};

static const struct int_flag *int_flag(const char *a) {
  for (const struct int_flag *f = INT_FLAGS; f->name; f++)
    if (!strcmp(a, f->name))
      return f;
  return NULL;
}

/* Parses flags from argv[first]; returns 0 (and prints why) on a bad flag. */
static int parse(int argc, char **argv, int first, struct options *o) {
  for (int i = first; i < argc; i++) {
    const char *a = argv[i];
    const char **str = NULL;
    if (!strcmp(a, "--private")) {
      o->private_reads = 1;
      continue;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      o->help = 1;
      continue;
    }
    if (!strcmp(a, "--version")) {
      o->version = 1;
      continue;
    }
    if (!strcmp(a, "--db"))
      str = &o->db;
    else if (!strcmp(a, "--listen"))
      str = &o->listen;
    else if (!strcmp(a, "--web"))
      str = &o->web;
    else if (!strcmp(a, "--public-url"))
      str = &o->public_url;
    else if (!strcmp(a, "--github-api"))
      str = &o->github_api;
    else if (!strcmp(a, "--github-token-file"))
      str = &o->github_token_file;
    else if (!strcmp(a, "--github-app-key-file"))
      str = &o->github_app_key_file;
    else if (!strcmp(a, "--project"))
      str = &o->project;
    else if (!strcmp(a, "--role"))
      str = &o->role;
    else if (!strcmp(a, "--name"))
      str = &o->name;
    else if (!strcmp(a, "--out"))
      str = &o->out;
    else if (!strcmp(a, "--webhook-secret-file"))
      str = &o->webhook_secret_file;
    else if (!strcmp(a, "--log-format"))
      str = &o->log_format;
    const struct int_flag *f = str ? NULL : int_flag(a);
    if (str || f) {
      if (i + 1 >= argc) {
        fprintf(stderr, "benchgated: %s needs a value\n", a);
        return 0;
      }
      const char *v = argv[++i];
      if (str)
        *str = v;
      else if (!parse_int(a, v, f->min, f->max, (long long *)(void *)((char *)o + f->offset)))
        return 0;
      continue;
    }
    if (a[0] == '-') {
      fprintf(stderr, "benchgated: unknown flag '%s'\n", a);
      return 0;
    }
    if (o->npositional == 4) {
      fprintf(stderr, "benchgated: unexpected argument '%s'\n", a);
      return 0;
    }
    o->positional[o->npositional++] = a;
  }
  return 1;
}

/* Splits HOST:PORT ([v6]:PORT too) into host (copied into buf) and port. */
static int split_listen(const char *s, char *host, size_t n, int *port) {
  const char *colon = strrchr(s, ':');
  long long p;
  if (!colon || colon == s)
    return 0;
  const char *h = s;
  size_t hlen = (size_t)(colon - s);
  if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
    h++;
    hlen -= 2;
  }
  if (hlen == 0 || hlen >= n || !parse_int("--listen port", colon + 1, 0, 65535, &p))
    return 0;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  *port = (int)p;
  return 1;
}

static int open_db(const char *db, struct bg_store **s) {
  char err[512];
  if (bg_store_open(db, s, err, sizeof err) != BG_OK) {
    fprintf(stderr, "benchgated: %s\n", err);
    return 0;
  }
  return 1;
}

/* One event line per migration bg_db_open applied. */
static void log_migrations(struct bg_db *db) {
  int from, to;
  bg_db_migrated(db, &from, &to);
  for (size_t i = 0; i < bg_migrations_count; i++) {
    const struct bg_migration *m = &bg_migrations[i];
    if (m->version <= from || m->version > to)
      continue;
    struct bg_log_line l;
    bg_event_begin(db, &l, "migration_applied");
    bg_log_int(&l, "version", m->version);
    bg_log_str(&l, "name", m->name);
    bg_log_end(&l);
  }
}

static int cmd_token(int argc, char **argv) {
  struct options o = {0};
  struct bg_store *s = NULL;
  int rc = 1;
  if (argc < 3)
    return usage("token: expected create, list or revoke");
  if (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))
    return help();
  const char *sub = argv[2];
  if (!parse(argc, argv, 3, &o))
    return usage(NULL);
  if (help_or_version(&o) >= 0)
    return 0;
  if (!o.db)
    return usage("token: --db FILE is required");
  if (!strcmp(sub, "create")) {
    enum bg_role role;
    char token[BG_AUTH_TOKEN_LEN + 1];
    long long id;
    if (!o.role || !bg_role_parse(o.role, &role))
      return usage("token create: --role must be admin, agent, ci or read");
    if (o.project && !bg_valid_project(o.project))
      return usage("token create: --project is not a valid project slug");
    if (o.name && (!bg_valid_text(o.name, strlen(o.name), 0) || strlen(o.name) > 200))
      return usage("token create: --name must be printable text of at most 200 bytes");
    if (o.npositional)
      return usage("token create: unexpected argument");
    if (!open_db(o.db, &s))
      goto out;
    int r = bg_auth_create(s, o.project, role, o.name, token, sizeof token, &id);
    if (r == BG_ENOENT) {
      fprintf(stderr, "benchgated: no project '%s'\n", o.project);
      goto out;
    }
    if (r) {
      fprintf(stderr, "benchgated: token create: %s %s\n", bg_strerror(r), bg_store_errmsg(s));
      goto out;
    }
    printf("%s\n", token);
    fprintf(stderr, "benchgated: token %lld created (%s%s%s); it is shown only this once\n", id,
            o.role, o.project ? " for project " : ", server-wide", o.project ? o.project : "");
    rc = 0;
  } else if (!strcmp(sub, "list")) {
    struct bg_buf b;
    bg_buf_init(&b, 0);
    if (!open_db(o.db, &s))
      goto out;
    if (bg_store_token_list(s, &b) == BG_OK) {
      fputs(b.data, stdout);
      rc = 0;
    } else {
      fprintf(stderr, "benchgated: token list: %s\n", bg_store_errmsg(s));
    }
    bg_buf_free(&b);
  } else if (!strcmp(sub, "revoke")) {
    long long id;
    if (o.npositional != 1 || !parse_int("token revoke ID", o.positional[0], 1, LLONG_MAX, &id))
      return usage("token revoke: expected one token ID (see token list)");
    if (!open_db(o.db, &s))
      goto out;
    int r = bg_store_token_revoke(s, id);
    if (r == BG_ENOENT)
      fprintf(stderr, "benchgated: no active token %lld\n", id);
    else if (r)
      fprintf(stderr, "benchgated: token revoke: %s\n", bg_store_errmsg(s));
    else
      rc = 0;
  } else {
    return usage("token: expected create, list or revoke");
  }
out:
  bg_store_close(s);
  return rc;
}

static int cmd_backup(int argc, char **argv) {
  struct options o = {0};
  char err[512];
  if (!parse(argc, argv, 2, &o))
    return usage(NULL);
  if (help_or_version(&o) >= 0)
    return 0;
  if (!o.db || !o.out || o.npositional)
    return usage("backup: --db FILE and --out FILE are required");
  if (bg_store_backup(o.db, o.out, err, sizeof err) != BG_OK) {
    fprintf(stderr, "benchgated: backup: %s\n", err);
    return 1;
  }
  return 0;
}

#define WEBHOOK_SECRET_MAX 4096

/* The webhook secret into *secret: the contents of `file` (without a trailing newline) when
 * given, else BENCHGATE_WEBHOOK_SECRET; secret->len 0 when neither is set. Returns 0 after
 * printing why a given secret cannot be used; the message never shows the secret. */
static int webhook_secret(const char *file, struct bg_buf *secret) {
  const char *env = getenv("BENCHGATE_WEBHOOK_SECRET");
  bg_buf_init(secret, WEBHOOK_SECRET_MAX);
  if (file) {
    int rc = bg_buf_read_file(secret, file);
    if (rc) {
      fprintf(stderr, "benchgated: --webhook-secret-file %s: %s\n", file,
              rc == BG_ETOOBIG ? "larger than 4096 bytes" : strerror(errno));
      return 0;
    }
    while (secret->len &&
           (secret->data[secret->len - 1] == '\n' || secret->data[secret->len - 1] == '\r'))
      secret->data[--secret->len] = '\0';
    if (!secret->len) {
      fprintf(stderr, "benchgated: --webhook-secret-file %s is empty\n", file);
      return 0;
    }
  } else if (env && *env && bg_buf_puts(secret, env) != BG_OK) {
    fprintf(stderr, "benchgated: BENCHGATE_WEBHOOK_SECRET is longer than 4096 bytes\n");
    return 0;
  }
  return 1;
}

/* --github-app-id and --github-app-key-file: the GitHub App benchgated writes as (it wins over
 * a token, and only an App may write check runs). 1, or 0 with the reason in err; the key's
 * text is wiped once the App holds it. */
static int load_github_app(const struct options *o, struct bg_github_auth *a, char *err,
                           size_t errlen) {
  struct bg_buf pem;
  if (!o->github_app_id && !o->github_app_key_file)
    return 1;
  if (!o->github_app_id || !o->github_app_key_file) {
    snprintf(err, errlen, "--github-app-id and --github-app-key-file go together");
    return 0;
  }
  bg_buf_init(&pem, 1u << 20);
  int rc = bg_buf_read_file(&pem, o->github_app_key_file);
  if (rc != BG_OK)
    snprintf(err, errlen, "--github-app-key-file: cannot read %s: %s", o->github_app_key_file,
             rc == BG_ETOOBIG ? "too large" : strerror(errno));
  else if ((rc = bg_github_app_new(o->github_app_id, pem.data,
                                   o->github_api ? o->github_api : BG_GITHUB_API_DEFAULT, &a->app,
                                   err, errlen)) != BG_OK)
    a->app = NULL;
  if (pem.data)
    explicit_bzero(pem.data, pem.len);
  bg_buf_free(&pem);
  return rc == BG_OK;
}

/* A graceful stop: no new connections; requests in flight (and connections that were
 * waiting to be accepted) get their answers, for up to DRAIN_MS; a second signal stops at
 * once. */
static void drain(struct bg_http *h, const sigset_t *set, int sig, enum bg_log_format lf) {
  const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
  struct bg_log_line l;
  bg_log_begin(&l, lf, "server_stopping");
  bg_log_str(&l, "signal", name);
  bg_log_int(&l, "pending", (long long)bg_http_pending(h));
  bg_log_str(&l, "message", "finishing requests in flight; a second signal stops at once");
  bg_log_end(&l);
  bg_http_quiesce(h);
  struct timespec tick = {0, 10 * 1000 * 1000};
  int waited = 0;
  while (bg_http_pending(h) > 0 && waited < DRAIN_MS) {
    if (sigtimedwait(set, NULL, &tick) >= 0) {
      bg_log_begin(&l, lf, "stopping_now");
      bg_log_int(&l, "pending", (long long)bg_http_pending(h));
      bg_log_end(&l);
      return;
    }
    waited += 10;
  }
  bg_log_begin(&l, lf, "drained");
  bg_log_int(&l, "pending", (long long)bg_http_pending(h));
  bg_log_int(&l, "waited_ms", waited);
  bg_log_end(&l);
}

static int serve(int argc, char **argv) {
  struct options o = {0};
  struct bg_db *db = NULL;
  struct bg_store *s = NULL;
  struct bg_http *h = NULL;
  struct bg_buf secret = {0};
  struct bg_github_auth gh_auth = {0};
  struct bg_github_sender *sender = NULL;
  char host[256], err[512];
  int port, sig;
  o.threads = 4;
  o.max_body = BG_RUN_MAX_BODY;
  o.job_lease = BG_JOBS_LEASE_S;
  o.max_conns = MAX_CONNS;
  o.max_conns_client = MAX_CONNS_CLIENT;
  o.header_timeout = HEADER_TIMEOUT_S;
  o.request_timeout = REQUEST_TIMEOUT_S;
  o.min_rate = MIN_RATE;
  o.max_uploads = MAX_UPLOADS_DEFAULT;
  if (!parse(argc, argv, 1, &o))
    return usage(NULL);
  if (help_or_version(&o) >= 0)
    return 0;
  if (o.npositional)
    return usage("unexpected argument (subcommands: token, backup, check)");
  if (!split_listen(o.listen ? o.listen : "127.0.0.1:8080", host, sizeof host, &port))
    return usage("--listen: expected HOST:PORT");
  if (o.role || o.project || o.name || o.out)
    return usage("--role, --project, --name and --out belong to subcommands");
  if (o.public_url && strncmp(o.public_url, "http://", 7) != 0 &&
      strncmp(o.public_url, "https://", 8) != 0)
    return usage("--public-url: expected an http:// or https:// address");
  if (o.github_api && strncmp(o.github_api, "http://", 7) != 0 &&
      strncmp(o.github_api, "https://", 8) != 0)
    return usage("--github-api: expected an http:// or https:// address");
  enum bg_log_format log_format = BG_LOG_KV;
  if (o.log_format && !bg_log_format_parse(o.log_format, &log_format))
    return usage("--log-format: expected kv or json");
  if (!webhook_secret(o.webhook_secret_file, &secret)) {
    bg_buf_free(&secret);
    return 2;
  }
  if (bg_github_auth_load(&gh_auth, o.github_token_file, getenv("BENCHGATE_GITHUB_TOKEN"), err,
                          sizeof err) != BG_OK ||
      !load_github_app(&o, &gh_auth, err, sizeof err)) {
    fprintf(stderr, "benchgated: %s\n", err);
    bg_buf_free(&secret);
    bg_github_auth_clear(&gh_auth);
    return 2;
  }
  /* Opened here so migrations run and errors show before listening. */
  if (bg_db_open(o.db ? o.db : "benchgate.db", &db, err, sizeof err) != BG_OK) {
    fprintf(stderr, "benchgated: %s\n", err);
    bg_buf_free(&secret);
    bg_github_auth_clear(&gh_auth);
    return 1;
  }
  bg_events_configure(db, log_format);
  log_migrations(db);
  bg_verdict_set_public_url(db, o.public_url);
  bg_notify_configure(db, o.public_url, gh_auth.app != NULL); /* check runs need an App */
  /* Runs stored by an upload that did not get to store their verdict get it now. */
  if (!(s = bg_db_thread(db, err, sizeof err)) || bg_upload_recover(s) != BG_OK) {
    fprintf(stderr, "benchgated: settling interrupted uploads: %s\n", s ? bg_store_errmsg(s) : err);
    bg_db_close(db);
    bg_buf_free(&secret);
    bg_github_auth_clear(&gh_auth);
    return 1;
  }
  bg_db_thread_release(db);
  /* Block the stop signals in every thread; the main thread waits for them. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  struct bg_http_config cfg = {db,
                               o.web,
                               host,
                               port,
                               (int)o.threads,
                               o.private_reads,
                               (size_t)o.max_body,
                               (int)o.job_lease,
                               secret.len ? (const unsigned char *)secret.data : NULL,
                               secret.len,
                               log_format,
                               {(unsigned)o.max_conns, (unsigned)o.max_conns_client,
                                (int)o.header_timeout, (int)o.request_timeout, (long)o.min_rate},
                               (int)o.max_uploads};
  struct bg_github_sender_config gcfg = {o.github_api, &gh_auth, 0};
  if (bg_db_checkpointer_start(db, CHECKPOINT_MS, err, sizeof err) != BG_OK ||
      bg_github_sender_start(db, &gcfg, &sender, err, sizeof err) != BG_OK ||
      bg_http_start(&cfg, &h, err, sizeof err) != BG_OK) {
    fprintf(stderr, "benchgated: %s\n", err);
    bg_github_sender_stop(sender, 0);
    bg_db_close(db);
    bg_buf_free(&secret);
    bg_github_auth_clear(&gh_auth);
    return 1;
  }
  int v6 = strchr(host, ':') != NULL;
  printf("benchgated listening on http://%s%s%s:%d\n", v6 ? "[" : "", host, v6 ? "]" : "",
         bg_http_port(h));
  fflush(stdout);
  struct bg_log_line l;
  bg_event_begin(db, &l, "server_start");
  bg_log_str(&l, "version", BG_VERSION);
  bg_log_str(&l, "host", host);
  bg_log_int(&l, "port", bg_http_port(h));
  bg_log_str(&l, "private", o.private_reads ? "true" : "false");
  bg_log_end(&l);
  while (sigwait(&set, &sig) != 0)
    ;
  drain(h, &set, sig, log_format);
  bg_http_stop(h);
  /* After the last request that could add a row; what is due goes out first. */
  bg_github_sender_stop(sender, OUTBOX_GRACE_MS);
  bg_event_begin(db, &l, "server_stop");
  bg_log_end(&l);
  bg_db_close(db); /* stops the checkpointer after its last pass */
  bg_buf_free(&secret);
  bg_github_auth_clear(&gh_auth);
  return 0;
}

int main(int argc, char **argv) {
  /* Uploads allocate a few buffers of 0.3-3 MB each (the body, the verdict's arrays and its
   * text). glibc raises its mmap threshold after freeing such a buffer, after which they come
   * from the worker threads' arenas and stay in the RSS: 96 MB after `make bench`'s 1 M
   * results instead of 80 MB with a fixed threshold (docs/performance.md). */
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
  if (argc >= 2 && !strcmp(argv[1], "token"))
    return cmd_token(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "backup"))
    return cmd_backup(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "check"))
    return bg_cmd_check_main(argc - 1, argv + 1);
  return serve(argc, argv);
}
