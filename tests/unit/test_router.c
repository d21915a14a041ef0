/* test_router.c: routes, path parameters, 404/405, and static path resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http.h"
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void matches_routes_and_extracts_parameters(void **state) {
  (void)state;
  struct bg_route_match m;
  assert_int_equal(bg_router_match("GET", "/api/v1/projects", &m), 200);
  assert_int_equal(m.route, BG_ROUTE_PROJECTS);
  assert_int_equal(bg_router_match("POST", "/api/v1/projects/", &m), 200);
  assert_int_equal(bg_router_match("POST", "/api/v1/projects/demo/runs", &m), 200);
  assert_int_equal(m.route, BG_ROUTE_RUNS);
  assert_string_equal(m.project, "demo");
  assert_int_equal(bg_router_match("HEAD", "/api/v1/projects/demo/commits/abc", &m), 200);
  assert_int_equal(m.route, BG_ROUTE_COMMIT);
  assert_string_equal(m.id, "abc");
  assert_int_equal(bg_router_match("GET", "/api/v1/projects/p/series", &m), 200);
  assert_int_equal(m.route, BG_ROUTE_SERIES);
  assert_int_equal(bg_router_match("GET", "/healthz", &m), 200);
  assert_int_equal(m.route, BG_ROUTE_HEALTHZ);
}

static void wrong_method_is_405_with_allow(void **state) {
  (void)state;
  struct bg_route_match m;
  assert_int_equal(bg_router_match("GET", "/api/v1/projects/demo/runs", &m), 405);
  assert_string_equal(m.allow, "POST");
  assert_int_equal(bg_router_match("DELETE", "/api/v1/projects", &m), 405);
  assert_string_equal(m.allow, "GET, HEAD, POST");
  assert_int_equal(bg_router_match("POST", "/index.html", &m), 405);
  assert_true(bg_router_takes_body(BG_ROUTE_RUNS, "POST"));
  assert_false(bg_router_takes_body(BG_ROUTE_RUN, "GET"));
}

static void unknown_api_paths_are_404(void **state) {
  (void)state;
  struct bg_route_match m;
  assert_int_equal(bg_router_match("GET", "/api/v2/projects", &m), 404);
  assert_int_equal(bg_router_match("GET", "/api/v1/nothing", &m), 404);
  assert_int_equal(bg_router_match("GET", "/api/v1/projects/demo/runs/x/y", &m), 404);
  assert_int_equal(bg_router_match("GET", "/api/v1/projects//runs", &m), 404);
  assert_int_equal(bg_router_match("GET", "/api/v1/", &m), 404);
  char longp[400];
  snprintf(longp, sizeof longp, "/api/v1/projects/%0300d/runs", 7);
  assert_int_equal(bg_router_match("GET", longp, &m), 404);
  assert_int_equal(bg_router_match("GET", "/app.js", &m), 200);
  assert_int_equal(m.route, BG_ROUTE_STATIC);
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
  p = bg_http_static_path(root, "/");
  assert_non_null(p);
  assert_non_null(strstr(p, "/web/index.html"));
  free(p);
  p = bg_http_static_path(root, "/sub");
  assert_non_null(p);
  assert_non_null(strstr(p, "/web/sub/index.html"));
  free(p);
  assert_null(bg_http_static_path(root, "/../secret"));
  assert_null(bg_http_static_path(root, "/sub/../../secret"));
  assert_null(bg_http_static_path(root, "/leak"));
  assert_null(bg_http_static_path(root, "/missing.js"));
  assert_null(bg_http_static_path(root, "/..\\secret"));
  assert_string_equal(bg_http_content_type("a/b.js"), "text/javascript; charset=utf-8");
  assert_string_equal(bg_http_content_type("x.html"), "text/html; charset=utf-8");
  assert_string_equal(bg_http_content_type("x.d/noext"), "application/octet-stream");
  free(root);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(matches_routes_and_extracts_parameters),
      cmocka_unit_test(wrong_method_is_405_with_allow),
      cmocka_unit_test(unknown_api_paths_are_404),
      cmocka_unit_test(static_paths_stay_inside_the_web_root),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
