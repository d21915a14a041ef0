/* routes.h: benchgated's route table and the dispatcher http.c calls for each request. */
#ifndef BG_ROUTES_H
#define BG_ROUTES_H

#include "api.h"

/* Every endpoint: the table bg_router_match reads, ended by a row with a NULL method. */
extern const struct bg_route bg_api_routes[];

/* Checks the access req->match->route needs (its role and check, router.h), then calls its
 * handler. The order: the token is verified first (401 when the route needs one and it is
 * missing, unknown or revoked), then the route's project {p} is loaded into req->project
 * (404; 403 instead for a token bound to another project, so that a token learns nothing of
 * projects it cannot see), then the token's role and project are checked (403). Reads are
 * public unless --private. When all is allowed, req->who is filled (when a token was
 * checked) and the handler answers; otherwise the refusal is the answer. 404 when req->match
 * has no route. */
void bg_api_handle(struct bg_req *req);

/* The access check of bg_api_handle alone, from the request's headers: 1 when allowed (the
 * handler may run), else 0 with the refusal as req's answer. http.c calls it before reading
 * a body, so that a client without the right token cannot make the server read one. */
int bg_api_authorize(struct bg_req *req);

#endif
