"""Remembered approvals (remember = SECONDS, issue 15) through the real Linux-PAM stack
against the real test IdP: the reuse of an approval inside the window (revalidated with one
refresh-token request when the IdP gave a refresh token, time-only without one), a new code
after the window and for every other part of the key, the IdP's revocation, disabling and
withheld scopes, a burst of parallel logins waiting for one approval, the records the module
must not trust, and pam_oauth2-check --remembered / --forget / --forget-all. Each case looks
at the PAM result, the syslog lines, what the conversation showed, the test IdP's request
counts (GET /test/log/counts) and the record files. TAP output.

The cases that count the IdP's requests, or change an account at the IdP (revoke, disable,
withhold a scope), are serial: they run alone, after the others, and reset the IdP's log.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (BUILD, PAM_AUTH_ERR, PAM_MAXTRIES, PAM_SUCCESS, Check, main,  # noqa: E402
                     serial)

TOOL = os.path.join(BUILD, "pam_oauth2-check")
WINDOW = 600            # remember = WINDOW in every case
SECRET_WINDOW = 12      # a run this long copied from the refresh token counts as a leak (test_secrets)
OFFLINE = "openid profile offline_access"
ONLINE = "openid profile"
SSH_KEY_1 = "publickey ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx6ZrYcTqLhmKcQ1aTf3pIrsTQw5dI7RFYF5kqaFirst\n"
SSH_KEY_2 = "publickey ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyX\n"
REUSED = "reason=remembered approval_age="
NOT_REUSED = "not reused:"
BURST_LINE = "Another login of yours with the same key is waiting for this approval"


# ---------------------------------------------------------------- helpers

def memory_dir(stack, name, create=True):
    """A remember_dir of this case's own: root's, mode 0700, removed with the work directory
    (with CREATE false, only its path: the module makes it)."""
    path = os.path.join(stack.new_dir(name), "remember")
    if create:
        os.mkdir(path, 0o700)
        os.chmod(path, 0o700)
    return path


def remember_config(stack, rdir, scope=OFFLINE, **overrides):
    # prompt=none: the code is shown and polled for at once (the IdP's interval is 1 s).
    config = stack.base_config(scope=scope, remember=str(WINDOW), remember_dir=rdir, prompt="none",
                               timeout="20", qr="off")
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


def config_path(stack, service):
    """The configuration file stack.service wrote for SERVICE."""
    return os.path.join(stack.workdir, service[len("test-"):], "pam_oauth2.conf")


def rewrite_config(stack, service, config):
    """Writes CONFIG over SERVICE's file: the same service (and path), another content."""
    with open(config_path(stack, service), "w") as f:
        f.write("# rewritten by test_remember\n")
        for key, value in config.items():
            f.write(f"{key} = {value}\n")


def login(stack, service, user="alice", approver=None, decision="allow", refused=None, on_code=None, tty=None,
          ssh_key=None, real_uid=None, rhost=None, timeout=60):
    """One login of USER through SERVICE whose captured syslog holds only its own lines. A
    code shown is approved (or denied: DECISION) as APPROVER (default USER); with REFUSED
    (a list), an approval the IdP refuses is recorded there instead of raised. ON_CODE
    replaces all that. TTY, SSH_KEY (SSH_AUTH_INFO_0 in the PAM environment), REAL_UID and
    RHOST are the other parts of the key."""
    capture = os.path.join(stack.workdir, f"syslog-{service}-{threading.get_ident()}.log")
    if os.path.exists(capture):
        os.unlink(capture)  # the harness appends per service and thread: keep this login's lines
    env = {}
    if tty is not None:
        env["PAM_DRIVE_TTY"] = tty
    if ssh_key is not None:
        env["PAM_DRIVE_PUTENV"] = "SSH_AUTH_INFO_0=" + ssh_key
    if real_uid is not None:
        env["PAM_DRIVE_REAL_UID"] = str(real_uid)
    who = approver or user

    def approve(result):
        try:
            stack.idp.approve(result.user_code, who, f"{who}-pw", decision)
        except Exception as e:  # noqa: BLE001  (approve.ApprovalError: the IdP's page said no)
            if refused is None:
                raise
            refused.append(str(e))
    return stack.login(service, user, on_code=on_code or approve, extra_env=env, rhost=rhost, timeout=timeout)


