/* outbox_store.c: the SQLite storage of the outbox and of the GitHub ids (outbox_store.h).
 *
 * The sender's look for a due row walks the partial index outbox_pending (pending rows only,
 * oldest first), so delivered rows cost nothing however many there are; superseding reads
 * outbox_key. Adding a row keeps at most one pending row per key, and the look also skips a
 * row whose key has an older pending row, so a key's rows cannot overtake each other; a row
 * waiting for its retry holds back every younger row (read once per look from outbox_due).
 */
#include "outbox_store.h"

#include "mem.h"
#include "store_private.h"
#include "valid.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum oid {
  O_SUPERSEDE,
  O_INSERT,
  O_NEXT_DUE,
  O_HOLD,
  O_NEXT_TIME,
  O_DEPTH,
  O_DELIVERED,
  O_RETRY,
  O_FAILED,
  O_NOTE,
  O_OBJ_GET,
  O_OBJ_PUT,
  O_OBJ_DEL,
  O_LIST,
  O_COUNTS,
  O_SENDING,
  O_COUNT
};

static const char *const sql_text[O_COUNT] = {
    [O_SUPERSEDE] = "UPDATE outbox SET state = 'superseded', updated_at = ?2 "
                    "WHERE key = ?1 AND state = 'pending'",
    [O_INSERT] = "INSERT INTO outbox (project_id, kind, repo, sha, context, pull_request, key, "
                 "body, next_attempt_ms, created_at, updated_at) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 * 1000, ?9, ?9)",
    [O_NEXT_DUE] = "SELECT o.id, o.project_id, o.kind, o.repo, o.sha, o.context, o.pull_request, "
                   "o.body, o.attempts, o.next_attempt_ms, o.sending_since IS NOT NULL "
                   "FROM outbox o "
                   "WHERE o.state = 'pending' AND o.next_attempt_ms <= ?1 AND o.id < ?2 "
                   "AND NOT EXISTS "
                   "(SELECT 1 FROM outbox e WHERE e.key = o.key AND e.state = 'pending' "
                   "AND e.id < o.id) ORDER BY o.id LIMIT 1",
    [O_HOLD] = "SELECT min(id) FROM outbox WHERE state = 'pending' AND next_attempt_ms > ?1 "
               "AND attempts BETWEEN 1 AND ?2 - 1",
    [O_NEXT_TIME] = "SELECT min(next_attempt_ms) FROM outbox WHERE state = 'pending'",
    [O_DEPTH] = "SELECT count(*) FROM outbox WHERE state = 'pending'",
    [O_DELIVERED] = "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, "
                    "last_error = NULL, updated_at = ?2, sending_since = NULL "
                    "WHERE id = ?1 AND state IN ('pending', 'superseded')",
    [O_RETRY] = "UPDATE outbox SET attempts = attempts + ?4, last_error = ?3, "
                "next_attempt_ms = ?2, updated_at = ?5, sending_since = NULL "
                "WHERE id = ?1 AND state = 'pending'",
    [O_FAILED] = "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?2, "
                 "updated_at = ?3, sending_since = NULL "
                 "WHERE id = ?1 AND state IN ('pending', 'superseded')",
    [O_NOTE] = "UPDATE outbox SET last_error = ?1, updated_at = ?2 "
               "WHERE state = 'pending' AND last_error IS NULL",
    [O_OBJ_GET] = "SELECT github_id FROM github_objects "
                  "WHERE kind = ?1 AND repo = ?2 AND ref = ?3 AND context = ?4",
    [O_OBJ_PUT] = "INSERT INTO github_objects (kind, repo, ref, context, github_id) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind, repo, ref, context) "
                  "DO UPDATE SET github_id = excluded.github_id",
    [O_OBJ_DEL] = "DELETE FROM github_objects "
                  "WHERE kind = ?1 AND repo = ?2 AND ref = ?3 AND context = ?4",
    [O_LIST] = "SELECT o.id, p.slug, o.kind, o.repo, o.sha, o.context, o.pull_request, o.state, "
               "o.attempts, o.last_error, o.next_attempt_ms, o.created_at, o.updated_at "
               "FROM outbox o LEFT JOIN projects p ON p.id = o.project_id "
               "WHERE o.state IN ('pending', 'failed') ORDER BY o.id LIMIT 1000",
    [O_COUNTS] = "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'), "
                 "(SELECT count(*) FROM outbox WHERE state = 'failed')",
    [O_SENDING] = "UPDATE outbox SET sending_since = ?2 WHERE id = ?1",
};

