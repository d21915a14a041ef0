#!/usr/bin/env bash
# test_config_doc.sh: docs/config.md documents exactly the keys agent/config.c accepts. The
# keys come from the parser's own key tables (static const char *const <name>_keys[]), so
# adding a key to the parser without a row in the doc fails here, and so does a row for a key
# the parser does not read. Each row must give a type, a default, an example that sets that
# key, and a description; each file's complete example in the doc must use every key. (That
# the examples are accepted by the real parser is checked by tests/unit/test_config.c.)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 - "$BG_SOURCE/agent/config.c" "$BG_SOURCE/docs/config.md" <<'PY'
import re, sys
import yaml

src, doc = open(sys.argv[1]).read(), open(sys.argv[2]).read()
passed = failed = 0
def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok  ", name)
    else:
        failed += 1
        print("FAIL", name, detail)

# Where each key table of config.c sits: (file, prefix of its keys' paths).
WHERE = {
    "top": ("benchgate.yml", ""),
    "suite": ("benchgate.yml", "suites[]."),
    "threshold": ("benchgate.yml", "thresholds."),
    "default": ("benchgate.yml", "thresholds.default."),
    "rule": ("benchgate.yml", "thresholds.rules[]."),
    "agent": ("agent.yml", ""),
    "project": ("agent.yml", "projects.<slug>."),
}
tables = dict(re.findall(r"static const char \*const (\w+)_keys\[\] = \{(.*?)\};", src, re.S))
check("config.c has key tables", len(tables) >= 7, sorted(tables))
code = {"benchgate.yml": set(), "agent.yml": set()}
for name, body in tables.items():
    check(f"key table {name}_keys is placed in a file", name in WHERE,
          "(add it to WHERE in this test and its keys to docs/config.md)")
    if name not in WHERE:
        continue
    keys = re.findall(r'"([a-z_]+)"', body)
    check(f"{name}_keys lists keys", keys)
    file, prefix = WHERE[name]
    code[file] |= {prefix + k for k in keys}

# The doc's sections, split at "## `benchgate.yml`" and "## `agent.yml`".
parts = re.split(r"^## `(benchgate\.yml|agent\.yml)`\s*$", doc, flags=re.M)
sections = dict(zip(parts[1::2], parts[2::2]))
check("config.md has a section per file", set(sections) == set(code), sorted(sections))

def flatten(node, prefix, file, out):
    """Key paths of a parsed example, in the notation of the doc's tables."""
    if isinstance(node, dict):
        for k, v in node.items():
            path = prefix + str(k)
            out.add(path)
            if file == "agent.yml" and path == "projects":
                for slug, p in (v or {}).items():
                    flatten(p, "projects.<slug>.", file, out)
            else:
                flatten(v, path + ".", file, out)
    elif isinstance(node, list) and prefix:
        for item in node:
            if isinstance(item, dict):
                flatten(item, prefix[:-1] + "[].", file, out)

for file, text in sections.items():
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([^`]+)` \|(.*)\|\s*$", line)
        if m:
            cells = [c.strip() for c in m.group(2).split(" | ")]
            rows[m.group(1)] = cells
    doc_keys = set(rows)
    for k in sorted(code[file] - doc_keys):
        check(f"{file}: key {k} is documented", False, "(no table row in docs/config.md)")
    for k in sorted(doc_keys - code[file]):
        check(f"{file}: documented key {k} is read by config.c", False,
              "(a row for a key the parser does not accept)")
    check(f"{file}: every key the parser accepts is documented, and no other",
          doc_keys == code[file], "")
    for k, cells in sorted(rows.items()):
        check(f"{file}: {k} has type, default, example and description",
              len(cells) == 4 and all(cells), cells)
        leaf = re.sub(r"\[\]$", "", k.split(".")[-1])
        example = cells[2] if len(cells) > 2 else ""
        check(f"{file}: {k}'s example sets {leaf}",
              example.startswith(f"`{leaf}:") or "example above" in example or
              example == "see below", example)
    examples = re.findall(r"^```yaml " + re.escape(file) + r"\n(.*?)^```", text, re.M | re.S)
    check(f"{file}: the doc has an example", examples)
    used = set()
    for e in examples:
        flatten(yaml.safe_load(e), "", file, used)
    for k in sorted(code[file] - used):
        check(f"{file}: the complete example uses {k}", False)
    check(f"{file}: the complete example uses every key", code[file] <= used)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
rc=$?
check "docs/config.md matches agent/config.c" test "$rc" = 0
finish
