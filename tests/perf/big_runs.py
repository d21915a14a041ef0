#!/usr/bin/python3
"""big_runs.py: payloads with many threshold rules or many results, and what a real
benchgated spends on them.

As a generator (`big_runs.py payload ...`) it prints one run payload (benchgate.run/v1) on
stdout; the integration test tests/integration/test_limits_rules.sh uses it so. As a
measurement (`big_runs.py measure --server BIN ...`) it starts benchgated from BIN on a
fresh database per scenario, on 127.0.0.1, and prints a Markdown table of medians [min-max]
over --rounds rounds:

  rules upload s      an upload of 200 results with 1 000-byte names carrying 32 rules whose
                      256-byte match patterns ("*aaa...ab*") cost a backtracking glob
                      len(name) x len(pattern) steps each, after one baseline run
  other testbed s     an upload of 2 results on another testbed started 0.3 s into it
  GET verdict s       GET .../commits/{sha}/verdict of the rules commit
  RSS 1 upload MB     benchgated's peak RSS (VmHWM) after one upload of --results results
                      (~19 MiB for 100 000), minus its RSS before
  RSS 4 uploads MB    the same for four such uploads sent at once (other testbeds)
  answer MB           the size of that upload's 201 answer

With two --server options both are measured, round by round, alternating which goes first.

usage: big_runs.py payload [--results N] [--name-len L] [--rules R] [--sha SHA]
                           [--testbed T] [--run-id UUID] [--branch B] [--level X]
       big_runs.py measure --server BIN [--server BIN2] [--rounds N] [--results N]
"""
import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

RULE_PATTERN = "*" + "a" * 253 + "b*"  # 256 bytes: never matches the names below


def payload(results=200, name_len=1000, rules=32, sha="1" * 40, testbed="tb", run_id=None,
            branch="main", level=1000.0, seed=1, samples=5, extra_rules=()):
    """A run of `results` results (names of name_len bytes, all 'a' but a counter) with
    `rules` expensive non-matching rules and extra_rules after them."""
    rng = random.Random(seed)
    res = []
    for i in range(results):
        tag = "%06d" % i
        name = ("a" * max(0, name_len - len(tag)) + tag) if name_len > 20 else "bench/" + tag
        res.append({"benchmark": name, "measure": "wall_time", "unit": "ns",
                    "samples": [round(level * (1 + rng.gauss(0, 0.01)), 1)
                                for _ in range(samples)]})
    doc = {"schema": "benchgate.run/v1", "run_id": run_id or str(uuid.uuid4()),
           "commit": {"sha": sha, "branch": branch, "timestamp": "2026-11-20T12:00:00Z"},
           "testbed": {"name": testbed}, "results": res}
    rl = [{"match": RULE_PATTERN, "min_effect": 0.3} for _ in range(rules)] + list(extra_rules)
    if rl:
        doc["thresholds"] = {"rules": rl}
    return doc


