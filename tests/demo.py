"""A demo login through the real module and the real Linux-PAM stack (pam_wrapper,
so /etc/pam.d is untouched) against the bundled test IdP on 127.0.0.1.

    tests/quickstart.sh demo            approve automatically as alice
    tests/quickstart.sh demo --manual   approve yourself: open the URL shown in a browser
                                        on this machine and sign in as alice / alice-pw
"""

import os
import shutil
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("top_builddir", os.path.dirname(HERE))
os.environ.setdefault("top_srcdir", os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "integration"))

import harness  # noqa: E402


def main(argv):
    manual = "--manual" in argv
    workdir = tempfile.mkdtemp(prefix="pam_oauth2-demo-")
    idp = harness.start_idp(workdir)
    try:
        stack = harness.Stack(workdir, idp)
        service = stack.service("demo", stack.base_config(scope="openid profile ssh:login",
                                                          require_scope="ssh:login", debug="off"))
        print(f"== test IdP at {idp.issuer} (accounts alice/alice-pw, bob/bob-pw)")
        print(f"== pam_authenticate for user alice through PAM service '{service}':\n", flush=True)

        def show(login):
            # The harness collects messages; print each as the application would.
            for message in login.info:
                print(message)
            print(login.prompts[-1], end="", flush=True)

        def at_prompt(login):
            show(login)
            if manual:
                print(f"\n   (open {login.url} in a browser here, enter {login.user_code}, sign in as"
                      " alice / alice-pw, Allow, then press Enter)", flush=True)
                sys.stdin.readline()
            else:
                stack.idp.approve(login.user_code, "alice", "alice-pw")
                print("<Enter>   (approved automatically as alice at the IdP)", flush=True)

        login = stack.login(service, "alice", on_prompt=at_prompt, timeout=600)
        for message in login.errors:
            print(message)
        verdict = "PAM_SUCCESS: alice is logged in" if login.result == harness.PAM_SUCCESS else \
            f"refused (PAM code {login.result})"
        print(f"\n== pam_authenticate returned {login.result}: {verdict}")
        return 0 if login.result == harness.PAM_SUCCESS else 1
    finally:
        idp.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    threading.current_thread().name = "demo"
    sys.exit(main(sys.argv[1:]))
