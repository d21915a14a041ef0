/* events.h: the structured log lines of what happens besides requests (outbox deliveries,
 * jobs, verdicts, migrations, start and stop), in the server's --log-format.
 *
 * The format is kept per database (benchgated's main sets it once after opening), so any
 * module with a connection logs in the format the operator chose, without a global. A
 * connection whose database was never configured (the subcommands, the unit tests) logs
 * key=value.
 */
#ifndef BG_EVENTS_H
#define BG_EVENTS_H

#include "db.h"
#include "log.h"

/* Sets the format of db's event lines. */
void bg_events_configure(struct bg_db *db, enum bg_log_format f);

/* The format of db's event lines. */
enum bg_log_format bg_events_format(struct bg_db *db);

/* Starts a line of `event` with level "info" in db's format; add fields with bg_log_str/int
 * and end it with bg_log_end. */
void bg_event_begin(struct bg_db *db, struct bg_log_line *l, const char *event);

#endif
