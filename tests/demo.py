"""A demo login through the real module and the real Linux-PAM stack (pam_start_confdir,
so /etc/pam.d is untouched) against the bundled test IdP on this machine's loopback.

    tests/quickstart.sh demo                  approve automatically as alice
    tests/quickstart.sh demo --manual         approve yourself: open the URL shown in a
                                              browser on this machine, sign in as
                                              alice / alice-pw, Allow, then press Enter
    tests/quickstart.sh demo --manual --port N
                                              the IdP on port N, for an ssh tunnel from
                                              another computer (ssh -L N:127.0.0.1:N ...)

With no terminal (no standard input) it approves automatically and says so; --manual
then stops at once, as there is no one to press Enter. Everything it starts and writes
(the IdP, a temporary directory) is gone when it ends, whatever the outcome.
"""

import argparse
import os
import shutil
import sys
import tempfile
import textwrap
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("top_builddir", os.path.dirname(HERE))
os.environ.setdefault("top_srcdir", os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "integration"))

import harness  # noqa: E402

WIDTH = 78


def say(text=""):
    """Prints TEXT as paragraphs wrapped to WIDTH (lines starting with spaces as they are)."""
    for paragraph in textwrap.dedent(text).strip("\n").split("\n\n"):
        lines = paragraph.splitlines()
        if lines and all(line.startswith("  ") for line in lines):
            print("\n".join(lines))
        else:
            print(textwrap.fill(" ".join(line.strip() for line in lines), WIDTH, break_on_hyphens=False,
                                break_long_words=False))
        print()
    sys.stdout.flush()


def parse(argv):
    parser = argparse.ArgumentParser(prog="tests/quickstart.sh demo",
                                     description="One real login through pam_oauth2 against a local test IdP.")
    parser.add_argument("--manual", action="store_true",
                        help="approve yourself in a browser (needs a terminal to press Enter in)")
    parser.add_argument("--port", type=int, default=0,
                        help="port of the test IdP on 127.0.0.1 (default: any free one), for an ssh tunnel")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0-65535")
    return args


def explain_start(idp, manual, interactive):
    say(f"""
    == pam_oauth2 demo: one real login through this module

    What runs here: a test identity provider (the IdP: the npm package oidc-provider,
    the kind of server your company's login service is) at {idp.issuer}, on this
    machine's loopback, with a certificate authority made for this run. It knows three
    test accounts; alice (password alice-pw) is the one who logs in. The module,
    pam_oauth2.so from this checkout, runs inside Linux-PAM's pam_authenticate for the
    user alice, as sshd or sudo would run it (its PAM service file is in a temporary
    directory: /etc/pam.d is not touched).

    Step 1: the module asks the IdP for a device code and shows it, with the address
    to open and a QR code of it. This is what the person logging in sees:
    """)
    if not interactive and not manual:
        say("(No terminal here: alice's approval is given automatically.)")


def explain_loopback(port_hint):
    say(f"""
    About the QR code: this IdP lives on this machine's loopback (127.0.0.1), so a phone
    cannot reach it. To approve yourself with a browser on this machine:

      sh tests/quickstart.sh demo --manual

    or from another computer: start the demo here with the IdP on a fixed port,

      sh tests/quickstart.sh demo --manual --port {port_hint}

    open a tunnel to it from that computer, and open the URL shown in its browser (the
    browser warns about the test's own certificate authority):

      ssh -L {port_hint}:127.0.0.1:{port_hint} root@THIS-HOST

    With a real IdP the code and the QR code work from any phone.
    """)


def explain_next(ok):
    say(f"""
    Next: {"to use it for real" if ok else "once the demo works"}, read "Minimal setup" in
    README.md: point /etc/security/pam_oauth2.conf at your IdP, and check it before it
    guards any login ("Deploying without locking yourself out"):

      pam_oauth2-check --config /etc/security/pam_oauth2.conf
      pam_oauth2-check --login alice --service sshd
    """)


def run(args, interactive, workdir):
    env = {"IDP_PORT": str(args.port)} if args.port else None
    idp = harness.start_idp(workdir, env)
    try:
        stack = harness.Stack(workdir, idp)
        config = stack.base_config(scope="openid profile ssh:login", require_scope="ssh:login", debug="off",
                                   timeout="900" if args.manual else "60")
        service = stack.service("demo", config)
        explain_start(idp, args.manual, interactive)

        def at_prompt(login):
            for message in login.info:
                print(message)
            print(login.prompts[-1], flush=True)
            print()
            if args.manual:
                say(f"""
                Step 2, your turn: open {login.url} in a browser on this machine (or
                through your ssh tunnel), enter the code {login.user_code}, sign in as
                alice with the password alice-pw and press Allow. Then come back here and
                press Enter.
                """)
                sys.stdin.readline()
            else:
                idp.approve(login.user_code, "alice", "alice-pw")
                say("""
                Step 2: alice approves. Here it is done for her over HTTP: open the address,
                enter the code, sign in as alice / alice-pw, press Allow (what she would do
                on her phone), and then Enter is pressed for her.
                """)
            say("""
            Step 3: after Enter the module asks the IdP's token endpoint whether the code was
            approved, receives a token, checks that the scope ssh:login was granted and
            that the approving identity is alice, the user logging in.
            """)

        login = stack.login(service, "alice", on_prompt=at_prompt, timeout=1000 if args.manual else 120)
        for message in login.errors:
            print(message)
        ok = login.result == harness.PAM_SUCCESS
        if ok:
            say(f"Result: pam_authenticate returned {login.result} (PAM_SUCCESS): alice is logged in.")
        else:
            say(f"""
            Result: pam_authenticate returned {login.result}, not PAM_SUCCESS: the login was
            refused{" (was the code approved before Enter was pressed?)" if args.manual else ""}.
            """)
        explain_loopback(args.port or 8443)
        explain_next(ok)
        return 0 if ok else 1
    finally:
        idp.stop()


def main(argv):
    args = parse(argv)
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if args.manual and not interactive:
        print("demo: --manual needs a terminal to press Enter in (standard input is not one); "
              "run it from a terminal, or without --manual to approve automatically", file=sys.stderr)
        return 2
    workdir = tempfile.mkdtemp(prefix="pam_oauth2-demo-")
    try:
        return run(args, interactive, workdir)
    except Exception as error:  # noqa: BLE001  (say what happened, then fail)
        print(f"\ndemo: failed: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    threading.current_thread().name = "demo"
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
