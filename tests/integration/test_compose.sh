#!/usr/bin/env bash
# test_compose.sh: docker-compose.yml and the Dockerfile hold what a deployment relies on,
# without a Docker engine. `docker-compose config -q` validates the compose file (skipped,
# exit 77, where docker-compose is not installed: scripts/deps.sh installs it); then a
# checker reads the resolved compose file and the Dockerfile: the server's ports are bound to
# 127.0.0.1 only, every secret is a file and reaches benchgated through its *-file flags
# (never the environment), the database is a named volume, the Dockerfile has its four
# stages, a non-root USER, a HEALTHCHECK, a VOLUME and the entrypoint's flags in the final
# stages, every COPY source exists in the checkout and is not excluded by .dockerignore,
# every apt package exists (apt-cache show), and the runtime stages install the Debian
# packages of every library the built binaries link (readelf, dpkg -S). The checker is also
# run on broken copies, each of which it must reject.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

if ! command -v docker-compose >/dev/null; then
  echo "docker-compose is not installed: skipped (scripts/deps.sh installs it)"
  exit 77
fi
unset BENCHGATE_SECRETS BENCHGATE_PUBLIC_URL
export APT_KNOWN=$TMP/apt-known.json
compose() { docker-compose --project-directory "$BG_SOURCE" -f "$1" config "${@:2}"; }

expect_exit 0 "docker-compose config -q accepts docker-compose.yml" -- \
  compose "$BG_SOURCE/docker-compose.yml" -q
compose "$BG_SOURCE/docker-compose.yml" >"$TMP/resolved.yml" 2>"$TMP/err" || show err

cat >"$TMP/check.py" <<'PY'
"""check.py RESOLVED-COMPOSE DOCKERFILE SOURCE [BUILD]: prints one line per failed check and
exits 1 when any failed."""
import fnmatch, json, os, re, shlex, subprocess, sys
import yaml

resolved, dockerfile, src = sys.argv[1:4]
build = sys.argv[4] if len(sys.argv) > 4 else ""
failures, checks = [], 0
def check(name, cond):
    global checks
    checks += 1
    if not cond:
        failures.append(name)

# ---- the compose file, as docker-compose resolved it ----
c = yaml.safe_load(open(resolved))
services = c.get("services", {})
check("services server and agent", {"server", "agent"} <= set(services))
for name, svc in services.items():
    check(f"{name}: no host network", svc.get("network_mode") != "host")
    for p in svc.get("ports", []):
        text = p if isinstance(p, str) else f"{p.get('host_ip', '')}:{p.get('published')}:"
        check(f"{name}: port {text} bound to 127.0.0.1", text.startswith("127.0.0.1:"))
    env = svc.get("environment", {}) or {}
    keys = env.keys() if isinstance(env, dict) else [e.split("=")[0] for e in env]
    for k in keys:
        check(f"{name}: secret {k} not in the environment",
              k not in ("BENCHGATE_GITHUB_TOKEN", "BENCHGATE_WEBHOOK_SECRET", "BENCHGATE_TOKEN"))
secrets = c.get("secrets", {})
secrets_dir = os.path.join(src, "secrets")
for name, s in secrets.items():
    check(f"secret {name} comes from a file", set(s) == {"file"})
    check(f"secret {name} lies in {secrets_dir}",
          os.path.dirname(s.get("file", "")) == secrets_dir)
check("secrets/ is kept out of git", os.path.isfile(os.path.join(secrets_dir, ".gitignore")))

def service_secrets(svc):
    return {s if isinstance(s, str) else s.get("source") for s in svc.get("secrets", [])}

server = services.get("server", {})
cmd = server.get("command", [])
cmd = shlex.split(cmd) if isinstance(cmd, str) else cmd
for flag, secret in (("--github-token-file", "github_token"),
                     ("--webhook-secret-file", "webhook_secret")):
    value = cmd[cmd.index(flag) + 1] if flag in cmd[:-1] else None
    check(f"server: {flag} /run/secrets/{secret}", value == f"/run/secrets/{secret}")
    check(f"server: has the secret {secret}", secret in service_secrets(server))
