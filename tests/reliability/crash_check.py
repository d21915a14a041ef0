#!/usr/bin/env python3
"""crash_check.py: the checks of crash.sh over what its run left behind.

    crash_check.py DB STUB-LOG STUB-STATE ACKED-RUNS ACKED-JOBS KILLS

DB is the server's database (the server stopped), STUB-LOG the fake GitHub's request log
(github_stub.py), STUB-STATE its /_stub/state answer, ACKED-RUNS the run ids the clients got
201 (or, for an agent's retried upload, 200) for, ACKED-JOBS "JOB-ID SHA HTTP-STATUS" lines of
the jobs the enqueuer got, KILLS how many SIGKILLs the run made.

Prints "ok TEXT" and "FAIL TEXT" lines, and "metric NAME VALUE" lines for the report.

What the outbox promises, and so what is checked: a row is added in the transaction of the
change it reports, so a change the server acknowledged has its row; rows of one key (status,
repo, sha, context) go out in the order they were added, and a newer row supersedes the older
ones not yet sent, so GitHub ends at the newest state of every key; delivery is at least once:
the sender records a delivery after GitHub answered, so a SIGKILL between the two sends that
row again after the restart. It sends one row at a time, so a kill repeats at most one row.
"""
import collections
import json
import sqlite3
import sys