static const struct bg_store_module outbox_sql = {"outbox", sql_text, O_COUNT, NULL, NULL};

static const char *const kind_names[] = {"status", "check_run", "comment"};

const char *bg_outbox_kind_name(enum bg_outbox_kind k) {
  return (unsigned)k < 3 ? kind_names[k] : "?";
}

static int kind_parse(const char *s, enum bg_outbox_kind *k) {
  for (int i = 0; i < 3; i++)
    if (s && !strcmp(s, kind_names[i])) {
      *k = (enum bg_outbox_kind)i;
      return 1;
    }
  return 0;
}

/* The ref of a row within its repo: the sha, or "#<pull request>" for a comment. */
static void row_ref(enum bg_outbox_kind kind, const char *sha, long long pr, char *ref, size_t n) {
  if (kind == BG_OUTBOX_COMMENT)
    snprintf(ref, n, "%lld", pr);
  else
    snprintf(ref, n, "%s", sha);
}

static int item_valid(const struct bg_outbox_item *it) {
  if ((unsigned)it->kind > BG_OUTBOX_COMMENT || !it->body || !it->body[0] || !it->context ||
      !it->context[0] || strlen(it->context) > 255)
    return 0;
  if (!bg_valid_github_repo(it->repo) || !bg_valid_sha(it->sha))
    return 0;
  return it->kind != BG_OUTBOX_COMMENT || it->pull_request > 0;
}

int bg_outbox_add(struct bg_store *s, const struct bg_outbox_item *it, long long now) {
  char ref[72], *key = NULL;
  int rc;
  if (!item_valid(it))
    return BG_EINVAL;
  row_ref(it->kind, it->sha, it->pull_request, ref, sizeof ref);
  size_t n = strlen(it->repo) + strlen(ref) + strlen(it->context) + 16;
  key = bg_xmalloc(n);
  snprintf(key, n, "%s %s %s%s %s", bg_outbox_kind_name(it->kind), it->repo,
           it->kind == BG_OUTBOX_COMMENT ? "#" : "", ref, it->context);
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_SUPERSEDE);
  if (!st) {
    rc = BG_EDB;
    goto out;
  }
  bg_store_bind_text(st, 1, key);
  sqlite3_bind_int64(st, 2, now);
  if ((rc = bg_store_step_done(s, st, "outbox: supersede")))
    goto out;
  if (!(st = bg_store_stmt(s, &outbox_sql, O_INSERT))) {
    rc = BG_EDB;
    goto out;
  }
  sqlite3_bind_int64(st, 1, it->project_id);
  bg_store_bind_text(st, 2, bg_outbox_kind_name(it->kind));
  bg_store_bind_text(st, 3, it->repo);
  bg_store_bind_text(st, 4, it->sha);
  bg_store_bind_text(st, 5, it->context);
  sqlite3_bind_int64(st, 6, it->kind == BG_OUTBOX_COMMENT ? it->pull_request : 0);
  bg_store_bind_text(st, 7, key);
  bg_store_bind_text(st, 8, it->body);
  sqlite3_bind_int64(st, 9, now);
  rc = bg_store_step_done(s, st, "outbox: add");
out:
  free(key);
  return rc;
}

void bg_outbox_row_clear(struct bg_outbox_row *r) {
  free(r->body);
  memset(r, 0, sizeof *r);
}

/* Steps a statement of one integer and resets it: *v (0 for no row or NULL). */
static int one_int(struct bg_store *s, sqlite3_stmt *st, long long *v, const char *what) {
  int step = sqlite3_step(st), rc = BG_OK;
  *v = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  if (step != SQLITE_ROW && step != SQLITE_DONE)
    rc = bg_store_fail(s, what);
  bg_store_done(st);
  return rc;
}

