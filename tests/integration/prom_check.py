#!/usr/bin/env python3
"""prom_check.py: checks a Prometheus text exposition (format 0.0.4) and reads values from it.

  prom_check.py FILE                    every line is a HELP, TYPE or sample line of the
                                        grammar; every family has HELP and TYPE before its
                                        samples; names start with benchgate_, counters end in
                                        _total; no series twice; no sha or benchmark label;
                                        histograms have ascending le, cumulative buckets and
                                        +Inf equal to _count. Prints "ok" or the problems
                                        (exit 1).
  prom_check.py FILE NAME [L=V,...]     prints the sum of the samples named NAME whose labels
                                        include every L=V (0 when none).
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]Inf|NaN)"
SAMPLE = re.compile(r"^(%s)(?:\{((?:%s)(?:,%s)*,?)?\})? (%s)(?: -?[0-9]+)?$" % (NAME, LABEL, LABEL, VALUE))
HELP = re.compile(r"^# HELP (%s) (.*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)
PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """Returns (samples [(name, labels dict, value)], types {family: type}, problems)."""
    samples, types, helps, problems = [], {}, set(), []
    if text and not text.endswith("\n"):
        problems.append("the text does not end with a newline")
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        if line.startswith("#"):
            h, t = HELP.match(line), TYPE.match(line)
            if h:
                helps.add(h.group(1))
            elif t:
                if t.group(1) in types:
                    problems.append("line %d: a second TYPE for %s" % (n, t.group(1)))
                types[t.group(1)] = t.group(2)
            elif line.startswith("# HELP") or line.startswith("# TYPE"):
                problems.append("line %d: a malformed HELP or TYPE line: %r" % (n, line))
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append("line %d does not match the grammar: %r" % (n, line))
            continue
        labels = dict(PAIR.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3)), n))
    for fam in types:
        if fam not in helps:
            problems.append("%s has a TYPE but no HELP" % fam)
    return samples, types, problems


def family(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return name


def check(text):
    samples, types, problems = parse(text)
    seen, hist = set(), {}
    for name, labels, value, n in samples:
        fam = family(name, types)
        if fam not in types:
            problems.append("line %d: %s has no TYPE line before it" % (n, name))
        if not fam.startswith("benchgate_"):
            problems.append("line %d: %s lacks the benchgate_ prefix" % (n, fam))
        if types.get(fam) == "counter" and not fam.endswith("_total"):
            problems.append("line %d: counter %s does not end in _total" % (n, fam))
        for k, v in labels.items():
            if k in ("sha", "benchmark") or re.fullmatch(r"[0-9a-f]{40}", v):
                problems.append("line %d: label %s=%s names a sha or benchmark" % (n, k, v))
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            problems.append("line %d: %s%s twice" % (n, name, labels))
        seen.add(key)
        if types.get(fam) == "histogram":
            rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            h = hist.setdefault((fam, rest), {"buckets": [], "count": None})
            if name.endswith("_bucket"):
                if "le" not in labels:
                    problems.append("line %d: a bucket without le" % n)
                    continue
                h["buckets"].append((float(labels["le"].replace("+Inf", "inf")), value))
            elif name.endswith("_count"):
                h["count"] = value
    for (fam, rest), h in hist.items():
        les = [le for le, _ in h["buckets"]]
        counts = [c for _, c in h["buckets"]]
        where = "%s%s" % (fam, dict(rest))
        if les != sorted(les) or not les or not math.isinf(les[-1]):
            problems.append("%s: le not ascending or no +Inf bucket" % where)
        if counts != sorted(counts):
            problems.append("%s: buckets not cumulative: %s" % (where, counts))
        if h["count"] is None or not counts or counts[-1] != h["count"]:
            problems.append("%s: +Inf %s differs from _count %s" % (where, counts[-1:], h["count"]))
    return problems


def main():
    text = open(sys.argv[1]).read()
    if len(sys.argv) == 2:
        problems = check(text)
        print("\n".join(problems) if problems else "ok")
        return 1 if problems else 0
    want = dict(p.split("=", 1) for p in sys.argv[3].split(",")) if len(sys.argv) > 3 else {}
    samples, _, _ = parse(text)
    total = sum(v for name, labels, v, _ in samples
                if name == sys.argv[2] and all(labels.get(k) == x for k, x in want.items()))
    print("%g" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
