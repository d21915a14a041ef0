/* migrations.h: the SQL migrations of schema/, compiled into benchgated.
 *
 * server/embed.cmake generates the table at build time from schema/NNN_*.sql; the store
 * applies, in order, every migration whose version is above the database's user_version.
 */
#ifndef BG_MIGRATIONS_H
#define BG_MIGRATIONS_H

#include <stddef.h>

struct bg_migration {
  int version;      /* NNN of the file name */
  const char *name; /* file name, for error messages */
  const char *sql;  /* the whole file, NUL-terminated */
};

/* The migrations in ascending version order, bg_migrations_count of them, then a NULL row. */
extern const struct bg_migration bg_migrations[];
extern const size_t bg_migrations_count;

#endif
