/* spool.c: the on-disk queue of undelivered runs: atomic writes, listing, reading, removal. */
#include "spool.h"

#include "buf.h"
#include "mem.h"
#include "valid.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SPOOL_SCHEMA "benchgate.spool/v1"

int bg_spool_dir(const char *flag, char *out, size_t outlen) {
  const char *env = getenv("BENCHGATE_SPOOL"), *xdg = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  int n;
  if (flag && *flag)
    n = snprintf(out, outlen, "%s", flag);
  else if (env && *env)
    n = snprintf(out, outlen, "%s", env);
  else if (xdg && xdg[0] == '/')
    n = snprintf(out, outlen, "%s/benchgate/spool", xdg);
  else if (home && *home)
    n = snprintf(out, outlen, "%s/.local/state/benchgate/spool", home);
  else
    return BG_EINVAL;
  return n > 0 && (size_t)n < outlen ? BG_OK : BG_EINVAL;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(const char *dir) {
  char p[4096];
  size_t len = strlen(dir);
  if (!len || len >= sizeof p) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(p, dir, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (p[i] != '/' && p[i] != '\0')
      continue;
    char c = p[i];
    p[i] = '\0';
    if (mkdir(p, 0700) < 0 && errno != EEXIST)
      return -1;
    p[i] = c;
  }
  struct stat st;
  if (stat(dir, &st) < 0)
    return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

static void sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd); /* makes the rename durable; failure only loses durability, not data */
    close(fd);
  }
}

