/* db.c: the database object and its connections (db.h, db_sql.h).
 *
 * A connection keeps, per storage module that used it, the module's prepared statements and
 * state, in a short array searched by the module's address: a connection sees about six
 * modules, so the search is a few pointer comparisons.
 */
#include "db_sql.h"

#include "mem.h"
#include "migrations.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What one module keeps on one connection. */
struct module_slot {
  const struct bg_store_module *m;
  sqlite3_stmt **st; /* m->nsql statements, NULL until prepared */
  void *state;
};

struct bg_store {
  struct bg_db *db;
  sqlite3 *sql;
  struct module_slot mods[BG_STORE_MODULES_MAX];
  int nmods;
  int last;          /* the slot slot_of found last */
  int owns_db;       /* 1: opened by bg_store_open, the database is the connection's own */
  int fail_code;     /* sqlite3_extended_errcode of the last failure; SQLITE_OK: none */
  long long changes; /* sqlite3_total_changes64 at the last BEGIN */
  long long busy_since_ms; /* when the current wait for a lock began */
  char errmsg[256];
};

#define SHARED_MAX 8

struct bg_db {
  char *path;
  pthread_key_t thread_key; /* this thread's connection */
  pthread_mutex_t write_lock;
  struct bg_store *writer; /* under write_lock */
  pthread_mutex_t shared_lock;
  struct {
    const struct bg_db_shared *kind;
    void *st;
  } shared[SHARED_MAX];
  struct bg_checkpointer *checkpointer;
  atomic_int no_space; /* a write failed for want of space; cleared by a commit or a probe */
  int migrated_from, migrated_to; /* the schema versions before and after bg_db_open */
};

static void checkpointer_stop(struct bg_checkpointer *c);

/* ---- errors and plain SQL ---- */

/* 1 for the codes that mean the disk took no more: SQLITE_FULL, and the I/O errors of writing,
 * syncing or growing a file (what a full file system gives where it cannot say ENOSPC). */
static int is_no_space(int code) {
  switch (code) {
  case SQLITE_FULL:
  case SQLITE_IOERR_WRITE:
  case SQLITE_IOERR_FSYNC:
  case SQLITE_IOERR_DIR_FSYNC:
  case SQLITE_IOERR_TRUNCATE:
  case SQLITE_IOERR_SHMSIZE:
  case SQLITE_IOERR_SHMMAP:
    return 1;
  default:
    return 0;
  }
}

/* Keeps the failure's code; one for want of space marks the database until space is back. */
static void note_failure(struct bg_store *s) {
  s->fail_code = sqlite3_extended_errcode(s->sql);
  if (s->db && is_no_space(s->fail_code))
    atomic_store(&s->db->no_space, 1);
}

int bg_store_fail(struct bg_store *s, const char *what) {
  note_failure(s);
  snprintf(s->errmsg, sizeof s->errmsg, "%s: %s", what, sqlite3_errmsg(s->sql));
  return BG_EDB;
}

void bg_store_take_error(struct bg_store *s, const struct bg_store *from) {
  if (s == from)
    return;
  memcpy(s->errmsg, from->errmsg, sizeof s->errmsg);
  s->fail_code = from->fail_code;
}

int bg_store_no_space(const struct bg_store *s) {
  return s && is_no_space(s->fail_code);
}

void bg_db_migrated(const struct bg_db *db, int *from, int *to) {
  *from = db->migrated_from;
  *to = db->migrated_to;
}

