/* api_health.c: GET /healthz (the server and its database answer), GET /readyz (the database
 * takes writes and its schema is current) and GET /metrics (Prometheus text: the server's
 * counters and the database's gauges, read at scrape time). */
#include "api.h"
#include "github_sender.h"
#include "metrics.h"
#include "metrics_store.h"
#include "upload.h"

#include <time.h>

void bg_api_healthz(struct bg_req *req) {
  if (bg_store_ping(req->store) != BG_OK) {
    bg_log_event(req->cfg->log_format, "error", "health_check", bg_store_errmsg(req->store));
    bg_api_error(req, 503, "database_unavailable", NULL, "the database does not answer");
    return;
  }
  req->status = 200;
  bg_buf_puts(&req->out, "{\"status\":\"ok\",\"database\":\"ok\"}");
}

void bg_api_readyz(struct bg_req *req) {
  char why[400];
  if (bg_store_ready(req->store, why, sizeof why) != BG_OK) {
    bg_log_event(req->cfg->log_format, "warn", "not_ready", why);
    bg_api_error(req, 503, "not_ready", NULL, "%s", why);
    return;
  }
  req->status = 200;
  bg_buf_puts(&req->out, "{\"status\":\"ready\",\"database\":\"writable\",\"schema\":\"current\"}");
}

void bg_api_metrics(struct bg_req *req) {
  struct bg_store_gauges g;
  int rc = bg_store_gauges(req->store, (long long)time(NULL), &g);
  if (rc != BG_OK)
    /* The counters are still worth a scrape; the gauges are left out and the failure logged. */
    bg_log_event(req->cfg->log_format, "error", "metrics", bg_store_errmsg(req->store));
  bg_metrics_render(req->cfg->metrics, rc == BG_OK ? &g : NULL, &req->out);
  bg_buf_printf(&req->out,
                "# HELP benchgate_uploads_in_progress Uploads being handled now (--max-uploads "
                "caps them).\n# TYPE benchgate_uploads_in_progress gauge\n"
                "benchgate_uploads_in_progress %d\n",
                bg_upload_slots_used(bg_store_database(req->store)));
  bg_github_rate_render(bg_store_database(req->store), &req->out);
  req->status = 200;
  req->content_type = BG_METRICS_CONTENT_TYPE;
}
