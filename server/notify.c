/* notify.c: job and verdict changes as outbox rows for GitHub (notify.h). */
#include "notify.h"

#include "buf.h"
#include "json.h"
#include "mem.h"
#include "outbox_store.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the notifications of a database may use, set once at start. */
struct settings {
  char public_url[1024];
  int check_runs;
};

static void *settings_create(void) {
  return bg_xcalloc(1, sizeof(struct settings));
}

static const struct bg_db_shared settings_kind = {"notify settings", settings_create, free};

void bg_notify_configure(struct bg_db *db, const char *public_url, int check_runs) {
  struct settings *st = bg_db_shared(db, &settings_kind);
  snprintf(st->public_url, sizeof st->public_url, "%s", public_url ? public_url : "");
  size_t n = strlen(st->public_url);
  while (n && st->public_url[n - 1] == '/')
    st->public_url[--n] = '\0';
  st->check_runs = check_runs;
}

static const struct settings *settings(struct bg_store *s) {
  return bg_db_shared(bg_store_database(s), &settings_kind);
}

void bg_notify_cut(const char *text, size_t max, char *out) {
  static const char ellipsis[] = "\xe2\x80\xa6"; /* … */
  size_t n = strlen(text);
  if (n <= max) {
    memcpy(out, text, n + 1);
    return;
  }
  n = max - (sizeof ellipsis - 1);
  while (n && ((unsigned char)text[n] & 0xc0) == 0x80)
    n--; /* text[n] would start the cut-off part: step back to a character's first byte */
  memcpy(out, text, n);
  memcpy(out + n, ellipsis, sizeof ellipsis);
}

/* The context of a testbed: "benchgate/<testbed>". */
static void context_of(const char *testbed, char *out, size_t len) {
  snprintf(out, len, "benchgate/%s", testbed);
}

/* The dashboard's page of a commit, "" without a public URL. */
static void commit_url(struct bg_store *s, const struct bg_project *p, const char *sha, char *out,
                       size_t len) {
  const struct settings *st = settings(s);
  out[0] = '\0';
  if (st->public_url[0])
    snprintf(out, len, "%s/#/p/%s/c/%s", st->public_url, p->slug, sha);
}

static int add(struct bg_store *s, const struct bg_project *p, enum bg_outbox_kind kind,
               const char *sha, const char *context, long long pr, struct bg_buf *body,
               long long now) {
  const struct bg_outbox_item it = {p->id, kind, p->github_repo, sha, context, pr, body->data};
  int rc = bg_outbox_add(s, &it, now);
  bg_buf_free(body);
  return rc;
}

/* A commit status row. */
static int status(struct bg_store *s, const struct bg_project *p, const char *sha,
                  const char *testbed, const char *state, const char *description, long long now) {
  char context[128], url[1400], text[BG_NOTIFY_DESCRIPTION_MAX + 1];
  struct bg_buf b;
  context_of(testbed, context, sizeof context);
  commit_url(s, p, sha, url, sizeof url);
  bg_notify_cut(description, BG_NOTIFY_DESCRIPTION_MAX, text);
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "{\"state\":");
  bg_json_str(&b, state);
  bg_buf_puts(&b, ",\"description\":");
  bg_json_str(&b, text);
  bg_buf_puts(&b, ",\"context\":");
  bg_json_str(&b, context);
  if (url[0]) {
    bg_buf_puts(&b, ",\"target_url\":");
    bg_json_str(&b, url);
  }
  bg_buf_puts(&b, "}");
  return add(s, p, BG_OUTBOX_STATUS, sha, context, 0, &b, now);
}

