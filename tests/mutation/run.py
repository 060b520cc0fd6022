"""The mutation suite: every security decision has a test that fails without it.

Each mutant in tests/mutation/mutants/*.txt changes one line of a security check the way
a careless refactor would. This runner applies each to a scratch copy of the tree,
rebuilds, runs the mutant's suites (narrowest first), and counts the mutant killed at
the first suite that fails. A mutant whose line is no longer in its file (the code moved)
fails the run loudly: the list must stay true. Prints a table and the score; exits 0
only when every mutant is killed.

    /usr/bin/python3 tests/mutation/run.py [ID ...]     (or: make mutation)

Mutant files: blocks separated by blank lines, each with the fields
    id:      a short unique name
    file:    the source file, from the top of the tree
    find:    the exact text to change (once in the file; \\n for a line break, \\t a tab,
             \\\\ a backslash: C's "\\n" is written \\\\n)
    replace: what it becomes
    why:     what the check protects
    tests:   suites to run, in order: flow, unit/NAME, layers, or a Python suite
             (integration/test_x.py, hostile/test_hostile.py[:CASE,CASE], e2e/..., dialects/...)
A line "equivalent: REASON" instead of "tests:" keeps a mutant that changes no behaviour
out of the score, with the reason beside it.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.environ.get("top_srcdir") or os.path.join(HERE, "..", ".."))
PY = "/usr/bin/python3"
SUITE_TIMEOUT = 600


def parse(path):
    mutants, block = [], {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for number, line in enumerate(lines + [""], 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if block:
                mutants.append(block)
                block = {}
            continue
        key, sep, value = line.partition(":")
        if not sep or key not in ("id", "file", "find", "replace", "why", "tests", "equivalent"):
            raise SystemExit(f"{path}:{number}: expected 'field: value', got {line!r}")
        # \n is a line break, \t a tab, \\ a backslash (so \\n is C's own "\n").
        text = value.strip().replace("\\\\", "\0").replace("\\n", "\n").replace("\\t", "\t")
        block[key] = text.replace("\0", "\\")
        block.setdefault("origin", f"{os.path.basename(path)}:{number}")
    for mutant in mutants:
        for key in ("id", "file", "find", "replace", "why"):
            if key not in mutant:
                raise SystemExit(f"{mutant['origin']}: mutant without {key}")
        if "tests" not in mutant and "equivalent" not in mutant:
            raise SystemExit(f"{mutant['origin']}: mutant {mutant['id']} names no tests")
    return mutants


def load_all():
    mutants = []
    for path in sorted(glob.glob(os.path.join(HERE, "mutants", "*.txt"))):
        mutants += parse(path)
    ids = [m["id"] for m in mutants]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SystemExit(f"duplicate mutant ids: {', '.join(duplicates)}")
    return mutants


def run(argv, cwd, env=None, timeout=SUITE_TIMEOUT, log=None):
    started = time.monotonic()
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        output, code = done.stdout.decode("utf-8", "replace"), done.returncode
    except subprocess.TimeoutExpired as e:
        output, code = (e.stdout or b"").decode("utf-8", "replace") + "\n(timed out)", -1
    if log is not None:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"$ {' '.join(argv)}\n{output}\n[exit {code}, {time.monotonic() - started:.1f} s]\n")
    return code, output


class Tree:
    """A scratch copy of the tracked files, configured and built once."""

    def __init__(self, log):
        self.log = log
        self.dir = tempfile.mkdtemp(prefix="pam_oauth2-mutation-")
        files = subprocess.run(["git", "ls-files", "-z"], cwd=SRC, stdout=subprocess.PIPE, check=True).stdout
        for rel in filter(None, files.decode().split("\0")):
            if not os.path.exists(os.path.join(SRC, rel)):
                continue
            target = os.path.join(self.dir, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(SRC, rel), target)
        modules = os.path.join(SRC, "tests", "idp", "node_modules")
        if os.path.isdir(modules):
            os.symlink(modules, os.path.join(self.dir, "tests", "idp", "node_modules"))
        self.env = dict(os.environ, top_srcdir=self.dir, top_builddir=self.dir,
                        PAM_OAUTH2_MODULE=os.path.join(self.dir, ".libs", "pam_oauth2.so"),
                        PAM_OAUTH2_IDP_MODULES=modules)
        self.env.pop("MAKEFLAGS", None)
        self.env.pop("MAKELEVEL", None)

    def build_first(self):
        for argv in (["autoreconf", "-fi"], ["./configure", "--enable-werror"], ["make", "-j2"]):
            code, output = run(argv, self.dir, self.env, log=self.log)
            if code != 0:
                raise SystemExit(f"the unmutated tree does not build ({' '.join(argv)}):\n{output[-3000:]}")
        self.build()

    def build(self, suites=None):
        """Builds the module and the check tool, and the test programs SUITES need (all
        of them when None): relinking only those keeps a mutant's round short."""
        programs = ["all", "tests/pam_drive", "tests/syslog_capture.la"]
        if suites is None:
            programs.append("tests/flow/test_flow")
            programs += sorted(os.path.relpath(p, self.dir)[:-2]
                               for p in glob.glob(os.path.join(self.dir, "tests/unit/test_*.c")))
        else:
            programs += ["tests/flow/test_flow" for s in suites if s == "flow"]
            programs += [f"tests/{s}" for s in suites if s.startswith("unit/")]
        # "all" first, alone: automake's all runs a sub-make, which must not race the others.
        code, output = run(["make", "-j2", "all"], self.dir, self.env, log=self.log)
        if code != 0:
            return code, output
        return run(["make", "-j2"] + programs[1:], self.dir, self.env, log=self.log)

    def suite(self, name):
        """Runs one suite; returns (passed, detail)."""
        if name == "flow":
            argv = ["./tests/flow/test_flow"]
        elif name.startswith("unit/"):
            argv = [f"./tests/{name}"]
        elif name == "layers":
            argv = [PY, "tests/check_layers.py"]
        else:
            script, _, cases = name.partition(":")
            argv = [PY, f"tests/{script}"] + (cases.split(",") if cases else [])
        code, output = run(argv, self.dir, self.env, log=self.log)
        failed = [line for line in output.splitlines() if line.startswith(("not ok", "[  FAILED  ]", "Bail out"))]
        return code == 0, (failed[0] if failed else f"exit {code}")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    wanted = set(sys.argv[1:])
    mutants = [m for m in load_all() if not wanted or m["id"] in wanted]
    if wanted - {m["id"] for m in mutants}:
        raise SystemExit(f"no such mutant: {', '.join(sorted(wanted - {m['id'] for m in mutants}))}")
    log = os.path.join(tempfile.gettempdir(), "pam_oauth2-mutation.log")
    open(log, "w").close()
    # Every mutant must still apply to the tree as it is: checked before anything is built.
    stale = []
    for m in mutants:
        with open(os.path.join(SRC, m["file"]), encoding="utf-8") as f:
            count = f.read().count(m["find"])
        if count != 1:
            stale.append(f"{m['id']} ({m['origin']}): its text occurs {count} times in {m['file']}")
    if stale:
        print("Mutants that no longer apply (the code moved; update tests/mutation/mutants):", file=sys.stderr)
        for line in stale:
            print(f"  {line}", file=sys.stderr)
        return 2
    started = time.monotonic()
    tree = Tree(log)
    rows, survivors, broken = [], [], []
    try:
        tree.build_first()
        for m in mutants:
            if "equivalent" in m:
                rows.append((m["id"], m["file"], "equivalent", m["equivalent"], 0.0))
                continue
            path = os.path.join(tree.dir, m["file"])
            with open(path, encoding="utf-8") as f:
                original = f.read()
            t0 = time.monotonic()
            try:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(original.replace(m["find"], m["replace"], 1))
                code, output = tree.build(m["tests"].split())
                if code != 0:
                    broken.append(m["id"])
                    errors = [line for line in output.splitlines() if "error" in line]
                    rows.append((m["id"], m["file"], "DOES NOT BUILD", (errors or ["?"])[0], 0.0))
                    print(f"# {m['id']}: DOES NOT BUILD: {(errors or ['?'])[0]}", flush=True)
                    continue
                verdict, detail = "SURVIVED", ""
                for suite in m["tests"].split():
                    passed, detail = tree.suite(suite)
                    if not passed:
                        verdict = f"killed by {suite}"
                        break
                if verdict == "SURVIVED":
                    survivors.append(m["id"])
                    detail = m["why"]
                rows.append((m["id"], m["file"], verdict, detail, time.monotonic() - t0))
                print(f"# {m['id']}: {verdict} ({time.monotonic() - t0:.1f} s)", flush=True)
            finally:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(original)
                os.utime(path)
        tree.build()
    finally:
        tree.close()
    scored = [r for r in rows if r[2] != "equivalent"]
    killed = [r for r in scored if r[2].startswith("killed")]
    print()
    print(f"{'mutant':44} {'file':38} result")
    for mutant_id, path, verdict, detail, seconds in rows:
        print(f"{mutant_id:44} {path:38} {verdict} ({seconds:.1f} s)")
        if verdict in ("SURVIVED", "DOES NOT BUILD") or verdict == "equivalent":
            print(f"{'':44} {'':38}   {detail}")
    print()
    score = 100.0 * len(killed) / len(scored) if scored else 0.0
    print(f"mutation score: {len(killed)}/{len(scored)} killed ({score:.1f}%), "
          f"{len(rows) - len(scored)} equivalent, in {time.monotonic() - started:.0f} s (log: {log})")
    print(f"{len(killed)} passed, {len(scored) - len(killed)} failed")
    return 0 if not survivors and not broken else 1


if __name__ == "__main__":
    sys.exit(main())
