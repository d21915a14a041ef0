#!/usr/bin/env python3
"""seed_dashboard.py: fills a benchgated through its real API with the data of the dashboard's
performance benchmark (tests/perf/dashboard.sh).

  perf  testbed tb, 1 000 main commits x 200 benchmarks (one measure each, 10 samples): each
        benchmark a level of its own, a within-run noise of 0.2-5 % and a between-run noise of
        0.5 %; five benchmarks step up by 12-25 % and two step down by 15 % at fixed commits,
        so the series have change points and the step-up commits fail with a regression alert.
  wide  testbed tb, 31 main commits x 1 000 results; the last one, uploaded after the other
        30, has a verdict against 30 baseline runs: 40 regressed, 40 improved, 10 new, 10
        missing, the rest unchanged.
  long  testbed tb, 10 000 main commits of one benchmark (5 samples), steps at 3 000 (+10 %),
        7 000 (-8 %) and 9 900 (+15 %).

Runs are uploaded by --clients threads, each on a keep-alive connection, from one queue that
interleaves the three projects and keeps each project's commits in order (a commit can only
overtake the few still in flight); the last commit of wide waits for all others. The data is
a function of nothing but this file (fixed seeds), so a database seeded by one version of it
can be reused (dashboard.sh keys its cache by this file's hash).

usage: seed_dashboard.py URL ADMIN_TOKEN [--clients N] [--scale F]
  --scale F  multiplies the commit counts (0.1: a quick try; 1: the benchmark).
Prints the heads it made as KEY=VALUE lines: WIDE_SHA, LONG_BENCHMARK, LONG_MEASURE, ...
"""
import argparse
import datetime
import http.client
import json
import math
import queue
import random
import sys
import threading
import time
import urllib.parse
import uuid

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
AUTHORS = ["Ada Lovelace <ada@example.org>", "Grace Hopper <grace@example.org>",
           "Linus Dev <linus@example.org>", "Barbara Liskov <barbara@example.org>"]
VERBS = ["Speed up", "Refactor", "Fix", "Inline", "Cache", "Simplify", "Vectorise", "Tidy"]
NOUNS = ["the tokenizer", "the hash table", "the allocator", "string interning", "the parser",
         "the scheduler", "the JSON writer", "bounds checks", "the index", "the cache"]
AREAS = ["parse", "render", "hash", "alloc", "sort", "json", "regex", "io", "net", "zip"]
OPS = ["small", "large", "mixed", "cold", "warm"]
MEASURES = [("wall_time", "ns"), ("cpu_time", "ns"), ("instructions", "count")]


def stamp(minutes):
    return (START + datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha_of(project, n):
    """A distinct sha per project and commit number: the project's tag, then n."""
    tag = {"perf": 0xA, "wide": 0xB, "long": 0xC}[project]
    return "%x%039x" % (tag, n)


def subject(rng, n):
    return "%s %s (#%d)" % (rng.choice(VERBS), rng.choice(NOUNS), 1000 + n)


class Bench:
    """One (benchmark, measure) with its level, noise and steps [(commit, factor)]."""

    def __init__(self, rng, name, measure, unit, steps=()):
        self.name, self.measure, self.unit = name, measure, unit
        self.level = math.exp(rng.uniform(math.log(200), math.log(5e6)))
        self.cv = math.exp(rng.uniform(math.log(0.002), math.log(0.05)))
        self.steps = list(steps)

    def samples(self, rng, n, count):
        level = self.level
        for at, factor in self.steps:
            if n >= at:
                level *= factor
        center = level * math.exp(rng.gauss(0, 0.005))
        return [round(center * math.exp(rng.gauss(0, self.cv)), 3) for _ in range(count)]

    def result(self, rng, n, count):
        return {"benchmark": self.name, "measure": self.measure, "unit": self.unit,
                "direction": "lower", "samples": self.samples(rng, n, count)}


def run_body(project, n, benches, rng, count, minutes):
    return {"schema": "benchgate.run/v1",
            "run_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/%d" % (project, n))),
            "commit": {"sha": sha_of(project, n), "branch": "main",
                       "parents": [sha_of(project, n - 1)] if n > 1 else [],
                       "message": subject(rng, n) + "\n\nDetails of the change.",
                       "author": rng.choice(AUTHORS), "timestamp": stamp(minutes * n)},
            "testbed": {"name": "tb"},
            "results": [b.result(rng, n, count) for b in benches]}