/* A check run row: status "queued", "in_progress" or "completed" (with a conclusion). */
static int check_run(struct bg_store *s, const struct bg_project *p, const char *sha,
                     const char *testbed, const char *run_status, const char *conclusion,
                     const char *title, const char *summary, long long now) {
  char context[128], url[1400];
  struct bg_buf b;
  if (!settings(s)->check_runs)
    return BG_OK;
  context_of(testbed, context, sizeof context);
  commit_url(s, p, sha, url, sizeof url);
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "{\"name\":");
  bg_json_str(&b, context);
  bg_buf_puts(&b, ",\"head_sha\":");
  bg_json_str(&b, sha);
  bg_buf_puts(&b, ",\"status\":");
  bg_json_str(&b, run_status);
  if (conclusion) {
    bg_buf_puts(&b, ",\"conclusion\":");
    bg_json_str(&b, conclusion);
  }
  if (url[0]) {
    bg_buf_puts(&b, ",\"details_url\":");
    bg_json_str(&b, url);
  }
  bg_buf_puts(&b, ",\"output\":{\"title\":");
  bg_json_str(&b, title);
  bg_buf_puts(&b, ",\"summary\":");
  bg_json_str(&b, summary);
  bg_buf_puts(&b, "}}");
  return add(s, p, BG_OUTBOX_CHECK_RUN, sha, context, 0, &b, now);
}

int bg_notify_job_pending(struct bg_store *s, const struct bg_project *p, const char *sha,
                          const char *testbed, int attempt, const char *agent, long long now) {
  char text[300];
  int running = attempt > 0;
  if (!p->github_repo[0])
    return BG_OK;
  if (attempt > 1) /* a new attempt after a failed one says so */
    snprintf(text, sizeof text, "running on %s, attempt %d", agent && *agent ? agent : testbed,
             attempt);
  else if (running)
    snprintf(text, sizeof text, "running on %s", agent && *agent ? agent : testbed);
  else
    snprintf(text, sizeof text, "queued for %s", testbed);
  int rc = status(s, p, sha, testbed, "pending", text, now);
  return rc ? rc
            : check_run(s, p, sha, testbed, running ? "in_progress" : "queued", NULL, text, text,
                        now);
}

int bg_notify_job_failed(struct bg_store *s, const struct bg_project *p, const char *sha,
                         const char *testbed, int attempts, const char *reason, long long now) {
  char text[600];
  if (!p->github_repo[0])
    return BG_OK;
  snprintf(text, sizeof text, "the job failed after %d attempt%s: %s", attempts,
           attempts == 1 ? "" : "s", reason && *reason ? reason : "no reason given");
  int rc = status(s, p, sha, testbed, "error", text, now);
  return rc ? rc
            : check_run(s, p, sha, testbed, "completed", "failure",
                        "benchgate could not measure the commit", text, now);
}

static const char *jstr(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* The status of a verdict state: its GitHub state and the start of its description. */
static void verdict_status(const char *state, const char **gh, const char **lead) {
  if (!strcmp(state, "fail")) {
    *gh = "failure";
    *lead = "";
  } else if (!strcmp(state, "pending")) {
    *gh = "pending"; /* a confirmation run is to come (lib/confirm.h) */
    *lead = "confirming: ";
  } else if (!strcmp(state, "no_baseline")) {
    *gh = "success";
    *lead = "no baseline yet: ";
  } else {
    *gh = "success";
    *lead = "pass: ";
  }
}

/* The report as a check run's summary: cut to GitHub's limit, with a link to the whole. */
static char *check_summary(const char *markdown, const char *url) {
  size_t n = strlen(markdown);
  if (n <= BG_NOTIFY_CHECK_SUMMARY_MAX)
    return bg_xstrdup(markdown);
  char tail[1600];
  snprintf(tail, sizeof tail, "\n\n… the report is cut here%s%s%s", url[0] ? "; the whole: " : "",
           url, url[0] ? "" : ".");
  char *out = bg_xmalloc(BG_NOTIFY_CHECK_SUMMARY_MAX + 1);
  size_t room = BG_NOTIFY_CHECK_SUMMARY_MAX - strlen(tail);
  bg_notify_cut(markdown, room, out);
  size_t used = strlen(out);
  snprintf(out + used, BG_NOTIFY_CHECK_SUMMARY_MAX + 1 - used, "%s", tail);
  return out;
}

/* The pull request comment: a hidden marker the sender finds it by, the report, the base it
 * was compared with and links to the trends of the regressed benchmarks. */
/* Appends `s` percent-encoded for a URL's query: a benchmark name may hold any character but
 * a control character (&, #, spaces, brackets among them). */
static void url_encode(struct bg_buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
        strchr("-._~", *c)) {
      bg_buf_append(b, (const char *)c, 1);
    } else {
      char e[3] = {'%', hex[*c >> 4], hex[*c & 15]};
      bg_buf_append(b, e, 3);
    }
  }
}

