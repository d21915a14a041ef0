/* api_github.c: POST /api/v1/github/webhook, GitHub's webhook deliveries.
 *
 * The route takes no token (BG_ROUTE_SIGNED): a delivery is trusted by its
 * X-Hub-Signature-256, the HMAC-SHA256 of the raw body under the webhook secret, checked
 * before anything else is read or stored. Then the delivery id (X-GitHub-Delivery) and the
 * event (X-GitHub-Event) are required and the payload is parsed (400 naming the header or
 * member); webhook.c acts on it. Answers: 202 for a new delivery (acted on, or accepted and
 * ignored), 200 for a redelivery (nothing done again), 401 for a missing or wrong signature,
 * 503 when the server has no secret (webhooks are off), 503 webhooks_busy when
 * BG_API_WEBHOOK_CONCURRENT deliveries are being handled already. One log line per delivery
 * (event webhook_delivery) says what it did; the secret is never in a log line, an answer or
 * the database.
 */
#include "api.h"

#include "events.h"
#include "jobs.h"
#include "mem.h"
#include "webhook.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static void answer(struct bg_req *req, int status, const char *delivery, const char *outcome) {
  req->status = status;
  bg_buf_reset(&req->out);
  bg_buf_puts(&req->out, "{\"delivery\":");
  bg_json_str(&req->out, delivery);
  bg_buf_puts(&req->out, ",\"outcome\":");
  bg_json_str(&req->out, outcome);
  bg_buf_puts(&req->out, "}");
}

/* The deliveries being handled, per database: at most BG_API_WEBHOOK_CONCURRENT at once, so
 * that a burst of deliveries (each up to 25 MiB to hash and parse, then a write transaction)
 * leaves the other worker threads to uploads and reads. */
struct hook_gate {
  atomic_int inflight;
};

static void *gate_create(void) {
  struct hook_gate *g = bg_xcalloc(1, sizeof *g);
  atomic_init(&g->inflight, 0);
  return g;
}

static const struct bg_db_shared gate_kind = {"webhook deliveries in flight", gate_create, free};

static void deliver(struct bg_req *req);

void bg_api_github_webhook(struct bg_req *req) {
  const struct bg_api_config *cfg = req->cfg;
  if (!cfg->webhook_secret || !cfg->webhook_secret_len) {
    bg_api_error(req, 503, "webhooks_off", NULL,
                 "this server takes no webhooks: it was started without a webhook secret "
                 "(--webhook-secret-file FILE or BENCHGATE_WEBHOOK_SECRET)");
    return;
  }
  struct hook_gate *g = bg_db_shared(bg_store_database(req->store), &gate_kind);
  if (atomic_fetch_add(&g->inflight, 1) >= BG_API_WEBHOOK_CONCURRENT) {
    atomic_fetch_sub(&g->inflight, 1);
    bg_api_error(req, 503, "webhooks_busy", NULL,
                 "%d deliveries are being handled already; redeliver this one later (GitHub: "
                 "the webhook's Recent Deliveries, Redeliver)",
                 BG_API_WEBHOOK_CONCURRENT);
    return;
  }
  deliver(req);
  atomic_fetch_sub(&g->inflight, 1);
}

static void deliver(struct bg_req *req) {
  const struct bg_api_config *cfg = req->cfg;
  const char *sig = bg_api_header(req, "X-Hub-Signature-256");
  if (!bg_webhook_verify(cfg->webhook_secret, cfg->webhook_secret_len, sig, req->body,
                         req->body_len)) {
    bg_api_error(req, 401, "bad_signature", "X-Hub-Signature-256",
                 sig ? "the signature does not match the body under the webhook secret"
                     : "required: sha256=<HMAC-SHA256 of the body under the webhook secret>");
    return;
  }
  const char *delivery = bg_api_header(req, "X-GitHub-Delivery");
  if (!bg_webhook_delivery_valid(delivery)) {
    bg_api_error(req, 400, "invalid_header", "X-GitHub-Delivery",
                 delivery ? "must be a delivery id (1-128 of [A-Za-z0-9._-])" : "required");
    return;
  }
  struct bg_webhook_event ev;
  struct bg_ferr e = {0};
  if (bg_webhook_parse(bg_api_header(req, "X-GitHub-Event"), req->body, req->body_len, &ev, &e)) {
    int header = e.field[0] == 'X';
    bg_api_error(req, 400, header ? "invalid_header" : "invalid_field", e.field, "%s", e.message);
    return;
  }
  struct bg_webhook_result res;
  int rc = bg_webhook_deliver(req->store, delivery, &ev, bg_jobs_now(), &res);
  if (rc) {
    bg_api_store_error(req, rc);
    return;
  }
  char msg[600];
  snprintf(msg, sizeof msg, "webhook delivery %s (%s%s%s): %s", delivery, ev.event,
           ev.action[0] ? " " : "", ev.action, res.outcome);
  struct bg_log_line l;
  bg_event_begin(bg_store_database(req->store), &l, "webhook_delivery");
  bg_log_str(&l, "delivery", delivery);
  bg_log_str(&l, "github_event", ev.event);
  bg_log_str(&l, "action", ev.action[0] ? ev.action : NULL);
  bg_log_str(&l, "outcome", res.outcome);
  bg_log_str(&l, "message", msg);
  bg_log_end(&l);
  answer(req, res.redelivery ? 200 : 202, delivery, res.outcome);
  req->wake_parked = res.created > 0;
}
