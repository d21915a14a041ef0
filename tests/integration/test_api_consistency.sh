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
ADMIN=$("$SERVER" token create --db "$DB" --role admin --name root 2>/dev/null)
start_server "$DB"
admin=(-H "Authorization: Bearer $ADMIN")
json_type=(-H 'Content-Type: application/json')

# expect NAME STATUS [GREP-PATTERN]: checks the last answer.
expect() {
  local name=$1 want=$2 pattern=${3:-}
  if [[ $STATUS != "$want" ]]; then
    bad "$name: status $STATUS, want $want: ${BODY:0:300}"
  elif [[ -n $pattern ]] && ! grep -qE -- "$pattern" <<<"$BODY"; then
    bad "$name: body lacks /$pattern/: ${BODY:0:300}"
  else
    ok "$name"
  fi
}

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

finish