db_volume = [v for v in server.get("volumes", []) if isinstance(v, str)
             and v.split(":")[1:2] == ["/var/lib/benchgate"]]
check("server: a named volume on /var/lib/benchgate",
      len(db_volume) == 1 and db_volume[0].split(":")[0] in (c.get("volumes") or {}))
check("server: stops gracefully (stop_grace_period)", "stop_grace_period" in server)

agent = services.get("agent", {})
mounts = [v.split(":") for v in agent.get("volumes", []) if isinstance(v, str)]
conf = [m[0] for m in mounts if m[1:2] == ["/etc/benchgate/agent.yml"]]
check("agent: agent.yml mounted from the checkout",
      len(conf) == 1 and conf[0].startswith(src + "/") and os.path.isfile(conf[0]))
if conf and os.path.isfile(conf[0]):
    a = yaml.safe_load(open(conf[0]))
    tf = a.get("token_file", "")
    check("agent.yml: token_file is one of the agent's secrets",
          tf.startswith("/run/secrets/") and tf[len("/run/secrets/"):] in service_secrets(agent))
    host = re.match(r"https?://([^:/]+)", a.get("server", ""))
    check("agent.yml: server is the compose service", host and host.group(1) == "server")
    check("agent.yml: workdir is the agent's volume",
          any(m[1:2] == [a.get("workdir")] and m[0] in (c.get("volumes") or {}) for m in mounts))

# ---- the Dockerfile ----
lines, cur = [], ""
for raw in open(dockerfile):
    s = raw.rstrip("\n")
    if not cur and s.lstrip().startswith("#"):
        continue
    if cur and s.lstrip().startswith("#"):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    cur += s
    if cur.strip():
        lines.append(cur.strip())
    cur = ""
stages, order = {}, []
for ln in lines:
    word, _, rest = ln.partition(" ")
    word = word.upper()
    if word == "FROM":
        m = re.match(r"(\S+)\s+AS\s+(\S+)", rest, re.I)
        name = m.group(2) if m else f"#{len(order)}"
        order.append(name)
        stages[name] = []
    elif order:
        stages[order[-1]].append((word, rest.strip()))
for s in ("build", "web", "agent", "server"):
    check(f"Dockerfile: stage {s}", s in stages)
check("Dockerfile: the server is the last stage (the default target)",
      order[-1:] == ["server"])
for name, svc in services.items():
    target = (svc.get("build") or {}).get("target")
    check(f"{name}: build target {target} is a stage", target in stages)

def instr(stage, word):
    return [r for w, r in stages.get(stage, []) if w == word]
for s in ("agent", "server"):
    users = instr(s, "USER")
    check(f"Dockerfile {s}: USER is not root",
          users and users[-1].split(":")[0] not in ("root", "0"))
    check(f"Dockerfile {s}: a VOLUME", instr(s, "VOLUME"))
check("Dockerfile server: HEALTHCHECK of /healthz",
      any("/healthz" in h for h in instr("server", "HEALTHCHECK")))
check("Dockerfile server: EXPOSE 8080", "8080" in " ".join(instr("server", "EXPOSE")).split())
check("Dockerfile server: VOLUME /var/lib/benchgate",
      any("/var/lib/benchgate" in json.loads(v) if v.startswith("[") else "/var/lib/benchgate"
          in v.split() for v in instr("server", "VOLUME")))
ep = instr("server", "ENTRYPOINT")
ep = json.loads(ep[-1]) if ep and ep[-1].startswith("[") else []
check("Dockerfile server: ENTRYPOINT benchgated --db --listen 0.0.0.0:8080 --web",
      ep[:1] == ["benchgated"] and "--db" in ep and "0.0.0.0:8080" in ep and "--web" in ep)

ignore = [p.strip().rstrip("/") for p in open(os.path.join(src, ".dockerignore"))
          if p.strip() and not p.startswith("#")]
def ignored(path):
    path = path.rstrip("/")
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.replace("**/", ""))
               for p in ignore)
