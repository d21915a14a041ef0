#!/usr/bin/env python3
"""github_app_stub.py: a fake GitHub for the App's installation-token flow, on loopback.

Usage: github_app_stub.py LOG. Prints its port on the first line, then serves until killed.
Every request is appended to LOG as one line, "METHOD PATH AUTHORIZATION", before it is
answered, so a caller that got its answer can read what was asked. The JWT is not verified
here (the Python standard library has no RSA): the caller verifies the JWTs of the log.

Repositories (GET /repos/acme/NAME/installation, answered 401 without a bearer JWT):
  app, other   installation 11 (tokens valid for an hour)
  short        installation 22 (tokens valid for 4 minutes, inside the renewal margin)
  notoken      installation 33 (its token request answers 500)
  moved        installation 55 the first time, 56 afterwards; 55 gives one token, then 404
               (the App was uninstalled and installed again)
  missing      404 (the App is not installed)
  broken       500
Tokens are "ghs_i<installation>_<n>", n counting from 1 per installation.
"""
import datetime
import http.server
import json
import re
import sys
import threading

INSTALLS = {"app": 11, "other": 11, "short": 22, "notoken": 33}
LIFETIME = {11: 3600, 22: 240, 55: 3600, 56: 3600}


class State:
    def __init__(self, log):
        self.log = log
        self.lock = threading.Lock()
        self.counts = {}
        self.moved_lookups = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self):
        st = self.server.state
        auth = self.headers.get("Authorization", "-")
        with st.lock:
            with open(st.log, "a") as f:
                f.write("%s %s %s\n" % (self.command, self.path, auth))
        return auth

    def authorized(self, auth):
        return re.fullmatch(r"Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", auth)

    def do_GET(self):
        auth = self.record()
        m = re.fullmatch(r"/repos/acme/([A-Za-z0-9._-]+)/installation", self.path)
        if not m:
            return self.answer(404, {"message": "Not Found"})
        if not self.authorized(auth):
            return self.answer(401, {"message": "A JSON web token could not be decoded"})
        name = m.group(1)
        st = self.server.state
        if name == "broken":
            return self.answer(500, {"message": "Server Error"})
        if name == "moved":
            with st.lock:
                st.moved_lookups += 1
                inst = 55 if st.moved_lookups == 1 else 56
        elif name in INSTALLS:
            inst = INSTALLS[name]
        else:
            return self.answer(404, {"message": "Not Found"})
        return self.answer(200, {"id": inst, "app_id": 12345, "account": {"login": "acme"}})

    def do_POST(self):
        auth = self.record()
        length = int(self.headers.get("Content-Length", "0") or "0")
        if length:
            self.rfile.read(length)
        m = re.fullmatch(r"/app/installations/([0-9]+)/access_tokens", self.path)
        if not m:
            return self.answer(404, {"message": "Not Found"})
        if not self.authorized(auth):
            return self.answer(401, {"message": "A JSON web token could not be decoded"})
        inst = int(m.group(1))
        st = self.server.state
        if inst == 33:
            return self.answer(500, {"message": "Server Error"})
        if inst not in LIFETIME:
            return self.answer(404, {"message": "Not Found"})
        with st.lock:
            if inst == 55 and st.counts.get(55, 0) >= 1:
                return self.answer(404, {"message": "Not Found"})
            n = st.counts[inst] = st.counts.get(inst, 0) + 1
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        expires = now + datetime.timedelta(seconds=LIFETIME[inst])
        return self.answer(201, {
            "token": "ghs_i%d_%d" % (inst, n),
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "permissions": {"checks": "write", "statuses": "write"},
            "repository_selection": "all",
        })


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(sys.argv[1])
    open(sys.argv[1], "w").close()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