int bg_db_space_probe(struct bg_db *db, char *why, size_t whylen) {
  if (!atomic_load(&db->no_space))
    return BG_OK;
  /* Space for BG_DB_SPACE_PROBE bytes in the database's directory, in an unnamed file
   * (O_TMPFILE) that vanishes on close; where O_TMPFILE is not supported, a named one. */
  char dir[4096], named[4200];
  snprintf(dir, sizeof dir, "%s", db->path);
  char *slash = strrchr(dir, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else
    slash[slash == dir] = '\0'; /* "/x.db" keeps "/" */
  snprintf(named, sizeof named, "%s.space-probe", db->path);
  int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  int tmp = fd >= 0;
  if (!tmp)
    fd = open(named, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  int err = fd < 0 ? errno : posix_fallocate(fd, 0, BG_DB_SPACE_PROBE);
  if (fd >= 0)
    close(fd);
  if (!tmp && fd >= 0)
    unlink(named);
  if (err) {
    snprintf(why, whylen,
             "the database cannot be written: a write failed for want of disk space, and %d "
             "bytes cannot be allocated next to %s (%s)",
             BG_DB_SPACE_PROBE, db->path, strerror(err));
    return BG_EIO;
  }
  atomic_store(&db->no_space, 0);
  return BG_OK;
}

const char *bg_store_errmsg(const struct bg_store *s) {
  return s ? s->errmsg : "";
}

sqlite3 *bg_store_sqlite(struct bg_store *s) {
  return s->sql;
}

struct bg_db *bg_store_database(const struct bg_store *s) {
  return s->db;
}

int bg_store_exec(struct bg_store *s, const char *sql, const char *what) {
  char *msg = NULL;
  if (sqlite3_exec(s->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
    note_failure(s);
    snprintf(s->errmsg, sizeof s->errmsg, "%s: %s", what, msg ? msg : sqlite3_errmsg(s->sql));
    sqlite3_free(msg);
    return BG_EDB;
  }
  return BG_OK;
}

int bg_store_step_done(struct bg_store *s, sqlite3_stmt *st, const char *what) {
  int rc = BG_OK;
  if (!st)
    return BG_EDB;
  if (sqlite3_step(st) != SQLITE_DONE)
    rc = bg_store_fail(s, what);
  bg_store_done(st);
  return rc;
}

int bg_store_lookup_id(struct bg_store *s, sqlite3_stmt *st, long long a, const char *name,
                       long long *id) {
  int rc = BG_OK;
  *id = 0;
  if (!st)
    return BG_EDB;
  sqlite3_bind_int64(st, 1, a);
  bg_store_bind_text(st, 2, name);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    *id = sqlite3_column_int64(st, 0);
  else if (step != SQLITE_DONE)
    rc = bg_store_fail(s, "lookup");
  bg_store_done(st);
  return rc;
}

/* ---- statements and module state ---- */

static struct module_slot *slot_of(struct bg_store *s, const struct bg_store_module *m) {
  /* A module mostly runs several statements in a row (an upload's 1 000 result inserts). */
  if (s->nmods && s->mods[s->last].m == m)
    return &s->mods[s->last];
  for (int i = 0; i < s->nmods; i++)
    if (s->mods[i].m == m)
      return &s->mods[s->last = i];
  if (s->nmods == BG_STORE_MODULES_MAX) {
    /* A build with more storage modules than BG_STORE_MODULES_MAX: raise it. */
    fprintf(stderr, "benchgated: module %s: BG_STORE_MODULES_MAX too small\n", m->name);
    abort();
  }
  s->last = s->nmods;
  struct module_slot *slot = &s->mods[s->nmods++];
  slot->m = m;
  slot->st = m->nsql ? bg_xcalloc(m->nsql, sizeof *slot->st) : NULL;
  slot->state = NULL;
  return slot;
}

sqlite3_stmt *bg_store_stmt(struct bg_store *s, const struct bg_store_module *m, size_t i) {
  struct module_slot *slot = slot_of(s, m);
  if (i >= m->nsql) {
    snprintf(s->errmsg, sizeof s->errmsg, "%s: no statement %zu", m->name, i);
    return NULL;
  }
  if (!slot->st[i] && sqlite3_prepare_v3(s->sql, m->sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                         &slot->st[i], NULL) != SQLITE_OK) {
    char what[64];
    snprintf(what, sizeof what, "%s: prepare", m->name);
    bg_store_fail(s, what);
    slot->st[i] = NULL;
  }
  return slot->st[i];
}

void **bg_store_state(struct bg_store *s, const struct bg_store_module *m) {
  return &slot_of(s, m)->state;
}

/* ---- transactions ---- */

/* BEGIN, COMMIT and ROLLBACK run on every request: prepared once, like the rest. */
enum { TX_BEGIN, TX_BEGIN_READ, TX_COMMIT, TX_ROLLBACK, TX_COUNT };
static const char *const tx_sql[TX_COUNT] = {"BEGIN IMMEDIATE", "BEGIN", "COMMIT", "ROLLBACK"};
static const struct bg_store_module tx = {"transaction", tx_sql, TX_COUNT, NULL, NULL};

int bg_store_begin(struct bg_store *s) {
  s->changes = (long long)sqlite3_total_changes64(s->sql);
  return bg_store_step_done(s, bg_store_stmt(s, &tx, TX_BEGIN), "begin");
}

int bg_store_begin_read(struct bg_store *s) {
  return bg_store_step_done(s, bg_store_stmt(s, &tx, TX_BEGIN_READ), "begin read");
}

int bg_store_commit(struct bg_store *s) {
  long long changes = (long long)sqlite3_total_changes64(s->sql);
  int rc = bg_store_step_done(s, bg_store_stmt(s, &tx, TX_COMMIT), "commit");
  /* A commit that wrote rows found space for them; an empty one proves nothing. */
  if (rc == BG_OK && s->db && changes > s->changes)
    atomic_store(&s->db->no_space, 0);
  return rc;
}

void bg_store_rollback(struct bg_store *s) {
  if (!sqlite3_get_autocommit(s->sql)) {
    char keep[sizeof s->errmsg];
    memcpy(keep, s->errmsg, sizeof keep); /* the failure that led here is the one to report */
    bg_store_step_done(s, bg_store_stmt(s, &tx, TX_ROLLBACK), "rollback");
    memcpy(s->errmsg, keep, sizeof keep);
  }
  for (int i = 0; i < s->nmods; i++)
    if (s->mods[i].m->rolled_back && s->mods[i].state)
      s->mods[i].m->rolled_back(s->mods[i].state);
}

void bg_db_lock(struct bg_db *db) {
  pthread_mutex_lock(&db->write_lock);
}

void bg_db_unlock(struct bg_db *db) {
  pthread_mutex_unlock(&db->write_lock);
}

int bg_store_write_begin(struct bg_store *s) {
  bg_db_lock(s->db);
  s->fail_code = SQLITE_OK; /* a failure of this transaction is the one to report */
  int rc = bg_store_begin(s);
  if (rc)
    bg_db_unlock(s->db);
  return rc;
}

int bg_store_write_end(struct bg_store *s, int ok) {
  int rc = BG_OK;
  if (ok && (rc = bg_store_commit(s)) == BG_OK) {
    bg_db_unlock(s->db);
    return BG_OK;
  }
  bg_store_rollback(s);
  bg_db_unlock(s->db);
  return rc;
}

/* ---- open, migrate, close ---- */

int bg_store_version(struct bg_store *s) {
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(s->sql, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Applies every migration above user_version, each in its own IMMEDIATE transaction that
 * re-reads the version, so concurrent openers apply each migration once. */
static int migrate(struct bg_store *s) {
  int rc = BG_OK;
  for (size_t i = 0; i < bg_migrations_count; i++) {
    const struct bg_migration *m = &bg_migrations[i];
    if (bg_store_version(s) >= m->version)
      continue;
    if ((rc = bg_store_exec(s, "BEGIN IMMEDIATE", "migration")))
      return rc;
    int v = bg_store_version(s);
    if (v < m->version) {
      char pragma[64];
      snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
      if ((rc = bg_store_exec(s, m->sql, m->name)) || (rc = bg_store_exec(s, pragma, m->name))) {
        bg_store_exec(s, "ROLLBACK", "rollback");
        return rc;
      }
    }
    if ((rc = bg_store_exec(s, "COMMIT", m->name)))
      return rc;
    if (v < m->version && s->db) {
      if (!s->db->migrated_to)
        s->db->migrated_from = v;
      s->db->migrated_to = m->version;
    }
  }
  int latest = bg_migrations_count ? bg_migrations[bg_migrations_count - 1].version : 0;
  if (bg_store_version(s) > latest) {
    snprintf(s->errmsg, sizeof s->errmsg,
             "database schema version %d is newer than this benchgated (%d)", bg_store_version(s),
             latest);
    return BG_EDB;
  }
  return rc;
}

static void conn_free(struct bg_store *s) {
  if (!s)
    return;
  for (int i = 0; i < s->nmods; i++) {
    struct module_slot *slot = &s->mods[i];
    for (size_t k = 0; k < slot->m->nsql; k++)
      sqlite3_finalize(slot->st[k]);
    free(slot->st);
    if (slot->state && slot->m->free_state)
      slot->m->free_state(slot->state);
  }
  sqlite3_close(s->sql);
  free(s);
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SQLite's busy handler: waits up to BG_DB_BUSY_MS for a lock, looking every half
 * millisecond. The server's uploads take the write lock one after another with gaps of
 * microseconds; SQLite's own timeout handler sleeps up to 100 ms between looks and so, for a
 * second process (`benchgated token revoke` under load), can miss every gap for its whole
 * timeout. */
static int busy_wait(void *arg, int count) {
  struct bg_store *s = arg;
  long long now = mono_ms();
  if (count == 0)
    s->busy_since_ms = now;
  if (now - s->busy_since_ms >= BG_DB_BUSY_MS)
    return 0;
  struct timespec half = {0, 500 * 1000};
  nanosleep(&half, NULL);
  return 1;
}

/* A new connection of db; migrate: apply pending migrations too. */
static int conn_open(struct bg_db *db, int migrations, struct bg_store **out, char *err,
                     size_t errlen) {
  struct bg_store *s = bg_xcalloc(1, sizeof *s);
  int rc = BG_OK;
  *out = NULL;
  s->db = db;
  if (sqlite3_open_v2(db->path, &s->sql,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    rc = s->sql ? bg_store_fail(s, "open") : BG_ENOMEM;
    goto out;
  }
  sqlite3_extended_result_codes(s->sql, 1);
  sqlite3_busy_handler(s->sql, busy_wait, s);
  /* WAL with synchronous=NORMAL survives a killed process (not a power cut) with every
   * committed transaction; that is the durability promise. */
  sqlite3_wal_autocheckpoint(s->sql, BG_DB_WAL_PAGES);
  if ((rc = bg_store_exec(s, "PRAGMA journal_mode = WAL", "journal_mode")) ||
      (rc = bg_store_exec(s, "PRAGMA synchronous = NORMAL", "synchronous")) ||
      (rc = bg_store_exec(s, "PRAGMA foreign_keys = ON", "foreign_keys")) ||
      (rc = bg_store_exec(s, "PRAGMA cache_size = -8000", "cache_size")) ||
      (rc = bg_store_exec(s, "PRAGMA mmap_size = 0", "mmap_size")) ||
      (migrations && (rc = migrate(s))))
    goto out;
out:
  if (rc) {
    snprintf(err, errlen, "%s: %s", db->path, s->errmsg[0] ? s->errmsg : bg_strerror(rc));
    conn_free(s);
    return rc == BG_ENOMEM ? BG_ENOMEM : BG_EDB;
  }
  *out = s;
  return BG_OK;
}

int bg_db_connect(struct bg_db *db, struct bg_store **out, char *err, size_t errlen) {
  return conn_open(db, 0, out, err, errlen);
}

static void thread_destroy(void *p) {
  conn_free(p);
}

int bg_db_open(const char *path, struct bg_db **out, char *err, size_t errlen) {
  struct bg_db *db = bg_xcalloc(1, sizeof *db);
  struct bg_store *first = NULL;
  *out = NULL;
  db->path = bg_xstrdup(path);
  pthread_mutex_init(&db->write_lock, NULL);
  pthread_mutex_init(&db->shared_lock, NULL);
  if (pthread_key_create(&db->thread_key, thread_destroy) != 0) {
    snprintf(err, errlen, "%s: no thread key left", path);
    pthread_mutex_destroy(&db->write_lock);
    pthread_mutex_destroy(&db->shared_lock);
    free(db->path);
    free(db);
    return BG_ENOMEM;
  }
  int rc = conn_open(db, 1, &first, err, errlen);
  if (rc) {
    bg_db_close(db);
    return rc;
  }
  pthread_setspecific(db->thread_key, first); /* the opener's connection */
  *out = db;
  return BG_OK;
}

void bg_db_close(struct bg_db *db) {
  if (!db)
    return;
  checkpointer_stop(db->checkpointer);
  db->checkpointer = NULL;
  bg_db_thread_release(db);
  conn_free(db->writer);
  for (int i = 0; i < SHARED_MAX; i++)
    if (db->shared[i].kind)
      db->shared[i].kind->destroy(db->shared[i].st);
  pthread_key_delete(db->thread_key);
  pthread_mutex_destroy(&db->write_lock);
  pthread_mutex_destroy(&db->shared_lock);
  free(db->path);
  free(db);
}

const char *bg_db_path(const struct bg_db *db) {
  return db->path;
}

struct bg_store *bg_db_thread(struct bg_db *db, char *err, size_t errlen) {
  struct bg_store *s = pthread_getspecific(db->thread_key);
  if (s)
    return s;
  if (conn_open(db, 0, &s, err, errlen) != BG_OK)
    return NULL;
  pthread_setspecific(db->thread_key, s);
  return s;
}

void bg_db_thread_release(struct bg_db *db) {
  struct bg_store *s = pthread_getspecific(db->thread_key);
  pthread_setspecific(db->thread_key, NULL);
  conn_free(s);
}

struct bg_store *bg_db_writer(struct bg_db *db, struct bg_store *own) {
  char err[256];
  if (!db->writer && conn_open(db, 0, &db->writer, err, sizeof err) != BG_OK)
    db->writer = NULL;
  return db->writer ? db->writer : own;
}

void *bg_db_shared(struct bg_db *db, const struct bg_db_shared *kind) {
  void *st = NULL;
  pthread_mutex_lock(&db->shared_lock);
  int i = 0;
  while (i < SHARED_MAX && db->shared[i].kind && db->shared[i].kind != kind)
    i++;
  if (i < SHARED_MAX) {
    if (!db->shared[i].kind) {
      db->shared[i].kind = kind;
      db->shared[i].st = kind->create();
    }
    st = db->shared[i].st;
  }
  pthread_mutex_unlock(&db->shared_lock);
  return st;
}

/* ---- a connection of its own ---- */

int bg_store_open(const char *path, struct bg_store **out, char *err, size_t errlen) {
  struct bg_db *db = NULL;
  *out = NULL;
  int rc = bg_db_open(path, &db, err, errlen);
  if (rc)
    return rc;
  /* The opener's connection becomes the caller's: it leaves the thread's slot. */
  struct bg_store *s = pthread_getspecific(db->thread_key);
  pthread_setspecific(db->thread_key, NULL);
  s->owns_db = 1;
  *out = s;
  return BG_OK;
}

void bg_store_close(struct bg_store *s) {
  if (!s)
    return;
  struct bg_db *db = s->owns_db ? s->db : NULL;
  conn_free(s);
  bg_db_close(db);
}

/* ---- the checkpointer ---- */

struct bg_checkpointer {
  struct bg_store *s;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int stop;
  int interval_ms;
};

static void *checkpoint_loop(void *arg) {
  struct bg_checkpointer *c = arg;
  int settled = -1;
  pthread_mutex_lock(&c->lock);
  while (!c->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)c->interval_ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&c->wake, &c->lock, &until);
    if (c->stop)
      break;
    pthread_mutex_unlock(&c->lock);
    /* PASSIVE never blocks writers; it copies what readers no longer need. Under a steady
     * stream of uploads it never catches up with the last frames, so the WAL never starts
     * over and would grow until a writer's own checkpoint (BG_DB_WAL_PAGES) copies and
     * syncs the lot inside an upload (60-100 ms with 1 000-result runs). Once the WAL passes
     * BG_DB_WAL_RESET pages, a last pass under the write lock copies the few frames
     * written since the one before, so the next writer starts the WAL over. */
    int log = 0, done = 0;
    sqlite3_wal_checkpoint_v2(c->s->sql, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    /* The locked pass holds every upload up for as long as it copies. A pass copies what the
     * WAL held when it began (30-40 ms for 10 000 frames), while uploads go on writing: first
     * catch up without the lock, each pass copying what was written during the last, until a
     * pass finds little new (the locked one then has little left). */
    for (int pass = 0, before; pass < 4 && log > BG_DB_WAL_RESET && log != settled; pass++) {
      before = done;
      sqlite3_wal_checkpoint_v2(c->s->sql, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      if (done - before <= BG_DB_WAL_LEFT)
        break;
    }
    if (log > BG_DB_WAL_RESET && log != settled) {
      bg_db_lock(c->s->db);
      sqlite3_wal_checkpoint_v2(c->s->sql, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      bg_db_unlock(c->s->db);
      settled = log == done ? log : -1; /* an idle WAL needs no second pass again */
    }
    pthread_mutex_lock(&c->lock);
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

int bg_db_checkpointer_start(struct bg_db *db, int interval_ms, char *err, size_t errlen) {
  if (db->checkpointer)
    return BG_OK;
  struct bg_checkpointer *c = bg_xcalloc(1, sizeof *c);
  if (conn_open(db, 0, &c->s, err, errlen) != BG_OK) {
    free(c);
    return BG_EDB;
  }
  c->interval_ms = interval_ms;
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->wake, NULL);
  if (pthread_create(&c->thread, NULL, checkpoint_loop, c) != 0) {
    snprintf(err, errlen, "cannot start the checkpoint thread");
    conn_free(c->s);
    free(c);
    return BG_EDB;
  }
  db->checkpointer = c;
  return BG_OK;
}

static void checkpointer_stop(struct bg_checkpointer *c) {
  if (!c)
    return;
  pthread_mutex_lock(&c->lock);
  c->stop = 1;
  pthread_cond_signal(&c->wake);
  pthread_mutex_unlock(&c->lock);
  pthread_join(c->thread, NULL);
  sqlite3_wal_checkpoint_v2(c->s->sql, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  conn_free(c->s);
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->wake);
  free(c);
}
