/* ack.c: acknowledging an alert (ack.h): the alert's rows, then the commit's verdicts again.
 *
 * The verdicts are judged again on what each run's upload pinned (bg_verdict_rejudge_run):
 * the new acknowledgement changes the result's class, not the baseline it was compared with.
 */
#include "ack.h"

#include "alerts.h"
#include "verdict.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <time.h>

/* Judges every run of commit `cid` on testbed `tb` again; the newest one's verdict text goes
 * to *latest (caller frees with cJSON_free). */
static int reevaluate(struct bg_store *s, const struct bg_project *p, long long cid, long long tb,
                      char **latest) {
  long long *ids = NULL;
  size_t n = 0;
  int rc = bg_alerts_commit_runs(s, cid, tb, &ids, &n);
  for (size_t i = 0; i < n && rc == BG_OK; i++) {
    char *text = NULL;
    rc = bg_verdict_rejudge_run(s, p, ids[i], &text);
    if (i + 1 == n) {
      *latest = text;
      text = NULL;
    }
    cJSON_free(text);
  }
  free(ids);
  return rc;
}

/* The writes of an acknowledgement of alert `id` (*a), inside the caller's transaction; the
 * re-evaluated verdict text of the commit goes to *latest. */
static int acknowledge(struct bg_store *s, const struct bg_project *p, long long id,
                       const struct bg_alert *a, const char *note, const char *who, char **latest) {
  long long now = (long long)time(NULL);
  const struct bg_alert_key *k = &a->key;
  int rc = bg_alerts_acknowledge(s, id, a, note, who, now);
  if (rc || !a->regression || !k->commit)
    return rc;
  if ((rc = bg_alerts_record_ack(s, id, a, note, who, now)) ||
      (rc = bg_alerts_series_start(s, p->id, k->testbed, k->benchmark, k->measure, k->commit,
                                   "acknowledged")))
    return rc;
  return reevaluate(s, p, k->commit, k->testbed, latest);
}

int bg_ack_alert(struct bg_store *s, const struct bg_project *p, long long id, const char *note,
                 const char *who, struct bg_buf *out) {
  struct bg_alert a;
  char *latest = NULL;
  int rc;
  if ((rc = bg_store_write_begin(s)))
    return rc;
  if ((rc = bg_alerts_get(s, p->id, id, &a)) == BG_OK && !a.open)
    rc = BG_ECONFLICT;
  if (rc == BG_OK)
    rc = acknowledge(s, p, id, &a, note, who, &latest);
  if (rc == BG_OK) {
    bg_buf_puts(out, "{\"alert\":");
    rc = bg_alerts_alert_json(s, p, id, out);
    bg_buf_puts(out, ",\"verdict\":");
    bg_buf_puts(out, latest ? latest : "null");
    bg_buf_puts(out, "}");
  }
  int end = bg_store_write_end(s, rc == BG_OK);
  if (rc == BG_OK)
    rc = end;
  cJSON_free(latest);
  return rc;
}
