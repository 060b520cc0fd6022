"""Remembered approvals (remember = SECONDS, issue 15) end to end: the real OpenSSH server
with `AuthenticationMethods publickey,keyboard-interactive`, the ssh client under a pty,
the built module against the real test IdP (offline_access, so every reuse is revalidated
with one refresh-token request). TAP output.

The key of a record holds SSH_AUTH_INFO_0, which sshd (OpenSSH 7.8p1+) sets to the public
key that passed the first method (tests/e2e/SSH_AUTH_INFO.md). The cases run one after
another, in order, on one sshd: a second connection with the same key gets in without a
code; another key gets a new code; ten connections at once share one code (approved: all
in; denied: all out). The module's syslog lines are read through tests/syslog_capture.c
preloaded into sshd (it re-executes itself and forks the PAM child with that environment).

Needs what tests/e2e/test_ssh_sudo.py needs (root, sshd, ssh, pexpect; it uses that
file's fixtures, users and machine lock) and removes everything it adds: the users, the
PAM file, the sshd, the remember_dir with its records. Run with Debian's /usr/bin/python3;
KEEP_TEST_DIR=1 keeps the work directory.
"""

import atexit
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_ssh_sudo as e2e  # noqa: E402  (its fixtures: users, sshd, clients, lock)
from harness import BUILD, SYSLOG_SHIM, Check, closed_port, missing_prerequisite, run_tap  # noqa: E402

CHECK_TOOL = os.path.join(BUILD, "pam_oauth2-check")
BURST = 10
REMEMBER_SECONDS = "600"


