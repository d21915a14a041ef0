/* webhook_store.h: the storage of GitHub webhook deliveries, and the projects a delivery's
 * repository names.
 *
 * Rows only: what a delivery does is decided by webhook.c above. The writing functions run
 * inside the caller's write transaction (bg_store_write_begin), so that a delivery's row and
 * the jobs it enqueued commit together or not at all.
 */
#ifndef BG_WEBHOOK_STORE_H
#define BG_WEBHOOK_STORE_H

#include "error.h"
#include "store.h"

#include <stddef.h>

/* *seen 1 when delivery `id` (X-GitHub-Delivery) is stored. BG_OK or BG_EDB. */
int bg_webhook_store_seen(struct bg_store *s, const char *id, int *seen);

/* Stores delivery `id` of `event` received at `now` with what it did (`outcome`). BG_OK,
 * BG_EEXIST when it is stored already, or BG_EDB. */
int bg_webhook_store_add(struct bg_store *s, const char *id, const char *event, long long now,
                         const char *outcome);

/* The ids of the projects whose github_repo is `repo` in any case ("Owner/Repo" names
 * "owner/repo"), by id, at most max of them, in ids[*n]. BG_OK or BG_EDB. */
int bg_webhook_store_projects(struct bg_store *s, const char *repo, long long *ids, size_t max,
                              size_t *n);

#endif
