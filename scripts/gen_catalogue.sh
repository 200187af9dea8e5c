#!/usr/bin/env bash
# Writes docs/catalogue.md: every behaviour row (its ID, one sentence from
# docs/catalogue-rows.md) with the tests and scenarios whose names carry its
# ID, and checks that every ID the code cites is a row.  A CTest test runs it
# with --check, so the catalogue cannot drift from the tests: add, rename or
# remove a test and the check fails until the catalogue is regenerated; cite
# an ID that has no row and it fails naming the file and line.
#
# Usage: scripts/gen_catalogue.sh [--check] [SYNACK_BINARY]
#   --check        write nothing: regenerate into a temporary file and compare
#                  it with docs/catalogue.md; exit 1 if they differ or if an
#                  ID is unknown.
#   SYNACK_BINARY  optional: also check that the scenario table read from
#                  scenarios/catalogue.c is what `synack sim list` prints.
#
# What counts as an ID: a capital W H L C T R D F or Q followed by exactly two
# digits, and nothing else alphanumeric on either side (so "H11a", "0xC10",
# "F_SYN", "S1" or "R1" are not IDs).  Such a word is a citation only where
# it is meant as one (looking at every occurrence in the tree, the rest are
# SVG path data such as "L10,5" in a string):
#   1. a token of a test's name, split at "_": test_D01_W04_reass_across_wrap
#      cites D01 and W04.  The tests are the functions of tests/*.c that are
#      defined as `static void test_...(`, by a macro `NAME(test_..., ...)`
#      (test_seq_rules.c's TABLE_TEST), or registered with cmocka_unit_test*.
#   2. a scenario's ID list in scenarios/catalogue.c: {"q04-synack-backoff",
#      NULL, "Q04 H07", ...} cites Q04 and H07 (what `synack sim list` shows).
#   3. any such word inside a comment of src/, tests/, scenarios/, fuzz/ or
#      tools/: /* ... */ and // in *.c and *.h, # in *.sh and *.py.  String
#      literals are not citations (they are output: "Q01: the three-way
#      handshake" is a title, "L10,5" a path).
# Kinds 1 and 2 are the proofs listed in the catalogue; all three must
# resolve to a row of docs/catalogue-rows.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v python3 >/dev/null || { echo "gen_catalogue: needs python3" >&2; exit 1; }
exec python3 - "$root" "$@" <<'PY'
import difflib
import os
import re
import subprocess
import sys
import tempfile

root, args = sys.argv[1], sys.argv[2:]
check = bool(args) and args[0] == "--check"
if check:
    args = args[1:]
synack = args[0] if args else None
if len(args) > 1 or (synack and synack.startswith("-")):
    sys.exit("usage: scripts/gen_catalogue.sh [--check] [SYNACK_BINARY]")

ROWS, OUT = "docs/catalogue-rows.md", "docs/catalogue.md"
ID = r"[WHLCTRDFQ][0-9]{2}"
WORD = re.compile(r"(?<![A-Za-z0-9])" + ID + r"(?![A-Za-z0-9])")
errors = []


def path(rel):
    return os.path.join(root, rel)


def read(rel):
    with open(path(rel), encoding="utf-8") as f:
        return f.read()


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


# The rows: "## Section" headings, then "ID | sentence" lines.
sections, rows = [], {}
for n, line in enumerate(read(ROWS).splitlines(), 1):
    if line.startswith("## "):
        sections.append((line[3:].strip(), []))
        continue
    if not sections or not line.strip():
        continue
    m = re.fullmatch(r"(" + ID + r") \| (\S.*)", line.rstrip())
    if not m:
        errors.append(f"{ROWS}:{n}: not a row (\"ID | one sentence\")")
    elif m.group(1) in rows:
        errors.append(f"{ROWS}:{n}: {m.group(1)} is listed twice")
    elif "|" in m.group(2):
        errors.append(f"{ROWS}:{n}: a sentence may not contain \"|\"")
    else:
        rows[m.group(1)] = m.group(2)
        sections[-1][1].append(m.group(1))

proofs = {i: [] for i in rows}  # ID -> ["file:name", ...]
cites = []                      # (file, line, ID, what cites it)


def prove(ids, rel, name):
    for i in ids:
        if i in proofs and f"{rel}:{name}" not in proofs[i]:
            proofs[i].append(f"{rel}:{name}")


# 1. Test names.
test_files = sorted(f for f in os.listdir(path("tests")) if f.endswith(".c"))
for f in test_files:
    rel, text = f"tests/{f}", read(f"tests/{f}")
    found = {}
    for pat in (r"^[ \t]*static[ \t]+void[ \t]+(test_\w+)[ \t]*\(",
                r"^[ \t]*[A-Z][A-Z0-9_]*[ \t]*\([ \t]*(test_\w+)[ \t]*,",
                r"\bcmocka_unit_test\w*\(\s*(test_\w+)"):
        for m in re.finditer(pat, text, re.M):
            line = line_of(text, m.start(1))
            found[m.group(1)] = min(found.get(m.group(1), line), line)
    for name, line in sorted(found.items(), key=lambda kv: kv[1]):
        ids = [t for t in name[len("test_"):].split("_") if re.fullmatch(ID, t)]
        cites += [(rel, line, i, f"test {name}") for i in ids]
        prove(ids, rel, name)

# 2. Scenarios: the table in scenarios/catalogue.c, each named after the file
# that plays it.
cat_rel = "scenarios/catalogue.c"
cat = read(cat_rel)
players = {}
for f in sorted(os.listdir(path("scenarios"))):
    if f.endswith(".c"):
        for m in re.finditer(r"^(?:static[ \t]+)?void[ \t]+(play_\w+)[ \t]*\([^;{]*\)\s*\{", read(f"scenarios/{f}"), re.M):
            players[m.group(1)] = f"scenarios/{f}"
