"""The layers of ARCHITECTURE.md, checked: which layer may include which, which files alone
may touch libcurl, PAM's conversation, syslog and the clock, and that no two source
files call each other (no cycle in the call graph read from the object files). TAP
output. --self-test plants each kind of violation in a scratch copy and expects it caught.

Run from the build tree (top_srcdir and top_builddir in the environment, as make check
sets them).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

# Each layer and the layers it may include (itself always). rules/ (pure decisions) and
# util/ sit at the bottom: any layer may use them. Entry points (the files at
# the top of pam_oauth2/) may include anything.
ALLOWED = {
    "util": set(),
    "io": {"util", "rules"},
    "jose": {"util", "rules"},
    "rules": {"util"},
    "config": {"util", "io", "rules", "jose"},
    "idp": {"util", "io", "rules", "jose", "config"},
    "login": {"util", "io", "rules", "jose", "config", "idp"},
}

# Headers and calls that belong to one I/O file each (house rule: a thin I/O shell).
OWNED_HEADERS = {
    "curl/curl.h": {"io/http_client.c"},
    "security/pam_ext.h": {"io/pam_conversation.c", "io/auth_log.c"},
    "syslog.h": {"io/auth_log.c", "io/auth_log.h"},
}
OWNED_CALLS = {
    r"\bclock_gettime\s*\(|\bnanosleep\s*\(|\btime\s*\(\s*NULL\s*\)|\bgettimeofday\s*\(": {"io/clock.c"},
    r"\bpam_prompt\s*\(|\bpam_vprompt\s*\(": {"io/pam_conversation.c"},
    r"\bpam_syslog\s*\(|\bpam_vsyslog\s*\(|\bsyslog\s*\(": {"io/auth_log.c"},
    r"\bgetpwnam(_r)?\s*\(|\bgetpwuid(_r)?\s*\(": {"io/local_account.c"},
}
ENTRY_POINTS = {"pam_oauth2.c", "pam_oauth2_check.c"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def sources(src):
    top = os.path.join(src, "pam_oauth2")
    for layer in sorted(os.listdir(top)):
        path = os.path.join(top, layer)
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                if name.endswith((".c", ".h")):
                    yield layer, f"{layer}/{name}", os.path.join(path, name)


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)


def include_problems(src):
    problems = []
    for layer, rel, path in sources(src):
        if layer not in ALLOWED:
            problems.append(f"{rel}: folder {layer!r} is no layer of ARCHITECTURE.md")
            continue
        text = strip_comments(open(path, encoding="utf-8").read())
        for kind, header in INCLUDE.findall(text):
            if kind == '"' and "/" in header:
                target = header.split("/", 1)[0]
                if target != layer and target not in ALLOWED[layer]:
                    problems.append(f"{rel}: includes {header} ({layer}/ may not include {target}/)")
            elif kind == '"' and header != "config.h":
                problems.append(f"{rel}: includes {header!r} without its layer")
            owners = OWNED_HEADERS.get(header)
            if owners is not None and rel not in owners:
                problems.append(f"{rel}: includes <{header}>, which only {', '.join(sorted(owners))} may")
        for pattern, owners in OWNED_CALLS.items():
            if rel.endswith(".c") and rel not in owners and re.search(pattern, text):
                problems.append(f"{rel}: calls what only {', '.join(sorted(owners))} may ({pattern})")
    return problems


def object_files(build):
    found = {}
    top = os.path.join(build, "pam_oauth2")
    for layer in sorted(os.listdir(top)):
        libs = os.path.join(top, layer, ".libs")
        if os.path.isdir(libs):
            for name in os.listdir(libs):
                if name.endswith(".o"):
                    found[f"{layer}/{name[:-2]}.c"] = os.path.join(libs, name)
    return found


def call_graph(objects):
    defined, used = {}, {}
    for source, obj in objects.items():
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        used[source] = set()
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] in "TDRB":
                defined[fields[2]] = source
            elif len(fields) == 2 and fields[0] == "U":
                used[source].add(fields[1])
    return {s: {defined[sym] for sym in syms if sym in defined and defined[sym] != s} for s, syms in used.items()}


def cycles(graph):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def call_problems(build):
    objects = object_files(build)
    if not objects:
        return ["no object files under pam_oauth2/*/.libs: build first"]
    return [f"files call each other: {' <-> '.join(c)}" for c in cycles(call_graph(objects))]


def self_test(src):
    """Each kind of violation, planted in a scratch copy of the sources, must be caught."""
    plants = [
        ("idp/idp.c", '#include "login/session.h"\n', "idp/ may not include login"),
        ("util/strbuf.c", "#include <curl/curl.h>\n", "only io/http_client.c may"),
        ("rules/scope_set.c", "static long now(void) { return (long)time(NULL); }\n", "only io/clock.c may"),
        ("login/flow.c", '#include "strbuf.h"\n', "without its layer"),
    ]
    results = []
    for rel, line, expected in plants:
        scratch = tempfile.mkdtemp(prefix="pam_oauth2-layers-")
        try:
            shutil.copytree(os.path.join(src, "pam_oauth2"), os.path.join(scratch, "pam_oauth2"),
                            ignore=shutil.ignore_patterns(".libs", ".deps", "*.o", "*.lo"))
            with open(os.path.join(scratch, "pam_oauth2", rel), "a", encoding="utf-8") as f:
                f.write(line)
            found = include_problems(scratch)
            results.append((f"a planted violation in {rel} is caught", any(expected in p for p in found), found))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    graph = {"a.c": {"b.c"}, "b.c": {"c.c"}, "c.c": {"a.c"}, "d.c": {"a.c"}}
    results.append(("a three-file call cycle is found", cycles(graph) == [["a.c", "b.c", "c.c"]], cycles(graph)))
    return results


def main():
    src = os.environ.get("top_srcdir", ".")
    build = os.environ.get("top_builddir", ".")
    checks = [("includes and owned calls follow the layers", include_problems(src)),
              ("no two source files call each other", call_problems(build))]
    tests = [(name, not problems, problems) for name, problems in checks] + self_test(src)
    print(f"1..{len(tests)}")
    failed = 0
    for number, (name, ok, detail) in enumerate(tests, 1):
        print(f"{'ok' if ok else 'not ok'} {number} - {name}")
        if not ok:
            failed += 1
            for line in (detail if isinstance(detail, list) else [detail]):
                print(f"# {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
