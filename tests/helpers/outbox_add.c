/* outbox_add.c: adds outbox rows to a benchgate database through the real bg_outbox_add, for
 * tests/integration/test_outbox.sh (the rows a state change would add, before anything adds
 * them in the server).
 *
 *   outbox_add DB PROJECT KIND REPO SHA CONTEXT PR BODY [KIND REPO SHA CONTEXT PR BODY]...
 *
 * KIND is status, check_run or comment; PR is 0 except for comments. Every row goes in one
 * write transaction, in the order given. Exits 0, or 1 with the reason on stderr.
 */
#include "db.h"
#include "outbox_store.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  struct bg_store *s = NULL;
  struct bg_project p;
  char err[256];
  int rc = 1;
  if (argc < 9 || (argc - 3) % 6 != 0) {
    fprintf(stderr, "usage: outbox_add DB PROJECT KIND REPO SHA CONTEXT PR BODY...\n");
    return 2;
  }
  if (bg_store_open(argv[1], &s, err, sizeof err) != BG_OK) {
    fprintf(stderr, "outbox_add: %s\n", err);
    return 1;
  }
  if (bg_store_project_get(s, argv[2], &p) != BG_OK) {
    fprintf(stderr, "outbox_add: no project %s\n", argv[2]);
    goto out;
  }
  if (bg_store_write_begin(s) != BG_OK) {
    fprintf(stderr, "outbox_add: %s\n", bg_store_errmsg(s));
    goto out;
  }
  int r = BG_OK;
  for (int i = 3; r == BG_OK && i + 5 < argc; i += 6) {
    struct bg_outbox_item it = {p.id,        BG_OUTBOX_STATUS, argv[i + 1],
                                argv[i + 2], argv[i + 3],      strtoll(argv[i + 4], NULL, 10),
                                argv[i + 5]};
    if (!strcmp(argv[i], "check_run"))
      it.kind = BG_OUTBOX_CHECK_RUN;
    else if (!strcmp(argv[i], "comment"))
      it.kind = BG_OUTBOX_COMMENT;
    r = bg_outbox_add(s, &it, (long long)time(NULL));
    if (r)
      fprintf(stderr, "outbox_add: row %d: %s %s\n", (i - 3) / 6 + 1, bg_strerror(r),
              bg_store_errmsg(s));
  }
  if (bg_store_write_end(s, r == BG_OK) == BG_OK && r == BG_OK)
    rc = 0;
out:
  bg_store_close(s);
  return rc;
}
