#!/usr/bin/env bash
# test_api_consistency.sh: the real benchgated over real HTTP: payload validation that names
# the field (thresholds member by member, UTF-8 in every string, at least one result), commits
# named by unique sha prefixes on every endpoint that takes one, unknown testbeds and branches
# answered 404 everywhere, a commit's full verdicts, unknown members of POST /projects, and
# benchgated --help / --version.
#
# Needs BG_BUILD (the build directory) and curl; prints "N passed, M failed" last.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB"
admin=(-H "Authorization: Bearer $ADMIN")
json_type=(-H 'Content-Type: application/json')

req POST /api/v1/projects "${json_type[@]}" "${admin[@]}" -d '{"slug":"demo"}'
expect "admin creates a project" 201

# payload RUN_ID SHA [MEMBERS] [RESULTS] [TESTBED]: a run payload with extra top-level members.
payload() {
  local id=$1 sha=$2 members=${3:-} results=${4:-'[{"benchmark":"b","measure":"wall_time","samples":[10.0,10.5,10.25]}]'}
  local testbed=${5:-'{"name":"tb1","fingerprint":{"cpus":2}}'}
  printf '{"schema":"benchgate.run/v1","run_id":"%s","commit":{"sha":"%s","branch":"main"},' \
    "$id" "$sha"
  printf '"testbed":%s,"results":%s%s}' "$testbed" "$results" "${members:+,$members}"
}

# upload FILE: POSTs a payload file to demo.
upload() {
  req POST /api/v1/projects/demo/runs "${json_type[@]}" "${admin[@]}" --data-binary @"$1"
}

# ---- payload validation ----
ID=00000000-0000-4000-8000-0000000000
payload ${ID}01 aaaaaaa000000000000000000000000000000001 \
  '"thresholds":{"rules":[{"match":"a"},{"match":"b"},{"match":"c","min_effect":"5%"}]}' \
  >"$TMP/th1.json"
upload "$TMP/th1.json"
expect "a threshold rule's min_effect as a string is 400 naming it" 400 \
  '"field":"thresholds.rules\[2\]\.min_effect"'
payload ${ID}01 aaaaaaa000000000000000000000000000000001 \
  '"thresholds":{"default":{"min_effect":0.02},"colour":"red"}' >"$TMP/th2.json"
upload "$TMP/th2.json"
expect "an unknown thresholds member is 400 naming it" 400 '"field":"thresholds.colour"'
payload ${ID}01 aaaaaaa000000000000000000000000000000001 \
  '"thresholds":{"default":{"min_effect":1e308}}' >"$TMP/th3.json"
upload "$TMP/th3.json"
expect "min_effect 1e308 is 400" 400 '"field":"thresholds.default.min_effect"'
req GET /api/v1/projects/demo/runs/${ID}01
expect "a run refused for its thresholds is not stored" 404

payload ${ID}01 aaaaaaa000000000000000000000000000000001 '' '' \
  "$(printf '{"name":"tb1","fingerprint":{"cpu_model":"Xeon\xff","cpus":2}}')" >"$TMP/utf.json"
upload "$TMP/utf.json"
expect "invalid UTF-8 in the fingerprint is 400 naming the member" 400 \
  '"field":"testbed.fingerprint.cpu_model"'
payload ${ID}01 aaaaaaa000000000000000000000000000000001 '' '' \
  "$(printf '{"name":"tb1","fingerprint":{"caches":[{"n\xc3":1}]}}')" >"$TMP/utf2.json"
upload "$TMP/utf2.json"
expect "invalid UTF-8 in a nested fingerprint key is 400" 400 \
  '"field":"testbed.fingerprint.caches\[0\]"'
expect_json "the error answer is itself valid JSON" "j['error']['code'] == 'invalid_field'"
req GET /api/v1/projects/demo/runs/${ID}01
expect "a run refused for its fingerprint is not stored" 404

payload ${ID}01 aaaaaaa000000000000000000000000000000001 '' '[]' >"$TMP/empty.json"
upload "$TMP/empty.json"
expect "a run without results is 400 naming results" 400 '"field":"results"'

# ---- commits named by unique prefixes ----
A=aaaaaaa1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
B=aaaaaaa2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
C=bbbbbbb3bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
n=10
for spec in "$A tb1" "$B tb1" "$C tb1" "$C tb2"; do
  set -- $spec
  n=$((n + 1))
  payload ${ID}$n "$1" '' '' "{\"name\":\"$2\",\"fingerprint\":{\"cpus\":2}}" >"$TMP/r$n.json"
  upload "$TMP/r$n.json"
  [[ $STATUS == 201 ]] || bad "upload of $1 on $2: $STATUS $BODY"
done
req GET /api/v1/projects/demo/commits/bbbbbbb
expect "a 7-digit prefix names the commit" 200 "\"sha\":\"$C\""
req GET /api/v1/projects/demo/commits/BBBBBBB3
expect "a prefix in capitals names it too" 200 "\"sha\":\"$C\""
req GET /api/v1/projects/demo/commits/aaaaaaa
expect "an ambiguous prefix is 409 ambiguous_commit naming two commits" 409 \
  "\"code\":\"ambiguous_commit\".*$A.*$B"