int bg_outbox_next_due(struct bg_store *s, long long now_ms, int hold_attempts,
                       struct bg_outbox_row *r) {
  sqlite3_stmt *hold = bg_store_stmt(s, &outbox_sql, O_HOLD);
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_NEXT_DUE);
  long long held = 0;
  memset(r, 0, sizeof *r);
  if (!st || !hold)
    return BG_EDB;
  /* One range of the index outbox_due, so that a long queue behind a held row costs one
   * pass, not one per row. */
  sqlite3_bind_int64(hold, 1, now_ms);
  sqlite3_bind_int(hold, 2, hold_attempts);
  if (hold_attempts > 1 && one_int(s, hold, &held, "outbox: held rows"))
    return BG_EDB;
  bg_store_done(hold);
  sqlite3_bind_int64(st, 1, now_ms);
  sqlite3_bind_int64(st, 2, held ? held : LLONG_MAX);
  int step = sqlite3_step(st), rc = BG_OK;
  if (step == SQLITE_ROW) {
    r->id = sqlite3_column_int64(st, 0);
    r->project_id = sqlite3_column_int64(st, 1);
    if (!kind_parse(bg_store_col_text(st, 2), &r->kind))
      r->kind = BG_OUTBOX_STATUS; /* the CHECK constraint admits no other */
    bg_store_copy_text(r->repo, sizeof r->repo, bg_store_col_text(st, 3));
    bg_store_copy_text(r->sha, sizeof r->sha, bg_store_col_text(st, 4));
    bg_store_copy_text(r->context, sizeof r->context, bg_store_col_text(st, 5));
    r->pull_request = sqlite3_column_int64(st, 6);
    r->body = bg_xstrdup(bg_store_col_text(st, 7) ? bg_store_col_text(st, 7) : "");
    r->attempts = sqlite3_column_int(st, 8);
    r->next_attempt_ms = sqlite3_column_int64(st, 9);
    r->maybe_sent = sqlite3_column_int(st, 10);
  } else {
    rc = step == SQLITE_DONE ? BG_ENOENT : bg_store_fail(s, "outbox: next due");
  }
  bg_store_done(st);
  return rc;
}

int bg_outbox_next_time(struct bg_store *s, long long *at_ms) {
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_NEXT_TIME);
  *at_ms = 0;
  return st ? one_int(s, st, at_ms, "outbox: next time") : BG_EDB;
}

int bg_outbox_depth(struct bg_store *s, long long *n) {
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_DEPTH);
  *n = 0;
  return st ? one_int(s, st, n, "outbox: depth") : BG_EDB;
}

int bg_outbox_delivered(struct bg_store *s, long long id, long long now) {
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_DELIVERED);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now);
  return bg_store_step_done(s, st, "outbox: delivered");
}

int bg_outbox_sending(struct bg_store *s, long long id, long long now) {
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_SENDING);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now);
  return bg_store_step_done(s, st, "outbox: sending");
}

int bg_outbox_retry(struct bg_store *s, long long id, long long next_ms, const char *error,
                    int counted, long long now) {
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_RETRY);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, next_ms);
  bg_store_bind_text(st, 3, error);
  sqlite3_bind_int(st, 4, counted ? 1 : 0);
  sqlite3_bind_int64(st, 5, now);
  return bg_store_step_done(s, st, "outbox: retry");
}

int bg_outbox_failed(struct bg_store *s, long long id, const char *error, long long now) {
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_FAILED);
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, id);
  bg_store_bind_text(st, 2, error);
  sqlite3_bind_int64(st, 3, now);
  return bg_store_step_done(s, st, "outbox: failed");
}

int bg_outbox_note_pending(struct bg_store *s, const char *error, long long now, int *n) {
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_NOTE);
  *n = 0;
  if (!st)
    return BG_EDB;
  bg_store_bind_text(st, 1, error);
  sqlite3_bind_int64(st, 2, now);
  int rc = bg_store_step_done(s, st, "outbox: note pending");
  *n = rc ? 0 : sqlite3_changes(bg_store_sqlite(s));
  return rc;
}

