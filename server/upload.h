/* upload.h: an upload: storing a run with its verdict and change points, and the answer.
 *
 * The use case behind POST /api/v1/projects/{p}/runs, and the recovery the server runs at
 * start for uploads it did not finish. How the verdict is decided beside the insert, and the
 * states an upload goes through, are described in upload.c.
 */
#ifndef BG_UPLOAD_H
#define BG_UPLOAD_H

#include "buf.h"
#include "error.h"
#include "run.h"
#include "store.h"

/* Checks what an upload's `confirms` names (lib/confirm.h), before it is stored: a run of
 * project p with the same commit and testbed. BG_OK (also without `confirms`), BG_EINVAL with
 * e naming "confirms", or BG_EDB. */
int bg_upload_check_confirms(struct bg_store *s, const struct bg_project *p,
                             const struct bg_run *run, struct bg_ferr *e);

/* Stores validated run `run` of project p with its verdict and its change-point screening,
 * and appends the answer {"run_id":...,"verdict":{...}} to `answer`. The run is keyed by its
 * run_id (compared as given: callers lowercase it). When this returns BG_OK the run and its
 * verdict are committed: together in one transaction, or, when the decision was not done by
 * the end of the insert, the run first (marked BG_VERDICT_PENDING) and its verdict in a second
 * transaction. Idempotent: when the run_id is stored with the same content (the content hash
 * of store_runs.h) *replay is set to 1 and nothing is written, unless the run still awaits its
 * verdict, which is then decided and stored; the answer holds the stored verdict. A changed
 * testbed fingerprint adds a server warning to the stored run. A confirmation (run->confirms)
 * is decided on its stored chain inside the insert's transaction. The job the run names is
 * completed with the run, or, for a run whose uploader confirms (confirmable, or a
 * confirmation), with the first of its chain whose verdict is final. Errors: BG_ECONFLICT (same
 * run_id, other content), BG_EDB with the message on s (bg_store_errmsg). */
int bg_upload_run(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                  int *replay, struct bg_buf *answer);

/* Settles the runs interrupted uploads left without their verdict (BG_VERDICT_PENDING: the
 * server stopped between storing a run and storing its verdict): decides and stores each
 * verdict and screens the run's change points, one write transaction per run, oldest first.
 * A run that cannot be settled stays pending. The server calls it at start. BG_OK, or BG_EDB
 * when the pending runs or their projects cannot be read or a transaction cannot begin. */
int bg_upload_recover(struct bg_store *s);

/* The cap on uploads handled at once (--max-uploads): an upload of 100 000 results holds
 * ~150 MB while it is parsed, stored and decided, so the server's memory is bounded by the
 * cap, not by how many agents upload at once. A slot per database, shared by its threads.
 * bg_upload_slot_take returns 1 with a slot taken, or 0 when `max` are in use (max <= 0: no
 * cap, always 1); every 1 is paired with a bg_upload_slot_release. */
int bg_upload_slot_take(struct bg_db *db, int max);
void bg_upload_slot_release(struct bg_db *db);

/* Uploads holding a slot now (the /metrics gauge benchgate_uploads_in_progress). */
int bg_upload_slots_used(struct bg_db *db);

/* For tests: the decision thread of every later upload to database db sleeps `ms` before it
 * decides, as it may wait for a core when other uploads keep them busy; 0 ends it. */
void bg_upload_delay_decisions(struct bg_db *db, int ms);

#endif
