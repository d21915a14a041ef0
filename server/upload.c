/* upload.c: an upload, from a validated run to the answer the agent gets.
 *
 * This module is the use case behind POST /api/v1/projects/{p}/runs: it stores the run
 * (store_runs.h), decides its verdict (verdict.h), screens its change points
 * (changepoints.h) and writes the answer. At start it settles the runs that uploads left
 * without their verdict. It holds no SQL: the storage modules read and write.
 *
 * DESIGN
 * ------
 *
 * Storing a run of 1 000 results writes about 1 000 index pages under the database's write
 * lock, which every upload queues on; deciding its verdict reads a few hundred pages and runs
 * the gate. Done one after the other under the lock, each upload would hold the others up
 * for both. So the verdict is decided beside the insert, by two threads on three connections:
 *
 * - The caller's thread (an HTTP worker) prepares the run's rows and content hash outside any
 *   lock, then takes the write lock and, on the connection all uploads write through (the
 *   writer, bg_db_writer: one connection keeps its page cache), checks whether the run is
 *   stored already, inserts its rows and screens its change points, in one transaction.
 * - The caller first opens a read snapshot on the side connection (bg_store_runs_side: a
 *   second connection kept with the caller's), then starts a decision thread ("bg-decide")
 *   that takes the connection over, decides the verdict from the payload on that snapshot
 *   (bg_verdict_decide_payload) and renders the answer. Taken by the caller before the write
 *   lock, the snapshot cannot see the insert, however late the thread gets a core.
 * - The caller's own connection receives the errors, whichever connection they happened on,
 *   and reads a verdict back outside the transactions.
 *
 * The snapshot begins before the insert's transaction does, so the decision sees neither
 * the run nor its screening: it judges the run against the series starts from before this
 * run. A run must not be judged against a baseline start that its own change point moved;
 * the decision made on the stored rows (no side connection) runs before the screening for
 * the same reason.
 *
 * When the decision is done by the end of the insert, the same transaction stores it. When it
 * is not (other uploads keep the cores busy), the run commits marked BG_VERDICT_PENDING, the
 * lock is released, and once the decision is done a short second transaction stores it:
 * waiting for the decision under the lock would hold every other upload up. A crash in
 * between leaves the mark; a replay of the upload or bg_upload_recover at the next start
 * settles the run. Without a side connection (or a thread) the verdict is decided on the
 * stored rows inside the insert's transaction.
 *
 * STATES
 * ------
 *
 * An upload is in one of these (enum upload_state):
 *
 *   DECIDING_BESIDE    the decision thread runs; the insert goes on
 *   DECIDING_HERE      no decision thread: the insert's transaction will decide
 *   REPLAY             the run is stored with its verdict: the stored verdict is the answer
 *   REPLAY_SETTLED     the run is stored, still pending: its verdict was decided and stored now
 *   DECIDED_HERE       the insert's transaction decided and stored the verdict
 *   DECIDED_IN_TIME    the decision was done when the insert was: the same transaction stored it
 *   DECIDE_LATER       it was not: the run committed pending, its verdict is still to store
 *   DECIDED_LATER      the second transaction stored the verdict
 *   SETTLED_ELSEWHERE  the second transaction found the run settled already (a replay came
 *                      first): the stored verdict is the answer
 *
 *   start            -> DECIDING_BESIDE | DECIDING_HERE
 *   DECIDING_*       -> REPLAY | REPLAY_SETTLED           (the run_id is stored, same content)
 *   DECIDING_HERE    -> DECIDED_HERE
 *   DECIDING_BESIDE  -> DECIDED_IN_TIME | DECIDE_LATER
 *   DECIDE_LATER     -> DECIDED_LATER | SETTLED_ELSEWHERE  (after the lock is released)
 *
 * An error in any state rolls the open transaction back and ends the upload with it (after
 * DECIDE_LATER the run stays pending). The state it ends in says where its answer comes
 * from: the decision thread wrote it (DECIDED_IN_TIME, DECIDED_LATER), it is written from
 * the decision after the lock (DECIDED_HERE, REPLAY_SETTLED), or the stored verdict is
 * rendered again (REPLAY inside the transaction, SETTLED_ELSEWHERE after it).
 *
 * RECOVERY
 * --------
 *
 * At start, before the server listens, bg_upload_recover lists the runs marked
 * BG_VERDICT_PENDING and settles each, oldest first, in a write transaction of its own, as a
 * replay would: the verdict decided on the stored rows, then the change-point screening. A
 * run that cannot be settled is rolled back and stays pending for its replay or the next
 * start.
 *
 * INVARIANTS
 * ----------
 *
 * - A run is never visible without its verdict except as BG_VERDICT_PENDING, which a replay
 *   or recovery settles. A decision stored into a run that is no longer pending writes
 *   nothing (bg_verdict_store_decision), so whichever of the late decision, a replay and
 *   recovery comes first decides the run, once.
 * - The decision's snapshot excludes the run and its screening.
 * - No transaction waits for the decision while it holds the write lock.
 * - Uploads write through the writer only, under the write lock; errors are reported on the
 *   caller's connection whichever connection they happened on.
 * - The decision thread is joined exactly once on every path (enum side_state).
 * - The cache of baseline summaries learns a run only after its transaction committed: a
 *   rolled-back run's id may be given to another run.
 */