req GET /api/v1/projects/demo/commits/ccccccc
expect "an unknown prefix is 404" 404 '"code":"commit_not_found"'
req GET /api/v1/projects/demo/commits/bbbbbb
expect "6 digits are not a commit name" 404 '"code":"commit_not_found"'
req GET "/api/v1/projects/demo/commits/bbbbbbb/verdict?testbed=tb2"
expect "the verdict endpoint takes a prefix" 200 "\"commit\":\"$C\",\"testbed\":\"tb2\""
req GET "/api/v1/projects/demo/commits/aaaaaaa/verdict"
expect "the verdict endpoint answers an ambiguous prefix with 409" 409 ambiguous_commit
req GET "/api/v1/projects/demo/compare?base=aaaaaaa1&head=bbbbbbb&testbed=tb1"
expect "compare takes prefixes for base and head" 200 "\"commit\":\"$C\""
req GET "/api/v1/projects/demo/compare?base=aaaaaaa&head=bbbbbbb&testbed=tb1"
expect "compare: an ambiguous base is 409 naming base" 409 '"code":"ambiguous_commit".*"field":"base"'
req GET "/api/v1/projects/demo/compare?base=aaaaaaa1&head=ccccccc&testbed=tb1"
expect "compare: an unknown head is 404 naming head" 404 '"field":"head"'
req GET "/api/v1/projects/demo/compare?base=aaaaaa&head=bbbbbbb&testbed=tb1"
expect "compare: a 6-digit base is 400" 400 '"field":"base"'
req GET "/api/v1/projects/demo/commits?testbed=tb1&limit=1&before=bbbbbbb"
expect "the history cursor takes a prefix" 200 "\"sha\":\"$B\""

# ---- unknown testbeds and branches ----
series="/api/v1/projects/demo/series?benchmark=b&measure=wall_time"
for q in "/api/v1/projects/demo/commits?testbed=nope" "/api/v1/projects/demo/benchmarks?testbed=nope" \
  "$series&testbed=nope" "/api/v1/projects/demo/commits/$C/verdict?testbed=nope" \
  "/api/v1/projects/demo/compare?base=$A&head=$C&testbed=nope"; do
  req GET "$q"
  expect "an unknown testbed is 404: $q" 404 '"field":"testbed"'
done
for q in "/api/v1/projects/demo/commits?branch=nope" \
  "/api/v1/projects/demo/benchmarks?testbed=tb1&branch=nope" "$series&testbed=tb1&branch=nope"; do
  req GET "$q"
  expect "an unknown branch is 404: $q" 404 '"field":"branch"'
done
req GET "/api/v1/projects/demo/benchmarks?testbed=tb1"
expect "a known testbed still answers" 200 '"benchmark":"b"'

# ---- a commit's full verdicts ----
curl -s "$URL/api/v1/projects/demo/commits/$C" >"$TMP/commit.json"
curl -s "$URL/api/v1/projects/demo/commits/$C/verdict?testbed=tb1" >"$TMP/v1.json"
curl -s "$URL/api/v1/projects/demo/commits/$C/verdict?testbed=tb2" >"$TMP/v2.json"
if /usr/bin/python3 - "$TMP" <<'PY'; then
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/commit.json"))
v = [json.load(open(d + "/v1.json")), json.load(open(d + "/v2.json"))]
assert c["commit"]["sha"].startswith("bbbbbbb3") and len(c["runs"]) == 2, c
assert c["verdicts"] == v, (c["verdicts"], v)
assert all("results" in x and "markdown" in x for x in c["verdicts"])
PY
  ok "GET commits/{sha} holds one full verdict per testbed, equal to the verdict endpoint's"
else
  bad "GET commits/{sha} verdicts: $(head -c 300 "$TMP/commit.json")"
fi

# ---- POST /projects takes only the members it knows ----
req POST /api/v1/projects "${json_type[@]}" "${admin[@]}" -d '{"slug":"p2","gate_windw":50}'
expect "an unknown member of POST /projects is 400 naming it" 400 '"field":"gate_windw"'
req POST /api/v1/projects "${json_type[@]}" "${admin[@]}" -d '{"slug":"p2","slug":"p3"}'
expect "a member given twice is 400" 400 '"field":"slug"'
req GET /api/v1/projects/p2
expect "a refused project is not created" 404
req POST /api/v1/projects "${json_type[@]}" "${admin[@]}" \
  -d '{"slug":"p2","github_repo":"acme/p2","default_branch":"trunk","alpha":0.01,"gate_window":20,"noise_window":40}'
expect "every documented member is accepted" 201 '"default_branch":"trunk"'

# ---- --help and --version ----
help=$("$SERVER" --help 2>/dev/null)
rc=$?
missing=""
for flag in --db --listen --web --threads --private --max-body --public-url --project --role \
  --name --out --help --version "token create" "token list" "token revoke" backup; do
  grep -q -- "$flag" <<<"$help" || missing="$missing $flag"
done
[[ $rc == 0 && -z $missing ]] && ok "benchgated --help exits 0 and explains every flag" ||
  bad "benchgated --help: exit $rc, missing:$missing"
version=$(sed -n 's/^project(benchgate VERSION \([0-9.]*\).*/\1/p' "$BG_SOURCE/CMakeLists.txt")
out=$("$SERVER" --version 2>/dev/null)
rc=$?
[[ $rc == 0 && $out == "benchgated $version" && -n $version ]] &&
  ok "benchgated --version prints the project's version and exits 0" ||
  bad "benchgated --version: exit $rc, '$out' (project version '$version')"
"$SERVER" token create --help >/dev/null 2>&1 && ok "token create --help exits 0" ||
  bad "token create --help exits non-zero"
"$SERVER" --no-such-flag >/dev/null 2>&1
[[ $? == 2 ]] && ok "an unknown flag still exits 2" || bad "unknown flag exit status"

finish