string = r'"(?:[^"\\]|\\.)*"'
entry = re.compile(r'\{\s*"([a-z0-9-]+)"\s*,\s*(?:NULL|' + string + r')\s*,\s*"([^"]*)"\s*,\s*(?:'
                   + string + r'\s*)+,\s*(play_\w+)\s*\}')
scenarios = []
for m in entry.finditer(cat):
    name, ids, player = m.group(1), m.group(2).split(), m.group(3)
    bad = [i for i in ids if not re.fullmatch(ID, i)]
    if bad:
        errors.append(f"{cat_rel}:{line_of(cat, m.start(2))}: scenario {name}: {' '.join(bad)} is not an ID")
    scenarios.append((name, ids))
    ids = [i for i in ids if i not in bad]
    cites += [(cat_rel, line_of(cat, m.start(2)), i, f"scenario {name}") for i in ids]
    prove(ids, players.get(player, cat_rel), name)
table = len(re.findall(r"\bplay_\w+\s*\}", cat))
if len(scenarios) != table:
    errors.append(f"{cat_rel}: read {len(scenarios)} scenarios of the {table} in its table; "
                  "teach scripts/gen_catalogue.sh the table's new layout")
if synack:
    listed = []
    for line in subprocess.run([synack, "sim", "list"], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        f = line.split()
        k = 1
        while k < len(f) and re.fullmatch(ID, f[k]):
            k += 1
        listed.append((f[0], f[1:k]))
    if listed != scenarios:
        errors.append(f"{cat_rel}: the scenarios read from it differ from what `{synack} sim list` prints "
                      "(rebuild synack, or teach scripts/gen_catalogue.sh the table's new layout)")

# 3. Comments.
c_token = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'", re.S)
for top in ("src", "tests", "scenarios", "fuzz", "tools"):
    for d, subdirs, files in sorted(os.walk(path(top))):
        subdirs.sort()
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(d, f), root)
            if f.endswith((".c", ".h")):
                text = read(rel)
                comments = [(m.start(), m.group()) for m in c_token.finditer(text) if m.group()[0] == "/"]
            elif f.endswith((".sh", ".py")):
                text = read(rel)
                comments = [(m.start(1), m.group(1)) for m in re.finditer(r"(?:^|[ \t])(#.*)$", text, re.M)]
            else:
                continue
            for start, body in comments:
                for m in WORD.finditer(body):
                    cites.append((rel, line_of(text, start + m.start()), m.group(), "comment"))

unknown = [f"{rel}:{line}: {i} ({what}) is no row of {ROWS}" for rel, line, i, what in cites if i not in rows]
if errors or unknown:
    print("\n".join(f"gen_catalogue: {e}" for e in errors + unknown))
    if unknown:
        print(f"gen_catalogue: add the row to {ROWS} (or fix the citation), then run scripts/gen_catalogue.sh")
    sys.exit(1)

# The catalogue.
bare = [i for s in sections for i in s[1] if not proofs[i]]
out = [
    "# Behaviour catalogue",
    "",
    "<!-- Generated by scripts/gen_catalogue.sh from docs/catalogue-rows.md and the names of the"
    " tests and scenarios; do not edit by hand. -->",
    "",
    "Every behaviour synack promises has an ID: a letter for its area and two digits.  Comments in",
    "the code cite these IDs (\"SPEC C10\", \"(H11)\"), and a test or scenario whose name carries an",
    "ID is evidence for that row, so `grep -rn H07 tests/` finds what proves H07.  Each row below",
    "says in one sentence what the behaviour is and lists what proves it: `tests/FILE.c:test_NAME`",
    "is a cmocka test of the program `FILE` (one CTest test per file); `scenarios/FILE.c:NAME` is a",
    "scenario of the catalogue, played by `./build/synack sim NAME` (docs/guide.md shows them all)",
    "and asserted by `tests/test_scn_*.c`.  A test may prove one part of its row only.",
    "",
    f"{len(rows)} rows: {len(rows) - len(bare)} proven by at least one test or scenario, "
    f"{len(bare)} with no test yet" + (f" ({', '.join(bare)})." if bare else "."),
    "",
    "To change a sentence, edit docs/catalogue-rows.md and run `scripts/gen_catalogue.sh`; the",
    "`catalogue_up_to_date` test fails while this file is stale, or while the code cites an ID that",
    "is no row here.",
]
for title, ids in sections:
    out += ["", f"## {title}", "", "| ID | behaviour | proven by |", "|---|---|---|"]
    for i in ids:
        by = "<br>".join(f"`{p}`" for p in proofs[i]) or "**no test yet**"
        out.append(f"| {i} | {rows[i]} | {by} |")
text = "\n".join(out) + "\n"

if check:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".md", delete=False) as tmp:
        tmp.write(text)
    try:
        try:
            old = read(OUT)
        except FileNotFoundError:
            old = ""
        with open(tmp.name, encoding="utf-8") as f:
            new = f.read()
    finally:
        os.unlink(tmp.name)
    if old != new:
        print(f"gen_catalogue: {OUT} is not what the rows and the test names say now; "
              "run scripts/gen_catalogue.sh and commit it:")
        diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), OUT, "regenerated", lineterm=""))
        print("\n".join(diff[:40]))
        sys.exit(1)
    print(f"gen_catalogue: {OUT} matches the rows and the tests; every cited ID is a row")
    sys.exit(0)
with open(path(OUT), "w", encoding="utf-8") as f:
    f.write(text)
print(f"gen_catalogue: wrote {OUT}: {len(rows)} rows, {len(bare)} with no test yet")
PY
