#!/usr/bin/env bash
# test_private_reads.sh: a --private server tells a client without a valid token nothing
# about which projects exist.
#
# For every route that reads (projects list, project, runs, commits, verdict, benchmarks,
# series, badge.svg, trend.svg, compare, alerts, jobs, access, /metrics...), the same request
# is made for a project that exists and one that does not, with no token, with an unknown
# token and with a malformed Authorization header: each pair must get the same status (401)
# and the same body. A token of another project gets 403 for both.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB" --private
json=(-H 'Content-Type: application/json')
create_project "$ADMIN" '{"slug":"demo"}'
expect "project demo created" 201
create_project "$ADMIN" '{"slug":"other"}'
expect "project other created" 201
OTHER=$(make_token "$DB" --project other --role read --name other-reader)
SHA=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
req POST /api/v1/projects/demo/runs -H "Authorization: Bearer $ADMIN" "${json[@]}" -d \
  '{"schema":"benchgate.run/v1","run_id":"00000000-0000-4000-8000-000000000001",
  "commit":{"sha":"'$SHA'","branch":"main"},"testbed":{"name":"tb"},
  "results":[{"benchmark":"a","measure":"wall_time","samples":[1,2,3]}]}'
expect "a run stored in demo" 201

# answer PATH CURL-ARGS...: "STATUS BODY" of a GET.
answer() {
  local path=$1
  shift
  req GET "$path" "$@"
  printf '%s %s' "$STATUS" "$BODY"
}

paths=(
  '/api/v1/projects/P' '/api/v1/projects/P/runs/00000000-0000-4000-8000-000000000001'
  '/api/v1/projects/P/commits' "/api/v1/projects/P/commits/$SHA"
  "/api/v1/projects/P/commits/$SHA/verdict" '/api/v1/projects/P/benchmarks'
  '/api/v1/projects/P/series?benchmark=a&measure=wall_time&testbed=tb'
  '/api/v1/projects/P/badge.svg' '/api/v1/projects/P/trend.svg?benchmark=a'
  "/api/v1/projects/P/compare?base=$SHA&head=$SHA" '/api/v1/projects/P/alerts'
  '/api/v1/projects/P/jobs' '/api/v1/projects/P/access' '/api/v1/projects/P/nothing-here'
)
creds=(none unknown malformed)
for cred in "${creds[@]}"; do
  case $cred in
  none) h=() ;;
  unknown) h=(-H "Authorization: Bearer bgt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") ;;
  malformed) h=(-H "Authorization: Basic Zm9vOmJhcg==") ;;
  esac
  for p in "${paths[@]}"; do
    a=$(answer "${p//P/demo}" "${h[@]}")
    b=$(answer "${p//P/nosuch}" "${h[@]}")
    if [[ $a == "$b" && $a == 401* ]]; then
      ok "$cred token: GET ${p//P/…} answers 401 whether or not the project exists"
    elif [[ $p == */nothing-here && $a == "$b" ]]; then
      ok "$cred token: an unknown endpoint answers alike (${a%% *})"
    else
      bad "$cred token: GET ${p//P/…}: existing '${a:0:120}' vs missing '${b:0:120}'"
    fi
  done
  for p in /api/v1/projects /metrics /api/v1/agents /api/v1/jobs/1; do
    a=$(answer "$p" "${h[@]}")
    [[ $a == 401* ]] && ok "$cred token: GET $p answers 401" || bad "$cred token: GET $p: ${a:0:160}"
  done
done
# A token of another project learns nothing either: 403 for both.
for p in "${paths[@]}"; do
  [[ $p == */nothing-here ]] && continue
  a=$(answer "${p//P/demo}" -H "Authorization: Bearer $OTHER")
  b=$(answer "${p//P/nosuch}" -H "Authorization: Bearer $OTHER")
  [[ $a == "$b" && $a == 403* ]] && ok "another project's token: GET ${p//P/…} is 403 for both" ||
    bad "another project's token: GET ${p//P/…}: '${a:0:120}' vs '${b:0:120}'"
done
# /healthz and /readyz stay open: they say nothing about projects.
req GET /healthz
expect "/healthz stays open" 200
finish