def reset_counts(stack):
    stack.idp.reset_log()


def counts(stack):
    status, body = stack.idp.request("GET", "/test/log/counts")
    Check.equal(status, 200, "GET /test/log/counts")
    return body


def expect_counts(stack, what, device_authorization, refresh_token):
    seen = counts(stack)
    Check.equal((seen["device_authorization"], seen["refresh_token"]), (device_authorization, refresh_token),
                f"{what}: (device authorizations, refresh-token requests) at the IdP; all counts {seen}")


def knob(stack, path, **form):
    status, body = stack.idp.request("POST", path, form)
    Check.equal(status, 200, f"POST {path} {form}: {body}")
    return body


def records(rdir):
    """The record files in RDIR, by name (KEY.approval)."""
    return sorted(name for name in os.listdir(rdir) if name.endswith(".approval") and not name.startswith("."))


def only_record(rdir):
    names = records(rdir)
    Check.equal(len(names), 1, f"record files in {rdir}: {os.listdir(rdir)}")
    return os.path.join(rdir, names[0])


def fields(path):
    with open(path) as f:
        lines = f.read().splitlines()
    Check.equal(lines[0], "pam_oauth2 remembered-approval 1", f"{path}: header")
    return dict(line.split(" ", 1) for line in lines[1:])


def set_field(path, name, value):
    """Edits one line of a record in place (the file stays root's, 0600)."""
    with open(path) as f:
        text = f.read()
    text, n = re.subn(rf"^{name} .*$", f"{name} {value}", text, flags=re.M)
    Check.equal(n, 1, f"{name} lines in {path}")
    with open(path, "w") as f:
        f.write(text)


