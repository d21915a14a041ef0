/* park.h: requests parked on libmicrohttpd's suspend/resume, so that a request that waits
 * (a long-polled lease) holds neither a worker thread nor the other connections that worker
 * serves.
 *
 * Who parks: http.c, when a handler answers nothing and asks to be called again within
 * req->park_ms (api.h). From the access handler it calls bg_park_add, which suspends the
 * connection and records it with its time; the handler returns without an answer and the
 * worker thread goes on serving its other connections.
 *
 * Who wakes: libmicrohttpd calls the access handler again for a connection once it is resumed,
 * and the handler looks again (a lease looks at the queue once more); it may park again. A
 * connection is resumed by
 *  - bg_park_wake_all, which resumes every parked connection (http.c calls it after a handler
 *    that set req->wake_parked: an enqueue, a job back in the queue). Every parked request
 *    looks again, which is one indexed look each;
 *  - the timer: a thread of its own resumes the connections whose time has come. It sleeps on
 *    its own condition variable until the earliest time (or until bg_park_add or bg_park_stop
 *    signal it), never in a loop of short sleeps;
 *  - bg_park_stop, at shutdown.
 * A request that looked while a wake-up went by must not sleep through it: bg_park_ticket,
 * taken before the handler runs, is the count of wake-ups; bg_park_add refuses to park when it
 * has moved (BG_PARK_WOKEN), and the caller runs the handler again at once. Every resume
 * matches one suspend: a connection leaves the list when it is resumed, under the lock that
 * suspended it.
 *
 * Bounds and shutdown: at most `max` connections are parked (the daemon's connection limit);
 * beyond it, and once bg_park_stop ran, bg_park_add answers BG_PARK_FULL and the handler must
 * answer at once (req->park_ok 0). bg_park_stop resumes every parked connection, so each
 * answers before libmicrohttpd stops (stopping a daemon with suspended connections is not
 * allowed), and joins the timer; bg_park_free frees what is left after the daemon stopped.
 *
 * Lock order: the park's mutex, then libmicrohttpd's (suspend and resume take it); nothing of
 * this module runs under a lock of libmicrohttpd.
 */
#ifndef BG_PARK_H
#define BG_PARK_H

#include <stddef.h>

struct MHD_Connection;
struct bg_park;

enum bg_park_result {
  BG_PARK_PARKED, /* suspended: the handler is called again once it is resumed */
  BG_PARK_WOKEN,  /* a wake-up went by since the ticket: call the handler again now */
  BG_PARK_FULL,   /* at the bound, or stopping: call the handler again, which must answer */
};

/* Starts the timer thread; at most max connections parked at once. NULL when the thread
 * cannot start (err says why). */
struct bg_park *bg_park_start(size_t max, char *err, size_t errlen);

/* Milliseconds of CLOCK_MONOTONIC: the clock of bg_park_add's `until_ms`. */
long long bg_park_now_ms(void);

/* The count of wake-ups so far; take it before running a handler that may ask to park. */
unsigned long long bg_park_ticket(struct bg_park *p);

/* From the access handler of c: suspends c until until_ms (bg_park_now_ms) or a wake-up, when
 * no wake-up went by since `ticket` and there is room. */
enum bg_park_result bg_park_add(struct bg_park *p, struct MHD_Connection *c, long long until_ms,
                                unsigned long long ticket);

/* Resumes every parked connection. Thread-safe; callable from an access handler. */
void bg_park_wake_all(struct bg_park *p);

/* Resumes every parked connection, refuses to park from then on, and joins the timer.
 * Accepts NULL. */
void bg_park_stop(struct bg_park *p);

/* Frees p, after bg_park_stop and after the daemon stopped. Accepts NULL. */
void bg_park_free(struct bg_park *p);

#endif
