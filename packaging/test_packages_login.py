"""Part of packaging/test_packages.sh: with the libpam-oauth2 package installed, starts
the test IdP, writes the admin's /etc/security/pam_oauth2.conf for it, and logs in with
pamtester through the PAM service SERVICE (a file in /etc/pam.d naming the INSTALLED
module by name), approving as alice when the code appears. Then runs the installed
pam_oauth2-check against the same file. Prints one "ok - ..." / "not ok - ..." line per
check (test_packages.sh numbers them). Run with Debian's /usr/bin/python3 (pexpect).

    test_packages_login.py SERVICE CONFIG_PATH MARKER
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

SRC = os.environ.get("top_srcdir") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("top_srcdir", SRC)
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))

import pexpect  # noqa: E402
from harness import start_idp  # noqa: E402

CODE = re.compile(rb"enter the code: (\S+)")


def report(ok, what, detail=""):
    print(f"{'ok' if ok else 'not ok'} - {what}", flush=True)
    for line in detail.rstrip().splitlines():
        print(f"# {line}", flush=True)


def write_config(path, marker, idp):
    # As an admin would: edit the installed file in place (same inode, root-owned, 0644).
    with open(path, "w") as f:
        f.write(f"# {marker}\n")
        f.write(f"issuer = {idp.issuer}\n")
        f.write("client_id = pam-public\n")
        f.write("scope = openid profile\n")
        f.write(f"ca_file = {idp.ca_file}\n")
        f.write("timeout = 60\n")
        f.write("http_timeout = 5\n")


def login_with_pamtester(service, idp):
    """pamtester prints PAM info to stdout and the prompt to stderr: both reach the pty."""
    child = pexpect.spawn("pamtester", [service, "alice", "authenticate"], timeout=60)
    transcript = []
    try:
        child.expect(CODE)
        user_code = child.match.group(1).decode()
        transcript.append(child.before.decode(errors="replace") + child.after.decode(errors="replace"))
        idp.approve(user_code, "alice", "alice-pw", "allow")
        child.expect("Press Enter after approving")
        child.sendline("")
        child.expect(pexpect.EOF)
        transcript.append(child.before.decode(errors="replace"))
    except (pexpect.TIMEOUT, pexpect.EOF):
        transcript.append(str(child.before))
    child.close()
    text = "".join(transcript)
    ok = child.exitstatus == 0 and "successfully authenticated" in text
    return ok, f"pamtester exit {child.exitstatus}\n{text[-1500:]}"


def main():
    service, config_path, marker = sys.argv[1:4]
    workdir = tempfile.mkdtemp(prefix="pam_oauth2-pkgtest-")
    idp = None
    try:
        idp = start_idp(workdir)
        write_config(config_path, marker, idp)
        ok, detail = login_with_pamtester(service, idp)
        report(ok, f"pamtester login as alice through /etc/pam.d/{service} (installed pam_oauth2.so, approved at the IdP)",
               "" if ok else detail)
        check = subprocess.run(["/usr/sbin/pam_oauth2-check", "--config", config_path],
                               capture_output=True, text=True, timeout=60)
        report(check.returncode == 0, "installed pam_oauth2-check --config accepts the admin's file",
               "" if check.returncode == 0 else f"exit {check.returncode}\n{check.stdout}\n{check.stderr}")
    except Exception:  # noqa: BLE001  (any failure is a failed check)
        report(False, "login test could run", traceback.format_exc())
    finally:
        if idp is not None:
            idp.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
