/* api_access.c: GET /api/v1/projects/{p}/access: what the calling token may do on a project.
 *
 * The agent asks this before it spends an hour benchmarking, so that a wrong token, a token
 * of another project or of a role that cannot upload is refused up front rather than after
 * the run. It reads nothing but the token and the project, and always needs a token: the
 * question is about the token, whether or not reads are public.
 */
#include "api.h"
#include "interleave.h"

/* Its route checks a token always (BG_ROUTE_TOKEN), so req->who is the caller's token. */
void bg_api_access(struct bg_req *req) {
  const struct bg_principal *who = &req->who;
  const struct bg_project *p = &req->project;
  req->status = 200;
  bg_buf_puts(&req->out, "{\"project\":");
  bg_json_str(&req->out, p->slug);
  bg_buf_puts(&req->out, ",\"role\":");
  bg_json_str(&req->out, bg_role_name(who->role));
  bg_buf_puts(&req->out, ",\"server_wide\":");
  bg_buf_puts(&req->out, who->project_id ? "false" : "true");
  bg_buf_puts(&req->out, ",\"upload\":");
  bg_buf_puts(&req->out, bg_auth_check(who, p->id, BG_ROLE_AGENT) == BG_OK ? "true" : "false");
  /* What an agent needs to measure a pull request the way the project compares it. */
  bg_buf_puts(&req->out, ",\"comparison\":{\"mode\":");
  bg_json_str(&req->out, bg_compare_mode_name(p->comparison));
  bg_buf_printf(&req->out, ",\"rounds\":%d}}", p->interleave_rounds);
}
