/* park.c: parked requests, their timer and their wake-ups (park.h). */
#include "park.h"

#include "mem.h"

#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct parked {
  struct MHD_Connection *c;
  long long until_ms;
};

struct bg_park {
  pthread_mutex_t m;
  pthread_cond_t timer; /* CLOCK_MONOTONIC: the timer thread sleeps on it */
  pthread_t thread;
  int started;  /* the timer thread runs */
  int stopping; /* bg_park_stop ran: nothing parks any more */
  unsigned long long wakes;
  struct parked *v; /* unordered; n of max */
  size_t n, max;
};

long long bg_park_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Resumes entry i (under p->m); the last entry takes its place. */
static void resume_at(struct bg_park *p, size_t i) {
  MHD_resume_connection(p->v[i].c);
  p->v[i] = p->v[--p->n];
}

static void resume_all(struct bg_park *p) {
  while (p->n)
    resume_at(p, p->n - 1);
}

/* Resumes the connections due by now; returns the earliest time left (LLONG_MAX: none). */
static long long resume_due(struct bg_park *p) {
  long long now = bg_park_now_ms(), next = LLONG_MAX;
  for (size_t i = 0; i < p->n;) {
    if (p->v[i].until_ms <= now) {
      resume_at(p, i);
    } else {
      if (p->v[i].until_ms < next)
        next = p->v[i].until_ms;
      i++;
    }
  }
  return next;
}

static void *timer_main(void *arg) {
  struct bg_park *p = arg;
  pthread_mutex_lock(&p->m);
  while (!p->stopping) {
    long long next = resume_due(p);
    if (next == LLONG_MAX) {
      pthread_cond_wait(&p->timer, &p->m);
    } else {
      struct timespec t = {(time_t)(next / 1000), (long)(next % 1000) * 1000000};
      pthread_cond_timedwait(&p->timer, &p->m, &t);
    }
  }
  pthread_mutex_unlock(&p->m);
  return NULL;
}

struct bg_park *bg_park_start(size_t max, char *err, size_t errlen) {
  struct bg_park *p = bg_xcalloc(1, sizeof *p);
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_mutex_init(&p->m, NULL);
  pthread_cond_init(&p->timer, &a);
  pthread_condattr_destroy(&a);
  p->max = max;
  p->v = bg_xcalloc(max ? max : 1, sizeof *p->v);
  int rc = pthread_create(&p->thread, NULL, timer_main, p);
  if (rc) {
    snprintf(err, errlen, "cannot start the timer of parked requests: %s", strerror(rc));
    bg_park_free(p);
    return NULL;
  }
  p->started = 1;
  return p;
}

unsigned long long bg_park_ticket(struct bg_park *p) {
  pthread_mutex_lock(&p->m);
  unsigned long long t = p->wakes;
  pthread_mutex_unlock(&p->m);
  return t;
}

enum bg_park_result bg_park_add(struct bg_park *p, struct MHD_Connection *c, long long until_ms,
                                unsigned long long ticket) {
  enum bg_park_result r = BG_PARK_PARKED;
  pthread_mutex_lock(&p->m);
  if (p->stopping || p->n >= p->max) {
    r = BG_PARK_FULL;
  } else if (p->wakes != ticket) {
    r = BG_PARK_WOKEN;
  } else {
    /* Suspended under p->m, so no wake-up can resume it before it is suspended. */
    MHD_suspend_connection(c);
    p->v[p->n++] = (struct parked){c, until_ms};
    pthread_cond_signal(&p->timer); /* it may be earlier than what the timer waits for */
  }
  pthread_mutex_unlock(&p->m);
  return r;
}

void bg_park_wake_all(struct bg_park *p) {
  pthread_mutex_lock(&p->m);
  p->wakes++;
  resume_all(p);
  pthread_mutex_unlock(&p->m);
}

void bg_park_stop(struct bg_park *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->m);
  p->stopping = 1;
  p->wakes++;
  resume_all(p);
  pthread_cond_signal(&p->timer);
  pthread_mutex_unlock(&p->m);
  if (p->started)
    pthread_join(p->thread, NULL);
  p->started = 0;
}

void bg_park_free(struct bg_park *p) {
  if (!p)
    return;
  bg_park_stop(p);
  pthread_cond_destroy(&p->timer);
  pthread_mutex_destroy(&p->m);
  free(p->v);
  free(p);
}
