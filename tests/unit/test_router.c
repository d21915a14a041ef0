/* test_router.c: the route table, path parameters, 404/405, and static path resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http.h"
#include "router.h"
#include "routes.h"
#include "static_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Matches method and path against benchgated's table (bg_api_routes) and checks that the
 * row found has `handler` and that the path parameters are project and id. */
static void expect_route(const char *method, const char *path, void (*handler)(struct bg_req *),
                         const char *project, const char *id) {
  struct bg_route_match m;
  int status = bg_router_match(bg_api_routes, method, path, &m);
  if (status != 200 || !m.route || m.route->handler != handler || m.static_file)
    fail_msg("%s %s: status %d, not the expected row", method, path, status);
  assert_string_equal(m.project, project);
  assert_string_equal(m.id, id);
}

static void matches_routes_and_extracts_parameters(void **state) {
  (void)state;
  expect_route("GET", "/api/v1/projects", bg_api_projects_list, "", "");
  expect_route("POST", "/api/v1/projects/", bg_api_projects_create, "", "");
  expect_route("POST", "/api/v1/projects/demo/runs", bg_api_runs_post, "demo", "");
  expect_route("HEAD", "/api/v1/projects/demo/commits/abc", bg_api_commit, "demo", "abc");
  expect_route("GET", "/api/v1/projects/d/commits/abc/verdict/", bg_api_verdict, "d", "abc");
  expect_route("POST", "/api/v1/projects/d/alerts/12/ack", bg_api_alert_ack, "d", "12");
  expect_route("GET", "/api/v1/projects/p/series", bg_api_series, "p", "");
  expect_route("GET", "/healthz", bg_api_healthz, "", "");
}

static void wrong_method_is_405_with_allow(void **state) {
  (void)state;
  struct bg_route_match m;
  assert_int_equal(bg_router_match(bg_api_routes, "GET", "/api/v1/projects/demo/runs", &m), 405);
  assert_string_equal(m.allow, "POST");
  assert_null(m.route);
  assert_int_equal(bg_router_match(bg_api_routes, "DELETE", "/api/v1/projects", &m), 405);
  assert_string_equal(m.allow, "GET, HEAD, POST");
  assert_int_equal(bg_router_match(bg_api_routes, "POST", "/api/v1/projects/d/access", &m), 405);
  assert_string_equal(m.allow, "GET, HEAD");
  assert_int_equal(bg_router_match(bg_api_routes, "POST", "/index.html", &m), 405);
  assert_string_equal(m.allow, "GET, HEAD");
  assert_int_equal(bg_router_match(bg_api_routes, "POST", "/healthz", &m), 405);
  assert_string_equal(m.allow, "GET, HEAD");
  bg_router_match(bg_api_routes, "POST", "/api/v1/projects/demo/runs", &m);
  assert_true(bg_router_takes_body(&m));
  bg_router_match(bg_api_routes, "POST", "/api/v1/projects", &m);
  assert_true(bg_router_takes_body(&m));
  bg_router_match(bg_api_routes, "GET", "/api/v1/projects/demo/runs/x", &m);
  assert_false(bg_router_takes_body(&m));
  bg_router_match(bg_api_routes, "GET", "/index.html", &m);
  assert_false(bg_router_takes_body(&m));
}

static void unknown_api_paths_are_404(void **state) {
  (void)state;
  struct bg_route_match m;
  assert_int_equal(bg_router_match(bg_api_routes, "GET", "/api/v2/projects", &m), 404);
  assert_int_equal(bg_router_match(bg_api_routes, "GET", "/api/v1/nothing", &m), 404);
  assert_int_equal(bg_router_match(bg_api_routes, "GET", "/api/v1/projects/demo/runs/x/y", &m),
                   404);
  assert_int_equal(bg_router_match(bg_api_routes, "GET", "/api/v1/projects//runs", &m), 404);
  assert_int_equal(bg_router_match(bg_api_routes, "GET", "/api/v1/", &m), 404);
  assert_int_equal(bg_router_match(bg_api_routes, "GET", "/api", &m), 404);
  assert_null(m.route);
  assert_false(m.static_file);
  char longp[400];
  snprintf(longp, sizeof longp, "/api/v1/projects/%0300d/runs", 7);
  assert_int_equal(bg_router_match(bg_api_routes, "GET", longp, &m), 404);
  assert_int_equal(bg_router_match(bg_api_routes, "GET", "/app.js", &m), 200);
  assert_true(m.static_file);
  assert_null(m.route);
  /* The trailing slash is tolerated on API paths only: /healthz/ is a file of --web. */
  assert_int_equal(bg_router_match(bg_api_routes, "GET", "/healthz/", &m), 200);
  assert_true(m.static_file);
}

/* What each route needs from a token is part of its row; a change here is a change of who
 * may do what. */