/* Appends `s` as the text of a Markdown link: brackets and backslashes escaped so a name
 * cannot end the link early. */
static void link_text(struct bg_buf *b, const char *s) {
  for (const char *c = s; *c; c++) {
    if (strchr("[]\\`*_<>", *c))
      bg_buf_append(b, "\\", 1);
    bg_buf_append(b, c, 1);
  }
}

static void comment_body(struct bg_store *s, const struct bg_project *p, const cJSON *v,
                         const char *context, const char *testbed, struct bg_buf *md) {
  const struct settings *st = settings(s);
  const cJSON *base = cJSON_GetObjectItemCaseSensitive(v, "baseline"), *r;
  bg_buf_printf(md, "<!-- benchgate:%s -->\n%s\n", context, jstr(v, "markdown"));
  if (*jstr(base, "last"))
    bg_buf_printf(md, "\nCompared with %d baseline run%s of `%s`, %.12s to %.12s.\n",
                  (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(base, "runs")),
                  cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(base, "runs")) == 1 ? ""
                                                                                            : "s",
                  jstr(base, "branch"), jstr(base, "first"), jstr(base, "last"));
  if (!st->public_url[0])
    return;
  int first = 1;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(v, "results")) {
    if (strcmp(jstr(r, "class"), "regressed"))
      continue;
    bg_buf_puts(md, first ? "\nTrends of the regressed benchmarks:\n" : "");
    first = 0;
    bg_buf_puts(md, "- [");
    link_text(md, jstr(r, "benchmark"));
    bg_buf_printf(md, " %s](%s/#/p/%s/t?benchmark=", jstr(r, "measure"), st->public_url, p->slug);
    url_encode(md, jstr(r, "benchmark"));
    bg_buf_printf(md, "&measure=%s&testbed=%s)\n", jstr(r, "measure"), testbed);
  }
}

static int comment(struct bg_store *s, const struct bg_project *p, const cJSON *v, const char *sha,
                   const char *testbed, long long pr, long long now) {
  char context[128];
  struct bg_buf md, b;
  context_of(testbed, context, sizeof context);
  bg_buf_init(&md, 0);
  comment_body(s, p, v, context, testbed, &md);
  bg_buf_init(&b, 0);
  bg_buf_puts(&b, "{\"body\":");
  bg_json_str(&b, md.data);
  bg_buf_puts(&b, "}");
  bg_buf_free(&md);
  return add(s, p, BG_OUTBOX_COMMENT, sha, context, pr, &b, now);
}

int bg_notify_verdict(struct bg_store *s, const struct bg_project *p, const char *sha,
                      const char *testbed, long long pr, const char *verdict, long long now) {
  char text[2048];
  const char *gh, *lead;
  if (!p->github_repo[0])
    return BG_OK;
  cJSON *v = cJSON_Parse(verdict);
  if (!cJSON_IsObject(v)) {
    cJSON_Delete(v);
    return BG_EINVAL;
  }
  const char *state = jstr(v, "state");
  verdict_status(state, &gh, &lead);
  snprintf(text, sizeof text, "%s%s", lead, jstr(v, "summary"));
  int rc = status(s, p, sha, testbed, gh, text, now);
  int final = strcmp(gh, "pending") != 0;
  if (rc == BG_OK && settings(s)->check_runs) {
    char *sum = check_summary(jstr(v, "markdown"), jstr(v, "url"));
    rc = final ? check_run(s, p, sha, testbed, "completed",
                           strcmp(gh, "failure") ? "success" : "failure", text, sum, now)
               : check_run(s, p, sha, testbed, "in_progress", NULL, text, sum, now);
    free(sum);
  }
  /* The comment waits for the final verdict: a pending one would be edited minutes later. */
  if (rc == BG_OK && final && pr > 0 && p->pr_comments)
    rc = comment(s, p, v, sha, testbed, pr, now);
  cJSON_Delete(v);
  return rc;
}