#include "upload.h"

#include "changepoints.h"
#include "interleaved_store.h"
#include "jobs.h"
#include "json.h"
#include "store_runs.h"
#include "verdict.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Where an upload is; see the header comment for the transitions. */
enum upload_state {
  DECIDING_BESIDE,
  DECIDING_HERE,
  REPLAY,
  REPLAY_SETTLED,
  DECIDED_HERE,
  DECIDED_IN_TIME,
  DECIDE_LATER,
  DECIDED_LATER,
  SETTLED_ELSEWHERE,
};

/* The decision thread's life: it is joined once, by whoever needs its decision first or, when
 * nobody does (a replay, an error), at the end of the upload. */
enum side_state {
  SIDE_NONE,    /* never started */
  SIDE_RUNNING, /* started, not joined */
  SIDE_JOINED,
};

/* The verdict of a run not stored yet, decided on the side connection's read snapshot. */
struct decide_job {
  struct bg_store *s;
  const struct bg_project *p;
  const struct bg_run *run;
  const struct bg_verdict_row *rows; /* the results' summaries (the insert sets their ids) */
  long long now;
  int delay_ms; /* bg_upload_delay_decisions */
  struct bg_verdict_answer *answer;
  struct bg_buf out; /* the upload's answer with this verdict, written beside the insert */
  int rc;
  atomic_int done; /* set last: answer, out and rc are final */
};

/* One upload in progress. */
struct upload {
  enum upload_state state;
  struct bg_store *own; /* the caller's connection: errors are reported on it */
  const struct bg_project *p;
  const struct bg_run *run;
  struct bg_run_rows in;             /* the run made ready to store, outside the lock */
  struct bg_stored_run stored;       /* what the insert stored it as (rid 0: not inserted) */
  struct bg_verdict_answer *decided; /* the decision taken over, to store and answer from */
  struct decide_job job;
  pthread_t thread;
  enum side_state side;
};

/* The upload's answer: {"run_id":..,"verdict":..} with the verdict as text, or written from
 * decision `a` when verdict is NULL. */
static void answer_json(struct bg_buf *out, const char *run_id, const char *verdict,
                        const struct bg_verdict_answer *a) {
  bg_buf_puts(out, "{\"run_id\":");
  bg_json_str(out, run_id);
  bg_buf_puts(out, ",\"verdict\":");
  if (!verdict && a)
    bg_verdict_answer_write(a, out);
  else
    bg_buf_puts(out, verdict && *verdict ? verdict : "null");
  bg_buf_puts(out, "}");
}

