/* webhook_store.c: the SQLite storage of webhook deliveries (webhook_store.h). */
#include "webhook_store.h"

#include "db_sql.h"

enum wid { W_SEEN, W_ADD, W_PROJECTS, W_COUNT };

static const char *const sql_text[W_COUNT] = {
    [W_SEEN] = "SELECT 1 FROM webhook_deliveries WHERE delivery = ?1",
    [W_ADD] = "INSERT INTO webhook_deliveries (delivery, event, received_at, outcome) "
              "VALUES (?1, ?2, ?3, ?4)",
    [W_PROJECTS] = "SELECT id FROM projects WHERE github_repo = ?1 COLLATE NOCASE "
                   "ORDER BY id LIMIT ?2",
};

static const struct bg_store_module webhook_sql = {"webhooks", sql_text, W_COUNT, NULL, NULL};

int bg_webhook_store_seen(struct bg_store *s, const char *id, int *seen) {
  sqlite3_stmt *st = bg_store_stmt(s, &webhook_sql, W_SEEN);
  *seen = 0;
  if (!st)
    return BG_EDB;
  bg_store_bind_text(st, 1, id);
  int r = sqlite3_step(st), rc = BG_OK;
  *seen = r == SQLITE_ROW;
  if (r != SQLITE_ROW && r != SQLITE_DONE)
    rc = bg_store_fail(s, "webhooks: seen");
  bg_store_done(st);
  return rc;
}

int bg_webhook_store_add(struct bg_store *s, const char *id, const char *event, long long now,
                         const char *outcome) {
  sqlite3_stmt *st = bg_store_stmt(s, &webhook_sql, W_ADD);
  if (!st)
    return BG_EDB;
  bg_store_bind_text(st, 1, id);
  bg_store_bind_text(st, 2, event);
  sqlite3_bind_int64(st, 3, now);
  bg_store_bind_text(st, 4, outcome);
  int r = sqlite3_step(st);
  int rc = r == SQLITE_DONE           ? BG_OK
           : (r == SQLITE_CONSTRAINT) ? BG_EEXIST
                                      : bg_store_fail(s, "webhooks: add a delivery");
  bg_store_done(st);
  return rc;
}

int bg_webhook_store_projects(struct bg_store *s, const char *repo, long long *ids, size_t max,
                              size_t *n) {
  sqlite3_stmt *st = bg_store_stmt(s, &webhook_sql, W_PROJECTS);
  *n = 0;
  if (!st)
    return BG_EDB;
  bg_store_bind_text(st, 1, repo);
  sqlite3_bind_int64(st, 2, (long long)max);
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW && *n < max)
    ids[(*n)++] = sqlite3_column_int64(st, 0);
  int rc = r == SQLITE_ROW || r == SQLITE_DONE ? BG_OK : bg_store_fail(s, "webhooks: projects");
  bg_store_done(st);
  return rc;
}
