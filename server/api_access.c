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
  /* Always with a token: the question is about the token, whether or not reads are public.
   * A token that is sent is verified before the project is looked up. */
  if (!bg_api_header(req, MHD_HTTP_HEADER_AUTHORIZATION)) {
    bg_api_error(req, 401, "unauthorized", NULL, "this needs a token: Authorization: Bearer ...");
    return;
  }
  if (!bg_api_project_access(req, BG_ROLE_READ, &p, &who))
    return;
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