/* Appends the answer with the stored verdict of run `rid`, rendered again from what its
 * upload pinned (baseline runs, thresholds) with the acknowledgements made since. */
static int answer_stored(struct bg_store *s, const struct upload *u, long long rid,
                         struct bg_buf *answer) {
  char *verdict = NULL;
  int rc = bg_verdict_run_answer(s, u->p, rid, &verdict);
  if (rc == BG_OK)
    answer_json(answer, u->run->run_id, verdict, NULL);
  cJSON_free(verdict);
  return rc;
}

/* Decides and stores the verdict of pending run `rid` and screens its change points, inside
 * the caller's write transaction (a replay of a run whose upload did not finish, recovery).
 * The decision goes to *decided. */
static int settle(struct bg_store *s, const struct bg_project *p, long long rid,
                  struct bg_verdict_answer **decided) {
  int rc = bg_verdict_update_run(s, p, rid, decided);
  if (rc == BG_OK)
    rc = bg_changepoints_update_run(s, p, rid);
  return rc;
}

/* ---- the decision thread ---- */

/* What uploads of one database share besides their runs: the slots of --max-uploads, and
 * the decision delay of tests. */
struct upload_settings {
  atomic_int decision_delay_ms;
  atomic_int in_progress; /* slots taken */
};

static void *settings_create(void) {
  struct upload_settings *st = calloc(1, sizeof *st);
  if (st) {
    atomic_init(&st->decision_delay_ms, 0);
    atomic_init(&st->in_progress, 0);
  }
  return st;
}

static const struct bg_db_shared upload_settings_kind = {"upload settings", settings_create, free};

void bg_upload_delay_decisions(struct bg_db *db, int ms) {
  struct upload_settings *st = bg_db_shared(db, &upload_settings_kind);
  if (st)
    atomic_store(&st->decision_delay_ms, ms > 0 ? ms : 0);
}

int bg_upload_slot_take(struct bg_db *db, int max) {
  struct upload_settings *st = bg_db_shared(db, &upload_settings_kind);
  if (!st)
    return 1;
  /* Taken first and given back when over: never more than max at once. */
  int was = atomic_fetch_add(&st->in_progress, 1);
  if (max > 0 && was >= max) {
    atomic_fetch_sub(&st->in_progress, 1);
    return 0;
  }
  return 1;
}

void bg_upload_slot_release(struct bg_db *db) {
  struct upload_settings *st = bg_db_shared(db, &upload_settings_kind);
  if (st)
    atomic_fetch_sub(&st->in_progress, 1);
}

int bg_upload_slots_used(struct bg_db *db) {
  struct upload_settings *st = bg_db_shared(db, &upload_settings_kind);
  return st ? atomic_load(&st->in_progress) : 0;
}

static int decision_delay(struct bg_store *s) {
  struct upload_settings *st = bg_db_shared(bg_store_database(s), &upload_settings_kind);
  return st ? atomic_load(&st->decision_delay_ms) : 0;
}

