#!/usr/bin/env bash
# The server's layers, checked from the compiler's own view of the includes (gcc -MM):
#  - nothing above storage (the use cases, the gate's domain code, the API, HTTP, main) sees
#    SQLite: sqlite3.h, db_sql.h and store_private.h are the storage modules' only (the seam a
#    second backend implements, docs/architecture.md);
#  - no storage module includes a header of the layers above it;
#  - no server source is over 1000 lines.
set -u
source "$(dirname "$0")/lib.sh"

SRC=${BG_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
STORAGE="db db_check store metrics_store store_runs reads project_reads series series_spark verdict_store changepoints_store alerts jobs_store webhook_store outbox_store interleaved_store"
ABOVE_H="upload.h metrics.h log.h ack.h jobs.h verdict.h baseline.h decision.h decision_cache.h changepoints.h api.h routes.h http.h park.h webhook.h webhook_payload.h github_sender.h github_http.h github_auth.h notify.h github_app.h interleaved.h"
SQLITE_H="sqlite3.h db_sql.h store_private.h"

deps() { # the headers server/$1.c includes, directly or through others, one base name a line
  gcc -MM -MG -DBG_VERSION='"0"' -I"$SRC/lib" -I"$SRC/server" -I/usr/include/cjson "$SRC/server/$1.c" |
    tr ' \\' '\n\n' | grep '\.h$' | xargs -n1 basename | sort -u
}

for f in "$SRC"/server/*.c; do
  m=$(basename "$f" .c)
  d=$(deps "$m")
  case " $STORAGE " in
  *" $m "*)
    bad=$(for h in $ABOVE_H; do grep -qx "$h" <<<"$d" && echo "$h"; done)
    check "storage module $m.c includes nothing above storage${bad:+ (it includes: $bad)}" test -z "$bad" ;;
  *)
    bad=$(for h in $SQLITE_H; do grep -qx "$h" <<<"$d" && echo "$h"; done)
    check "$m.c, above storage, does not see SQLite${bad:+ (it includes: $bad)}" test -z "$bad" ;;
  esac
  lines=$(wc -l <"$f")
  check "$m.c is at most 1000 lines ($lines)" test "$lines" -le 1000
done
finish