class Capture:
    """The module's syslog lines, as tests/syslog_capture.c appends them to one file."""

    def __init__(self, path):
        self.path = path
        open(path, "w").close()
        self.mark = 0

    def lines(self):
        with open(self.path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()

    def since_mark(self):
        return self.lines()[self.mark:]

    def set_mark(self):
        self.mark = len(self.lines())


def make_cases(env):
    capture = Capture(os.path.join(env.workdir, "module-syslog.txt"))
    remember_dir = tempfile.mkdtemp(prefix="remember-", dir=env.workdir)  # root's, 0700
    os.chmod(remember_dir, 0o700)
    config = env.module_config(scope="openid profile offline_access", remember=REMEMBER_SECONDS,
                               remember_dir=remember_dir)
    state = {}

    def sshd():
        """One sshd, one PAM service: the key first on its port, keyboard-interactive alone
        on a second port (where SSH_AUTH_INFO_0 is empty)."""
        if "sshd" not in state:
            state["bare_port"] = closed_port()
            state["sshd"] = env.sshd("remember", config, options={
                "AuthenticationMethods": "publickey,keyboard-interactive",
                "Port": str(state["bare_port"]),
                "Match": f"LocalPort {state['bare_port']}\n    AuthenticationMethods keyboard-interactive",
            }, environment={"LD_PRELOAD": SYSLOG_SHIM, "SYSLOG_CAPTURE_FILE": capture.path})
        return state["sshd"]

    def key(name):
        """An ed25519 key of alice's (every key made here is in her authorized_keys)."""
        path = os.path.join(env.workdir, f"alice_{name}")
        if not os.path.exists(path):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path], check=True)
            entry = pwd.getpwnam("alice")
            ssh_dir = os.path.join(entry.pw_dir, ".ssh")
            os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
            with open(path + ".pub") as f, open(os.path.join(ssh_dir, "authorized_keys"), "a") as out:
                out.write(f.read())
            for p in (ssh_dir, os.path.join(ssh_dir, "authorized_keys")):
                os.chown(p, entry.pw_uid, entry.pw_gid)
            os.chmod(os.path.join(ssh_dir, "authorized_keys"), 0o600)
        return path

    def ssh(key_path, on_prompt, extra=()):
        argv = e2e.ssh_argv(sshd(), "alice", methods="publickey,keyboard-interactive",
                            extra=["-i", key_path, "-o", "IdentitiesOnly=yes", *extra])
        return e2e.spawn(argv, on_prompt)

    def counts():
        status, body = env.idp.request("GET", "/test/log/counts")
        Check.equal(status, 200, "GET /test/log/counts")
        return body

    def reset():
        env.idp.reset_log()
        capture.set_mark()

    def outcomes():
        """The module's result lines since the mark."""
        return [line for line in capture.since_mark() if " result=" in line]

    def records():
        return sorted(n for n in os.listdir(remember_dir) if n.endswith(".approval"))

    def forget_alice():
        conf = os.path.join(env.workdir, f"sshd-{e2e.PREFIX}-remember.conf")
        out = subprocess.run([CHECK_TOOL, "--forget", "alice", "--config", conf], capture_output=True, text=True,
                             timeout=30)
        if out.returncode != 0:
            raise AssertionError(f"pam_oauth2-check --forget alice: exit {out.returncode}: {out.stdout}{out.stderr}")
        Check.equal(records(), [], f"records left after --forget alice ({out.stdout.strip()})")
        return out.stdout.strip()

    def never_prompted(session, what):
        if session.prompts:
            raise AssertionError(f"{what}: a prompt was shown:\n{session.text}")

    # ---------------------------------------------------------------- a
    def test_second_connection_with_the_same_key_needs_no_code():
        one = key("one")
        reset()
        first = ssh(one, e2e.approving(env, "alice"))
        Check.equal(len(first.codes), 1, "codes shown on the first connection")
        Check.equal(e2e.last_line(first.text), "alice", "id -un on the first connection")
        Check.equal(first.exit, 0, "ssh exit status (first)")
        Check.equal(counts()["device_authorization"], 1, "device authorizations for the first connection")
        Check.equal(len(records()), 1, "records after the first approval")

        reset()
        second = ssh(one, e2e.leave_unapproved())
        Check.equal(second.codes, [], "codes shown on the second connection")
        never_prompted(second, "second connection")
        Check.equal(e2e.last_line(second.text), "alice", "id -un on the second connection")
        Check.equal(second.exit, 0, "ssh exit status (second)")
        seen = counts()
        Check.equal((seen["device_authorization"], seen["device_code"], seen["refresh_token"]), (0, 0, 1),
                    f"IdP requests for the second connection (device authorization, polls, refreshes): {seen}")
        lines = outcomes()
        Check.equal(len(lines), 1, f"result lines of the second connection: {lines}")
        Check.contains(lines[0], "result=approved reason=remembered approval_age=", "the log line")
        Check.contains(lines[0], "revalidated=yes sub=alice", "the log line")
        Check.contains(lines[0], f"service=sshd-{e2e.PREFIX}-remember rhost=127.0.0.1", "the log line")

    # ---------------------------------------------------------------- b
    def test_another_key_of_the_same_user_gets_a_new_code():
        two = key("two")
        reset()
        other = ssh(two, e2e.approving(env, "alice"))
        Check.equal(len(other.codes), 1, "codes shown for the other key")
        Check.equal(e2e.last_line(other.text), "alice", "id -un with the other key")
        Check.equal(other.exit, 0, "ssh exit status (other key)")
        seen = counts()
        Check.equal((seen["device_authorization"], seen["refresh_token"]), (1, 0),
                    f"IdP requests for the other key (device authorizations, refreshes): {seen}")
        Check.equal(len(records()), 2, "records: one per key")
        # No key at all (keyboard-interactive alone, same service): SSH_AUTH_INFO_0 is empty,
        # a key of its own, never the record of a key.
        reset()
        bare = e2e.spawn(e2e.ssh_argv(types.SimpleNamespace(port=state["bare_port"]), "alice",
                                      extra=["-o", "NumberOfPasswordPrompts=1"]),
                         e2e.approving(env, "alice", "deny"))
        Check.equal(len(bare.codes), 1, "codes shown with keyboard-interactive alone")
        Check.contains(bare.text, "Sign-in was denied at the identity provider.", "denial shown")
        Check.equal(bare.exit, 255, "ssh exit status (keyboard-interactive alone, denied)")
        Check.equal(counts()["device_authorization"], 1, "device authorizations without a key")
        Check.equal(len(records()), 2, "records after the denial without a key (the keys' two kept)")

    # ---------------------------------------------------------------- c
    def burst(decision):
        """BURST connections at once with one key. Each shows the same code with the Enter
        prompt (prompt = enter: the waiting ones too, since sshd before 10.3 shows text only
        with a prompt); the first to be asked answers DECISION at the IdP once every
        connection is inside keyboard-interactive, and every one presses Enter after it."""
        one = key("one")
        forget_alice()
        reset()
        log_start = len(sshd().log())
        prompts, sessions = [], [None] * BURST
        lock = threading.Lock()
        decided = threading.Event()

        def act(session, user_code):
            with lock:
                prompts.append(user_code)
                first = len(prompts) == 1
            if not first:
                decided.wait(90)  # Enter after the person has decided
                return
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if sshd().log()[log_start:].count("Partial publickey for alice") >= BURST:
                    break
                time.sleep(0.1)
            time.sleep(1.5)  # the others look for the leader's note every 200 ms
            env.idp.approve(user_code, "alice", "alice-pw", decision)
            decided.set()

        def one_client(i):
            try:
                sessions[i] = ssh(one, act)
            except Exception as e:  # noqa: BLE001  (reported below)
                sessions[i] = e

        threads = [threading.Thread(target=one_client, args=(i,)) for i in range(BURST)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        errors = [s for s in sessions if isinstance(s, Exception)]
        if errors:
            raise AssertionError(f"{len(errors)} clients failed: {errors[0]!r}")
        Check.equal(sshd().log()[log_start:].count("Partial publickey for alice"), BURST,
                    "connections past the key")
        Check.equal(len(prompts), BURST, f"prompts over {BURST} connections")
        Check.equal(len({code for s in sessions for code in s.codes}), 1, f"codes over {BURST} connections")
        # The others show the same code, with a line saying they wait for it.
        waiting = [s for s in sessions
                   if "Another login of yours with the same key is waiting for this approval" in s.text]
        Check.equal(len(waiting), BURST - 1, "connections that showed they wait for the one code")
        return sessions

    def test_ten_connections_at_once_share_one_approval():
        sessions = burst("allow")
        for i, s in enumerate(sessions):
            Check.equal(e2e.last_line(s.text), "alice", f"id -un on connection {i}")
            Check.equal(s.exit, 0, f"ssh exit status of connection {i}")
        seen = counts()
        Check.equal((seen["device_authorization"], seen["refresh_token"]), (1, 0),
                    f"IdP requests for {BURST} connections at once: {seen}")
        lines = outcomes()
        Check.equal(len(lines), BURST, f"result lines: {lines}")
        Check.equal(sum("result=approved" in line for line in lines), BURST, f"approvals in {lines}")
        Check.equal(sum("burst=yes" in line for line in lines), BURST - 1,
                    f"logins that waited for the one approval: {lines}")
        Check.equal(len(records()), 1, "records after the burst")

    def test_ten_connections_at_once_one_denial_refuses_all():
        sessions = burst("deny")
        # Every connection is refused; the one-line reason after the last prompt reaches an
        # OpenSSH 9.2 client only when sshd has a prompt to send it with (bz2876), so the
        # refusal itself is what is checked here.
        for i, s in enumerate(sessions):
            Check.contains(s.text, "Permission denied", f"connection {i} refused")
            Check.absent(s.text, "\nalice\n", f"a session on connection {i}")
            Check.equal(s.exit, 255, f"ssh exit status of connection {i}")
        seen = counts()
        Check.equal(seen["device_authorization"], 1, f"device authorizations for {BURST} connections at once: {seen}")
        Check.equal(seen["refresh_token"], 0, f"refresh-token grants: {seen}")
        lines = outcomes()
        Check.equal(len(lines), BURST, f"result lines: {lines}")
        Check.equal(sum("result=denied" in line for line in lines), BURST, f"denials in {lines}")
        Check.equal(sum("the login this one waited for (same key) ended: denied" in line for line in lines),
                    BURST - 1, f"logins refused by the one denial: {lines}")
        Check.equal(records(), [], "records after the denial")

    def test_refresh_tokens_only_in_the_records():
        # Both keys' records (cases a and b): each refresh token is in its record file,
        # mode 0600, and nowhere the module or sshd writes text.
        names = records()
        Check.equal(len(names), 2, "records (one per key)")
        for name in names:
            path = os.path.join(remember_dir, name)
            with open(path) as f:
                token = next((line.split(" ", 1)[1] for line in f.read().splitlines()
                              if line.startswith("refresh_token ")), None)
            if not token or len(token) < 20:
                raise AssertionError(f"no refresh token in the record {name}")
            Check.absent("\n".join(capture.lines()), token, "the module's syslog lines")
            Check.absent(sshd().log(), token, "sshd's log")
            Check.equal(oct(os.stat(path).st_mode & 0o7777), oct(0o600), f"mode of {name}")

    cases = [
        test_second_connection_with_the_same_key_needs_no_code,
        test_another_key_of_the_same_user_gets_a_new_code,
        test_refresh_tokens_only_in_the_records,
        test_ten_connections_at_once_share_one_approval,
        test_ten_connections_at_once_one_denial_refuses_all,
    ]
    for case in cases:
        case.serial = True  # in this order: each builds on the records of the one before
    return cases


def main():
    reason = e2e.skip_reason()
    if reason is None and not os.path.exists(SYSLOG_SHIM):
        reason = f"{SYSLOG_SHIM} is missing: build the tree first"
    if reason is None and not os.path.exists(CHECK_TOOL):
        reason = f"{CHECK_TOOL} is missing: build the tree first"
    if reason:
        return missing_prerequisite(reason)
    lock = e2e.take_machine_lock()
    workdir = tempfile.mkdtemp(prefix="pam_oauth2-e2e-remember-")
    system = e2e.System(workdir)
    atexit.register(system.cleanup)

    def interrupted(signum, frame):
        raise SystemExit(128 + signum)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, interrupted)
    idp = None
    try:
        print(f"# {subprocess.run([e2e.SSHD, '-V'], capture_output=True, text=True).stderr.strip()}; "
              f"PAM service by {'PAMServiceName' if e2e.sshd_has_pam_service_name() else 'program name'}",
              flush=True)
        idp = e2e.start_idp(workdir)
        e2e.create_users(system)
        env = e2e.Env(workdir, idp, system)
        e2e.TRANSCRIPTS_DIR.append(os.path.join(workdir, "clients"))
        os.makedirs(e2e.TRANSCRIPTS_DIR[0])
        return run_tap(make_cases(env), parallel=1)
    except Exception:  # noqa: BLE001
        print("Bail out! " + traceback.format_exc().strip().splitlines()[-1])
        traceback.print_exc()
        return 1
    finally:
        system.cleanup()
        if idp is not None:
            idp.stop()
        if os.environ.get("KEEP_TEST_DIR"):
            print(f"# kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        lock.close()


if __name__ == "__main__":
    sys.exit(main())