def main():
    db_path, log_path, state_path, runs_path, jobs_path, kills = sys.argv[1:7]
    kills = int(kills)
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    out = []

    def check(cond, text):
        out.append(("ok   " if cond else "FAIL ") + text)

    def metric(name, value):
        out.append("metric %s %s" % (name, value))

    # ---- uploads ----
    acked = [l.strip() for l in open(runs_path) if l.strip()]
    stored = collections.Counter(r for (r,) in db.execute("SELECT run_id FROM runs"))
    missing = [r for r in set(acked) if r not in stored]
    twice = [r for r, n in stored.items() if n > 1]
    metric("runs_acknowledged", len(set(acked)))
    metric("runs_stored", sum(stored.values()))
    check(not missing, "every acknowledged run is stored (%d acknowledged, %d missing%s)"
          % (len(set(acked)), len(missing), ": " + ", ".join(missing[:5]) if missing else ""))
    check(not twice, "no run is stored twice (%d)" % len(twice))
    half = db.execute(
        "SELECT count(*) FROM runs r JOIN testbeds t ON t.id = r.testbed_id WHERE "
        "(SELECT count(*) FROM results x WHERE x.run_id = r.id) != "
        "CASE t.name WHEN 'ci-vm' THEN 20 ELSE 50 END").fetchone()[0]
    check(half == 0, "no run is stored half (%d with results missing)" % half)
    unsettled = db.execute("SELECT count(*) FROM runs WHERE gate_input = 'pending' "
                           "OR verdict_state IS NULL").fetchone()[0]
    check(unsettled == 0, "every run has its verdict (%d without)" % unsettled)

    # ---- jobs ----
    jobs = {}
    for line in open(jobs_path):
        f = line.split()
        if len(f) == 3:
            jobs[int(f[0])] = f[1]
    rows = {i: (sha, st, att, reason, run) for i, sha, st, att, reason, run in db.execute(
        "SELECT id, sha, state, attempts, reason, run_id FROM jobs")}
    lost = [i for i in jobs if i not in rows or rows[i][0] != jobs[i]]
    check(not lost, "every enqueued job is stored with its sha (%d enqueued, %d lost)"
          % (len(jobs), len(lost)))
    states = collections.Counter(r[1] for r in rows.values())
    for s in ("queued", "leased", "running", "done", "failed", "canceled"):
        metric("jobs_" + s, states.get(s, 0))
    metric("jobs_enqueued", len(jobs))
    check(states["queued"] + states["leased"] + states["running"] == 0,
          "no job is left open after the drain (%s)" % dict(states))
    naming = collections.Counter(j for (j,) in db.execute(
        "SELECT job_id FROM runs WHERE job_id IS NOT NULL"))
    done = {i: r for i, r in rows.items() if r[1] == "done"}
    bad_done = [i for i, r in done.items() if r[4] is None or db.execute(
        "SELECT job_id FROM runs WHERE id = ?", (r[4],)).fetchone() != (i,)]
    check(not bad_done, "every done job names the run that completed it, a run of that job "
          "(%d wrong)" % len(bad_done))
    twice = [j for j, n in naming.items() if n > 1]
    metric("jobs_run_twice", len(twice))
    check(not twice, "no job was run and finished twice (%d jobs with two runs)" % len(twice))
    failed = [(i, r[2], r[3]) for i, r in rows.items() if r[1] == "failed"]
    odd = [f for f in failed if f[2] != "lease expired" or f[1] != 3]
    check(not odd, "a failed job only ever lost three leases to kills (%d failed: %s)"
          % (len(failed), failed[:3]))
    metric("attempts_total", sum(r[2] for r in rows.values()))

    # ---- statuses ----
    log = [json.loads(l) for l in open(log_path) if l.strip()]

    def canon(body):
        return json.dumps(body, sort_keys=True)

    posts = [(r["path"].rsplit("/", 1)[1], canon(r["body"])) for r in log
             if r["method"] == "POST" and "/statuses/" in r["path"] and r["status"] == 201]
    sent = collections.Counter(posts)
    outbox = db.execute("SELECT id, sha, context, body, state FROM outbox WHERE kind = 'status' "
                        "ORDER BY id").fetchall()
    by_state = collections.Counter(r[4] for r in outbox)
    rows_of = collections.Counter((r[1], canon(json.loads(r[3]))) for r in outbox
                                  if r[4] in ("delivered", "superseded"))
    metric("statuses_queued", len(outbox))
    for s in ("delivered", "superseded", "pending", "failed"):
        metric("statuses_" + s, by_state.get(s, 0))
    metric("status_posts", len(posts))
    undelivered = [r for r in outbox if r[4] == "delivered"
                   and sent[(r[1], canon(json.loads(r[3])))] == 0]
    check(not undelivered, "every status the outbox marked delivered reached GitHub (%d did not)"
          % len(undelivered))
    check(by_state["pending"] + by_state["failed"] == 0,
          "the outbox is drained: none pending, none failed (%d, %d)"
          % (by_state["pending"], by_state["failed"]))
    dups = sum(max(0, n - rows_of[k]) for k, n in sent.items())
    metric("status_duplicates", dups)
    check(dups <= kills, "statuses sent twice: %d, at most one a kill (%d kills)" % (dups, kills))
    stray = [k for k in sent if rows_of[k] == 0]
    check(not stray, "GitHub got no status the outbox does not hold (%d)" % len(stray))
    # Per key: GitHub's statuses in the order of the rows, ending at the newest row.
    keys = collections.defaultdict(list)
    for r in outbox:
        keys[(r[1], json.loads(r[3])["context"])].append(canon(json.loads(r[3])))
    seen = collections.defaultdict(list)
    for sha, body in posts:
        seq = seen[(sha, json.loads(body)["context"])]
        if not seq or seq[-1] != body:
            seq.append(body)
    wrong_end = [k for k, v in keys.items() if not seen[k] or seen[k][-1] != v[-1]]
    check(not wrong_end, "GitHub ends at the newest status of every commit and context "
          "(%d keys, %d wrong)" % (len(keys), len(wrong_end)))

    def in_order(got, rows):
        it = iter(rows)
        return all(any(g == r for r in it) for g in got)
    disorder = [k for k in keys if not in_order(seen[k], keys[k])]
    check(not disorder, "statuses of a key reached GitHub in the order they were queued "
          "(%d out of order)" % len(disorder))
    no_status = [i for i, sha in jobs.items() if (sha, "benchgate/ci-vm") not in keys]
    check(not no_status, "every enqueued job queued its pending status (%d without)"
          % len(no_status))
    metric("status_keys", len(keys))
    metric("status_keys_several_states", sum(1 for v in seen.values() if len(v) > 1))

    # ---- check runs (the GitHub App) ----
    state = json.load(open(state_path))
    runs = list(state["check_runs"].get("acme/widgets", {}).values())
    per = collections.Counter((r["head_sha"], r["name"]) for r in runs)
    twice = [k for k, n in per.items() if n > 1]
    metric("check_runs", len(runs))
    metric("check_runs_twice", len(twice))
    check(not twice, "one check run per commit and testbed (%d made twice)" % len(twice))
    newest = {}
    for sha, ctx, body in db.execute("SELECT sha, context, body FROM outbox WHERE kind = "
                                     "'check_run' ORDER BY id"):
        newest[(sha, ctx)] = json.loads(body)["status"]
    got = {(r["head_sha"], r["name"]): r["status"] for r in runs}
    stale = [k for k, s in newest.items() if got.get(k) != s]
    check(not stale, "every check run on GitHub is in its newest state (%d of %d behind)"
          % (len(stale), len(newest)))

    print("\n".join(out))


if __name__ == "__main__":
    main()