/* Binds (kind, repo, ref, context) of a row's GitHub object to ?1-?4; ref[72] holds ?3. */
static void bind_object(sqlite3_stmt *st, const struct bg_outbox_row *r, char *ref) {
  row_ref(r->kind, r->sha, r->pull_request, ref, 72);
  bg_store_bind_text(st, 1, bg_outbox_kind_name(r->kind));
  bg_store_bind_text(st, 2, r->repo);
  bg_store_bind_text(st, 3, ref);
  bg_store_bind_text(st, 4, r->context);
}

int bg_outbox_object_get(struct bg_store *s, const struct bg_outbox_row *r, long long *id) {
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_OBJ_GET);
  char ref[72];
  *id = 0;
  if (!st)
    return BG_EDB;
  bind_object(st, r, ref);
  return one_int(s, st, id, "outbox: object id");
}

int bg_outbox_object_put(struct bg_store *s, const struct bg_outbox_row *r, long long id) {
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, id ? O_OBJ_PUT : O_OBJ_DEL);
  char ref[72];
  if (!st)
    return BG_EDB;
  bind_object(st, r, ref);
  if (id)
    sqlite3_bind_int64(st, 5, id);
  return bg_store_step_done(s, st, "outbox: record object id");
}

/* Appends a text member, null for SQL NULL. */
static void text_member(struct bg_buf *out, const char *name, sqlite3_stmt *st, int i) {
  bg_buf_puts(out, name);
  bg_json_str(out, bg_store_col_text(st, i));
}

static void row_json(void *ctx, struct bg_buf *out, sqlite3_stmt *st) {
  (void)ctx;
  int failed = !strcmp(bg_store_col_text(st, 7) ? bg_store_col_text(st, 7) : "", "failed");
  bg_buf_puts(out, "{\"id\":");
  bg_json_int(out, sqlite3_column_int64(st, 0));
  text_member(out, ",\"project\":", st, 1);
  text_member(out, ",\"kind\":", st, 2);
  text_member(out, ",\"repo\":", st, 3);
  text_member(out, ",\"sha\":", st, 4);
  text_member(out, ",\"context\":", st, 5);
  bg_buf_puts(out, ",\"pull_request\":");
  if (sqlite3_column_int64(st, 6))
    bg_json_int(out, sqlite3_column_int64(st, 6));
  else
    bg_buf_puts(out, "null");
  text_member(out, ",\"state\":", st, 7);
  bg_buf_puts(out, ",\"attempts\":");
  bg_json_int(out, sqlite3_column_int64(st, 8));
  text_member(out, ",\"last_error\":", st, 9);
  bg_buf_puts(out, ",\"next_attempt_at\":");
  if (failed)
    bg_buf_puts(out, "null");
  else
    bg_json_int(out, (sqlite3_column_int64(st, 10) + 999) / 1000);
  bg_buf_puts(out, ",\"created_at\":");
  bg_json_int(out, sqlite3_column_int64(st, 11));
  bg_buf_puts(out, ",\"updated_at\":");
  bg_json_int(out, sqlite3_column_int64(st, 12));
  bg_buf_puts(out, "}");
}

int bg_outbox_list_json(struct bg_store *s, struct bg_buf *out) {
  sqlite3_stmt *counts = bg_store_stmt(s, &outbox_sql, O_COUNTS);
  sqlite3_stmt *st = bg_store_stmt(s, &outbox_sql, O_LIST);
  if (!counts || !st)
    return BG_EDB;
  if (sqlite3_step(counts) != SQLITE_ROW) {
    int rc = bg_store_fail(s, "outbox: counts");
    bg_store_done(counts);
    return rc;
  }
  bg_buf_puts(out, "{\"pending\":");
  bg_json_int(out, sqlite3_column_int64(counts, 0));
  bg_buf_puts(out, ",\"failed\":");
  bg_json_int(out, sqlite3_column_int64(counts, 1));
  bg_store_done(counts);
  bg_buf_puts(out, ",\"rows\":[");
  int rc = bg_store_json_rows(s, st, row_json, NULL, out, NULL, "outbox: list");
  bg_buf_puts(out, "]}");
  return rc;
}
