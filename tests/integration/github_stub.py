#!/usr/bin/env python3
"""github_stub.py: a fake GitHub REST API on 127.0.0.1 for the integration tests.

    GITHUB_STUB_TOKEN=TOKEN github_stub.py LOG [--page-size N]

Prints its port on its first line, then serves until killed. Every request to the API is
appended to LOG as one JSON line: {"t": time, "method", "path", "query", "body" (parsed JSON
or null), "authorized": whether the Authorization header was "Bearer TOKEN", "status"}. The
token itself is never written anywhere.

The API (state in memory):
  POST  /repos/O/R/statuses/SHA                201 {"id", "state", "context"}
  POST  /repos/O/R/check-runs                  201 {"id", ...}; PATCH .../check-runs/ID 200
  GET   /repos/O/R/commits/SHA/check-runs      200 {"total_count", "check_runs"} (check_name)
  GET   /repos/O/R/issues/PR/comments          200 a page of the comments (per_page, page;
                                               at most --page-size a page), Link rel="next"
  POST  /repos/O/R/issues/PR/comments          201 {"id", "body"}
  PATCH /repos/O/R/issues/comments/ID          200 {"id", "body"}; 404 for an unknown id
An unknown path answers 404 {"message": "Not Found"}.

Control (not logged), JSON bodies:
  POST /_stub/rules    {"count": N, "match": "substring of the path" (optional),
                        "status": S (optional: absent = answer normally),
                        "headers": {...} (a value "+N" for X-RateLimit-Reset is now + N s),
                        "body": {...}, "delay": seconds before answering (optional)}:
                        the next N matching requests get this; rules queue and the first
                        one that matches is used.
  POST /_stub/clear    drops every rule
  POST /_stub/comment  {"repo", "pr", "body", "foreign": true (optional: benchgate may not
                       edit it, PATCH answers 403)}: a comment that exists before any test writes
  POST /_stub/uncomment {"repo", "pr"}: deletes every comment of the pull request
  POST /_stub/check_run {"repo", "head_sha", "name"}: a check run that exists already (as a
                       crash right after GitHub created one leaves it)
  GET  /_stub/state    {"comments": {"O/R#PR": [...]}, "check_runs": {...}, "rules": N}

------------------------------------------------------------------------------------------
A GitHub App (with --app-id ID --app-public-key PEM-FILE):
  GET   /repos/O/R/installation                200 {"id": 4242} with a valid App JWT
  POST  /app/installations/4242/access_tokens  201 {"token": "ghs_...", "expires_at"} with one
A JWT is valid when it is RS256, its iss is ID, its exp lies ahead and within 10 minutes, and
its signature verifies with the public key (`openssl dgst -verify`); an installation token
it issued authorizes the API like GITHUB_STUB_TOKEN does. Log lines of these two requests say
"jwt": true or false.

Handlers of other endpoints (webhooks, GitHub App tokens) go in the block marked below.
"""
import base64
import secrets
import subprocess
import tempfile
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
STATE = {"next_id": 1000, "comments": {}, "check_runs": {}, "rules": []}
ARGS = {"log": None, "token": None, "page_size": 30, "app_id": None, "app_key": None}
ISSUED = set()  # installation tokens handed out


def new_id():
    STATE["next_id"] += 1
    return STATE["next_id"]


def take_rule(path):
    """The first queued rule matching path, its count used once (under LOCK)."""
    for rule in STATE["rules"]:
        if rule.get("match", "") in path:
            rule["count"] -= 1
            if rule["count"] <= 0:
                STATE["rules"].remove(rule)
            return rule
    return None


def rule_headers(rule):
    out = {}
    for k, v in (rule or {}).get("headers", {}).items():
        if isinstance(v, str) and v.startswith("+"):
            v = str(int(time.time()) + int(v[1:]))
        out[k] = str(v)
    return out


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_valid(header):
    """1 when the Authorization header carries a valid JWT of the App (see the top)."""
    if not ARGS["app_key"] or not header or not header.startswith("Bearer "):
        return False
    try:
        h, c, sig = header[7:].split(".")
        head, claims = json.loads(b64url(h)), json.loads(b64url(c))
        now = time.time()
        if head.get("alg") != "RS256" or str(claims.get("iss")) != str(ARGS["app_id"]):
            return False
        if not (now < claims.get("exp", 0) <= now + 600 + 5):
            return False
        with tempfile.NamedTemporaryFile() as data, tempfile.NamedTemporaryFile() as s:
            data.write((h + "." + c).encode())
            data.flush()
            s.write(b64url(sig))
            s.flush()
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", ARGS["app_key"],
                                "-signature", s.name, data.name], capture_output=True)
            return r.returncode == 0
    except (ValueError, OSError):
        return False


def app_api(method, path):
    """The App's endpoints: (status, headers, json), or None for another path."""
    parts = path.strip("/").split("/")
    if method == "GET" and len(parts) == 4 and parts[0] == "repos" and parts[3] == "installation":
        return 200, {}, {"id": 4242}
    if method == "POST" and parts == ["app", "installations", "4242", "access_tokens"]:
        token = "ghs_" + secrets.token_hex(16)
        ISSUED.add(token)
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        return 201, {}, {"token": token, "expires_at": expires}
    return None