for name in order:
    for word, rest in stages[name]:
        if word != "COPY":
            continue
        args = json.loads(rest) if rest.startswith("[") else rest.split()
        opts = [a for a in args if a.startswith("--")]
        paths = [a for a in args if not a.startswith("--")]
        frm = [o.split("=", 1)[1] for o in opts if o.startswith("--from=")]
        if frm:
            check(f"COPY --from={frm[0]}: an earlier stage",
                  frm[0] in order[:order.index(name)])
            continue
        for p in paths[:-1]:
            check(f"COPY {p} ({name}): exists in the checkout",
                  os.path.exists(os.path.join(src, p)))
            check(f"COPY {p} ({name}): not excluded by .dockerignore", not ignored(p))

def apt_packages(stage):
    pk = []
    for r in instr(stage, "RUN"):
        for part in re.split(r"&&|;", r):
            m = re.search(r"apt-get install (.*)", part)
            if m:
                pk += [w for w in m.group(1).split() if not w.startswith("-")]
    return pk
# One apt-cache call for the names not yet known (it takes a second), remembered in
# $APT_KNOWN between runs: {name: exists}.
known_file = os.environ.get("APT_KNOWN", "")
known = json.load(open(known_file)) if known_file and os.path.exists(known_file) else {}
wanted = {p for stage in order for p in apt_packages(stage)}
ask = sorted(wanted - set(known))
if ask:
    out = subprocess.run(["apt-cache", "show", "--no-all-versions", *ask], capture_output=True,
                         text=True).stdout
    found = set(re.findall(r"^Package: (\S+)$", out, re.M))
    known.update({p: p in found for p in ask})
    if known_file:
        json.dump(known, open(known_file, "w"))
for stage in order:
    for p in apt_packages(stage):
        check(f"apt package {p} ({stage}) exists", known[p])

# The runtime stages install the package of every library their binary links.
for stage, binary in (("server", "benchgated"), ("agent", "benchgate")):
    path = os.path.join(build, "bin", binary)
    if not build or not os.path.exists(path):
        continue
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]",
                        subprocess.run(["readelf", "-d", path], capture_output=True,
                                       text=True).stdout)
    check(f"{binary}: readelf lists its libraries", needed)
    have = set(apt_packages(stage))
    out = subprocess.run(["dpkg", "-S", *(f"*/{lib}" for lib in needed)], capture_output=True,
                         text=True).stdout
    owners = {}  # library file name: the packages that ship it
    for line in out.splitlines():
        m = re.match(r"([^:,]+)(?::\S+)?(?:, [^:]+)*: (.*)$", line)
        if m:
            owners.setdefault(os.path.basename(m.group(2)), set()).add(m.group(1))
    for lib in needed:
        pkgs = owners.get(lib, set())
        check(f"{binary} links {lib}: {stage} installs one of {sorted(pkgs)}",
              pkgs & (have | {"libc6"}))

for f in failures:
    print("FAIL", f)
print(f"{len(failures)} failed of {checks} checks")
sys.exit(1 if failures else 0)
PY

# The libraries of the build are checked against the images' packages only for a build like the
# images' own: a sanitizer build links the sanitizers' runtimes, which no image needs.
LIB_BUILD=$BG_BUILD
if [ ! -x "$SERVER" ] || readelf -d "$SERVER" | grep -q 'libasan\|libubsan\|libtsan'; then
  LIB_BUILD=""
  echo "not checked here: the linked libraries (no build, or a sanitizer build)"
fi

expect_exit 0 "the compose file and the Dockerfile pass every check" -- \
  "$PY" "$TMP/check.py" "$TMP/resolved.yml" "$BG_SOURCE/Dockerfile" "$BG_SOURCE" "$LIB_BUILD"
has out "^0 failed of [0-9]{2,} checks" "  (every check ran: $(tail -n 1 "$TMP/out"))"