def token_hash(token):
    """How the test IdP logs a refresh token: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def refreshes(stack):
    return [e for e in stack.idp.log() if e["path"] == "/token" and e["grant_type"] == "refresh_token"]


def approved(result, what):
    Check.equal(result.result, PAM_SUCCESS, f"{what}: pam_authenticate; log:\n{result.log}")
    Check.contains(result.log, "result=approved", f"{what}: log line")


def asked_again(result, what, expect=PAM_SUCCESS):
    """RESULT showed a new code (and was not a reuse)."""
    Check.equal(result.codes_shown, 1, f"{what}: codes shown; shown:\n{result.shown}\nlog:\n{result.log}")
    Check.absent(result.log, REUSED, f"{what}: log")
    Check.absent(result.log, "burst=yes", f"{what}: log")
    Check.equal(result.result, expect, f"{what}: pam_authenticate; log:\n{result.log}")


def reused(result, what, how="revalidated=yes"):
    Check.equal(result.codes_shown, 0, f"{what}: codes shown; shown:\n{result.shown}")
    approved(result, what)
    Check.equal(result.setcred, PAM_SUCCESS, f"{what}: pam_setcred (sshd calls fatal() when it fails)")
    Check.contains(result.log, REUSED, f"{what}: log")
    Check.contains(result.log, how, f"{what}: log")


# ---------------------------------------------------------------- 1-3: the window

@serial
def test_reuse_inside_the_window_is_one_refresh_and_no_device_code(stack):
    rdir = memory_dir(stack, "reuse", create=False)
    service = stack.service("reuse", remember_config(stack, rdir, export_claims="on"))
    reset_counts(stack)
    first = login(stack, service)
    asked_again(first, "first login")
    expect_counts(stack, "first login", 1, 0)
    path = only_record(rdir)
    st = os.stat(rdir)
    Check.equal((oct(st.st_mode & 0o7777), st.st_uid), ("0o700", 0), "remember_dir made by the module")
    st = os.stat(path)
    Check.equal((oct(st.st_mode & 0o7777), st.st_uid), ("0o600", 0), "record mode and owner")
    record = fields(path)
    Check.equal((record["user"], record["service"], record["sub"]), ("alice", service, "alice"), "record fields")
    Check.equal(record["revalidated_at"], "0", "a fresh record was never revalidated")
    old_token = record.get("refresh_token")
    if not old_token:
        raise AssertionError(f"no refresh token kept although offline_access was granted: {record}")

    reset_counts(stack)
    second = login(stack, service, approver="bob")  # a code shown would be refused
    reused(second, "second login")
    Check.equal({k: v for k, v in second.env.items() if k.startswith("OAUTH2_")},
                {k: v for k, v in first.env.items() if k.startswith("OAUTH2_")},
                "the exported claims of a reused approval and of the fresh one")
    Check.equal(second.env.get("OAUTH2_SUB"), "alice", "OAUTH2_SUB of the reused approval")
    if not re.search(r"result=approved reason=remembered approval_age=\d+s revalidated=yes sub=alice", second.log):
        raise AssertionError(f"no 'reason=remembered approval_age=Ns revalidated=yes sub=alice' in:\n{second.log}")
    expect_counts(stack, "second login", 0, 1)
    sent = refreshes(stack)
    Check.equal([e["refresh_token_hash"] for e in sent], [token_hash(old_token)],
                "the refresh request carried the remembered token")
    Check.equal(sent[0]["client_id"], "pam-public", "the refresh request's client")
    # pam-public's refresh tokens rotate: the new one replaces the old, the approval keeps its age.
    after = fields(path)
    Check.equal(after["approved_at"], record["approved_at"], "approved_at after a revalidation")
    if after.get("refresh_token") in (None, old_token):
        raise AssertionError("the rotated refresh token was not stored")
    if int(after["revalidated_at"]) < int(record["approved_at"]):
        raise AssertionError(f"revalidated_at not set: {after['revalidated_at']}")

    # The stored token is the live one: reusing the rotated-away one would revoke the grant.
    reset_counts(stack)
    third = login(stack, service, approver="bob")
    reused(third, "third login")
    expect_counts(stack, "third login", 0, 1)
    Check.equal([e["refresh_token_hash"] for e in refreshes(stack)], [token_hash(after["refresh_token"])],
                "the third login refreshed with the rotated token")


@serial
def test_time_only_reuse_asks_the_idp_nothing(stack):
    rdir = memory_dir(stack, "time-only")
    service = stack.service("time-only", remember_config(stack, rdir, scope=ONLINE))
    first = login(stack, service)
    asked_again(first, "first login")
    Check.equal("refresh_token" in fields(only_record(rdir)), False, "a refresh token without offline_access")
    reset_counts(stack)
    second = login(stack, service, approver="bob")
    reused(second, "second login", how="revalidated=no (time only")
    Check.contains(second.log, "sub=alice", "log line")
    Check.equal(stack.idp.log(), [], "requests to the IdP during a time-only reuse")


@serial
def test_after_the_window_a_new_code_is_shown(stack):
    rdir = memory_dir(stack, "window")
    service = stack.service("window", remember_config(stack, rdir))
    asked_again(login(stack, service), "first login")
    path = only_record(rdir)
    # Just inside the window: reused, and the age logged is the record's.
    set_field(path, "approved_at", int(time.time()) - (WINDOW - 30))
    reset_counts(stack)
    inside = login(stack, service, approver="bob")
    reused(inside, "inside the window")
    if not re.search(r"approval_age=5[78]\ds revalidated=yes", inside.log):
        raise AssertionError(f"approval_age not about {WINDOW - 30}s:\n{inside.log}")
    expect_counts(stack, "inside the window", 0, 1)
    # The revalidation did not make the approval younger; past the window it is not used.
    Check.equal(int(time.time()) - int(fields(path)["approved_at"]) >= WINDOW - 30, True,
                "approved_at kept by the revalidation")
    set_field(path, "approved_at", int(time.time()) - WINDOW - 1)
    reset_counts(stack)
    outside = login(stack, service)
    asked_again(outside, "after the window")
    expect_counts(stack, "after the window", 1, 0)
    Check.contains(outside.shown, "enter the code:", "conversation")
    if int(fields(path)["approved_at"]) < int(time.time()) - 60:
        raise AssertionError("the new approval did not renew the record")


# ---------------------------------------------------------------- 4: the key

def test_another_host_key_service_terminal_caller_or_user_gets_a_new_code(stack):
    rdir = memory_dir(stack, "key")
    config = remember_config(stack, rdir, scope=ONLINE)
    service = stack.service("key", config)
    other_service = stack.service("key-other", config)  # the same configuration, another service name
    base = {"rhost": "192.0.2.7", "tty": "/dev/pts/3", "ssh_key": SSH_KEY_1}
    asked_again(login(stack, service, **base), "first login")
    reused(login(stack, service, approver="bob", **base), "the same key", how="revalidated=no")
    others = [
        ("another remote host", service, "alice", dict(base, rhost="198.51.100.9")),
        ("another SSH key", service, "alice", dict(base, ssh_key=SSH_KEY_2)),
        ("no SSH key", service, "alice", dict(base, ssh_key=None)),
        ("another terminal", service, "alice", dict(base, tty="/dev/pts/4")),
        ("another caller (real uid)", service, "alice", dict(base, real_uid=65534)),
        ("another service", other_service, "alice", base),
        ("another user", service, "bob", base),
    ]
    for what, svc, user, parts in others:
        result = login(stack, svc, user=user, **parts)
        asked_again(result, what)
        Check.contains(result.log, f"user={user}", f"{what}: log")
    # None for a remote login without the client's key (anyone from that address would
    # share it), none for a setuid caller without a terminal to bind it to.
    Check.equal(len(records(rdir)), 1 + len(others) - 2, "one record per key that may have one")
    for what, svc, user, parts in (others[2], others[4]):
        asked_again(login(stack, svc, user=user, **parts), f"{what}, never remembered")
    # Each is remembered under its own key, and the first key still finds its own record.
    for what, svc, user, parts in others[:1] + others[-1:]:
        reused(login(stack, svc, user=user, approver="carol", **parts), f"{what} again",
               how="revalidated=no")
    again = login(stack, service, approver="bob", **base)
    reused(again, "the first key again", how="revalidated=no")
    Check.contains(again.log, "sub=alice", "the first key's record is alice's")


# ---------------------------------------------------------------- 5: the IdP takes it back

@serial
def test_a_grant_revoked_at_the_idp_asks_again(stack):
    rdir = memory_dir(stack, "revoked")
    service = stack.service("revoked", remember_config(stack, rdir))
    asked_again(login(stack, service), "first login")
    old = fields(only_record(rdir))["refresh_token"]
    Check.equal(knob(stack, "/test/revoke-grants", username="alice")["revoked_grants"] >= 1, True,
                "grants revoked")
    reset_counts(stack)
    second = login(stack, service)
    asked_again(second, "after the revocation")
    expect_counts(stack, "after the revocation", 1, 1)
    Check.contains(second.log, "remembered approval for alice not reused: the refresh token was refused "
                   "(invalid_grant)", "log line")
    Check.contains(second.log, "asking with a new code", "log line")
    Check.equal([e["error_detail"] for e in refreshes(stack)], ["refresh token not found"],
                "the IdP's reason for the refusal")
    # The new approval is remembered with the new grant's refresh token.
    new = fields(only_record(rdir)).get("refresh_token")
    if new in (None, old):
        raise AssertionError("the new approval's refresh token was not kept")
    reset_counts(stack)
    reused(login(stack, service, approver="bob"), "after the new approval")
    expect_counts(stack, "after the new approval", 0, 1)


@serial
def test_a_disabled_account_asks_again_and_cannot_be_approved(stack):
    rdir = memory_dir(stack, "disabled")
    # timeout = 5: the new code is never approved (a disabled account cannot sign in).
    service = stack.service("disabled", remember_config(stack, rdir, timeout="5", http_timeout="2"))
    asked_again(login(stack, service), "first login")
    only_record(rdir)
    refused = []
    knob(stack, "/test/disable", username="alice", disabled="1")
    try:
        reset_counts(stack)
        second = login(stack, service, refused=refused)
    finally:
        knob(stack, "/test/disable", username="alice", disabled="0")
    asked_again(second, "while disabled", expect=PAM_AUTH_ERR)
    expect_counts(stack, "while disabled", 1, 1)
    Check.equal([e["error_detail"] for e in refreshes(stack)],
                ["refresh token invalid (referenced account not found)"], "the IdP's reason")
    Check.contains(second.log, "remembered approval for alice not reused: the refresh token was refused "
                   "(invalid_grant)", "log line")
    Check.contains(second.log, "result=expired", "log line: the new code was never approved")
    Check.equal(len(refused), 1, "approval attempts the IdP refused")
    Check.contains(refused[0], "This account is disabled.", "the IdP's sign-in page")
    Check.equal(records(rdir), [], "records after the failed login")
    # Enabled again: the record is gone, so the next login asks (and is approved).
    asked_again(login(stack, service), "enabled again")


@serial
def test_a_withheld_required_scope_asks_again_and_is_refused(stack):
    rdir = memory_dir(stack, "withheld")
    config = remember_config(stack, rdir, scope="openid profile sudo offline_access", require_scope="sudo")
    service = stack.service("withheld", config)
    asked_again(login(stack, service), "first login")
    only_record(rdir)
    knob(stack, "/test/withhold-scope", username="alice", scope="sudo", withheld="1")
    try:
        reset_counts(stack)
        second = login(stack, service)
    finally:
        knob(stack, "/test/withhold-scope", username="alice", scope="sudo", withheld="0")
    asked_again(second, "sudo withheld", expect=PAM_AUTH_ERR)
    expect_counts(stack, "sudo withheld", 1, 1)
    Check.contains(second.log, "remembered approval for alice not reused: the refreshed token failed the checks: "
                   "required scope 'sudo' not granted", "log line")
    # The new approval lacks the scope too: refused.
    Check.contains(second.log, "result=not-authorized", "log line")
    Check.contains("\n".join(second.errors), "not authorized for alice", "user line")
    Check.equal(records(rdir), [], "records after the refusal")


# ---------------------------------------------------------------- 6: bursts

def burst(stack, service, count, decision):
    """COUNT logins of alice through SERVICE at once; once every one of them shows a code,
    that code is approved (or denied) once. Returns (logins, codes shown)."""
    shown, lock, everyone = [], threading.Lock(), threading.Event()
    results = [None] * count
    failures = []

    def on_code(result):
        with lock:
            shown.append((result.user_code, BURST_LINE in result.shown))
            if len(shown) == count:
                everyone.set()

    def one(index):
        try:
            results[index] = login(stack, service, on_code=on_code, timeout=40)
        except Exception as e:  # noqa: BLE001
            failures.append(repr(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    try:
        if not everyone.wait(20):
            raise AssertionError(f"only {len(shown)} of {count} logins showed a code: {shown}")
        codes = {code for code, _ in shown}
        Check.equal(len(codes), 1, f"codes shown by the {count} logins: {shown}")
        stack.idp.approve(codes.pop(), "alice", "alice-pw", decision)
    finally:
        for thread in threads:
            thread.join(60)
    if failures:
        raise AssertionError(f"logins failed: {failures}")
    return results, shown


@serial
def test_ten_parallel_logins_wait_for_one_approval(stack):
    rdir = memory_dir(stack, "burst")
    service = stack.service("burst", remember_config(stack, rdir))
    reset_counts(stack)
    logins, shown = burst(stack, service, 10, "allow")
    expect_counts(stack, "ten parallel logins", 1, 0)
    Check.equal([r.result for r in logins], [PAM_SUCCESS] * 10, "pam_authenticate of each")
    Check.equal(sorted(waiting for _, waiting in shown), [False] + [True] * 9,
                "logins that showed the waiting line with the code")
    leaders = [r for r in logins if "burst=yes" not in r.log]
    Check.equal(len(leaders), 1, "logins that were not approved through the burst")
    Check.absent(leaders[0].log, REUSED, "the leader's log")
    for r in logins:
        if r is not leaders[0]:
            Check.contains(r.log, "result=approved reason=remembered", "a waiting login's log")
            Check.contains(r.log, "burst=yes sub=alice", "a waiting login's log")
            Check.contains(r.shown, BURST_LINE, "a waiting login's conversation")
    only_record(rdir)


@serial
def test_one_denial_denies_all_ten(stack):
    rdir = memory_dir(stack, "burst-deny")
    service = stack.service("burst-deny", remember_config(stack, rdir))
    reset_counts(stack)
    logins, _shown = burst(stack, service, 10, "deny")
    expect_counts(stack, "ten parallel logins", 1, 0)
    Check.equal([r.result for r in logins], [PAM_MAXTRIES] * 10, "pam_authenticate of each")
    for r in logins:
        Check.contains("\n".join(r.errors), "denied", "the user line")
        Check.contains(r.log, "result=denied", "log line")
        Check.absent(r.log, "result=approved", "log line")
    waiting = [r for r in logins if "the login this one waited for (same key) ended: denied" in r.log]
    Check.equal(len(waiting), 9, "logins denied by the burst's denial")
    Check.equal(records(rdir), [], "records after a denial")


@serial
def test_a_waiting_login_gives_up_at_its_own_timeout(stack):
    rdir = memory_dir(stack, "burst-timeout")
    config = remember_config(stack, rdir, timeout="30")
    service = stack.service("burst-timeout", config)
    leader_shown = threading.Event()
    code = []
    leader = []

    def leader_code(result):
        code.append(result.user_code)
        leader_shown.set()

    thread = threading.Thread(target=lambda: leader.append(login(stack, service, on_code=leader_code)))
    thread.start()
    try:
        if not leader_shown.wait(15):
            raise AssertionError("the first login showed no code")
        # timeout is outside the policy (not in the key): a login with timeout = 5 is of the same key.
        rewrite_config(stack, service, dict(config, timeout="5", http_timeout="2"))
        started = time.monotonic()
        waiter = login(stack, service, on_code=lambda result: None)
        waited = time.monotonic() - started
    finally:
        if code:
            stack.idp.approve(code[0], "alice", "alice-pw")
        thread.join(40)
    Check.equal(waiter.result, PAM_AUTH_ERR, f"the waiting login's result; log:\n{waiter.log}")
    Check.contains(waiter.shown, BURST_LINE, "the waiting login's conversation")
    Check.equal(waiter.user_code, code[0], "the code the waiting login showed")
    Check.contains(waiter.log, "waited for the approval of another login with the same key until the timeout",
                   "log line")
    if not 4.5 <= waited <= 8:
        raise AssertionError(f"the waiting login took {waited:.1f} s with timeout = 5")
    Check.equal(len(leader), 1, "the first login ended")
    approved(leader[0], "the first login, approved after the other gave up")


@serial
def test_with_prompt_enter_a_waiting_login_asks_for_enter_too(stack):
    # sshd (before OpenSSH 10.3) holds info messages back until the next prompt: a waiting
    # login that only showed the code as info would show nothing at all over ssh.
    rdir = memory_dir(stack, "burst-enter")
    service = stack.service("burst-enter", remember_config(stack, rdir, prompt="enter"))
    code, both_shown, results = [], threading.Event(), {}

    def first_prompt(result):
        code.append(result.user_code)
        if both_shown.wait(15):  # Enter only once the other login shows the code too
            stack.idp.approve(result.user_code, "alice", "alice-pw")

    first = threading.Thread(target=lambda: results.setdefault("first", stack.login(
        service, "alice", on_prompt=first_prompt)))
    first.start()
    try:
        deadline = time.monotonic() + 15
        while not code and time.monotonic() < deadline:
            time.sleep(0.05)
        Check.equal(len(code), 1, "codes the first login showed")
        results["waiting"] = stack.login(service, "alice", on_prompt=lambda result: both_shown.set())
    finally:
        both_shown.set()
        first.join(40)
    waiting = results["waiting"]
    Check.contains(waiting.shown, BURST_LINE, "the waiting login's conversation")
    Check.equal(waiting.user_code, code[0], "the code the waiting login showed")
    Check.equal(waiting.prompts, ["Press Enter after approving: "], "the waiting login's prompts")
    Check.equal(waiting.result, PAM_SUCCESS, f"the waiting login; log:\n{waiting.log}")
    Check.contains(waiting.log, "burst=yes", "the waiting login's log")
    approved(results["first"], "the first login")


# ---------------------------------------------------------------- 7: records it must not trust

def test_records_it_must_not_trust_are_ignored(stack):
    rdir = memory_dir(stack, "untrusted")
    service = stack.service("untrusted", remember_config(stack, rdir, scope=ONLINE))
    asked_again(login(stack, service), "first login")
    path = only_record(rdir)
    elsewhere = os.path.join(os.path.dirname(rdir), "good-copy")

    def corrupt_cut_short():
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text[:len(text) // 2])

    def corrupt_non_ascii():
        set_field(path, "username", "al\u00efce")

    def corrupt_field_twice():
        with open(path, "a") as f:
            f.write("sub mallory\n")

    def as_symlink():
        shutil.copy2(path, elsewhere)
        os.unlink(path)
        os.symlink(elsewhere, path)

    damages = [
        ("owned by another user", lambda: os.chown(path, 65534, 65534)),
        ("mode 0644", lambda: os.chmod(path, 0o644)),
        ("mode 0640", lambda: os.chmod(path, 0o640)),
        ("a symlink to a good record", as_symlink),
        ("cut short", corrupt_cut_short),
        ("a value outside visible ASCII", corrupt_non_ascii),
        ("a field named twice", corrupt_field_twice),
    ]
    # The directory itself open to others: nothing in it is used, nothing written to it.
    os.chmod(rdir, 0o755)
    with open(path) as f:
        before = f.read()
    result = login(stack, service)
    asked_again(result, "remember_dir mode 0755")
    Check.contains(result.log, f"remembered approvals unavailable: {rdir}: directory is not a directory of root's "
                   "with mode 0700", "log line")
    with open(path) as f:
        Check.equal((records(rdir), f.read()), ([os.path.basename(path)], before), "records in an open directory")
    os.chmod(rdir, 0o700)
    for what, damage in damages:
        # The record as it stands is reused (the damage alone makes the difference) ...
        reused(login(stack, service, approver="bob"), f"before {what}", how="revalidated=no")
        damage()
        # ... and once damaged, it is not: a new code.
        result = login(stack, service)
        asked_again(result, what)
        st = os.lstat(path)
        Check.equal((oct(st.st_mode), st.st_uid), ("0o100600", 0), f"{what}: the new record replaced it")


def test_a_record_of_another_configuration_is_not_used(stack):
    rdir = memory_dir(stack, "other-config")
    config = remember_config(stack, rdir, scope=ONLINE)
    service = stack.service("other-config", config)
    asked_again(login(stack, service), "first login")
    first_name = records(rdir)[0]
    with open(os.path.join(rdir, first_name)) as f:
        first_body = f.read()
    # The same service and file, another policy: a new code each time.
    stricter = dict(config, require_scope="profile")
    for what, other in (("require_scope added", stricter), ("another client", dict(config, client_id="pam-es256"))):
        rewrite_config(stack, service, other)
        asked_again(login(stack, service), what)
    Check.equal(len(records(rdir)), 3, "records: one per configuration")
    # The first configuration's record copied under the stricter one's name, its key line
    # left as it was: a good record in every other way, not to be used. Which record is the
    # stricter one's: the one its reuse rewrites (a time-only reuse stores its burst).
    rewrite_config(stack, service, stricter)
    before = {n: fields(os.path.join(rdir, n))["burst"] for n in records(rdir)}
    reused(login(stack, service, approver="bob"), "require_scope added, again", how="revalidated=no")
    changed = [n for n in records(rdir) if fields(os.path.join(rdir, n))["burst"] != before[n]]
    Check.equal(len(changed), 1, "records rewritten by a reuse")
    target = os.path.join(rdir, changed[0])
    with open(target, "w") as f:
        f.write(first_body)
    os.chmod(target, 0o600)
    result = login(stack, service)
    asked_again(result, "a record of the first configuration under the stricter one's name")
    Check.equal(fields(target)["key"], changed[0][:-len(".approval")], "the new record's key line")
    # Back to the first configuration: its own record is still there and used.
    rewrite_config(stack, service, config)
    reused(login(stack, service, approver="bob"), "the first configuration again", how="revalidated=no")


# ---------------------------------------------------------------- 8: the admin's tool

def check_tool(*args):
    result = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr


def windows(secret):
    return {secret[i:i + SECRET_WINDOW] for i in range(len(secret) - SECRET_WINDOW + 1)}


def test_check_tool_lists_and_forgets_records(stack):
    rdir = memory_dir(stack, "tool")
    alice_service = stack.service("tool-alice", remember_config(stack, rdir))
    bob_service = stack.service("tool-bob", remember_config(stack, rdir, scope=ONLINE))
    asked_again(login(stack, alice_service), "alice")
    asked_again(login(stack, alice_service, rhost="192.0.2.8", ssh_key=SSH_KEY_1), "alice from another host")
    asked_again(login(stack, bob_service, user="bob"), "bob")
    tokens = [fields(os.path.join(rdir, n)).get("refresh_token") for n in records(rdir)]
    tokens = [t for t in tokens if t]
    Check.equal(len(tokens), 2, "refresh tokens in the records (alice's two)")

    # --arg overrides the file's remember_dir, as a module argument would.
    elsewhere = os.path.join(os.path.dirname(rdir), "tool.conf")
    with open(config_path(stack, alice_service)) as f:
        text = f.read().replace(f"remember_dir = {rdir}", f"remember_dir = {rdir}-missing")
    stack.write_file(os.path.dirname(elsewhere), "tool.conf", text)
    status, out = check_tool("--remembered", "--config", elsewhere)
    Check.equal(status, 0, f"--remembered, no directory: exit status; output:\n{out}")
    Check.contains(out, f"no remembered approvals: {rdir}-missing does not exist", "--remembered, no directory")
    for how in (["--config", config_path(stack, alice_service)], ["--config", elsewhere, "--arg", f"remember_dir={rdir}"]):
        status, out = check_tool("--remembered", *how)
        Check.equal(status, 0, f"--remembered {how}: exit status; output:\n{out}")
        Check.contains(out, f"3 remembered approvals in {rdir}", f"--remembered {how}")
        lines = [line for line in out.splitlines() if line.startswith("user=")]
        Check.equal(len(lines), 3, f"--remembered {how}: record lines:\n{out}")
        for line in lines:
            if line.startswith("user=alice"):
                Check.contains(line, f"service={alice_service} ", "alice's line")
                Check.contains(line, "sub=alice ", "alice's line")
                Check.contains(line, "reuse=refresh-token", "alice's line")
            else:
                Check.contains(line, f"user=bob caller_uid=0 service={bob_service} rhost=- sub=bob ", "bob's line")
                Check.contains(line, "reuse=time-only", "bob's line")
        Check.contains(out, "rhost=192.0.2.8", f"--remembered {how}")
        for token in tokens:
            for piece in windows(token):
                Check.absent(out, piece, f"--remembered {how}: a piece of a refresh token")

    status, out = check_tool("--forget", "alice", "--config", elsewhere, "--arg", f"remember_dir={rdir}")
    Check.equal(status, 0, f"--forget alice: exit status; output:\n{out}")
    Check.contains(out, "dropped 2 remembered approvals", "--forget alice")
    left = [fields(os.path.join(rdir, n))["user"] for n in records(rdir)]
    Check.equal(left, ["bob"], "records left after --forget alice")
    asked_again(login(stack, alice_service), "alice after --forget alice")
    reused(login(stack, bob_service, user="bob", approver="carol"), "bob after --forget alice",
           how="revalidated=no")

    status, out = check_tool("--forget-all", "--config", config_path(stack, bob_service))
    Check.equal(status, 0, f"--forget-all: exit status; output:\n{out}")
    Check.contains(out, "dropped 2 remembered approvals", "--forget-all")
    Check.equal(records(rdir), [], "records left after --forget-all")
    status, out = check_tool("--remembered", "--config", config_path(stack, alice_service))
    Check.contains(out, f"0 remembered approvals in {rdir}", "--remembered after --forget-all")
    asked_again(login(stack, bob_service, user="bob"), "bob after --forget-all")


CASES = [value for name, value in list(globals().items()) if name.startswith("test_")]

if __name__ == "__main__":
    sys.exit(main(CASES))