static void each_route_carries_the_access_it_needs(void **state) {
  (void)state;
  int rows = 0;
  for (const struct bg_route *r = bg_api_routes; r->method; r++, rows++) {
    enum bg_role role = BG_ROLE_READ;
    enum bg_route_check check = BG_ROUTE_BY_ROLE;
    if (r->handler == bg_api_runs_post || r->handler == bg_api_agents_lease ||
        r->handler == bg_api_job_heartbeat || r->handler == bg_api_job_fail)
      role = BG_ROLE_AGENT;
    if (r->handler == bg_api_jobs_post)
      role = BG_ROLE_CI;
    if (r->handler == bg_api_alert_ack)
      role = BG_ROLE_ADMIN;
    if (r->handler == bg_api_projects_create || r->handler == bg_api_outbox) {
      role = BG_ROLE_ADMIN;
      check = BG_ROUTE_SERVER_WIDE;
    }
    if (r->handler == bg_api_access)
      check = BG_ROUTE_TOKEN;
    if (r->handler == bg_api_healthz || r->handler == bg_api_readyz)
      check = BG_ROUTE_OPEN; /* /metrics is a read: public unless --private */
    if (r->handler == bg_api_github_webhook)
      check = BG_ROUTE_SIGNED; /* no token: the delivery's HMAC, checked by its handler */
    size_t max_body = r->handler == bg_api_github_webhook ? BG_API_WEBHOOK_MAX_BODY : 0;
    if (r->role != role || r->check != check || r->max_body != max_body)
      fail_msg("%s %s: role %s, check %d", r->method, r->pattern, bg_role_name(r->role),
               (int)r->check);
  }
  assert_int_equal(rows, 28);
}

/* A row that repeats another's method and path would never be reached. */
static void each_method_and_path_has_one_row(void **state) {
  (void)state;
  for (const struct bg_route *r = bg_api_routes; r->method; r++) {
    assert_non_null(r->handler);
    assert_int_equal(r->pattern[0], '/');
    for (const struct bg_route *o = r + 1; o->method; o++)
      if (!strcmp(r->method, o->method) && !strcmp(r->pattern, o->pattern))
        fail_msg("%s %s has two rows", r->method, r->pattern);
  }
}

static void stub(struct bg_req *req) {
  (void)req;
}

/* The router reads nothing but the table it is given. */
static void matches_any_table(void **state) {
  (void)state;
  static const struct bg_route table[] = {
      {"GET", "/api/v1/things/{t}", BG_ROLE_READ, stub, BG_ROUTE_BY_ROLE, 0},
      {"PUT", "/api/v1/things/{t}", BG_ROLE_ADMIN, stub, BG_ROUTE_BY_ROLE, 0},
      {"GET", "/api/v1/things/{t}/parts/{p}", BG_ROLE_READ, stub, BG_ROUTE_BY_ROLE, 0},
      {"GET", "/status", BG_ROLE_READ, stub, BG_ROUTE_OPEN, 0},
      {0},
  };
  struct bg_route_match m;
  assert_int_equal(bg_router_match(table, "PUT", "/api/v1/things/x", &m), 200);
  assert_ptr_equal(m.route, &table[1]);
  assert_string_equal(m.id, "x");
  assert_string_equal(m.project, "");
  assert_int_equal(bg_router_match(table, "HEAD", "/api/v1/things/x/", &m), 200);
  assert_ptr_equal(m.route, &table[0]);
  assert_int_equal(bg_router_match(table, "DELETE", "/api/v1/things/x", &m), 405);
  assert_string_equal(m.allow, "GET, HEAD, PUT");
  assert_int_equal(bg_router_match(table, "GET", "/api/v1/things/x/parts/y", &m), 200);
  assert_ptr_equal(m.route, &table[2]);
  assert_string_equal(m.id, "x");
  assert_string_equal(m.project, "y");
  assert_int_equal(bg_router_match(table, "GET", "/api/v1/things/x/parts", &m), 404);
  assert_int_equal(bg_router_match(table, "HEAD", "/status", &m), 200);
  assert_ptr_equal(m.route, &table[3]);
  assert_int_equal(bg_router_match(table, "GET", "/api/v1/projects", &m), 404);
  assert_int_equal(bg_router_match(table, "GET", "/healthz", &m), 200);
  assert_true(m.static_file);
  assert_false(bg_router_takes_body(&m));
}

static void static_paths_stay_inside_the_web_root(void **state) {
  (void)state;
  char dir[64], path[160], cmd[1024], *root, *p;
  snprintf(dir, sizeof dir, "/tmp/bg_test_routerXXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(cmd, sizeof cmd,
           "mkdir -p %s/web/sub && echo hi > %s/web/index.html && echo s > %s/secret && "
           "ln -s ../secret %s/web/leak && echo x > %s/web/sub/index.html",
           dir, dir, dir, dir, dir);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/web", dir);
  root = realpath(path, NULL);
  assert_non_null(root);
  p = bg_static_path(root, "/");
  assert_non_null(p);
  assert_non_null(strstr(p, "/web/index.html"));
  free(p);
  p = bg_static_path(root, "/sub");
  assert_non_null(p);
  assert_non_null(strstr(p, "/web/sub/index.html"));
  free(p);
  assert_null(bg_static_path(root, "/../secret"));
  assert_null(bg_static_path(root, "/sub/../../secret"));
  assert_null(bg_static_path(root, "/leak"));
  assert_null(bg_static_path(root, "/missing.js"));
  assert_null(bg_static_path(root, "/..\\secret"));
  assert_string_equal(bg_static_content_type("a/b.js"), "text/javascript; charset=utf-8");
  assert_string_equal(bg_static_content_type("x.html"), "text/html; charset=utf-8");
  assert_string_equal(bg_static_content_type("x.d/noext"), "application/octet-stream");
  free(root);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(matches_routes_and_extracts_parameters),
      cmocka_unit_test(wrong_method_is_405_with_allow),
      cmocka_unit_test(unknown_api_paths_are_404),
      cmocka_unit_test(each_route_carries_the_access_it_needs),
      cmocka_unit_test(each_method_and_path_has_one_row),
      cmocka_unit_test(matches_any_table),
      cmocka_unit_test(static_paths_stay_inside_the_web_root),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
