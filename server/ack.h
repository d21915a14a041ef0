/* ack.h: acknowledging an alert: a team accepts a change and the gate moves on from it.
 *
 * An acknowledgement marks the alert (and, for a regression, the same series' other open
 * regression alerts of that commit and testbed) acknowledged, records why (the commit's
 * verdicts then count that result as accepted), starts later default-branch baselines of the
 * series at the commit, and judges the commit's runs on that testbed again, all in one write
 * transaction. The rows are alerts.c's; the verdicts are verdict.c's.
 */
#ifndef BG_ACK_H
#define BG_ACK_H

#include "buf.h"
#include "error.h"
#include "store.h"

/* Acknowledges alert `id` of project p with a note, by `who` (text, may be NULL), as above.
 * Appends {"alert":{...},"verdict":{...}|null}: the alert as it is now and the newest
 * re-evaluated verdict of the commit (null for a changepoint alert or an alert without a
 * commit). BG_OK; BG_ENOENT (no such alert); BG_ECONFLICT (already acknowledged); BG_EDB. */
int bg_ack_alert(struct bg_store *s, const struct bg_project *p, long long id, const char *note,
                 const char *who, struct bg_buf *out);

#endif
