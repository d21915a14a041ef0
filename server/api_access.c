/* api_access.c: GET /api/v1/projects/{p}/access: what the calling token may do on a project.
 *
 * The agent asks this before it spends an hour benchmarking, so that a wrong token, a token
 * of another project or of a role that cannot upload is refused up front rather than after
 * the run. It reads nothing but the token and the project, and always needs a token: the
 * question is about the token, whether or not reads are public.
 */
#include "api.h"

#include <microhttpd.h>

void bg_api_access(struct bg_req *req) {
  struct bg_principal who;
  struct bg_project p;
  const char *h = bg_api_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
  /* The token first: a stranger learns nothing about which projects exist. */
  int rc = bg_auth_verify(req->store, h, &who);
  if (rc == BG_EAUTH) {
    bg_api_error(req, 401, "unauthorized", NULL,
                 h ? "unknown or revoked token" : "this needs a token: Authorization: Bearer ...");
    return;
  }
  if (rc) {
    bg_api_store_error(req, rc);
    return;
  }
  if (!bg_api_project(req, &p))
    return;
  if (bg_auth_check(&who, p.id, BG_ROLE_READ) != BG_OK) {
    bg_api_error(req, 403, "forbidden", NULL, "the token belongs to another project");
    return;
  }
  req->status = 200;
  bg_buf_puts(&req->out, "{\"project\":");
  bg_json_str(&req->out, p.slug);
  bg_buf_puts(&req->out, ",\"role\":");
  bg_json_str(&req->out, bg_role_name(who.role));
  bg_buf_puts(&req->out, ",\"server_wide\":");
  bg_buf_puts(&req->out, who.project_id ? "false" : "true");
  bg_buf_puts(&req->out, ",\"upload\":");
  bg_buf_puts(&req->out, bg_auth_check(&who, p.id, BG_ROLE_AGENT) == BG_OK ? "true" : "false");
  bg_buf_puts(&req->out, "}");
}
