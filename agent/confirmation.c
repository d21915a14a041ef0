/* confirmation.c: confirmation runs on the agent (confirmation.h). */
#include "confirmation.h"

#include "cli.h"
#include "mem.h"
#include "uuid.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bg_confirmation_ask_parse(const char *json, struct bg_confirmation_ask *a) {
  memset(a, 0, sizeof *a);
  cJSON *root = cJSON_Parse(json ? json : "");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "verdict");
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(v) ? v : root, "confirmation");
  if (cJSON_IsObject(c)) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(c, "decision");
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(c, "runs");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(c, "max");
    const cJSON *b, *bs = cJSON_GetObjectItemCaseSensitive(c, "benchmarks");
    a->needed = cJSON_IsString(d) && !strcmp(d->valuestring, "needed");
    a->runs = cJSON_IsNumber(runs) && runs->valuedouble > 0 ? (size_t)runs->valuedouble : 0;
    a->max = cJSON_IsNumber(max) && max->valuedouble > 0 ? (size_t)max->valuedouble : 0;
    size_t n = (size_t)cJSON_GetArraySize(bs);
    a->benchmarks = bg_xcalloc(n ? n : 1, sizeof *a->benchmarks);
    cJSON_ArrayForEach(b, bs) {
      if (cJSON_IsString(b))
        a->benchmarks[a->nbenchmarks++] = bg_xstrdup(b->valuestring);
    }
    const cJSON *il = cJSON_GetObjectItemCaseSensitive(c, "interleave");
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(il, "base");
    const cJSON *rounds = cJSON_GetObjectItemCaseSensitive(il, "rounds");
    if (cJSON_IsString(base) && bg_valid_sha(base->valuestring) && cJSON_IsNumber(rounds) &&
        rounds->valuedouble >= 2 && rounds->valuedouble <= BG_RUN_MAX_ROUNDS) {
      snprintf(a->base_sha, sizeof a->base_sha, "%s", base->valuestring);
      a->rounds = (size_t)rounds->valuedouble;
    }
  }
  cJSON_Delete(root);
}

void bg_confirmation_ask_free(struct bg_confirmation_ask *a) {
  for (size_t i = 0; i < a->nbenchmarks; i++)
    free(a->benchmarks[i]);
  free(a->benchmarks);
  memset(a, 0, sizeof *a);
}

static int asked(const struct bg_confirmation_ask *a, const char *benchmark) {
  for (size_t i = 0; i < a->nbenchmarks; i++)
    if (!strcmp(a->benchmarks[i], benchmark))
      return 1;
  return 0;
}

void bg_confirmation_suites(const struct bg_run *first, const size_t *suite_end, size_t nsuites,
                            const struct bg_confirmation_ask *a, unsigned char *only) {
  size_t any = 0, from = 0;
  for (size_t i = 0; i < nsuites; i++) {
    only[i] = 0;
    for (size_t r = from; r < suite_end[i] && r < first->nresults && !only[i]; r++)
      only[i] = (unsigned char)asked(a, first->results[r].benchmark);
    any += only[i];
    from = suite_end[i];
  }
  if (!any)
    memset(only, 1, nsuites);
}

struct bg_run *bg_confirmation_new_run(const struct bg_run *first) {
  char id[BG_UUID_LEN + 1];
  if (bg_uuid_v4(id) != BG_OK)
    return NULL;
  struct bg_run *run = bg_run_new();
  bg_run_set(&run->run_id, id);
  bg_run_set(&run->confirms, first->run_id);
  run->confirmable = 1;
  const struct bg_commit *c = &first->commit;
  bg_run_set(&run->commit.sha, c->sha);
  bg_run_set(&run->commit.branch, c->branch);
  for (size_t i = 0; i < c->nparents; i++)
    bg_run_add_parent(run, c->parents[i]);
  bg_run_set(&run->commit.message, c->message);
  bg_run_set(&run->commit.author, c->author);
  bg_run_set(&run->commit.timestamp, c->timestamp);
  bg_run_set(&run->baseline_branch, first->baseline_branch);
  bg_run_set(&run->baseline_sha, first->baseline_sha);
  run->pull_request = first->pull_request;
  run->job_id = first->job_id;
  bg_run_set(&run->testbed, first->testbed);
  bg_run_set(&run->agent_name, first->agent_name);
  bg_run_set(&run->agent_version, first->agent_version);
  return run;
}

/* One confirmation: the re-run of the suites `ask` names, uploaded; its answer replaces
 * *answer. */
static int confirm_once(const struct bg_confirmation_ops *ops, const struct bg_run *first,
                        size_t nsuites, const size_t *suite_end,
                        const struct bg_confirmation_ask *ask, char **answer, char *err,
                        size_t errlen) {
  unsigned char *only = bg_xcalloc(nsuites ? nsuites : 1, 1);
  bg_confirmation_suites(first, suite_end, nsuites, ask, only);
  size_t n = 0;
  for (size_t i = 0; i < nsuites; i++)
    n += only[i];
  bg_cli_error("confirming %zu doubtful benchmark%s of run %s: confirmation run %zu of up to %zu "
               "(%zu of %zu suites)%s%.12s",
               ask->nbenchmarks, ask->nbenchmarks == 1 ? "" : "s", first->run_id, ask->runs,
               ask->max, n, nsuites, ask->rounds ? ", interleaved with " : "",
               ask->rounds ? ask->base_sha : "");
  struct bg_run *run = bg_confirmation_new_run(first);
  char *next = NULL;
  int rc = run ? ops->measure(ops->ctx, only, ask, run, err, errlen) : BG_EIO;
  if (!run)
    snprintf(err, errlen, "cannot make a run id: no randomness from the kernel");
  if (rc == BG_OK && (rc = ops->upload(ops->ctx, run, &next, err, errlen)) == BG_OK) {
    free(*answer);
    *answer = next;
  }
  bg_run_free(run);
  free(only);
  return rc;
}

int bg_confirmation_loop(const struct bg_confirmation_ops *ops, const struct bg_run *first,
                         size_t nsuites, const size_t *suite_end, char **answer,
                         size_t *confirmations, char *err, size_t errlen) {
  int rc = BG_OK;
  *confirmations = 0;
  for (;;) {
    struct bg_confirmation_ask ask;
    bg_confirmation_ask_parse(*answer, &ask);
    /* The server bounds the confirmations; this bound only stops a server that never does. */
    int go = ask.needed && *confirmations < 100;
    if (go)
      rc = confirm_once(ops, first, nsuites, suite_end, &ask, answer, err, errlen);
    bg_confirmation_ask_free(&ask);
    if (!go || rc != BG_OK)
      return rc;
    ++*confirmations;
  }
}