def api(method, path, query, body, base):
    """The fake API's answer: (status, headers, json)."""
    parts = path.strip("/").split("/")
    if len(parts) < 3 or parts[0] != "repos":
        return 404, {}, {"message": "Not Found"}
    repo, rest = parts[1] + "/" + parts[2], parts[3:]
    if method == "POST" and len(rest) == 2 and rest[0] == "statuses":
        return 201, {}, {"id": new_id(), "state": (body or {}).get("state"),
                         "context": (body or {}).get("context")}
    if method == "GET" and len(rest) == 3 and rest[0] == "commits" and rest[2] == "check-runs":
        name = query.get("check_name", [None])[0]
        runs = [dict(b, id=i) for i, b in STATE["check_runs"].get(repo, {}).items()
                if b.get("head_sha") == rest[1] and name in (None, b.get("name"))]
        return 200, {}, {"total_count": len(runs), "check_runs": runs}
    if rest[:1] == ["check-runs"]:
        runs = STATE["check_runs"].setdefault(repo, {})
        if method == "POST" and len(rest) == 1:
            i = new_id()
            runs[i] = body
            return 201, {}, dict(body or {}, id=i)
        if method == "PATCH" and len(rest) == 2 and rest[1].isdigit() and int(rest[1]) in runs:
            runs[int(rest[1])] = body
            return 200, {}, dict(body or {}, id=int(rest[1]))
    if rest[:1] == ["issues"] and len(rest) == 3 and rest[2] == "comments" and rest[1].isdigit():
        lst = STATE["comments"].setdefault(repo + "#" + rest[1], [])
        if method == "GET":
            per = min(int(query.get("per_page", ["30"])[0]), ARGS["page_size"])
            page = int(query.get("page", ["1"])[0])
            chunk = lst[(page - 1) * per:page * per]
            headers = {}
            if page * per < len(lst):
                headers["Link"] = '<%s%s?per_page=%d&page=%d>; rel="next"' % (
                    base, path, per, page + 1)
            return 200, headers, chunk
        if method == "POST":
            c = {"id": new_id(), "body": (body or {}).get("body")}
            lst.append(c)
            return 201, {}, c
    if method == "PATCH" and rest[:2] == ["issues", "comments"] and len(rest) == 3:
        for key, lst in STATE["comments"].items():
            if key.startswith(repo + "#"):
                for c in lst:
                    if str(c["id"]) == rest[2]:
                        if c.get("foreign"):
                            return 403, {}, {"message": "Resource not accessible by integration"}
                        c["body"] = (body or {}).get("body")
                        return 200, {}, c
    # ---- handlers of other helpers' endpoints go here (return their answer) ----
    return 404, {}, {"message": "Not Found"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: with Nagle's algorithm the body would
    # wait for the client's delayed ACK of the headers, 40 ms an answer.
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def answer(self, status, headers, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def control(self, path, body):
        if path == "/_stub/rules":
            STATE["rules"].append(dict(body))
        elif path == "/_stub/clear":
            STATE["rules"].clear()
        elif path == "/_stub/comment":
            lst = STATE["comments"].setdefault("%s#%s" % (body["repo"], body["pr"]), [])
            lst.append({"id": new_id(), "body": body["body"], "foreign": bool(body.get("foreign"))})
        elif path == "/_stub/check_run":
            runs = STATE["check_runs"].setdefault(body["repo"], {})
            runs[new_id()] = {"name": body["name"], "head_sha": body["head_sha"],
                              "status": "queued"}
        elif path == "/_stub/uncomment":
            STATE["comments"].pop("%s#%s" % (body["repo"], body["pr"]), None)
        elif path == "/_stub/state":
            return {"comments": STATE["comments"], "rules": len(STATE["rules"]),
                    "check_runs": {k: {str(i): b for i, b in v.items()}
                                   for k, v in STATE["check_runs"].items()}}
        return {"ok": True}

    def handle_any(self, method):
        url = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with LOCK:
            if url.path.startswith("/_stub/"):
                return self.answer(200, {}, self.control(url.path, body or {}))
            auth = self.headers.get("Authorization") or ""
            authorized = auth == "Bearer %s" % ARGS["token"] or auth[7:] in ISSUED
            rule = take_rule(url.path)
            base = "http://%s:%d" % self.server.server_address[:2]
            app = app_api(method, url.path) if ARGS["app_key"] else None
            jwt = None
            if app:
                jwt = jwt_valid(auth)
                status, headers, obj = app if jwt else (401, {}, {"message": "A JSON web token could not be decoded"})
                authorized = jwt
            elif rule and "status" in rule:
                status, headers, obj = rule["status"], {}, rule.get("body", {"message": "stub"})
            elif not authorized:
                status, headers, obj = 401, {}, {"message": "Bad credentials"}
            else:
                status, headers, obj = api(method, url.path, parse_qs(url.query), body, base)
            headers.update(rule_headers(rule))
            with open(ARGS["log"], "a") as f:
                line = {"t": time.time(), "method": method, "path": url.path,
                        "query": url.query, "body": body, "authorized": authorized,
                        "status": status}
                if jwt is not None:
                    line["jwt"] = jwt
                f.write(json.dumps(line) + "\n")
        time.sleep((rule or {}).get("delay", 0))
        try:
            self.answer(status, headers, obj)
        except OSError:
            pass  # the client gave up waiting

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")


def main():
    argv = sys.argv[1:]
    ARGS["log"] = argv[0]
    ARGS["token"] = os.environ.get("GITHUB_STUB_TOKEN")
    if "--page-size" in argv:
        ARGS["page_size"] = int(argv[argv.index("--page-size") + 1])
    if "--app-id" in argv:
        ARGS["app_id"] = argv[argv.index("--app-id") + 1]
        ARGS["app_key"] = argv[argv.index("--app-public-key") + 1]
    open(ARGS["log"], "w").close()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