# The checker rejects each of these broken copies, naming what is wrong.
# reject NAME FILE WANT -- COMMAND...: FILE (docker-compose.yml or Dockerfile) piped through
# COMMAND must fail the check whose line contains WANT.
reject() {
  local name=$1 file=$2 want=$3
  shift 4
  "$@" <"$BG_SOURCE/$file" >"$TMP/bad.$file"
  if cmp -s "$BG_SOURCE/$file" "$TMP/bad.$file"; then
    bad "$name: the edit changed nothing"
    return
  fi
  local yml=$TMP/resolved.yml dockerfile=$BG_SOURCE/Dockerfile
  if [ "$file" = docker-compose.yml ]; then
    yml=$TMP/bad.resolved.yml
    compose "$TMP/bad.$file" >"$yml" 2>"$TMP/err" || show err
  else
    dockerfile=$TMP/bad.$file
  fi
  expect_exit 1 "rejected: $name" -- "$PY" "$TMP/check.py" "$yml" "$dockerfile" "$BG_SOURCE" &&
    has -F out "$want" "  for: $want"
}
reject "the server's port on every address" docker-compose.yml "bound to 127.0.0.1" -- \
  sed 's/"127\.0\.0\.1:8080:8080"/"8080:8080"/'
reject "a token in the environment" docker-compose.yml "BENCHGATE_GITHUB_TOKEN not in the env" -- \
  sed 's/^    restart: unless-stopped$/&\n    environment: {BENCHGATE_GITHUB_TOKEN: x}/'
reject "an external secret" docker-compose.yml "secret webhook_secret comes from a file" -- \
  sed 's|^    file: .*/webhook_secret$|    external: true|'
reject "the database on a bind mount" docker-compose.yml "a named volume on /var/lib/benchgate" -- \
  sed 's|benchgate-db:/var/lib/benchgate|./var:/var/lib/benchgate|'
reject "the agent.yml of elsewhere" docker-compose.yml "agent.yml mounted from the checkout" -- \
  sed 's|\./examples/compose/agent.yml:|/etc/agent.yml:|'
reject "no USER in the server stage" Dockerfile "server: USER is not root" -- \
  awk '/^FROM .* AS server/ { s = 1 } !(s && /^USER /)'
reject "the agent runs as root" Dockerfile "agent: USER is not root" -- \
  awk '/^FROM .* AS agent/ { s = 1 } /^FROM .* AS server/ { s = 0 } { if (s && /^USER /) $0 = "USER 0" } 1'
reject "no HEALTHCHECK" Dockerfile "HEALTHCHECK of /healthz" -- sed '/^HEALTHCHECK/,+1d'
reject "no VOLUME for the database" Dockerfile "VOLUME /var/lib/benchgate" -- \
  sed '/^VOLUME \["\/var\/lib\/benchgate"\]/d'
reject "no web stage" Dockerfile "stage web" -- sed 's/ AS web$/ AS node/'
reject "a COPY of a missing directory" Dockerfile "COPY schemas/ (build): exists" -- \
  sed 's|^COPY schema/ schema/|COPY schemas/ schema/|'
reject "a COPY of an ignored directory" Dockerfile "COPY build/ (server): not excluded" -- \
  sed 's|^COPY web/ /usr|COPY build/ /usr|'
reject "an apt package that does not exist" Dockerfile "apt package libmicrohttpd99 (server)" -- \
  sed 's/libmicrohttpd12/libmicrohttpd99/'
if [ -n "$LIB_BUILD" ]; then
  # With the build: a library benchgated links but the server stage does not install.
  expect_exit 1 "rejected: a runtime library missing" -- "$PY" "$TMP/check.py" \
    "$TMP/resolved.yml" <(sed 's/libsqlite3-0 //' "$BG_SOURCE/Dockerfile") "$BG_SOURCE" \
    "$LIB_BUILD" && has -F out "libsqlite3.so.0: server installs one of" "  for: libsqlite3"
fi

# The agent's compose configuration is one the real agent accepts.
expect_exit 0 "benchgate serve --check accepts examples/compose/agent.yml" -- \
  "$AGENT" serve --check --config "$BG_SOURCE/examples/compose/agent.yml"
finish