static void *decide_main(void *arg) {
  struct decide_job *j = arg;
  pthread_setname_np(pthread_self(), "bg-decide"); /* for top -H and perf */
  if (j->delay_ms) {
    struct timespec d = {j->delay_ms / 1000, (long)(j->delay_ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
  }
  /* The snapshot was taken by the caller (start_decision). */
  int rc = bg_verdict_decide_payload(j->s, j->p, j->run, j->rows, j->now, &j->answer);
  if (rc)
    j->answer = NULL;
  if (rc == BG_OK) {
    bg_verdict_answer_render(j->answer);
    answer_json(&j->out, j->run->run_id, NULL, j->answer);
  }
  int end = bg_store_runs_read_end(j->s, rc == BG_OK);
  j->rc = rc ? rc : end;
  atomic_store(&j->done, 1);
  return NULL;
}

/* Starts the decision beside the insert when a side connection, its snapshot and a thread can
 * be had: DECIDING_BESIDE, else DECIDING_HERE. The snapshot is taken here, before the write
 * lock, so that it cannot see the insert however late the thread gets a core; the thread
 * takes the connection over with its read transaction open. */
static void start_decision(struct upload *u, size_t answer_max) {
  struct decide_job *j = &u->job;
  j->s = bg_store_runs_side(u->own);
  j->p = u->p;
  j->run = u->run;
  j->rows = u->in.rows;
  j->now = u->in.now;
  j->delay_ms = decision_delay(u->own);
  bg_buf_init(&j->out, answer_max);
  atomic_init(&j->done, 0);
  if (j->s && bg_store_runs_read_begin(j->s) == BG_OK) {
    if (pthread_create(&u->thread, NULL, decide_main, j) == 0)
      u->side = SIDE_RUNNING;
    else
      bg_store_runs_read_end(j->s, 0);
  }
  u->state = u->side == SIDE_RUNNING ? DECIDING_BESIDE : DECIDING_HERE;
}

/* Waits for the decision thread when it still runs. */
static void join_decision(struct upload *u) {
  if (u->side == SIDE_RUNNING) {
    pthread_join(u->thread, NULL);
    u->side = SIDE_JOINED;
  }
}

/* Takes the side decision over once it is done and ties it to the run as stored
 * (bg_verdict_answer_bind); a failed decision's error goes to `s`. */
static int take_decision(struct upload *u, struct bg_store *s) {
  join_decision(u);
  if (u->job.rc) {
    bg_store_take_error(s, u->job.s);
    return u->job.rc;
  }
  const struct bg_stored_run *r = &u->stored;
  u->decided = u->job.answer;
  u->job.answer = NULL;
  bg_verdict_answer_bind(u->decided, r->rid, r->commit_id, r->epoch, r->branch_id, r->testbed_id,
                         u->in.rows, u->run->nresults);
  return BG_OK;
}

/* ---- the insert's transaction ---- */

static int complete_waiting_job(struct upload *u, struct bg_store *w, long long rid);

/* A replay of stored run `rid`: REPLAY with the stored verdict as the answer, or, when the
 * run's upload did not get to store its verdict, REPLAY_SETTLED with the run settled now. */
static int replay(struct upload *u, struct bg_store *w, long long rid, struct bg_buf *answer) {
  int pending, rc = bg_verdict_pending(w, rid, &pending);
  if (rc)
    return rc;
  u->state = pending ? REPLAY_SETTLED : REPLAY;
  if (!pending)
    return answer_stored(w, u, rid, answer);
  rc = settle(w, u->p, rid, &u->decided);
  return rc ? rc : complete_waiting_job(u, w, rid);
}

/* 1 when the upload's job waits for the run's final verdict: its uploader runs
 * confirmations, and the job is not done while one is to come. */
static int job_waits(const struct upload *u) {
  return u->run->job_id && (u->run->confirmable || u->run->confirms);
}

/* For a job that waits: completes it with run `rid` once the verdict stored for the run in
 * this transaction is final. Every run's verdict is stored once, so no job completes twice. */
static int complete_waiting_job(struct upload *u, struct bg_store *w, long long rid) {
  int completed = 0;
  if (!job_waits(u) || !bg_verdict_answer_final(u->decided))
    return BG_OK;
  return bg_jobs_complete(w, u->p->id, u->run->job_id, rid, (long long)time(NULL), &completed);
}

/* The first run of the chain a confirmation joins into u->in.confirms_id (checked by
 * bg_upload_check_confirms; a confirmation of a confirmation joins its first run). */
static int find_confirmed(struct upload *u, struct bg_store *w) {
  struct bg_store_confirmed c;
  if (!u->run->confirms)
    return BG_OK;
  int rc = bg_store_runs_confirmed(w, u->p->id, u->run->confirms, &c);
  u->in.confirms_id = c.first ? c.first : c.rid;
  return rc;
}

/* Inserts the run, decides its verdict here or takes the side decision when it is done
 * (DECIDED_HERE, DECIDED_IN_TIME, DECIDE_LATER), and screens its change points. */
static int insert(struct upload *u, struct bg_store *w) {
  int rc, stored;
  if ((rc = find_confirmed(u, w)) || (rc = bg_store_runs_insert(w, u->p, &u->in, &u->stored)) ||
      (rc = bg_istore_insert(w, u->stored.rid, u->run, u->in.rows)))
    return rc;
  /* The job the run was made for is done with it, in the same transaction; a replay does not
   * come here, so no upload completes a job twice. */
  int completed = 0;
  if (u->run->job_id && !job_waits(u) &&
      (rc = bg_jobs_complete(w, u->p->id, u->run->job_id, u->stored.rid, (long long)time(NULL),
                             &completed)))
    return rc;
  /* The verdict must not see the screening of its own run: decided before it. */
  if (u->state == DECIDING_HERE) {
    if ((rc = bg_verdict_update_run(w, u->p, u->stored.rid, &u->decided)) ||
        (rc = complete_waiting_job(u, w, u->stored.rid)))
      return rc;
    u->state = DECIDED_HERE;
  }
  if ((rc = bg_changepoints_update_run(w, u->p, u->stored.rid)))
    return rc;
  if (u->state != DECIDING_BESIDE)
    return BG_OK;
  if (!atomic_load(&u->job.done)) {
    u->state = DECIDE_LATER;
    return BG_OK;
  }
  u->state = DECIDED_IN_TIME;
  if ((rc = take_decision(u, w)) == BG_OK &&
      (rc = bg_verdict_store_decision(w, u->decided, &stored)) == BG_OK)
    rc = complete_waiting_job(u, w, u->stored.rid);
  /* The run was inserted pending by this transaction: nothing else can have settled it. */
  return rc;
}

/* The write transaction: a replay, or the insert. */
static int store_run(struct upload *u, struct bg_buf *answer) {
  struct bg_store *w;
  long long rid = 0;
  int rc = bg_store_runs_write_begin(u->own, &w);
  if (rc)
    return rc;
  if ((rc = bg_store_runs_find(w, u->p->id, &u->in, &rid)) == BG_OK)
    rc = rid ? replay(u, w, rid, answer) : insert(u, w);
  int end = bg_store_runs_write_end(u->own, w, rc == BG_OK);
  return rc ? rc : end;
}

/* DECIDE_LATER: the run is committed, pending; waits for the decision (the lock released)
 * and stores it in a second transaction: DECIDED_LATER, or SETTLED_ELSEWHERE when a replay
 * settled the run first. */
static int store_later(struct upload *u) {
  struct bg_store *w;
  int stored = 0, rc = take_decision(u, u->own);
  if (rc || (rc = bg_store_runs_write_begin(u->own, &w)))
    return rc;
  rc = bg_verdict_store_decision(w, u->decided, &stored);
  if (rc == BG_OK && stored)
    rc = complete_waiting_job(u, w, u->stored.rid);
  int end = bg_store_runs_write_end(u->own, w, rc == BG_OK);
  if ((rc = rc ? rc : end) == BG_OK)
    u->state = stored ? DECIDED_LATER : SETTLED_ELSEWHERE;
  return rc;
}

/* The answer of a finished upload, from where its state says it is. */
static int answer_upload(struct upload *u, struct bg_buf *answer) {
  switch (u->state) {
  case DECIDED_IN_TIME:
  case DECIDED_LATER: /* the decision thread wrote it beside the insert */
    bg_buf_free(answer);
    *answer = u->job.out;
    bg_buf_init(&u->job.out, 0);
    return BG_OK;
  case DECIDED_HERE:
  case REPLAY_SETTLED: /* written now, outside the write lock */
    answer_json(answer, u->run->run_id, NULL, u->decided);
    return BG_OK;
  case SETTLED_ELSEWHERE: /* the verdict the replay stored is the run's */
    return answer_stored(u->own, u, u->stored.rid, answer);
  case REPLAY: /* written inside the transaction */
  default:
    return BG_OK;
  }
}

int bg_upload_run(struct bg_store *s, const struct bg_project *p, const struct bg_run *run,
                  int *replay_out, struct bg_buf *answer) {
  struct upload u = {.own = s, .p = p, .run = run, .side = SIDE_NONE};
  /* The results' summaries and the content hash once, for the insert and the decision,
   * outside the write lock. */
  bg_store_runs_prepare(run, (long long)time(NULL), &u.in);
  if (run->confirms)
    u.state = DECIDING_HERE; /* decided on its stored chain (confirm.h), in the insert */
  else
    start_decision(&u, answer->max);
  bg_store_runs_prepare_insert(&u.in); /* the content hash while the decision starts */
  int rc = store_run(&u, answer);
  /* A default-branch run is the next uploads' baseline: keep its summaries at hand (outside
   * the write lock; a decision that misses it meanwhile reads it from the database). */
  if (rc == BG_OK && u.stored.rid)
    bg_verdict_cache_run(s, p, run, u.stored.rid, u.in.rows, run->nresults);
  if (rc == BG_OK && u.state == DECIDE_LATER)
    rc = store_later(&u);
  join_decision(&u); /* a replay or an error did not need it */
  bg_verdict_answer_free(u.job.answer);
  if (rc == BG_OK)
    rc = answer_upload(&u, answer);
  *replay_out = u.state == REPLAY || u.state == REPLAY_SETTLED;
  bg_buf_free(&u.job.out);
  bg_verdict_answer_free(u.decided);
  bg_store_runs_free(&u.in);
  return rc;
}

int bg_upload_check_confirms(struct bg_store *s, const struct bg_project *p,
                             const struct bg_run *run, struct bg_ferr *e) {
  struct bg_store_confirmed c;
  if (!run->confirms)
    return BG_OK;
  int rc = bg_store_runs_confirmed(s, p->id, run->confirms, &c);
  if (rc)
    return rc;
  if (!c.rid)
    return bg_ferr_set(e, "confirms", "no run %s in project %s", run->confirms, p->slug);
  if (strcmp(c.sha, run->commit.sha) || strcmp(c.testbed, run->testbed))
    return bg_ferr_set(e, "confirms",
                       "run %s is of commit %.12s on testbed %s; a confirmation is a run of the "
                       "same commit on the same testbed",
                       run->confirms, c.sha, c.testbed);
  return BG_OK;
}

/* ---- recovery ---- */

/* Settles pending run r in a write transaction of its own. A run that cannot be settled now
 * is rolled back and stays pending: a replay of its upload or the next start settles it. */
static int recover_run(struct bg_store *s, const struct bg_pending_run *r) {
  struct bg_project p;
  struct bg_verdict_answer *decided = NULL;
  int pending = 0, rc;
  if ((rc = bg_store_project_by_id(s, r->project_id, &p)) || (rc = bg_store_write_begin(s)))
    return rc;
  /* An upload's replay may have settled it since the list was read. */
  if ((rc = bg_verdict_pending(s, r->rid, &pending)) == BG_OK && pending)
    rc = settle(s, &p, r->rid, &decided);
  bg_verdict_answer_free(decided);
  return bg_store_write_end(s, rc == BG_OK);
}

int bg_upload_recover(struct bg_store *s) {
  struct bg_pending_run *runs = NULL;
  size_t n = 0;
  int rc = bg_store_runs_pending(s, &runs, &n);
  for (size_t i = 0; i < n && rc == BG_OK; i++)
    rc = recover_run(s, &runs[i]);
  free(runs);
  return rc;
}