class Server:
    """benchgated on a fresh database; stopped with stop()."""

    def __init__(self, binary, args=()):
        self.dir = tempfile.mkdtemp(prefix="bg_big.")
        self.db = os.path.join(self.dir, "bg.db")
        self.binary = binary
        self.proc = subprocess.Popen([binary, "--db", self.db, "--listen", "127.0.0.1:0",
                                      *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on http://([^:]+):(\d+)", line)
        if not m:
            self.stop()
            sys.exit("benchgated did not start: %r" % line)
        self.host, self.port = m.group(1), int(m.group(2))
        self.token = subprocess.run([binary, "token", "create", "--db", self.db, "--role",
                                     "admin"], capture_output=True, text=True,
                                    check=True).stdout.strip()
        st, body, _ = self.request("POST", "/api/v1/projects", json.dumps({"slug": "p"}))
        if st != 201:
            sys.exit("project: %d %s" % (st, body[:200]))

    def request(self, method, path, body=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=600)
        h = {"Authorization": "Bearer " + self.token}
        if body is not None:
            h["Content-Type"] = "application/json"
        t0 = time.monotonic()
        c.request(method, path, body, h)
        r = c.getresponse()
        data = r.read()
        dt = time.monotonic() - t0
        c.close()
        return r.status, data, dt

    def upload(self, doc):
        body = doc if isinstance(doc, (bytes, str)) else json.dumps(doc)
        return self.request("POST", "/api/v1/projects/p/runs", body)

    def rss_kb(self, key):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        subprocess.run(["rm", "-rf", self.dir])


def must(st, body, want, what):
    if st not in want:
        sys.exit("%s: %d %s" % (what, st, body[:300]))


def rules_round(binary):
    s = Server(binary)
    try:
        st, b, _ = s.upload(payload(sha="1" * 40, seed=1))
        must(st, b, (201,), "baseline upload")
        big = json.dumps(payload(sha="2" * 40, seed=2))
        other = json.dumps(payload(results=2, name_len=10, rules=0, sha="3" * 40,
                                   testbed="other", seed=3))
        out = {}

        def rules_upload():
            out["rules"] = s.upload(big)

        t = threading.Thread(target=rules_upload)
        t.start()
        time.sleep(0.3)
        st, b, other_s = s.upload(other)
        must(st, b, (201,), "other testbed's upload")
        t.join()
        st, b, rules_s = out["rules"]
        must(st, b, (201,), "rules upload")
        st, b, get_s = s.request("GET", "/api/v1/projects/p/commits/%s/verdict?testbed=tb"
                                 % ("2" * 40))
        must(st, b, (200,), "GET verdict")
        return {"rules upload s": rules_s, "other testbed s": other_s, "GET verdict s": get_s}
    finally:
        s.stop()


def rss_round(binary, results, n):
    s = Server(binary)
    try:
        docs = [json.dumps(payload(results=results, name_len=48, samples=10, rules=0,
                                   sha="%040x" % (i + 1),
                                   testbed="tb%d" % i, seed=i)).encode() for i in range(n)]
        time.sleep(0.2)
        before = s.rss_kb("VmRSS")
        res = [None] * n

        def up(i):
            res[i] = s.upload(docs[i])

        ts = [threading.Thread(target=up, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for st, b, _ in res:
            must(st, b, (201,), "big upload")
        peak = s.rss_kb("VmHWM")
        return {"body MiB": len(docs[0]) / 2**20, "rss_mb": (peak - before) / 1024,
                "answer MB": len(res[0][1]) / 1e6}
    finally:
        s.stop()


def measure(args):
    servers = args.server
    vals = {b: {} for b in servers}

    def add(b, k, v):
        vals[b].setdefault(k, []).append(v)

    for r in range(args.rounds):
        order = servers if r % 2 == 0 else servers[::-1]
        for b in order:
            for k, v in rules_round(b).items():
                add(b, k, v)
            one = rss_round(b, args.results, 1)
            add(b, "RSS 1 upload MB", one["rss_mb"])
            add(b, "answer MB", one["answer MB"])
            add(b, "body MiB", one["body MiB"])
            add(b, "RSS 4 uploads MB", rss_round(b, args.results, 4)["rss_mb"])
            print("round %d %s done" % (r + 1, b), file=sys.stderr)
    keys = ["rules upload s", "other testbed s", "GET verdict s", "RSS 1 upload MB",
            "RSS 4 uploads MB", "answer MB", "body MiB"]
    print("| measure | " + " | ".join(servers) + " |")
    print("|---|" + "---:|" * len(servers))
    for k in keys:
        cells = []
        for b in servers:
            v = vals[b][k]
            cells.append("%.3g [%.3g-%.3g]" % (statistics.median(v), min(v), max(v)))
        print("| %s | %s |" % (k, " | ".join(cells)))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("payload")
    p.add_argument("--results", type=int, default=200)
    p.add_argument("--name-len", type=int, default=1000)
    p.add_argument("--rules", type=int, default=32)
    p.add_argument("--sha", default="1" * 40)
    p.add_argument("--testbed", default="tb")
    p.add_argument("--run-id")
    p.add_argument("--branch", default="main")
    p.add_argument("--level", type=float, default=1000.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--extra-rules", default="[]", help="JSON list of rules after the others")
    m = sub.add_parser("measure")
    m.add_argument("--server", action="append", required=True)
    m.add_argument("--rounds", type=int, default=3)
    m.add_argument("--results", type=int, default=100000)
    a = ap.parse_args()
    if a.cmd == "payload":
        json.dump(payload(a.results, a.name_len, a.rules, a.sha, a.testbed, a.run_id, a.branch,
                          a.level, a.seed, extra_rules=json.loads(a.extra_rules)), sys.stdout)
    else:
        measure(a)


if __name__ == "__main__":
    main()