/* Writes `text` to `path` via a hidden temporary in the same directory, fsync and rename. */
static int write_atomic(const char *dir, const char *name, const char *text, char *err,
                        size_t errlen) {
  char tmp[4352], path[4352];
  int rc = BG_OK, fd = -1;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp%ld", dir, name, (long)getpid());
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
    return BG_EIO;
  }
  size_t len = strlen(text), done = 0;
  while (done < len) {
    ssize_t w = write(fd, text + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
      rc = BG_EIO;
      goto out;
    }
    done += (size_t)w;
  }
  if (fsync(fd) < 0) {
    snprintf(err, errlen, "%s: cannot sync: %s", tmp, strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  if (close(fd) < 0) {
    fd = -1;
    snprintf(err, errlen, "%s: cannot close: %s", tmp, strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  fd = -1;
  if (rename(tmp, path) < 0) {
    snprintf(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  sync_dir(dir);
out:
  if (fd >= 0)
    close(fd);
  if (rc != BG_OK)
    unlink(tmp);
  return rc;
}

int bg_spool_write(const char *dir, const char *server, const char *project, const char *run_id,
                   const char *run_json, char *path_out, size_t pathlen, char *err, size_t errlen) {
  char name[64], now[32];
  int rc = BG_OK;
  char *text = NULL;
  cJSON *env = NULL, *run = NULL;
  if (errlen)
    err[0] = '\0';
  if (!run_id || !bg_valid_uuid(run_id)) {
    snprintf(err, errlen, "spool: run_id '%s' is not a UUID", run_id ? run_id : "(null)");
    return BG_EINVAL;
  }
  run = cJSON_Parse(run_json ? run_json : "");
  if (!cJSON_IsObject(run)) {
    snprintf(err, errlen, "spool: the run is not a JSON object");
    rc = BG_EINVAL;
    goto out;
  }
  if (make_dirs(dir) < 0) {
    snprintf(err, errlen, "%s: cannot create the spool directory: %s", dir, strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
  env = cJSON_CreateObject();
  cJSON_AddStringToObject(env, "spool", SPOOL_SCHEMA);
  cJSON_AddStringToObject(env, "server", server ? server : "");
  cJSON_AddStringToObject(env, "project", project ? project : "");
  cJSON_AddStringToObject(env, "spooled_at", now);
  cJSON_AddItemToObject(env, "run", run);
  run = NULL;
  text = cJSON_PrintUnformatted(env);
  snprintf(name, sizeof name, "%s.json", run_id);
  rc = write_atomic(dir, name, text, err, errlen);
  if (rc == BG_OK && path_out)
    snprintf(path_out, pathlen, "%s/%s", dir, name);
out:
  cJSON_Delete(run);
  cJSON_Delete(env);
  cJSON_free(text);
  return rc;
}

/* 1 for "<uuid>.json". */
static int spool_name(const char *name, char *run_id) {
  size_t len = strlen(name);
  if (len != 36 + 5 || strcmp(name + 36, ".json"))
    return 0;
  memcpy(run_id, name, 36);
  run_id[36] = '\0';
  return bg_valid_uuid(run_id);
}

static int by_age(const void *a, const void *b) {
  const struct bg_spool_entry *x = a, *y = b;
  if (x->mtime_ns != y->mtime_ns)
    return x->mtime_ns < y->mtime_ns ? -1 : 1;
  return strcmp(x->run_id, y->run_id);
}

int bg_spool_list(const char *dir, struct bg_spool_entry **out, size_t *n, char *err,
                  size_t errlen) {
  struct bg_spool_entry *v = NULL;
  size_t cnt = 0, cap = 0;
  *out = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT)
      return BG_OK;
    snprintf(err, errlen, "%s: cannot read the spool directory: %s", dir, strerror(errno));
    return BG_EIO;
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    char id[40], path[4352];
    struct stat st;
    if (!spool_name(de->d_name, id))
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
      continue;
    bg_xgrow((void **)&v, &cap, cnt + 1, sizeof *v);
    v[cnt].path = bg_xstrdup(path);
    v[cnt].run_id = bg_xstrdup(id);
    v[cnt].mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    cnt++;
  }
  closedir(d);
  if (cnt)
    qsort(v, cnt, sizeof *v, by_age);
  *out = v;
  *n = cnt;
  return BG_OK;
}

void bg_spool_list_free(struct bg_spool_entry *e, size_t n) {
  if (!e)
    return;
  for (size_t i = 0; i < n; i++) {
    free(e[i].path);
    free(e[i].run_id);
  }
  free(e);
}

int bg_spool_read(const char *path, struct bg_spool_run *r, char *err, size_t errlen) {
  struct bg_buf b;
  int rc = BG_OK;
  cJSON *root = NULL;
  memset(r, 0, sizeof *r);
  bg_buf_init(&b, BG_SPOOL_MAX_BYTES);
  if ((rc = bg_buf_read_file(&b, path)) != BG_OK) {
    snprintf(err, errlen, "%s: cannot read: %s", path,
             rc == BG_ETOOBIG ? "larger than the spool's limit" : strerror(errno));
    rc = BG_EIO;
    goto out;
  }
  root = cJSON_ParseWithLength(b.data, b.len);
  const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "spool");
  const cJSON *server = cJSON_GetObjectItemCaseSensitive(root, "server");
  const cJSON *project = cJSON_GetObjectItemCaseSensitive(root, "project");
  const cJSON *run = cJSON_GetObjectItemCaseSensitive(root, "run");
  const char *bad = !cJSON_IsObject(root) ? "(document)"
                    : !cJSON_IsString(schema) || strcmp(schema->valuestring, SPOOL_SCHEMA) ? "spool"
                    : !cJSON_IsString(server)  ? "server"
                    : !cJSON_IsString(project) ? "project"
                    : !cJSON_IsObject(run)     ? "run"
                                               : NULL;
  if (bad) {
    snprintf(err, errlen, "%s: not a benchgate spool file: %s missing or malformed", path, bad);
    rc = BG_EPARSE;
    goto out;
  }
  char *text = cJSON_PrintUnformatted(run);
  r->run_json = bg_xstrdup(text);
  cJSON_free(text);
  r->server = bg_xstrdup(server->valuestring);
  r->project = bg_xstrdup(project->valuestring);
out:
  cJSON_Delete(root);
  bg_buf_free(&b);
  return rc;
}

void bg_spool_run_clear(struct bg_spool_run *r) {
  if (!r)
    return;
  free(r->server);
  free(r->project);
  free(r->run_json);
  memset(r, 0, sizeof *r);
}

int bg_spool_remove(const char *path, char *err, size_t errlen) {
  if (unlink(path) < 0 && errno != ENOENT) {
    snprintf(err, errlen, "%s: cannot delete: %s", path, strerror(errno));
    return BG_EIO;
  }
  return BG_OK;
}

int bg_spool_reject(const char *dir, const struct bg_spool_entry *e, const char *reason, char *err,
                    size_t errlen) {
  char rdir[4352], dest[4400], name[64];
  snprintf(rdir, sizeof rdir, "%s/rejected", dir);
  if (make_dirs(rdir) < 0) {
    snprintf(err, errlen, "%s: cannot create: %s", rdir, strerror(errno));
    return BG_EIO;
  }
  snprintf(name, sizeof name, "%s.error", e->run_id);
  struct bg_buf b;
  bg_buf_init(&b, 0);
  bg_buf_printf(&b, "%s\n", reason ? reason : "rejected");
  int rc = write_atomic(rdir, name, b.data, err, errlen);
  bg_buf_free(&b);
  if (rc != BG_OK)
    return rc;
  snprintf(dest, sizeof dest, "%s/%s.json", rdir, e->run_id);
  if (rename(e->path, dest) < 0) {
    snprintf(err, errlen, "%s: cannot move to %s: %s", e->path, rdir, strerror(errno));
    return BG_EIO;
  }
  sync_dir(dir);
  return BG_OK;
}