def perf_runs(commits):
    rng = random.Random(1)
    names = ["%s/%s/%d" % (AREAS[i % 10], OPS[(i // 10) % 5], 16 << (i // 50)) for i in range(200)]
    steps = {7: [(int(commits * 0.60), 1.20)], 23: [(int(commits * 0.85), 1.12)],
             42: [(int(commits * 0.95), 1.25)], 77: [(int(commits * 0.40), 1.15)],
             150: [(commits, 1.18)], 99: [(int(commits * 0.30), 0.85)],
             180: [(int(commits * 0.70), 0.85)]}
    benches = []
    for i, name in enumerate(names):
        measure, unit = MEASURES[i % 3]
        benches.append(Bench(rng, name, measure, unit, steps.get(i, ())))
    for n in range(1, commits + 1):
        yield n, run_body("perf", n, benches, rng, 10, 60)


def wide_runs():
    rng = random.Random(2)
    benches = [Bench(rng, "case_%04d" % i, "wall_time", "ns") for i in range(1000)]
    for i in range(40):
        benches[i].steps = [(31, 1.3)]
        benches[40 + i].steps = [(31, 0.75)]
    new = [Bench(rng, "fresh_%02d" % i, "wall_time", "ns") for i in range(10)]
    for n in range(1, 32):
        # the last run drops the last 10 benchmarks (missing) and brings 10 new ones
        current = benches[:-10] + new if n == 31 else benches
        yield n, run_body("wide", n, current, rng, 10, 60)


def long_runs(commits):
    rng = random.Random(3)
    b = Bench(rng, "scan/full", "wall_time", "ns")
    b.steps = [(int(commits * 0.30), 1.10), (int(commits * 0.70), 0.92),
               (int(commits * 0.99), 1.15)]
    for n in range(1, commits + 1):
        yield n, run_body("long", n, [b], rng, 5, 10)


class Uploader:
    """Uploads run bodies from a queue with several threads, one connection each."""

    def __init__(self, url, token):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.token = token
        self.errors = []
        self.done = 0
        self.lock = threading.Lock()

    def post(self, conn, project, body):
        data = json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(3):
            try:
                conn.request("POST", "/api/v1/projects/%s/runs" % project, body=data,
                             headers={"Content-Type": "application/json",
                                      "Authorization": "Bearer " + self.token})
                resp = conn.getresponse()
                text = resp.read()
                if resp.status in (200, 201):
                    return conn
                raise RuntimeError("%s: %d %s" % (project, resp.status, text[:300]))
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                if attempt == 2:
                    raise
        return conn

    def worker(self, q):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        while True:
            item = q.get()
            if item is None:
                return
            project, body = item
            try:
                conn = self.post(conn, project, body)
                with self.lock:
                    self.done += 1
            except Exception as e:  # noqa: BLE001 -- reported, the seeding fails
                with self.lock:
                    self.errors.append(str(e))

    def upload(self, items, clients):
        """Uploads the (project, body) pairs of the iterator items, roughly in order."""
        q = queue.Queue(maxsize=clients * 4)
        threads = [threading.Thread(target=self.worker, args=(q,)) for _ in range(clients)]
        for t in threads:
            t.start()
        for item in items:
            if self.errors:
                break
            q.put(item)
        for _ in threads:
            q.put(None)
        for t in threads:
            t.join()
        if self.errors:
            sys.exit("seeding failed: %s" % self.errors[0])


def interleave(streams):
    """Merges [(project, total, iterator of (n, body))] by progress n/total, so each project's
    commits stay in order and all of them move forward together."""
    heads = []
    for project, total, it in streams:
        nxt = next(it, None)
        if nxt:
            heads.append([nxt[0] / total, project, total, it, nxt[1]])
    while heads:
        heads.sort(key=lambda h: h[0])
        h = heads[0]
        yield h[1], h[4]
        nxt = next(h[3], None)
        if nxt is None:
            heads.pop(0)
        else:
            h[0], h[4] = nxt[0] / h[2], nxt[1]


def create_projects(url, token):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for slug in ("perf", "wide", "long"):
        conn.request("POST", "/api/v1/projects", body=json.dumps({"slug": slug}),
                     headers={"Content-Type": "application/json",
                              "Authorization": "Bearer " + token})
        resp = conn.getresponse()
        text = resp.read()
        if resp.status != 201:
            sys.exit("cannot create project %s: %d %s" % (slug, resp.status, text[:300]))
    conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    perf_n = max(40, int(1000 * a.scale))
    long_n = max(100, int(10000 * a.scale))
    create_projects(a.url, a.token)
    up = Uploader(a.url, a.token)
    t0 = time.monotonic()
    wide = list(wide_runs())
    streams = [("perf", perf_n, perf_runs(perf_n)), ("long", long_n, long_runs(long_n)),
               ("wide", 30, iter(wide[:30]))]
    up.upload(interleave(streams), a.clients)
    up.upload(iter([("wide", wide[30][1])]), 1)
    print("seeded %d runs in %.1f s with %d clients" % (up.done, time.monotonic() - t0,
                                                          a.clients), file=sys.stderr)
    print("WIDE_SHA=%s" % sha_of("wide", 31))
    print("LONG_BENCHMARK=scan/full")
    print("LONG_MEASURE=wall_time")
    print("LONG_POINTS=%d" % long_n)
    print("PERF_COMMITS=%d" % perf_n)


if __name__ == "__main__":
    main()
