/* run_internal.h: what run.c (the model and its validation) and run_json.c (its JSON form)
 * share; not for use outside lib/run*.c. */
#ifndef BG_RUN_INTERNAL_H
#define BG_RUN_INTERNAL_H

#include "error.h"
#include "run.h"

#define MAX_PARENTS 64
#define MAX_MESSAGE (64 * 1024)
#define MAX_SHORT_TEXT 1024
#define MAX_WARNINGS 1000
#define MAX_ID 9007199254740991.0 /* 2^53 - 1: integers JSON numbers carry exactly */

/* Appends ".key" (key set; no dot at the start) or "[i]" to the field name path[0..len) when
 * it fits in cap bytes. Returns the new length, or len when it does not fit: an error then
 * names the deepest member that does. */
size_t bg_run_path_push(char *path, size_t len, size_t cap, const char *key, size_t i);

#endif
