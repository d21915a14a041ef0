/* events.c: the format of a database's event lines (events.h). */
#include "events.h"

#include "mem.h"

#include <stdatomic.h>
#include <stdlib.h>

struct events {
  atomic_int format; /* enum bg_log_format; read by every thread, set once by main */
};

static void *events_create(void) {
  struct events *e = bg_xcalloc(1, sizeof *e);
  atomic_init(&e->format, BG_LOG_KV);
  return e;
}

static const struct bg_db_shared events_kind = {"event log format", events_create, free};

void bg_events_configure(struct bg_db *db, enum bg_log_format f) {
  struct events *e = bg_db_shared(db, &events_kind);
  atomic_store(&e->format, (int)f);
}

enum bg_log_format bg_events_format(struct bg_db *db) {
  struct events *e = bg_db_shared(db, &events_kind);
  return (enum bg_log_format)atomic_load(&e->format);
}

void bg_event_begin(struct bg_db *db, struct bg_log_line *l, const char *event) {
  bg_log_begin(l, bg_events_format(db), event);
  bg_log_str(l, "level", "info");
}
